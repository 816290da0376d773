"""One import plan for any source: check every record against the format and the files it touches,
then write all of it or nothing.

Import is all or nothing. All records are checked first, against the existing params files they
would touch, and every problem is gathered into one :class:`~xxgk.data.diagnostics.InputError`
before a single byte is written: a user fixing a 100,000-row file wants the complete list, not one
error per attempt. Only then are the new files staged next to their targets and moved into place,
so a failure while writing (disk full, permissions) also leaves the tree as it was. Existing files
get new table values through :func:`xxgk.data.paramfile.update_year_text`, which keeps the
narrative and every comment; a file whose values do not change is not touched at all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xxgk import formats
from xxgk.data import model, paramfile, tree
from xxgk.data.atomic import file_mode, named, replace_all
from xxgk.data.diagnostics import (
    BLANK_CELL,
    IMPORT_NOTICE,
    UNREADABLE,
    Diagnostic,
    InputError,
    Severity,
    excerpt,
    problem,
)
from xxgk.data.model import Agency, AgencyYear, Facts, Narrative, Tables, Value
from xxgk.data.yamlfile import parse_year
from xxgk.exchange.labels import Labels, closest_label, labels, other_version, short_version
from xxgk.exchange.records import CellRecord, YearFields
from xxgk.exchange.values import parse_value
from xxgk.formats import CellSpec, FormatVersion

_YEAR = re.compile(r"\d{4}")


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
    warnings: list[Diagnostic] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: int
    created: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    files: int = 1
    unit: str = "行"
    """What ``rows`` counts: CSV lines, or a form's cells."""

    def summary(self) -> str:
        source = f"{self.files} 个文件、" if self.files > 1 else ""
        return (
            f"导入 {source}{self.rows} {self.unit}：新建 {len(self.created)} 个文件，更新 {len(self.updated)} 个，"
            f"未变 {len(self.unchanged)} 个；{len(self.warnings)} 条警告"
        )


@dataclass
class _Cell:
    value: Value
    raw: str
    record: CellRecord


def _place(seen: CellRecord, here: CellRecord) -> str:
    """Where ``seen`` is, as a message about ``here`` names it (with its file when that differs)."""
    if seen.file and seen.file != here.file:
        name = Path(seen.file).name
        shown = seen.file if name == Path(here.file).name else name
        return f" {shown} {seen.where} "
    return seen.where


@dataclass
class _Group:
    """The source's cells of one agency-year (and its other fields, if the source has them)."""

    agency_id: str
    year: int
    rows: list[CellRecord] = field(default_factory=list)
    fields: YearFields | None = None


class _Problems:
    """Problems and warnings about the source files, reported in the order of the files and their lines.

    Rows of one agency-year are checked together, so problems are found out of order; each is kept
    with a sort key (file, line, sequence). A problem about a record names it where the user finds
    it: the CSV line, or the workbook cell (``表三!D12``). The problems of an existing file that
    cannot be read follow the problem that introduces them.
    """

    def __init__(self, file: Path) -> None:
        self.file = str(file)
        self._files: dict[str, int] = {self.file: 0}
        self._errors: list[tuple[tuple[int, bool, int, int], Diagnostic]] = []
        self._warnings: list[tuple[tuple[int, bool, int, int], Diagnostic]] = []

    def _key(self, file: str, line: int | None) -> tuple[int, bool, int, int]:
        order = self._files.setdefault(file, len(self._files))
        return (order, line is None, line or 0, len(self._errors) + len(self._warnings))

    def _add(
        self,
        where: int | CellRecord | None,
        field: str,
        message: str,
        label: str,
        value: str | None,
        rule: str = UNREADABLE,
        severity: Severity = "error",
    ) -> tuple[tuple[int, bool, int, int], Diagnostic]:
        line: int | None
        if isinstance(where, CellRecord):
            file, line = where.file or self.file, where.line
            shown_line, field = (None, where.ref) if where.ref else (line, field)
            sheet = where.ref.split("!", 1)[0] + " "
            label = label.removeprefix(sheet) if where.ref and label.startswith(sheet) else label
        else:
            file, line, shown_line = self.file, where, where
        d = problem(file, message, shown_line, field, label, value, rule=rule, severity=severity)
        return self._key(file, line), d

    def error(
        self, where: int | CellRecord | None, field: str, message: str, label: str = "", value: str | None = None
    ) -> None:
        self._errors.append(self._add(where, field, message, label, value))

    def warn(
        self,
        where: int | CellRecord | None,
        field: str,
        message: str,
        label: str = "",
        value: str | None = None,
        rule: str = IMPORT_NOTICE,
    ) -> None:
        self._warnings.append(self._add(where, field, message, label, value, rule=rule, severity="warning"))

    def follow(self, problems: list[Diagnostic]) -> None:
        """Add another file's problems right after the last error (the one that explains them)."""
        key = self._errors[-1][0]
        self._errors.extend((key, p) for p in problems)

    @property
    def errors(self) -> list[Diagnostic]:
        return [p for _, p in sorted(self._errors, key=lambda kp: kp[0])]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [p for _, p in sorted(self._warnings, key=lambda kp: kp[0])]


