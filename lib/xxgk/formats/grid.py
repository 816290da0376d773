"""The official tables as grids: where every header, label and value cell sits, and what it spans.

A table of the national format is not a plain matrix: table 二 restarts its header for every
第二十条 block, table 三 has a three-level column header and a three-level row header, table 四 a
column tree whose branches differ in depth. Every place that lays a table out (the HTML of the
report, the Excel form's sheets, the Word tables) and every place that reads one back (the form
importer, a published report's table) needs the same positions and spans. They are derived here,
once, from the header trees of :mod:`xxgk.formats`, so the layouts cannot drift apart and a
revised format is laid out by describing it, not by drawing it again in each output.

Coordinates are 0-based within the table: ``row`` down, ``col`` across. Each cell is listed once,
at its top-left position, with its spans; the positions a span covers hold no other cell.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from xxgk.formats import CellSpec, FormatVersion, Header, TableId

Role = Literal["corner", "group", "head", "label", "value"]
"""``corner``: table 三's top-left note; ``group``: a 第二十条 block's title row of table 二;
``head``: a column header; ``label``: a row header; ``value``: a data cell."""
Scope = Literal["col", "colgroup", "row", "rowgroup", ""]
RowKind = Literal["group", "head", "data"]


@dataclass(frozen=True)
class GridCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    role: Role
    text: str = ""
    """The official label (empty for a value cell)."""
    scope: Scope = ""
    """What a header cell heads, as HTML's ``scope`` and assistive readers name it."""
    spec: CellSpec | None = None
    """The data cell a value cell shows."""


