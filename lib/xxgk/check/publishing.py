"""Rules on how a report is published and what it says about itself: on time (P1), under the right basis
(P5), for the right period (P6) and year (P7), with no template text left in (D3), and with the figures of
table 二 it repeats (T3) and a fee amount in the unit the label names (T4).

They apply alike to the reports xxgk writes and to published reports ``xxgk audit`` reads (whose narrative
is the page's sections 一、五、六, already in simplified characters). Real text is far more varied than a
template, so, like I7 and the evaluator rules, each rule judges only the phrasings it recognises and stays
silent on the rest: a missed finding costs a reviewer one look, a false one costs the trust in every other.
Matching sees the text as a reader does (placeholders filled, broken lines joined) with full-width digits
and Latin letters read as their ASCII forms, so ``２０２２年`` and ``ＸＸ`` are recognised too.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from xxgk import formats
from xxgk.check.findings import finding, num
from xxgk.check.narrative import narrative_text, unbroken
from xxgk.check.registry import rule
from xxgk.data import deadlines
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import Agency, AgencyYear, count, show
from xxgk.formats import FormatVersion

# --- reading the narrative ---------------------------------------------------------------------------

# Full-width digits and Latin letters as ASCII, one character for one, so a match's offsets are the
# original text's and an excerpt quotes what the body wrote (NFKC would also fold brackets and lengths).
_HALF_WIDTH = {
    c: c - 0xFEE0 for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(lo, hi + 1)
}

EXCERPT_CHARS = 40
"""The longest excerpt a message quotes: enough to find the sentence, short enough to read in a list."""

_STOPS = "。！？；!?;\n"
_CLAUSE_STOPS = _STOPS + "，,：:"


@dataclass(frozen=True)
class Section:
    """One narrative section in the two forms a rule needs: one to match, one to quote."""

    key: str
    shown: str
    """As the reader sees it: filled, broken lines joined (what a message quotes)."""
    text: str
    """:attr:`shown` with full-width digits and letters as ASCII, character for character (what rules match)."""

    def said(self, m: re.Match[str]) -> str:
        """What the body wrote where ``m`` matched :attr:`text`."""
        return self.shown[m.start() : m.end()]

    def excerpt(self, m: re.Match[str]) -> str:
        """The sentence around ``m`` as the body wrote it, short enough for a message."""
        return _excerpt(self.shown, m.start(), m.end())


def _sections(ay: AgencyYear) -> list[Section]:
    """The fillable narrative sections (one that cannot be filled is N1's finding and is not read here)."""
    shown = [(key, unbroken(text)) for key, text, problem in narrative_text(ay) if problem is None and text.strip()]
    return [Section(key, text, text.translate(_HALF_WIDTH)) for key, text in shown]


def _part(version: FormatVersion, key: str) -> str:
    """``第五部分``: how evaluators name a section, from the ordinal of its heading."""
    return f"第{version.sections[key].split('、', 1)[0]}部分"


def _span(text: str, start: int, end: int, stops: str) -> tuple[int, int]:
    s = max(text.rfind(c, 0, start) for c in stops) + 1
    ends = [i for i in (text.find(c, end) for c in stops) if i >= 0]
    return s, min(ends, default=len(text))


def _excerpt(text: str, start: int, end: int) -> str:
    """The sentence around ``text[start:end]``, cut to :data:`EXCERPT_CHARS` around the match."""
    s, e = _span(text, start, end, _STOPS)
    while s < start and text[s] in " \t#>*-":
        s += 1
    if e - s > EXCERPT_CHARS:
        s2 = max(s, min(start - 8, e - EXCERPT_CHARS))
        e2 = min(e, max(end, s2 + EXCERPT_CHARS))
        return ("…" if s2 > s else "") + text[s2:e2].strip() + ("…" if e2 < e else "")
    return text[s:e].strip()


def _clause(text: str, start: int, end: int) -> str:
    s, e = _span(text, start, end, _CLAUSE_STOPS)
    return text[s:e]


def _narrative_finding(rid: str, ay: AgencyYear, key: str, message: str, **values: Decimal | int) -> Diagnostic:
    return finding(rid, ay, None, message, values.get("expected"), values.get("found"), field=f"narrative.{key}")


# --- P1: published by the statutory deadline -----------------------------------------------------------


def is_government_report(agency: Agency) -> bool:
    """Whether the body publishes a 本级人民政府 report (条例第四十九条: by 31 March) rather than its own.

    The rule is :func:`xxgk.data.deadlines.is_government_report`, shared with a region's coverage count.
    """
    return deadlines.is_government_report(agency.name)


def deadline(agency: Agency, year: int) -> dt.date:
    """The last day the report on ``year`` may be published: 31 January, or 31 March for a government."""
    return deadlines.deadline(agency.name, year)


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


@rule("P1")
def published_on_time(ay: AgencyYear) -> Iterator[Diagnostic]:
    """A report published after the day is late, however good (the earlier-than-year-end case is P3's)."""
    if ay.published is None:
        return
    last = deadline(ay.agency, ay.year)
    if ay.published > last:
        kind = "本级人民政府年报" if is_government_report(ay.agency) else "部门年报"
        message = f"逾期发布：{kind}应于{_cn_date(last)}前公布，实际发布日期{ay.published.isoformat()}"
        yield finding("P1", ay, None, message, field="published")


# --- P5: the basis the narrative cites ------------------------------------------------------------------

_OPEN, _CLOSE = r"[〔\[【(（［]", r"[〕\]】)）］]"
_CITATION = re.compile(rf"{_OPEN}\s*(\d{{4}})\s*{_CLOSE}\s*(\d{{1,3}})\s*号")
_BASIS_ISSUER = "国办公开办函"
# A 发文字号 of another issuer (国办发〔2021〕30号, 财办函〔2019〕60号) ends in one of these before the bracket.
_OTHER_ISSUER_END = "发函字办令电规复通"


def _number(basis: str) -> tuple[str, str]:
    """(year, number) of a version's basis, its 发文字号 (issuer, 〔year〕, number 号)."""
    m = _CITATION.search(basis)
    if m is None:
        raise ValueError(f"national.yaml: basis {basis!r} is no 发文字号")
    return m.group(1), m.group(2)


@rule("P5")
def cited_basis(ay: AgencyYear) -> Iterator[Diagnostic]:
    """Citing the other version's notice says the body filled the other version's tables (or copied an old
    preamble): either way a reviewer should look. The number alone counts as a citation unless another
    issuer's code stands before it; the issuer 国办公开办函 may be written before it or not."""
    own = _number(ay.format.basis)
    others = {_number(v.basis): v for v in formats.versions().values() if _number(v.basis) != own}
    reported: set[str] = set()
    for sec in _sections(ay):
        text = sec.text
        for m in _CITATION.finditer(text):
            version = others.get((m.group(1), m.group(2)))
            if version is None or version.id in reported:
                continue
            before = text[max(0, m.start() - len(_BASIS_ISSUER) - 2) : m.start()].rstrip()
            if before and not before.endswith(_BASIS_ISSUER) and before[-1] in _OTHER_ISSUER_END:
                continue
            reported.add(version.id)
            said = sec.excerpt(m)
            message = (
                f"{_part(ay.format, sec.key)}引用{version.basis}（{version.name}）：“{said}”，"
                f"但{ay.year}年度报告应执行{ay.format.basis}"
            )
            yield _narrative_finding("P5", ay, sec.key, message)


# --- P6: the statistical period ----------------------------------------------------------------------

_DATE_SEP = r"(?:至|到|—|－|-|~|～|―|–|——)"
_PERIOD = re.compile(
    r"统计(?:期限|期间|时限|时段|区间|周期|时间)\s*(?:为|是|：|:)?\s*(?:自|从|由)?\s*"
    r"(?P<y1>\d+)\s*年\s*(?P<m1>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*日\s*(?:起)?\s*"
    rf"{_DATE_SEP}+\s*(?:(?P<y2>\d+)\s*年\s*)?(?P<m2>\d{{1,2}})\s*月\s*(?P<d2>\d{{1,2}})\s*日"
)


def _period_problem(m: re.Match[str], year: int) -> str | None:
    """What is wrong with a recognised period statement, or None."""
    years = [y for y in (m.group("y1"), m.group("y2")) if y is not None]
    garbled = [y for y in years if len(y) != 4]
    if garbled:
        return f"年份“{garbled[0]}”不是四位数字（疑为漏字、错字）"
    wrong = sorted({int(y) for y in years if int(y) != year})
    if wrong:
        return f"年份{'、'.join(map(str, wrong))}与报告年度{year}不一致"
    if (int(m.group("m1")), int(m.group("d1"))) != (1, 1) or (int(m.group("m2")), int(m.group("d2"))) != (12, 31):
        return "未覆盖整个年度"
    return None


@rule("P6")
def statistical_period(ay: AgencyYear) -> Iterator[Diagnostic]:
    """The statement of the period the data cover (统计期限为…至…) must be the report year, 1 January to
    31 December. A year of other than four digits is a dropped or doubled character (mirrors lose them:
    ``202020年12月31日``), and no figure of a report with such a period is safe to quote."""
    seen: set[str] = set()
    for sec in _sections(ay):
        for m in _PERIOD.finditer(sec.text):
            said = sec.said(m)
            bad = _period_problem(m, ay.year)
            if bad is None or said in seen:
                continue
            seen.add(said)
            message = (
                f"{_part(ay.format, sec.key)}统计期限写作“{said}”：{bad}，应为{ay.year}年1月1日至{ay.year}年12月31日"
            )
            yield _narrative_finding("P6", ay, sec.key, message)


# --- P7: years the report gives itself ----------------------------------------------------------------

_SELF = r"(?:本机关|本单位|本部门|本局|本委|本办|本厅|本院|本中心|我局|我委|我办|我厅|我院|我单位|我部门|我机关|我中心)"
_YEAR = r"(?<!\d)(\d{4})(?!\d)"
_SELF_YEAR = re.compile(
    rf"{_SELF}\s*{_YEAR}\s*年"  # 本单位2022年度、本局2022年
    rf"|本年度?\s*[（(]\s*{_YEAR}\s*年?度?\s*[）)]"  # 本年度（2022年）
    rf"|{_YEAR}\s*年度?\s*(?:政府信息公开(?:工作)?)?(?:年度)?报告(?!中|期)"  # 2022年度报告, 2022年…工作年度报告
)
# Words that make a year another year on purpose: comparisons, last year's report and its measures, plans.
_OTHER_YEAR = re.compile(
    r"上年|上一年|去年|前年|往年|下年|下一年|明年|来年|次年|今后|下一步|以来|相比|相较|比较|对比|较|同比|环比|比上"
    r"|提出|指出|所提|整改|对照|针对|结转|印发|制发|出台|发布的|(?<!现)将|计划|拟|力争|预计|目标"
)
# Publishing or filing a report this year is last year's report ("按时发布2022年度政府信息公开工作年度报告"),
# unless it is this very report being presented ("现将…报告公布如下").
_OTHER_REPORT = re.compile(r"发布|公布|编制|报送|上报|撰写|审核|备案")
_PRESENTED = re.compile(r"如下")


def _on_purpose(clause: str) -> bool:
    """Whether a clause names another year deliberately (then P7 does not judge it)."""
    return bool(_OTHER_YEAR.search(clause) or (_OTHER_REPORT.search(clause) and not _PRESENTED.search(clause)))


@rule("P7")
def self_referencing_year(ay: AgencyYear) -> Iterator[Diagnostic]:
    """A year the report gives itself (本机关2022年度, 本年度（2022年）, 2022年度报告) other than its own is
    usually last year's text copied without updating. Naming another year on purpose is common and right
    (与2021年相比, 2021年度报告中提出的问题, 2024年将…, 按时发布2022年度报告): a clause with such a word is
    not judged, except 本年度（2022年）, which can only mean this year. Once per distinct wrong year, quoting
    its first occurrence."""
    reported: set[int] = set()
    for sec in _sections(ay):
        text = sec.text
        for m in _SELF_YEAR.finditer(text):
            body, this_year, report = m.groups()
            year = int(body or this_year or report)
            if year == ay.year or year in reported:
                continue
            if this_year is None and _on_purpose(_clause(text, m.start(), m.end())):
                continue
            reported.add(year)
            message = f"{_part(ay.format, sec.key)}“{sec.excerpt(m)}”中的{year}年与报告年度{ay.year}年不一致"
            yield _narrative_finding("P7", ay, sec.key, message, expected=ay.year, found=year)


# --- D3: template leftovers --------------------------------------------------------------------------

_LATIN_NEIGHBOUR = r"[A-Za-z0-9._/:%@#=&?-]"
# A person's name made anonymous (张XX申请公开…, 王××诉本局) is no placeholder: a surname stands before it.
# (Surnames that are also common words before a blank number — 于, 向, 万, 付, 方, 曾 — are left out.)
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴莫孔汤"
)
# "Fill in here", not "此处指…" (an explanation).
_HERE = r"此处(?:填|写|补|插入|输入|粘贴)"
_LEFTOVERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # XX, XXX, ×× as a name or number left blank ("XX局", "共XX件", "XXX公司"), not letters of a word or URL.
    ("占位符", re.compile(rf"(?<!{_LATIN_NEIGHBOUR})(?<![{_SURNAMES}])(?:[Xx]{{2,}}|×{{2,}})(?!{_LATIN_NEIGHBOUR})")),
    # Blanks to fill: full-width underscores, or three ASCII ones inside a line (two are Markdown bold, a line
    # of them a rule).
    ("待填空格", re.compile(r"＿{2,}|(?<=\S)_{3,}|_{3,}(?=[^\s_])")),
    ("待填标记", re.compile(rf"【\s*(?:待补|待填|请填|请补|填写|{_HERE})[^】\n]{{0,20}}】")),
    ("待填标记", re.compile(rf"[（(]\s*(?:{_HERE}|请在此|请填|待填|待补)[^）)\n]{{0,30}}[）)]")),
    # Instructions of a template: as a heading, a label or in brackets, not "按照编写说明要求编制".
    (
        "模板说明",
        re.compile(
            r"(?:^[ \t]*(?:#{1,6}[ \t]*)?|(?<=[【\[（(]))(?:编写|填写|填报)说明|(?:编写|填写|填报)说明\s*[：:】\]）)]",
            re.M,
        ),
    ),
)


