"""Tidy CSV in and out: one row per value cell, for data warehouses and spreadsheets.

Columns: ``agency_id, agency_name, year, table, row, column, value``. ``table`` is 二, 三 or 四;
``row`` and ``column`` are the official labels of that year's format version, exactly as
:class:`xxgk.formats.CellSpec` spells them (table 三 sub-rows and table 四 columns as ``/`` paths),
so a file means the same thing to a person reading it as to this module.

Import is all or nothing. The whole CSV is read and checked first, against the existing params
files it would touch, and every problem is gathered into one :class:`~xxgk.model.InputError`
before a single byte is written: a user fixing a 100,000-row file wants the complete list, not
one error per attempt. Only then are the new files staged next to their targets and moved into
place, so a failure while writing (disk full, permissions) also leaves the tree as it was.
Existing files get new table values through :func:`xxgk.paramfile.update_year_text`, which keeps
the narrative and every comment; a file whose values do not change is not touched at all.

Export writes the values as the data holds them, so export → import → export is byte-identical:
the importer reads back exactly the types the exporter writes (``12`` stays an int, ``12.50``
stays that Decimal, an amount keeps its unit).
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import functools
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal, TextIO

from xxgk import formats, model, paramfile
from xxgk.formats import CellSpec, FormatVersion
from xxgk.model import AMOUNT_UNITS, Agency, AgencyYear, Amount, InputError, Narrative, Problem, Tables, Value

COLUMNS: tuple[str, ...] = ("agency_id", "agency_name", "year", "table", "row", "column", "value")

# What real reports put in a cell that means "nothing": read as 0, with a warning (format-spec §7).
# The full-width forms are what a Chinese input method types for the same keys.
EMPTY_VALUES = frozenset({"", "/", "-", "—", "／", "－", "——"})

_INT = re.compile(r"[+-]?\d+")
_INTEGRAL = re.compile(r"[+-]?\d+\.0+")
_DECIMAL = re.compile(r"[+-]?\d+\.\d+")
_AMOUNT = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*(" + "|".join(AMOUNT_UNITS) + r")")
_YEAR = re.compile(r"\d{4}")


# --- export --------------------------------------------------------------------------------------


def value_text(v: Value) -> str:
    """A value as the CSV shows it; :func:`parse_value` reads it back as the same value and type.

    An int has no point and a Decimal always has one, so the type survives the trip. An amount's
    number drops a lone ``.0``: the data file writes every whole Decimal with ``.0``, so
    ``251000元`` and ``251000.0元`` are the same amount and both must export the same way.
    """
    if isinstance(v, Amount):
        number = format(v.value, "f")
        return number.removesuffix(".0") + v.unit
    if isinstance(v, Decimal):
        return paramfile.scalar(v)
    return str(v)


def export_rows(root: Path, agencies: Iterable[str] | None = None) -> Iterator[tuple[str, ...]]:
    """Every value cell under ``root`` as a CSV record (no header), in a deterministic order.

    Order: agency id, year, then the format's official cell order. The tree is read before the
    first record is yielded, and unreadable data stops the export (InputError) rather than leaving
    agency-years silently out of a warehouse load or half a file on stdout.
    """
    tree = model.load_tree(root, agencies)
    if tree.problems:
        raise InputError(tree.problems)
    return _records(sorted(tree.years, key=lambda a: (a.agency.id, a.year)))


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
    paramfile.write_atomic(path, buf.getvalue())
    return n


# --- reading the CSV -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TidyRow:
    """One record of a tidy CSV as written (stripped of surrounding spaces), with its line number."""

    line: int
    agency_id: str
    agency_name: str
    year: str
    table: str
    row: str
    column: str
    value: str


def read_csv(path: Path) -> list[TidyRow]:
    """Read a tidy CSV: UTF-8 (with or without the BOM Excel writes), header row first.

    Raises InputError for what makes the file unreadable as a whole (encoding, header, broken
    quoting, records with the wrong number of fields), listing every such problem. The labels and
    values are not judged here: that needs the params tree (see :func:`plan_import`).
    """
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError([Problem(file, f"无法读取文件：{e.strerror or e}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(
            [
                Problem(
                    file,
                    "文件不是 UTF-8 编码（Excel 请另存为“CSV UTF-8（逗号分隔）”）",
                    line=line,
                    value=repr(data[e.start : e.start + 4]),
                )
            ]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    rows: list[TidyRow] = []
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
                    Problem(
                        file,
                        f"本行有 {len(fields)} 个字段，表头有 {len(index)} 个",
                        line=line,
                        value=repr(",".join(record)),
                    )
                )
                continue
            rows.append(TidyRow(line, *(fields[index[c]] for c in COLUMNS)))
    except csv.Error as e:
        problems.append(Problem(file, f"CSV 格式错误：{e}", line=start))
    if index is None and not problems:
        problems.append(Problem(file, "文件是空的：第一行应为表头 " + ",".join(COLUMNS)))
    if problems:
        raise InputError(problems)
    return rows


def _header(fields: list[str], file: str, line: int, problems: list[Problem]) -> dict[str, int] | None:
    """Column positions by name; the columns may come in any order, but all seven, once each."""
    index: dict[str, int] = {}
    for i, name in enumerate(fields):
        if name in index:
            problems.append(Problem(file, "表头中重复的列", line=line, field=name, value=repr(name)))
        elif name not in COLUMNS:
            hint = _closest(name, COLUMNS)
            problems.append(Problem(file, f"未知的列{hint}；表头应为 {','.join(COLUMNS)}", line=line, value=repr(name)))
        index.setdefault(name, i)
    missing = [c for c in COLUMNS if c not in index]
    if missing:
        problems.append(Problem(file, f"表头缺少列 {'、'.join(missing)}；表头应为 {','.join(COLUMNS)}", line=line))
    return None if problems else index


# --- labels --------------------------------------------------------------------------------------


def _short(v: FormatVersion) -> str:
    """``2019试行版`` / ``2021版``: how a message names a version in a few characters."""
    return f"{v.id}{'试行' if '试行' in v.name else ''}版"


@dataclass(frozen=True)
class _Labels:
    """The labels one version accepts in a tidy CSV, and the official forms they stand for."""

    version: FormatVersion
    cells: dict[tuple[str, str, str], CellSpec]
    row_alias: dict[tuple[str, str], str]  # (table, row as written) → official row label
    rows: dict[str, tuple[str, ...]]  # table → official row labels, in order
    columns: dict[str, tuple[str, ...]]  # table → official column labels, in order
    row_columns: dict[tuple[str, str], tuple[str, ...]]


@functools.cache
def _labels(version_id: str) -> _Labels:
    v = formats.get(version_id)
    cells: dict[tuple[str, str, str], CellSpec] = {}
    rows: dict[str, dict[str, None]] = {t: {} for t in formats.TABLE_IDS}
    columns: dict[str, dict[str, None]] = {t: {} for t in formats.TABLE_IDS}
    row_columns: dict[tuple[str, str], list[str]] = {}
    for c in v.cells:
        cells[(c.table, c.row_label, c.column_label)] = c
        rows[c.table][c.row_label] = None
        columns[c.table][c.column_label] = None
        row_columns.setdefault((c.table, c.row_label), []).append(c.column_label)
    alias = {(t, r): r for t, rs in rows.items() for r in rs}
    # Table 三: the full path from the top heading (the results heading, then the row) is accepted too,
    # and a sub-row's own label may use "，" where the format has "、" (format-spec §4.3).
    for chain, leaf in v.t3_rows.leaves():
        official = "/".join(h.label for h in (*chain[1:], leaf))
        full = "/".join(h.label for h in (*chain, leaf))
        variants = {official, full}
        if chain[1:]:
            variants |= {p.rsplit("/", 1)[0] + "/" + leaf.label.replace("、", "，") for p in (official, full)}
        for text in variants:
            alias.setdefault(("t3", text), official)
    return _Labels(
        version=v,
        cells=cells,
        row_alias=alias,
        rows={t: tuple(rs) for t, rs in rows.items()},
        columns={t: tuple(cs) for t, cs in columns.items()},
        row_columns={k: tuple(cs) for k, cs in row_columns.items()},
    )


@functools.lru_cache(maxsize=4096)
def _closest(word: str, choices: tuple[str, ...]) -> str:
    """The three official labels most like ``word`` (cached: a bad label tends to repeat per row)."""
    close = difflib.get_close_matches(word, choices, n=3, cutoff=0.0)
    return "；最接近的官方标签是：" + "、".join(f"「{c}」" for c in close) if close else ""


def _other_version(table: str, text: str, what: Literal["row", "column"], version: FormatVersion) -> str | None:
    for other in formats.versions().values():
        if other.id == version.id:
            continue
        lab = _labels(other.id)
        if (what == "row" and (table, text) in lab.row_alias) or (what == "column" and text in lab.columns[table]):
            return f"；这是{_short(other)}格式的标签，本年度适用{_short(version)}格式（{version.basis}）"
    return None


# --- values --------------------------------------------------------------------------------------


def parse_value(text: str, kind: formats.CellKind) -> tuple[Value, bool] | str:
    """A CSV value for a cell of ``kind``: (value, was_empty), or why it is not acceptable.

    Only the type is checked: a negative count stays a number for the rules to report (I3), and a
    count written as ``8.0`` (as spreadsheets and pandas write whole numbers) is read as 8.
    A whole number stays an int even in a 万元 column, and a decimal stays a Decimal with the
    digits written, so the data file says what the CSV said.
    """
    if text in EMPTY_VALUES:
        return (Amount(Decimal(0), AMOUNT_UNITS[0]) if kind == "amount" else 0), True
    if kind == "amount":
        m = _AMOUNT.fullmatch(text)
        if m:
            return Amount(Decimal(m.group(1)), m.group(2)), False
        if _INT.fullmatch(text) or _DECIMAL.fullmatch(text):
            return f"金额须写明单位 {' 或 '.join(AMOUNT_UNITS)}（如 251000元）"
        return f"应为带单位的金额（如 251000元、25.1万元），单位为 {' 或 '.join(AMOUNT_UNITS)}"
    if _INT.fullmatch(text):
        return int(text), False
    if kind == "wan":
        if _DECIMAL.fullmatch(text):
            return Decimal(text), False
        if text.endswith("万元"):
            return "本列单位已是万元，只填数字（如 12.5）"
        return "应为数字（万元，如 12.5）"
    if _INTEGRAL.fullmatch(text):
        return int(Decimal(text)), False
    if _DECIMAL.fullmatch(text):
        return "应为整数（件数）"
    return "应为整数"


# --- planning an import --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedWrite:
    """One file the import will write: its new text, and the text it replaces (None: a new file)."""

    path: Path
    text: str
    old_text: str | None


@dataclass
class ImportPlan:
    """What an import would do, decided and checked completely before anything is written."""

    source: Path
    rows: int
    writes: list[PlannedWrite] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: int
    created: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"导入 {self.rows} 行：新建 {len(self.created)} 个文件，更新 {len(self.updated)} 个，"
            f"未变 {len(self.unchanged)} 个；{len(self.warnings)} 条警告"
        )


@dataclass
class _Cell:
    value: Value
    raw: str
    line: int


@dataclass
class _Group:
    """The CSV's cells of one agency-year, resolved against that year's format version."""

    agency_id: str
    year: int
    rows: list[TidyRow] = field(default_factory=list)


class _Problems:
    """Problems and warnings about one CSV file, reported in the order of its lines.

    Rows of one agency-year are checked together, so problems are found out of line order; each
    is kept with a sort key. The problems of an existing file that cannot be read follow the CSV
    problem that introduces them.
    """

    def __init__(self, file: Path) -> None:
        self.file = str(file)
        self._errors: list[tuple[tuple[bool, int, int], Problem]] = []
        self._warnings: list[tuple[tuple[bool, int, int], Problem]] = []

    def _key(self, line: int | None) -> tuple[bool, int, int]:
        return (line is None, line or 0, len(self._errors) + len(self._warnings))

    def error(self, line: int | None, field: str, message: str, label: str = "", value: str | None = None) -> None:
        self._errors.append((self._key(line), Problem(self.file, message, line, field, label, value)))

    def warn(self, line: int | None, field: str, message: str, label: str = "", value: str | None = None) -> None:
        self._warnings.append((self._key(line), Problem(self.file, message, line, field, label, value)))

    def follow(self, problems: list[Problem]) -> None:
        """Add another file's problems right after the last error (the one that explains them)."""
        line, seq = self._errors[-1][0][:2], self._errors[-1][0][2]
        self._errors.extend(((*line, seq), p) for p in problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for _, p in sorted(self._errors, key=lambda kp: kp[0])]

    @property
    def warnings(self) -> list[Problem]:
        return [p for _, p in sorted(self._warnings, key=lambda kp: kp[0])]


