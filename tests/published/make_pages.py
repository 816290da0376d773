"""Writes the saved-page fixtures of tests/published/pages/ and their ``.expected.yaml`` sidecars.

The pages imitate what government portals publish (a TRS-style portal around a report, a report
pasted from Word into a CMS editor, a spam mirror, a report whose table 三 is a picture, a page
whose tables were flattened to text). Every table is laid out from :func:`xxgk.formats.grid.grid`,
the same official layout the renderer draws, so a sidecar can name each value by the format's keys.
The tests read the committed pages and never run this script; run it only to change a fixture:

    .venv/bin/python -m tests.published.make_pages
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import opencc  # type: ignore[import-untyped]
import yaml

from xxgk.formats import get
from xxgk.formats.grid import GridCell, grid

PAGES = Path(__file__).resolve().parent / "pages"
T3_COLS = ("natural", "commercial", "research", "public_interest", "legal_service", "other")
T4_OUT = ("upheld", "corrected", "other", "pending")

Values = dict[str, dict[str, dict[str, Any]]]


def t3_values(version: str, given: dict[str, tuple[int, ...]]) -> dict[str, dict[str, int]]:
    """Table 三 from the applicant columns of its non-total rows; totals and 结转 computed (I1, I2, S1)."""
    rows = list(get(version).layout["t3"])
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        if r in ("total", "carried_forward"):
            continue
        v = given.get(r, (0,) * 6)
        out[r] = {**dict(zip(T3_COLS, v, strict=True)), "total": sum(v)}
    results = [r for r in rows if r not in ("new", "carried_over", "total", "carried_forward")]
    out["total"] = {c: sum(out[r][c] for r in results) for c in (*T3_COLS, "total")}
    out["carried_forward"] = {c: out["new"][c] + out["carried_over"][c] - out["total"][c] for c in (*T3_COLS, "total")}
    assert all(v >= 0 for v in out["carried_forward"].values()), out["carried_forward"]
    return out


def t4_values(given: dict[str, tuple[int, int, int, int]]) -> dict[str, dict[str, int]]:
    out = {}
    for g in ("review", "litigation_direct", "litigation_after_review"):
        v = given.get(g, (0, 0, 0, 0))
        out[g] = {**dict(zip(T4_OUT, v, strict=True)), "total": sum(v)}
    return out


def shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".")
    if isinstance(value, dict):
        return f"{shown(value['value'])}{value['unit']}"
    return str(value)


# Table markup ------------------------------------------------------------------------------------

WORD_SPLITS = {
    "社会公益组织": ("社会", "公益", "组织"),
    "三、本年度办理结果": ("三、本", "年度办", "理结果"),
    "法律服务机构": ("法律服务", "机构"),
    "（三）不予公开": ("（三）不予", "公开"),
}


def spans(c: GridCell) -> str:
    out = ""
    if c.rowspan > 1:
        out += f' rowspan="{c.rowspan}"'
    if c.colspan > 1:
        out += f' colspan="{c.colspan}"'
    return out


def cms_table(version: str, tid: str, values: Values, texts: dict[tuple[str, str], str], head_th: bool) -> str:
    """A table as a TRS/UEditor CMS stores it: plain cells, ``<thead>`` for the column head."""
    g = grid(get(version), tid)
    lines = ['<table border="1" cellspacing="0" cellpadding="0" width="100%" style="border-collapse:collapse">']
    for r in range(g.height):
        if head_th and r == 0 and g.head_rows:
            lines.append("<thead>")
        if head_th and r == g.head_rows and g.head_rows:
            lines.append("</thead><tbody>")
        cells = []
        for c in g.row(r):
            if c.role == "value":
                assert c.spec is not None
                key = (c.spec.row, c.spec.column)
                text = texts.get(key, shown(values[tid][key[0]][key[1]]))
                cells.append(f'<td{spans(c)} align="center">{html.escape(text)}</td>')
            else:
                tag = "th" if head_th and c.role in ("head", "corner") else "td"
                cells.append(f"<{tag}{spans(c)}>{html.escape(c.text)}</{tag}>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>" if head_th and g.head_rows else "</table>")
    return "\n".join(lines)


def word_p(text: str, align: str = "center") -> str:
    body = html.escape(text) if text else "<o:p>&nbsp;</o:p>"
    return (
        f"<p class=MsoNormal align={align} style='text-align:{align}'><span style='font-family:宋体'>{body}</span></p>"
    )


def word_table(
    version: str, tid: str, values: Values, texts: dict[tuple[str, str], str], labels: dict[str, str]
) -> str:
    """A table as Word pastes it: every cell a ``MsoNormal`` paragraph, long labels split over several."""
    g = grid(get(version), tid)
    lines = ["<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse'>"]
    for r in range(g.height):
        cells = []
        for c in g.row(r):
            if c.role == "value":
                assert c.spec is not None
                key = (c.spec.row, c.spec.column)
                inner = word_p(texts.get(key, shown(values[tid][key[0]][key[1]])))
            else:
                label = labels.get(c.text, c.text)
                inner = "".join(word_p(p) for p in WORD_SPLITS.get(c.text, (label,)))
            cells.append(f"<td{spans(c)} style='border:solid windowtext 1.0pt'>{inner}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def flattened_lines(version: str, tid: str, values: Values, rows: tuple[str, ...]) -> list[str]:
    """A table after text extraction: each row's label followed by one run of its cells' digits."""
    g = grid(get(version), tid)
    if tid == "t4":
        return ["行政复议 行政诉讼", "未经复议直接起诉 复议后起诉", "结果维持 结果纠正 其他结果 尚未审结 总计"]
    out = []
    for r in range(g.head_rows, g.height):
        row = g.row(r)
        value_cells = [c for c in row if c.role == "value"]
        assert value_cells[0].spec is not None
        key = value_cells[0].spec.row
        if key not in rows:
            continue
        label = [c for c in row if c.role == "label"][-1].text
        out.append(label + "".join(shown(values[tid][key][c.spec.column]) for c in value_cells if c.spec))
    return out


# Narrative -----------------------------------------------------------------------------------------


def report_2021(agency: str, year: int, tables: dict[str, str], date_cn: str) -> list[str]:
    """The blocks of a 2021-format report as HTML fragments: preamble, six sections, signature."""
    p = '<p style="text-indent:2em">{}</p>'.format
    return [
        p(
            f"本报告依据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务公开办公室关于印发"
            f"〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求编制。本报告中所列数据的统计期限"
            f"自{year}年1月1日起至{year}年12月31日止。"
        ),
        "<p><strong>一、总体情况</strong></p>",
        p(
            f"{year}年，{agency}深入贯彻落实《条例》，围绕中心工作，扎实推进政府信息公开工作。"
            "（一）主动公开。全年通过门户网站主动公开政府信息，及时发布政策文件和办事指南。"
        ),
        p("（二）依申请公开。严格按照法定程序和时限答复，做到依法、规范、高效办理。"),
        p("（三）政府信息管理。落实公开属性源头认定和发布前保密审查制度。"),
        p("（四）平台建设。持续优化政府信息公开专栏，提升栏目内容的准确性和时效性。"),
        p("（五）监督保障。将政务公开纳入年度考核，主动接受社会监督。"),
        "<p><strong>二、主动公开政府信息情况</strong></p>",
        tables.get("t2", ""),
        "<p><strong>三、收到和处理政府信息公开申请情况</strong></p>",
        tables.get("t3", ""),
        "<p><strong>四、政府信息公开行政复议、行政诉讼情况</strong></p>",
        tables.get("t4", ""),
        "<p><strong>五、存在的主要问题及改进情况</strong></p>",
        p(
            "存在的问题：部分栏目信息更新不够及时，政策解读形式比较单一。改进措施：下一步将建立栏目更新台账，"
            "丰富图解、视频等解读形式，加强业务培训。"
        ),
        "<p><strong>六、其他需要报告的事项</strong></p>",
        p(f"本年度未收取信息处理费。{agency}认真办理人大代表建议和政协提案，办理结果已按规定公开。"),
        f'<p style="text-align:right">{agency}</p>',
        f'<p style="text-align:right">{date_cn}</p>',
    ]


# Pages ---------------------------------------------------------------------------------------------

CHROME_TOP = """<div class="top-bar">欢迎访问青山县人民政府门户网站
<a href="/wza/">无障碍浏览</a> <a href="/old/">长者模式</a></div>
<div class="header"><div class="logo"><h1><a href="/">青山县人民政府</a></h1></div>
<form class="search-box" action="/search"><input name="q" value="请输入关键词"><button>搜索</button></form></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwfw/">政务服务</a></li>
<li><a href="/hdjl/">互动交流</a></li><li><a href="/zjqs/">走进青山</a></li></ul></div>"""
CHROME_BOTTOM = """<div class="footer"><p>主办：青山县人民政府办公室　承办：青山县大数据发展中心</p>
<p>网站标识码：3399000001　浙ICP备12345678号-1　浙公网安备 33990002000001号</p>
<p><a href="/about/">关于我们</a> | <a href="/map/">网站地图</a> | <a href="/contact/">联系我们</a></p></div>"""


def site_chrome_2021() -> tuple[str, dict[str, Any]]:
    v = "2021"
    agency = "青山县民政局"
    title = f"{agency}2021年政府信息公开工作年度报告"
    values: Values = {
        "t2": {
            "rules": {"issued": 0, "repealed": 0, "in_force": 0},
            "normative": {"issued": 5, "repealed": 1, "in_force": 23},
            "licensing": {"decisions": 356},
            "penalty": {"decisions": 12},
            "coercion": {"decisions": 0},
            "fees": {"amount": 0},
        },
        "t3": t3_values(
            v,
            {
                "new": (18, 2, 0, 1, 1, 0),
                "carried_over": (1, 0, 0, 0, 0, 0),
                "granted": (9, 1, 0, 1, 0, 0),
                "partial": (2, 0, 0, 0, 0, 0),
                "withheld_third_party": (1, 0, 0, 0, 0, 0),
                "unavailable_not_held": (3, 1, 0, 0, 1, 0),
                "not_processed_repeated": (1, 0, 0, 0, 0, 0),
                "other_no_correction": (1, 0, 0, 0, 0, 0),
            },
        ),
        "t4": t4_values(
            {"review": (2, 1, 0, 0), "litigation_direct": (1, 0, 0, 1), "litigation_after_review": (1, 0, 0, 0)}
        ),
    }
    tables = {t: cms_table(v, t, values, {}, head_th=t != "t2") for t in ("t2", "t3", "t4")}
    url = "http://www.qingshan.gov.cn/zwgk/xxgkndbg/202201/t20220120_3456789.html"
    body = "\n".join(report_2021(agency, 2021, tables, "2022年1月18日"))
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{title}_政府信息公开年报_青山县人民政府</title>
<meta name="SiteName" content="青山县人民政府">
<meta name="SiteDomain" content="www.qingshan.gov.cn">
<meta name="SiteIDCode" content="3399000001">
<meta name="ColumnName" content="政府信息公开年报">
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="2022-01-20 09:30">
<meta name="ContentSource" content="{agency}">
<meta name="Url" content="{url}">
<link rel="canonical" href="{url}">
<link rel="stylesheet" href="http://www.qingshan.gov.cn/css/style.css">
<script src="http://www.qingshan.gov.cn/js/jquery.min.js"></script>
<script>document.write('<p>脚本写入的文字</p>'); var _hmt = _hmt || [];</script>
<style>.nav li{{float:left}} .sidebar{{width:280px}}</style>
</head>
<body>
{CHROME_TOP}
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt;
<a href="/zwgk/xxgkndbg/">政府信息公开年报</a></div>
<div class="main clearfix">
<div class="main-left">
<div class="article">
<h2 class="article-title">{title}</h2>
<div class="article-info">发布日期：2022-01-20　来源：{agency}　浏览次数：<span id="hits">0</span>
字号：<a>大</a> <a>中</a> <a>小</a></div>
<div class="TRS_Editor"><div class="Custom_UnionStyle">
{body}
</div></div>
<div class="bdsharebuttonbox">分享到：<a class="bds_weixin">微信</a>
<a class="bds_tsina">微博</a><a class="bds_qzone">QQ空间</a></div>
<div class="article-tools">【<a href="javascript:window.print()">打印本页</a>】
【<a href="javascript:window.close()">关闭窗口</a>】</div>
</div>
</div>
<div class="sidebar">
<h3>相关链接</h3>
<ul><li><a href="/zwgk/xxgkndbg/202101/t20210125_1.html">青山县民政局2020年政府信息公开工作年度报告</a></li>
<li><a href="/zwgk/xxgkndbg/202001/t20200120_1.html">青山县民政局2019年政府信息公开工作年度报告</a></li></ul>
<h3>热点专题</h3><ul><li><a href="/ztzl/">优化营商环境</a></li></ul>
</div>
</div>
{CHROME_BOTTOM}
<script>var hits = document.getElementById('hits'); hits.innerHTML = '1024';</script>
</body>
</html>
"""
    expected = {
        "title": title,
        "agency": agency,
        "year": 2021,
        "format": v,
        "published": "2022-01-20",
        "published_where": '<meta name="PubDate">',
        "url": url,
        "encoding": "utf-8",
        "tables": values,
        "table_order": ["t2", "t3", "t4"],
        "chrome": [
            "欢迎访问",
            "首页",
            "政务服务",
            "当前位置",
            "分享到",
            "打印本页",
            "相关链接",
            "热点专题",
            "网站标识码",
            "ICP",
            "脚本写入的文字",
            "搜索",
            "浏览次数",
        ],
    }
    return page, expected


