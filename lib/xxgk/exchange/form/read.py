"""Reading a filled-in form back: records for the one import plan, every problem named by sheet and cell.

A form comes back from an office suite (LibreOffice, WPS, Excel: formulas carry cached values) or
from a script (openpyxl: none). Either way the 总计 cells are recomputed from their parts and a
cached total is never taken over them; a total someone typed over its formula must equal the sum
of its parts, or the import names both. The layout is compared with the one xxgk writes
(:mod:`xxgk.exchange.form.layout`) label by label before any value is read, so an edited label or
a moved row is reported where it is instead of shifting every value into the wrong cell.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pydantic
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from xxgk import formats
from xxgk.data import tree
from xxgk.data.diagnostics import BLANK_CELL, IMPORT_NOTICE, Diagnostic, InputError, excerpt, problem
from xxgk.data.model import Facts, Narrative
from xxgk.exchange.form import layout
from xxgk.exchange.form.layout import TableSheet, TextLayout, ref
from xxgk.exchange.labels import short_version
from xxgk.exchange.records import CellRecord, YearFields
from xxgk.formats import CellSpec, FormatVersion

MAX_FORM_BYTES = 20 * 1024 * 1024
"""A form is tens of kilobytes; anything past this is not one (and would be unpacked into memory)."""
MAX_LABEL_PROBLEMS = 8
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")

Cells = dict[tuple[int, int], Any]


def is_workbook(data: bytes) -> bool:
    """True for what an office suite saves as a workbook: an .xlsx (zip) or an OLE file (.xls, encrypted .xlsx)."""
    return data[:4] == b"PK\x03\x04" or data[:8] == _CFB


@dataclass
class FormRead:
    """A form's records and fields, and what is wrong with its values (the import plan adds its own)."""

    records: list[CellRecord] = field(default_factory=list)
    fields: list[YearFields] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)


class _Out:
    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.structural = False
        """An error about what the workbook is or how it is laid out: its values cannot be trusted at all."""
        self.inputs = 0
        self.blanks = 0
        self.fixed: set[str] = set()
        """Inputs the form filled in and locked itself (last year's figures): not filled in by the body."""
        self.prefilled = 0

    def error(self, where: str, message: str, label: str = "", value: object = None) -> None:
        if "!" in where:  # ``表三!J12（表三 …）`` says the table twice; the import plan's messages say it once
            label = label.removeprefix(where.split("!", 1)[0] + " ")
        self.errors.append(problem(self.file, message, field=where, label=label, value=value))

    def warn(self, where: str, message: str, rule: str) -> None:
        self.warnings.append(problem(self.file, message, field=where, rule=rule, severity="warning"))


def read_form(path: Path, data: bytes | None = None) -> FormRead:
    """The records and fields of one filled-in form; raise InputError naming every problem in it."""
    file = str(path)
    if data is None:
        data = _read(path)
    if data[:8] == _CFB:
        if _ENCRYPTED in data:
            why = (
                "工作簿设置了打开密码（已加密），xxgk 无法读取："
                "请在 Excel/WPS 中取消密码（文件→信息→保护工作簿）后另存为 .xlsx"
            )
        else:
            why = "是旧版 Excel 97-2003 工作簿（.xls）：请用 Excel/WPS/LibreOffice 另存为 .xlsx（Excel 工作簿）"
        raise InputError([problem(file, why)])
    try:
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        cached = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as e:
        raise InputError([problem(file, f"不是有效的 .xlsx 工作簿，无法打开（{type(e).__name__}）")]) from None
    out = _Out(file)
    try:
        sheets = {name: _cells(formulas[name]) for name in formulas.sheetnames}
        values = {name: _cells(cached[name]) for name in cached.sheetnames}
    finally:
        formulas.close()
        cached.close()
    meta = _meta(sheets.get(layout.META_SHEET), out)
    if meta is None:
        raise InputError(out.errors)
    before = len(out.errors)
    agency_id, agency_name, year, version, text = meta
    other = _laid_out_as(version, sheets)
    if other is not None:
        out.error(
            layout.META_SHEET,
            f"隐藏工作表记录的格式为{short_version(version)}，但各表是{short_version(other)}格式的：填报表被改动过；"
            f"请用 xxgk form {agency_id} {year} 重新生成填报表",
        )
        raise InputError(out.errors)
    _file_name(path, agency_id, year, out)
    expected = layout.sheet_names(version)
    for name in expected:
        if name not in sheets:
            out.error(name, "缺少这张工作表：填报表的工作表不能删除或改名；请用 xxgk form 重新生成")
    for name in sheets:
        if name not in expected:
            out.error(
                name, f"多出的工作表：填报表只应有 {'、'.join(expected[:-1])}；请删除它（其内容不会导入）后再交回"
            )
    out.structural = len(out.errors) > before
    result = FormRead()
    seq = 0
    for ts in layout.table_sheets(version):
        if ts.name not in sheets:
            continue
        for spec, raw_text, cell_ref in _table(ts, sheets[ts.name], values[ts.name], out):
            seq += 1
            result.records.append(
                CellRecord(
                    seq,
                    agency_id,
                    agency_name,
                    str(year),
                    version.table_names[spec.table],
                    spec.row_label,
                    spec.column_label,
                    raw_text,
                    ref=f"{ts.name}!{cell_ref}",
                    file=file,
                )
            )
    if layout.TEXT_SHEET in sheets:
        fields = _text(sheets[layout.TEXT_SHEET], version, text, agency_id, year, out)
        if fields is not None:
            result.fields.append(fields)
    if out.inputs and out.blanks + out.prefilled == out.inputs:
        out.error("", "填报表中没有填写任何数字：未导入。请填写后再交回（没有的填 0）")
        out.structural = True
    if out.errors and out.structural:
        raise InputError(out.errors)
    result.errors = out.errors
    result.warnings = out.warnings
    return result


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FORM_BYTES + 1)
    except OSError as e:
        raise InputError([problem(str(path), f"无法读取文件：{e.strerror or e}")]) from None
    if len(data) > MAX_FORM_BYTES:
        raise InputError([problem(str(path), f"文件超过 {MAX_FORM_BYTES // 1024**2} MB，不是 xxgk 的填报表；未读取")])
    return data


