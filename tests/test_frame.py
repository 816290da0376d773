"""The tidy frame for analysts (``xxgk.frame``, ``xxgk.agency_years``) on the bundled examples."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import xxgk
from tests.conftest import EXAMPLES, REPO
from xxgk.data import tree
from xxgk.data.diagnostics import InputError
from xxgk.data.model import AgencyYear, Amount, count
from xxgk.report.frame import CELL_COLUMNS, YEAR_COLUMNS


@pytest.fixture(scope="module")
def examples() -> list[AgencyYear]:
    return tree.load_tree(EXAMPLES).years


@pytest.fixture(scope="module")
def cells() -> pd.DataFrame:
    return xxgk.frame(EXAMPLES)


def test_one_row_per_cell_of_every_year_in_official_order(cells: pd.DataFrame, examples: list[AgencyYear]) -> None:
    assert list(cells.columns) == list(CELL_COLUMNS)
    assert len(cells) == sum(len(ay.format.cells) for ay in examples)
    first = min(examples, key=lambda a: (a.agency.id, a.year))
    head = cells.iloc[: len(first.format.cells)]
    assert list(zip(head.row, head.column, strict=True)) == [(c.row, c.column) for c in first.format.cells]
    assert list(head.row_label) == [c.row_label for c in first.format.cells]
    assert list(head.column_label) == [c.column_label for c in first.format.cells]


def test_table_three_totals_equal_the_data_files(cells: pd.DataFrame, examples: list[AgencyYear]) -> None:
    """表三's （七）总计 row, pivoted to one row per agency-year and one column per applicant column."""
    t3 = cells[(cells.table_key == "t3") & (cells.row == "total")]
    pivot = t3.pivot_table(index=["agency", "year"], columns="column", values="value", aggfunc="sum", observed=True)
    assert len(pivot) == len(examples)
    for ay in examples:
        for column, v in ay.tables["t3"]["total"].items():
            assert pivot.loc[(ay.agency.id, ay.year), column] == count(v), (ay.agency.id, ay.year, column)


def test_groupby_sums_are_right(cells: pd.DataFrame, examples: list[AgencyYear]) -> None:
    new = cells[(cells.table_key == "t3") & (cells.row == "new") & (cells.column == "total")]
    by_year = new.groupby("year").value.sum()
    for year in {ay.year for ay in examples}:
        assert by_year[year] == sum(count(ay.value("t3", "new", "total")) for ay in examples if ay.year == year)
    by_level = new.groupby("level", observed=True).value.sum()
    for level in {ay.agency.level for ay in examples}:
        expected = sum(count(ay.value("t3", "new", "total")) for ay in examples if ay.agency.level == level)
        assert by_level[level] == expected


def test_money_is_in_wan_yuan_and_exact_as_text(cells: pd.DataFrame, examples: list[AgencyYear]) -> None:
    money = cells[cells.kind.isin(["wan", "amount"])]
    assert set(money.unit) == {"万元"} and set(cells[~cells.kind.isin(["wan", "amount"])].unit) == {""}
    seen = 0
    for ay in examples:
        for spec, v in ay.cells():
            if spec.kind not in ("wan", "amount"):
                continue
            row = money[(money.agency == ay.agency.id) & (money.year == ay.year) & (money.column == spec.column)]
            number = (
                v.value / 10000 if isinstance(v, Amount) and v.unit == "元" else Decimal(str(getattr(v, "value", v)))
            )
            assert row.value.item() == pytest.approx(float(number))
            seen += 1
    assert seen == len(money) > 0
    assert "1885000元" in set(money.value_text)  # the 2019 procurement total as the body wrote it


def test_repeated_strings_are_categorical(cells: pd.DataFrame) -> None:
    for name in ("agency", "agency_name", "level", "parent", "format", "table", "table_key", "row", "column"):
        assert isinstance(cells[name].dtype, pd.CategoricalDtype), name
    for name in ("row_label", "column_label", "kind", "unit"):
        assert isinstance(cells[name].dtype, pd.CategoricalDtype), name
    assert cells.value.dtype == "float64" and cells.year.dtype == "int64"
    assert list(cells.table.cat.categories) == ["二", "三", "四"]


