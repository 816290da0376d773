"""Reading params YAML: fast when the file is right, every problem named by line when it is not.

A data file is read fast (libyaml, no node positions) and validated against the format version of
its year. Only when something is wrong is the file parsed again with positions, so that every
problem names its line. Problems of this kind mean the file cannot be read as a report at all
(rule P0: ``xxgk check`` exits 2); problems with the numbers themselves are the job of
:mod:`xxgk.check`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from xxgk import formats
from xxgk.data.diagnostics import Diagnostic, InputError, closest_hint, problem
from xxgk.data.model import (
    AMOUNT_UNITS,
    Agency,
    AgencyInfo,
    AgencyYear,
    Amount,
    Facts,
    Narrative,
    Strict,
    Tables,
    Value,
)
from xxgk.formats import FormatVersion

YEAR_FILE_NAME = "数据文件名应为四位年份，如 2024.yaml"


class YearHead(Strict):
    """The fixed fields of a year's data file (the tables are read against the format, not by pydantic)."""

    year: int | None = None
    format: str | None = None
    published: dt.date | None = None
    illustrative: str | None = None
    facts: Facts = Facts()
    narrative: Narrative = Narrative()
    tables: dict[str, Any]

    @pydantic.field_validator("format")
    @classmethod
    def _known_format(cls, v: str | None) -> str | None:
        if v is not None and v not in formats.versions():
            raise ValueError(f"格式版本应为 {'、'.join(formats.versions())} 之一")
        return v


class _Loader(yaml.CSafeLoader):
    """libyaml's safe loader, but floats become Decimal so 万元 keep the precision written."""


