"""Where everything sits in the Excel/WPS entry form: the one owner of the workbook's layout.

The writer puts each table's grid (:mod:`xxgk.formats.grid`) at a fixed place on its sheet, and
the reader looks for every label and value exactly there; both ask this module, so a form that
xxgk writes is always a form it can read, and a label or row that moved is found by comparing the
sheet with the same layout. Official labels come from the format; the few words here are the
form's own (sheet names that are not tables, the 正文 sheet's captions), written once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from xxgk.formats import TABLE_IDS, FormatVersion, Sum
from xxgk.formats.grid import Grid, GridCell, grid

FORM_VERSION = 1
"""The layout's version, recorded in every form: a reader refuses a form of a layout it does not know."""

TOP = 5
"""The sheet row of a table's first grid row (rows 1–3: heading, body and year, the live check)."""
LEFT = 1
NOTES_SHEET = "填报说明"
TEXT_SHEET = "正文"
META_SHEET = "_xxgk"
"""The hidden sheet that says what the workbook is (agency, year, format version, layout version)."""
FORM_MARK = "xxgk 政府信息公开工作年度报告填报表"

# The 正文 sheet: the narrative sections (一、五、六) and the facts the narrative cites.
TEXT_LABEL_COL = 1
TEXT_VALUE_COL = 2
TEXT_WIDTH = 8
"""Columns the long text cells span (B to I), so a paragraph has room and prints on A4."""
TEXT_FIRST_ROW = 4
PUBLISHED_LABEL = "发布日期"
PROACTIVE_LABEL = "主动公开政府信息条数（正文引用）"
CHANNELS_LABEL = ("发布渠道", "发布条数")
OTHER_LABEL = ("其他事实（键，供 {{ facts.other.键 }} 引用）", "值")
MIN_CHANNEL_ROWS = 8
MIN_OTHER_ROWS = 8

FILE_NAME = re.compile(r"(?P<agency>.+)-(?P<year>\d{4})(?:\s*\(\d+\)|\s*-\s*副本|\s*副本)?\.xlsx", re.IGNORECASE)
"""``<agency>-<year>.xlsx``, as ``xxgk form`` names a form; browsers and WPS add `` (1)`` or ``副本``."""


def form_name(agency_id: str, year: int) -> str:
    return f"{agency_id}-{year}.xlsx"


def ref(row: int, col: int) -> str:
    """``D12`` for sheet row 12, column 4 (1-based)."""
    return f"{get_column_letter(col)}{row}"


@dataclass(frozen=True)
class TableSheet:
    """One official table on its sheet: the grid placed at (:data:`TOP`, :data:`LEFT`)."""

    version: FormatVersion
    table: str
    grid: Grid

    @property
    def name(self) -> str:
        return self.version.table_title(self.table)

    @property
    def heading(self) -> str:
        return self.version.sections[self.table]

    def row(self, c: GridCell) -> int:
        return TOP + c.row

    def col(self, c: GridCell) -> int:
        return LEFT + c.col

    def ref(self, c: GridCell) -> str:
        return ref(self.row(c), self.col(c))

    def at(self, key: tuple[str, str]) -> str:
        """The cell reference of the value at (row key, column key)."""
        return self.ref(self.grid.by_address[key])

    @property
    def last_row(self) -> int:
        return TOP + self.grid.height - 1

    @property
    def check_row(self) -> int:
        """The sheet row of the identities that are checks, not sums (S1), below the table."""
        return self.last_row + 2

    def sums(self) -> list[Sum]:
        """Every identity instance of this table, in the format's order."""
        return [s for ident in self.version.identities if ident.table == self.table for s in self.version.sums(ident)]

    def computed(self, key: tuple[str, str]) -> Sum | None:
        return self.version.computed.get((self.table, *key))

    def expression(self, s: Sum) -> str:
        """The sum's parts as a formula expression (``D8+E8-F8``)."""
        out = ""
        for sign, key in s.parts:
            out += ("+" if sign > 0 else "-") + self.at(key)
        return out.removeprefix("+")


def table_sheets(version: FormatVersion) -> list[TableSheet]:
    return [TableSheet(version, t, grid(version, t)) for t in TABLE_IDS]


def sheet_names(version: FormatVersion) -> list[str]:
    """Every sheet of a form, in order (the hidden meta sheet last)."""
    return [NOTES_SHEET, *(s.name for s in table_sheets(version)), TEXT_SHEET, META_SHEET]


@dataclass(frozen=True)
class TextLayout:
    """Rows of the 正文 sheet for a form with ``channels`` and ``others`` rows of facts."""

    channels: int
    others: int

    def section_row(self, i: int) -> int:
        return TEXT_FIRST_ROW + i

    @property
    def published_row(self) -> int:
        return TEXT_FIRST_ROW + 4

    @property
    def proactive_row(self) -> int:
        return self.published_row + 1

    @property
    def channels_head(self) -> int:
        return self.proactive_row + 2

    def channel_rows(self) -> range:
        return range(self.channels_head + 1, self.channels_head + 1 + self.channels)

    @property
    def others_head(self) -> int:
        return self.channels_head + self.channels + 2

    def other_rows(self) -> range:
        return range(self.others_head + 1, self.others_head + 1 + self.others)
