"""Writing the Excel/WPS entry form: one body, one year, the official tables ready to fill in.

Why openpyxl rather than XlsxWriter: the form is read back too, and openpyxl does both with one
model of the workbook (protection, validation, merged cells, comments), so the writer and the
reader cannot disagree about what a cell is. XlsxWriter writes faster but cannot read, and a form
is a few dozen kilobytes: at 500 forms the difference is seconds (see ``bench/bench_form.py``).

What the analyst sees: each table exactly as the national format lays it out; white cells to
fill in, grey ones that xxgk fills (the 总计 formulas, and what last year's report fixes, with a
note saying where it came from); a data validation with a Chinese prompt on every input; a cell
that turns red as soon as an identity breaks. Everything but the inputs is protected without a
password, so the layout survives an accidental keystroke but nobody is locked out.

The bytes are reproducible: the same data gives the same file (fixed document dates and zip
timestamps), so forms can be compared, cached and archived like the reports.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from xxgk import __version__, formats
from xxgk.data.carry import Carried
from xxgk.data.model import AMOUNT_UNITS, Agency, Amount, Facts, Narrative, Value
from xxgk.exchange.form import layout
from xxgk.exchange.form.layout import TableSheet, TextLayout, ref
from xxgk.exchange.values import value_text
from xxgk.formats import CellKind, FormatVersion
from xxgk.formats.grid import GridCell

FIXED_TIME = dt.datetime(2019, 1, 1)
"""The document and zip dates of every form: a form's bytes depend on its data, not on when it was made."""
MAX_TEXT = 32767
"""The most characters a spreadsheet cell holds (Excel and WPS; LibreOffice keeps more but would lose them there)."""

BODY = "宋体"
HEAD = "黑体"
_thin = Side(style="thin", color="808080")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
HEAD_FILL = PatternFill("solid", start_color="DDE4EE", end_color="DDE4EE")
FIXED_FILL = PatternFill("solid", start_color="EDEDED", end_color="EDEDED")
INPUT_FILL = PatternFill("solid", start_color="FFFFFF", end_color="FFFFFF")
BAD_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
BAD_FONT = Font(color="9C0006", bold=True)
BLANK_FILL = PatternFill("solid", start_color="FFF4CC", end_color="FFF4CC")
UNLOCKED = Protection(locked=False)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT_WRAP = Alignment(horizontal="left", vertical="center", wrap_text=True)
TEXT_WRAP = Alignment(horizontal="left", vertical="top", wrap_text=True)

# Sheet column widths in characters of the default font (a CJK character takes about two).
T2_WIDTHS = (30.0, 24.0)
T3_LABEL_WIDTHS = (12.0, 15.0, 44.0)
T3_VALUE_WIDTH = 9.0
T4_VALUE_WIDTH = 8.2


@dataclass
class FormData:
    """Everything a form shows for one agency-year: the values (None: not filled in yet) and what is fixed."""

    agency: Agency
    year: int
    version: FormatVersion
    values: dict[tuple[str, str, str], Value | None]
    carried: dict[tuple[str, str, str], Carried] = field(default_factory=dict)
    """Cells last year's report fixes; locked unless this year's data already says otherwise."""
    published: dt.date | None = None
    narrative: Narrative = field(default_factory=Narrative)
    facts: Facts = field(default_factory=Facts)


_KIND_RULES: dict[CellKind, tuple[str, str]] = {
    "count": ("件数：填 0 或正整数，没有的填 0。", "应为 0 或正整数（件数）。"),
    "signed": ("增减数：填整数，减少填负数（如 -2），没有变化填 0。", "应为整数（减少填负数）。"),
    "wan": ("金额（万元）：填 0 或正数，可带小数（如 12.5）；不写单位。", "应为 0 或正数（单位万元，不写单位）。"),
    "amount": (
        f"金额：数字后写明单位 {' 或 '.join(AMOUNT_UNITS)}（如 251000元、25.1万元），没有的填 0元。",
        f"应为带单位的金额，如 251000元 或 25.1万元（单位为 {' 或 '.join(AMOUNT_UNITS)}）。",
    ),
}
KIND_UNITS: dict[CellKind, str] = {
    "count": "件（项）",
    "signed": "件（项），可为负数",
    "wan": "万元",
    "amount": "元 或 万元",
}


