"""Recovering flattened table rows by the format's identities (xxgk.exchange.published.flat).

The property that matters is that a recovery is never wrong: for any consistent table, flattening
its rows to digit runs and solving either gives back exactly the table or says the split is not
unique. The concrete cases pin the messages and the limits (no split, ambiguity, the step cap).
"""

from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xxgk.exchange.published.flat import (
    MAX_STEPS,
    SOLUTION_CAP,
    WHOLE,
    Recovery,
    count_splits,
    digits_of,
    recover,
    spaced_numbers,
    split_counts,
    split_line,
)
from xxgk.formats import FormatVersion, get

Table = dict[str, tuple[int, ...]]

# Counts as published tables show them: mostly zeros and small numbers, now and then hundreds.
counts = st.one_of(st.just(0), st.just(0), st.integers(0, 9), st.integers(0, 60), st.integers(100, 999))


def _result_rows(v: FormatVersion) -> list[str]:
    ident = next(i for i in v.identities if i.id == "I2")
    return [row for _, row in ident.parts]


def _applicants(draw: st.DrawFn) -> tuple[int, ...]:
    parts = tuple(draw(counts) for _ in range(6))
    return (*parts, sum(parts))


@st.composite
def t3_tables(draw: st.DrawFn, version: str) -> Table:
    """A table 三 satisfying I1 (every row), I2 and S1 (every column)."""
    v = get(version)
    table: Table = {row: _applicants(draw) for row in _result_rows(v)}
    total = tuple(sum(col) for col in zip(*table.values(), strict=True))
    forward = _applicants(draw)
    over_parts = tuple(draw(st.integers(0, total[c] + forward[c])) for c in range(6))
    over = (*over_parts, sum(over_parts))
    new = tuple(total[c] + forward[c] - over[c] for c in range(7))
    table.update(new=new, carried_over=over, total=total, carried_forward=forward)
    return {row: table[row] for row in v.layout["t3"]}


@st.composite
def t4_tables(draw: st.DrawFn) -> Table:
    out: Table = {}
    for row in get("2021").layout["t4"]:
        parts = tuple(draw(counts) for _ in range(4))
        out[row] = (*parts, sum(parts))
    return out


def _runs(table: Table) -> dict[str, str]:
    return {row: "".join(map(str, values)) for row, values in table.items()}


def _cells(v: FormatVersion, name: str, table: Table) -> dict[tuple[str, str], int]:
    layout = v.layout[name]
    return {(row, col): value for row, values in table.items() for col, value in zip(layout[row], values, strict=True)}


def _never_wrong(got: Recovery, expected: dict[tuple[str, str], int]) -> None:
    assert not got.aborted, got.reason
    if got.cells is None:
        assert got.solutions > 1, got.reason
        assert "不唯一" in got.reason
    else:
        assert got.cells == expected
        assert got.solutions == 1 and got.reason == ""
    assert got.candidates >= max(got.solutions, 1)


