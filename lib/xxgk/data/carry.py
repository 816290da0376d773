"""What a year inherits from the one before: the figures last year's report already fixes.

Table 三's carried-over row is last year's carried-forward row (rule X1) and, within the 2019
format, table 二's previous item counts are last year's counts plus their change (rule X3). Copying them
by hand is where those rules usually break, so ``xxgk new`` writes them into the new data file
and the Excel form fills them in and locks them. Both ask here, so they always agree, and each
carried cell comes with the sentence that tells the analyst where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from xxgk import formats
from xxgk.data.model import AgencyYear, Value, count, show


@dataclass(frozen=True)
class Carried:
    value: Value
    rule: str
    source: str
    """Where the value came from, for a note beside the cell (last year, the cell's label, the value)."""


def carried(previous: AgencyYear | None, year: int) -> dict[tuple[str, str, str], Carried]:
    """(table, row, column) → the value it carries over into ``year``; empty unless ``previous`` is the year before."""
    if previous is None or previous.year != year - 1:
        return {}
    version = formats.for_year(year)
    out: dict[tuple[str, str, str], Carried] = {}
    for col, v in previous.tables["t3"]["carried_forward"].items():
        spec = previous.format.cell("t3", "carried_forward", col)
        out[("t3", "carried_over", col)] = Carried(v, "X1", f"{previous.year}年 {spec.label} = {show(v)}")
    if previous.format is version:
        for row, cols in previous.tables["t2"].items():
            if "previous_items" in cols and "change" in cols:
                before, change = cols["previous_items"], cols["change"]
                label = version.cell("t2", row, "previous_items").label
                change_label = version.cell("t2", row, "change").column_leaf
                out[("t2", row, "previous_items")] = Carried(
                    count(before) + count(change),
                    "X3",
                    f"{previous.year}年 {label} {show(before)} + {change_label} {show(change)}",
                )
    return out
