"""How an audit is shown: lines for a terminal, JSON for machines, and a page per source for reviewers.

The text and JSON forms follow ``xxgk check`` (the same finding lines, the same finding dicts)
with the place in the source added, so a tool that reads one reads the other. The HTML pages are
for a reviewer who must see, next to each finding, the table as xxgk read it: the official
layout with every value, the cells that said nothing marked, each cell's source place on hover.
Everything from a page is escaped (Jinja autoescape); nothing a page links to is fetched.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

from xxgk import __version__, formats
from xxgk.audit import Audit
from xxgk.data.atomic import write_all
from xxgk.data.diagnostics import errors, format_text
from xxgk.data.model import show
from xxgk.exchange.labels import short_version
from xxgk.report.tables import table_html

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("xxgk.audit", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def counts(audits: Sequence[Audit]) -> tuple[int, int, int]:
    """(errors, warnings, unreadable sources) over all audits."""
    n_err = sum(len(errors(a.findings)) for a in audits)
    n_warn = sum(len(a.findings) - len(errors(a.findings)) for a in audits)
    return n_err, n_warn, sum(1 for a in audits if a.reading is None)


def summary(audits: Sequence[Audit]) -> str:
    n_err, n_warn, bad = counts(audits)
    text = f"审核了 {len(audits)} 份年报：{n_err} 个错误，{n_warn} 个警告"
    return text + (f"，{bad} 份无法读取" if bad else "") + "。"


def _heading(a: Audit) -> str:
    r = a.reading
    if r is None:
        return f"== {a.source}：无法读取"
    ay = r.agency_year
    v = ay.format
    date = f"，发布日期 {ay.published.isoformat()}" if ay.published else ""
    return f"== {a.source}：{r.title or '（无标题）'}（{ay.year}年度，{short_version(v)}表格{date}）"


def text(audits: Sequence[Audit]) -> str:
    lines: list[str] = []
    for a in audits:
        lines.append(_heading(a))
        lines.extend(str(p) for p in a.problems)
        for d in a.findings:
            where = a.where(d)
            lines.append(format_text(d) + (f"（来源：{where}）" if where else ""))
    lines.append(summary(audits))
    return "\n".join(lines) + "\n"


def record(a: Audit) -> dict[str, Any]:
    """One source as JSON: what was read (with places) and every finding."""
    base: dict[str, Any] = {"source": str(a.source)}
    if a.reading is None:
        return {**base, "readable": False, "problems": [p.to_dict() for p in a.problems], "findings": []}
    r = a.reading
    ay = r.agency_year
    doc = r.document
    return {
        **base,
        "readable": True,
        "sha256": doc.sha256,
        "kind": doc.kind,
        "title": r.title,
        "agency": ay.agency.name,
        "year": ay.year,
        "format": ay.format.id,
        "published": ay.published.isoformat() if ay.published else None,
        "url": doc.url,
        "unreadable_tables": sorted(ay.format.table_names[t] for t in r.unreadable),
        "recovered_tables": sorted(ay.format.table_names[t] for t in r.recovered),
        "assumed": r.assumed,
        "values": {
            f"tables.{spec.table}.{spec.row}.{spec.column}": show(value)
            for spec, value in ay.cells()
            if f"tables.{spec.table}.{spec.row}.{spec.column}" in r.where
        },
        "where": r.where,
        "findings": a.finding_dicts(),
    }


def as_json(audits: Sequence[Audit]) -> str:
    return json.dumps([record(a) for a in audits], ensure_ascii=False, indent=2) + "\n"


_UNSAFE_NAME = re.compile(r"[^\w\u3400-\u9fff-]+")


def page_name(a: Audit) -> str:
    """A file name per source, stable and unique even for two sources of the same name.

    The stem is the page author's (browsers name a saved page after its title), so only word
    characters survive: no ``:`` to make a link a ``javascript:`` URL, no ``#``/``?`` to break it,
    no ``/`` or ``..`` to leave the folder. The hash keeps two sources apart after that.
    """
    digest = hashlib.sha256(str(a.source).encode("utf-8", "surrogateescape")).hexdigest()[:10]
    stem = _UNSAFE_NAME.sub("_", a.source.stem)[:60].strip("_") or "source"
    return f"{stem}-{digest}.html"


BLANK = "（空白）"
"""How a reviewer's page names a source cell that held nothing at all."""
RECOVERED = "由纯文本还原"
"""How it names a table (and each of its cells) recovered from flattened text (rule M2)."""


def _tables(a: Audit) -> list[dict[str, Any]]:
    if a.reading is None:
        return []
    r = a.reading
    ay = r.agency_year
    out = []
    for t in formats.TABLE_IDS:
        title = ay.format.table_title(t)
        if t in r.unreadable or t not in r.tables:
            out.append({"title": title, "html": "", "note": "未能读取，未校验"})
            continue
        blanks = [{"label": c.spec.label, "text": c.text or BLANK, "where": c.where} for c in r.blanks.get(t, [])]
        note = RECOVERED if t in r.recovered else ""
        marks: dict[tuple[str, str], tuple[str | None, str]] = {}
        for (row, col), cell in r.tables[t].cells.items():
            place = cell.where + (f"（{RECOVERED}）" if cell.recovered else "")
            said = None if cell.read.status == "value" else (cell.text.strip() or BLANK)
            marks[(row, col)] = (said, place)
        for tt, row, col in r.unlisted:
            if tt == t:
                marks[(row, col)] = ("（未列出）", "原文表格中没有这一格")
        html = table_html(ay, t, marks)
        entry: dict[str, Any] = {"title": title, "html": html, "note": note, "blanks": blanks}
        out.append(entry)
    return out


def html_pages(audits: Sequence[Audit], out_dir: Path) -> Path:
    """A reviewer's page per source and an index of all of them, written all at once into ``out_dir``."""
    page = _env.get_template("page.html.j2")
    index = _env.get_template("index.html.j2")
    files: dict[Path, str] = {}
    rows = []
    for a in audits:
        name = page_name(a)
        rec = record(a)
        n_err = len(errors(a.findings))
        rows.append({"page": name, "record": rec, "errors": n_err, "warnings": len(a.findings) - n_err})
        files[out_dir / name] = page.render(
            a=a, rec=rec, tables=_tables(a), version=__version__, rules=formats.rules(), problems=a.problems
        )
    files[out_dir / "index.html"] = index.render(rows=rows, summary=summary(audits), version=__version__)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_all(files)
    return out_dir / "index.html"