def plan_import(rows: list[CellRecord], source: Path, root: Path, fields: Sequence[YearFields] = ()) -> ImportPlan:
    """Check every row against the format and the existing files; return the writes or raise.

    ``fields``: the publication date, facts and narrative of agency-years the source states
    them for (the Excel form); they replace those of the data file. The tidy CSV has none, and
    leaves them as the file has them.

    Raises InputError listing every problem found (data problems name the CSV line, the official
    labels and the bad value; an existing file that cannot be read is named with its own problems).
    """
    out = _Problems(source)
    if root.exists() and not root.is_dir():
        out.error(None, "", f"数据目录 {root} 不是目录")
        raise InputError(out.errors)
    if not rows:
        out.warn(None, "", "文件中没有数据（CSV 只有表头）：未导入任何内容")
    groups: dict[tuple[str, int], _Group] = {}
    names: dict[str, dict[str, CellRecord]] = {}  # agency id → agency_name as written → its first record
    first: dict[str, CellRecord] = {}  # agency id → its first record
    bad_ids: dict[str, str | None] = {}
    for r in rows:
        if r.agency_id not in bad_ids:
            bad_ids[r.agency_id] = _agency_id_problem(r.agency_id)
        msg = bad_ids[r.agency_id]
        if msg:
            out.error(r, "agency_id", msg, value=(r.agency_id))
            continue
        if not _YEAR.fullmatch(r.year):
            out.error(r, "year", "年份应为四位数字，如 2024", value=(r.year))
            continue
        year = int(r.year)
        try:
            formats.check_report_year(year)
        except ValueError as e:
            out.error(r, "year", str(e))
            continue
        first.setdefault(r.agency_id, r)
        if r.agency_name:
            names.setdefault(r.agency_id, {}).setdefault(r.agency_name, r)
        groups.setdefault((r.agency_id, year), _Group(r.agency_id, year)).rows.append(r)

    for f in fields:
        g = groups.get((f.agency_id, f.year))
        if g is None:
            raise ValueError(f"fields for {f.agency_id}/{f.year} without any of its cells")  # a reader's bug
        g.fields = f

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
        tree.check_agency_id(agency_id)
    except InputError:
        return tree.AGENCY_ID_RULE
    return None


def _link(root: Path, path: Path, line: CellRecord, field: str, out: _Problems) -> bool:
    """Refuse (and name) a symbolic link on the way to a file the import would write or update."""
    link = paramfile.first_link(root, path)
    if link is None:
        return False
    out.error(line, field, f"{link} {paramfile.LINKED}", value=paramfile.link_target(link))
    return True


