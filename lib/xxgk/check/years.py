"""Rules between consecutive years of one body (X1–X3): all warnings, since bodies merge, split, restart."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from xxgk.check.findings import finding, mismatch, num
from xxgk.check.registry import rule
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import AgencyYear, Value, show
from xxgk.formats import short_label


def _consecutive(prev: AgencyYear, ay: AgencyYear) -> bool:
    return prev.year == ay.year - 1


@rule("X1", scope="pair")
def carried_over(prev: AgencyYear, ay: AgencyYear) -> Iterator[Diagnostic]:
    """This year's carried-over row is last year's carried-forward row, column by column."""
    if not _consecutive(prev, ay):
        return
    for col, carried in ay.tables["t3"]["carried_over"].items():
        expected = num(prev.tables["t3"]["carried_forward"][col])
        if expected != num(carried):
            f = mismatch("X1", ay, ay.format.cell("t3", "carried_over", col), expected, carried)
            last = short_label(prev.format.cell("t3", "carried_forward", col).row_label)
            yield f.replace(message=f"{f.message}；上一年度“{last}”为 {show(expected)}")


def _same_rows(prev: AgencyYear, ay: AgencyYear) -> Iterator[tuple[str, Mapping[str, Value], Mapping[str, Value]]]:
    """表二's rows of both years, when both years use the same format version (the columns differ otherwise)."""
    if not _consecutive(prev, ay) or prev.format.id != ay.format.id:
        return
    p2 = prev.tables["t2"]
    for row, cols in ay.tables["t2"].items():
        yield row, cols, p2.get(row, {})


@rule("X2", scope="pair")
def in_force(prev: AgencyYear, ay: AgencyYear) -> Iterator[Diagnostic]:
    """2021 表二: the documents in force are last year's, plus those issued, less those repealed."""
    for row, cols, pcols in _same_rows(prev, ay):
        if {"issued", "repealed", "in_force"} <= cols.keys() and "in_force" in pcols:
            expected = num(pcols["in_force"]) + num(cols["issued"]) - num(cols["repealed"])
            if expected != num(cols["in_force"]):
                yield mismatch("X2", ay, ay.format.cell("t2", row, "in_force"), expected, cols["in_force"])


@rule("X3", scope="pair")
def item_counts(prev: AgencyYear, ay: AgencyYear) -> Iterator[Diagnostic]:
    """2019 表二: last year's item count plus its change carries over; the public total does not shrink."""
    for row, cols, pcols in _same_rows(prev, ay):
        if "previous_items" in cols and {"previous_items", "change"} <= pcols.keys():
            expected = num(pcols["previous_items"]) + num(pcols["change"])
            if expected != num(cols["previous_items"]):
                yield mismatch("X3", ay, ay.format.cell("t2", row, "previous_items"), expected, cols["previous_items"])
        if (
            "total_public" in cols
            and "total_public" in pcols
            and num(cols["total_public"]) < num(pcols["total_public"])
        ):
            spec = ay.format.cell("t2", row, "total_public")
            yield finding(
                "X3",
                ay,
                spec,
                f"{spec.label}：比上年的 {show(pcols['total_public'])} 减少了，实为 {show(cols['total_public'])}",
                expected=num(pcols["total_public"]),
                found=num(cols["total_public"]),
            )