def test_filters(examples: list[AgencyYear]) -> None:
    some = xxgk.frame(EXAMPLES, years=[2021, 2022], agencies=["shiqiao-town"])
    assert set(some.agency) == {"shiqiao-town"} and set(some.year) == {2021, 2022}
    assert len(some) == sum(
        len(ay.format.cells) for ay in examples if ay.agency.id == "shiqiao-town" and ay.year in (2021, 2022)
    )
    years = xxgk.agency_years(str(EXAMPLES), years=range(2020, 2021))
    assert list(years.agency) == sorted(ay.agency.id for ay in examples if ay.year == 2020)
    assert len(xxgk.frame(EXAMPLES, years=[2018])) == 0


def test_agency_years_of_the_examples(examples: list[AgencyYear]) -> None:
    years = xxgk.agency_years(EXAMPLES)
    assert list(years.columns) == list(YEAR_COLUMNS)
    assert len(years) == len(examples)
    assert set(years.status) == {"ok"} and years.errors.sum() == 0
    for name in ("agency", "agency_name", "level", "parent", "format", "status"):
        assert isinstance(years[name].dtype, pd.CategoricalDtype), name
    assert pd.api.types.is_datetime64_any_dtype(years.published)
    row = years[(years.agency == "shiqiao-town") & (years.year == 2023)].iloc[0]
    ay = next(a for a in examples if a.agency.id == "shiqiao-town" and a.year == 2023)
    assert row.published.date() == ay.published and row.format == ay.format.id and row.path == str(ay.path)


def test_an_unreadable_year_is_a_row_of_agency_years_and_has_no_cells(params: Path) -> None:
    (params / "shiqiao-town" / "2021.yaml").write_text("tables: [\n", encoding="utf-8")
    (params / "shiqiao-town" / "notes.yaml").write_text("x: 1\n", encoding="utf-8")
    years = xxgk.agency_years(params)
    broken = years[(years.agency == "shiqiao-town") & (years.year == 2021)].iloc[0]
    assert broken.status == "unreadable" and broken.errors == 1 and pd.isna(broken.published)
    assert broken.agency_name == tree.read_agency(params / "shiqiao-town").name  # from its agency.yaml
    misnamed = years[years.path.str.endswith("notes.yaml")]
    assert len(misnamed) == 1 and pd.isna(misnamed.year.item()) and misnamed.status.item() == "unreadable"
    cells = xxgk.frame(params)
    assert not ((cells.agency == "shiqiao-town") & (cells.year == 2021)).any()
    assert ((cells.agency == "shiqiao-town") & (cells.year == 2022)).any()
    assert len(xxgk.agency_years(params, years=[2021], agencies=["shiqiao-town"])) == 1


def test_a_body_whose_agency_file_is_broken_lists_each_year_as_unreadable(params: Path) -> None:
    (params / "shiqiao-town" / "agency.yaml").write_text("name: [\n", encoding="utf-8")
    years = xxgk.agency_years(params)
    town = years[years.agency == "shiqiao-town"]
    assert list(town.year) == [2019, 2020, 2021, 2022, 2023, 2024]
    assert set(town.status) == {"unreadable"} and town.agency_name.isna().all()
    assert "shiqiao-town" not in set(xxgk.frame(params).agency)


def test_a_year_with_errors_is_invalid(params: Path) -> None:
    from tests.conftest import set_cell

    set_cell(params / "shiqiao-town" / "2023.yaml", "new", "natural", 999)
    years = xxgk.agency_years(params, agencies=["shiqiao-town"])
    row = years[years.year == 2023].iloc[0]
    assert row.status == "invalid" and row.errors > 0
    assert set(years[years.year != 2023].status) <= {"ok", "invalid"}


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="数据目录不存在"):
        xxgk.frame(tmp_path / "nothing")
    with pytest.raises(InputError, match="数据目录不存在"):
        xxgk.agency_years(tmp_path / "nothing")


def test_import_xxgk_stays_light() -> None:
    code = "import sys, xxgk; print(sorted(m for m in sys.modules if m.startswith(('xxgk', 'pandas', 'typing'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.strip() == "['xxgk']"
    assert callable(xxgk.frame) and "agency_years" in dir(xxgk)
    with pytest.raises(AttributeError):
        xxgk.no_such_thing  # noqa: B018