def _validation(kind: CellKind, first: str) -> DataValidation:
    """The data validation of one kind of input cell, with its Chinese prompt and error alert.

    ``first`` is the top-left cell the validation applies to: a custom formula is written for it
    and the office suite shifts it to the other cells.
    """
    prompt, error = _KIND_RULES[kind]
    if kind == "count":
        kind_args = {"type": "whole", "operator": "greaterThanOrEqual", "formula1": "0"}
    elif kind == "signed":
        kind_args = {"type": "whole", "operator": "between", "formula1": "-999999999", "formula2": "999999999"}
    elif kind == "wan":
        kind_args = {"type": "decimal", "operator": "greaterThanOrEqual", "formula1": "0"}
    else:  # an amount is text with its unit: the number before the unit is checked by a formula
        kind_args = {"type": "custom", "formula1": _amount_formula(first)}
    return DataValidation(
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        promptTitle="填写说明",
        prompt=prompt,
        errorTitle="输入有误",
        error=error,
        errorStyle="stop",
        **kind_args,  # type: ignore[arg-type]
    )


def _amount_formula(x: str) -> str:
    """True when ``x`` is a number ≥ 0 followed by one of the units (``万元`` is not read as ``元``)."""
    conditions = []
    for u in AMOUNT_UNITS:
        longer = "".join(f',RIGHT({x},{len(o)})<>"{o}"' for o in AMOUNT_UNITS if o != u and o.endswith(u))
        number = f"VALUE(LEFT({x},LEN({x})-{len(u)}))"
        # AND and OR pass an error on (VALUE of "25.5万" is one), so each branch is made FALSE instead.
        conditions.append(f'IFERROR(AND(RIGHT({x},{len(u)})="{u}"{longer},{number}>=0),FALSE())')
    return f"OR({','.join(conditions)})"


def _shown(v: Value, kind: CellKind) -> tuple[object, str]:
    """A value as the sheet holds it, and the number format that shows it as the data says it."""
    if isinstance(v, Amount) or kind == "amount":
        return value_text(v), "@"
    if isinstance(v, Decimal):
        exponent = v.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return float(v), "0." + "0" * places if places else "0"
    return int(v), "0" if kind != "wan" else "General"


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide (CJK counts double)."""
    units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
    return max(1, math.ceil(units / max(width - 1, 1)))


class _Sheet:
    """Helpers over one worksheet: styled cells, merges, and the row heights wrapped text needs."""

    def __init__(self, ws: Worksheet, widths: list[float]) -> None:
        self.ws = ws
        self.widths = widths
        self.heights: dict[int, float] = {}
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[layout.ref(1, i)[:-1]].width = w

    def put(
        self,
        row: int,
        col: int,
        value: object,
        *,
        rowspan: int = 1,
        colspan: int = 1,
        font: Font | None = None,
        fill: PatternFill | None = None,
        align: Alignment = CENTER,
        border: bool = True,
        line_height: float = 15.0,
    ) -> None:
        cell = self.ws.cell(row=row, column=col)
        cell.value = value  # type: ignore[assignment]
        cell.font = font or Font(name=BODY, size=10.5)
        cell.alignment = align
        if fill is not None:
            cell.fill = fill
        if rowspan > 1 or colspan > 1:
            self.ws.merge_cells(
                start_row=row, start_column=col, end_row=row + rowspan - 1, end_column=col + colspan - 1
            )
        if border:
            for r in range(row, row + rowspan):
                for c in range(col, col + colspan):
                    self.ws.cell(row=r, column=c).border = BORDER
        if isinstance(value, str) and not value.startswith("="):
            width = sum(self.widths[col - 1 : col - 1 + colspan]) if col - 1 < len(self.widths) else 10.0
            need = _lines(value, width) * line_height + 4
            per_row = need / rowspan
            for r in range(row, row + rowspan):
                self.heights[r] = max(self.heights.get(r, 15.0), per_row)

    def finish(self) -> None:
        for r, h in self.heights.items():
            self.ws.row_dimensions[r].height = min(h, 409)


def _page(ws: Worksheet, title_rows: str | None = None) -> None:
    """A4 landscape, one page wide: a form prints as the official table does."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if title_rows:
        ws.print_title_rows = title_rows


