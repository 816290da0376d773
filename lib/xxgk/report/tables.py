"""The three official tables as HTML, laid out from the format's grids.

No table is written by hand and no label appears here: every header cell, its ``colspan`` and its
``rowspan`` come from :func:`xxgk.formats.grid.grid`, the one layout the Excel form and every
other output share, so a revised national format is rendered correctly by describing it.

Why not pandas ``Styler`` or a ``MultiIndex``: a header with empty sub-levels comes out as empty
cells instead of spans, and Styler adds random ids (design notes, "pitfalls"). The official layout
is also not a plain grid (table 二 restarts its header for every block), so it is built directly.

The output is deterministic (no ids, no random attributes) because reports are compared by bytes,
and escaped with markupsafe because the labels and values reach a browser and a PDF printer.
"""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import escape

from xxgk.data.model import AgencyYear, Tables, Value, show
from xxgk.formats import TABLE_IDS
from xxgk.formats.grid import Grid, GridCell, grid

__all__ = ["table_html"]


def _attrs(rowspan: int = 1, colspan: int = 1, cls: str = "", scope: str = "") -> str:
    out = ""
    if cls:
        out += f' class="{cls}"'
    if rowspan > 1:
        out += f' rowspan="{rowspan}"'
    if colspan > 1:
        out += f' colspan="{colspan}"'
    if scope:
        out += f' scope="{scope}"'
    return out


Marks = Mapping[tuple[str, str], tuple[str | None, str]]
"""(row key, column key) → (text to show instead of the value, or None; a tooltip): how a reviewer's
copy of a table shows what a source said and where (the audit), without a second table renderer."""


def _cell(c: GridCell, tables: Tables, marks: Marks) -> str:
    if c.spec is not None:
        value: Value = tables[c.spec.table][c.spec.row][c.spec.column]
        mark = marks.get((c.spec.row, c.spec.column))
        if mark is None:
            return f"<td{_attrs(colspan=c.colspan, cls='num')}>{escape(show(value))}</td>"
        text, tip = mark
        cls = "num" if text is None else "num unread"
        shown = show(value) if text is None else text
        return f'<td{_attrs(colspan=c.colspan, cls=cls)} title="{escape(tip)}">{escape(shown)}</td>'
    cls = "corner" if c.role == "corner" else ""
    return f"<th{_attrs(c.rowspan, c.colspan, cls, c.scope)}>{escape(c.text)}</th>"


def _row(g: Grid, r: int, tables: Tables, marks: Marks) -> str:
    """One ``<tr>``; inside a body, table 二's block rows carry their kind for the stylesheet."""
    kind = g.row_kinds[r]
    cls = f' class="{kind}"' if r >= g.head_rows and kind != "data" else ""
    return f"<tr{cls}>" + "".join(_cell(c, tables, marks) for c in g.row(r)) + "</tr>"


def _colgroup(labels: int, values: int) -> str:
    """Column classes the stylesheet sizes (label columns wide, value columns narrow)."""
    cols = [("label", labels), ("value", values)]
    return "<colgroup>" + "".join(_col(cls, n) for cls, n in cols if n) + "</colgroup>"


def _col(cls: str, span: int) -> str:
    return f'<col class="{cls}"' + (f' span="{span}"' if span > 1 else "") + ">"


def table_html(ay: AgencyYear, table: str, marks: Marks | None = None) -> str:
    """The official table ``t2``, ``t3`` or ``t4`` of one agency-year, in its year's layout.

    Every cell is shown, zeros included (format-spec §7 recommends "0" over blanks). Value cells
    carry ``class="num"`` so the stylesheet right-aligns them. Table 二 has no table-wide header,
    so there is no ``<thead>`` to repeat on a new page (repeating the first block's header there
    would mislabel the others); each block is its own ``<tbody>`` so the stylesheet can keep a
    block on one page. ``marks`` (the audit's) gives cells a tooltip and, where the source
    held no number, the source's text in place of the value.
    """
    marks = marks or {}
    if table not in TABLE_IDS:
        raise ValueError(f"unknown table {table!r}; expected one of {', '.join(TABLE_IDS)}")
    g = grid(ay.format, table)
    parts = [f'<table class="official {table}">', _colgroup(g.label_cols, g.width - g.label_cols)]
    if g.head_rows:
        parts += ["<thead>", *(_row(g, r, ay.tables, marks) for r in range(g.head_rows)), "</thead>"]
    for body in g.bodies:
        parts += ["<tbody>", *(_row(g, r, ay.tables, marks) for r in body), "</tbody>"]
    parts.append("</table>")
    return "\n".join(parts) + "\n"