def _plan_agency(
    agency_id: str, names: dict[str, CellRecord], line: CellRecord, root: Path, out: _Problems, plan: ImportPlan
) -> Agency | None:
    """The body's Agency (read, or new with agency.yaml planned); None if it cannot be used."""
    directory = tree.agency_dir(root, agency_id)
    path = tree.agency_file(directory)
    if _link(root, directory, line, "agency_id", out):
        return None
    if directory.exists() and not directory.is_dir():
        out.error(line, "agency_id", f"{directory} 已存在且不是目录", value=(agency_id))
        return None
    bad_names = [
        (name_line, bad, name)
        for name, name_line in names.items()
        if (bad := model.name_problem(name, model.AGENCY_NAME))
    ]
    for name_line, bad, name in bad_names:
        out.error(name_line, "agency_name", bad, value=name)
    if bad_names:
        return None
    if path.exists():
        try:
            agency = tree.read_agency(directory)
        except (InputError, OSError, UnicodeDecodeError) as e:
            out.error(line, "agency_id", f"已有的机关信息文件 {path} 无法读取，请先修正它再导入", value=(agency_id))
            out.follow(e.problems if isinstance(e, InputError) else [problem(str(path), str(e))])
            return None
        for name, name_line in names.items():
            if name != agency.name:
                out.warn(
                    name_line,
                    "agency_name",
                    f"与 {path} 中的机关名称“{agency.name}”不同；机关信息文件未修改",
                    value=(name),
                )
        return agency
    if not names:
        out.error(line, "agency_name", f"新机关 {agency_id} 需要填写机关名称（agency_name）", value=(""))
        return None
    if len(names) > 1:
        listed = "、".join(f"{n.where} {excerpt(name)}" for name, n in names.items())
        out.error(
            min(names.values(), key=lambda n: n.line),
            "agency_name",
            f"同一机关标识 {agency_id} 对应了不同的机关名称：{listed}",
        )
        return None
    if _link(root, path, line, "agency_id", out):  # a dangling link: the write would replace it
        return None
    agency = Agency(agency_id, next(iter(names)), None, None, path)
    plan.writes.append(PlannedWrite(path, paramfile.dump_agency(agency), None))
    return agency


