"""The official tables as a reader sees them: every label in place, every number in its cell, spans right.

The HTML is parsed back the way a browser lays it out (pandas.read_html expands rowspan/colspan into
a grid), so a wrong span shows up as a label in the wrong place, not just as a wrong attribute.
"""

from __future__ import annotations

import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import lxml.html
import pandas as pd
import pytest

from xxgk import formats
from xxgk.data import synthetic
from xxgk.data.model import Agency, AgencyYear, Amount
from xxgk.formats import short_label
from xxgk.report.tables import table_html

CITY = Agency("jinhe-city", "金河市人民政府办公室", "市级", None, Path())
YEARS = {"2019": 2020, "2021": 2023}


@pytest.fixture(params=["2019", "2021"])
def ay(request: pytest.FixtureRequest) -> AgencyYear:
    """A consistent year of a body with rule-making power, with the awkward values a body can report."""
    ay = synthetic.agency_year(CITY, YEARS[request.param], seed=7, scale=400)
    t2 = ay.tables["t2"]
    if ay.format.id == "2019":
        t2["licensing"]["change"] = -3
        t2["procurement"]["amount"] = Amount(Decimal("86000.0"), "元")
    else:
        t2["fees"]["amount"] = Decimal("12.50")
    return ay


def _table(html: str) -> lxml.html.HtmlElement:
    tables = lxml.html.fragments_fromstring(html)
    assert len(tables) == 1
    return tables[0]


def _frame(html: str) -> pd.DataFrame:
    frames = pd.read_html(StringIO(html), flavor="lxml", thousands=None)
    assert len(frames) == 1
    return frames[0]


def _grid(table: lxml.html.HtmlElement) -> list[list[str]]:
    """Rows of cell texts with colspans expanded (table 二 has no rowspans)."""
    out = []
    for tr in table.iter("tr"):
        row: list[str] = []
        for cell in tr:
            assert "rowspan" not in cell.attrib
            row += [cell.text_content()] * int(cell.get("colspan", "1"))
        out.append(row)
    return out


def _spans(table: lxml.html.HtmlElement) -> dict[str, tuple[int, int]]:
    """Header text → (rowspan, colspan), for the first cell with that text."""
    out: dict[str, tuple[int, int]] = {}
    for th in table.iter("th"):
        out.setdefault(th.text_content(), (int(th.get("rowspan", "1")), int(th.get("colspan", "1"))))
    return out


# --- table 三 -------------------------------------------------------------------------------------


def test_t3_every_label_and_number_in_its_place(ay: AgencyYear) -> None:
    fmt = ay.format
    df = _frame(table_html(ay, "t3"))
    rows = list(fmt.t3_rows.leaves())
    assert df.shape == (len(rows), 3 + 7)
    # Column header: 申请人情况 over every value column, 法人或其他组织 over its five, the rest spanning down.
    value_cols = list(df.columns[3:])
    assert [c[0] for c in value_cols] == ["申请人情况"] * 7
    assert [c[2] for c in value_cols] == [
        "自然人",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
        "总计",
    ]
    assert [c[1] for c in value_cols] == ["自然人", *["法人或其他组织"] * 5, "总计"]
    assert set(df.columns[0]) == {fmt.t3_corner}
    # Row labels, in official order, each spanning to the values.
    for i, (chain, leaf) in enumerate(rows):
        labels = [h.label for h in chain] + [leaf.label]
        labels += [leaf.label] * (3 - len(labels))
        assert list(df.iloc[i, :3]) == labels
        for j, col in enumerate(fmt.t3_columns.leaves()):
            assert int(df.iloc[i, 3 + j]) == ay.tables["t3"][leaf.key][col[1].key], (leaf.label, col[1].label)


def test_t3_labels_in_the_official_order(ay: AgencyYear) -> None:
    table = _table(table_html(ay, "t3"))
    body = [th.text_content() for th in table.find("tbody").iter("th")]
    assert body[:3] == ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "三、本年度办理结果"]
    assert body[-2:] == ["（七）总计", "四、结转下年度继续办理"]
    assert "3.危及“三安全一稳定”" in body
    other = body.index("（六）其他处理")
    if ay.format.id == "2019":
        assert body[other + 1] == "（七）总计"
    else:
        assert body[other + 1].startswith("1.申请人无正当理由逾期不补正、行政机关不再处理")
        assert body[other + 3] == "3.其他"


