"""One body's year of data: typed tables, narrative and facts, read from and written to params YAML.

A data file is read fast (libyaml, no node positions) and validated against the format version of
its year. Only when something is wrong is the file parsed again with positions, so that every
problem names its line. Problems of this kind mean the file cannot be read as a report at all
(they make ``xxgk check`` exit 2); problems with the numbers themselves are the job of
:mod:`xxgk.rules`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import pydantic
import yaml

from xxgk import formats
from xxgk.formats import FormatVersion

AGENCY_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
YEAR_FILE = re.compile(r"(\d{4})\.yaml")
AMOUNT_UNITS = ("元", "万元")


class Amount(NamedTuple):
    """A sum with the unit the body reported it in (the 2019 procurement total has no unit in its label)."""

    value: Decimal
    unit: str

    def __str__(self) -> str:
        return f"{self.value}{self.unit}"


Value = int | Decimal | Amount


@dataclass(frozen=True)
class Problem:
    """Why a file cannot be read: where, which field (with its official label), the bad value."""

    file: str
    message: str
    line: int | None = None
    field: str = ""
    label: str = ""
    value: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where]
        if self.field:
            parts.append(self.field + (f"（{self.label}）" if self.label else ""))
        text = "：".join([" ".join(parts), self.message])
        return text if self.value is None else f"{text}（值：{self.value}）"


class InputError(Exception):
    """Raised with every problem of one or more files; nothing has been written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def check_agency_id(agency_id: str) -> None:
    """Refuse ids that could escape ``params/`` or ``outputs/`` or break a URL."""
    if not AGENCY_ID.fullmatch(agency_id):
        raise InputError(
            [
                Problem(
                    file=agency_id,
                    field="agency_id",
                    message="机关标识只能由小写字母、数字和连字符组成，且以字母或数字开头（如 lanzhou-xinqu-audit）",
                    value=agency_id,
                )
            ]
        )


# --- the non-table parts, validated by pydantic -------------------------------------------------


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class AgencyInfo(_Strict):
    name: str = pydantic.Field(min_length=1)
    level: str | None = None
    parent: str | None = None

    @pydantic.field_validator("level")
    @classmethod
    def _known_level(cls, v: str | None) -> str | None:
        if v is not None and v not in formats.levels():
            raise ValueError(f"行政级别应为 {'、'.join(formats.levels())} 之一")
        return v


class Channel(_Strict):
    name: str
    items: int = pydantic.Field(ge=0)


class Facts(_Strict):
    """Figures the narrative cites that the tables do not hold."""

    proactive_items: int | None = pydantic.Field(default=None, ge=0)
    channels: tuple[Channel, ...] = ()
    other: dict[str, int | Decimal | str] = {}


class Narrative(_Strict):
    overview: str = ""
    problems: str = ""
    other: str = ""


class _YearHead(_Strict):
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


# --- the loaded objects --------------------------------------------------------------------------


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    level: str | None
    parent: str | None
    path: Path = field(default_factory=Path, compare=False)


Tables = dict[str, dict[str, dict[str, Value]]]


@dataclass(frozen=True)
class AgencyYear:
    agency: Agency
    year: int
    format: FormatVersion
    tables: Tables
    published: dt.date | None = None
    illustrative: str | None = None
    facts: Facts = field(default_factory=Facts)
    narrative: Narrative = field(default_factory=Narrative)
    path: Path = field(default_factory=Path, compare=False)
    format_named: bool = field(default=False, compare=False)

    def value(self, table: str, row: str, column: str) -> Value:
        return self.tables[table][row][column]

    def cells(self) -> Iterator[tuple[formats.CellSpec, Value]]:
        for spec in self.format.cells:
            yield spec, self.tables[spec.table][spec.row][spec.column]


