"""The evaluators' rules on the narrative (N3, N4, N6, N7, N10, N11, N12, D5): each fails where a reader would
object and stays silent on its near misses, on copies of the bundled examples."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xxgk import check, formats
from xxgk.check import evaluators, registry
from xxgk.data import tree
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.figures import figures
from xxgk.data.model import AgencyYear

from .conftest import EXAMPLES

CITY, COUNTY = "jinhe-city-gov-office", "qingshan-county-education"
EVALUATOR_RULES = {"N3": "error", "N4": "warning", "N6": "warning", "N7": "error"}
EVALUATOR_RULES |= {"N10": "error", "N11": "error", "N12": "warning", "D5": "warning"}
NO_FEE = "表三 （六）其他处理/2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 / 总计"
# A section 五 that satisfies N3 and N4 (a problem, a measure, more than 50 characters).
PROBLEMS = (
    "政策解读形式较为单一，依申请公开答复文书的规范性有待提升。下一步将丰富图解、视频等解读形式，定期开展答复文书评查。"
)


@functools.cache
def _example(agency: str, year: int) -> AgencyYear:
    return tree.read_year(EXAMPLES / agency / f"{year}.yaml", tree.read_agency(EXAMPLES / agency))


def example(agency: str = CITY, year: int = 2023, **sections: str) -> AgencyYear:
    """A copy of a bundled agency-year, with some narrative sections replaced."""
    ay = _example(agency, year)
    return dataclasses.replace(ay, tables=copy.deepcopy(ay.tables), narrative=ay.narrative.model_copy(update=sections))


def zero(ay: AgencyYear, table: str, *rows: str) -> AgencyYear:
    """``ay`` with every cell of ``rows`` set to 0 (only the rule under test is looked at afterwards)."""
    tables = copy.deepcopy(ay.tables)
    for row in rows:
        tables[table][row] = dict.fromkeys(tables[table][row], 0)
    return dataclasses.replace(ay, tables=tables)


def findings(ay: AgencyYear, rule: str | None = None) -> list[Diagnostic]:
    """What ``xxgk check`` reports for one agency-year (through the registry), of one rule or all."""
    return [d for d in check.check_year(ay) if rule is None or d.rule == rule]


def messages(ay: AgencyYear, rule: str) -> list[str]:
    found = findings(ay, rule)
    assert all(d.severity == EVALUATOR_RULES[rule] for d in found), found
    return [d.message for d in found]


# --- the rules as a whole ----------------------------------------------------------------------------


def test_each_rule_is_described_with_its_severity_and_registered() -> None:
    described = formats.rules()
    assert {r: described[r].severity for r in EVALUATOR_RULES} == EVALUATOR_RULES
    assert set(EVALUATOR_RULES) <= registry.registered_ids()
    (c,) = [c for c in registry.checks() if c.fn is evaluators.evaluate]
    assert set(c.ids) == set(EVALUATOR_RULES) and c.scope == "year"
    assert f"至少{evaluators.MIN_PROBLEMS_CHARS}字" in described["N3"].text


def test_the_bundled_examples_are_clean() -> None:
    loaded, found = check.load_and_check(EXAMPLES)
    assert len(loaded.years) == 19 and not loaded.problems
    assert found == []


def test_generated_years_pass_every_evaluator_rule() -> None:
    from xxgk.data import synthetic
    from xxgk.data.model import Agency

    body = Agency("demo", "示例市人民政府办公室", "市级", None, Path())
    for seed in range(20):
        for ay in synthetic.series(body, range(2019, 2025), seed, 80):
            assert [d for d in check.check_year(ay) if d.rule in EVALUATOR_RULES] == []


def test_a_section_that_cannot_be_filled_is_left_to_n1() -> None:
    ay = example(problems="见{{ applications.nosuch }}。", other="{{ cycler }}")
    assert {d.rule for d in findings(ay)} == {"N1"}


def test_the_user_sees_rule_severity_and_message(params: Path, run_cli) -> None:
    path = params / CITY / "2023.yaml"
    text = path.read_text(encoding="utf-8")
    section = text[text.index("  problems: ") : text.index("\n  other: ")]
    path.write_text(text.replace(section, "  problems: 暂无。"), encoding="utf-8")
    code, out, err = run_cli("check", path)
    assert code == 1
    assert f"{path}:" in out and "错误 N3 第五部分“存在的主要问题及改进情况”为空或过短（3字，至少50字）" in out
    assert "1 个错误，0 个警告" in err
    code, out, _ = run_cli("check", path, "--format", "json")
    (item,) = json.loads(out)
    assert (item["rule"], item["severity"], item["field"]) == ("N3", "error", "narrative.problems")
    assert item["line"] and text.splitlines()[item["line"] - 1].startswith("  problems:")


# --- N3: section 五 is there and not a formality --------------------------------------------------


@pytest.mark.parametrize(("text", "chars"), [("", 0), ("无。", 2), ("暂无", 2), ("  \n\n", 0), ("- 无\n", 1)])
def test_n3_an_empty_or_token_section_5_is_an_error(text: str, chars: int) -> None:
    assert messages(example(problems=text), "N3") == [
        f"第五部分“存在的主要问题及改进情况”为空或过短（{chars}字，至少50字）"
    ]
    assert messages(example(problems=text), "N4") == []  # N3 says it all


def test_n3_counts_what_the_reader_reads() -> None:
    fifty = "解读形式单一，答复文书不够规范。下一步将加强培训，规范答复文书，丰富解读形式，提升政务公开质量水平。"
    assert len(fifty) == 50
    assert messages(example(problems=fifty), "N3") == []
    assert messages(example(problems=fifty[1:]), "N3") == [
        "第五部分“存在的主要问题及改进情况”为空或过短（49字，至少50字）"
    ]
    # Markdown markup is no word; a placeholder counts as the figure it prints.
    assert messages(example(problems="### " + fifty[1:] + "\n\n**  **"), "N3") != []
    cited = "全年新收申请{{ applications.new }}件，解读形式单一，答复文书不够规范。下一步将加强培训，规范文书。"
    assert len(cited) >= 50 and messages(example(problems=cited), "N3") == [
        "第五部分“存在的主要问题及改进情况”为空或过短（41字，至少50字）"
    ]


# --- N4: problems and measures ---------------------------------------------------------------------


def test_n4_problems_without_measures() -> None:
    only = (
        "本单位政府信息公开工作中存在信息更新不够及时、政策解读形式较为单一、答复文书不够规范等问题，影响了公开效果。"
    )
    assert messages(example(problems=only), "N4") == ["第五部分只列问题，未提出改进措施"]
    # "有待加强", "不完善" are shortcomings, not measures.
    weak = "信息发布机制不完善，解读工作有待加强，答复文书的规范性有待进一步提高，工作人员业务能力不足，信息更新滞后。"
    assert messages(example(problems=weak), "N4") == ["第五部分只列问题，未提出改进措施"]


def test_n4_measures_without_problems() -> None:
    only = "下一步，我们将进一步加强政府信息公开工作，完善工作机制，推进政务公开标准化规范化建设，提升公开质量和实效。"
    assert messages(example(problems=only), "N4") == ["第五部分只提改进措施，未列出存在的问题"]
    denied = "本年度政府信息公开工作不存在问题。今后将继续按照条例要求做好政府信息公开工作，推进公开标准化规范化建设。"
    assert messages(example(problems=denied), "N4") == ["第五部分只提改进措施，未列出存在的问题"]


def test_n4_near_miss_both_named() -> None:
    assert messages(example(problems=PROBLEMS), "N4") == []
    lanzhou = example("lanzhou-xinqu-audit", 2020)
    assert "不足" in lanzhou.narrative.problems and messages(lanzhou, "N4") == []


# --- N6: section 六 states the 信息处理费 (2021 format) ----------------------------------------------

OTHER = "认真落实上级年度政务公开工作要点；人大代表建议和政协提案办理结果已按规定公开。"


def test_n6_section_6_must_state_the_fee_from_2021() -> None:
    assert messages(example(year=2023, other=OTHER), "N6") == ["第六部分未说明信息处理费收取情况"]
    assert messages(example(year=2023, other=""), "N6") == ["第六部分未说明信息处理费收取情况"]
    (d,) = findings(example(year=2023, other=OTHER), "N6")
    assert d.field == "narrative.other" and d.year == 2023


def test_n6_near_misses() -> None:
    assert messages(example(year=2020, other=OTHER), "N6") == []  # the 2019 format has no 信息处理费
    assert messages(example(year=2023, other="本年度未收取信息处理费。" + OTHER), "N6") == []
    assert messages(example(year=2023, other="依申请公开不收费。"), "N6") == []


def test_n6_no_fee_collected_while_notices_lapsed_says_too_little() -> None:
    ay = example(year=2021, other="本年度未收取信息处理费。" + OTHER)
    assert ay.tables["t3"]["other_no_fee"]["total"] == 1
    assert messages(ay, "N6") == [
        f"第六部分称“本年度未收取信息处理费”，但{NO_FEE}为 1（发出过收费通知）：未说明收费通知发出和缴费情况"
    ]
    assert messages(ay, "N7") == []  # true: the applicant did not pay
    told = "本年度发出收费通知1件，申请人逾期未缴纳，未收取信息处理费。"
    assert messages(example(year=2021, other=told), "N6") == []
    assert messages(example(year=2021, other=told), "N7") == []


# --- N7: fee logic --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("本年度未发出收费通知，未收取信息处理费。", "本年度未发出收费通知，未收取信息处理费"),
        ("全年没有向申请人发出过收费通知。", "全年没有向申请人发出过收费通知"),
        ("本年度发出收费通知0件。", "本年度发出收费通知0件"),
    ],
)
def test_n7_no_notice_claimed_while_table_3_counts_lapsed_notices(text: str, said: str) -> None:
    ay = example(year=2021, other=text)
    (d,) = findings(ay, "N7")
    assert d.severity == "error" and d.field == "narrative.other"
    assert d.message == f"{NO_FEE}为 1，即发出过收费通知，但第六部分称“{said}”"
    assert (d.table, d.column, d.found, d.expected) == ("三", "总计", "1", "0")
    assert d.row.startswith("（六）其他处理/2.申请人逾期未按收费通知要求缴纳费用")


def test_n7_near_miss_no_lapsed_notice() -> None:
    ay = example(year=2023, other="本年度未发出收费通知，未收取信息处理费。")
    assert ay.tables["t3"]["other_no_fee"]["total"] == 0
    assert findings(ay, "N7") == [] and findings(ay, "N6") == []


def test_n7_a_fee_collected_needs_a_notice() -> None:
    ay = example(year=2023, other="本年度未发出收费通知。全年收取信息处理费200元。")
    assert messages(ay, "N7") == [
        "第六部分称“本年度未发出收费通知”，又称“全年收取信息处理费200元”：收取信息处理费须先发出收费通知"
    ]
    assert messages(example(year=2023, other="本年度未发出收费通知，收取信息处理费0元。"), "N7") == []


# --- N10: "none received", "none happened" -------------------------------------------------------

NEW = "表三 一、本年新收政府信息公开申请数量 / 总计"


@pytest.mark.parametrize(
    "text",
    ["本年度未收到政府信息公开申请。", "全年没有收到任何政府信息公开申请。", "本年度未收到申请，"],
)
def test_n10_no_applications_claimed_while_table_3_has_some(text: str) -> None:
    said = text.rstrip("。，")
    (d,) = findings(example(overview=text), "N10")
    assert d.severity == "error" and d.field == "narrative.overview"
    assert d.message == f"第一部分称“{said}”，但{NEW}为 127"
    assert (d.table, d.row, d.column, d.expected, d.found) == (
        "三",
        "一、本年新收政府信息公开申请数量",
        "总计",
        "0",
        "127",
    )


def test_n10_near_misses_for_applications() -> None:
    none_new = zero(example(overview="本年度未收到政府信息公开申请。"), "t3", "new")
    assert findings(none_new, "N10") == []
    assert findings(example(overview="对3件申请发出补正通知，截至年底未收到申请人补正材料。"), "N10") == []


def test_n10_review_and_litigation_are_judged_separately() -> None:
    both = example(overview="本年度未发生政府信息公开行政复议、行政诉讼。")
    said = "本年度未发生政府信息公开行政复议、行政诉讼"
    assert messages(both, "N10") == [
        f"第一部分称“{said}”，但表四 行政复议总计为 8",
        f"第一部分称“{said}”，但表四 行政诉讼总计为 13",
    ]
    assert messages(example(overview="本年度未发生行政复议。"), "N10") == [
        "第一部分称“本年度未发生行政复议”，但表四 行政复议总计为 8"
    ]
    (lit,) = findings(example(overview="本年度无政府信息公开行政诉讼案件。"), "N10")
    assert lit.message == "第一部分称“本年度无政府信息公开行政诉讼案件”，但表四 行政诉讼总计为 13"
    assert lit.column.startswith("行政诉讼/")
    # Only review is zero: the claim about review holds, the one about litigation does not.
    no_review = zero(example(overview="本年度未发生行政复议，发生行政诉讼13件。"), "t4", "review")
    assert findings(no_review, "N10") == []
    no_review = zero(both, "t4", "review")
    assert messages(no_review, "N10") == [f"第一部分称“{said}”，但表四 行政诉讼总计为 13"]


def test_n10_near_misses_for_review_and_litigation() -> None:
    county = example(COUNTY, 2022, overview="本年度未发生政府信息公开行政复议、行政诉讼。")
    assert figures(county)["review"]["total"] == figures(county)["litigation"]["total"] == 0
    assert findings(county, "N10") == []
    for text in (
        "全年未发生行政复议被纠错和行政诉讼败诉案件。",  # an outcome denied, not the cases
        "本年度未发生因政府信息公开工作被追究责任的情况。",
        "因无法提供相关信息引发行政复议1件。",
    ):
        assert findings(example(overview=text), "N10") == [], text


# --- N11: stated shares ---------------------------------------------------------------------------


def test_n11_a_share_that_is_not_the_tables() -> None:
    ay = example(overview="其中予以公开63件，占48.09%；部分公开9件，占比30.00%。")
    (d,) = findings(ay, "N11")
    assert d.severity == "error" and d.field == "narrative.overview"
    assert d.message == (
        "第一部分“部分公开9件，占比30.00%”与表格不一致：按表三（七）总计131件计算，部分公开9件应占 6.87%，实为 30.00%"
    )
    assert (d.expected, d.found) == ("6.87", "30.00")
    assert messages(example(overview="部分公开9件，占比6.85%。"), "N11") != []  # 0.02 points off


@pytest.mark.parametrize(
    "text",
    [
        "其中予以公开63件，占48.09%；部分公开9件，占比6.87%。",
        "予以公开63件，占办结总数的48.1%。",  # rounded as written
        "部分公开9件（占7%）。",
        "予以公开63件、部分公开9件，占比55%。",  # a share of both: not read
        "部分公开9件，占新收申请的7.09%。",  # another denominator: not read
        "部分公开9件，占比约10%。",  # approximate: not read
    ],
)
def test_n11_near_misses(text: str) -> None:
    assert findings(example(overview=text), "N11") == []


def _half_up(x: Decimal, places: int) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


EXAMPLE_YEARS = [(a, y) for a in (CITY, COUNTY, "shiqiao-town") for y in range(2019, 2025)]


@settings(max_examples=80, deadline=None)
@given(which=st.sampled_from(EXAMPLE_YEARS), data=st.data())
def test_n11_any_share_computed_from_the_table_passes(which: tuple[str, int], data: st.DataObject) -> None:
    ay = example(*which)
    apps = figures(ay)["applications"]
    name, (header, _) = data.draw(st.sampled_from(sorted(ay.format.outcomes.items())))
    places = data.draw(st.integers(min_value=0, max_value=3))
    exact = Decimal(apps[name]) * 100 / Decimal(apps["handled"])
    stated = _half_up(exact, places)
    label = formats.short_label(header.label)
    text = f"本年度{label}{apps[name]}件，占比{stated}%。"
    assert findings(dataclasses.replace(ay, narrative=ay.narrative.model_copy(update={"overview": text})), "N11") == []
    hundredths = data.draw(st.integers(min_value=5, max_value=500)) * data.draw(st.sampled_from([-1, 1]))
    off = _half_up(exact, 2) + Decimal(hundredths) / 100
    if off >= 0:
        wrong = f"本年度{label}{apps[name]}件，占比{off}%。"
        (d,) = findings(dataclasses.replace(ay, narrative=ay.narrative.model_copy(update={"overview": wrong})), "N11")
        assert f"应占 {_half_up(exact, 2)}%，实为 {off}%" in d.message


# --- N12: "all handled" ---------------------------------------------------------------------------

FORWARD = "表三 四、结转下年度继续办理 / 总计"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("本年度申请办结率100%。", "本年度申请办结率100%"),
        ("本年度收到的申请均已办结，无积压。", "本年度收到的申请均已办结，无积压"),
        ("全年申请全部办结。", "全年申请全部办结"),
    ],
)
def test_n12_all_handled_while_applications_are_carried_forward(text: str, said: str) -> None:
    (d,) = findings(example(overview=text), "N12")
    assert d.severity == "warning" and d.message == f"第一部分称“{said}”，但{FORWARD}为 4"
    assert (d.row, d.column, d.found) == ("四、结转下年度继续办理", "总计", "4")


def test_n12_near_misses() -> None:
    for text in (
        "依申请公开按时办结率100%。",  # on time among those handled: says nothing of what is open
        "上年结转的8件申请已全部办结。",
        "所有申请均在法定期限内答复。",
    ):
        assert findings(example(overview=text), "N12") == [], text
    county = example(COUNTY, 2021, overview="本年度申请办结率100%。")
    assert county.tables["t3"]["carried_forward"]["total"] == 0 and findings(county, "N12") == []


# --- D5: enumerators ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        (
            "problems",
            "存在以下不足：一是信息发布不够及时；二是解读形式单一；二是答复文书不规范。下一步将加强培训，完善制度。",
            "第五部分“一是…二是…二是”序号重复",
        ),
        (
            "problems",
            "存在以下不足：一是信息发布不够及时；三是解读形式单一。下一步将加强培训，完善制度，提升公开质量和水平。",
            "第五部分“一是…三是”序号不连续（缺少“二是”）",
        ),
        (
            "overview",
            "### （一）主动公开\n\n正文。\n\n### （三）依申请公开\n\n正文。",
            "第一部分“（一）…（三）”序号不连续（缺少“（二）”）",
        ),
        ("overview", "1. 网站\n2. 新媒体\n2. 公开栏", "第一部分“1.…2.…2.”序号重复"),
        (
            "other",
            "一是甲；二是乙；六是丙。本年度未收取信息处理费。",
            "第六部分“一是…二是…六是”序号不连续（缺少“三是”至“五是”）",
        ),
    ],
)
def test_d5_enumerators_with_gaps_or_repeats(key: str, text: str, message: str) -> None:
    ay = example(year=2022, **{key: text + (PROBLEMS if key == "problems" else "")})
    (d,) = findings(ay, "D5")
    assert (d.severity, d.message, d.field) == ("warning", message, f"narrative.{key}")


@pytest.mark.parametrize(
    "text",
    [
        "问题：一是更新不及时；二是形式单一。措施：一是加强培训；二是完善制度。",  # two lists, each from 一
        "（一）主动公开：依照第二十条第（五）项公开。\n（二）依申请公开。",  # 第（五）项 is inline, not a heading
        "1. 网站\n1. 新媒体\n1. 公开栏",  # Markdown numbers these 1, 2, 3
        "全市统一是否公开的审查标准。问题之一是人员不足。",
        "### （一）主动公开\n\n1. 网站\n2. 新媒体\n\n### （二）依申请公开\n\n1. 受理\n2. 答复",
    ],
)
def test_d5_near_misses(text: str) -> None:
    assert findings(example(overview=text), "D5") == []


def test_chinese_numerals_both_ways() -> None:
    for n in range(1, 100):
        assert evaluators.cn_number(evaluators.cn_numeral(n)) == n
    assert [evaluators.cn_numeral(n) for n in (1, 10, 11, 20, 21)] == ["一", "十", "十一", "二十", "二十一"]
    assert evaluators.cn_number("一二") is None and evaluators.cn_number("十十") is None
