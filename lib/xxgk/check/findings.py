"""How a check states what it found: a diagnostic naming the cell by its official labels.

A finding names the cell the identity would correct (the total side), in Chinese with the official
labels, e.g. ``表三 <row> / <column>：应为 805，实为 800（相差 5）``.
"""

from __future__ import annotations

from decimal import Decimal

from xxgk import formats
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import AgencyYear, Amount, Value, show
from xxgk.formats import CellSpec


def num(v: Value) -> Decimal:
    return v.value if isinstance(v, Amount) else Decimal(v)


def finding(
    rule: str,
    ay: AgencyYear,
    spec: CellSpec | None,
    message: str,
    expected: Decimal | int | None = None,
    found: Decimal | int | None = None,
    field: str = "",
) -> Diagnostic:
    return Diagnostic(
        rule=rule,
        severity=formats.rules()[rule].severity,
        message=message,
        file=str(ay.path),
        agency=ay.agency.id,
        year=ay.year,
        table=ay.format.table_names[spec.table] if spec else "",
        row=spec.row_label if spec else "",
        column=spec.column_label if spec else "",
        expected=None if expected is None else show(expected),
        found=None if found is None else show(found),
        field=field or (f"tables.{spec.table}.{spec.row}.{spec.column}" if spec else ""),
    )


def mismatch(rule: str, ay: AgencyYear, spec: CellSpec, expected: Decimal | int, found: Value) -> Diagnostic:
    f = num(found)
    diff = Decimal(expected) - f
    sign = "-" if diff < 0 else ""
    text = f"{spec.label}：应为 {show(expected)}，实为 {show(f)}（相差 {sign}{show(abs(diff))}）"
    return finding(rule, ay, spec, text, expected, f)
