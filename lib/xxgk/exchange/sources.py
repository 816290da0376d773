"""Import from any source, or several at once: a tidy CSV or a filled-in Excel form, told apart by content.

``xxgk import`` is one command for both because analysts do not care which they hold: a file is
a workbook if its bytes are one (a zip, or an OLE file that is an encrypted workbook or an old
.xls: each gets its own message), whatever its name ends in; anything else is read as CSV.
Several files are read completely and planned as one import, so ``xxgk import forms/*.xlsx`` is
all or nothing: one wrong form, and no file is written, with every problem of every form listed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xxgk.data.diagnostics import IMPORT_NOTICE, Diagnostic, InputError, problem
from xxgk.exchange import form, tidy
from xxgk.exchange.plan import ImportReport, apply_plan, plan_import
from xxgk.exchange.records import CellRecord, YearFields


@dataclass
class Sources:
    records: list[CellRecord] = field(default_factory=list)
    fields: list[YearFields] = field(default_factory=list)
    notes: list[Diagnostic] = field(default_factory=list)
    """Warnings about reading the files (an encoding guessed, blank cells read as 0)."""
    errors: list[Diagnostic] = field(default_factory=list)
    """Problems with values a reader found (a total typed over its formula): reported with the plan's."""
    unreadable: list[Diagnostic] = field(default_factory=list)
    """Problems that kept a file from being read at all (not a workbook, a form laid out wrong)."""
    workbooks: int = 0


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(8)
    except OSError as e:
        raise InputError([problem(str(path), f"无法读取文件：{e.strerror or e}")]) from None


def _content(read: form.FormRead) -> tuple[object, ...]:
    """What a form states, wherever it was saved: two forms stating the same are one form twice."""
    cells = [(r.agency_id, r.agency_name, r.year, r.table, r.row, r.column, r.value) for r in read.records]
    return (cells, [dataclasses.replace(f, file="") for f in read.fields])


def _repeated(
    path: Path, read: form.FormRead, forms: dict[tuple[str, str], tuple[Path, form.FormRead]], out: Sources
) -> bool:
    """True for a second form of an agency-year that states what the first does (to read once).

    Two forms of one agency-year that disagree are both kept, so that the plan names every cell
    that differs; the 正文 has no cells to name, so a difference there is named here.
    """
    if not read.records:
        return False
    agency_id, year = read.records[0].agency_id, read.records[0].year
    first, first_read = forms.setdefault((agency_id, year), (path, read))
    if first_read is read:
        return False
    if _content(first_read) == _content(read):
        out.notes.append(
            problem(
                str(path),
                f"与 {first} 是同一机关同一年度、内容相同的填报表：只导入一次",
                rule=IMPORT_NOTICE,
                severity="warning",
            )
        )
        return True
    if _content(first_read)[1] != _content(read)[1]:
        out.unreadable.append(
            problem(
                str(path),
                f"与 {first} 是同一机关同一年度（{agency_id} {year}）的填报表，"
                "但正文（正文各部分、发布日期或引用的事实）不同：请只交回其中一份",
            )
        )
    return False


def _gather(paths: Sequence[Path]) -> Sources:
    """Every record of every file that can be read, and what kept the others from being read."""
    out = Sources()
    several = len(paths) > 1
    seen: dict[Path, Path] = {}
    forms: dict[tuple[str, str], tuple[Path, form.FormRead]] = {}  # (agency id, year) → its first form
    for path in paths:
        key = path.resolve()
        if key in seen:
            out.unreadable.append(problem(str(path), f"与 {seen[key]} 是同一个文件，只能导入一次"))
            continue
        seen[key] = path
        try:
            if form.is_workbook(_head(path)):
                read = form.read_form(path)
                out.workbooks += 1
                if _repeated(path, read, forms, out):
                    continue
                out.records.extend(read.records)
                out.fields.extend(read.fields)
                out.notes.extend(read.warnings)
                out.errors.extend(read.errors)
            else:
                records, notes = tidy.read_csv(path)
                if several:
                    records = [dataclasses.replace(r, file=str(path)) for r in records]
                out.records.extend(records)
                out.notes.extend(notes)
        except InputError as e:
            out.unreadable.extend(e.problems)
    return out


def read_sources(paths: Sequence[Path]) -> Sources:
    """Every record of every file; raise InputError listing the problems of all of them."""
    out = _gather(paths)
    if out.unreadable:
        raise InputError([*out.notes, *out.unreadable] if out.notes else out.unreadable)
    return out


def import_sources(paths: Sequence[Path], root: Path) -> ImportReport:
    """Import every file into the params tree at ``root``, all or nothing (see :func:`read_sources`).

    Warnings about reading come first in the report (and before the errors of a refused import,
    since a label garbled by a guessed encoding is explained by them). A file that cannot be read
    stops the import, but the others are still checked, so one refusal lists every file's problems.
    """
    read = _gather(paths)
    refused = [*read.notes, *read.unreadable, *read.errors]
    try:
        plan = plan_import(read.records, paths[0], root, read.fields)
    except InputError as e:
        raise InputError([*refused, *e.problems]) from None
    if read.unreadable or read.errors:
        raise InputError(refused)
    report = apply_plan(plan)
    report.warnings = [*read.notes, *report.warnings]
    report.files = len(paths)
    report.unit = "个单元格" if read.workbooks == len(paths) else "条记录" if read.workbooks else "行"
    return report
