"""One body's year of data as typed objects, and its plain-dict form for papermill and tasks.

These are the objects every stage passes on: :mod:`xxgk.data.yamlfile` makes them from a data
file, the checks read them, the report draws them, and :func:`to_dict` / :func:`from_dict` carry
them into a notebook kernel or a worker on another machine. Decimals stay Decimal (万元 keep the
digits written), and the tables are keyed by the format's own row and column keys.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pydantic

from xxgk import formats
from xxgk.data import deadlines
from xxgk.data.deadlines import DEPARTMENT_DEADLINE, GOVERNMENT_DEADLINE, MonthDay
from xxgk.data.diagnostics import InputError, problem
from xxgk.formats import FormatVersion

AMOUNT_UNITS = ("元", "万元")


class Amount(NamedTuple):
    """A sum with the unit the body reported it in (the 2019 procurement total has no unit in its label)."""

    value: Decimal
    unit: str

    def __str__(self) -> str:
        return f"{self.value}{self.unit}"


Value = int | Decimal | Amount


class Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


NAME_MAX_CHARS = 200
"""The longest name accepted: real names of bodies are well under 50 characters."""

# Characters that could change how a name is shown or stored rather than being part of it:
# C0 and C1 controls (newline, CR, tab, NUL, ESC, NEL …), the Unicode line and paragraph
# separators, lone surrogates (bytes of a command line that were no UTF-8), noncharacters, and
# the bidi embeddings, overrides, isolates and marks that reorder the text around them.
_FORBIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_CHAR_NAMES = {
    "\n": "换行符",
    "\r": "回车符",
    "\t": "制表符",
    "\x00": "空字符",
    "\u2028": "行分隔符",
    "\u2029": "段分隔符",
}


def _char_name(ch: str) -> str:
    if ch in _CHAR_NAMES:
        return _CHAR_NAMES[ch]
    if "\ud800" <= ch <= "\udfff":
        return "非 UTF-8 字节"
    if ch in "\u061c\u200e\u200f" or "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069":
        return "双向文字控制符"
    if ch in "\ufffe\uffff" or "\ufdd0" <= ch <= "\ufdef":
        return "非字符"
    return "控制字符"


def control_char_problem(text: str, what: str) -> str | None:
    """Why ``text`` holds a character no name may hold (the first one, by code point), or None."""
    m = _FORBIDDEN.search(text)
    if m is None:
        return None
    ch = m.group()
    return (
        f"{what}的第 {m.start() + 1} 个字符是{_char_name(ch)}（U+{ord(ch):04X}）："
        "名称中不能有换行、回车、制表符等控制字符，也不能有双向文字控制符"
    )


def name_problem(text: str, what: str) -> str | None:
    """Why ``text`` cannot be a name (``what`` says which, e.g. 机关名称), or None.

    A name is data that xxgk writes into YAML files, CSV cells, report titles and file listings:
    it must be one line of visible text, so no character of it can start a new key, hide or
    reorder what follows it, or reach a terminal as a control sequence. It must not be blank or
    start or end with white space (a CSV reader strips that, so the name would not survive an
    export and import), and it is bounded, so a pasted document is not taken for a name.
    """
    bad = control_char_problem(text, what)
    if bad:
        return bad
    if not text.strip():
        return f"{what}不能为空"
    if text != text.strip():
        return f"{what}首尾不能有空白字符"
    if len(text) > NAME_MAX_CHARS:
        return f"{what}过长：共 {len(text)} 个字符，最多 {NAME_MAX_CHARS} 个"
    return None


AGENCY_NAME = "机关名称"
PARENT_NAME = "上级人民政府名称"
_WHAT = {"name": AGENCY_NAME, "parent": PARENT_NAME, "level": "行政级别"}


class AgencyInfo(Strict):
    """``agency.yaml``: the body's name, administrative level and parent government."""

    name: str
    level: str | None = None
    parent: str | None = None

    @pydantic.field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        bad = name_problem(v, AGENCY_NAME)
        if bad:
            raise ValueError(bad)
        return v

    @pydantic.field_validator("parent")
    @classmethod
    def _parent(cls, v: str | None) -> str | None:
        bad = None if v is None else name_problem(v, PARENT_NAME)
        if bad:
            raise ValueError(bad)
        return v

    @pydantic.field_validator("level")
    @classmethod
    def _known_level(cls, v: str | None) -> str | None:
        if v is not None and v not in formats.levels():
            raise ValueError(f"行政级别应为 {'、'.join(formats.levels())} 之一")
        return v