def _plan_year(group: _Group, agency: Agency, root: Path, out: _Problems, plan: ImportPlan) -> None:
    path = tree.year_path(root, agency.id, group.year)
    if _link(root, path, group.rows[0], f"{agency.id}/{group.year}", out):
        return
    old: AgencyYear | None = None
    old_text: str | None = None
    blanks: set[tuple[str, str, str]] = set()  # cells a draft (``xxgk new``) has left empty
    if path.exists():
        try:
            old_text = path.read_text(encoding="utf-8")
            old = parse_year(old_text, path, agency, group.year, blanks=blanks)
        except (InputError, OSError, UnicodeDecodeError) as e:
            where = f"{agency.id}/{group.year}"
            out.error(group.rows[0], where, f"已有的数据文件 {path} 无法读取，请先修正它再导入")
            out.follow(e.problems if isinstance(e, InputError) else [problem(str(path), str(e))])
            return
    version = old.format if old else formats.for_year(group.year)
    if group.fields is not None and group.fields.format and group.fields.format != version.id:
        made = formats.get(group.fields.format)
        out.error(
            dataclasses.replace(group.rows[0], ref=f"{agency.id}/{group.year}"),
            "",
            f"填报表是{short_version(made)}格式，{group.year} 年度的数据文件适用{short_version(version)}格式"
            f"（{version.basis}）：请用 xxgk form {agency.id} {group.year} 重新生成填报表",
        )
        return
    cells = _resolve_group(group, version, out)
    if cells is None:
        return
    fields = group.fields
    if old is None:
        missing = [spec for spec in version.cells if (spec.table, spec.row, spec.column) not in cells]
        if missing:
            _missing(missing, version, group, out)
            return
        tables: Tables = {t: {r: {} for r in rows} for t, rows in version.layout.items()}
        for (t, r, c), cell in cells.items():
            tables[t][r][c] = cell.value
        ay = AgencyYear(
            agency=agency,
            year=group.year,
            format=version,
            tables=tables,
            published=fields.published if fields else None,
            facts=fields.facts if fields else Facts(),
            narrative=fields.narrative if fields else Narrative(),
            path=path,
            source=fields.source if fields else None,
        )
        plan.writes.append(PlannedWrite(path, paramfile.dump_year(ay), None))
        return
    assert old_text is not None
    changed = False
    tables = {t: {r: dict(cs) for r, cs in rows.items()} for t, rows in old.tables.items()}
    for (t, r, c), cell in cells.items():
        before = tables[t][r][c]
        if (
            (t, r, c) in blanks
            or type(before) is not type(cell.value)
            or paramfile.scalar(before) != paramfile.scalar(cell.value)
        ):
            tables[t][r][c] = cell.value
            changed = True
    new_fields = fields is not None and (
        fields.published != old.published
        or fields.facts != old.facts
        or fields.narrative != old.narrative
        or (fields.source is not None and fields.source != old.source)
    )
    if not changed and not new_fields:
        plan.unchanged.append(path)
        return
    text = paramfile.update_year_text(old_text, old, tables) if changed else old_text
    published, facts, narrative, source = old.published, old.facts, old.narrative, old.source
    if fields is not None and new_fields:
        published, facts, narrative = fields.published, fields.facts, fields.narrative
        source = fields.source or old.source
        text = paramfile.update_year_fields(text, published, facts, narrative, fields.source)
    if text == old_text:
        plan.unchanged.append(path)
        return
    # When only the canonical tables block was swapped, the text is right by construction. Otherwise
    # (the user edited inside the block and the values were changed in place, or the narrative was
    # rewritten) it must read back as the data meant: a surprise there is a bug, and must not become
    # the user's loss.
    old_block = paramfile.tables_block(old.format, old.tables)
    swapped = old_text.replace(old_block, paramfile.tables_block(old.format, tables), 1)
    if new_fields or blanks or old_block not in old_text or text != swapped:
        check = parse_year(text, path, agency, group.year)
        if (
            check.tables != tables
            or check.narrative != narrative
            or check.facts != facts
            or check.published != published
            or check.source != source
            or check.illustrative != old.illustrative
        ):
            raise RuntimeError(f"internal error: updating {path} would not keep its data; nothing was written")
    plan.writes.append(PlannedWrite(path, text, old_text))


def _resolve_group(group: _Group, version: FormatVersion, out: _Problems) -> dict[tuple[str, str, str], _Cell] | None:
    """Each row's cell and value; problems are added to ``out`` and make the result None."""
    lab = labels(version.id)
    tables = {name: t for t, name in version.table_names.items()}
    cells: dict[tuple[str, str, str], _Cell] = {}
    ok = True
    for r in group.rows:
        t = tables.get(r.table)
        if t is None:
            allowed = "、".join(tables)
            out.error(r, "table", f"表格应为 {allowed} 之一", value=(r.table))
            ok = False
            continue
        spec = _resolve_cell(r, t, lab, out)
        if spec is None:
            ok = False
            continue
        parsed = parse_value(r.value, spec.kind)
        if isinstance(parsed, str):
            out.error(r, "value", parsed, label=spec.label, value=(r.value))
            ok = False
            continue
        value, empty = parsed
        if empty:
            out.warn(r, "value", "空白或占位符按 0 读入", label=spec.label, value=r.value, rule=BLANK_CELL)
        cells_key = (spec.table, spec.row, spec.column)
        seen = cells.get(cells_key)
        if seen is None:
            cells[cells_key] = _Cell(value, r.value, r)
        elif type(seen.value) is type(value) and seen.value == value:
            out.warn(r, "value", f"与{_place(seen.record, r)}是同一单元格，数值相同", label=spec.label, value=(r.value))
        else:
            there = _place(seen.record, r)
            out.error(
                r,
                "value",
                f"与{there}是同一单元格，但数值不同（{there}为 {seen.raw!r}）",
                label=spec.label,
                value=(r.value),
            )
            ok = False
    return cells if ok else None