@functools.cache
def _corner_note(version_id: str) -> re.Pattern[str]:
    """Table 三's note on how its rows add up (its corner cell), in any spacing and comma."""
    note = formats.get(version_id).t3_corner.strip("（）()")
    core = note.split("：", 1)[-1]
    chars = [re.escape(c) for c in core if c not in "，,、 "]
    return re.compile(r"[\s，,、]*".join(chars))


@rule("D3")
def template_leftovers(ay: AgencyYear) -> Iterator[Diagnostic]:
    """Template text the body did not replace tells a reader the report was not read before it went out.

    Only standalone placeholders count: ``XX`` between Chinese characters (``XX局``, ``XXX公司``, a name
    left blank) is one, ``XXL`` or ``http://xx.gov.cn`` is not. Table 三's row note belongs in the table's
    corner; in the narrative it is the template's instruction copied along. One finding per section and text.
    """
    corner = _corner_note(ay.format.id)
    for sec in _sections(ay):
        text = sec.text
        seen: set[str] = set()
        for m in corner.finditer(text):
            if "corner" not in seen:
                seen.add("corner")
                said = sec.excerpt(m)
                t3 = ay.format.table_title("t3")
                message = f"{_part(ay.format, sec.key)}含{t3}的勾稽说明“{said}”（应只在{t3}表头内）"
                yield _narrative_finding("D3", ay, sec.key, message)
        for kind, pattern in _LEFTOVERS:
            for m in pattern.finditer(text):
                token = sec.said(m).strip().lstrip("# \t")
                if token in seen:
                    continue
                seen.add(token)
                message = f"{_part(ay.format, sec.key)}含模板残留（{kind}“{token}”）：“{sec.excerpt(m)}”"
                yield _narrative_finding("D3", ay, sec.key, message)