def _protect(ws: Worksheet) -> None:
    """Protected without a password: inputs stay editable, the layout cannot be broken by accident."""
    ws.protection.sheet = True
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _widths(ts: TableSheet) -> list[float]:
    g = ts.grid
    if ts.table == "t2":
        return [T2_WIDTHS[0], *([T2_WIDTHS[1]] * (g.width - 1))]
    if ts.table == "t3":
        labels = list(T3_LABEL_WIDTHS[-g.label_cols :]) if g.label_cols <= len(T3_LABEL_WIDTHS) else []
        labels = labels or [14.0] * g.label_cols
        return [*labels, *([T3_VALUE_WIDTH] * (g.width - g.label_cols))]
    return [T4_VALUE_WIDTH] * g.width


def _table_sheet(wb: Workbook, ts: TableSheet, data: FormData, title: str) -> None:
    ws = wb.create_sheet(ts.name)
    g = ts.grid
    sh = _Sheet(ws, _widths(ts))
    sh.put(1, 1, ts.heading, colspan=g.width, font=Font(name=HEAD, size=14, bold=True), border=False, line_height=20)
    sh.put(2, 1, title, colspan=g.width, font=Font(name=BODY, size=10), align=LEFT_WRAP, border=False)
    validations: dict[CellKind, DataValidation] = {}
    input_refs: list[str] = []
    for c in g.cells:
        row, col = ts.row(c), ts.col(c)
        if c.spec is None:
            font = Font(name=BODY, size=10.5 if c.role != "corner" else 9, bold=c.role in ("head", "group"))
            align = LEFT_WRAP if c.role in ("label", "group") else CENTER
            sh.put(row, col, c.text, rowspan=c.rowspan, colspan=c.colspan, font=font, fill=HEAD_FILL, align=align)
            continue
        _value_cell(sh, ts, c, data, validations, input_refs)
    for dv in validations.values():
        ws.add_data_validation(dv)
    _checks(sh, ts, input_refs)
    ws.freeze_panes = ref(layout.TOP + g.head_rows, layout.LEFT + g.label_cols)
    _page(ws, f"{layout.TOP}:{layout.TOP + g.head_rows - 1}" if g.head_rows else None)
    _protect(ws)
    sh.finish()


def _value_cell(
    sh: _Sheet,
    ts: TableSheet,
    c: GridCell,
    data: FormData,
    validations: dict[CellKind, DataValidation],
    input_refs: list[str],
) -> None:
    assert c.spec is not None
    spec = c.spec
    key = (spec.table, spec.row, spec.column)
    row, col = ts.row(c), ts.col(c)
    cell_ref = ref(row, col)
    total = ts.computed((spec.row, spec.column))
    value = data.values.get(key)
    carried = data.carried.get(key)
    fixed = _fixed(data, key)
    if total is not None:
        sh.put(row, col, "=SUM(" + ts.expression(total).replace("+", ",") + ")", colspan=c.colspan, fill=FIXED_FILL)
        sh.ws.cell(row=row, column=col).number_format = "0"
        return
    shown, number_format = (
        _shown(value, spec.kind) if value is not None else (None, "@" if spec.kind == "amount" else "General")
    )
    sh.put(row, col, shown, colspan=c.colspan, align=Alignment(horizontal="right", vertical="center"))
    cell = sh.ws.cell(row=row, column=col)
    cell.number_format = number_format
    if fixed is not None:
        if value is None:
            cell.value = _shown(fixed.value, spec.kind)[0]  # type: ignore[assignment]
        cell.fill = FIXED_FILL
        cell.comment = Comment(f"上年结转，已锁定：{fixed.source}（规则 {fixed.rule}）", "xxgk", width=260, height=80)
        return
    if carried is not None:
        cell.comment = Comment(
            f"上年数据为 {carried.source}，与本年已填的数不同（规则 {carried.rule}），请核对",
            "xxgk",
            width=260,
            height=80,
        )
    cell.protection = UNLOCKED
    cell.fill = INPUT_FILL
    if spec.kind not in validations:
        validations[spec.kind] = _validation(spec.kind, cell_ref)
    validations[spec.kind].add(cell_ref)
    input_refs.append(cell_ref)


def _fixed(data: FormData, key: tuple[str, str, str]) -> Carried | None:
    """The figure last year fixes at ``key`` that the form fills in and locks (unless this year's data differs)."""
    carried = data.carried.get(key)
    value = data.values.get(key)
    return carried if carried is not None and (value is None or value == carried.value) else None