def plan_import(rows: list[TidyRow], source: Path, root: Path) -> ImportPlan:
    """Check every row against the format and the existing files; return the writes or raise.

    Raises InputError listing every problem found (data problems name the CSV line, the official
    labels and the bad value; an existing file that cannot be read is named with its own problems).
    """
    out = _Problems(source)
    if root.exists() and not root.is_dir():
        out.error(None, "", f"数据目录 {root} 不是目录")
        raise InputError(out.errors)
    groups: dict[tuple[str, int], _Group] = {}
    names: dict[str, dict[str, int]] = {}  # agency id → agency_name as written → first line
    first: dict[str, int] = {}  # agency id → its first line
    bad_ids: dict[str, str | None] = {}
    for r in rows:
        if r.agency_id not in bad_ids:
            bad_ids[r.agency_id] = _agency_id_problem(r.agency_id)
        msg = bad_ids[r.agency_id]
        if msg:
            out.error(r.line, "agency_id", msg, value=repr(r.agency_id))
            continue
        if not _YEAR.fullmatch(r.year):
            out.error(r.line, "year", "年份应为四位数字，如 2024", value=repr(r.year))
            continue
        year = int(r.year)
        if year < min(v.first_year for v in formats.versions().values()):
            out.error(r.line, "year", "该年度没有适用的格式：国家格式自 2019 年度起适用", value=r.year)
            continue
        first.setdefault(r.agency_id, r.line)
        if r.agency_name:
            names.setdefault(r.agency_id, {}).setdefault(r.agency_name, r.line)
        groups.setdefault((r.agency_id, year), _Group(r.agency_id, year)).rows.append(r)

    agencies: dict[str, Agency | None] = {}
    plan = ImportPlan(source=source, rows=len(rows))
    for agency_id in sorted({a for a, _ in groups}):
        agencies[agency_id] = _plan_agency(agency_id, names.get(agency_id, {}), first[agency_id], root, out, plan)

    for (agency_id, _year), group in sorted(groups.items()):
        agency = agencies[agency_id]
        if agency is not None:
            _plan_year(group, agency, root, out, plan)

    errors = out.errors
    if errors:
        raise InputError(errors)
    plan.warnings = out.warnings
    return plan


