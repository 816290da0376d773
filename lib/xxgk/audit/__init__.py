"""``xxgk audit``: check reports that were published without xxgk, as an evaluator would.

A source (a saved page, a Word file, a PDF) is read into an agency-year
(:mod:`xxgk.exchange.published`), and then judged by the same registered rules as the reports xxgk
generates, so an audit and ``xxgk check`` can never disagree about what a rule means. Two things
are particular to published reports and handled here: a table that could not be read is not
checked at all (its cells are not 0, they are unknown: D2/M2 say so once), and every finding
carries the place in the source its cell came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xxgk import check
from xxgk.data.diagnostics import Diagnostic, InputError, problem
from xxgk.exchange.published import Reading, read_source

SUFFIXES = (".html", ".htm", ".shtml", ".docx", ".pdf")
"""What a folder given to ``audit`` is searched for (a single file is read whatever its name)."""

NO_NETWORK = "xxgk 不访问网络、不下载网页：请先在浏览器中保存页面（或下载附件），再审核保存的文件"
"""A page is data xxgk reads from disk; fetching would run a stranger's server's answer through the reader."""

TABLE_RULES = frozenset({"I7", "N7", "N10", "N11", "N12", "T3"})
"""Rules that compare the narrative with a table: meaningless against a table that could not be read."""


@dataclass
class Audit:
    """One source: what was read, and every finding (reading's and the checks'), located in the source."""

    source: Path
    reading: Reading | None
    findings: list[Diagnostic] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    """Why the source could not be read at all (P0)."""

    def where(self, d: Diagnostic) -> str:
        if self.reading is None or not d.field:
            return ""
        return self.reading.where.get(d.field, "")

    def finding_dicts(self) -> list[dict[str, Any]]:
        return [{**d.to_dict(), "where": self.where(d)} for d in self.findings]


def sources(paths: Iterable[Path]) -> list[Path]:
    """The files to audit: each file given, and the reports in each folder (sorted, recursively)."""
    out: list[Path] = []
    missing: list[Diagnostic] = []
    for p in paths:
        if str(p).split(":", 1)[0].lower() in ("http", "https", "ftp") and not p.exists():
            missing.append(problem(str(p), NO_NETWORK))
            continue
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES))
        elif p.is_file():
            out.append(p)
        else:
            missing.append(problem(str(p), "文件或目录不存在"))
    if missing:
        raise InputError(missing)
    return list(dict.fromkeys(out))


def _unknown_cells(reading: Reading) -> set[str]:
    """Fields whose finding would rest on a cell the source does not show (its 0 is ours, not the body's).

    A finding names the total of its identity; it is dropped when the total or any part of that
    instance was not in the source, so a table with a row left out gets one Q3 saying so, not a
    cascade of S1 and I2 errors against zeros nobody wrote.
    """
    v = reading.agency_year.format
    out = {f"tables.{t}.{r}.{c}" for t, r, c in reading.unlisted}
    if not reading.unlisted:
        return out
    for ident in v.identities:
        for s in v.sums(ident):
            cells = [s.total, *(p for _, p in s.parts)]
            if any((ident.table, r, c) in reading.unlisted for r, c in cells):
                out.add(f"tables.{ident.table}.{s.total[0]}.{s.total[1]}")
    return out


def _judged(reading: Reading) -> Iterator[Diagnostic]:
    ay = reading.agency_year
    unreadable = {ay.format.table_names[t] for t in reading.unreadable}
    unknown = _unknown_cells(reading)
    for d in check.check_year(ay):
        if d.table in unreadable or (d.field and d.field in unknown):
            continue
        if d.rule in TABLE_RULES and unreadable and not d.table:
            continue
        yield d.replace(file=str(reading.document.source))


def audit_one(path: Path, agency_id: str = "") -> Audit:
    try:
        reading = read_source(path, agency_id)
    except InputError as e:
        return Audit(path, None, problems=list(e.problems))
    found = [*reading.findings, *_judged(reading)]
    return Audit(path, reading, found)


def audit(paths: Sequence[Path]) -> list[Audit]:
    return [audit_one(p) for p in sources(paths)]
