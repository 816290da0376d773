"""The publishing rules (P1, P5, P6, P7, D3, T3, T4): each fires on a real-looking slip with the numbers in
its message, and stays silent on the near misses a real report is full of, on copies of the bundled examples."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xxgk import check, formats
from xxgk.check import publishing, registry
from xxgk.data import synthetic, tree
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import Agency, AgencyYear

from .conftest import EXAMPLES

CITY, COUNTY, TOWN = "jinhe-city-gov-office", "qingshan-county-education", "shiqiao-town"
RULES = {"P1": "error", "P5": "warning", "P6": "error", "P7": "warning", "D3": "error", "T3": "warning"}
RULES |= {"T4": "warning"}


@functools.cache
def _example(agency: str, year: int) -> AgencyYear:
    return tree.read_year(EXAMPLES / agency / f"{year}.yaml", tree.read_agency(EXAMPLES / agency))


def example(agency: str = COUNTY, year: int = 2023, **sections: str) -> AgencyYear:
    """A copy of a bundled agency-year, with some narrative sections replaced."""
    ay = _example(agency, year)
    return dataclasses.replace(ay, tables=copy.deepcopy(ay.tables), narrative=ay.narrative.model_copy(update=sections))


def with_overview(text: str, year: int = 2023, agency: str = COUNTY) -> AgencyYear:
    """The example with ``text`` added to its section 一 (the rest of the text stays as it was)."""
    ay = example(agency, year)
    return example(agency, year, overview=ay.narrative.overview + "\n\n" + text)


def findings(ay: AgencyYear, rule: str) -> list[Diagnostic]:
    return [d for d in check.check_year(ay) if d.rule == rule]


def messages(ay: AgencyYear, rule: str) -> list[str]:
    found = findings(ay, rule)
    assert all(d.severity == RULES[rule] for d in found), found
    return [d.message for d in found]


def renamed(ay: AgencyYear, name: str) -> AgencyYear:
    return dataclasses.replace(ay, agency=dataclasses.replace(ay.agency, name=name))


# --- the rules as a whole ----------------------------------------------------------------------------


def test_each_rule_is_described_with_its_severity_and_registered() -> None:
    described = formats.rules()
    assert {r: described[r].severity for r in RULES} == RULES
    ours = [c for c in registry.checks() if c.fn.__module__ == publishing.__name__]
    assert sorted(i for c in ours for i in c.ids) == sorted(RULES)
    assert all(c.scope == "year" and len(c.ids) == 1 for c in ours)


def test_the_bundled_examples_give_no_finding() -> None:
    loaded, found = check.load_and_check(EXAMPLES)
    assert len(loaded.years) == 19 and not loaded.problems
    assert [d for d in found if d.rule in RULES] == []


@pytest.mark.parametrize(("name", "level"), [("示例市人民政府办公室", "市级"), ("示例县教育局", "县级")])
def test_generated_years_give_no_finding(name: str, level: str) -> None:
    body = Agency("demo", name, level, None, Path())
    for seed in range(10):
        for ay in synthetic.series(body, range(2019, 2026), seed, 80):
            assert [d for d in check.check_year(ay) if d.rule in RULES] == []


# --- P1: the statutory deadline --------------------------------------------------------------------


def test_p1_a_department_late_by_five_days() -> None:
    ay = dataclasses.replace(example(COUNTY, 2023), published=dt.date(2024, 2, 5))
    (d,) = findings(ay, "P1")
    assert d.message == "逾期发布：部门年报应于2024年1月31日前公布，实际发布日期2024-02-05"
    assert (d.severity, d.field, d.year) == ("error", "published", 2023)


def test_p1_published_on_the_last_day_or_not_at_all_is_no_finding() -> None:
    assert messages(dataclasses.replace(example(COUNTY, 2023), published=dt.date(2024, 1, 31)), "P1") == []
    assert messages(dataclasses.replace(example(COUNTY, 2023), published=None), "P1") == []


@pytest.mark.parametrize(("agency", "name"), [(TOWN, None), (CITY, None), (COUNTY, "青山县人民政府办公厅")])
def test_p1_a_government_report_has_until_31_march(agency: str, name: str | None) -> None:
    ay = example(agency, 2022)
    ay = renamed(ay, name) if name else ay
    assert messages(dataclasses.replace(ay, published=dt.date(2023, 3, 15)), "P1") == []
    assert messages(dataclasses.replace(ay, published=dt.date(2023, 3, 31)), "P1") == []
    assert messages(dataclasses.replace(ay, published=dt.date(2023, 4, 1)), "P1") == [
        "逾期发布：本级人民政府年报应于2023年3月31日前公布，实际发布日期2023-04-01"
    ]


def test_p1_a_department_of_the_government_is_a_department() -> None:
    """人民政府 inside the name (a 委员会 of the government) is not the government or its office."""
    ay = renamed(example(COUNTY, 2022), "青山县人民政府国有资产监督管理委员会")
    assert not publishing.is_government_report(ay.agency)
    assert messages(dataclasses.replace(ay, published=dt.date(2023, 3, 15)), "P1") == [
        "逾期发布：部门年报应于2023年1月31日前公布，实际发布日期2023-03-15"
    ]


@settings(max_examples=60, deadline=None)
@given(
    day=st.dates(dt.date(2023, 1, 1), dt.date(2024, 12, 31)),
    later=st.integers(0, 400),
    government=st.booleans(),
)
def test_p1_is_monotone_in_the_date_and_fires_after_the_deadline(day: dt.date, later: int, government: bool) -> None:
    ay = renamed(example(COUNTY, 2022), "青山县人民政府" if government else "青山县教育局")
    last = dt.date(2023, 3, 31) if government else dt.date(2023, 1, 31)
    late = bool(findings(dataclasses.replace(ay, published=day), "P1"))
    assert late == (day > last)
    if late:
        assert findings(dataclasses.replace(ay, published=day + dt.timedelta(days=later)), "P1")


# --- P5: the cited basis ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cited",
    [
        "国办公开办函〔2019〕60号",
        "国办公开办函[2019]60号",
        "国办公开办函【2019】60号",
        "国办公开办函（2019）60号",
        "国办公开办函(2019)60号",
        "国办公开办函〔２０１９〕６０号",
        "〔2019〕60号",
    ],
)
def test_p5_a_2022_report_citing_the_2019_notice(cited: str) -> None:
    ay = with_overview(f"本报告按照《关于印发政府信息公开工作年度报告格式的通知》（{cited}）要求编制。", 2022)
    (m,) = messages(ay, "P5")
    assert m.startswith("第一部分引用国办公开办函〔2019〕60号（中华人民共和国政府信息公开工作年度报告格式（试行））")
    assert m.endswith("但2022年度报告应执行国办公开办函〔2021〕30号") and cited in m


def test_p5_a_2020_report_citing_the_2021_notice_and_once_only() -> None:
    text = "依据国办公开办函〔2021〕30号编制。格式见〔2021〕30号。"
    (m,) = messages(with_overview(text, 2020), "P5")
    assert "引用国办公开办函〔2021〕30号" in m and "但2020年度报告应执行国办公开办函〔2019〕60号" in m


@pytest.mark.parametrize(
    ("year", "text"),
    [
        (2022, "依据国办公开办函〔2021〕30号编制。"),  # its own basis
        (2020, "依据国办公开办函〔2019〕60号编制。"),
        (2022, "按照国办函〔2020〕109号收取信息处理费。"),  # the fee notice
        (2022, "落实国办发〔2019〕60号文件要求。"),  # another issuer's number
        (2022, "转发财办函[2021]30号。"),
        (2022, "统计期限为2022年1月1日至2022年12月31日。"),
    ],
)
def test_p5_other_citations_are_no_finding(year: int, text: str) -> None:
    assert messages(with_overview(text, year), "P5") == []


# --- P6: the statistical period --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "本报告中所列数据的统计期限自2021年1月1日起至2021年12月31日止。",
        "统计期限为2021年1月1日至2021年12月31日。",
        "统计期限为 2021 年 1 月 1 日至 12 月 31 日。",
        "本报告数据统计期间为2021年1月1日—2021年12月31日。",
        "本年度数据截至2021年12月31日。",  # no period statement: not judged
        "2020年1月1日至2020年12月31日的申请已全部办结。",  # not the statistical period
    ],
)
def test_p6_the_right_period_and_other_dates_are_no_finding(text: str) -> None:
    assert messages(with_overview(text, 2021, CITY), "P6") == []


def test_p6_a_period_of_last_year() -> None:
    ay = with_overview("本报告中所列数据的统计期限自2021年1月1日起至2021年12月31日止。", 2022)
    assert messages(ay, "P6") == [
        "第一部分统计期限写作“统计期限自2021年1月1日起至2021年12月31日”：年份2021与报告年度2022不一致，"
        "应为2022年1月1日至2022年12月31日"
    ]


def test_p6_a_dropped_or_doubled_character_in_the_year() -> None:
    (m,) = messages(with_overview("统计期限为2020年1月1日至202020年12月31日。", 2020, TOWN), "P6")
    assert "“统计期限为2020年1月1日至202020年12月31日”：年份“202020”不是四位数字" in m


def test_p6_a_period_that_is_not_the_whole_year() -> None:
    (m,) = messages(with_overview("统计期限为2022年1月1日至2022年11月30日。", 2022), "P6")
    assert m.endswith("2022年11月30日”：未覆盖整个年度，应为2022年1月1日至2022年12月31日")


# --- P7: years the report gives itself --------------------------------------------------------------


def test_p7_last_years_text_copied_into_this_year() -> None:
    text = "本单位2022年度共收到政府信息公开申请35件。本单位2022年度办结35件。"
    (d,) = findings(with_overview(text), "P7")  # once per wrong year
    assert d.message == "第一部分“本单位2022年度共收到政府信息公开申请35件”中的2022年与报告年度2023年不一致"
    assert (d.severity, d.expected, d.found, d.field) == ("warning", "2023", "2022", "narrative.overview")


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("本年度（2022年），我局持续推进政务公开。", "2022"),
        ("现将我局2022年度政府信息公开工作年度报告公布如下。", "2022"),
        ("现将2024年政府信息公开工作年度报告公布如下。", "2024"),
        ("本局2021年共主动公开信息120条。", "2021"),
        ("现将2022年度政府信息公开工作年度报告公布如下。", "2022"),  # presented: this very report
        ("本年度（2022年）较上年新增申请5件。", "2022"),  # 本年度 can only be this year
    ],
)
def test_p7_self_referencing_phrases(text: str, year: str) -> None:
    (m,) = messages(with_overview(text), "P7")
    assert f"中的{year}年与报告年度2023年不一致" in m


def test_p7_one_warning_per_distinct_wrong_year() -> None:
    ay = with_overview("本局2021年收到申请。本局2022年度办结申请。本局2021年度开展培训。")
    assert [d.found for d in findings(ay, "P7")] == ["2021", "2022"]


@pytest.mark.parametrize(
    "text",
    [
        "与2022年相比，申请数量增长12%。",
        "较上年增加5件，2022年结转的申请已全部办结。",
        "本局2022年结转的3件申请已办结。",
        "针对本局2022年度报告中提出的问题，逐项整改。",
        "2022年度报告所列问题已整改到位。",
        "下一步，本局2024年将重点推进基层政务公开。",
        "本局2023年度共收到申请35件，现将2023年度政府信息公开工作年度报告公布如下。",
        "2023年1月，本局按时发布2022年度政府信息公开工作年度报告。",  # last year's report, published this year
        "2022年，本局印发规范性文件3件。",  # a year, but not a phrase the report gives itself
        "本局20221年度",  # not a year of four digits (P6 judges garbled years in the period only)
    ],
)
def test_p7_other_years_on_purpose_are_no_finding(text: str) -> None:
    assert messages(with_overview(text), "P7") == []


@settings(max_examples=40, deadline=None)
@given(st.integers(1990, 2060))
def test_p7_comparisons_never_fire_and_self_references_fire_iff_the_year_differs(year: int) -> None:
    assert messages(with_overview(f"与{year}年相比，申请数量有所增加。"), "P7") == []
    assert bool(messages(with_overview(f"本机关{year}年度共收到申请。"), "P7")) == (year != 2023)


# --- D3: template leftovers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("XX局认真贯彻落实《条例》。", "XX"),
        ("本年度共收到XXX公司申请1件。", "XXX"),  # a name left blank, whatever follows it
        ("××街道办事处按要求公开。", "××"),
        ("ＸＸ局按要求公开。", "ＸＸ"),  # full-width letters, quoted as written
        ("全年主动公开政府信息xx条。", "xx"),
        ("全年共收到申请＿＿件。", "＿＿"),
        ("于____年__月__日发布。", "____"),
        ("平台建设情况【待补】。", "【待补】"),
        ("主动公开情况：【请填写】", "【请填写】"),
        ("（此处填写主动公开情况）", "（此处填写主动公开情况）"),
        ("填写说明：本部分填写本年度总体情况。", "填写说明"),
        ("### 编写说明\n\n请按以下顺序填写。", "编写说明"),
    ],
)
def test_d3_placeholders_and_instructions(text: str, token: str) -> None:
    (m,) = messages(with_overview(text), "D3")
    assert m.startswith("第一部分含模板残留（") and f"“{token}”" in m


def test_d3_table_3s_corner_note_in_the_narrative() -> None:
    ay = example(problems="本列数据的勾稽关系为：第一项加第二项之和， 等于第三项加第四项之和。")
    (m,) = messages(ay, "D3")
    assert m.startswith("第五部分含表三的勾稽说明“本列数据的勾稽关系为：第一项加第二项之和") and "应只在表三表头内" in m


@pytest.mark.parametrize(
    "text",
    [
        "详见门户网站 http://www.xx.gov.cn/xxgk/ 专栏。",
        "访问 www.XXgk.gov.cn 查询。",
        "推广XXL号政务服务宣传册。",
        "全年**新增**公开目录12条，__重点领域__信息及时公开。",
        "按照编写说明要求编制本报告。",
        "严格依照上级填写说明统计数据。",
        "采用3×3宫格展示。",
        "---\n\n___\n\n本年度工作平稳推进。",
        "（补充说明）本年度无其他事项。",
        "（此处指依申请公开的办理情况）",
        "张XX申请公开征地补偿信息，本局依法答复。",  # a person's name made anonymous
        "王××诉本局一案已审结。",
    ],
)
def test_d3_near_misses_are_no_finding(text: str) -> None:
    assert messages(with_overview(text), "D3") == []


def test_d3_once_per_text_per_section() -> None:
    assert len(messages(with_overview("XX局、XX局和××局"), "D3")) == 2


# --- T3: 现行有效 figures ------------------------------------------------------------------------


def test_t3_a_figure_that_is_not_table_2s() -> None:
    ay = with_overview("截至年底，本局现行有效规范性文件120件。")  # the table says 35
    (d,) = findings(ay, "T3")
    assert d.message == "第一部分称“现行有效规范性文件120件”，表二 行政规范性文件 / 现行有效件数为35件"
    assert (d.severity, d.expected, d.found, d.field) == ("warning", "35", "120", "narrative.overview")


def test_t3_what_follows_the_figure_does_not_change_whose_it_is() -> None:
    ay = with_overview("截至2023年底，现行有效规范性文件120件，较上年增加5件。")
    assert messages(ay, "T3") == ["第一部分称“现行有效规范性文件120件”，表二 行政规范性文件 / 现行有效件数为35件"]


@pytest.mark.parametrize(
    ("text", "table"),
    [
        ("现行有效的行政规范性文件共120件。", "行政规范性文件 / 现行有效件数为76件"),
        ("行政规范性文件现行有效120件。", "行政规范性文件 / 现行有效件数为76件"),
        ("现行有效规章6件。", "规章 / 现行有效件数为146件"),
        ("现行有效规章数为6件。", "规章 / 现行有效件数为146件"),
    ],
)
def test_t3_phrasings(text: str, table: str) -> None:
    (m,) = messages(with_overview(text, 2023, CITY), "T3")  # the city: 146 规章, 76 规范性文件 in force
    assert m == f"第一部分称“{text.rstrip('。')}”，表二 {table}"


@pytest.mark.parametrize(
    ("agency", "year", "text"),
    [
        (COUNTY, 2023, "现行有效规范性文件35件，现行有效规章0件。"),  # the table's figures
        (CITY, 2023, "现行有效的行政规范性文件共76件，现行有效规章146件。"),
        (COUNTY, 2023, "全面清理现行有效规范性文件120件，废止15件。"),  # the count reviewed
        (COUNTY, 2023, "现行有效的规章和规范性文件120件。"),  # both at once: not read
        (COUNTY, 2020, "现行有效规范性文件120件。"),  # the 2019 format has no 现行有效 column
        (COUNTY, 2023, "截至2022年底，现行有效规范性文件120件。"),  # another time
        (COUNTY, 2023, "上年现行有效规范性文件120件。"),
    ],
)
def test_t3_near_misses_are_no_finding(agency: str, year: int, text: str) -> None:
    assert messages(with_overview(text, year, agency), "T3") == []


# --- T4: the fee amount in 万元 ---------------------------------------------------------------------


def with_fee(amount: str, agency: str = CITY, year: int = 2023) -> AgencyYear:
    ay = example(agency, year)
    ay.tables["t2"]["fees"]["amount"] = Decimal(amount)
    return ay


def test_t4_an_amount_written_in_yuan() -> None:
    (d,) = findings(with_fee("2510000"), "T4")
    assert (
        d.message
        == "表二 行政事业性收费 / 本年收费金额（单位：万元）“2510000”万元偏大，是否按元填写？应换算为251（万元）"
    )
    assert (d.severity, d.field, d.found) == ("warning", "tables.t2.fees.amount", "2510000")
    assert "应换算为100（万元）" in messages(with_fee("1000000"), "T4")[0]


def test_t4_too_many_decimal_places() -> None:
    (m,) = messages(with_fee("1.2345678"), "T4")
    assert m == "表二 行政事业性收费 / 本年收费金额（单位：万元）“1.2345678”有7位小数，万元金额最多6位小数（精确到分）"


@pytest.mark.parametrize("amount", ["0", "318.04", "999999.99", "12.345678", "3.1400000", "251000"])
def test_t4_plausible_amounts_are_no_finding(amount: str) -> None:
    """251000 万元 (25亿元) is large for fees but possible for a city's 行政事业性收费: only ≥ 1e6 is doubted."""
    assert messages(with_fee(amount), "T4") == []


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=0, max_value=Decimal("999999.999999"), places=6, allow_nan=False))
def test_t4_any_amount_below_the_limit_with_six_places_is_no_finding(amount: Decimal) -> None:
    assert messages(with_fee(str(amount)), "T4") == []


def test_t4_the_2019_format_has_no_fee_amount() -> None:
    assert messages(example(CITY, 2020), "T4") == []