def word_pasted_2020() -> tuple[str, dict[str, Any]]:
    v = "2019"
    agency = "石桥镇人民政府"
    title = f"{agency}2020年政府信息公开工作年度报告"
    values: Values = {
        "t2": {
            "rules": {"made": None, "published": None, "total_public": None},
            "normative": {"made": 3, "published": 3, "total_public": 6},
            "licensing": {"previous_items": 0, "change": 0, "decisions": 2},
            "other_services": {"previous_items": 7, "change": 1, "decisions": 1268},
            "penalty": {"previous_items": 0, "change": 4, "decisions": 1},
            "coercion": {"previous_items": 0, "change": 0, "decisions": 1},
            "fees": {"previous_items": 8, "change": None},
            "procurement": {"items": 2, "amount": {"value": 10.9, "unit": "万元"}},
        },
        "t3": t3_values(
            v,
            {
                "new": (2, 1, 0, 0, 0, 0),
                "granted": (1, 0, 0, 0, 0, 0),
                "withheld_third_party": (0, 1, 0, 0, 0, 0),
                "unavailable_not_held": (1, 0, 0, 0, 0, 0),
            },
        ),
        "t4": t4_values({"review": (1, 0, 0, 0)}),
    }
    for col in (*T3_COLS, "total"):
        values["t3"]["carried_over"][col] = None
    values["t4"]["litigation_after_review"]["total"] = None
    not_numbers = [
        *({"table": "t2", "row": "rules", "column": c, "text": "/"} for c in ("made", "published", "total_public")),
        {"table": "t2", "row": "fees", "column": "change", "text": "无"},
        *({"table": "t3", "row": "carried_over", "column": c, "text": ""} for c in (*T3_COLS, "total")),
        {"table": "t4", "row": "litigation_after_review", "column": "total", "text": "无"},
    ]
    written_as = [
        {"table": "t3", "row": "new", "column": "natural", "text": "２"},
        {"table": "t3", "row": "new", "column": "total", "text": "３"},
        {"table": "t3", "row": "total", "column": "total", "text": "３"},
        {"table": "t2", "row": "other_services", "column": "decisions", "text": "1,268"},
        {"table": "t2", "row": "procurement", "column": "amount", "text": "10.9万元"},
    ]
    texts = {(d["table"], d["row"], d["column"]): d["text"] for d in (*not_numbers, *written_as)}
    labels = {
        "（一）予以公开": "(一)予以公开",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": (
            "(二)部分公开(区分处理的，只计这一情形，不计其他情形)"
        ),
        "（六）其他处理": "(六)其他处理",
    }
    tables = {}
    for t in ("t2", "t3", "t4"):
        per_table = {(r, c): s for (tt, r, c), s in texts.items() if tt == t}
        tables[t] = word_table(v, t, values, per_table, labels)

    def para(text: str, bold: bool = False) -> str:
        inner = (
            f"<b><span style='font-size:16.0pt;font-family:黑体'>{text}</span></b>"
            if bold
            else (f"<span style='font-size:16.0pt;font-family:仿宋_GB2312'>{text}</span>")
        )
        pad = "<span lang=EN-US>&nbsp;&nbsp;<o:p></o:p></span>"
        return f"<p class=MsoNormal style='text-indent:32.0pt;line-height:28.0pt'>{inner}{pad}</p>"

    body = "\n".join(
        [
            "<p class=MsoNormal align=center style='text-align:center'><b><span style='font-size:22.0pt;font-family:"
            f"方正小标宋简体'>{title}</span></b></p>",
            para(
                "本年度报告根据《中华人民共和国政府信息公开条例》和《中华人民共和国政府信息公开工作年度报告格式（试行）》"
                "（国办公开办函〔2019〕60号）要求编制，所列数据的统计期限自2020年1月1日起至2020年12月31日止。"
            ),
            para("一、总体情况", bold=True),
            para(
                "2020年，石桥镇人民政府以财政预决算、惠民惠农补贴、村务和征地补偿为重点，依法做好政府信息公开工作，"
                "全年主动公开政府信息45条。"
            ),
            "<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>",
            para("二、主动公开政府信息情况", bold=True),
            tables["t2"],
            para("三、收到和处理政府信息公开申请情况", bold=True),
            tables["t3"],
            para("四、政府信息公开行政复议、行政诉讼情况", bold=True),
            tables["t4"],
            para("五、存在的主要问题及改进情况", bold=True),
            para(
                "基层公开人员力量薄弱，兼职人员变动频繁；部分村务公开栏内容更新滞后。下一步将加强业务培训，落实村务公开月度检查。"
            ),
            para("六、其他需要报告的事项", bold=True),
            para("无。"),
            "<p class=MsoNormal align=right style='text-align:right'>"
            "<span style='font-size:16.0pt'>石桥镇人民政府</span></p>",
            "<p class=MsoNormal align=right style='text-align:right'><span lang=EN-US style='font-size:16.0pt'>"
            "2021</span><span style='font-size:16.0pt'>年</span><span lang=EN-US>1</span><span>月</span>"
            "<span lang=EN-US>18</span><span>日</span></p>",
        ]
    )
    page = f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{title} - 青山县人民政府</title>