def _agency_id_problem(agency_id: str) -> str | None:
    if not agency_id:
        return "缺少机关标识（agency_id）"
    try:
        model.check_agency_id(agency_id)
    except InputError as e:
        return e.problems[0].message
    return None


def _plan_agency(
    agency_id: str, names: dict[str, int], line: int, root: Path, out: _Problems, plan: ImportPlan
) -> Agency | None:
    """The body's Agency (read, or new with agency.yaml planned); None if it cannot be used."""
    directory = root / agency_id
    path = directory / "agency.yaml"
    if directory.exists() and not directory.is_dir():
        out.error(line, "agency_id", f"{directory} 已存在且不是目录", value=repr(agency_id))
        return None
    if path.exists():
        try:
            agency = model.read_agency(directory)
        except (InputError, OSError, UnicodeDecodeError) as e:
            out.error(line, "agency_id", f"已有的机关信息文件 {path} 无法读取，请先修正它再导入", value=repr(agency_id))
            out.follow(e.problems if isinstance(e, InputError) else [Problem(str(path), str(e))])
            return None
        for name, name_line in names.items():
            if name != agency.name:
                out.warn(
                    name_line,
                    "agency_name",
                    f"与 {path} 中的机关名称“{agency.name}”不同；机关信息文件未修改",
                    value=repr(name),
                )
        return agency
    if not names:
        out.error(line, "agency_name", f"新机关 {agency_id} 需要填写机关名称（agency_name）", value=repr(""))
        return None
    if len(names) > 1:
        listed = "、".join(f"第{n}行“{name}”" for name, n in names.items())
        out.error(min(names.values()), "agency_name", f"同一机关标识 {agency_id} 对应了不同的机关名称：{listed}")
        return None
    agency = Agency(agency_id, next(iter(names)), None, None, path)
    plan.writes.append(PlannedWrite(path, paramfile.dump_agency(agency), None))
    return agency


