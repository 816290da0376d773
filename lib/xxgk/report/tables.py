"""The three official tables as HTML, laid out from the format description.

No table is written by hand and no label appears here: every header cell, its ``colspan`` and its
``rowspan`` follow from the header trees of :mod:`xxgk.formats`, so a revised national format is
rendered correctly by adding its description, and the 2019 and 2021 layouts cannot drift apart.

Why not pandas ``Styler`` or a ``MultiIndex``: a header with empty sub-levels comes out as empty
cells instead of spans, and Styler adds random ids (design notes, "pitfalls"). The official layout
is also not a plain grid (table 二 restarts its header for every block), so it is built directly.

The output is deterministic (no ids, no random attributes) because reports are compared by bytes,
and escaped with markupsafe because the labels and values reach a browser and a PDF printer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from markupsafe import escape

from xxgk.data.model import AgencyYear, Value, show
from xxgk.formats import FormatVersion, Header

__all__ = ["table_html"]


@dataclass(frozen=True)
class _Cell:
    node: Header
    rowspan: int
    colspan: int


def _header_levels(roots: tuple[Header, ...]) -> list[list[_Cell]]:
    """Header cells level by level: a group spans its leaves, a leaf above the deepest level spans down."""
    depth = max(r.depth() for r in roots)
    levels: list[list[_Cell]] = [[] for _ in range(depth)]

    def walk(node: Header, level: int) -> None:
        if node.is_leaf:
            levels[level].append(_Cell(node, depth - level, 1))
            return
        levels[level].append(_Cell(node, 1, node.width()))
        for child in node.children:
            walk(child, level + 1)

    for root in roots:
        walk(root, 0)
    return levels


def _column_roots(tree: Header) -> tuple[Header, ...]:
    """The top of a column tree: the root itself when it has a label (table 三's applicants), else its children."""
    return (tree,) if tree.label else tree.children


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


def _th(text: str, rowspan: int = 1, colspan: int = 1, cls: str = "", scope: str = "") -> str:
    return f"<th{_attrs(rowspan, colspan, cls, scope)}>{escape(text)}</th>"


def _td(value: Value, colspan: int = 1) -> str:
    return f"<td{_attrs(colspan=colspan, cls='num')}>{escape(show(value))}</td>"


def _colgroup(labels: int, values: int) -> str:
    """Column classes the stylesheet sizes (label columns wide, value columns narrow)."""
    cols = [("label", labels), ("value", values)]
    return "<colgroup>" + "".join(_col(cls, n) for cls, n in cols if n) + "</colgroup>"


def _col(cls: str, span: int) -> str:
    return f'<col class="{cls}"' + (f' span="{span}"' if span > 1 else "") + ">"


def _column_header_rows(tree: Header, corner: str = "", corner_cols: int = 0) -> list[str]:
    rows: list[str] = []
    levels = _header_levels(_column_roots(tree))
    for i, level in enumerate(levels):
        cells = []
        if i == 0 and corner_cols:
            cells.append(_th(corner, len(levels), corner_cols, cls="corner"))
        for c in level:
            scope = "col" if c.node.is_leaf else "colgroup"
            cells.append(_th(c.node.label, c.rowspan, c.colspan, scope=scope))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return rows


def _row_headers(tree: Header) -> Iterator[tuple[Header, list[str]]]:
    """Each data row of a row tree with its header cells: the transpose of the column header.

    A group's cell opens on its first leaf's row and spans its leaves; a leaf above the deepest
    level spans the remaining label columns to its right.
    """
    label_cols = tree.depth() - 1
    opened: set[int] = set()
    for chain, leaf in tree.leaves():
        cells: list[str] = []
        for node in chain:
            if id(node) not in opened:
                opened.add(id(node))
                cells.append(_th(node.label, rowspan=node.width(), scope="rowgroup"))
        cells.append(_th(leaf.label, colspan=label_cols - len(chain), scope="row"))
        yield leaf, cells


def _table(name: str, colgroup: str, head: list[str], bodies: list[list[str]]) -> str:
    parts = [f'<table class="official {name}">', colgroup]
    if head:
        parts += ["<thead>", *head, "</thead>"]
    for body in bodies:
        parts += ["<tbody>", *body, "</tbody>"]
    parts.append("</table>")
    return "\n".join(parts) + "\n"


def _t2(ay: AgencyYear) -> str:
    """Table 二: one grid, every 第二十条 block opening with its group row and its own header row.

    There is no table-wide header in the official layout, so there is no ``<thead>`` to repeat on a
    new page (repeating the first block's header there would mislabel the others). Each block is its
    own ``<tbody>`` so the stylesheet can keep a block on one page.
    """
    fmt: FormatVersion = ay.format
    width = max(len(b.columns) for b in fmt.t2_blocks)
    data = ay.tables["t2"]
    bodies: list[list[str]] = []
    for block in fmt.t2_blocks:
        rest = width - len(block.columns) + 1
        rows = [f'<tr class="group">{_th(block.label, colspan=width + 1, scope="colgroup")}</tr>']
        heads = [_th(fmt.t2_row_header, scope="col")]
        for i, col in enumerate(block.columns):
            last = i == len(block.columns) - 1
            heads.append(_th(col.label, colspan=rest if last else 1, scope="col"))
        rows.append(f'<tr class="head">{"".join(heads)}</tr>')
        for row in block.rows:
            assert row.key
            cells = [_th(row.label, scope="row")]
            for i, col in enumerate(block.columns):
                last = i == len(block.columns) - 1
                cells.append(_td(data[row.key][col.key], colspan=rest if last else 1))
            rows.append(f"<tr>{''.join(cells)}</tr>")
        bodies.append(rows)
    return _table("t2", _colgroup(1, width), [], bodies)


def _t3(ay: AgencyYear) -> str:
    fmt = ay.format
    label_cols = fmt.t3_rows.depth() - 1
    leaves = [leaf for _, leaf in fmt.t3_columns.leaves()]
    head = _column_header_rows(fmt.t3_columns, fmt.t3_corner, label_cols)
    data = ay.tables["t3"]
    body = []
    for leaf, cells in _row_headers(fmt.t3_rows):
        assert leaf.key
        values = [_td(data[leaf.key][c.key or ""]) for c in leaves]
        body.append(f"<tr>{''.join(cells)}{''.join(values)}</tr>")
    return _table("t3", _colgroup(label_cols, len(leaves)), head, [body])


def _t4(ay: AgencyYear) -> str:
    """Table 四: header rows from the tree, one data row; the value's group is its nearest keyed ancestor."""
    tree = ay.format.t4_columns
    data = ay.tables["t4"]
    values = []
    for chain, leaf in tree.leaves():
        group = next(h for h in reversed(chain) if h.key)
        values.append(_td(data[group.key or ""][leaf.key or ""]))
    head = _column_header_rows(tree)
    return _table("t4", _colgroup(0, len(values)), head, [[f"<tr>{''.join(values)}</tr>"]])


_RENDERERS = {"t2": _t2, "t3": _t3, "t4": _t4}


def table_html(ay: AgencyYear, table: str) -> str:
    """The official table ``t2``, ``t3`` or ``t4`` of one agency-year, in its year's layout.

    Every cell is shown, zeros included (format-spec §7 recommends "0" over blanks). Value cells
    carry ``class="num"`` so the stylesheet right-aligns them.
    """
    try:
        render = _RENDERERS[table]
    except KeyError:
        raise ValueError(f"unknown table {table!r}; expected one of {', '.join(_RENDERERS)}") from None
    return render(ay)