def _cells(ws: Any) -> Cells:
    out: Cells = {}
    for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
        for c, v in enumerate(row, start=1):
            if v is not None:
                out[(r, c)] = v
    return out


def _meta(cells: Cells | None, out: _Out) -> tuple[str, str, int, FormatVersion, TextLayout] | None:
    """What the hidden sheet says the workbook is; None (with the reason) if it is not a form xxgk can read."""
    if cells is None:
        out.error(
            "", f"不是 xxgk 生成的填报表（缺少隐藏的工作表 {layout.META_SHEET}）：请用 xxgk form 生成填报表，在其中填写"
        )
        return None
    meta = {str(cells[(r, 1)]): cells.get((r, 2)) for r, c in cells if c == 1}
    if meta.get("form") != layout.FORM_MARK:
        out.error(layout.META_SHEET, "不是 xxgk 生成的填报表：请用 xxgk form 生成填报表，在其中填写")
        return None
    version_of_form = meta.get("form_version")
    if version_of_form != layout.FORM_VERSION:
        out.error(
            layout.META_SHEET,
            f"填报表的版式版本为 {excerpt(version_of_form)}，本版 xxgk 读取版式 {layout.FORM_VERSION}："
            "请用同一版本的 xxgk 重新生成填报表（xxgk form）",
        )
        return None
    agency_id = str(meta.get("agency_id") or "")
    try:
        tree.check_agency_id(agency_id)
    except InputError:
        out.error(layout.META_SHEET, tree.AGENCY_ID_RULE, value=agency_id)
        return None
    year = meta.get("year")
    version_id = str(meta.get("format") or "")
    if not isinstance(year, int) or year not in formats.report_years() or version_id not in formats.versions():
        out.error(
            layout.META_SHEET,
            "记录的报告年度或格式版本无效：请用 xxgk form 重新生成填报表",
            value=f"{year} {version_id}",
        )
        return None
    text = TextLayout(_count(meta.get("channels")), _count(meta.get("others")))
    out.fixed = set(str(meta.get("fixed") or "").split())
    return agency_id, str(meta.get("agency_name") or ""), year, formats.get(version_id), text


def _count(v: Any) -> int:
    return v if isinstance(v, int) and 0 < v < 1000 else layout.MIN_CHANNEL_ROWS


def _file_name(path: Path, agency_id: str, year: int, out: _Out) -> None:
    """A form renamed to another body's or year's name is a mix-up to stop, not a detail."""
    m = layout.FILE_NAME.fullmatch(path.name)
    if m and (m["agency"] != agency_id or int(m["year"]) != year):
        out.error(
            "",
            f"文件名表明是 {m['agency']} 的 {m['year']} 年度填报表，但表内记录的是 {agency_id} 的 {year} 年度"
            f"（{layout.form_name(agency_id, year)}）：请确认没有交错文件",
        )


def _label(v: Any) -> str:
    return "" if v is None else re.sub(r"\s+", "", str(v))