def _plan_year(group: _Group, agency: Agency, root: Path, out: _Problems, plan: ImportPlan) -> None:
    path = root / agency.id / f"{group.year}.yaml"
    old: AgencyYear | None = None
    old_text: str | None = None
    if path.exists():
        try:
            old_text = path.read_text(encoding="utf-8")
            old = model.parse_year(old_text, path, agency, group.year)
        except (InputError, OSError, UnicodeDecodeError) as e:
            where = f"{agency.id}/{group.year}"
            out.error(group.rows[0].line, where, f"已有的数据文件 {path} 无法读取，请先修正它再导入")
            out.follow(e.problems if isinstance(e, InputError) else [Problem(str(path), str(e))])
            return
    version = old.format if old else formats.for_year(group.year)
    cells = _resolve_group(group, version, out)
    if cells is None:
        return
    if old is None:
        missing = [spec for spec in version.cells if (spec.table, spec.row, spec.column) not in cells]
        if missing:
            _missing(missing, version, group, out)
            return
        tables: Tables = {t: {r: {} for r in rows} for t, rows in version.layout.items()}
        for (t, r, c), cell in cells.items():
            tables[t][r][c] = cell.value
        ay = AgencyYear(agency=agency, year=group.year, format=version, tables=tables, narrative=Narrative(), path=path)
        plan.writes.append(PlannedWrite(path, paramfile.dump_year(ay), None))
        return
    assert old_text is not None
    changed = False
    tables = {t: {r: dict(cs) for r, cs in rows.items()} for t, rows in old.tables.items()}
    for (t, r, c), cell in cells.items():
        before = tables[t][r][c]
        if type(before) is not type(cell.value) or paramfile.scalar(before) != paramfile.scalar(cell.value):
            tables[t][r][c] = cell.value
            changed = True
    if not changed:
        plan.unchanged.append(path)
        return
    text = paramfile.update_year_text(old_text, old, tables)
    if text == old_text:
        plan.unchanged.append(path)
        return
    # When only the canonical tables block was swapped, the text is right by construction. Otherwise
    # (the user edited inside the block and the values were changed in place) it must read back as
    # the same data: a surprise there is a bug, and must not become the user's loss.
    old_block = paramfile.tables_block(old.format, old.tables)
    swapped = old_text.replace(old_block, paramfile.tables_block(old.format, tables), 1)
    if old_block not in old_text or text != swapped:
        check = model.parse_year(text, path, agency, group.year)
        if check.tables != tables or check.narrative != old.narrative or check.facts != old.facts:
            raise RuntimeError(f"internal error: updating {path} would not keep its data; nothing was written")
    plan.writes.append(PlannedWrite(path, text, old_text))


