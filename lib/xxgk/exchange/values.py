"""Cell values as text: how an exchange file writes a value, and how a value written by a person is read.

The text form keeps the type (an int has no point, a Decimal always has one, an amount its unit),
so export → import → export is byte-identical. Reading is lenient where people are (a count written
``8.0`` by a spreadsheet is 8; blank, ``/``, ``-`` and ``—`` mean nothing and are read as 0 with a
warning) and strict where the format is (a unit where one is needed, an integer where it counts).
"""

from __future__ import annotations

import re
from decimal import Decimal

from xxgk import formats
from xxgk.data import paramfile
from xxgk.data.model import AMOUNT_UNITS, Amount, Value

# What real reports put in a cell that means "nothing": read as 0, with a warning (format-spec §7).
# The full-width forms are what a Chinese input method types for the same keys.
EMPTY_VALUES = frozenset({"", "/", "-", "—", "／", "－", "——"})

MAX_DIGITS = 15
"""The most digits a CSV number may have: a spreadsheet keeps 15 significant digits, so a longer
number cannot have come through one intact, and no count or sum of a report is that large. The
bound is checked on the text, before Python converts it (``int()`` refuses 4,300 digits with a
traceback; a number of 10**20 would be carried into every sum of the checks)."""

_DIGITS = re.compile(r"[+-]?(\d+)(?:\.(\d+))?\s*(?:" + "|".join(AMOUNT_UNITS) + r")?")
_INT = re.compile(r"[+-]?\d+")
_INTEGRAL = re.compile(r"[+-]?\d+\.0+")
_DECIMAL = re.compile(r"[+-]?\d+\.\d+")
_AMOUNT = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*(" + "|".join(AMOUNT_UNITS) + r")")


def value_text(v: Value) -> str:
    """A value as the CSV shows it; :func:`parse_value` reads it back as the same value and type.

    An int has no point and a Decimal always has one, so the type survives the trip. An amount's
    number drops a lone ``.0``: the data file writes every whole Decimal with ``.0``, so
    ``251000元`` and ``251000.0元`` are the same amount and both must export the same way.
    """
    if isinstance(v, Amount):
        number = format(v.value, "f")
        return number.removesuffix(".0") + v.unit
    if isinstance(v, Decimal):
        return paramfile.scalar(v)
    return str(v)


def parse_value(text: str, kind: formats.CellKind) -> tuple[Value, bool] | str:
    """A CSV value for a cell of ``kind``: (value, was_empty), or why it is not acceptable.

    Only the type is checked: a negative count stays a number for the rules to report (I3), and a
    count written as ``8.0`` (as spreadsheets and pandas write whole numbers) is read as 8.
    A whole number stays an int even in a 万元 column, and a decimal stays a Decimal with the
    digits written, so the data file says what the CSV said.
    """
    if text in EMPTY_VALUES:
        return (Amount(Decimal(0), AMOUNT_UNITS[0]) if kind == "amount" else 0), True
    number = _DIGITS.fullmatch(text)
    if number:
        digits = len(number.group(1)) + len(number.group(2) or "")
        if digits > MAX_DIGITS:
            return f"数字位数过多：共 {digits} 位，最多 {MAX_DIGITS} 位（电子表格也只保留 {MAX_DIGITS} 位有效数字）"
    if kind == "amount":
        m = _AMOUNT.fullmatch(text)
        if m:
            return Amount(Decimal(m.group(1)), m.group(2)), False
        if _INT.fullmatch(text) or _DECIMAL.fullmatch(text):
            return f"金额须写明单位 {' 或 '.join(AMOUNT_UNITS)}（如 251000元）"
        return f"应为带单位的金额（如 251000元、25.1万元），单位为 {' 或 '.join(AMOUNT_UNITS)}"
    if _INT.fullmatch(text):
        return int(text), False
    if kind == "wan":
        if _DECIMAL.fullmatch(text):
            return Decimal(text), False
        if text.endswith("万元"):
            return "本列单位已是万元，只填数字（如 12.5）"
        return "应为数字（万元，如 12.5）"
    if _INTEGRAL.fullmatch(text):
        return int(Decimal(text)), False
    if _DECIMAL.fullmatch(text):
        return "应为整数（件数）"
    return "应为整数"