def _labels_fit(ts: TableSheet, cells: Cells) -> bool:
    return all(_label(cells.get((ts.row(c), ts.col(c)))) == _label(c.text) for c in ts.grid.cells if c.spec is None)


def _laid_out_as(version: FormatVersion, sheets: dict[str, Cells]) -> FormatVersion | None:
    """The other format version whose tables the sheets hold when they do not hold ``version``'s (an edited meta)."""
    if all(_labels_fit(ts, sheets[ts.name]) for ts in layout.table_sheets(version) if ts.name in sheets):
        return None
    for other in formats.versions().values():
        theirs = [ts for ts in layout.table_sheets(other) if ts.name in sheets]
        if other.id != version.id and theirs and all(_labels_fit(ts, sheets[ts.name]) for ts in theirs):
            return other
    return None


def _table(ts: TableSheet, cells: Cells, cached: Cells, out: _Out) -> list[tuple[CellSpec, str, str]]:
    """The sheet's value cells as (spec, text, reference), after its labels were found where they belong."""
    wrong = 0
    for c in ts.grid.cells:
        if c.spec is not None:
            continue
        found = cells.get((ts.row(c), ts.col(c)))
        if _label(found) != re.sub(r"\s+", "", c.text):
            wrong += 1
            if wrong <= MAX_LABEL_PROBLEMS:
                out.error(
                    f"{ts.name}!{ts.ref(c)}",
                    f"标签应为“{c.text}”，实为{_shown(found)}："
                    "表格的标签与行列不能改动或移动；请改回，或用 xxgk form 重新生成后再填",
                )
    if wrong > MAX_LABEL_PROBLEMS:
        out.error(ts.name, f"还有 {wrong - MAX_LABEL_PROBLEMS} 处标签与官方格式不符")
    if wrong:
        out.structural = True
        return []
    texts: dict[tuple[str, str], str] = {}
    blanks: list[str] = []
    result: list[tuple[CellSpec, str, str]] = []
    computed = []
    for c in ts.grid.values():
        assert c.spec is not None
        key = (c.spec.row, c.spec.column)
        here = ts.ref(c)
        if ts.computed(key) is not None:
            computed.append(c)
            continue
        raw = cells.get((ts.row(c), ts.col(c)))
        text = _text_of(raw, c.spec, here, ts, out)
        out.inputs += 1
        if text is None:
            continue
        if text == "":
            out.blanks += 1
            blanks.append(here)
            text = "0"
        elif f"{ts.name}!{here}" in out.fixed:
            out.prefilled += 1
        texts[key] = text
        result.append((c.spec, text, here))
    if blanks:
        shown = "、".join(blanks[:12]) + ("…" if len(blanks) > 12 else "")
        out.warn(ts.name, f"{len(blanks)} 个空白单元格按 0 读入：{shown}（没有的请填 0）", BLANK_CELL)
    totals: dict[tuple[str, str], int | None] = {}
    for c in computed:
        assert c.spec is not None
        key = (c.spec.row, c.spec.column)
        total = _sum(ts, key, texts, totals)
        raw = cells.get((ts.row(c), ts.col(c)))
        here = ts.ref(c)
        if total is None:
            continue  # a part is wrong, and named
        if not (isinstance(raw, str) and raw.startswith("=")) and raw is not None:
            typed = _text_of(raw, c.spec, here, ts, out)
            if typed is not None and typed != str(total):
                out.error(
                    f"{ts.name}!{here}",
                    f"总计由各部分计算，应为 {total}（各部分之和），实为 {excerpt(typed)}：公式被改成了数字；"
                    "请改正各部分，或恢复公式",
                    label=c.spec.label,
                )
                continue
        displayed = cached.get((ts.row(c), ts.col(c)))
        if isinstance(displayed, int | float) and not isinstance(displayed, bool) and displayed != total:
            out.warn(
                f"{ts.name}!{here}",
                f"{c.spec.label}：表中显示的总计为 {excerpt(displayed)}，各部分之和为 {total}"
                "（公式被改动过？）；按各部分之和导入",
                IMPORT_NOTICE,
            )
        result.append((c.spec, str(total), here))
    return result


def _sum(
    ts: TableSheet, key: tuple[str, str], texts: dict[tuple[str, str], str], memo: dict[tuple[str, str], int | None]
) -> int | None:
    """A 总计 recomputed from its parts (themselves 总计 or inputs); None when a part is not a whole number."""
    if key in memo:
        return memo[key]
    s = ts.computed(key)
    if s is None:
        text = texts.get(key)
        try:
            value = int(text) if text is not None else None
        except ValueError:
            value = None
        memo[key] = value
        return value
    memo[key] = None
    total = 0
    for sign, part in s.parts:
        v = _sum(ts, part, texts, memo)
        if v is None:
            return None
        total += sign * v
    memo[key] = total
    return total