def _decimal(loader: yaml.Loader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        return Decimal(text)
    except InvalidOperation:  # .inf, .nan
        return Decimal("NaN")


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


def _parse(path: Path, text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # a subclass of CSafeLoader
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise InputError([problem(str(path), f"YAML 语法错误：{e.problem or e}", line=line)]) from None
    except yaml.YAMLError as e:
        raise InputError([problem(str(path), f"YAML 无法读取：{e}")]) from None


def _lines(text: str) -> dict[tuple[str, ...], int]:
    """Map each key path of a YAML mapping tree to its line: only computed when reporting."""
    out: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        out.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = (*path, str(k.value))
                out[key] = k.start_mark.line + 1
                walk(v, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, (*path, str(i)))

    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return out
    if root is not None:
        walk(root, ())
    return out


def key_lines(path: Path) -> dict[tuple[str, ...], int]:
    """Line of every key path in a data file (for findings that point into it)."""
    try:
        return _lines(path.read_text(encoding="utf-8"))
    except OSError:
        return {}


def _line_for(lines: dict[tuple[str, ...], int], path: tuple[str, ...]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


@dataclass
class _Collector:
    path: Path
    text: str
    problems: list[Diagnostic] = field(default_factory=list)
    _lines: dict[tuple[str, ...], int] | None = None

    def add(self, keys: tuple[str, ...], message: str, label: str = "", value: Any = None) -> None:
        if self._lines is None:
            self._lines = _lines(self.text)
        self.problems.append(
            problem(
                str(self.path),
                message,
                line=_line_for(self._lines, keys),
                field=".".join(keys),
                label=label,
                value=value,
            )
        )


def _value(raw: Any, spec: formats.CellSpec, keys: tuple[str, ...], out: _Collector) -> Value | None:
    """Accept any number of the right broad type; range and integrality are checked by rule I3."""
    label = spec.label
    if spec.kind == "amount":
        if not (isinstance(raw, dict) and set(raw) == {"value", "unit"}):
            out.add(keys, "金额应写成 {value: 数额, unit: 元 或 万元}", label, raw)
            return None
        if raw["unit"] not in AMOUNT_UNITS:
            out.add((*keys, "unit"), f"金额单位应为 {'、'.join(AMOUNT_UNITS)} 之一", label, raw["unit"])
            return None
        number = _number(raw["value"], (*keys, "value"), label, out)
        return None if number is None else Amount(Decimal(number), raw["unit"])
    return _number(raw, keys, label, out)


def _number(raw: Any, keys: tuple[str, ...], label: str, out: _Collector) -> int | Decimal | None:
    if isinstance(raw, bool) or raw is None or not isinstance(raw, int | Decimal):
        what = "缺少数值（每个单元格都必须填写，没有的填 0）" if raw is None else "应为数字"
        out.add(keys, what, label, raw)
        return None
    if isinstance(raw, Decimal) and not raw.is_finite():
        out.add(keys, "应为有限的数字", label, raw)
        return None
    return raw


def _tables(raw: Any, version: FormatVersion, out: _Collector) -> Tables:
    tables: Tables = {}
    if not isinstance(raw, dict):
        out.add(("tables",), "tables 应为映射（t2、t3、t4）", value=raw)
        return tables
    for extra in sorted(set(raw) - set(version.layout)):
        out.add(("tables", str(extra)), "未知的表" + closest_hint(str(extra), version.layout), value=extra)
    for table, rows in version.layout.items():
        raw_rows = raw.get(table)
        title = version.table_title(table)
        if not isinstance(raw_rows, dict):
            out.add(("tables", table), f"缺少{title}或其内容不是映射", title, raw_rows)
            continue
        for extra in sorted(set(raw_rows) - set(rows), key=str):
            other = _other_version_owner(table, str(extra), version)
            hint = f"；这是{other}格式的行，本年度适用{version.name}" if other else closest_hint(str(extra), rows)
            out.add(("tables", table, str(extra)), f"{title}中没有这一行{hint}", title, extra)
        tables[table] = {}
        for row, columns in rows.items():
            raw_cols = raw_rows.get(row)
            spec0 = version.cell(table, row, columns[0])
            if not isinstance(raw_cols, dict):
                where = spec0.row_label or spec0.column_label.rsplit("/", 1)[0]
                out.add(("tables", table, row), "缺少整行数据或其内容不是映射", f"{title} {where}", raw_cols)
                continue
            for extra in sorted(set(raw_cols) - set(columns), key=str):
                out.add(
                    ("tables", table, row, str(extra)),
                    "没有这一列" + closest_hint(str(extra), columns),
                    spec0.row_label,
                    extra,
                )
            values: dict[str, Value] = {}
            for col in columns:
                spec = version.cell(table, row, col)
                keys = ("tables", table, row, col)
                if col not in raw_cols:
                    out.add(keys, "缺少单元格（每个单元格都必须填写，没有的填 0）", spec.label)
                    continue
                v = _value(raw_cols[col], spec, keys, out)
                if v is not None:
                    values[col] = v
            tables[table][row] = values
    return tables


def _other_version_owner(table: str, row: str, version: FormatVersion) -> str | None:
    for other in formats.versions().values():
        if other.id != version.id and row in other.layout.get(table, {}):
            return other.name
    return None


def _pydantic_problems(err: pydantic.ValidationError, out: _Collector) -> None:
    for e in err.errors():
        keys = tuple(str(p) for p in e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "未知的字段"
        elif e["type"] == "missing":
            msg = "缺少必填字段"
        out.add(keys, msg, value=e.get("input") if e["type"] != "missing" else None)


M = TypeVar("M", bound=pydantic.BaseModel)


def _validated(cls: type[M], path: Path, text: str, shape: str) -> tuple[M, dict[str, Any], _Collector]:
    """Parse a YAML mapping and validate its fixed fields; every problem names file and line."""
    raw = _parse(path, text)
    out = _Collector(path, text)
    if not isinstance(raw, dict):
        out.add((), f"{path.name} 应为映射（{shape}）", value=raw)
        raise InputError(out.problems)
    try:
        return cls.model_validate(raw), raw, out
    except pydantic.ValidationError as e:
        _pydantic_problems(e, out)
        raise InputError(out.problems) from None


def parse_agency(text: str, path: Path, agency_id: str) -> Agency:
    """An ``agency.yaml``'s text as the body it describes; raise InputError naming every problem."""
    info, _, _ = _validated(AgencyInfo, path, text, "name、level、parent")
    return Agency(agency_id, info.name, info.level, info.parent, path)


def read_text(path: Path) -> str:
    """A data file's text; a file that cannot be read or is not UTF-8 is named, not a traceback."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        where = f"第 {e.start + 1} 个字节"
        raise InputError([problem(str(path), f"文件不是 UTF-8 编码（{where}）：请另存为 UTF-8")]) from None
    except OSError as e:
        raise InputError([problem(str(path), f"无法读取：{e.strerror or e}")]) from None


def parse_year(text: str, path: Path, agency: Agency, year: int) -> AgencyYear:
    head, raw, out = _validated(YearHead, path, text, "published、tables、narrative…")
    if head.year is not None and head.year != year:
        out.add(("year",), f"与文件名的年份 {year} 不一致", value=head.year)
    try:
        version = formats.get(head.format) if head.format else formats.for_year(year)
    except ValueError as e:
        raise InputError([problem(str(path), str(e), value=str(year))]) from None
    tables = _tables(raw["tables"], version, out)
    if out.problems:
        raise InputError(out.problems)
    return AgencyYear(
        agency=agency,
        year=year,
        format=version,
        tables=tables,
        published=head.published,
        illustrative=head.illustrative,
        facts=head.facts,
        narrative=head.narrative,
        path=path,
        format_named=head.format is not None,
    )
