"""The checks evaluators apply to a report's narrative, for generated and audited reports alike.

Section 五 is there and not a formality (N3) and names problems and measures (N4); section 六 states the
信息处理费 (N6) without contradicting table 三 (N7); what the text says happened or did not happen agrees
with the tables (N10, N12), shares it states are the tables' shares (N11), and its enumerators run
without gaps or repeats (D5).

Every rule reads the narrative as the reader sees it: placeholders filled, line breaks between Chinese
characters joined (:mod:`xxgk.check.narrative`). A section whose placeholders cannot be filled is N1's
finding and is skipped here. Like I7, the rules recognise only unambiguous phrasings: a sentence no
pattern recognises is not checked rather than checked wrongly. The words they look for are ordinary
Chinese (措施, 信息处理费, 办结率 …); every official label they need (section headings, row and
outcome labels, the groups of table 四) is read from :mod:`xxgk.formats`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xxgk import formats
from xxgk.check.findings import finding
from xxgk.check.narrative import narrative_text, unbroken
from xxgk.check.registry import rule
from xxgk.data import figures as figs
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import AgencyYear, count
from xxgk.formats import FormatVersion

MIN_PROBLEMS_CHARS = 50
"""The shortest section 五 that is not a formality (N3), in characters other than white space and Markdown.