def _resolve_group(group: _Group, version: FormatVersion, out: _Problems) -> dict[tuple[str, str, str], _Cell] | None:
    """Each row's cell and value; problems are added to ``out`` and make the result None."""
    lab = _labels(version.id)
    tables = {name: t for t, name in version.table_names.items()}
    cells: dict[tuple[str, str, str], _Cell] = {}
    ok = True
    for r in group.rows:
        t = tables.get(r.table)
        if t is None:
            allowed = "、".join(tables)
            out.error(r.line, "table", f"表格应为 {allowed} 之一", value=repr(r.table))
            ok = False
            continue
        spec = _resolve_cell(r, t, lab, out)
        if spec is None:
            ok = False
            continue
        parsed = parse_value(r.value, spec.kind)
        if isinstance(parsed, str):
            out.error(r.line, "value", parsed, label=spec.label, value=repr(r.value))
            ok = False
            continue
        value, empty = parsed
        if empty:
            out.warn(r.line, "value", "空白或占位符按 0 读入", label=spec.label, value=repr(r.value))
        cells_key = (spec.table, spec.row, spec.column)
        seen = cells.get(cells_key)
        if seen is None:
            cells[cells_key] = _Cell(value, r.value, r.line)
        elif type(seen.value) is type(value) and seen.value == value:
            out.warn(r.line, "value", f"与第{seen.line}行是同一单元格，数值相同", label=spec.label, value=repr(r.value))
        else:
            out.error(
                r.line,
                "value",
                f"与第{seen.line}行是同一单元格，但数值不同（第{seen.line}行为 {seen.raw!r}）",
                label=spec.label,
                value=repr(r.value),
            )
            ok = False
    return cells if ok else None