<meta name="keywords" content="政府信息公开,年度报告">
<link href="/images/style.css" rel="stylesheet" type="text/css">
</head>
<body>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="top-table">
<tr><td><img src="/images/banner.jpg" alt="青山县人民政府"></td></tr></table>
<div class="menu"><a href="/">网站首页</a> | <a href="/xxgk/">信息公开</a> | <a href="/bsfw/">办事服务</a></div>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td class="position">您现在的位置：<a href="/">首页</a> &gt;&gt; 乡镇信息公开 &gt;&gt; 年度报告</td></tr>
<tr><td>
<div class="title">{title}</div>
<div class="info">发布时间：2021年01月25日&nbsp;&nbsp;&nbsp;来源：{agency}&nbsp;&nbsp;&nbsp;
点击数：<span>56</span></div>
<div class="view TRS_UEDITOR trs_paper_default trs_word">
<div class=WordSection1 style='layout-grid:15.6pt'>
{body}
</div>
</div>
</td></tr>
</table>
<div class="footer">版权所有：青山县人民政府　网站标识码：3399000002　浙ICP备12345678号-2</div>
</body>
</html>
"""
    expected = {
        "title": title,
        "agency": agency,
        "year": 2020,
        "format": v,
        "published": "2021-01-25",
        "published_where": "页面头部“发布时间”",
        "url": "",
        "encoding": "gb2312",
        "tables": values,
        "table_order": ["t2", "t3", "t4"],
        "not_numbers": not_numbers,
        "written_as": written_as,
        "joined_labels": ["社会公益组织", "三、本年度办理结果", "法律服务机构", "（三）不予公开", "(一)予以公开"],
        "chrome": ["网站首页", "您现在的位置", "点击数", "网站标识码", "版权所有"],
    }
    return page, expected


def mirror_traditional_2021() -> tuple[str, dict[str, Any]]:
    v = "2021"
    agency = "金河市人民政府办公室"
    title = f"{agency}2021年政府信息公开工作年度报告"
    values: Values = {
        "t2": {
            "rules": {"issued": 2, "repealed": 0, "in_force": 31},
            "normative": {"issued": 14, "repealed": 3, "in_force": 96},
            "licensing": {"decisions": 0},
            "penalty": {"decisions": 0},
            "coercion": {"decisions": 0},
            "fees": {"amount": 0},
        },
        "t3": t3_values(
            v,
            {
                "new": (41, 3, 1, 0, 2, 1),
                "carried_over": (2, 0, 0, 0, 0, 0),
                "granted": (20, 2, 1, 0, 1, 0),
                "partial": (4, 0, 0, 0, 0, 0),
                "withheld_process": (1, 0, 0, 0, 0, 0),
                "unavailable_not_held": (9, 1, 0, 0, 1, 1),
                "unavailable_unclear": (2, 0, 0, 0, 0, 0),
                "not_processed_petition": (3, 0, 0, 0, 0, 0),
                "other_other": (1, 0, 0, 0, 0, 0),
            },
        ),
        "t4": t4_values({"review": (3, 0, 1, 1), "litigation_direct": (2, 0, 0, 1)}),
    }
    s2t = opencc.OpenCC("s2t")
    tables = {t: s2t.convert(cms_table(v, t, values, {}, head_th=False)) for t in ("t2", "t3", "t4")}
    parts = report_2021(agency, 2021, {}, "2022年1月17日")
    trad = [s2t.convert(p) for p in parts]
    trad = [
        t.replace("公開", "公(gong)開(kai)", 1).replace("依申請", "依(yi)申(shen)請", 1)
        if not t.startswith("<p><strong>")
        else t
        for t in trad
    ]
    trad[0] = trad[0].replace("國辦公開辦函〔2021〕30號", "國辦公開辦函〔202130號")
    body_parts = []
    for t in trad:
        body_parts.append(t)
        for key, heading in (("t2", "二、"), ("t3", "三、"), ("t4", "四、")):
            if t.startswith(f"<p><strong>{heading}"):
                body_parts.append(tables[key])
    spam = "【免費下載】最新2021政府信息公開年度報告範文大全-"
    url = "http://wenku.example.com/xxgk/2022/0117/632170988.html"
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>{spam}{s2t.convert(title)}_文庫網</title>
<link rel="canonical" href="{url}">
<meta name="keywords" content="政府信息公開,年度報告,範文,下載">
<script>if(/Mobile/.test(navigator.userAgent)){{location.href='http://m.example.com/'}}</script>
</head><body>
<div id="topnav"><a href="/">文庫首頁</a> <a href="/fanwen/">範文大全</a> <a href="/vip/">開通VIP</a></div>
<div class="wrap"><div class="content">
<h1>{spam}{s2t.convert(title)}</h1>
<div class="meta">發佈日期：２０２２－０１－１７　閱讀：8812</div>
<div style="display:none">澳门线上娱乐 最新地址</div>
{chr(10).join(body_parts)}
</div>
<div class="related-docs"><h3>相關文檔</h3><ul><li><a href="/x/1.html">2020年度報告範文</a></li></ul></div>
</div>
<div id="footer">Copyright © 文庫網 聯繫QQ：12345</div>
</body></html>
"""
    expected = {
        "title": spam + s2t.convert(title),
        "agency": agency,
        "year": 2021,
        "format": v,
        "published": "2022-01-17",
        "published_where": "页面头部“发布日期”",
        "url": url,
        "encoding": "utf-8",
        "mirror": True,
        "tables": values,
        "table_order": ["t2", "t3", "t4"],
        "chrome": ["文庫首頁", "開通VIP", "相關文檔", "Copyright", "澳门线上娱乐"],
    }
    return page, expected