def fixed_refs(data: FormData) -> list[str]:
    """``表三!D9`` …: every input the form fills in and locks itself; a form with nothing else filled in is blank."""
    return [
        f"{ts.name}!{ts.ref(c)}"
        for ts in layout.table_sheets(data.version)
        for c in ts.grid.values()
        if c.spec is not None
        and ts.computed((c.spec.row, c.spec.column)) is None
        and _fixed(data, (c.spec.table, c.spec.row, c.spec.column)) is not None
    ]


def _checks(sh: _Sheet, ts: TableSheet, input_refs: list[str]) -> None:
    """Live identity checks: a red cell where a sum breaks, a status line, and the S1-style checks below the table."""
    ws = sh.ws
    g = ts.grid
    conditions: list[str] = []
    checks = [s for s in ts.sums() if not s.identity.computed]
    for s in ts.sums():
        total = ts.at(s.total)
        expr = ts.expression(s)
        conditions.append(f"{total}=({expr})")
        ws.conditional_formatting.add(total, FormulaRule(formula=[f"{total}<>({expr})"], fill=BAD_FILL, font=BAD_FONT))
    if checks:
        row = ts.check_row
        label = f"校验（不属于官方表格）：{checks[0].identity.id} " + formats.rules()[checks[0].identity.id].text
        sh.put(row, 1, label, colspan=g.label_cols, font=Font(name=BODY, size=9), align=LEFT_WRAP, fill=FIXED_FILL)
        by_col = {ts.grid.by_address[s.total].col: s for s in checks}
        for gcol, s in sorted(by_col.items()):
            col = layout.LEFT + gcol
            here = ref(row, col)
            formula = (
                f'=IF({ts.at(s.total)}=({ts.expression(s)}),"✓","✗ 差"&TEXT({ts.at(s.total)}-({ts.expression(s)}),"0"))'
            )
            sh.put(row, col, formula, fill=FIXED_FILL, font=Font(name=BODY, size=9))
            ws.conditional_formatting.add(
                here, FormulaRule(formula=[f"{ts.at(s.total)}<>({ts.expression(s)})"], fill=BAD_FILL, font=BAD_FONT)
            )
    if input_refs:
        blank = f"ISBLANK({input_refs[0]})"
        ws.conditional_formatting.add(" ".join(input_refs), FormulaRule(formula=[blank], fill=BLANK_FILL))
    if conditions:
        ok = "✓ 本表勾稽关系全部成立"
        bad = "✗ 本表有勾稽关系不成立：请核对红色单元格"
        status = f'=IF(AND({",".join(conditions)}),"{ok}","{bad}")'
        sh.put(3, 1, status, colspan=g.width, font=Font(name=HEAD, size=11, bold=True), align=LEFT_WRAP, border=False)
        ws.conditional_formatting.add(
            f"A3:{ref(3, g.width)}",
            FormulaRule(formula=[f"NOT(AND({','.join(conditions)}))"], fill=BAD_FILL, font=BAD_FONT),
        )
    else:
        note = "本表没有自动校验的勾稽关系；请逐项填写，没有的填 0。"
        sh.put(3, 1, note, colspan=g.width, font=Font(name=BODY, size=10), align=LEFT_WRAP, border=False)