def _resolve_cell(r: TidyRow, t: str, lab: _Labels, out: _Problems) -> CellSpec | None:
    version = lab.version
    title = version.table_title(t)
    if t == "t4":
        row: str | None = ""
        if r.row:
            out.error(r.line, "row", f"{title}只有一行数据，没有行标签：row 应留空", label=title, value=repr(r.row))
            row = None
    else:
        row = lab.row_alias.get((t, r.row))
        if row is None:
            if not r.row:
                message = f"缺少{title}的行标签（row）"
            else:
                message = f"{title}中没有这一行" + (
                    _other_version(t, r.row, "row", version) or _closest(r.row, lab.rows[t])
                )
            out.error(r.line, "row", message, label=title, value=repr(r.row))
    col_ok = r.column in lab.columns[t]
    if not col_ok:
        if not r.column:
            message = f"缺少{title}的列标签（column）"
        else:
            message = f"{title}中没有这一列" + (
                _other_version(t, r.column, "column", version) or _closest(r.column, lab.columns[t])
            )
        where = f"{title} {row}" if row else title
        out.error(r.line, "column", message, label=where, value=repr(r.column))
    if row is None or not col_ok:
        return None
    spec = lab.cells.get((t, row, r.column))
    if spec is None:
        allowed = "、".join(f"「{c}」" for c in lab.row_columns[(t, row)])
        out.error(
            r.line,
            "column",
            f"{title}的“{row}”这一行没有这一列；该行的列为：{allowed}",
            label=f"{title} {row}",
            value=repr(r.column),
        )
    return spec


def _missing(missing: list[CellSpec], version: FormatVersion, group: _Group, out: _Problems) -> None:
    """A new data file needs every cell: no silent 0 for a cell the CSV forgot."""
    where = f"新建的数据文件 {group.agency_id}/{group.year}.yaml 须包含{_short(version)}格式的每个单元格"
    cell = f"{group.agency_id}/{group.year}"
    for t in formats.TABLE_IDS:
        gone = [s for s in missing if s.table == t]
        if not gone:
            continue
        total = len(version.table_cells(t))
        title = version.table_title(t)
        if len(gone) == total:
            out.error(None, cell, f"CSV 中缺少{title}的全部 {total} 个单元格；{where}", label=title)
        else:
            for s in gone:
                out.error(None, cell, f"CSV 中缺少这个单元格；{where}（没有的填 0）", label=s.label)


# --- writing -------------------------------------------------------------------------------------


def apply_plan(plan: ImportPlan) -> ImportReport:
    """Write every planned file, all or nothing.

    All new texts are first written to temporary files beside their targets; only when every one
    is on disk, and no target has changed since it was read, are they moved into place. Any
    failure before that point removes the temporary files (and folders this call created), so the
    params tree is exactly as it was.
    """
    report = ImportReport(rows=plan.rows, unchanged=list(plan.unchanged), warnings=list(plan.warnings))
    staged: list[tuple[Path, PlannedWrite]] = []
    made_dirs: list[Path] = []
    done = False
    try:
        for w in plan.writes:
            _mkdirs(w.path.parent, made_dirs)
            fd, tmp = tempfile.mkstemp(prefix=f".{w.path.name}.", suffix=".tmp", dir=w.path.parent)
            staged.append((Path(tmp), w))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(w.text)
            os.chmod(tmp, paramfile.file_mode(w.path))
        moved = [
            Problem(str(w.path), "导入期间此文件被其他程序修改或创建；未写入任何文件，请重新导入")
            for _, w in staged
            if _current(w.path) != w.old_text
        ]
        if moved:
            raise InputError(moved)
        for tmp, w in staged:
            os.replace(tmp, w.path)
            (report.created if w.old_text is None else report.updated).append(w.path)
        done = True
    finally:
        if not done:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            for d in reversed(made_dirs):
                with contextlib.suppress(OSError):
                    d.rmdir()
    return report


def _mkdirs(directory: Path, made: list[Path]) -> None:
    missing: list[Path] = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    for d in reversed(missing):
        d.mkdir()
        made.append(d)


def _current(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def import_csv(path: Path, root: Path) -> ImportReport:
    """Import a tidy CSV into the params tree at ``root``: create or update data files, or raise.

    Raises InputError (with every problem, nothing written) when the CSV or a file it would touch
    is wrong. Warnings (empty cells read as 0, an agency name that differs from agency.yaml,
    repeated rows) are in the report.
    """
    rows = read_csv(path)
    return apply_plan(plan_import(rows, path, root))
