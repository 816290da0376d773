"""One wrong cell of table 三 that breaks its row (I1) and its column (I2 or S1) is named once, as the cell."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from xxgk import formats
from xxgk.check import tables
from xxgk.data import synthetic
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import Agency, AgencyYear

CITY = Agency("demo-city", "示例市人民政府办公室", "市级", "示例市人民政府", Path())
YEARS = {"2019": 2020, "2021": 2022}


def _ay(version: str, seed: int) -> AgencyYear:
    return synthetic.agency_year(CITY, YEARS[version], seed, 80)


def _edit(ay: AgencyYear, changes: dict[tuple[str, str], int]) -> AgencyYear:
    t = copy.deepcopy(ay.tables)
    for (row, col), d in changes.items():
        t["t3"][row][col] = int(t["t3"][row][col]) + d
    return dataclasses.replace(ay, tables=t)


def _found(ay: AgencyYear) -> list[Diagnostic]:
    return list(tables.identities(ay))


def _old(ay: AgencyYear) -> list[Diagnostic]:
    """One finding per broken identity, as before the suspect cell was named."""
    return [d for ident in ay.format.identities for d in tables.check_identity(ay, ident)]


def _parts(version: str) -> list[tuple[str, str]]:
    """Cells of table 三 that are a part of a row identity and of a column identity, and no identity's total."""
    fmt = formats.get(version)
    sums = [s for i in fmt.identities if i.table == "t3" for s in fmt.sums(i)]
    totals = {s.total for s in sums}
    by_row = {c for s in sums if s.identity.per == "row" for _, c in s.parts}
    by_col = {c for s in sums if s.identity.per == "column" for _, c in s.parts}
    return sorted((by_row & by_col) - totals)


def _totals(version: str) -> list[tuple[str, str]]:
    fmt = formats.get(version)
    return sorted({s.total for i in fmt.identities if i.table == "t3" for s in fmt.sums(i)})


def test_the_example_message() -> None:
    ay = _ay("2021", 3)
    cell = ("withheld_state_secret", "natural")
    value = int(ay.tables["t3"][cell[0]][cell[1]])
    (f,) = _found(_edit(ay, {cell: 3}))
    assert f.rule == "I1" and f.severity == "error"
    assert f.field == "tables.t3.withheld_state_secret.natural"
    assert (f.row, f.column) == ("（三）不予公开/1.属于国家秘密", "自然人")
    assert f.message == (
        f"表三 （三）不予公开/1.属于国家秘密 / 自然人 可能有误：按行（总计）应为 {value}、"
        f"按列（（七）总计）应为 {value}，实为 {value + 3}（相差 -3）；改正这一格即可使两项勾稽关系都成立"
    )
    assert (f.expected, f.found) == (str(value), str(value + 3))


def test_a_cell_of_the_first_rows_is_named_by_s1_as_its_column() -> None:
    ay = _ay("2019", 4)
    (f,) = _found(_edit(ay, {("new", "commercial"): 2}))
    assert f.rule == "I1" and f.field == "tables.t3.new.commercial"
    assert "按列（四、结转下年度继续办理）应为" in f.message


@settings(max_examples=60, deadline=None)
@given(
    version=st.sampled_from(["2019", "2021"]),
    seed=st.integers(0, 50),
    pick=st.integers(0, 10_000),
    d=st.integers(-20, 20).filter(bool),
)
def test_one_wrong_part_is_one_finding_naming_it(version: str, seed: int, pick: int, d: int) -> None:
    ay = _ay(version, seed)
    cells = _parts(version)
    row, col = cells[pick % len(cells)]
    value = int(ay.tables["t3"][row][col])
    found = _found(_edit(ay, {(row, col): d}))
    assert len(found) == 1, [f.message for f in found]
    (f,) = found
    assert f.rule == "I1" and f.field == f"tables.t3.{row}.{col}"
    assert (f.expected, f.found) == (str(value), str(value + d))
    assert "可能有误" in f.message


@settings(max_examples=40, deadline=None)
@given(
    version=st.sampled_from(["2019", "2021"]),
    seed=st.integers(0, 50),
    pick=st.integers(0, 10_000),
    d=st.integers(-20, 20).filter(bool),
)
def test_a_wrong_total_keeps_one_finding_per_identity(version: str, seed: int, pick: int, d: int) -> None:
    ay = _ay(version, seed)
    cells = _totals(version)
    bad = _edit(ay, {cells[pick % len(cells)]: d})
    assert _found(bad) == _old(bad)
    assert len(_found(bad)) >= 2 and not any("可能有误" in f.message for f in _found(bad))


@settings(max_examples=40, deadline=None)
@given(
    version=st.sampled_from(["2019", "2021"]),
    seed=st.integers(0, 50),
    picks=st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)),
    ds=st.tuples(st.integers(-20, 20).filter(bool), st.integers(-20, 20).filter(bool)),
)
def test_two_wrong_cells_keep_one_finding_per_identity(
    version: str, seed: int, picks: tuple[int, int], ds: tuple[int, int]
) -> None:
    ay = _ay(version, seed)
    cells = _parts(version)
    a, b = (cells[p % len(cells)] for p in picks)
    if a == b:
        return
    bad = _edit(ay, {a: ds[0], b: ds[1]})
    assert _found(bad) == _old(bad)
    assert not any("可能有误" in f.message for f in _found(bad))


def test_unequal_residuals_keep_the_old_findings() -> None:
    """A part and its row's total both wrong: three identities broken, by amounts no one cell explains."""
    ay = _ay("2021", 5)
    bad = _edit(ay, {("granted", "natural"): 2, ("granted", "total"): 1})
    assert _found(bad) == _old(bad) and len(_found(bad)) >= 2


def test_consistent_tables_have_no_identity_findings() -> None:
    for version in YEARS:
        assert _found(_ay(version, 1)) == []
