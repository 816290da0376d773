"""Rule I7 reads what real narratives write: 受理, 诉讼 without 行政, the combined 予以公开及部分公开,
"均获维持", traditional characters, "其中…" lists against their own total, a blank 总计 column."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest

from xxgk import check as rules
from xxgk.data import synthetic
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.figures import figures
from xxgk.data.model import Agency, AgencyYear, Narrative

COUNTY = Agency("demo-county", "示例县教育局", "县级", "示例县人民政府", Path())
PLAIN = Narrative(
    overview="本年度工作正常开展。",
    problems=synthetic.PROBLEMS,
    other="信息处理费按国办函〔2020〕109号规定的标准和程序收取。",
)


@pytest.fixture(params=[2020, 2022])
def ay(request: pytest.FixtureRequest) -> AgencyYear:
    return dataclasses.replace(synthetic.agency_year(COUNTY, request.param, 1, 60), narrative=PLAIN)


def _said(ay: AgencyYear, text: str, key: str = "overview") -> list[Diagnostic]:
    found = rules.check_year(dataclasses.replace(ay, narrative=PLAIN.model_copy(update={key: text})))
    assert {f.rule for f in found} <= {"I7"}, [f.message for f in found]
    return found


def _t4(ay: AgencyYear, group: str, **cols: int) -> AgencyYear:
    """``ay`` with the cells of one table-四 group set (and its 总计 kept the sum)."""
    t = copy.deepcopy(ay.tables)
    t["t4"][group].update(cols)
    t["t4"][group]["total"] = sum(int(v) for k, v in t["t4"][group].items() if k != "total")
    return dataclasses.replace(ay, tables=t)


def test_consistent_tables_and_plain_narrative(ay: AgencyYear) -> None:
    assert _said(ay, "本年度工作正常开展。") == []


# --- 受理 -----------------------------------------------------------------------------------------


def test_accepted_is_read_as_new(ay: AgencyYear) -> None:
    new = figures(ay)["applications"]["new"]
    assert _said(ay, f"全年共受理政府信息公开申请{new}件。") == []
    (f,) = _said(ay, f"全年共受理政府信息公开申请{new + 2}件。")
    assert (
        f.message
        == f"一、总体情况：正文“受理政府信息公开申请{new + 2}件”与表格不一致：应为 {new}，实为 {new + 2}（相差 -2）"
    )
    assert f.field == "narrative.overview" and (f.expected, f.found) == (str(new), str(new + 2))


@pytest.mark.parametrize("text", ["受理群众来电{n}件。", "依法受理并办结各类申请{n}件。", "不予受理的情形有{n}种。"])
def test_accepted_near_misses(ay: AgencyYear, text: str) -> None:
    assert _said(ay, text.format(n=figures(ay)["applications"]["new"] + 5)) == []


def test_traditional_characters_are_read_as_simplified(ay: AgencyYear) -> None:
    new = figures(ay)["applications"]["new"]
    assert _said(ay, f"全年共受理政府信息公開申請{new}件。") == []
    (f,) = _said(ay, f"全年共受理政府信息公開申請{new + 1}件。")
    assert f"正文“受理政府信息公开申请{new + 1}件”" in f.message and f"应为 {new}" in f.message
    (f,) = _said(ay, f"全年新收各類申請{new + 1}件。")
    assert f"应为 {new}" in f.message


# --- 诉讼 without 行政 ---------------------------------------------------------------------------


def test_litigation_after_the_review_figure(ay: AgencyYear) -> None:
    f = figures(ay)
    review, lit = f["review"]["total"], f["litigation"]["total"]
    assert _said(ay, f"发生政府信息公开行政复议{review}件、诉讼{lit}件。") == []
    (d,) = _said(ay, f"发生政府信息公开行政复议{review}件、诉讼{lit + 1}件。")
    assert d.message == (
        f"一、总体情况：正文“行政复议{review}件、诉讼{lit + 1}件”与表格不一致：应为 {lit}，实为 {lit + 1}（相差 -1）"
    )


@pytest.mark.parametrize(
    "text", ["民事诉讼{n}件。", "诉讼{n}件。", "信访举报{m}件、诉讼{n}件。", "行政复议和诉讼共{n}件。"]
)
def test_litigation_near_misses(ay: AgencyYear, text: str) -> None:
    lit = figures(ay)["litigation"]["total"]
    assert _said(ay, text.format(n=lit + 3, m=2)) == []


# --- 予以公开及部分公开 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "joint", ["予以公开及部分公开{n}件", "予以公开和部分公开共{n}件", "予以公开、部分公开合计{n}件"]
)
def test_granted_and_partial_as_one_figure(ay: AgencyYear, joint: str) -> None:
    apps = figures(ay)["applications"]
    both = apps["granted"] + apps["partial"]
    assert _said(ay, f"其中{joint.format(n=both)}。") == []
    (f,) = _said(ay, f"其中{joint.format(n=both + 4)}。")
    assert f"应为 {both}，实为 {both + 4}（相差 -4）" in f.message
    assert f"正文“{joint.format(n=both + 4)}”" in f.message


def test_the_separate_outcomes_are_still_read(ay: AgencyYear) -> None:
    apps = figures(ay)["applications"]
    assert _said(ay, f"予以公开{apps['granted']}件、部分公开{apps['partial']}件。") == []
    (f,) = _said(ay, f"予以公开{apps['granted']}件、部分公开{apps['partial'] + 1}件。")
    assert f"正文“部分公开{apps['partial'] + 1}件”" in f.message


# --- 均获维持 -------------------------------------------------------------------------------------


def test_all_upheld_while_a_review_was_corrected_or_pending(ay: AgencyYear) -> None:
    bad = _t4(ay, "review", upheld=2, corrected=1, other=0, pending=1)
    (f,) = _said(bad, "本年度发生行政复议4件，均获维持。")
    assert f.message == (
        "一、总体情况：正文“本年度发生行政复议4件，均获维持”与表格不一致：表四 行政复议 结果纠正 1 件、尚未审结 1 件，"
        "并非全部维持"
    )
    assert (f.expected, f.found) == ("2", "4")
    fine = _t4(ay, "review", upheld=4, corrected=0, other=0, pending=0)
    assert _said(fine, "本年度发生行政复议4件，均获维持。") == []


def test_all_upheld_for_litigation_sums_both_groups(ay: AgencyYear) -> None:
    bad = _t4(
        _t4(ay, "litigation_direct", upheld=1, corrected=0, other=0, pending=0),
        "litigation_after_review",
        upheld=0,
        corrected=0,
        other=0,
        pending=2,
    )
    bad = _t4(bad, "review", upheld=1, corrected=0, other=0, pending=0)
    (f,) = _said(bad, "被提起行政诉讼3件，法院判决全部维持。")
    assert "表四 行政诉讼 尚未审结 2 件，并非全部维持" in f.message
    assert _said(bad, "行政复议1件，均获维持。") == []


@pytest.mark.parametrize("text", ["均获维持。", "行政复议案件未全部维持。", "原处理决定均获维持，群众满意。"])
def test_all_upheld_near_misses(ay: AgencyYear, text: str) -> None:
    bad = _t4(ay, "review", upheld=0, corrected=2, other=0, pending=1)
    assert _said(bad, text) == []


# --- a "其中…" list against its own total ----------------------------------------------------------


def _list(ay: AgencyYear, lead: str, total: int, extra: int) -> str:
    apps = figures(ay)["applications"]
    return (
        f"{lead}{total}件，其中予以公开{apps['granted'] + extra}件、部分公开{apps['partial']}件、"
        f"不予公开{apps['withheld']}件。"
    )


@pytest.mark.parametrize(("lead", "figure"), [("办结", "handled"), ("新收申请", "new"), ("受理申请", "new")])
def test_a_list_summing_to_more_than_its_total(ay: AgencyYear, lead: str, figure: str) -> None:
    apps = figures(ay)["applications"]
    total = apps[figure]
    extra = total - (apps["granted"] + apps["partial"] + apps["withheld"]) + 3  # the list exceeds its total by 3
    found = _said(ay, _list(ay, lead, total, extra))
    (own,) = [f for f in found if "所列各项之和" in f.message]
    assert f"所列各项之和为 {total + 3}，大于所称的 {total}（相差 -3）" in own.message
    assert own.message.startswith(f"一、总体情况：正文“{lead}{total}件，其中予以公开")
    assert own.message.endswith(
        f"不予公开{apps['withheld']}件”所列各项之和为 {total + 3}，大于所称的 {total}（相差 -3）"
    )
    assert (own.expected, own.found) == (str(total), str(total + 3))


def test_a_complete_list_does_not_fire(ay: AgencyYear) -> None:
    handled = figures(ay)["applications"]["handled"]
    assert _said(ay, _list(ay, "办结", handled, 0)) == []
    t3 = "".join(synthetic_summary(ay))
    assert _said(ay, t3) == []


def synthetic_summary(ay: AgencyYear) -> list[str]:
    """The summary sentences the report writes: a complete "办结…其中…" list, read by I7 too."""
    import re

    from xxgk.report.narrative import summary_html

    return [re.sub(r"<[^>]+>", "", summary_html(ay, t, None)) for t in ("t3", "t4")]


@pytest.mark.parametrize(
    "text",
    [
        "新收申请5件，其中自然人3件、法人2件、其他9件。",  # applicants, not outcomes
        "办结5件，其中依申请予以公开9件、部分公开9件。",  # an item the phrases do not know
        "办结5件，其中予以公开9件。",  # a single item is no list
        "办结5件，其中予以公开及部分公开9件、予以公开9件。",  # nested parts
    ],
)
def test_list_near_misses(ay: AgencyYear, text: str) -> None:
    assert not any("所列各项之和" in f.message for f in _said(ay, text))


# --- a blank 总计 column ------------------------------------------------------------------------


def test_a_blank_total_column_compares_with_the_applicants(ay: AgencyYear) -> None:
    t = copy.deepcopy(ay.tables)
    for cols in t["t3"].values():
        cols["total"] = 0
    blank = dataclasses.replace(ay, tables=t)
    new = sum(int(v) for k, v in ay.tables["t3"]["new"].items() if k != "total")
    narrative = PLAIN.model_copy(update={"overview": f"全年新收政府信息公开申请{new}件。"})
    found = rules.check_year(dataclasses.replace(blank, narrative=narrative))
    assert "I1" in {f.rule for f in found} and "I7" not in {f.rule for f in found}
    narrative = PLAIN.model_copy(update={"overview": "全年新收政府信息公开申请0件。"})
    (i7,) = [f for f in rules.check_year(dataclasses.replace(blank, narrative=narrative)) if f.rule == "I7"]
    assert f"应为 {new}，实为 0" in i7.message