def _resolve_cell(r: CellRecord, t: str, lab: Labels, out: _Problems) -> CellSpec | None:
    version = lab.version
    title = version.table_title(t)
    if t == "t4":
        row: str | None = ""
        if r.row:
            out.error(r, "row", f"{title}只有一行数据，没有行标签：row 应留空", label=title, value=(r.row))
            row = None
    else:
        row = lab.row(t, r.row)
        if row is None:
            if not r.row:
                message = f"缺少{title}的行标签（row）"
            else:
                message = f"{title}中没有这一行" + (
                    other_version(t, r.row, "row", version) or closest_label(r.row, lab.rows[t])
                )
            out.error(r, "row", message, label=title, value=(r.row))
    column = lab.column(t, r.column)
    col_ok = column is not None
    if not col_ok:
        if not r.column:
            message = f"缺少{title}的列标签（column）"
        else:
            message = f"{title}中没有这一列" + (
                other_version(t, r.column, "column", version) or closest_label(r.column, lab.columns[t])
            )
        where = f"{title} {row}" if row else title
        out.error(r, "column", message, label=where, value=(r.column))
    if row is None or column is None:
        return None
    spec = lab.cells.get((t, row, column))
    if spec is None:
        allowed = "、".join(f"「{c}」" for c in lab.row_columns[(t, row)])
        out.error(
            r.line,
            "column",
            f"{title}的“{row}”这一行没有这一列；该行的列为：{allowed}",
            label=f"{title} {row}",
            value=(r.column),
        )
    return spec


def _missing(missing: list[CellSpec], version: FormatVersion, group: _Group, out: _Problems) -> None:
    """A new data file needs every cell: no silent 0 for a cell the CSV forgot."""
    where = f"新建的数据文件 {group.agency_id}/{group.year}.yaml 须包含{short_version(version)}格式的每个单元格"
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


def apply_plan(plan: ImportPlan) -> ImportReport:
    """Write every planned file, all or nothing.

    All new texts are first written (and synced) to temporary files beside their targets; only
    when every one is on disk, and no target has changed since it was read, are they moved into
    place, together (:func:`xxgk.data.atomic.replace_all`: a rename that fails half-way puts the
    files already moved back). Any failure removes the temporary files (and folders this call
    created), so the params tree is exactly as it was; an :class:`OSError` (a full disk, a size
    limit, a read-only folder) names the data file, never a temporary one.
    """
    report = ImportReport(rows=plan.rows, unchanged=list(plan.unchanged), warnings=list(plan.warnings))
    staged: dict[Path, Path] = {}
    made_dirs: list[Path] = []
    done = False
    try:
        for w in plan.writes:
            _mkdirs(w.path.parent, made_dirs)
            try:
                fd, tmp_name = tempfile.mkstemp(prefix=f".{w.path.name}.", suffix=".tmp", dir=w.path.parent)
            except OSError as e:
                raise named(e, w.path) from e
            tmp = Path(tmp_name)
            staged[w.path] = tmp
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                    f.write(w.text)
                    f.flush()
                    os.fsync(f.fileno())
                os.chmod(tmp, file_mode(w.path))
            except OSError as e:
                raise named(e, w.path) from e
        moved = [
            problem(str(w.path), "导入期间此文件被其他程序修改或创建；未写入任何文件，请重新导入")
            for w in plan.writes
            if _current(w.path) != w.old_text
        ]
        if moved:
            raise InputError(moved)
        replace_all(staged)
        for w in plan.writes:
            (report.created if w.old_text is None else report.updated).append(w.path)
        done = True
    finally:
        if not done:
            for tmp in staged.values():
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


def import_records(
    records: list[CellRecord], source: Path, root: Path, fields: Sequence[YearFields] = ()
) -> ImportReport:
    """Check ``records`` (read from ``source``) against ``root`` and write them, all or nothing."""
    return apply_plan(plan_import(records, source, root, fields))