def image_table_2022() -> tuple[str, dict[str, Any]]:
    v = "2021"
    agency = "青山县教育局"
    title = f"{agency}2022年政府信息公开工作年度报告"
    values: Values = {
        "t2": {
            "rules": {"issued": 0, "repealed": 0, "in_force": 0},
            "normative": {"issued": 7, "repealed": 2, "in_force": 24},
            "licensing": {"decisions": 5},
            "penalty": {"decisions": 3},
            "coercion": {"decisions": 1},
            "fees": {"amount": 81.9},
        },
        "t4": t4_values({"review": (1, 0, 0, 0)}),
    }
    tables = {
        "t2": cms_table(v, "t2", values, {}, head_th=False),
        "t3": '<p style="text-align:center"><img src="biao3.png" alt="" width="640" height="900"></p>',
        "t4": cms_table(v, "t4", values, {}, head_th=False),
    }
    body = "\n".join(report_2021(agency, 2022, tables, "2023年1月28日"))
    page = f"""<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{title}-青山县人民政府</title>
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="2023-01-28">
<meta property="og:url" content="http://www.qingshan.gov.cn/jyj/ndbg/202301/t20230128_42.html">
</head><body>
<div class="nav-bar"><a href="/">首页</a> <a href="/jyj/">教育局</a></div>
<div id="zoom">
{body}
</div>
<div class="foot">青山县教育局 版权所有</div>
</body></html>
"""
    expected = {
        "title": title,
        "agency": agency,
        "year": 2022,
        "format": v,
        "published": "2023-01-28",
        "published_where": '<meta name="PubDate">',
        "url": "http://www.qingshan.gov.cn/jyj/ndbg/202301/t20230128_42.html",
        "encoding": "utf-8",
        "tables": values,
        "table_order": ["t2", "t4"],
        "image_tables": ["t3"],
        "images": [{"where": "第1张图片", "alt": ""}],
        "chrome": ["首页", "版权所有"],
    }
    return page, expected