One problem and one measure, each in a plain sentence, take about 50 characters (the shortest section
五 of the bundled examples has 56); "无。", "暂无。" or "本年度工作中存在一些不足，今后将加以改进。" stay
well below it. Evaluators (社科院, KIRO's narrative_sec5_gap) mark such sections as perfunctory.
"""

FEE_ROW = "other_no_fee"
"""Table 三's row of applications dropped because the applicant did not pay after a 收费通知 (（六）2).

The format counts it from the 2021 version on, with the 信息处理费 of 国办函〔2020〕109号: N6 and N7
apply to the versions that have this row.
"""

QUOTE_CHARS = 60
"""The longest excerpt of a sentence a message quotes."""

_MARKUP = re.compile(r"[\s#*_>`~|\-]")
_SENTENCE_END = "。！？；!?;\n"
_STOPS = "，,。！？；!?;：:\n"


def _chars(text: str) -> int:
    """How many characters a reader counts: white space and Markdown markup are not written words."""
    return len(_MARKUP.sub("", text))


def _part(version: FormatVersion, key: str) -> str:
    """``第五部分``: how an evaluator names a section, from the ordinal of its heading."""
    return f"第{version.sections[key].split('、', 1)[0]}部分"


def _title(version: FormatVersion, key: str) -> str:
    """A section's heading without its ordinal (``存在的…情况`` of ``五、存在的…情况``)."""
    return formats.short_label(version.sections[key])


def _sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    s = max(text.rfind(c, 0, start) for c in _SENTENCE_END) + 1
    ends = [i for i in (text.find(c, end) for c in _SENTENCE_END) if i >= 0]
    return s, min(ends, default=len(text))


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence holding ``text[start:end]``, cut to :data:`QUOTE_CHARS` around it, as a message quotes it."""
    s, e = _sentence_span(text, start, end)
    lead = re.match(r"[\s#>*\-]*", text[s:e])
    s += lead.end() if lead else 0
    if e - s > QUOTE_CHARS:
        s2 = max(s, min(start - 10, e - QUOTE_CHARS))
        e2 = min(e, s2 + QUOTE_CHARS)
        return ("…" if s2 > s else "") + text[s2:e2].strip() + ("…" if e2 < e else "")
    return text[s:e].strip().rstrip("，,、：:")


@dataclass(frozen=True)
class Section:
    """One narrative section as the reader sees it."""

    key: str
    text: str
    """Filled, line breaks kept (line starts matter to D5)."""
    joined: str
    """Filled, breaks between Chinese characters joined (what the phrase patterns read)."""


@dataclass(frozen=True)
class Report:
    """What the rules read of one agency-year: its fillable sections and, computed once, its figures."""

    ay: AgencyYear
    sections: dict[str, Section]

    @functools.cached_property
    def figures(self) -> dict[str, Any]:
        return figs.figures(self.ay)

    @property
    def version(self) -> FormatVersion:
        return self.ay.format

    def part(self, key: str) -> str:
        return _part(self.version, key)

    def total(self, table: str, row: str) -> int:
        return count(self.ay.tables[table][row]["total"])

    def found(
        self,
        rid: str,
        key: str,
        message: str,
        spec: formats.CellSpec | None = None,
        expected: Decimal | int | None = None,
        got: Decimal | int | None = None,
    ) -> Diagnostic:
        """A finding located at the section (its line), naming the cell it contradicts when there is one."""
        return finding(rid, self.ay, spec, message, expected, got, field=f"narrative.{key}")


def _report(ay: AgencyYear) -> Report:
    sections = {key: Section(key, text, unbroken(text)) for key, text, problem in narrative_text(ay) if problem is None}
    return Report(ay, sections)


# --- N3, N4: section 五 -----------------------------------------------------------------------------

# Words that name a shortcoming, and words that announce a measure. A measure verb right after 不/未/待/有
# is a shortcoming (不完善, 有待加强), and a denied problem (不存在问题, 未发现不足) names none.
_DENIED = re.compile(r"(?:不存在|没有|无(?![法论])|未发现|未出现)[^，。；\n]{0,6}?(?:问题|不足|短板|差距)")
_PROBLEM = re.compile(
    r"问题|不足|短板|差距|薄弱|欠缺|滞后|有待|不够|不高|不强|单一|不及时|不到位|不完善|不规范|不健全|不全面|不充分"
    r"|困难|瓶颈|弱项"
)
_MEASURE = re.compile(
    r"(?<![不未待有])(?:措施|改进|整改|下一步|下一年|下阶段|今后|将|加强|强化|完善|健全|建立|推行|推进|落实|进一步"
    r"|持续|着力|计划|拟)"
)


def _problems_section(r: Report) -> Iterator[Diagnostic]:
    key = "problems"
    sec = r.sections.get(key)
    if sec is None:
        return
    n = _chars(sec.text)
    if n < MIN_PROBLEMS_CHARS:
        title = _title(r.version, key)
        yield r.found("N3", key, f"{r.part(key)}“{title}”为空或过短（{n}字，至少{MIN_PROBLEMS_CHARS}字）")
        return  # too short to judge what it names: N3 says it all
    problems = bool(_PROBLEM.search(_DENIED.sub("", sec.joined)))
    measures = bool(_MEASURE.search(sec.joined))
    if problems and not measures:
        yield r.found("N4", key, f"{r.part(key)}只列问题，未提出改进措施")
    elif measures and not problems:
        yield r.found("N4", key, f"{r.part(key)}只提改进措施，未列出存在的问题")
    elif not problems and not measures:
        yield r.found("N4", key, f"{r.part(key)}既未列出存在的问题，也未提出改进措施")


# --- N6, N7: the 信息处理费 ---------------------------------------------------------------------------

_FEE_STATED = re.compile(r"信息处理费|收费")
_NEG = r"(?:未|没有|未曾|并未|从未)"
# "No fee notice was issued": contradicts （六）2 > 0 whatever else the sentence says.
_NO_NOTICE = re.compile(
    rf"(?:{_NEG}|无)(?:向申请人)?(?:发出|发送|下发|出具|送达|制发|寄送)?(?:过)?(?:任何)?(?:信息处理费)?(?:的)?收费通知"
    r"|收费通知(?:书)?(?:共)?0(?:件|份|次)"
)
# "No fee was collected": true when notices went out and nobody paid, which the same sentence may say.
_NO_FEE = re.compile(
    rf"{_NEG}(?:向申请人)?收取[^，。；！？\n]{{0,8}}?费|(?:收取|收)(?:信息处理费)?(?:共|合计)?0(?:\.0+)?(?:万)?元"
)
_NOTICE_ISSUED = re.compile(r"(?<![未没无])(?:发出|发送|下发|出具|送达|制发|寄送)(?:了)?(?:信息处理费)?收费通知")
_NOT_PAID = re.compile(r"未(?:按期|按时|在[^，。；]{0,6})?缴(?:纳|费)|逾期未")
_FEE_COLLECTED = re.compile(r"收取(?:了)?信息处理费(?:共|合计|共计)?(\d+(?:\.\d+)?)(?:万)?元")


def _fee_row(r: Report) -> bool:
    return FEE_ROW in r.version.layout["t3"]


def _fee_stated(r: Report) -> Iterator[Diagnostic]:
    sec = r.sections.get("other")
    if sec is None or not _fee_row(r):
        return
    if not _FEE_STATED.search(sec.joined):
        yield r.found("N6", sec.key, f"{r.part(sec.key)}未说明信息处理费收取情况")


def _fee_logic(r: Report) -> Iterator[Diagnostic]:
    """N7: a claim of no 收费通知 while （六）2 counts applicants who did not pay one, or while the text says
    a fee was collected. N6: "no fee collected" alone while （六）2 > 0 is true (nobody paid) but leaves out
    the notices, unless the same sentence says so."""
    if not _fee_row(r):
        return
    lapsed = r.total("t3", FEE_ROW)
    spec = r.version.cell("t3", FEE_ROW, "total")
    no_notice: list[tuple[Section, str]] = []
    collected: list[tuple[Section, str]] = []
    for sec in r.sections.values():
        text = sec.joined
        seen: set[tuple[int, int]] = set()
        for m in _NO_NOTICE.finditer(text):
            span = _sentence_span(text, m.start(), m.end())
            if span in seen:
                continue
            seen.add(span)
            said = _sentence(text, m.start(), m.end())
            no_notice.append((sec, said))
            if lapsed:
                message = f"{spec.label}为 {lapsed}，即发出过收费通知，但{r.part(sec.key)}称“{said}”"
                yield r.found("N7", sec.key, message, spec, 0, lapsed)
        for m in _NO_FEE.finditer(text):
            span = _sentence_span(text, m.start(), m.end())
            whole = text[span[0] : span[1]]
            if span in seen or _NOTICE_ISSUED.search(whole) or _NOT_PAID.search(whole):
                continue
            seen.add(span)
            if lapsed:
                said = _sentence(text, m.start(), m.end())
                message = (
                    f"{r.part(sec.key)}称“{said}”，但{spec.label}为 {lapsed}（发出过收费通知）："
                    "未说明收费通知发出和缴费情况"
                )
                yield r.found("N6", sec.key, message, spec, None, lapsed)
        for m in _FEE_COLLECTED.finditer(text):
            if Decimal(m.group(1)) > 0:
                collected.append((sec, _sentence(text, m.start(), m.end())))
    if no_notice and collected:
        (sec, said), (_, paid) = no_notice[0], collected[0]
        yield r.found("N7", sec.key, f"{r.part(sec.key)}称“{said}”，又称“{paid}”：收取信息处理费须先发出收费通知")


# --- N10: "none received", "none happened" --------------------------------------------------------

_NO_APPLICATIONS = re.compile(
    r"(?:未|没有|未曾|并未)(?:收到|接到)(?:过)?(?:任何)?(?:一件)?(?:(?:政府)?信息公开|依申请公开)?(?:方面)?(?:的)?(?:相关)?"
    r"申请(?=$|[，,。；;！？!?、）)\s]|事项)"
)


@functools.cache
def _no_appeal(version_id: str) -> re.Pattern[str]:
    """The claim that no review or litigation happened, with the group labels of table 四 (group ``what``)."""
    groups = formats.get(version_id).t4_groups
    label = "(?:" + "|".join(re.escape(h.label) for h, _ in groups.values()) + ")"
    claim = (
        r"(?:(?:未发生|没有发生|未曾发生|未出现|没有出现|未收到|没有收到|未接到)(?:过)?[^，,。；;：:！？!?\n]{0,12}?"
        r"|无(?:任何)?(?:(?:政府)?信息公开)?(?:方面)?(?:的)?(?:相关)?)"
    )
    # "未发生<group>被纠错" denies an outcome, not the case: not this rule's claim.
    outcome = r"(?![^，,。；;！？!?\n]{0,6}?(?:被|败诉|纠错|撤销|违法|纠正|维持|\d))"
    return re.compile(rf"{claim}(?P<what>{label}(?:(?:、|和|及|与|或|以及){label})*){outcome}")


def _stated_none(r: Report) -> Iterator[Diagnostic]:
    new = r.total("t3", "new")
    new_spec = r.version.cell("t3", "new", "total")
    groups = r.version.t4_groups
    appeal = _no_appeal(r.version.id)
    for sec in r.sections.values():
        text = sec.joined
        if new:
            for m in _NO_APPLICATIONS.finditer(text):
                said = _sentence(text, m.start(), m.end())
                yield r.found(
                    "N10", sec.key, f"{r.part(sec.key)}称“{said}”，但{new_spec.label}为 {new}", new_spec, 0, new
                )
        for m in appeal.finditer(text):
            for name, (header, rows) in groups.items():
                n = int(r.figures[name]["total"])
                if header.label not in m.group("what") or not n:
                    continue
                row = next(g for g in rows if count(r.ay.tables["t4"][g]["total"]))
                spec = r.version.cell("t4", row, "total")
                said = _sentence(text, m.start(), m.end())
                title = r.version.table_title("t4")
                message = f"{r.part(sec.key)}称“{said}”，但{title} {header.label}总计为 {n}"
                yield r.found("N10", sec.key, message, spec, 0, n)


# --- N11: stated shares of the outcomes ---------------------------------------------------------

# What may stand between an outcome and its share: a count and a few words, no other clause, no list
# ("A 63件、B 9件，占比…" is a share of both or of B: not read). The denominator is the total row of
# the outcomes unless the text names another: only "of the total" or "of those handled" wordings are read.
_BETWEEN = r"[^，,。；;：:！？!?、和及与%％\n]{0,12}?"
_OF_TOTAL = (
    r"占(?:比)?(?:为|达到?)?"
    r"(?:(?:总数|总量|总件数|总计)的?|(?:全部|全年|本年度?)?(?:办结|办理结果)(?:申请)?(?:总数|总量|总件数|数量|件数)?的?)?"
)
_PERCENT = r"\s*(\d+(?:\.\d+)?)\s*[%％]"


@functools.cache
def _shares(version_id: str) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """(figure name, short label, pattern) for each outcome of table 三: group 1 is the stated percentage."""
    out = []
    for name, (header, _) in formats.get(version_id).outcomes.items():
        label = formats.short_label(header.label)
        pattern = rf"(?<![、和及与])(?<!部分)(?<!不){re.escape(label)}{_BETWEEN}[，,（(]?{_OF_TOTAL}{_PERCENT}"
        out.append((name, label, re.compile(pattern)))
    return tuple(out)


def share_tolerance(stated: Decimal) -> Decimal:
    """How far a stated percentage may be from the exact share: 0.01 points, or half a unit of its last digit.

    "32.5%" for 32.54 % is the share rounded as written, not a wrong figure; "32.50%" claims two places.
    """
    places = -int(stated.as_tuple().exponent)
    return max(Decimal("0.01"), Decimal(5) / Decimal(10) ** (places + 1))


def _stated_shares(r: Report) -> Iterator[Diagnostic]:
    handled = int(r.figures["applications"]["handled"])
    if not handled:
        return
    labels = [label for _, label, _ in _shares(r.version.id)]
    total_row = r.version.cell("t3", "total", "total").row_label
    t3 = r.version.table_title("t3")
    for sec in r.sections.values():
        for name, label, pattern in _shares(r.version.id):
            for m in pattern.finditer(sec.joined):
                between = m.group(0)[len(label) :]
                if any(other in between for other in labels):
                    continue  # another outcome in the window: whose share it is, is not certain
                stated = Decimal(m.group(1))
                part = int(r.figures["applications"][name])
                actual = Decimal(part) * 100 / Decimal(handled)
                if abs(stated - actual) <= share_tolerance(stated):
                    continue
                places = max(2, -int(stated.as_tuple().exponent))
                shown = actual.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)  # as people round
                yield r.found(
                    "N11",
                    sec.key,
                    f"{r.part(sec.key)}“{m.group(0)}”与表格不一致：按{t3}{total_row}{handled}件计算，"
                    f"{label}{part}件应占 {shown}%，实为 {m.group(1)}%",
                    None,
                    shown,
                    stated,
                )


# --- N12: "all handled" -------------------------------------------------------------------------

# 按时办结率 (handled on time / handled) says nothing of what is still open: an application received in
# late December is carried forward within its time limit. Only a rate of handling or "all handled" is read,
# and not in a clause about last year's carried-over applications (上年结转的申请已全部办结 is true).
_ALL_HANDLED = re.compile(
    r"(?<!按时)(?<!按期)(?<!及时)(?<!时限)办结率(?:达到?|为|是)?100(?:\.0+)?\s*[%％]"
    r"|(?:全部|均已|均|已全部|全都|悉数)(?:依法)?(?:按时|按期)?办结(?!率)"
)


def _all_handled(r: Report) -> Iterator[Diagnostic]:
    forward = r.total("t3", "carried_forward")
    if not forward:
        return
    spec = r.version.cell("t3", "carried_forward", "total")
    for sec in r.sections.values():
        text = sec.joined
        for m in _ALL_HANDLED.finditer(text):
            clause = text[max(text.rfind(c, 0, m.start()) for c in _STOPS) + 1 : m.end()]
            if "结转" in clause:
                continue
            said = _sentence(text, m.start(), m.end())
            yield r.found("N12", sec.key, f"{r.part(sec.key)}称“{said}”，但{spec.label}为 {forward}", spec, 0, forward)


# --- D5: enumerators ------------------------------------------------------------------------------

_CN = "一二三四五六七八九"
_CN_NUM = r"[一二三四五六七八九十]{1,3}"
_LINE_START = r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]*|[-*+][ \t]+)*(?:\*\*)?"
# 一是、二是 inline, except inside words (统一是, 唯一是, 之一是, 第一是 …) and 是否 (whether).
_INLINE = re.compile(rf"(?<![一二三四五六七八九十第其统唯之万逐])({_CN_NUM})是(?!否)")
_PAREN = re.compile(rf"{_LINE_START}([（(])({_CN_NUM})[）)]", re.M)
_DIGIT = re.compile(rf"{_LINE_START}(\d{{1,2}})([.．、])(?!\d)", re.M)


def cn_number(text: str) -> int | None:
    """一 … 九十九 as an int; None for what is not a plain Chinese numeral."""
    if text == "十":
        return 10
    tens, ten, ones = text.partition("十")
    if not ten:
        return _CN.index(text) + 1 if len(text) == 1 and text in _CN else None
    if len(tens) > 1 or len(ones) > 1 or (tens and tens not in _CN) or (ones and ones not in _CN):
        return None
    return (_CN.index(tens) + 1 if tens else 1) * 10 + (_CN.index(ones) + 1 if ones else 0)


def cn_numeral(n: int) -> str:
    """1 … 99 in Chinese numerals (the inverse of :func:`cn_number`)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _CN[tens - 1] + "十"
    return head + (_CN[ones - 1] if ones else "")


@dataclass(frozen=True)
class Mark:
    """One enumerator as written, its number and how the same family writes number ``k``."""

    n: int
    text: str
    form: str
    """``{}`` stands for the number: ``{}是``, ``（{}）``, ``{}.``."""
    chinese: bool

    def write(self, k: int) -> str:
        return self.form.format(cn_numeral(k) if self.chinese else str(k))


def _marks(sec: Section) -> Iterator[list[Mark]]:
    """Each family of enumerators of a section, in text order."""
    inline = []
    for m in _INLINE.finditer(sec.joined):
        n = cn_number(m.group(1))
        if n:
            inline.append(Mark(n, m.group(0), "{}是", True))
    paren = []
    for m in _PAREN.finditer(sec.text):
        n = cn_number(m.group(2))
        if n:
            close = "）" if m.group(1) == "（" else ")"
            paren.append(Mark(n, m.group(1) + m.group(2) + close, m.group(1) + "{}" + close, True))
    digit = [
        Mark(int(m.group(1)), m.group(1) + m.group(2), "{}" + m.group(2), False) for m in _DIGIT.finditer(sec.text)
    ]
    yield from (family for family in (inline, paren, digit) if family)


def _enumerators(r: Report) -> Iterator[Diagnostic]:
    for sec in r.sections.values():
        for family in _marks(sec):
            run: list[Mark] = []
            for mark in family:
                prev = run[-1].n if run else 0
                if not run and mark.n == 2 and mark.write(1) in sec.text:
                    # ``（一）`` run on after the section's opening sentence, not at a line start: the
                    # list starts there (published reports join the first item to the lead-in).
                    prev = 1
                if mark.n == 1:
                    run = [mark]
                    continue
                run.append(mark)
                shown = "…".join(m.text for m in run)
                if mark.n <= prev:
                    yield r.found("D5", sec.key, f"{r.part(sec.key)}“{shown}”序号重复")
                elif mark.n > prev + 1:
                    missing = "、".join(f"“{mark.write(k)}”" for k in range(prev + 1, mark.n))
                    if mark.n - prev > 3:
                        missing = f"“{mark.write(prev + 1)}”至“{mark.write(mark.n - 1)}”"
                    yield r.found("D5", sec.key, f"{r.part(sec.key)}“{shown}”序号不连续（缺少{missing}）")


@rule("N3", "N4", "N6", "N7", "N10", "N11", "N12", "D5")
def evaluate(ay: AgencyYear) -> Iterator[Diagnostic]:
    """Every evaluator rule, over one reading of the narrative (each section filled once)."""
    r = _report(ay)
    for check in (_problems_section, _fee_stated, _fee_logic, _stated_none, _stated_shares, _all_handled, _enumerators):
        yield from check(r)
