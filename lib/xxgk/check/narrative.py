"""Rules on the narrative of one agency-year: placeholders can be filled (N1), the numbers it states
agree with the tables (I7), and the facts it cites add up (F1).

I7 reads the narrative with the phrases of ``national.yaml`` (the same table the report's summary
sentences are written from), after the placeholders are filled: the text as a reader will see it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from xxgk import formats
from xxgk.check.findings import finding, num
from xxgk.check.registry import rule
from xxgk.data import figures as figs
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import AgencyYear
from xxgk.data.placeholders import NarrativeError, fill
from xxgk.formats.match import simplified

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


_SENTENCE_END = re.compile(r"[。；;！!？?\n]")
_ITEM_SEP = re.compile(r"[、，,]")
_AMONG = re.compile(r"[，,]?其中")

LEADS = ("applications.new", "applications.handled")
"""The figures a "其中…" list breaks down: applications received, applications handled."""
COMBINED = "applications.disclosed"
"""The figure that states two outcomes at once (granted and partial), so a list may not name them again."""
COMBINES = ("applications.granted", "applications.partial")
"""The outcomes the combined figure is the sum of.

It is computed here, not in :mod:`xxgk.data.figures`: every figure there is a placeholder with a
documented meaning in an official cell, and this sum is no cell, only a way narratives write.
"""


def _values(ay: AgencyYear) -> dict[str, Any]:
    """The figures I7 compares with: those of the tables as :func:`as_read` reads them, and the combined one."""
    values = figs.figures(as_read(ay))
    apps = values["applications"]
    apps[COMBINED.split(".")[1]] = sum(int(_lookup(values, name)) for name in COMBINES)
    return values


ALL_UPHELD = re.compile(r"(?<![未非不没])(?:均获维持|全部维持|均被维持|均予维持|均予以维持|全部获得维持)")
"""A claim that every review or litigation case ended upheld (not its negation, "未全部维持")."""
NOT_UPHELD = ("corrected", "pending")
"""The columns of table 四 that contradict such a claim: a case corrected, a case not yet decided."""
CLAIM_SCOPE = {"review": "复议", "litigation": "诉讼"}
"""Which group of table 四 a sentence talks about, by the word of its name a sentence keeps even when it shortens it."""


def reading(text: str) -> str:
    """A section as I7 reads it: lines rejoined as a reader joins them, traditional characters as simplified.

    Mirror sites convert whole reports to traditional characters; their "受理申請36件" states the
    same figure as the original's "受理申请36件", and the phrases are written in simplified.
    """
    return simplified(unbroken(text))


def as_read(ay: AgencyYear) -> AgencyYear:
    """``ay`` with each 0 in table 三's 总计 column that its applicant columns contradict replaced by their sum.

    Some bodies leave the 总计 column blank (read as 0) and fill in the applicant columns; the row
    identity (I1) reports every such row. A narrative that states the applicant columns' sum is
    then right, and comparing it with the 0 would tell the analyst to change a correct text.
    """
    t3 = ay.tables["t3"]
    fixed: dict[tuple[str, str], int] = {}
    for ident in ay.format.identities:
        if ident.table != "t3" or ident.per != "row" or not ident.computed:
            continue
        for one in ay.format.sums(ident):
            row, col = one.total
            parts = sum((s * num(t3[r][c]) for s, (r, c) in one.parts), Decimal(0))
            if num(t3[row][col]) == 0 and parts != 0:
                fixed[one.total] = int(parts)
    if not fixed:
        return ay
    tables = dict(ay.tables)
    tables["t3"] = {row: dict(cols) for row, cols in t3.items()}
    for (row, col), n in fixed.items():
        tables["t3"][row][col] = n
    return dataclasses.replace(ay, tables=tables)


def _mismatch(ay: AgencyYear, key: str, heading: str, said: str, stated: int, actual: int) -> Diagnostic:
    return finding(
        "I7",
        ay,
        None,
        f"{heading}：正文“{said}”与表格不一致：应为 {actual}，实为 {stated}（相差 {actual - stated}）",
        expected=actual,
        found=stated,
        field=f"narrative.{key}",
    )


def _outcome_phrases(ay: AgencyYear) -> dict[str, re.Pattern[str]]:
    """Figure → pattern for each outcome of table 三 a "其中…" list may name, and the combined one."""
    names = [f"applications.{name}" for name in ay.format.outcomes] + [COMBINED]
    phrases = formats.phrases()
    return {name: phrases[name].reads for name in names if name in phrases}


def _parts_of(text: str, outcomes: dict[str, re.Pattern[str]]) -> tuple[str, int] | None:
    """The "其中…" list at the start of ``text`` (to the end of its clause) and the sum it states.

    Only a list every item of which is one outcome phrase, each outcome at most once, is read: an
    item the phrases do not know (a qualified outcome, a list ending in "等") could be anything, and a list that
    names the granted outcome beside the combined figure nests one part in another.
    """
    among = _AMONG.match(text)
    if among is None:
        return None
    end = _SENTENCE_END.search(text, among.end())
    body = text[among.end() : end.start() if end else len(text)]
    seen: set[str] = set()
    total = 0
    for item in _ITEM_SEP.split(body):
        name = next((n for n, p in outcomes.items() if p.fullmatch(item)), None)
        if name is None or name in seen:
            return None
        seen.add(name)
        m = outcomes[name].fullmatch(item)
        assert m is not None
        total += int(m.group(1))
    if len(seen) < 2 or (COMBINED in seen and seen & set(COMBINES)):
        return None
    return text[: among.end() + len(body)], total


def _own_totals(ay: AgencyYear, key: str, heading: str, joined: str) -> Iterator[Diagnostic]:
    """A "共N件，其中…" list whose outcomes add up to more than the N it breaks down: the text contradicts itself."""
    phrases, outcomes = formats.phrases(), _outcome_phrases(ay)
    for lead in LEADS:
        for m in phrases[lead].reads.finditer(joined):
            parts = _parts_of(joined[m.end() :], outcomes)
            if parts is None:
                continue
            listed, total = parts
            stated = int(m.group(1))
            if total > stated:
                yield finding(
                    "I7",
                    ay,
                    None,
                    f"{heading}：正文“{m.group(0)}{listed}”所列各项之和为 {total}，大于所称的 {stated}"
                    f"（相差 {stated - total}）",
                    expected=stated,
                    found=total,
                    field=f"narrative.{key}",
                )


def _all_upheld(ay: AgencyYear, key: str, heading: str, joined: str, values: dict[str, Any]) -> Iterator[Diagnostic]:
    """ "均获维持" where table 四 shows a case corrected or still pending.

    The claim is read for the groups its own sentence names (复议, 诉讼, or both); a sentence that
    names neither is not read, since the claim could be about anything.
    """
    for m in ALL_UPHELD.finditer(joined):
        ends = [e.end() for e in _SENTENCE_END.finditer(joined, 0, m.start())]
        start = ends[-1] if ends else 0
        said = joined[start : m.end()]
        for group, word in CLAIM_SCOPE.items():
            if word not in said:
                continue
            counts = values[group]
            against = [(col, counts[col]) for col in NOT_UPHELD if counts.get(col)]
            if not against:
                continue
            header = ay.format.t4_groups[group][0].label
            first = ay.format.t4_groups[group][1][0]
            shown = "、".join(f"{ay.format.cell('t4', first, col).column_leaf} {n} 件" for col, n in against)
            yield finding(
                "I7",
                ay,
                None,
                f"{heading}：正文“{said}”与表格不一致：表四 {header} {shown}，并非全部维持",
                expected=counts["upheld"],
                found=counts["total"],
                field=f"narrative.{key}",
            )


@rule("I7")
def stated_figures(ay: AgencyYear) -> Iterator[Diagnostic]:
    """Numbers the narrative states against the tables, and against the narrative's own totals.

    The tables are read as :func:`as_read` repairs them, so a blank 总计 column (already I1) does
    not turn a right narrative into a finding as well.
    """
    values: dict[str, Any] | None = None
    for key, text, _ in narrative_text(ay):
        joined = reading(text)
        heading = ay.format.sections[key]
        for p in formats.phrases().values():
            for m in p.reads.finditer(joined):
                values = values or _values(ay)
                stated, actual = int(m.group(1)), int(_lookup(values, p.figure))
                if stated != actual:
                    yield _mismatch(ay, key, heading, m.group(0), stated, actual)
        yield from _own_totals(ay, key, heading, joined)
        if ALL_UPHELD.search(joined):
            values = values or _values(ay)
            yield from _all_upheld(ay, key, heading, joined, values)


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