# --- T3: 现行有效 figures the narrative repeats ------------------------------------------------------

_STATED_AS = r"(?:的)?\s*(?:数量|件数|数)?\s*(?:共|合计|共计|总计|计|为|有|达)?\s*(\d+)\s*件"
IN_FORCE = "in_force"
"""The column of table 二 (2021 format) counting the documents in force at the end of the year."""
_IN_FORCE_WORD = "现行有效"
_ADMIN = "行政"
"""Written before a kind of document or left out (the 2021 label has it, the 2019 label and many texts not)."""


@functools.cache
def _in_force_patterns(version_id: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(row, pattern) for each row of table 二 with a 现行有效 column, its kind of document read from the label:
    ``现行有效<kind>120件``, ``现行有效的<kind>共120件``, ``<kind>现行有效120件``; group 1 or 2 is the figure."""
    version = formats.get(version_id)
    out = []
    for row, cols in version.layout["t2"].items():
        if IN_FORCE in cols:
            kind = re.escape(version.cell("t2", row, IN_FORCE).row_label.removeprefix(_ADMIN))
            doc = rf"(?:{_ADMIN})?{kind}"
            pattern = rf"{_IN_FORCE_WORD}(?:的)?\s*{doc}{_STATED_AS}|{doc}{_IN_FORCE_WORD}{_STATED_AS}"
            out.append((row, re.compile(pattern)))
    return tuple(out)


# A count of documents reviewed, not of those in force afterwards (清理现行有效文件120件，废止15件).
_REVIEWED = re.compile(r"清理|梳理|审查|评估|废止|修改|修订|宣布失效")
# A figure of another time (上年现行有效…, 截至2021年底…) is not this year's table.
_ANOTHER_TIME = re.compile(r"上年|上一年|去年|年初|此前|以前")
_ANY_YEAR = re.compile(r"(?<!\d)(\d{4})\s*年")


def _of_another_count(text: str, m: re.Match[str], year: int) -> bool:
    """Whether the figure at ``m`` is of documents reviewed (its clause) or of another time (what leads to it
    in its sentence: 截至2021年底，现行有效…; what follows, 较上年增加5件, does not change whose figure it is)."""
    lead = text[_span(text, m.start(), m.end(), _STOPS)[0] : m.end()]
    years = {int(y) for y in _ANY_YEAR.findall(lead)}
    return bool(_REVIEWED.search(_clause(text, m.start(), m.end())) or _ANOTHER_TIME.search(lead) or years - {year})


@rule("T3")
def stated_in_force(ay: AgencyYear) -> Iterator[Diagnostic]:
    """A figure of documents in force the narrative gives must be table 二's: a reader compares the two.

    Only the 2021 format counts documents in force (2019's table 二 has no such column). A clause about a
    review of the documents is not read: the count it gives is of those reviewed, before any was repealed;
    nor is a clause naming another time (上年, 截至2021年底).
    """
    for sec in _sections(ay):
        text = sec.text
        for row, pattern in _in_force_patterns(ay.format.id):
            spec = ay.format.cell("t2", row, IN_FORCE)
            actual = count(ay.tables["t2"][row][IN_FORCE])
            for m in pattern.finditer(text):
                stated = int(next(g for g in m.groups() if g is not None))
                if stated == actual or _of_another_count(text, m, ay.year):
                    continue
                message = f"{_part(ay.format, sec.key)}称“{sec.said(m)}”，{spec.label}为{actual}件"
                yield finding("T3", ay, spec, message, actual, stated, field=f"narrative.{sec.key}")


# --- T4: the fee amount in 万元 -----------------------------------------------------------------------

FEE_WAN_LIMIT = Decimal(1_000_000)
"""A fee amount this large in 万元 (100亿元) is no body's income from fees: it was written in 元."""
FEE_PLACES = 6
"""万元 to six places is yuan to the fen; more digits than that are no amount of money."""


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@rule("T4")
def fee_amount_unit(ay: AgencyYear) -> Iterator[Diagnostic]:
    """Table 二's 收费金额 is in 万元 by its label; a value in 元 is 10,000 times too large. Trailing zeros are
    not precision (``3.1400000`` is 3.14). Cells written with 元 in a published page are the reader's finding."""
    for spec in ay.format.table_cells("t2"):
        if spec.kind != "wan":
            continue
        value = num(ay.tables["t2"][spec.row][spec.column])
        if value >= FEE_WAN_LIMIT:
            wan = show(value / 10000)
            message = f"{spec.label}“{show(value)}”万元偏大，是否按元填写？应换算为{wan}（万元）"
            yield finding("T4", ay, spec, message, None, value)
        elif _places(value) > FEE_PLACES:
            message = f"{spec.label}“{show(value)}”有{_places(value)}位小数，万元金额最多{FEE_PLACES}位小数（精确到分）"
            yield finding("T4", ay, spec, message, None, value)