def test_t3_spans_match_the_spec(ay: AgencyYear) -> None:
    table = _table(table_html(ay, "t3"))
    spans = _spans(table)
    results = 20 if ay.format.id == "2019" else 22
    assert spans["三、本年度办理结果"] == (results, 1)
    assert spans["（三）不予公开"] == (8, 1)
    assert spans["（四）无法提供"] == (3, 1)
    assert spans["（五）不予处理"] == (5, 1)
    assert spans["（六）其他处理"] == ((1, 2) if ay.format.id == "2019" else (3, 1))
    assert spans["（一）予以公开"] == (1, 2)
    assert spans["一、本年新收政府信息公开申请数量"] == (1, 3)
    assert spans["1.属于国家秘密"] == (1, 1)
    # Header: the 勾稽 note in the corner, 3 rows by 3 label columns.
    corner = table.find("thead").find("tr")[0]
    assert corner.text_content() == "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    assert (corner.get("rowspan"), corner.get("colspan")) == ("3", "3")
    assert spans["申请人情况"] == (1, 7)
    assert spans["自然人"] == (2, 1)
    assert spans["法人或其他组织"] == (1, 5)
    assert spans["总计"] == (2, 1)
    assert len(table.find("thead").findall("tr")) == 3


def test_t3_value_cell_count(ay: AgencyYear) -> None:
    cells = _table(table_html(ay, "t3")).find_class("num")
    assert len(cells) == {"2019": 161, "2021": 175}[ay.format.id]
    assert all(c.tag == "td" for c in cells)


# --- table 四 -------------------------------------------------------------------------------------


def test_t4_header_and_values(ay: AgencyYear) -> None:
    html = table_html(ay, "t4")
    df = _frame(html)
    assert df.shape == (1, 15)
    outcomes = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    assert list(df.columns) == (
        [("行政复议", o, o) for o in outcomes]
        + [("行政诉讼", "未经复议直接起诉", o) for o in outcomes]
        + [("行政诉讼", "复议后起诉", o) for o in outcomes]
    )
    t4 = ay.tables["t4"]
    keys = ["upheld", "corrected", "other", "pending", "total"]
    expected = [t4[g][k] for g in ("review", "litigation_direct", "litigation_after_review") for k in keys]
    assert [int(v) for v in df.iloc[0]] == expected
    table = _table(html)
    spans = _spans(table)
    assert spans["行政复议"] == (1, 5)
    assert spans["行政诉讼"] == (1, 10)
    assert spans["未经复议直接起诉"] == (1, 5)
    assert spans["复议后起诉"] == (1, 5)
    assert spans["结果维持"] == (2, 1)  # the first one: under 行政复议, spanning down
    assert len(table.find("thead").findall("tr")) == 3
    assert len(table.find_class("num")) == 15


# --- table 二 -------------------------------------------------------------------------------------


def test_t2_blocks_labels_and_values(ay: AgencyYear) -> None:
    table = _table(table_html(ay, "t2"))
    grid = _grid(table)
    assert all(len(row) == 4 for row in grid), "every row fills the 4-column grid"
    expected: list[list[str]] = []
    for block in ay.format.t2_blocks:
        expected.append([block.label] * 4)
        heads = ["信息内容"] + [c.label for c in block.columns]
        expected.append(heads + [heads[-1]] * (4 - len(heads)))
        for row in block.rows:
            values = [_text(ay.tables["t2"][row.key][c.key]) for c in block.columns]
            expected.append([row.label, *values] + [values[-1]] * (3 - len(values)))
    assert grid == expected
    # The same grid as pandas reads it (it takes the first two all-header rows as the column header).
    df = _frame(table_html(ay, "t2"))
    assert [list(level) for level in zip(*df.columns, strict=True)] + df.astype(str).values.tolist() == expected
    assert len(table.find_class("num")) == {"2019": 22, "2021": 10}[ay.format.id]
    assert len(table.findall("tbody")) == len(ay.format.t2_blocks)


def _text(v: object) -> str:
    if isinstance(v, Amount):
        return f"{v.value}{v.unit}"
    return str(v)


def test_t2_2019_spec_layout() -> None:
    ay = synthetic.agency_year(CITY, 2019, seed=1)
    grid = _grid(_table(table_html(ay, "t2")))
    labels = [row[0] for row in grid]
    assert labels == [
        "第二十条第（一）项", "信息内容", "规章", "规范性文件",
        "第二十条第（五）项", "信息内容", "行政许可", "其他对外管理服务事项",
        "第二十条第（六）项", "信息内容", "行政处罚", "行政强制",
        "第二十条第（八）项", "信息内容", "行政事业性收费",
        "第二十条第（九）项", "信息内容", "政府集中采购",
    ]  # fmt: skip
    assert grid[1][1:] == ["本年新制作数量", "本年新公开数量", "对外公开总数量"]
    assert grid[13][1:] == ["上一年项目数量", "本年增/减", "本年增/减"]  # the last label spans the rest
    assert grid[16][1:] == ["采购项目数量", "采购总金额", "采购总金额"]


