"""Tidy CSV in and out: one row per value cell, for data warehouses and spreadsheets.

Columns: ``agency_id, agency_name, year, table, row, column, value``. ``table`` is 二, 三 or 四;
``row`` and ``column`` are the official labels of that year's format version, exactly as
:class:`xxgk.formats.CellSpec` spells them (table 三 sub-rows and table 四 columns as ``/`` paths),
so a file means the same thing to a person reading it as to this module.

Export writes the values as the data holds them, so export → import → export is byte-identical:
the importer reads back exactly the types the exporter writes (``12`` stays an int, ``12.50``
stays that Decimal, an amount keeps its unit). Import goes through the one import plan of
:mod:`xxgk.exchange.plan`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from xxgk.data import tree
from xxgk.data.atomic import write_atomic
from xxgk.data.diagnostics import Diagnostic, InputError, problem
from xxgk.data.model import AgencyYear
from xxgk.exchange.labels import closest_label
from xxgk.exchange.plan import ImportReport, import_records
from xxgk.exchange.records import CellRecord
from xxgk.exchange.values import value_text

COLUMNS: tuple[str, ...] = ("agency_id", "agency_name", "year", "table", "row", "column", "value")


# --- export --------------------------------------------------------------------------------------


def export_rows(root: Path, agencies: Iterable[str] | None = None) -> Iterator[tuple[str, ...]]:
    """Every value cell under ``root`` as a CSV record (no header), in a deterministic order.

    Order: agency id, year, then the format's official cell order. The tree is read before the
    first record is yielded, and unreadable data stops the export (InputError) rather than leaving
    agency-years silently out of a warehouse load or half a file on stdout.
    """
    loaded = tree.load_tree(root, agencies)
    if loaded.problems:
        raise InputError(loaded.problems)
    return _records(sorted(loaded.years, key=lambda a: (a.agency.id, a.year)))


def _records(years: list[AgencyYear]) -> Iterator[tuple[str, ...]]:
    for ay in years:
        names = ay.format.table_names
        year = str(ay.year)
        for spec, v in ay.cells():
            yield (
                ay.agency.id,
                ay.agency.name,
                year,
                names[spec.table],
                spec.row_label,
                spec.column_label,
                value_text(v),
            )


def export_csv(root: Path, out: TextIO, agencies: Iterable[str] | None = None) -> int:
    """Write the tidy CSV (header first, ``\\n`` line ends) of everything under ``root``; return its rows.

    ``out`` should be opened with ``newline=""`` (or be a StringIO) so the line ends stay ``\\n``.
    """
    records = export_rows(root, agencies)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for record in records:
        writer.writerow(record)
        n += 1
    return n


def export_file(root: Path, path: Path, agencies: Iterable[str] | None = None) -> int:
    """Export to ``path`` (UTF-8) through a temporary file, so a failed export leaves no half file."""
    buf = io.StringIO(newline="")
    n = export_csv(root, buf, agencies)
    write_atomic(path, buf.getvalue())
    return n


# --- reading the CSV -----------------------------------------------------------------------------


def read_csv(path: Path) -> list[CellRecord]:
    """Read a tidy CSV: UTF-8 (with or without the BOM Excel writes), header row first.

    Raises InputError for what makes the file unreadable as a whole (encoding, header, broken
    quoting, records with the wrong number of fields), listing every such problem. The labels and
    values are not judged here: that needs the params tree (see :func:`plan_import`).
    """
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError([problem(file, f"无法读取文件：{e.strerror or e}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(
            [
                problem(
                    file,
                    "文件不是 UTF-8 编码（Excel 请另存为“CSV UTF-8（逗号分隔）”）",
                    line=line,
                    value=(data[e.start : e.start + 4]),
                )
            ]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Diagnostic] = []
    rows: list[CellRecord] = []
    index: dict[str, int] | None = None
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            fields = [f.strip() for f in record]
            if not any(fields):
                continue  # blank lines, and the empty rows spreadsheets leave at the end
            if index is None:
                index = _header(fields, file, line, problems)
                if index is None:
                    raise InputError(problems)
                continue
            if len(fields) != len(index):
                problems.append(
                    problem(
                        file,
                        f"本行有 {len(fields)} 个字段，表头有 {len(index)} 个",
                        line=line,
                        value=(",".join(record)),
                    )
                )
                continue
            rows.append(CellRecord(line, *(fields[index[c]] for c in COLUMNS)))
    except csv.Error as e:
        problems.append(problem(file, f"CSV 格式错误：{e}", line=start))
    if index is None and not problems:
        problems.append(problem(file, "文件是空的：第一行应为表头 " + ",".join(COLUMNS)))
    if problems:
        raise InputError(problems)
    return rows


def _header(fields: list[str], file: str, line: int, problems: list[Diagnostic]) -> dict[str, int] | None:
    """Column positions by name; the columns may come in any order, but all seven, once each."""
    index: dict[str, int] = {}
    for i, name in enumerate(fields):
        if name in index:
            problems.append(problem(file, "表头中重复的列", line=line, field=name, value=(name)))
        elif name not in COLUMNS:
            hint = closest_label(name, COLUMNS)
            problems.append(problem(file, f"未知的列{hint}；表头应为 {','.join(COLUMNS)}", line=line, value=(name)))
        index.setdefault(name, i)
    missing = [c for c in COLUMNS if c not in index]
    if missing:
        problems.append(problem(file, f"表头缺少列 {'、'.join(missing)}；表头应为 {','.join(COLUMNS)}", line=line))
    return None if problems else index


def import_csv(path: Path, root: Path) -> ImportReport:
    """Import a tidy CSV into the params tree at ``root``: create or update data files, or raise.

    Raises InputError (with every problem, nothing written) when the CSV or a file it would touch
    is wrong. Warnings (empty cells read as 0, an agency name that differs from agency.yaml,
    repeated rows) are in the report.
    """
    rows = read_csv(path)
    return import_records(rows, path, root)
