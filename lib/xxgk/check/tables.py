"""Rules within the tables of one agency-year: types (I3), the sum identities (S1, I1, I2, I4), 表二 (I5, I6).

The sum identities are read from the format description, so a new version of the format brings its
own: whichever ids its ``identities`` name are checked by :func:`identities`.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from xxgk import formats
from xxgk.check.findings import finding, mismatch, num
from xxgk.check.registry import rule
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import AgencyYear, show
from xxgk.formats import Identity


@rule("I3")
def types(ay: AgencyYear) -> Iterator[Diagnostic]:
    """Integers where the format counts, nothing negative but the signed change column."""
    for spec, v in ay.cells():
        n = num(v)
        if spec.kind in ("count", "signed") and n != n.to_integral_value():
            yield finding("I3", ay, spec, f"{spec.label}：应为整数，实为 {show(n)}", found=n)
        elif spec.kind != "signed" and n < 0:
            yield finding("I3", ay, spec, f"{spec.label}：不能为负数，实为 {show(n)}", found=n)


def check_identity(ay: AgencyYear, ident: Identity) -> Iterator[Diagnostic]:
    """A sum identity of the format, for every column (or row) of its table."""
    table = ay.tables[ident.table]
    for one in ay.format.sums(ident):
        expected = sum((s * num(table[r][c]) for s, (r, c) in one.parts), Decimal(0))
        row, col = one.total
        found = table[row][col]
        if expected != num(found):
            yield mismatch(ident.id, ay, ay.format.cell(ident.table, row, col), expected, found)


@rule(*formats.identity_ids())
def identities(ay: AgencyYear) -> Iterator[Diagnostic]:
    """Every sum identity of the agency-year's format version, in the format's order."""
    for ident in ay.format.identities:
        yield from check_identity(ay, ident)


@rule("I5")
def table2_2019(ay: AgencyYear) -> Iterator[Diagnostic]:
    """2019 表二: the previous count plus the change is not negative; new items ≤ all items."""
    v, t2 = ay.format, ay.tables["t2"]
    for row, cols in t2.items():
        if "previous_items" in cols and "change" in cols:
            after = num(cols["previous_items"]) + num(cols["change"])
            if after < 0:
                spec = v.cell("t2", row, "change")
                prev = v.cell("t2", row, "previous_items").column_label
                yield finding(
                    "I5", ay, spec, f"{spec.label}：{prev}加{spec.column_leaf}为 {show(after)}，不应小于 0", found=after
                )
        if "published" in cols and "total_public" in cols and num(cols["published"]) > num(cols["total_public"]):
            spec = v.cell("t2", row, "published")
            total = v.cell("t2", row, "total_public").column_label
            yield finding(
                "I5",
                ay,
                spec,
                f"{spec.label}：{show(cols['published'])} 大于{total} {show(cols['total_public'])}",
                found=num(cols["published"]),
            )


@rule("I6")
def rules_without_power(ay: AgencyYear) -> Iterator[Diagnostic]:
    """规章 figures from a body whose level cannot make 规章."""
    level, t2 = ay.agency.level, ay.tables["t2"]
    if level is None or formats.levels().get(level, True) or "rules" not in t2:
        return
    for col, value in t2["rules"].items():
        if num(value) != 0:
            spec = ay.format.cell("t2", "rules", col)
            yield finding(
                "I6",
                ay,
                spec,
                f"{spec.label}：{level}机关没有规章制定权，却填报了 {show(num(value))}",
                expected=0,
                found=num(value),
            )