def _text_sheet(wb: Workbook, data: FormData, text: TextLayout, title: str) -> None:
    ws = wb.create_sheet(layout.TEXT_SHEET)
    sh = _Sheet(ws, [26.0, *([14.0] * layout.TEXT_WIDTH)])
    head = Font(name=HEAD, size=11, bold=True)
    sh.put(
        1,
        1,
        "正文：一、五、六部分与正文引用的事实",
        colspan=1 + layout.TEXT_WIDTH,
        font=Font(name=HEAD, size=14, bold=True),
        border=False,
    )
    sh.put(
        2,
        1,
        title
        + "。正文可写多段（单元格内换行：Excel 按 Alt+Enter，WPS 同）；"
        + "可用 {{ 占位符 }} 引用表格中的数字，见“填报说明”。",
        colspan=1 + layout.TEXT_WIDTH,
        align=LEFT_WRAP,
        border=False,
    )
    value_col, span = layout.TEXT_VALUE_COL, layout.TEXT_WIDTH
    for i, key in enumerate(formats.NARRATIVE_KEYS):
        row = text.section_row(i)
        body: str = getattr(data.narrative, key)
        sh.put(row, 1, data.version.sections[key], font=head, fill=HEAD_FILL, align=LEFT_WRAP)
        sh.put(row, value_col, body or None, colspan=span, align=TEXT_WRAP)
        ws.cell(row=row, column=value_col).protection = UNLOCKED
        lines = sum(_lines(p, 14.0 * span) for p in (body or "").split("\n"))
        ws.row_dimensions[row].height = min(409, max(120.0, 15.0 * lines + 6))
        sh.heights.pop(row, None)
    dv_date = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="DATE(2000,1,1)",
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        promptTitle="填写说明",
        prompt="报告的发布日期，如 2025-01-25（尚未发布可留空）。",
        errorTitle="输入有误",
        error="应为日期，如 2025-01-25。",
    )
    dv_count = _validation("count", ref(text.proactive_row, value_col))
    ws.add_data_validation(dv_date)
    ws.add_data_validation(dv_count)
    sh.put(text.published_row, 1, layout.PUBLISHED_LABEL, font=head, fill=HEAD_FILL, align=LEFT_WRAP)
    sh.put(text.published_row, value_col, data.published, colspan=2)
    date_cell = ws.cell(row=text.published_row, column=value_col)
    date_cell.number_format = "yyyy-mm-dd"
    date_cell.protection = UNLOCKED
    dv_date.add(date_cell.coordinate)
    sh.put(text.proactive_row, 1, layout.PROACTIVE_LABEL, font=head, fill=HEAD_FILL, align=LEFT_WRAP)
    sh.put(text.proactive_row, value_col, data.facts.proactive_items, colspan=2)
    ws.cell(row=text.proactive_row, column=value_col).protection = UNLOCKED
    dv_count.add(ref(text.proactive_row, value_col))
    _pairs(
        sh,
        text.channels_head,
        text.channel_rows(),
        layout.CHANNELS_LABEL,
        [(c.name, c.items) for c in data.facts.channels],
        dv_count,
    )
    _pairs(
        sh,
        text.others_head,
        text.other_rows(),
        layout.OTHER_LABEL,
        [(k, _fact_value(v)) for k, v in data.facts.other.items()],
        None,
    )
    _page(ws)
    ws.page_setup.orientation = "portrait"
    _protect(ws)
    sh.finish()


def _fact_value(v: int | Decimal | str) -> object:
    return float(v) if isinstance(v, Decimal) else v


def _pairs(
    sh: _Sheet,
    head: int,
    rows: range,
    labels: tuple[str, str],
    values: list[tuple[str, object]],
    dv: DataValidation | None,
) -> None:
    """A two-column list (name, value) with room for more rows than the data has."""
    font = Font(name=HEAD, size=11, bold=True)
    sh.put(head, 1, labels[0], font=font, fill=HEAD_FILL, align=LEFT_WRAP)
    sh.put(head, layout.TEXT_VALUE_COL, labels[1], colspan=2, font=font, fill=HEAD_FILL)
    for i, row in enumerate(rows):
        name, value = values[i] if i < len(values) else (None, None)
        sh.put(row, 1, name, align=LEFT_WRAP)
        sh.put(row, layout.TEXT_VALUE_COL, value, colspan=2)
        for col in (1, layout.TEXT_VALUE_COL):
            sh.ws.cell(row=row, column=col).protection = UNLOCKED
        if dv is not None:
            dv.add(ref(row, layout.TEXT_VALUE_COL))


