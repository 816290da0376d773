"""Cell records: one value of one cell of one agency-year, as any exchange source states it.

A source (a tidy CSV row, later a cell of the Excel form or of a published report's table) is read
into records first; one import plan (:mod:`xxgk.exchange.plan`) then checks and applies them, so
every source gets the same all-or-nothing import and the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CellRecord:
    """One record as written (stripped of surrounding spaces), with the line it came from."""

    line: int
    agency_id: str
    agency_name: str
    year: str
    table: str
    row: str
    column: str
    value: str