def test_t2_2021_single_value_spans_three_columns() -> None:
    ay = synthetic.agency_year(CITY, 2022, seed=1)
    table = _table(table_html(ay, "t2"))
    grid = _grid(table)
    assert [row[0] for row in grid if row[0] in ("规章", "行政规范性文件", "行政许可", "行政事业性收费")] == [
        "规章",
        "行政规范性文件",
        "行政许可",
        "行政事业性收费",
    ]
    fee_head = table.xpath("//th[.='本年收费金额（单位：万元）']")[0]
    assert fee_head.get("colspan") == "3"
    licensing = table.xpath("//tr[th='行政许可']/td")[0]
    assert licensing.get("colspan") == "3"
    assert "规范性文件" not in [row[0] for row in grid]


def test_values_keep_their_own_form(ay: AgencyYear) -> None:
    """万元 keep the written precision, amounts their unit, reductions their sign; zeros are shown."""
    table = _table(table_html(ay, "t2"))
    texts = [td.text_content() for td in table.find_class("num")]
    if ay.format.id == "2019":
        assert "-3" in texts and "86000.0元" in texts
    else:
        assert texts[-1] == "12.50"
    assert all(re.fullmatch(r"-?\d+(\.\d+)?(元|万元)?", t) for t in texts)


def test_decimals_never_print_in_exponent_form(ay: AgencyYear) -> None:
    """Decimals read from CSV can come as ``1E+1``: the 2021 fee in 万元 and the 2019 procurement amount."""
    if ay.format.id == "2021":
        ay.tables["t2"]["fees"]["amount"] = Decimal("1E+1")
        expected = "10"
    else:
        ay.tables["t2"]["procurement"]["amount"] = Amount(Decimal("2.51E+5"), "元")
        expected = "251000元"
    assert _table(table_html(ay, "t2")).find_class("num")[-1].text_content() == expected


def test_zero_cells_are_printed_not_blank() -> None:
    empty = synthetic.agency_year(Agency("town", "某镇人民政府", "乡镇", None, Path()), 2021, seed=3, scale=0)
    for t, n in (("t2", 10), ("t3", 175), ("t4", 15)):
        texts = [td.text_content() for td in _table(table_html(empty, t)).find_class("num")]
        assert len(texts) == n and all(texts), t


def test_numbers_are_right_aligned_by_class(ay: AgencyYear) -> None:
    for t in formats.TABLE_IDS:
        table = _table(table_html(ay, t))
        assert table.get("class") == f"official {t}"
        assert all(td.get("class") == "num" for td in table.iter("td"))


def test_output_is_deterministic_and_escaped(ay: AgencyYear) -> None:
    for t in formats.TABLE_IDS:
        html = table_html(ay, t)
        assert html == table_html(ay, t)
        assert " id=" not in html and "style=" not in html
    fmt = ay.format
    hostile = formats.FormatVersion(**{**_fields(fmt), "t2_row_header": "<b>信息内容</b>"})
    html = table_html(AgencyYear(ay.agency, ay.year, hostile, ay.tables), "t2")
    assert "&lt;b&gt;信息内容&lt;/b&gt;" in html and "<b>" not in html


def _fields(fmt: formats.FormatVersion) -> dict[str, object]:
    import dataclasses

    return {f.name: getattr(fmt, f.name) for f in dataclasses.fields(fmt)}


def test_unknown_table_is_refused(ay: AgencyYear) -> None:
    with pytest.raises(ValueError, match="t5"):
        table_html(ay, "t5")


@pytest.mark.parametrize(
    ("label", "short"),
    [
        ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "部分公开"),
        ("（一）予以公开", "予以公开"),
        ("一、本年新收政府信息公开申请数量", "本年新收政府信息公开申请数量"),
        ("1.属于国家秘密", "属于国家秘密"),
        ("本年收费金额（单位：万元）", "本年收费金额"),
        ("自然人", "自然人"),
    ],
)
def test_short_label(label: str, short: str) -> None:
    assert short_label(label) == short