def _notes_sheet(wb: Workbook, data: FormData, title: str) -> None:
    """填报说明, generated from the format: what each table means, its units, and the rules the figures obey."""
    ws = wb.create_sheet(layout.NOTES_SHEET)
    sh = _Sheet(ws, [16.0, 100.0])
    v = data.version
    head = Font(name=HEAD, size=11, bold=True)
    row = 1
    sh.put(
        row,
        1,
        f"{data.year}年政府信息公开工作年度报告 填报说明",
        colspan=2,
        font=Font(name=HEAD, size=14, bold=True),
        border=False,
    )
    row += 1
    lines: list[tuple[str, str]] = [
        ("填报单位", f"{data.agency.name}（{data.agency.id}）"),
        ("报告年度", f"{data.year}年"),
        ("适用格式", f"{v.name}（{v.basis}）"),
        (
            "怎样填写",
            "白色单元格填写；灰色单元格由本表计算（总计）或取自上年报告（上年结转，已锁定，见单元格批注），不能修改。"
            "黄色表示尚未填写；没有的填 0，不要留空，不要写“无”“/”。",
        ),
        ("随时校验", "每张表第 3 行显示本表勾稽关系是否成立；不成立的单元格变红。红色消失后再交回。"),
        (
            "交回方式",
            f"填好后保存为 .xlsx（不要改文件名 {layout.form_name(data.agency.id, data.year)}、"
            "不要增删工作表或移动行列），"
            "交政务公开办，由其运行 xxgk import 导入。",
        ),
    ]
    for t in formats.TABLE_IDS:
        kinds = sorted({c.kind for c in v.table_cells(t)}, key=list(KIND_UNITS).index)
        units = "；".join(
            f"{'件数' if k == 'count' else '增减' if k == 'signed' else '金额'}单位：{KIND_UNITS[k]}" for k in kinds
        )
        lines.append((v.table_title(t), f"{v.sections[t]}。{units}。"))
    sections = "，".join(v.sections[k] for k in formats.NARRATIVE_KEYS)
    lines.append((layout.TEXT_SHEET, f"{sections}；{layout.PUBLISHED_LABEL}；正文引用的主动公开条数与各渠道条数。"))
    for label, text in lines:
        row += 1
        sh.put(row, 1, label, font=head, fill=HEAD_FILL, align=LEFT_WRAP)
        sh.put(row, 2, text, align=LEFT_WRAP)
    row += 2
    sh.put(row, 1, "数字须满足的规则", colspan=2, font=head, fill=HEAD_FILL, align=LEFT_WRAP)
    for rule in formats.rules().values():
        if rule.stage != "check":
            continue
        row += 1
        level = "错误" if rule.severity == "error" else "提示"
        sh.put(row, 1, f"{rule.id}（{level}）", align=LEFT_WRAP)
        sh.put(row, 2, rule.text, align=LEFT_WRAP)
    _page(ws)
    ws.page_setup.orientation = "portrait"
    _protect(ws)
    sh.finish()


def _meta_sheet(wb: Workbook, data: FormData, text: TextLayout) -> None:
    ws = wb.create_sheet(layout.META_SHEET)
    values = {
        "form": layout.FORM_MARK,
        "form_version": layout.FORM_VERSION,
        "agency_id": data.agency.id,
        "agency_name": data.agency.name,
        "year": data.year,
        "format": data.version.id,
        "xxgk": __version__,
        "channels": text.channels,
        "others": text.others,
        "fixed": " ".join(fixed_refs(data)) or None,
    }
    for i, (k, v) in enumerate(values.items(), start=1):
        ws.cell(row=i, column=1, value=k)
        ws.cell(row=i, column=2, value=v)
    ws.sheet_state = "hidden"
    _protect(ws)


def _too_long(data: FormData) -> Iterable[str]:
    for key in formats.NARRATIVE_KEYS:
        body: str = getattr(data.narrative, key)
        if len(body) > MAX_TEXT:
            yield f"{data.version.sections[key]}共 {len(body)} 个字符，电子表格单元格最多 {MAX_TEXT} 个"


def text_layout(data: FormData) -> TextLayout:
    return TextLayout(
        channels=max(layout.MIN_CHANNEL_ROWS, len(data.facts.channels) + 2),
        others=max(layout.MIN_OTHER_ROWS, len(data.facts.other) + 2),
    )


def form_bytes(data: FormData) -> bytes:
    """The form as .xlsx bytes (raises ValueError when the data cannot fit a spreadsheet)."""
    too_long = list(_too_long(data))
    if too_long:
        raise ValueError("；".join(too_long))
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    title = f"填报单位：{data.agency.name}　报告年度：{data.year}年　格式：{data.version.name}"
    text = text_layout(data)
    _notes_sheet(wb, data, title)
    for ts in layout.table_sheets(data.version):
        _table_sheet(wb, ts, data, title)
    _text_sheet(wb, data, text, title)
    _meta_sheet(wb, data, text)
    wb.active = 1
    wb.security = WorkbookProtection(lockStructure=True)
    wb.calculation.fullCalcOnLoad = True
    wb.properties.creator = "xxgk"
    wb.properties.title = f"{data.agency.name}{data.year}年政府信息公开工作年度报告填报表"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    # Not wb.save(): it stamps the document's modified date with the time of writing.
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return _fixed_zip(buf.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed entry dates: openpyxl stamps each entry with the time of writing."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