def _shown(v: Any) -> str:
    return "空白" if v is None or v == "" else f"“{excerpt(str(v))[1:-1] if isinstance(v, str) else v}”"


def _text_of(raw: Any, spec: CellSpec, here: str, ts: TableSheet, out: _Out) -> str | None:
    """A cell as the text the import plan judges (blank as ``""``); None when its type alone is wrong."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        out.error(f"{ts.name}!{here}", "应为数字，实为逻辑值", label=spec.label, value=str(raw))
        return None
    if isinstance(raw, dt.datetime | dt.date | dt.time):
        out.error(
            f"{ts.name}!{here}", "应为数字，实为日期（单元格格式被改成了日期？）", label=spec.label, value=str(raw)
        )
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if raw.is_integer() and spec.kind in ("count", "signed"):
            return str(int(raw))
        return format(Decimal(repr(raw)), "f")
    text = str(raw).strip()
    if text.startswith("="):
        out.error(f"{ts.name}!{here}", "这里应填数字，不能是公式", label=spec.label, value=text)
        return None
    return text


def _text(
    cells: Cells, version: FormatVersion, text: TextLayout, agency_id: str, year: int, out: _Out
) -> YearFields | None:
    """The 正文 sheet: narrative sections, publication date and facts, validated like a data file's."""
    sheet = layout.TEXT_SHEET
    col = layout.TEXT_VALUE_COL
    ok = True
    bodies: dict[str, str] = {}
    for i, key in enumerate(formats.NARRATIVE_KEYS):
        row = text.section_row(i)
        label = version.sections[key]
        if _label(cells.get((row, 1))) != label:
            out.error(
                f"{sheet}!{ref(row, 1)}", f"标签应为“{label}”，实为{_shown(cells.get((row, 1)))}：正文表的行不能移动"
            )
            out.structural = True
            ok = False
            continue
        body = cells.get((row, col))
        bodies[key] = "" if body is None else str(body).replace("\r\n", "\n").replace("\r", "\n")
    published = _date(cells.get((text.published_row, col)), f"{sheet}!{ref(text.published_row, col)}", out)
    proactive = cells.get((text.proactive_row, col))
    channels = []
    for row in text.channel_rows():
        name, items = cells.get((row, 1)), cells.get((row, col))
        if name is None and items is None:
            continue
        if name is None:
            out.error(f"{sheet}!{ref(row, 1)}", "填了发布条数，缺少渠道名称", value=items)
            ok = False
            continue
        channels.append({"name": str(name).strip(), "items": _plain(items)})
    other: dict[str, Any] = {}
    for row in text.other_rows():
        fact, value = cells.get((row, 1)), cells.get((row, col))
        if fact is None and value is None:
            continue
        if fact is None or value is None:
            where = ref(row, 1) if fact is None else ref(row, col)
            out.error(f"{sheet}!{where}", "其他事实须同时填写键和值", value=fact if fact is not None else value)
            ok = False
            continue
        other[str(fact).strip()] = _plain(value)
    try:
        facts = Facts.model_validate({"proactive_items": _plain(proactive), "channels": channels, "other": other})
    except pydantic.ValidationError as e:
        for err in e.errors():
            out.error(
                sheet, f"正文引用的事实有误：{'.'.join(map(str, err['loc']))}：{err['msg']}", value=err.get("input")
            )
        return None
    if not ok or published is False:
        return None
    return YearFields(
        agency_id,
        year,
        published if isinstance(published, dt.date) else None,
        Narrative(**bodies),
        facts,
        file=out.file,
        format=version.id,
    )


def _plain(v: Any) -> Any:
    """A fact's cell as the model takes it: whole floats as ints, other floats as exact decimals."""
    if isinstance(v, float):
        return int(v) if v.is_integer() else Decimal(repr(v))
    if isinstance(v, str):
        t = v.strip()
        if re.fullmatch(r"[+-]?\d+", t):
            return int(t)
        try:
            return Decimal(t) if re.fullmatch(r"[+-]?\d+\.\d+", t) else t
        except InvalidOperation:
            return t
    return v


def _date(raw: Any, where: str, out: _Out) -> dt.date | bool | None:
    """The publication date: a date cell, or text as people write it (``2025-01-25``, ``2025年1月25日``)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    m = _DATE.fullmatch(str(raw).strip())
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    out.error(where, f"{layout.PUBLISHED_LABEL}应为日期，如 2025-01-25", value=raw)
    return False