def flattened_2021() -> tuple[str, dict[str, Any]]:
    v = "2021"
    agency = "石桥镇人民政府"
    title = f"{agency}2021年政府信息公开工作年度报告"
    t3 = t3_values(
        v,
        {"new": (3, 0, 0, 0, 0, 0), "granted": (2, 0, 0, 0, 0, 0), "unavailable_not_held": (1, 0, 0, 0, 0, 0)},
    )
    t4 = t4_values({"review": (1, 0, 0, 0)})
    values: Values = {"t3": t3, "t4": t4}
    t3_rows = ("new", "carried_over", "granted", "partial", "withheld_state_secret", "withheld_prohibited")
    t3_lines = ["申请人情况", "自然人 法人或其他组织 总计", "商业企业 科研机构 社会公益组织 法律服务机构 其他"]
    t3_lines += flattened_lines(v, "t3", values, t3_rows)
    t4_lines = flattened_lines(v, "t4", values, ())
    t4_lines.append("".join(shown(t4[g][o]) for g in t4 for o in (*T4_OUT, "total")))
    sections = report_2021(agency, 2021, {}, "2022年1月17日")
    body_parts = []
    for s in sections:
        body_parts.append(s)
        if s.startswith("<p><strong>三、"):
            body_parts += [f"<p>{html.escape(t)}</p>" for t in t3_lines]
        if s.startswith("<p><strong>四、"):
            body_parts += [f"<p>{html.escape(t)}</p>" for t in t4_lines]
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<div class="xxgk_content">
<h1>{title}</h1>
<p class="date">日期：2022/1/17</p>
{chr(10).join(body_parts)}
</div>
</body></html>
"""
    expected = {
        "title": title,
        "agency": agency,
        "year": 2021,
        "format": v,
        "published": "2022-01-17",
        "published_where": "页面头部“日期”",
        "url": "",
        "encoding": "utf-8",
        "table_order": [],
        "flattened": {"t3": {r: t3[r] for r in t3_rows}, "t4": t4},
        "lines": t3_lines + t4_lines,
    }
    return page, expected


BUILDERS = {
    "site-chrome-2021": (site_chrome_2021, "utf-8"),
    "word-pasted-2020": (word_pasted_2020, "gb18030"),
    "mirror-traditional-2021": (mirror_traditional_2021, "utf-8"),
    "image-table-2022": (image_table_2022, "utf-8"),
    "flattened-2021": (flattened_2021, "utf-8"),
}


def main() -> None:
    PAGES.mkdir(parents=True, exist_ok=True)
    for name, (build, encoding) in BUILDERS.items():
        page, expected = build()
        (PAGES / f"{name}.html").write_bytes(page.encode(encoding))
        header = f"# What {name}.html holds, by the format's keys (written by tests/published/make_pages.py).\n"
        text = yaml.safe_dump(expected, allow_unicode=True, sort_keys=False, width=120)
        (PAGES / f"{name}.expected.yaml").write_text(header + text, encoding="utf-8")


if __name__ == "__main__":
    main()
