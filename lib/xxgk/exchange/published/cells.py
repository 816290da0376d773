"""What a cell of a published table says: a number, or which kind of nothing, never a silent 0.

Real tables write numbers as people type them: full-width digits (``１２``), thousands separators
(``1,520``), a unit in the cell (``12件``, ``251000元``), a minus sign from a word processor
(``−3``). And they write nothing in several ways that mean different things (domain-rules §5.2
item 5): a blank cell is missing, ``/`` and ``-`` say "not applicable", ``无`` says "none". The
reader keeps those apart so the audit can count them (rule Q3) instead of reading them as 0.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from xxgk.data.model import Amount, Value
from xxgk.formats import CellKind
from xxgk.formats.match import SPACE

Status = Literal["value", "blank", "na", "none", "image", "bad"]
"""``value``: a number was read; ``blank``: the cell is empty; ``na``: ``/``, ``-``, ``—``, 不适用;
``none``: 无; ``image``: a picture in the cell; ``bad``: text that is no number."""

NOTHING: dict[str, Status] = {
    "": "blank",
    "/": "na",
    "-": "na",
    "—": "na",
    "——": "na",
    "--": "na",
    "\\": "na",
    "不适用": "na",
    "无": "none",
}
STATUS_WORDS: dict[Status, str] = {
    "blank": "空白",
    "na": "“/”“-”等",
    "none": "“无”",
    "image": "图片",
    "bad": "无法识别",
}

_MINUS = str.maketrans({"−": "-", "–": "-", "﹣": "-", "－": "-"})
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_COUNT_UNIT = re.compile(r"(件|项|个|条|次|宗)$")
_MONEY = re.compile(r"([+-]?\d+(?:\.\d+)?)(万元|元)$")


@dataclass(frozen=True)
class CellText:
    status: Status
    value: Value | None = None
    note: str = ""
    """How the text was read when it was not written as the format asks (a unit converted,
    separators removed, an assumed unit): each becomes part of a finding or of provenance."""
    converted: bool = False
    """A 万元 cell written in 元 (rule T4)."""


_SPLIT_DIGITS = re.compile(r"\d" + SPACE.pattern + r"\d")


def clean(text: str) -> str:
    """NFKC (full-width digits and signs become ASCII), no white space, one minus sign."""
    return SPACE.sub("", unicodedata.normalize("NFKC", text)).translate(_MINUS)


def read_cell(text: str, kind: CellKind, unit_hint: str = "") -> CellText:
    """A published cell's text as a value of ``kind``; ``unit_hint`` is a unit its column header names."""
    t = clean(text)
    if t in NOTHING:
        return CellText(NOTHING[t])
    if _SPLIT_DIGITS.search(unicodedata.normalize("NFKC", text)):
        return CellText("bad", note=f"“{text.strip()}”中数字之间有空格，无法确定是一个数还是几个数")
    notes: list[str] = []
    if _THOUSANDS.fullmatch(t) or _THOUSANDS.fullmatch(_COUNT_UNIT.sub("", t)):
        t = t.replace(",", "")
        notes.append("去掉千位分隔符")
    if kind in ("wan", "amount"):
        return _money(text, t, kind, unit_hint, notes)
    m = _COUNT_UNIT.search(t)
    if m:
        t = t[: m.start()]
        notes.append(f"去掉单位“{m.group()}”")
    if not _NUMBER.fullmatch(t):
        return CellText("bad", note=f"“{text.strip()}”不是数字")
    number = Decimal(t)
    if number != number.to_integral_value():
        return CellText("bad", note=f"“{text.strip()}”不是整数（件数）")
    if "." in t:
        notes.append("整数写成了小数")
    return CellText("value", int(number), "，".join(notes))


def _money(text: str, t: str, kind: CellKind, unit_hint: str, notes: list[str]) -> CellText:
    m = _MONEY.fullmatch(t)
    if m:
        number, unit = Decimal(m.group(1)), m.group(2)
    elif _NUMBER.fullmatch(t):
        number, unit = Decimal(t), ""
    else:
        return CellText("bad", note=f"“{text.strip()}”不是金额")
    if kind == "amount":
        if not unit:
            unit = unit_hint or "万元"
            notes.append(f"未写单位，按表头的{unit}读入" if unit_hint else "未写单位，按万元读入")
        return CellText("value", Amount(number, unit), "，".join(notes))
    # ``wan``: the column is in 万元; a value in 元 (written in the cell, or the column headed in 元)
    # is converted and flagged (rule T4).
    if not unit and unit_hint == "元" and number != 0:
        unit = "元"
        text = f"{text.strip()}（表头单位为元）"
    if unit == "元":
        wan = (number / 10000).normalize()
        wan = wan.quantize(Decimal(1)) if wan == wan.to_integral_value() else wan
        notes.append(f"“{text.strip()}”按 1万元 = 10000元 换算为 {format(wan, 'f')} 万元")
        return CellText("value", wan if "." in format(wan, "f") else int(wan), "，".join(notes), converted=True)
    if unit == "万元":
        notes.append("去掉单位“万元”")
    value: Value = number if "." in t else int(number)
    return CellText("value", value, "，".join(notes))