@pytest.mark.parametrize("version", ["2019", "2021"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_table_three_is_recovered_exactly_or_not_at_all(version: str, data: st.DataObject) -> None:
    v = get(version)
    table = data.draw(t3_tables(version))
    got = recover(v, "t3", _runs(table))
    _never_wrong(got, _cells(v, "t3", table))
    assert got.cells is None or got.recovered == frozenset(got.cells)


@pytest.mark.parametrize("version", ["2019", "2021"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_part_of_table_three_is_never_recovered_wrongly(version: str, data: st.DataObject) -> None:
    """Unknown rows switch their identities off; rows read as numbers still constrain the others."""
    v = get(version)
    table = data.draw(t3_tables(version))
    rows = list(table)
    given_rows = data.draw(st.lists(st.sampled_from(rows), min_size=1, unique=True))
    read = data.draw(st.sets(st.sampled_from(given_rows)))
    runs: dict[str, str | tuple[int, ...]] = {
        row: table[row] if row in read else "".join(map(str, table[row])) for row in given_rows
    }
    got = recover(v, "t3", runs)
    _never_wrong(got, _cells(v, "t3", {row: table[row] for row in given_rows}))
    if got.cells is not None:
        assert got.recovered == frozenset(c for c in got.cells if c[0] not in read)


@settings(max_examples=100, deadline=None)
@given(table=t4_tables(), whole=st.booleans())
def test_table_four_is_recovered_exactly_or_not_at_all(table: Table, whole: bool) -> None:
    v = get("2021")
    runs = {WHOLE: "".join(_runs(table).values())} if whole else _runs(table)
    _never_wrong(recover(v, "t4", runs), _cells(v, "t4", table))


def test_all_zero_table_three_is_unique() -> None:
    v = get("2021")
    got = recover(v, "t3", {row: "0000000" for row in v.layout["t3"]})
    assert got.cells is not None and set(got.cells.values()) == {0}
    assert len(got.cells) == 25 * 7
    assert got.candidates == 1 and got.note() == "数字串只有1种切分"


def test_zero_row_alone() -> None:
    got = recover(get("2019"), "t3", {"withheld_state_secret": "0000000"})
    assert got.cells == {("withheld_state_secret", c): 0 for c in get("2019").layout["t3"]["withheld_state_secret"]}


def test_table_four_as_one_run_of_zeros() -> None:
    got = recover(get("2021"), "t4", {WHOLE: "0" * 15})
    assert got.cells is not None and len(got.cells) == 15 and set(got.cells.values()) == {0}


def test_table_four_one_run_counts_its_splits() -> None:
    # 行政复议 12 3 0 1 16, 直接起诉 0 1 0 0 1, 复议后起诉 0 0 0 0 0
    got = recover(get("2021"), "t4", {WHOLE: "1230116" + "01001" + "00000"})
    assert got.cells is not None
    assert [got.cells[("review", c)] for c in ("upheld", "corrected", "other", "pending", "total")] == [12, 3, 0, 1, 16]
    assert got.candidates == count_splits("123011601001" + "00000", 15) > 1
    assert got.note() == f"{got.candidates}种切分中唯一满足勾稽的1种"


def test_row_without_identity_is_ambiguous_and_named() -> None:
    got = recover(get("2019"), "t2", {"rules": "000", "fees": "123"})  # 1|23 or 12|3
    assert got.cells is None and got.solutions == 2
    assert "行政事业性收费" in got.reason and "规章" not in got.reason


def test_rows_without_identity_recovered_when_each_has_one_split() -> None:
    got = recover(get("2021"), "t2", {"rules": "000", "licensing": "1520", "fees": "0"})
    assert got.cells == {
        ("rules", "issued"): 0,
        ("rules", "repealed"): 0,
        ("rules", "in_force"): 0,
        ("licensing", "decisions"): 1520,
        ("fees", "amount"): 0,
    }


def test_run_too_short_or_too_long() -> None:
    v = get("2021")
    short = recover(v, "t3", {"new": "000"})
    assert short.cells is None and short.solutions == 0 and short.candidates == 0
    assert "一、本年新收政府信息公开申请数量" in short.reason and "无法切分为7个数" in short.reason
    long = recover(v, "t4", {"review": "000000"})  # zeros cannot join: six cells for five
    assert long.cells is None and "行政复议" in long.reason


def test_row_that_breaks_its_own_identity() -> None:
    got = recover(get("2021"), "t3", {"total": "1230101013"})  # 12+3+0+1+0+1 = 17, not 13
    assert got.cells is None and got.solutions == 0
    assert "（七）总计" in got.reason and "I1" in got.reason


def test_rows_that_break_a_column_identity() -> None:
    v = get("2021")
    runs = {"new": "1000001", "carried_over": "0000000", "total": "0000000", "carried_forward": "0000000"}
    got = recover(v, "t3", runs)
    assert got.cells is None and got.solutions == 0 and "S1" in got.reason


def test_column_identities_choose_among_row_splits() -> None:
    """``110000011`` satisfies I1 as 1|10|0|0|0|0|11 and as 11|0|0|0|0|0|11 (natural persons 1 or 11):
    only S1 (new + carried over = total + carried forward) tells which."""
    v = get("2021")
    alone = recover(v, "t3", {"new": "110000011"})
    assert alone.cells is None and alone.solutions == 2 and "一、本年新收政府信息公开申请数量" in alone.reason
    runs = {"new": "110000011", "carried_over": "0000000", "total": "1000001", "carried_forward": "010000010"}
    got = recover(v, "t3", runs)
    assert got.cells is not None
    assert [got.cells[("new", c)] for c in v.layout["t3"]["new"]] == [1, 10, 0, 0, 0, 0, 11]
    assert got.candidates == math.prod(count_splits(run, 7) for run in runs.values()) > 2


def test_rows_read_as_numbers_constrain_the_runs() -> None:
    v = get("2021")
    runs: dict[str, str | tuple[int, ...]] = {
        "new": "110000011",
        "carried_over": (0,) * 7,
        "total": (11, 0, 0, 0, 0, 0, 11),
        "carried_forward": (0,) * 7,
    }
    got = recover(v, "t3", runs)
    assert got.cells is not None and got.recovered == frozenset(("new", c) for c in v.layout["t3"]["new"])


REALISTIC_2021: Table = {
    "new": (152, 3, 0, 1, 2, 0, 158),
    "carried_over": (7, 0, 0, 0, 0, 0, 7),
    "granted": (61, 1, 0, 0, 1, 0, 63),
    "partial": (12, 0, 0, 0, 0, 0, 12),
    "withheld_state_secret": (0, 0, 0, 0, 0, 0, 0),
    "withheld_prohibited": (1, 0, 0, 0, 0, 0, 1),
    "withheld_three_safety": (0, 0, 0, 0, 0, 0, 0),
    "withheld_third_party": (3, 0, 0, 0, 0, 0, 3),
    "withheld_internal": (2, 0, 0, 0, 0, 0, 2),
    "withheld_process": (4, 0, 0, 0, 0, 0, 4),
    "withheld_enforcement": (0, 0, 0, 0, 0, 0, 0),
    "withheld_query": (1, 0, 0, 0, 0, 0, 1),
    "unavailable_not_held": (38, 2, 0, 1, 0, 0, 41),
    "unavailable_needs_creation": (5, 0, 0, 0, 0, 0, 5),
    "unavailable_unclear": (2, 0, 0, 0, 0, 0, 2),
    "not_processed_petition": (6, 0, 0, 0, 0, 0, 6),
    "not_processed_repeated": (10, 0, 0, 0, 1, 0, 11),
    "not_processed_publication": (0, 0, 0, 0, 0, 0, 0),
    "not_processed_mass": (0, 0, 0, 0, 0, 0, 0),
    "not_processed_confirmation": (1, 0, 0, 0, 0, 0, 1),
    "other_no_correction": (3, 0, 0, 0, 0, 0, 3),
    "other_no_fee": (0, 0, 0, 0, 0, 0, 0),
    "other_other": (2, 0, 0, 0, 0, 0, 2),
    "total": (151, 3, 0, 1, 2, 0, 157),
    "carried_forward": (8, 0, 0, 0, 0, 0, 8),
}


def test_realistic_table_three_is_unique_and_cheap() -> None:
    v = get("2021")
    got = recover(v, "t3", _runs(REALISTIC_2021))
    assert got.cells == _cells(v, "t3", REALISTIC_2021)
    assert got.candidates > 10**6  # the rows alone admit millions of combinations
    assert got.steps < 5_000  # the search visited a few thousand nodes at most


def test_pathological_runs_stop_at_the_step_cap() -> None:
    """26 rows of 40 random digits: billions of splits per row; the search must give up, not hang."""
    v = get("2021")
    rng = random.Random(7)
    runs = {row: "".join(rng.choice("123456789") for _ in range(40)) for row in v.layout["t3"]}
    got = recover(v, "t3", runs)
    assert got.aborted and got.cells is None
    assert "过多" in got.reason
    assert MAX_STEPS < got.steps <= MAX_STEPS + 100
    assert got.candidates > 10**100


def test_step_cap_is_the_callers() -> None:
    v = get("2021")
    got = recover(v, "t3", _runs(REALISTIC_2021), max_steps=50)
    assert got.aborted and got.cells is None and got.steps <= 50 + 100


def test_solution_count_is_capped() -> None:
    v = get("2021")
    runs = {row: "1111111111111" for row in ("rules", "normative")}  # 3 cells from 13 ones: 66 ways each
    got = recover(v, "t2", runs | {"licensing": "11111111"})
    assert got.cells is None and got.solutions == SOLUTION_CAP and "至少1000种" in got.reason


def test_bad_input() -> None:
    v = get("2021")
    with pytest.raises(ValueError):
        recover(v, "t3", {"no_such_row": "0"})
    with pytest.raises(ValueError):
        recover(v, "t4", {WHOLE: "0" * 15, "review": "00000"})
    with pytest.raises(ValueError):
        recover(v, "t3", {"new": (0, 0)})
    got = recover(v, "t3", {"new": "12a"})
    assert got.cells is None and "不是纯数字" in got.reason


def _brute(run: str, n: int) -> list[tuple[int, ...]]:
    out = []
    for cuts in itertools.combinations(range(1, len(run)), n - 1):
        bounds = (0, *cuts, len(run))
        pieces = [run[a:b] for a, b in itertools.pairwise(bounds)]
        if all(p == "0" or p[0] != "0" for p in pieces):
            out.append(tuple(int(p) for p in pieces))
    return out


@given(run=st.text("0123456789", min_size=1, max_size=10), n=st.integers(1, 6))
def test_split_counts_is_every_split_without_leading_zeros(run: str, n: int) -> None:
    got = list(split_counts(run, n))
    assert sorted(got) == sorted(_brute(run, n))
    assert len(got) == len(set(got)) == count_splits(run, n)


def test_split_counts_edges() -> None:
    assert list(split_counts("1203", 3)) == [(1, 20, 3), (12, 0, 3)]
    assert list(split_counts("", 0)) == [()]
    assert list(split_counts("012", 2)) == [(0, 12)]
    assert list(split_counts("00", 1)) == []
    assert count_splits("1" * 60, 7) == math.comb(59, 6)  # no zeros: any 6 of the 59 gaps
    with pytest.raises(ValueError):
        list(split_counts("１２", 2))


def test_digits_of() -> None:
    assert digits_of("１２ ３\u3000４") == "1234"
    assert digits_of("1,520 0") == "15200"
    assert digits_of(" 0000000 ") == "0000000"
    assert digits_of("12/3") is None
    assert digits_of("1.5") is None
    assert digits_of("  ") is None


def test_spaced_numbers() -> None:
    assert spaced_numbers("12 3 0 1 0 1 13") == [12, 3, 0, 1, 0, 1, 13]
    assert spaced_numbers("１２\u3000３") == [12, 3]
    assert spaced_numbers("1,520 3") == [1520, 3]
    assert spaced_numbers("1230101013") is None
    assert spaced_numbers("0 012") is None
    assert spaced_numbers("12 件") is None


@pytest.mark.parametrize(
    ("line", "labels", "expected"),
    [
        ("1.属于国家秘密0000000", [], ("1.属于国家秘密", "0000000")),
        ("（七）总计 12 3 0 1 0 1 13", ["（七）总计"], ("（七）总计", "12 3 0 1 0 1 13")),
        ("（七）总计1230101013", [], ("（七）总计", "1230101013")),
        ("3.危及“三安全一稳定”0000000", [], ("3.危及“三安全一稳定”", "0000000")),
        ("１.属于国家秘密０００００００", [], ("１.属于国家秘密", "０００００００")),
        ("1. 属于 国家秘密 0 0 0 0 0 0 0", ["1.属于国家秘密", "1.属于"], ("1. 属于 国家秘密", "0 0 0 0 0 0 0")),
        (
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）1203",
            [],
            ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "1203"),
        ),
        ("规章000", ["规章"], ("规章", "000")),
        ("五、存在的主要问题及改进情况", [], None),
        ("12 3 0", [], None),
    ],
)
def test_split_line(line: str, labels: list[str], expected: tuple[str, str] | None) -> None:
    assert split_line(line, labels) == expected
