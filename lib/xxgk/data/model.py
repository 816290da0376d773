"""One body's year of data as typed objects, and its plain-dict form for papermill and tasks.

These are the objects every stage passes on: :mod:`xxgk.data.yamlfile` makes them from a data
file, the checks read them, the report draws them, and :func:`to_dict` / :func:`from_dict` carry
them into a notebook kernel or a worker on another machine. Decimals stay Decimal (万元 keep the
digits written), and the tables are keyed by the format's own row and column keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pydantic

from xxgk import formats
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


class AgencyInfo(Strict):
    name: str = pydantic.Field(min_length=1)
    level: str | None = None
    parent: str | None = None

    @pydantic.field_validator("level")
    @classmethod
    def _known_level(cls, v: str | None) -> str | None:
        if v is not None and v not in formats.levels():
            raise ValueError(f"行政级别应为 {'、'.join(formats.levels())} 之一")
        return v


class Channel(Strict):
    name: str
    items: int = pydantic.Field(ge=0)


class Facts(Strict):
    """Figures the narrative cites that the tables do not hold."""

    proactive_items: int | None = pydantic.Field(default=None, ge=0)
    channels: tuple[Channel, ...] = ()
    other: dict[str, int | Decimal | str] = {}


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
