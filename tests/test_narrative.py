"""Narrative: placeholders filled or refused by name, Markdown that cannot harm a reader, summary sentences."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import lxml.html
import pytest
from markdown_it import MarkdownIt

from xxgk.data import placeholders, synthetic
from xxgk.data.figures import figures
from xxgk.data.model import Agency, AgencyYear, Amount, Facts, Narrative
from xxgk.formats import phrases
from xxgk.report import narrative
from xxgk.report.narrative import (
    NO_APPLICATIONS,
    PLACEHOLDERS,
    NarrativeError,
    fill,
    markdown_html,
    section_html,
    summary_html,
)

BUREAU = Agency("qingshan-edu", "青山县教育局", "县级", None, Path())
CITY = Agency("jinhe-city", "金河市人民政府办公室", "市级", None, Path())
VERSION_YEARS = {"2019": 2020, "2021": 2022}


@pytest.fixture(params=["2019", "2021"])
def ay(request: pytest.FixtureRequest) -> AgencyYear:
    return synthetic.agency_year(CITY, VERSION_YEARS[request.param], seed=5, scale=200)


def _with(ay: AgencyYear, **changes: object) -> AgencyYear:
    import dataclasses

    return dataclasses.replace(ay, **changes)  # type: ignore[arg-type]


def _lookup(data: dict, dotted: str) -> object:
    for part in dotted.split("."):
        data = data[part]
    return data


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


# --- placeholders ----------------------------------------------------------------------------------


def test_placeholders_are_filled_from_the_figures(ay: AgencyYear) -> None:
    f = figures(ay)
    text = "本年度共新收政府信息公开申请{{ applications.new }}件，办结{{ applications.handled }}件（{{ year }}年）。"
    out = fill(text, f)
    apps = f["applications"]
    assert out == f"本年度共新收政府信息公开申请{apps['new']}件，办结{apps['handled']}件（{ay.year}年）。"


def test_text_without_placeholders_is_returned_as_written() -> None:
    text = "本年度未收取信息处理费。\n{注}见附件。"
    assert fill(text, {}) == text


def test_facts_loops_and_defaults() -> None:
    facts = Facts(
        proactive_items=16,
        channels=({"name": "门户网站", "items": 12}, {"name": "政务微信", "items": 4}),  # type: ignore[arg-type]
        other={"items": 5, "keys": 2},
    )
    ay = _with(synthetic.agency_year(BUREAU, 2023, seed=1), facts=facts)
    f = figures(ay)
    text = (
        "主动公开{{ facts.proactive_items }}条，其中"
        "{% for c in facts.channels %}{{ c.name }}{{ c.items }}条{% if not loop.last %}、{% endif %}{% endfor %}；"
        "制度{{ facts.items }}项，要点{{ facts.keys }}项。"
    )
    # A fact named like a dict method (items, keys) is the fact, not the method.
    assert fill(text, f) == "主动公开16条，其中门户网站12条、政务微信4条；制度5项，要点2项。"
    empty = figures(_with(ay, facts=Facts()))
    assert fill("{{ facts.proactive_items | default('若干') }}", empty) == "若干"
    with pytest.raises(NarrativeError, match=r"facts\.proactive_items.*没有数值"):
        fill("主动公开{{ facts.proactive_items }}条", empty)


def test_money_keeps_its_written_precision() -> None:
    ay = synthetic.agency_year(CITY, 2022, seed=1)
    ay.tables["t2"]["fees"]["amount"] = Decimal("12.50")
    assert fill("收费{{ fees }}万元", figures(ay)) == "收费12.50万元"
    old = synthetic.agency_year(CITY, 2020, seed=1)
    old.tables["t2"]["procurement"]["amount"] = Amount(Decimal("86000.0"), "元")
    assert fill("{{ disclosure.procurement.amount }}", figures(old)) == "86000.0元"


def test_unknown_placeholder_is_named_with_the_valid_names(ay: AgencyYear) -> None:
    with pytest.raises(NarrativeError) as err:
        fill("新收申请{{ applications.nwe }}件", figures(ay))
    message = str(err.value)
    assert "未知的占位符“applications.nwe”" in message
    assert "是否应为“applications.new”" in message
    assert "applications.handled" in message
    with pytest.raises(NarrativeError, match=r"未知的占位符“aplications”.*可用的占位符：year、applications\.new"):
        fill("{{ aplications.new }}", figures(ay))


def test_a_group_cannot_be_printed_whole(ay: AgencyYear) -> None:
    with pytest.raises(NarrativeError, match=r"“applications”是一组数据.*applications\.new"):
        fill("{{ applications }}", figures(ay))


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__ }}",
        "{{ namespace }}",
        "{{ lipsum.__globals__['os'] }}",
        "{{ range(10**9) }}",
        "{{ self }}",
        "{{ self.__init__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ applications.__class__ }}",
        "{{ applications._data }}",
        "{{ applications.new.__class__ }}",
        "{{ applications['__class__'] }}",
        "{{ applications|attr('__class__') }}",
        "{{ ''.format }}",
        "{{ '{0.__class__}'.format(applications) }}",
        "{{ 9 ** 9 ** 9 }}",
        "{{ 'x' * 1000000000 }}",
        "{% for c in facts.channels %}{{ c.__class__ }}{% endfor %}",
        "{% macro m() %}x{% endmacro %}{{ m() }}",
        "{{ config }}",
        "{{ request }}",
        "{{ applications.items() }}",
        "{{ 1 / 0 }}",
        "{{ applications.new ",
    ],
)
def test_sandbox_escapes_are_refused_and_leak_nothing(text: str) -> None:
    ay = synthetic.agency_year(BUREAU, 2023, seed=2)
    f = figures(_with(ay, facts=Facts(channels=({"name": "网站", "items": 1},))))  # type: ignore[arg-type]
    with pytest.raises(NarrativeError) as err:
        fill(text, f)
    message = str(err.value)
    assert re.search(r"[\u4e00-\u9fff]", message), "the message is in Chinese"
    for leak in ("<class", "object at 0x", "function", "module", "__globals__", "Traceback"):
        assert leak not in message


def test_placeholder_docs_cover_every_figure() -> None:
    for year in (2020, 2023):
        ay = synthetic.agency_year(CITY, year, seed=1)
        names = placeholders._names(figures(ay))
        missing = [n for n in names if not PLACEHOLDERS.get(n)]
        assert not missing
    assert PLACEHOLDERS["applications.new"] == "表三 一、本年新收政府信息公开申请数量 / 总计"
    assert "2019" in PLACEHOLDERS["disclosure.rules.made"]
    assert "本年收费金额（单位：万元）" in PLACEHOLDERS["fees"]
    assert all(re.search(r"[\u4e00-\u9fff]", v) for v in PLACEHOLDERS.values())


# --- Markdown -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "visible"),
    [
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ('正文<img src=x onerror="alert(1)">结束', '正文<img src=x onerror="alert(1)">结束'),
        ("<iframe src='https://evil.example/'></iframe>", "<iframe src='https://evil.example/'></iframe>"),
        ("<a href='javascript:alert(1)'>点我</a>", "<a href='javascript:alert(1)'>点我</a>"),
        ("[点我](javascript:alert(1))", "[点我](javascript:alert(1))"),
        ("[点我](JavaScript:alert(1))", "[点我](JavaScript:alert(1))"),
        ("<javascript:alert(1)>", "<javascript:alert(1)>"),
        ("[点我](data:text/html;base64,PHNjcmlwdD4=)", "[点我](data:text/html;base64,PHNjcmlwdD4=)"),
        ("[本地](/etc/passwd)", "[本地](/etc/passwd)"),
        ("<style>body{display:none}</style>", "<style>body{display:none}</style>"),
    ],
)
def test_unsafe_markup_is_inert_and_visible(source: str, visible: str) -> None:
    html = markdown_html(source)
    elements = lxml.html.fragment_fromstring(html, create_parent="div").iter()
    assert [(e.tag, dict(e.attrib)) for e in elements] == [("div", {}), ("p", {})], "one plain paragraph"
    assert visible in _unescape(_text(html)), "what was typed is shown, not dropped"


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_remote_images_are_not_loaded_but_named() -> None:
    html = markdown_html("见下图：![年度申请量](http://tracker.example/pixel.png)")
    assert "<img" not in html and "tracker.example" not in html
    assert "[图片：年度申请量]" in html


def test_safe_links_and_formatting_survive() -> None:
    html = markdown_html("详见[中国政府网](https://www.gov.cn)，邮件<mailto:gk@example.cn>。\n\n**重点** *说明*")
    assert '<a href="https://www.gov.cn" rel="noopener noreferrer">中国政府网</a>' in html
    assert 'href="mailto:gk@example.cn"' in html
    assert "<strong>重点</strong>" in html and "<em>说明</em>" in html


def test_headings_rank_below_the_section_heading() -> None:
    html = markdown_html("# （一）主动公开\n\n正文\n\n## 1.平台建设")
    assert "<h3>（一）主动公开</h3>" in html and "<h4>1.平台建设</h4>" in html
    assert "<h1" not in html and "<h2" not in html


def test_indented_paragraphs_are_text_not_code() -> None:
    html = markdown_html("    本年度，我局认真贯彻落实《条例》。")
    assert html == "<p>本年度，我局认真贯彻落实《条例》。</p>\n"


def test_soft_breaks_in_chinese_do_not_become_spaces() -> None:
    assert markdown_html("共收到申请157件，\n其中予以公开100件。") == "<p>共收到申请157件，其中予以公开100件。</p>\n"
    assert _text(markdown_html("新收政府信息公开申请\n157件")) == "新收政府信息公开申请157件\n"
    assert _text(markdown_html("**重点工作**\n取得实效")) == "重点工作取得实效\n"
    # Between Latin words the break is a space, as it should be.
    assert markdown_html("open\ndata") == "<p>open\ndata</p>\n"
    # A hard break stays a line break.
    assert "<br>" in markdown_html("第一行\\\n第二行")


def test_sanitizer_is_a_second_line_of_defence(monkeypatch: pytest.MonkeyPatch) -> None:
    """Even if the Markdown renderer let raw HTML through, nh3 keeps none of it active."""
    monkeypatch.setattr(narrative, "_MD", MarkdownIt("commonmark", {"html": True}))
    html = markdown_html(
        '<script>alert(1)</script><img src=x onerror="alert(1)"><iframe src="https://e.example"></iframe>'
        '<a href="javascript:alert(1)">a</a><a href="/local">b</a><p style="color:red" onclick="x()">c</p>'
    )
    for bad in ("<script", "<img", "<iframe", "javascript:", "onerror", "onclick", "style=", "/local"):
        assert bad not in html


# --- sections -------------------------------------------------------------------------------------


def test_section_fills_then_renders(ay: AgencyYear) -> None:
    text = "本年度共新收政府信息公开申请{{ applications.new }}件，\n其中予以公开{{ applications.granted }}件。"
    html = section_html(_with(ay, narrative=Narrative(overview=text)), "overview")
    apps = figures(ay)["applications"]
    assert html == f"<p>本年度共新收政府信息公开申请{apps['new']}件，其中予以公开{apps['granted']}件。</p>\n"


def test_empty_section_says_none(ay: AgencyYear) -> None:
    assert section_html(_with(ay, narrative=Narrative(problems="  \n")), "problems") == "<p>无。</p>\n"


def test_section_with_bad_placeholder_raises(ay: AgencyYear) -> None:
    with pytest.raises(NarrativeError, match="cycler"):
        section_html(_with(ay, narrative=Narrative(other="{{ cycler.__init__ }}")), "other")
    with pytest.raises(ValueError, match="summary"):
        section_html(ay, "summary")


# --- summary sentences ----------------------------------------------------------------------------


def _set_new(ay: AgencyYear, n: int) -> AgencyYear:
    ay.tables["t3"]["new"]["total"] = n
    return ay


def test_t3_summary_names_every_figure(ay: AgencyYear) -> None:
    apps = figures(ay)["applications"]
    text = _text(summary_html(ay, "t3", None))
    assert text == (
        f"本年度共新收政府信息公开申请{apps['new']}件；上年结转{apps['carried_over']}件；"
        f"办结{apps['handled']}件，其中予以公开{apps['granted']}件，部分公开{apps['partial']}件，"
        f"不予公开{apps['withheld']}件，无法提供{apps['unavailable']}件，不予处理{apps['not_processed']}件，"
        f"其他处理{apps['other']}件；结转下年度继续办理{apps['carried_forward']}件。"
    )
    assert "较上年" not in text


@pytest.mark.parametrize(
    ("before", "now", "phrase"),
    [
        (100, 150, "，较上年增加50件（50.0%）；"),
        (190, 157, "，较上年减少33件（17.4%）；"),
        (3, 2, "，较上年减少1件（33.3%）；"),
        (16, 17, "，较上年增加1件（6.3%）；"),  # 6.25 rounds half up, as people round
        (120, 120, "，与上年持平；"),
    ],
)
def test_t3_summary_compares_with_last_year(before: int, now: int, phrase: str) -> None:
    for year in (2020, 2022):
        previous = _set_new(synthetic.agency_year(CITY, year - 1, seed=1), before)
        ay = _set_new(synthetic.agency_year(CITY, year, seed=1), now)
        text = _text(summary_html(ay, "t3", previous))
        assert text.startswith(f"本年度共新收政府信息公开申请{now}件{phrase}")


def test_no_comparison_with_a_year_without_applications() -> None:
    previous = _set_new(synthetic.agency_year(CITY, 2021, seed=1), 0)
    text = _text(summary_html(synthetic.agency_year(CITY, 2022, seed=1), "t3", previous))
    assert "较上年" not in text and "持平" not in text


def test_comparison_names_a_non_adjacent_year() -> None:
    previous = _set_new(synthetic.agency_year(CITY, 2019, seed=1), 10)
    ay = _set_new(synthetic.agency_year(CITY, 2021, seed=1), 12)
    assert "较2019年增加2件（20.0%）" in summary_html(ay, "t3", previous)


@pytest.mark.parametrize("year", [2019, 2023])
def test_no_applications_at_all(year: int) -> None:
    empty = synthetic.agency_year(BUREAU, year, seed=1, scale=0)
    assert summary_html(empty, "t3", None) == f"<p>{NO_APPLICATIONS}</p>"
    assert NO_APPLICATIONS == "本年度未收到政府信息公开申请。"
    assert summary_html(empty, "t4", None) == "<p>本年度未发生政府信息公开行政复议、行政诉讼。</p>"


def test_t4_summary_counts_and_outcomes() -> None:
    ay = synthetic.agency_year(CITY, 2023, seed=1)
    zero = dict.fromkeys(("upheld", "corrected", "other", "pending", "total"), 0)
    ay.tables["t4"].update(
        review={"upheld": 1, "corrected": 1, "other": 0, "pending": 1, "total": 3},
        litigation_direct={"upheld": 2, "corrected": 0, "other": 0, "pending": 0, "total": 2},
        litigation_after_review=dict(zero),
    )
    text = _text(summary_html(ay, "t4", None))
    assert text == (
        "本年度发生政府信息公开行政复议3件、行政诉讼2件。"
        "行政复议结果维持1件、结果纠正1件、尚未审结1件；行政诉讼中未经复议直接起诉2件，结果维持2件。"
    )
    ay.tables["t4"].update(review=dict(zero))
    assert _text(summary_html(ay, "t4", None)).startswith("本年度发生政府信息公开行政复议0件、行政诉讼2件。行政诉讼中")


def test_t2_summary_2021_documents_decisions_and_fees() -> None:
    ay = synthetic.agency_year(CITY, 2022, seed=1)
    t2 = ay.tables["t2"]
    t2["rules"].update(issued=1, repealed=0, in_force=12)
    t2["normative"].update(issued=5, repealed=2, in_force=38)
    t2["licensing"]["decisions"] = 120
    t2["penalty"]["decisions"] = 15
    t2["coercion"]["decisions"] = 3
    t2["fees"]["amount"] = Decimal("12.50")
    assert _text(summary_html(ay, "t2", None)) == (
        "本年度制发规章1件、行政规范性文件5件，废止规章0件、行政规范性文件2件，现行有效规章12件、行政规范性文件38件；"
        "作出行政许可处理决定120件、行政处罚处理决定15件、行政强制处理决定3件；收取行政事业性收费12.50万元。"
    )
    t2["fees"]["amount"] = Decimal("0.00")
    assert _text(summary_html(ay, "t2", None)).endswith("；未收取行政事业性收费。")


def test_t2_summary_2019_documents_decisions_fees_procurement() -> None:
    ay = synthetic.agency_year(CITY, 2019, seed=1)
    t2 = ay.tables["t2"]
    t2["rules"].update(made=0, published=0, total_public=3)
    t2["normative"].update(made=4, published=4, total_public=40)
    for row, n in (("licensing", 7), ("other_services", 2), ("penalty", 5), ("coercion", 0)):
        t2[row]["decisions"] = n
    t2["fees"].update(previous_items=10, change=-3)
    t2["procurement"].update(items=2, amount=Amount(Decimal("86000.0"), "元"))
    assert _text(summary_html(ay, "t2", None)) == (
        "本年度新制作规章0件、规范性文件4件，新公开规章0件、规范性文件4件，累计对外公开规章3件、规范性文件40件；"
        "作出行政许可处理决定7件、其他对外管理服务事项处理决定2件、行政处罚处理决定5件、行政强制处理决定0件；"
        "行政事业性收费项目7项，较上一年减少3项；政府集中采购项目2个，采购总金额86000.0元。"
    )


@pytest.mark.parametrize("seed", range(6))
def test_summaries_agree_with_rule_i7_patterns(seed: int) -> None:
    """Every number rule I7 would read out of the summaries is the table's number."""
    for year in (2019, 2020, 2021, 2024):
        ay = synthetic.agency_year(CITY, year, seed=seed, scale=300)
        values = figures(ay)
        text = "".join(_text(summary_html(ay, t, None)) for t in ("t2", "t3", "t4"))
        found = set()
        for name, p in phrases().items():
            for m in p.reads.finditer(text):
                assert int(m.group(1)) == _lookup(values, name), (p.reads.pattern, text)
                found.add(name)
        expected = {"applications.new", "applications.handled", "applications.granted", "applications.partial"}
        assert expected <= found
        if values["review"]["total"] or values["litigation"]["total"]:
            assert {"review.total", "litigation.total"} <= found


def test_summary_of_an_unknown_table_is_refused(ay: AgencyYear) -> None:
    with pytest.raises(ValueError, match="t9"):
        summary_html(ay, "t9", None)