def agency_info(file: str, fields: dict[str, str | None], options: dict[str, str]) -> AgencyInfo:
    """Validate a body's name, level and parent as given outside a file (``xxgk new --name …``).

    ``options`` maps each field to how the user typed it (``name`` → ``--name``), so a message
    names what to change. Raises InputError with every problem.
    """
    # Checked first: pydantic refuses a lone surrogate (a byte of the command line that was no
    # UTF-8) before any validator runs, with a message of its own.
    problems = [
        problem(file, bad, field=options.get(key, key), value=v)
        for key, v in fields.items()
        if v is not None and (bad := control_char_problem(v, _WHAT.get(key, key)))
    ]
    if problems:
        raise InputError(problems)
    try:
        return AgencyInfo.model_validate(fields)
    except pydantic.ValidationError as e:
        for err in e.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            message = err["msg"].removeprefix("Value error, ")
            problems.append(problem(file, message, field=options.get(key, key), value=err.get("input")))
        raise InputError(problems) from None


class Channel(Strict):
    name: str
    items: int = pydantic.Field(ge=0)

    @pydantic.field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        bad = control_char_problem(v, "渠道名称")
        if bad:
            raise ValueError(bad)
        return v


class Facts(Strict):
    """Figures the narrative cites that the tables do not hold."""

    proactive_items: int | None = pydantic.Field(default=None, ge=0)
    channels: tuple[Channel, ...] = ()
    other: dict[str, int | Decimal | str] = {}


class Source(Strict):
    """Where a year's data came from when it was read from a published report (``import-report``).

    A reviewer must be able to tell a figure typed by the body from one a reader took off a web
    page, find the very file it was read from (its hash), and see what the reader recovered from
    flattened text or assumed (a unit, a date) rather than read.
    """

    file: str
    sha256: str
    kind: str
    title: str = ""
    recovered: tuple[str, ...] = ()
    assumed: tuple[str, ...] = ()


class Narrative(Strict):
    overview: str = ""
    problems: str = ""
    other: str = ""


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    level: str | None
    parent: str | None
    path: Path = field(default_factory=Path, compare=False)


SCOPES = {"region": "本级政府及所属各单位", "organ": "本机关：本级政府及其办公室"}
"""A region's scope → what it covers: a summary of all its bodies, or the government as an organ only.

The two are never mixed in one time series (a summary of 30 bodies is not comparable with the organ alone),
so a body may be counted once per scope, not once in all."""
REGION_NAME = "人民政府名称"
_DEADLINE_FIELDS = {"deadline": DEPARTMENT_DEADLINE, "government_deadline": GOVERNMENT_DEADLINE}


