"""Rules within the tables of one agency-year: types (I3), the sum identities (S1, I1, I2, I4), 表二 (I5, I6).

The sum identities are read from the format description, so a new version of the format brings its
own: whichever ids its ``identities`` name are checked by :func:`identities`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from xxgk import formats
from xxgk.check.findings import finding, mismatch, num
from xxgk.check.registry import rule
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import AgencyYear, Value, show
from xxgk.formats import Identity, Sum


@rule("I3")
def types(ay: AgencyYear) -> Iterator[Diagnostic]:
    """Integers where the format counts, nothing negative but the signed change column."""
    for spec, v in ay.cells():
        n = num(v)
        if spec.kind in ("count", "signed") and n != n.to_integral_value():
            yield finding("I3", ay, spec, f"{spec.label}：应为整数，实为 {show(n)}", found=n)
        elif spec.kind != "signed" and n < 0:
            yield finding("I3", ay, spec, f"{spec.label}：不能为负数，实为 {show(n)}", found=n)


@dataclass(frozen=True)
class Broken:
    """One instance of a sum identity that does not hold: what its parts sum to and what its total says."""

    ident: Identity
    one: Sum
    expected: Decimal
    found: Value


def broken(ay: AgencyYear, ident: Identity) -> Iterator[Broken]:
    """Each instance of ``ident`` (a column or a row of its table) whose total is not the sum of its parts."""
    table = ay.tables[ident.table]
    for one in ay.format.sums(ident):
        expected = sum((s * num(table[r][c]) for s, (r, c) in one.parts), Decimal(0))
        row, col = one.total
        found = table[row][col]
        if expected != num(found):
            yield Broken(ident, one, expected, found)


def _report(ay: AgencyYear, b: Broken) -> Diagnostic:
    return mismatch(b.ident.id, ay, ay.format.cell(b.ident.table, *b.one.total), b.expected, b.found)


def check_identity(ay: AgencyYear, ident: Identity) -> Iterator[Diagnostic]:
    """A sum identity of the format, for every column (or row) of its table."""
    for b in broken(ay, ident):
        yield _report(ay, b)


SUSPECT_TABLE = "t3"
"""The table whose single wrong cells are named (table 四's groups share no cell across identities)."""


def _cells_of(one: Sum) -> dict[tuple[str, str], int]:
    """The cells an identity instance reads, with their sign (the total counts as −1: total − Σ parts)."""
    return {**{cell: sign for sign, cell in one.parts}, one.total: -1}


def suspect_cell(ay: AgencyYear, found: list[Broken]) -> tuple[Diagnostic, list[Broken]] | None:
    """The one cell of table 三 whose correction would make every broken identity of the table hold.

    A wrong entry in an applicant column of table 三 breaks its row (I1) and its column (I2, or S1
    for the first two rows) by the same amount. Each identity names its total cell, so the analyst
    reads two findings that point at two correct totals, while the cell at fault, a part of both,
    is named by neither. When exactly one row and one column of the table are broken, and the cell
    where they cross is a part (not a total) of both and changing it alone by one amount makes
    both hold, that cell is almost surely the wrong one: it is reported once, under the row
    identity's rule (the identity an error in an applicant's column shows in every format
    version), in place of the two findings it explains.

    Anything else keeps one finding per broken identity: a wrong total is already named by the
    identity whose total it is, and two or more wrong cells have more than one explanation, so
    naming one cell would be a guess.
    """
    mine = [b for b in found if b.ident.table == SUSPECT_TABLE]
    rows = [b for b in mine if b.ident.per == "row"]
    cols = [b for b in mine if b.ident.per == "column"]
    if len(mine) != 2 or len(rows) != 1 or len(cols) != 1:
        return None
    r, c = rows[0], cols[0]
    cell = (r.one.total[0], c.one.total[1])
    in_row, in_col = dict((k, s) for s, k in r.one.parts), dict((k, s) for s, k in c.one.parts)
    if cell not in in_row or cell not in in_col:
        return None
    fmt = ay.format
    sums = [one for ident in fmt.identities if ident.table == SUSPECT_TABLE for one in fmt.sums(ident)]
    if any(one.total == cell for one in sums):
        return None  # a total: the identity it totals names it already
    if {one for one in sums if cell in _cells_of(one)} != {r.one, c.one}:
        return None  # the cell is read by an identity that holds: changing it would break that one
    # Changing the cell by δ moves an instance's parts by sign·δ; it holds when they reach its total.
    by_row = (num(r.found) - r.expected) / in_row[cell]
    by_col = (num(c.found) - c.expected) / in_col[cell]
    if by_row != by_col:
        return None
    value = num(ay.tables[SUSPECT_TABLE][cell[0]][cell[1]])
    should = value + by_row
    spec = fmt.cell(SUSPECT_TABLE, *cell)
    row_total = fmt.cell(SUSPECT_TABLE, *r.one.total).column_label
    col_total = fmt.cell(SUSPECT_TABLE, *c.one.total).row_label
    diff = should - value
    sign = "-" if diff < 0 else ""
    text = (
        f"{spec.label} 可能有误：按行（{row_total}）应为 {show(should)}、按列（{col_total}）应为 {show(should)}，"
        f"实为 {show(value)}（相差 {sign}{show(abs(diff))}）；改正这一格即可使两项勾稽关系都成立"
    )
    return finding(r.ident.id, ay, spec, text, expected=should, found=value), [r, c]


@rule(*formats.identity_ids())
def identities(ay: AgencyYear) -> Iterator[Diagnostic]:
    """Every sum identity of the agency-year's format version, in the format's order.

    Broken identities that one wrong cell of table 三 explains are reported as that cell
    (:func:`suspect_cell`), where the first of them would have been.
    """
    found = [b for ident in ay.format.identities for b in broken(ay, ident)]
    suspect = suspect_cell(ay, found)
    if suspect is None:
        yield from (_report(ay, b) for b in found)
        return
    diagnostic, explained = suspect
    first = True
    for b in found:
        if not any(b is e for e in explained):
            yield _report(ay, b)
        elif first:
            first = False
            yield diagnostic


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
