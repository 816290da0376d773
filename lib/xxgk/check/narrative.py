"""Rules on the narrative of one agency-year: placeholders can be filled (N1), the numbers it states
agree with the tables (I7), and the facts it cites add up (F1).

I7 reads the narrative with the phrases of ``national.yaml`` (the same table the report's summary
sentences are written from), after the placeholders are filled: the text as a reader will see it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from xxgk import formats
from xxgk.check.findings import finding
from xxgk.check.registry import rule
from xxgk.data import figures as figs
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import AgencyYear
from xxgk.data.placeholders import NarrativeError, fill

# A line break between two Chinese characters is no break to a reader (the report joins them),
# so "申请\n157件" states 157 as surely as "申请157件" does.
_CJK_BREAK = re.compile(r"(?<=[^\x00-\x7f])[ \t]*\n[ \t]*(?=[^\x00-\x7f])")


def unbroken(text: str) -> str:
    """``text`` with the line breaks between Chinese characters removed, as a reader reads it."""
    return _CJK_BREAK.sub("", text)


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[part]
    return data


def _filled(text: str, ay: AgencyYear) -> tuple[str, str | None]:
    """A section's text as the reader will see it, or why it cannot be filled (N1 and I7 share it)."""
    if "{" not in text:  # no placeholder: skip the template engine, it costs a millisecond
        return text, None
    try:
        return fill(text, figs.figures(ay)), None
    except NarrativeError as e:
        return text, str(e)


def narrative_text(ay: AgencyYear) -> Iterator[tuple[str, str, str | None]]:
    """Each narrative section (key, text as filled, problem or None)."""
    for key in formats.NARRATIVE_KEYS:
        text, problem = _filled(getattr(ay.narrative, key), ay)
        yield key, text, problem


@rule("N1")
def placeholders(ay: AgencyYear) -> Iterator[Diagnostic]:
    for key, _, problem in narrative_text(ay):
        if problem:
            yield finding("N1", ay, None, f"{ay.format.sections[key]}：{problem}", field=f"narrative.{key}")


@rule("I7")
def stated_figures(ay: AgencyYear) -> Iterator[Diagnostic]:
    values: dict[str, Any] | None = None
    for key, text, _ in narrative_text(ay):
        joined = unbroken(text)
        heading = ay.format.sections[key]
        for p in formats.phrases().values():
            for m in p.reads.finditer(joined):
                values = values or figs.figures(ay)
                stated, actual = int(m.group(1)), int(_lookup(values, p.figure))
                if stated != actual:
                    yield finding(
                        "I7",
                        ay,
                        None,
                        f"{heading}：正文“{m.group(0)}”与表格不一致：应为 {actual}，实为 {stated}"
                        f"（相差 {actual - stated}）",
                        expected=actual,
                        found=stated,
                        field=f"narrative.{key}",
                    )


@rule("F1")
def facts_add_up(ay: AgencyYear) -> Iterator[Diagnostic]:
    facts = ay.facts
    if facts.proactive_items is None or not facts.channels:
        return
    total = sum(c.items for c in facts.channels)
    if total != facts.proactive_items:
        yield finding(
            "F1",
            ay,
            None,
            f"facts.proactive_items：各渠道发布条数之和为 {total}，主动公开条数为 {facts.proactive_items}"
            f"（相差 {facts.proactive_items - total}）",
            expected=total,
            found=facts.proactive_items,
            field="facts.proactive_items",
        )
