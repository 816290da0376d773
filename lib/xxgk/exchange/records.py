"""Records: what an exchange source states about an agency-year, before it is judged.

A source (a tidy CSV row, a cell of the Excel form, later a published report's table) is read
into records first; one import plan (:mod:`xxgk.exchange.plan`) then checks and applies them, so
every source gets the same all-or-nothing import and the same messages. A record knows where it
came from: a CSV line, or a workbook's sheet and cell (``ref``), so each problem names the place
the user has to go to fix it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from xxgk.data.model import Facts, Narrative, Source


@dataclass(frozen=True, slots=True)
class CellRecord:
    """One value of one cell as written (stripped of surrounding spaces), with where it came from.

    ``line`` orders the records of a file (a CSV line; a running number for a workbook); ``ref``,
    when set, is how a person finds the value (``表三!D12``) and replaces the line in messages;
    ``file`` is the source file when an import reads several at once.
    """

    line: int
    agency_id: str
    agency_name: str
    year: str
    table: str
    row: str
    column: str
    value: str
    ref: str = ""
    file: str = ""

    @property
    def where(self) -> str:
        """The record's place as a sentence names it: ``第12行`` or ``表三!D12``."""
        return self.ref or f"第{self.line}行"


@dataclass(frozen=True)
class YearFields:
    """What a source states about an agency-year besides its tables (the Excel form's 正文 sheet).

    The import writes them into the data file with the tables; a source without them (the tidy
    CSV) leaves a file's publication date, facts and narrative as they are.
    """

    agency_id: str
    year: int
    published: dt.date | None
    narrative: Narrative = field(default_factory=Narrative)
    facts: Facts = field(default_factory=Facts)
    file: str = ""
    format: str = ""
    """The format version the source was laid out in (a form's): it must be the one the year uses."""
    source: Source | None = None
    """Provenance, for a year read from a published report."""
