"""Every rule has a case that passes and one that fails; consistent tables pass, any change is caught."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xxgk import check as rules
from xxgk import formats
from xxgk.check import registry
from xxgk.data import diagnostics, regions, synthetic
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import Agency, AgencyYear, Channel, Facts, Narrative
from xxgk.exchange.published import read as published_read

COUNTY = Agency("demo-county", "示例县教育局", "县级", "示例县人民政府", Path())
CITY = Agency("demo-city", "示例市人民政府办公室", "市级", "示例市人民政府", Path())
# Sections 五 and 六 as the evaluator rules (N3, N4, N6) want them, claiming nothing the tables could contradict.
PLAIN = Narrative(
    overview="本年度工作正常开展。",
    problems=synthetic.PROBLEMS,
    other="信息处理费按国办函〔2020〕109号规定的标准和程序收取。",
)


def narrative(**sections: str) -> Narrative:
    """PLAIN with some sections replaced."""
    return PLAIN.model_copy(update=sections)


def make(year: int, agency: Agency = COUNTY, seed: int = 1, scale: int = 60) -> AgencyYear:
    ay = synthetic.agency_year(agency, year, seed, scale)
    return dataclasses.replace(ay, narrative=PLAIN)


def edit(ay: AgencyYear, table: str, row: str, col: str, value: object) -> AgencyYear:
    tables = copy.deepcopy(ay.tables)
    tables[table][row][col] = value
    return dataclasses.replace(ay, tables=tables)


def ids(findings: list[Diagnostic]) -> set[str]:
    return {f.rule for f in findings}


@pytest.mark.parametrize("year", [2020, 2022])
def test_consistent_tables_have_no_findings(year: int) -> None:
    assert rules.check_year(make(year)) == []


@pytest.mark.parametrize("year", [2020, 2022])
def test_s1_new_plus_carried_over_equals_handled_plus_carried_forward(year: int) -> None:
    ay = make(year)
    t3 = ay.tables["t3"]
    # Moving one application from 结转下年度 to 新收 breaks S1 only; keep I1 intact by moving totals too.
    bad = edit(ay, "t3", "carried_forward", "natural", int(t3["carried_forward"]["natural"]) + 1)
    bad = edit(bad, "t3", "carried_forward", "total", int(t3["carried_forward"]["total"]) + 1)
    found = rules.check_year(bad)
    assert ids(found) == {"S1"}
    f = next(f for f in found if f.column == "自然人")
    assert f.table == "三" and f.row == "四、结转下年度继续办理"
    assert f.expected == str(t3["carried_forward"]["natural"]) and f.found == str(int(f.expected) + 1)
    assert "（相差 -1）" in f.message and f.severity == "error"


def test_i1_row_total_is_the_sum_of_applicants() -> None:
    ay = make(2022)
    bad = edit(ay, "t3", "granted", "total", int(ay.tables["t3"]["granted"]["total"]) + 5)
    found = [f for f in rules.check_year(bad) if f.rule == "I1"]
    assert len(found) == 1
    assert found[0].message.startswith("表三 （一）予以公开 / 总计：应为")


def test_i2_handled_total_is_the_sum_of_outcomes_message_as_reviewers_read_it() -> None:
    ay = make(2020)
    total = ay.tables["t3"]["total"]
    bad = edit(ay, "t3", "total", "total", int(total["total"]) - 5)
    f = next(f for f in rules.check_year(bad) if f.rule == "I2" and f.column == "总计")
    assert f.message == f"表三 （七）总计 / 总计：应为 {total['total']}，实为 {int(total['total']) - 5}（相差 5）"


def test_i3_negative_and_fractional_counts() -> None:
    ay = make(2022)
    found = rules.check_year(edit(ay, "t4", "review", "upheld", -1))
    assert "I3" in ids(found)
    assert any("不能为负数" in f.message and f.column == "行政复议/结果维持" for f in found)
    from decimal import Decimal

    found = rules.check_year(edit(ay, "t2", "licensing", "decisions", Decimal("2.5")))
    assert ids(found) == {"I3"} and "应为整数" in found[0].message
    assert rules.check_year(edit(ay, "t2", "fees", "amount", Decimal("0.25"))) == []
    assert ids(rules.check_year(edit(ay, "t2", "fees", "amount", Decimal("-0.25")))) == {"I3"}


def test_i3_the_signed_change_may_be_negative() -> None:
    ay = make(2020)
    ok = edit(ay, "t2", "penalty", "previous_items", 10)
    assert rules.check_year(edit(ok, "t2", "penalty", "change", -3)) == []


def test_i4_review_and_litigation_totals() -> None:
    ay = make(2022)
    bad = edit(
        ay, "t4", "litigation_after_review", "total", int(ay.tables["t4"]["litigation_after_review"]["total"]) + 1
    )
    found = rules.check_year(bad)
    assert ids(found) == {"I4"}
    assert found[0].message.startswith("表四 行政诉讼/复议后起诉/总计：应为")


def test_i5_items_cannot_fall_below_zero_and_new_not_above_total() -> None:
    ay = make(2020)
    bad = edit(edit(ay, "t2", "fees", "previous_items", 2), "t2", "fees", "change", -3)
    found = rules.check_year(bad)
    assert ids(found) == {"I5"} and found[0].severity == "warning"
    bad = edit(edit(ay, "t2", "normative", "published", 9), "t2", "normative", "total_public", 4)
    assert ids(rules.check_year(bad)) == {"I5"}


def test_i6_rules_figures_from_a_body_without_rule_making_power() -> None:
    county = edit(make(2022, COUNTY), "t2", "rules", "in_force", 6)
    found = rules.check_year(county)
    assert ids(found) == {"I6"} and "县级机关没有规章制定权" in found[0].message
    city = edit(make(2022, CITY), "t2", "rules", "in_force", 6)
    assert "I6" not in ids(rules.check_year(city))


def test_i7_numbers_in_the_narrative_must_equal_the_tables() -> None:
    ay = make(2022)
    new = int(ay.tables["t3"]["new"]["total"])
    good = dataclasses.replace(ay, narrative=narrative(overview=f"本年度共新收政府信息公开申请{new}件。"))
    assert rules.check_year(good) == []
    bad = dataclasses.replace(ay, narrative=narrative(overview=f"本年度共新收政府信息公开\n申请{new + 3}件。"))
    (f,) = rules.check_year(bad)
    assert f.rule == "I7" and f.severity == "error" and f.field == "narrative.overview"
    assert f"应为 {new}，实为 {new + 3}" in f.message and "一、总体情况" in f.message


def test_f1_channels_add_up_to_the_proactive_total() -> None:
    ay = make(2020)
    channels = (Channel(name="门户网站", items=3), Channel(name="新媒体", items=7))
    assert rules.check_year(dataclasses.replace(ay, facts=Facts(proactive_items=10, channels=channels))) == []
    (f,) = rules.check_year(dataclasses.replace(ay, facts=Facts(proactive_items=16, channels=channels)))
    assert f.rule == "F1" and "相差 6" in f.message


def test_cross_year_rules_pass_on_a_consistent_series() -> None:
    years = [dataclasses.replace(y, narrative=PLAIN) for y in synthetic.series(CITY, range(2019, 2025), 4, 80)]
    assert rules.check_agency(years) == []


def test_x1_carried_over_equals_last_years_carried_forward() -> None:
    y1, y2 = (dataclasses.replace(y, narrative=PLAIN) for y in synthetic.series(CITY, range(2021, 2023), 4, 80))
    prev = int(y1.tables["t3"]["carried_forward"]["natural"])
    y2 = edit(y2, "t3", "carried_over", "natural", prev + 2)
    found = list(rules.check_pair(y1, y2))
    assert ids(found) == {"X1"} and found[0].severity == "warning"
    assert f"上一年度“结转下年度继续办理”为 {prev}" in found[0].message


def test_x2_rules_in_force_carry_over() -> None:
    y1, y2 = synthetic.series(CITY, range(2021, 2023), 4, 80)
    bad = edit(y2, "t2", "normative", "in_force", int(y2.tables["t2"]["normative"]["in_force"]) + 1)
    assert ids(list(rules.check_pair(y1, bad))) == {"X2"}
    assert list(rules.check_pair(y1, y2)) == []


def test_x3_previous_items_and_total_public() -> None:
    y1, y2 = synthetic.series(CITY, range(2019, 2021), 4, 80)
    bad = edit(y2, "t2", "licensing", "previous_items", int(y2.tables["t2"]["licensing"]["previous_items"]) + 1)
    assert ids(list(rules.check_pair(y1, bad))) == {"X3"}
    shrink = edit(y2, "t2", "normative", "total_public", 0)
    assert ids(list(rules.check_pair(y1, shrink))) == {"X3"}


def test_no_cross_year_table_2_relation_across_the_format_switch() -> None:
    y1, y2 = synthetic.series(CITY, range(2020, 2022), 4, 80)
    assert y1.format.id == "2019" and y2.format.id == "2021"
    assert list(rules.check_pair(y1, y2)) == []


def test_every_rule_id_is_described_with_its_severity() -> None:
    described = formats.rules()
    assert {"S1", "I1", "I2", "I3", "I4", "I7"} <= {r for r, v in described.items() if v.severity == "error"}
    assert {"I5", "I6", "X1", "X2", "X3"} <= {r for r, v in described.items() if v.severity == "warning"}


def test_rule_ids_and_code_match_both_ways() -> None:
    """No id of stage ``check`` in national.yaml without registered code, no code under an id it does not know;
    the ``read`` ids are the ones the readers raise (their constants live in xxgk.data.diagnostics, those
    of published reports in xxgk.exchange.published.read, and those of regions in xxgk.data.regions)."""
    described = formats.rules()
    checked = {r for r, v in described.items() if v.stage == "check"}
    read = {r for r, v in described.items() if v.stage == "read"}
    assert registry.registered_ids() == checked
    assert read == {
        diagnostics.UNREADABLE,
        diagnostics.BLANK_CELL,
        diagnostics.IMPORT_NOTICE,
        *published_read.RULES,
        *regions.RULES,
    }
    assert set(formats.identity_ids()) <= checked
    with pytest.raises(KeyError, match=r"not described in national\.yaml"):
        registry.rule("Z9")
    with pytest.raises(KeyError, match="registered twice"):
        registry.rule("S1")(lambda ay: iter(()))


def test_a_check_may_report_only_its_own_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    ay = synthetic.agency_year(CITY, 2023, seed=1)
    (i,) = [i for i, c in enumerate(registry.checks()) if c.ids == ("I3",)]
    wrong = Diagnostic(rule="S1", severity="error", message="x")
    patched = list(registry._checks)
    patched[i] = registry.Check(("I3",), "year", lambda ay: iter([wrong]))
    monkeypatch.setattr(registry, "_checks", patched)
    with pytest.raises(RuntimeError, match="reported rule S1"):
        rules.check_year(ay)


# --- properties ---------------------------------------------------------------------------------

years = st.sampled_from([2019, 2020, 2021, 2022, 2024])
scales = st.integers(min_value=0, max_value=400)
seeds = st.integers(min_value=0, max_value=10_000)


@settings(max_examples=60, deadline=None)
@given(year=years, seed=seeds, scale=scales)
def test_generated_consistent_tables_pass_every_error_rule(year: int, seed: int, scale: int) -> None:
    assert rules.errors(rules.check_year(make(year, seed=seed, scale=scale))) == []


@settings(max_examples=200, deadline=None)
@given(year=years, seed=seeds, scale=scales, data=st.data())
def test_changing_any_cell_of_tables_3_and_4_is_caught(year: int, seed: int, scale: int, data: st.DataObject) -> None:
    """Tables 三 and 四 are fully determined by their identities: every single change shows.

    (Table 二 has no identity among its cells; only a change that makes a count negative is an error.)
    """
    ay = make(year, seed=seed, scale=scale)
    cells = [c for c in ay.format.cells if c.table in ("t3", "t4")]
    spec = data.draw(st.sampled_from(cells))
    old = int(ay.tables[spec.table][spec.row][spec.column])
    delta = data.draw(st.integers(min_value=-50, max_value=50).filter(lambda d: d != 0))
    found = rules.errors(rules.check_year(edit(ay, spec.table, spec.row, spec.column, old + delta)))
    assert found, f"changing {spec.label} by {delta} was not caught"


def test_n1_a_placeholder_that_cannot_be_filled_is_an_error() -> None:
    ay = make(2022)
    ok = dataclasses.replace(ay, narrative=narrative(overview="新收申请{{ applications.new }}件。"))
    assert rules.check_year(ok) == []
    bad = dataclasses.replace(ay, narrative=narrative(problems="见{{ applications.nosuch }}。"))
    (f,) = rules.check_year(bad)
    assert f.rule == "N1" and f.severity == "error" and f.field == "narrative.problems"
    assert "applications.nosuch" in f.message and "五、存在的主要问题及改进情况" in f.message