@dataclass(frozen=True)
class Grid:
    table: TableId
    width: int
    head_rows: int
    """Rows at the top that head the whole table (none for table 二, whose blocks have their own)."""
    label_cols: int
    """Columns of row labels at the left."""
    row_kinds: tuple[RowKind, ...]
    bodies: tuple[range, ...]
    """Row ranges that belong together below the head (each block of table 二; the rest otherwise)."""
    cells: tuple[GridCell, ...]
    _by_row: dict[int, tuple[GridCell, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_row: dict[int, list[GridCell]] = {}
        for c in self.cells:
            by_row.setdefault(c.row, []).append(c)
        object.__setattr__(self, "_by_row", {r: tuple(cs) for r, cs in by_row.items()})

    @property
    def height(self) -> int:
        return len(self.row_kinds)

    def row(self, r: int) -> tuple[GridCell, ...]:
        """The cells that start in row ``r``, left to right."""
        return self._by_row.get(r, ())

    def values(self) -> Iterator[GridCell]:
        return (c for c in self.cells if c.role == "value")

    @functools.cached_property
    def by_address(self) -> dict[tuple[str, str], GridCell]:
        """(row key, column key) → the value cell that shows it."""
        return {(c.spec.row, c.spec.column): c for c in self.cells if c.spec is not None}


def _column_roots(tree: Header) -> tuple[Header, ...]:
    """The top of a column tree: the root itself when it has a label (table 三's applicants), else its children."""
    return (tree,) if tree.label else tree.children


def _column_head(roots: tuple[Header, ...], top: int, left: int) -> tuple[list[GridCell], int]:
    """Header cells of a column tree placed at (top, left): a group spans its leaves, a shallow leaf spans down."""
    depth = max(r.depth() for r in roots)
    cells: list[GridCell] = []
    col = left

    def walk(node: Header, level: int) -> None:
        nonlocal col
        if node.is_leaf:
            cells.append(GridCell(top + level, col, depth - level, 1, "head", node.label, "col"))
            col += 1
            return
        cells.append(GridCell(top + level, col, 1, node.width(), "head", node.label, "colgroup"))
        for child in node.children:
            walk(child, level + 1)

    for root in roots:
        walk(root, 0)
    return cells, depth


def _sorted(cells: list[GridCell]) -> tuple[GridCell, ...]:
    return tuple(sorted(cells, key=lambda c: (c.row, c.col)))


def _t2(v: FormatVersion) -> Grid:
    """Every block: its title across the table, its own header row, its rows; the last column spans the rest."""
    width = 1 + max(len(b.columns) for b in v.t2_blocks)
    cells: list[GridCell] = []
    kinds: list[RowKind] = []
    bodies: list[range] = []
    for block in v.t2_blocks:
        start = len(kinds)
        rest = width - len(block.columns)
        cells.append(GridCell(start, 0, 1, width, "group", block.label, "colgroup"))
        kinds.append("group")
        r = len(kinds)
        cells.append(GridCell(r, 0, 1, 1, "head", v.t2_row_header, "col"))
        for i, col in enumerate(block.columns):
            span = rest if i == len(block.columns) - 1 else 1
            cells.append(GridCell(r, 1 + i, 1, span, "head", col.label, "col"))
        kinds.append("head")
        for row in block.rows:
            assert row.key
            r = len(kinds)
            cells.append(GridCell(r, 0, 1, 1, "label", row.label, "row"))
            for i, col in enumerate(block.columns):
                span = rest if i == len(block.columns) - 1 else 1
                cells.append(GridCell(r, 1 + i, 1, span, "value", spec=v.cell("t2", row.key, col.key)))
            kinds.append("data")
        bodies.append(range(start, len(kinds)))
    return Grid("t2", width, 0, 1, tuple(kinds), tuple(bodies), _sorted(cells))


def _t3(v: FormatVersion) -> Grid:
    """Column tree on top with the corner note; row tree on the left: the transpose of the column head."""
    label_cols = v.t3_rows.depth() - 1
    head, depth = _column_head(_column_roots(v.t3_columns), 0, label_cols)
    cells = [GridCell(0, 0, depth, label_cols, "corner", v.t3_corner, ""), *head]
    leaves = [leaf for _, leaf in v.t3_columns.leaves()]
    opened: set[int] = set()
    r = depth
    for chain, leaf in v.t3_rows.leaves():
        assert leaf.key
        for level, node in enumerate(chain):
            if id(node) not in opened:
                opened.add(id(node))
                cells.append(GridCell(r, level, node.width(), 1, "label", node.label, "rowgroup"))
        cells.append(GridCell(r, len(chain), 1, label_cols - len(chain), "label", leaf.label, "row"))
        for i, col in enumerate(leaves):
            assert col.key
            cells.append(GridCell(r, label_cols + i, 1, 1, "value", spec=v.cell("t3", leaf.key, col.key)))
        r += 1
    head_kinds: list[RowKind] = ["head"] * depth
    data_kinds: list[RowKind] = ["data"] * (r - depth)
    kinds = (*head_kinds, *data_kinds)
    return Grid("t3", label_cols + len(leaves), depth, label_cols, kinds, (range(depth, r),), _sorted(cells))


def _t4(v: FormatVersion) -> Grid:
    """Column tree on top, one row of values; a value's data row is its nearest keyed ancestor (the group)."""
    head, depth = _column_head(_column_roots(v.t4_columns), 0, 0)
    cells = list(head)
    n = 0
    for chain, leaf in v.t4_columns.leaves():
        group = next(h for h in reversed(chain) if h.key)
        assert group.key and leaf.key
        cells.append(GridCell(depth, n, 1, 1, "value", spec=v.cell("t4", group.key, leaf.key)))
        n += 1
    head_kinds: list[RowKind] = ["head"] * depth
    kinds: tuple[RowKind, ...] = (*head_kinds, "data")
    return Grid("t4", n, depth, 0, kinds, (range(depth, depth + 1),), _sorted(cells))


_BUILDERS = {"t2": _t2, "t3": _t3, "t4": _t4}


def grid(version: FormatVersion, table: str) -> Grid:
    """The grid of ``table`` (``t2``, ``t3``, ``t4``) in ``version``'s official layout (made once per version)."""
    if table not in _BUILDERS:
        raise ValueError(f"unknown table {table!r}; expected one of {', '.join(_BUILDERS)}")
    grids = version.grids
    if table not in grids:
        grids[table] = _BUILDERS[table](version)
    return grids[table]