class RegionInfo(Strict):
    """``region.yaml``: the government that collects its bodies' reports, and who and by when.

    ``children`` left out means: every body naming the government as parent for scope ``region``; none
    for scope ``organ`` (the government and its office are listed in ``members``).
    """

    name: str
    level: str
    scope: str
    members: tuple[str, ...] = ()
    children: pydantic.StrictBool | None = None
    deadline: MonthDay = DEPARTMENT_DEADLINE
    government_deadline: MonthDay = GOVERNMENT_DEADLINE

    @pydantic.field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        bad = name_problem(v, REGION_NAME)
        if bad:
            raise ValueError(bad)
        return v

    @pydantic.field_validator("level")
    @classmethod
    def _known_level(cls, v: str) -> str:
        if v not in formats.levels():
            raise ValueError(f"行政级别应为 {'、'.join(formats.levels())} 之一")
        return v

    @pydantic.field_validator("scope")
    @classmethod
    def _known_scope(cls, v: str) -> str:
        if v not in SCOPES:
            raise ValueError("范围应为 " + "、".join(f"{k}（{what}）" for k, what in SCOPES.items()) + " 之一")
        return v

    @pydantic.field_validator("members", mode="before")
    @classmethod
    def _listed(cls, v: Any) -> Any:
        # A tuple field would take a mapping's keys or a string's characters as ids: only a list is a list.
        if not isinstance(v, list | tuple):
            raise ValueError("应为机关标识的列表，如 [qingshan-county-education, shiqiao-town]")
        return v

    @pydantic.field_validator("deadline", "government_deadline", mode="before")
    @classmethod
    def _month_day(cls, v: Any, info: pydantic.ValidationInfo) -> MonthDay:
        if isinstance(v, MonthDay):
            return v
        if isinstance(v, dt.date):
            raise ValueError("应写成“月-日”，如 01-31，不写年份（截止日期每年相同）")
        if not isinstance(v, str):
            raise ValueError("应写成“月-日”两位数字，如 01-31")
        day = MonthDay.parse(v)
        latest = _DEADLINE_FIELDS[str(info.field_name)]
        if day > latest:
            raise ValueError(f"不能晚于法定期限 {latest}（次年{latest.month}月{latest.day}日）：本地可以规定更早的日期")
        return day

    @property
    def with_children(self) -> bool:
        """Whether every body naming this government as its parent is a member."""
        return self.children if self.children is not None else self.scope == "region"


@dataclass(frozen=True)
class Region:
    """A loaded region: its members resolved against the tree, in a stable order.

    ``members`` are the ids listed in ``members`` (in the order written), then the bodies naming the
    government as parent (by id); ``bodies`` are the same members as bodies (a body whose agency.yaml
    cannot be read is named by its id: it is still counted, as not having reported).
    """

    id: str
    name: str
    level: str
    scope: str
    members: tuple[str, ...]
    bodies: tuple[Agency, ...] = field(compare=False)
    listed: tuple[str, ...] = field(default=(), compare=False)
    """The ids region.yaml lists in ``members``, as written (the others are children by parent)."""
    lines: tuple[int | None, ...] = field(default=(), compare=False)
    """For each member, the line of region.yaml that brought it in (its entry, or ``children``)."""
    deadline: MonthDay = DEPARTMENT_DEADLINE
    government_deadline: MonthDay = GOVERNMENT_DEADLINE
    path: Path = field(default_factory=Path, compare=False)

    def due(self, body: Agency, year: int) -> dt.date:
        """The day ``body``'s report on ``year`` is due to this region (its government's own report: 31 March)."""
        return deadlines.deadline(body.name, year, departments=self.deadline, government=self.government_deadline)


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
    source: Source | None = None

    def value(self, table: str, row: str, column: str) -> Value:
        return self.tables[table][row][column]

    def cells(self) -> Iterator[tuple[formats.CellSpec, Value]]:
        for spec in self.format.cells:
            yield spec, self.tables[spec.table][spec.row][spec.column]


def count(value: Value) -> int:
    """A count cell's value as an int (the reader only lets numbers through; rule I3 judges them)."""
    return int(value.value if isinstance(value, Amount) else value)


def show(value: Value | int | Decimal) -> str:
    """A value as the report and every message print it: the one way xxgk writes a number for people.

    Decimals keep exactly the precision the body wrote (``12.50`` stays ``12.50``): a float would
    round or add digits the body never reported. ``format(…, "f")`` avoids exponent notation
    (``1E+1``) that ``str`` gives for some decimals read from CSV.
    """
    if isinstance(value, Amount):
        return f"{format(value.value, 'f')}{value.unit}"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(int(value))


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