# --- reading -------------------------------------------------------------------------------------


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
        raise InputError([Problem(str(path), f"YAML 语法错误：{e.problem or e}", line=line)]) from None
    except yaml.YAMLError as e:
        raise InputError([Problem(str(path), f"YAML 无法读取：{e}")]) from None


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


def _closest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.5)
    return f"；最接近的是：{'、'.join(close)}" if close else ""


@dataclass
class _Collector:
    path: Path
    text: str
    problems: list[Problem] = field(default_factory=list)
    _lines: dict[tuple[str, ...], int] | None = None

    def add(self, keys: tuple[str, ...], message: str, label: str = "", value: Any = None) -> None:
        if self._lines is None:
            self._lines = _lines(self.text)
        self.problems.append(
            Problem(
                file=str(self.path),
                line=_line_for(self._lines, keys),
                field=".".join(keys),
                label=label,
                message=message,
                value=None if value is None else repr(value) if isinstance(value, str) else str(value),
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
        out.add(("tables", str(extra)), "未知的表" + _closest(str(extra), version.layout), value=extra)
    for table, rows in version.layout.items():
        raw_rows = raw.get(table)
        title = version.table_title(table)
        if not isinstance(raw_rows, dict):
            out.add(("tables", table), f"缺少{title}或其内容不是映射", title, raw_rows)
            continue
        for extra in sorted(set(raw_rows) - set(rows), key=str):
            other = _other_version_owner(table, str(extra), version)
            hint = f"；这是{other}格式的行，本年度适用{version.name}" if other else _closest(str(extra), rows)
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
                    "没有这一列" + _closest(str(extra), columns),
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


def read_agency(directory: Path) -> Agency:
    agency_id = directory.name
    check_agency_id(agency_id)
    path = directory / "agency.yaml"
    if not path.is_file():
        raise InputError([Problem(str(path), "缺少机关信息文件 agency.yaml（name、level、parent）")])
    info, _, _ = _validated(AgencyInfo, path, _read_text(path), "name、level、parent")
    return Agency(agency_id, info.name, info.level, info.parent, path)


def read_year(path: Path, agency: Agency) -> AgencyYear:
    """Read and validate one ``<year>.yaml``; raise InputError naming every problem in it."""
    m = YEAR_FILE.fullmatch(path.name)
    if not m:
        raise InputError([Problem(str(path), "数据文件名应为四位年份，如 2024.yaml", value=path.name)])
    year = int(m.group(1))
    return parse_year(_read_text(path), path, agency, year)


def _read_text(path: Path) -> str:
    """A data file's text; a file that cannot be read or is not UTF-8 is named, not a traceback."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        where = f"第 {e.start + 1} 个字节"
        raise InputError([Problem(str(path), f"文件不是 UTF-8 编码（{where}）：请另存为 UTF-8")]) from None
    except OSError as e:
        raise InputError([Problem(str(path), f"无法读取：{e.strerror or e}")]) from None


def parse_year(text: str, path: Path, agency: Agency, year: int) -> AgencyYear:
    head, raw, out = _validated(_YearHead, path, text, "published、tables、narrative…")
    if head.year is not None and head.year != year:
        out.add(("year",), f"与文件名的年份 {year} 不一致", value=head.year)
    try:
        version = formats.get(head.format) if head.format else formats.for_year(year)
    except ValueError as e:
        raise InputError([Problem(str(path), str(e), value=str(year))]) from None
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


@dataclass
class Tree:
    """Everything readable under ``params/``, and what could not be read."""

    years: list[AgencyYear] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def by_agency(self) -> dict[str, list[AgencyYear]]:
        out: dict[str, list[AgencyYear]] = {}
        for ay in sorted(self.years, key=lambda a: (a.agency.id, a.year)):
            out.setdefault(ay.agency.id, []).append(ay)
        return out


def agency_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def load_agency(directory: Path) -> tuple[list[AgencyYear], list[Problem]]:
    """Every year of one body (its agency.yaml first), and the problems of what could not be read."""
    try:
        agency = read_agency(directory)
    except InputError as e:
        return [], e.problems
    years, problems = [], []
    for path in sorted(p for p in directory.glob("*.yaml") if p.name != "agency.yaml"):
        try:
            years.append(read_year(path, agency))
        except InputError as e:
            problems.extend(e.problems)
    return years, problems


# Below this many agencies one process is faster than starting a pool; above it, parsing YAML
# (about 1.5 ms a file, all of it in Python) is worth spreading over the cores.
PARALLEL_FROM = 64

T = TypeVar("T")


def map_agencies(fn: Callable[[Path], T], root: Path, agencies: Iterable[str] | None = None) -> list[T]:
    """``fn`` over each agency folder under ``root``, spread over the cores for a large tree.

    ``fn`` must be a module-level function (it is sent to worker processes by reference).
    """
    wanted = None if agencies is None else set(agencies)
    dirs = [d for d in agency_dirs(root) if wanted is None or d.name in wanted]
    workers = min(os.cpu_count() or 1, 8)
    if len(dirs) < PARALLEL_FROM or workers < 2:
        return [fn(d) for d in dirs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, len(dirs) // (workers * 4))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(fn, dirs, chunksize=chunk))


def load_tree(root: Path, agencies: Iterable[str] | None = None) -> Tree:
    """Read every agency-year under ``root`` (or of the named agencies), collecting unreadable files."""
    tree = Tree()
    if not root.is_dir():
        tree.problems.append(Problem(str(root), "数据目录不存在"))
        return tree
    for years, problems in map_agencies(load_agency, root, agencies):
        tree.years.extend(years)
        tree.problems.extend(problems)
    return tree


# --- plain data, for papermill parameters and for tasks sent to other processes ------------------


def _plain(v: Value) -> Any:
    if isinstance(v, Amount):
        return {"value": str(v.value), "unit": v.unit}
    return str(v) if isinstance(v, Decimal) else v


def _typed(v: Any, kind: str) -> Value:
    if kind == "amount":
        return Amount(Decimal(v["value"]), v["unit"])
    return Decimal(v) if isinstance(v, str) else v


def to_dict(ay: AgencyYear) -> dict[str, Any]:
    """A JSON-able record of a validated agency-year: what the notebook receives as a parameter.

    Decimals travel as strings so no precision is lost; keys keep the format's order.
    """
    return {
        "agency": {
            "id": ay.agency.id,
            "name": ay.agency.name,
            "level": ay.agency.level,
            "parent": ay.agency.parent,
        },
        "year": ay.year,
        "format": ay.format.id,
        "format_named": ay.format_named,
        "published": ay.published.isoformat() if ay.published else None,
        "illustrative": ay.illustrative,
        "facts": ay.facts.model_dump(mode="json"),
        "narrative": ay.narrative.model_dump(mode="json"),
        "tables": {
            t: {r: {c: _plain(v) for c, v in cols.items()} for r, cols in rows.items()} for t, rows in ay.tables.items()
        },
    }


def from_dict(d: dict[str, Any], path: Path | None = None) -> AgencyYear:
    """Inverse of :func:`to_dict` (the data was validated before it was turned into a dict)."""
    version = formats.get(d["format"])
    a = d["agency"]
    tables: Tables = {
        t: {r: {c: _typed(v, version.cell(t, r, c).kind) for c, v in cols.items()} for r, cols in rows.items()}
        for t, rows in d["tables"].items()
    }
    return AgencyYear(
        agency=Agency(a["id"], a["name"], a["level"], a["parent"], Path()),
        year=d["year"],
        format=version,
        tables=tables,
        published=dt.date.fromisoformat(d["published"]) if d["published"] else None,
        illustrative=d["illustrative"],
        facts=Facts.model_validate(d["facts"]),
        narrative=Narrative.model_validate(d["narrative"]),
        path=path or Path(),
        format_named=d.get("format_named", False),
    )
