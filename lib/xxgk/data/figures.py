"""Figures computed from the tables: what a narrative may cite, by name.

The same names serve the narrative's placeholders (``{{ applications.new }}``), the generated
summary sentences and rule I7, which checks that a number the narrative states equals the table.
Sums over groups of rows (the withheld, the unavailable …) follow the format's own row tree, so no key list
is repeated here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from xxgk.data.model import AgencyYear, count


def _total(ay: AgencyYear, table: str, row: str, column: str = "total") -> int:
    return count(ay.tables[table][row][column])


def outcome_groups(ay: AgencyYear) -> dict[str, list[str]]:
    """Outcome name → the rows of table 三 it sums, as the format's tree of outcome rows says."""
    return {name: list(keys) for name, (_, keys) in ay.format.outcomes.items()}


def figures(ay: AgencyYear) -> dict[str, Any]:
    """Named figures of one agency-year; every value is an int (or Decimal for money)."""
    apps: dict[str, Any] = {
        "new": _total(ay, "t3", "new"),
        "carried_over": _total(ay, "t3", "carried_over"),
        "handled": _total(ay, "t3", "total"),
        "carried_forward": _total(ay, "t3", "carried_forward"),
    }
    for name, rows in outcome_groups(ay).items():
        apps[name] = sum(_total(ay, "t3", r) for r in rows)
    apps["by_applicant"] = {c: count(v) for c, v in ay.tables["t3"]["new"].items() if c != "total"}
    t4 = ay.tables["t4"]
    by_group = {
        name: {col: sum(count(t4[g][col]) for g in groups) for col in t4[groups[0]]}
        for name, (_, groups) in ay.format.t4_groups.items()
    }
    review, litigation = by_group["review"], by_group["litigation"]
    t2 = ay.tables["t2"]
    fee = t2["fees"].get("amount")
    out: dict[str, Any] = {
        "year": ay.year,
        "applications": apps,
        "review": review,
        "litigation": litigation,
        "disclosure": {row: dict(cols) for row, cols in t2.items()},
        "fees": fee if isinstance(fee, Decimal | int) else None,
        "facts": {
            "proactive_items": ay.facts.proactive_items,
            "channels": [c.model_dump() for c in ay.facts.channels],
            **ay.facts.other,
        },
    }
    return out
