"""A published table read into the format's cells, by matching its labels to the official grid.

Published tables are the official layout redrawn by hand in a CMS or a word processor: rows are
added (provincial extras such as 其他主动公开文件), labels are cut short or annotated, the header
cells are merged differently, a block of table 二 may be missing. So the reader does not compare
shapes. It walks the source grid row by row, as a person reads it: rows without numbers are
headers, and each column's header path (the texts above it, top to bottom) is kept until the next
header; a row with numbers is a data row, named by its label cells. A value cell is the official
cell whose row label and column header path match, both compared by :mod:`xxgk.formats.match`,
and where the paths are ambiguous by the labels above them in the official grid
(:mod:`xxgk.formats.grid`: three columns of table 四 share one leaf label). When a row's headers
cannot be matched but it has exactly as many value cells as the official row, they are taken in
order. Everything read keeps the place it was read from, for the reviewer and for provenance.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from xxgk import formats
from xxgk.exchange.published.cells import CellText, read_cell
from xxgk.exchange.published.document import RawCell, RawTable
from xxgk.formats import CellSpec, FormatVersion, TableId
from xxgk.formats.grid import Grid, GridCell, grid
from xxgk.formats.match import Match, match, normalise

_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\d+[.．、]|[(（]\d+[)）])")
_UNIT_IN_HEAD = re.compile(r"(万元|元)")


@dataclass(frozen=True)
class Official:
    """One value cell of the official grid with the labels a reader sees around it."""

    spec: CellSpec
    row_path: tuple[str, ...]
    col_path: tuple[str, ...]


def officials(version: FormatVersion, table: TableId) -> tuple[Official, ...]:
    """Every value cell of ``table`` with its row labels (left to right) and column heads (top down)."""
    return _officials(version.id, table)


@functools.cache
def _officials(version_id: str, table: TableId) -> tuple[Official, ...]:
    g = grid(formats.get(version_id), table)
    out = []
    for cell in g.values():
        assert cell.spec is not None
        out.append(Official(cell.spec, _row_path(g, cell.row), _col_path(g, cell.row, cell.col)))
    return tuple(out)


def _covers(c: GridCell, r: int, k: int) -> bool:
    return c.row <= r < c.row + c.rowspan and c.col <= k < c.col + c.colspan


def _row_path(g: Grid, r: int) -> tuple[str, ...]:
    return tuple(c.text for c in g.cells if c.role == "label" and _covers(c, r, c.col) and c.row <= r)


def _col_path(g: Grid, r: int, k: int) -> tuple[str, ...]:
    body = next(b for b in g.bodies if r in b)
    top = body.start if g.head_rows == 0 else 0
    return tuple(
        c.text
        for c in g.cells
        if c.role == "head" and top <= c.row < r and c.col <= k < c.col + c.colspan and g.row_kinds[c.row] == "head"
    )


@dataclass(frozen=True)
class CellRead:
    """What one official cell of a published table says, and where the reader found it."""

    spec: CellSpec
    text: str
    read: CellText
    where: str
    recovered: bool = False


@dataclass(frozen=True)
class LabelNote:
    """A label that is not the official one: matched by similarity, or not in the format at all."""

    text: str
    where: str
    official: str = ""
    """The official label it was matched to (empty: not in the format, not read)."""


@dataclass
class TableRead:
    table: TableId
    version: FormatVersion
    where: str
    cells: dict[tuple[str, str], CellRead] = field(default_factory=dict)
    unknown: list[LabelNote] = field(default_factory=list)
    """Rows and columns that are not in the format (their cells are not read)."""
    near: list[LabelNote] = field(default_factory=list)
    """Labels matched only by similarity (the 2019 wording of a row in a 2021 table, a typo)."""
    conflicts: list[str] = field(default_factory=list)
    """Official cells the source shows twice (a repeated row), described for the reviewer."""

    @property
    def score(self) -> int:
        """How well this version and table explain the source: cells read, less what it could not place."""
        return len(self.cells) * 4 - len(self.unknown) * 3 - len(self.near)

    def missing(self) -> list[CellSpec]:
        """Official cells the source does not show at all."""
        return [o.spec for o in officials(self.version, self.table) if (o.spec.row, o.spec.column) not in self.cells]


def _is_label(cell: RawCell) -> bool:
    """A cell of words, not a value: a value is a number or one of the ways of writing nothing."""
    return not cell.image and _is_label_text(cell.text)


@functools.lru_cache(maxsize=65536)
def _is_label_text(text: str) -> bool:
    # Cached: identify() reads every table as each table of each version, asking this of every cell.
    return (
        bool(text.strip()) and read_cell(text, "signed").status == "bad" and read_cell(text, "amount").status == "bad"
    )


_read_cell = functools.lru_cache(maxsize=65536)(read_cell)
"""read_cell, cached: a value cell is read again under each table of each version (CellText is frozen)."""


def _distinct(row: Sequence[RawCell | None]) -> Iterator[tuple[int, RawCell]]:
    """The cells of one grid row left to right, each once, at the first column it covers in this row."""
    seen: set[int] = set()
    for k, c in enumerate(row):
        if c is not None and id(c) not in seen:
            seen.add(id(c))
            yield k, c


def _same(text: str, official: str) -> bool:
    return match(text, (official,)) is not None or _bare(text) == _bare(official) != ""


@functools.lru_cache(maxsize=8192)
def _bare(text: str) -> str:
    """A label without its ordinal (``1.`` ``（三）`` ``一、``): a misnumbered label still names its row."""
    return _ORDINAL.sub("", normalise(text))


def _pick(raw_path: Sequence[str], candidates: Sequence[tuple[str, ...]]) -> tuple[int, Match] | None:
    """The one official path whose last label matches the raw path's last, and whose other labels all
    appear in the raw path; or None when no path or more than one fits."""
    return _pick_cached(tuple(raw_path), tuple(candidates))


@functools.lru_cache(maxsize=65536)
def _pick_cached(raw_path: tuple[str, ...], candidates: tuple[tuple[str, ...], ...]) -> tuple[int, Match] | None:
    # Cached: every row and column head is picked again under each table of each version.
    if not raw_path:
        return None
    leaf = raw_path[-1]
    leaves = tuple(dict.fromkeys(p[-1] for p in candidates if p))
    m = match(leaf, leaves)
    if m is None:
        bare = {_bare(x): x for x in leaves}
        if _bare(leaf) in bare and len(bare) == len(leaves):
            m = Match(bare[_bare(leaf)], "close", 0.9)
    if m is None:
        return None
    fits = [
        i
        for i, p in enumerate(candidates)
        if p and p[-1] == m.label and all(any(_same(r, a) for r in raw_path[:-1]) for a in p[:-1])
    ]
    if not fits:
        # No path has all its group labels in the source: a part of a table after a page break
        # (its row groups' labels stayed on the page before). A leaf only one path has still names it.
        same_leaf = [i for i, p in enumerate(candidates) if p and p[-1] == m.label]
        return (same_leaf[0], m) if len(same_leaf) == 1 else None
    if len(fits) != 1:
        # Several fit: the raw path names more ancestors than some; prefer the most specific.
        depth = max(len(candidates[i]) for i in fits)
        fits = [i for i in fits if len(candidates[i]) == depth]
        if len(fits) != 1:
            return None
    return fits[0], m


def read_table(raw: RawTable, version: FormatVersion, table: TableId) -> TableRead:
    """Read ``raw`` as ``table`` of ``version``: the cells it shows, and the labels that did not fit."""
    return _read_table(raw, raw.matrix(), version, table)


@functools.cache
def _rows(version_id: str, table: TableId) -> tuple[dict[str, list[Official]], list[tuple[str, ...]], list[str]]:
    """The official cells by row, and each row's label path and key (in the grid's order)."""
    offs = _officials(version_id, table)
    rows: dict[str, list[Official]] = {}
    for o in offs:
        rows.setdefault(o.spec.row, []).append(o)
    row_paths = [o.row_path for o in offs if o.spec.column == rows[o.spec.row][0].spec.column]
    row_keys = [o.spec.row for o in offs if o.spec.column == rows[o.spec.row][0].spec.column]
    return rows, row_paths, row_keys


def _row_label(
    labels: list[tuple[int, RawCell]], values: list[tuple[int, RawCell]], row_paths: Sequence[tuple[str, ...]]
) -> tuple[tuple[int, Match] | None, list[str], list[tuple[int, RawCell]]]:
    """The official row a source row names, its label texts, and its value cells.

    The row label is the longest run of word cells from the left that names an official row; word
    cells right of it are values that are not numbers (``见附件``, ``约7``), read and reported as such,
    never taken for a header. Empty cells left of the label are a row group's span carried over a
    page break. A row with no number-like cell at all names no data (a header row, say).
    """
    for n in range(len(labels), 0, -1):
        got = _pick(tuple(c.text for _, c in labels[:n]), row_paths)
        if got is None:
            continue
        last = labels[n - 1][0]
        kept = [(k, c) for k, c in values if k > last or c.text.strip() or c.image]
        if not kept:
            break
        return got, [c.text for _, c in labels[:n]], sorted([*kept, *labels[n:]], key=lambda kc: kc[0])
    first_value = values[0][0] if values else 1 << 30
    return None, [c.text for k, c in labels if k < first_value], values


def _read_table(raw: RawTable, matrix: list[list[RawCell | None]], version: FormatVersion, table: TableId) -> TableRead:
    out = TableRead(table, version, raw.where)
    offs = officials(version, table)
    rows, row_paths, row_keys = _rows(version.id, table)
    heads: dict[int, list[str]] = {}
    last_data = False
    for line in matrix:
        cells = list(_distinct(line))
        if not cells:
            continue
        values: list[tuple[int, RawCell]] = []
        labels: list[tuple[int, RawCell]] = []
        for kc in cells:
            (labels if _is_label(kc[1]) else values).append(kc)
        picked, row_labels, values = _row_label(labels, values, row_paths) if table != "t4" else (None, [], values)
        names_row = picked is not None
        if not names_row and not any(c.text.strip() or c.image for _, c in values):
            # A header row (every non-empty cell is words): a new header starts after data rows.
            if last_data:
                heads = {}
            last_data = False
            for k, c in enumerate(line):
                if c is not None and _is_label(c):
                    path = heads.setdefault(k, [])
                    if not path or path[-1] != c.text:
                        path.append(c.text)
            continue
        last_data = True
        _read_row(raw, out, offs, rows, row_keys, row_labels, picked, values, heads, labels)
    return out


def _read_row(
    raw: RawTable,
    out: TableRead,
    offs: Sequence[Official],
    rows: dict[str, list[Official]],
    row_keys: list[str],
    row_labels: list[str],
    picked: tuple[int, Match] | None,
    values: list[tuple[int, RawCell]],
    heads: dict[int, list[str]],
    labels: list[tuple[int, RawCell]],
) -> None:
    if out.table == "t4":
        choices = list(offs)
    else:
        # ``picked``: _pick(row_labels, row_paths), already found by the caller for this row.
        if picked is None:
            if row_labels:
                out.unknown.append(LabelNote(row_labels[-1], raw.place(labels[0][1])))
            return
        i, how = picked
        if how.how == "close":
            out.near.append(LabelNote(row_labels[-1], raw.place(labels[0][1]), how.label))
        choices = rows[row_keys[i]]
    col_paths = [o.col_path for o in choices]
    placed: dict[int, Official] = {}
    for k, _ in values:
        head = heads.get(k, [])
        got = _pick(head, col_paths)
        if got is not None:
            placed[k] = choices[got[0]]
            if got[1].how == "close":
                out.near.append(LabelNote(head[-1], f"{raw.where}第{k + 1}列表头", got[1].label))
    if len(placed) < len(values) and len(values) == len(choices) and len(set(placed.values())) == len(placed):
        # Headers the reader could not match (a header row lost at a page break, a provincial variant):
        # as many values as the official row has cells, so they are taken in the official order.
        placed = {k: choices[n] for n, (k, _) in enumerate(values)}
    for k, c in values:
        o = placed.get(k)
        if o is None:
            head = heads.get(k, [])
            if head and (c.text.strip() or c.image):
                out.unknown.append(LabelNote("/".join(head), raw.place(c)))
            continue
        key = (o.spec.row, o.spec.column)
        hint = ""
        unit = _UNIT_IN_HEAD.search(normalise("".join(heads.get(k, []))))
        if unit:
            hint = unit.group(1)
        text = "" if c.image else c.text
        read = CellText("image") if c.image else _read_cell(text, o.spec.kind, hint)
        if key in out.cells:
            if out.cells[key].text != text:
                out.conflicts.append(
                    f"{o.spec.label}：{out.cells[key].where}为“{out.cells[key].text}”，{raw.place(c)}为“{text}”"
                )
            continue
        out.cells[key] = CellRead(o.spec, text, read, raw.place(c))


def identify(raw: RawTable, tables: Sequence[TableId] = formats.TABLE_IDS) -> TableRead | None:
    """The table and version that explain ``raw`` best (at least one cell read), among ``tables``.

    Versions tie on tables they share (table 四 is the same in both): the later version is tried
    first, so a tie goes to it, and the caller settles the version over all three tables.
    """
    return identify_all(raw, tables)[0]


def identify_all(
    raw: RawTable, tables: Sequence[TableId] = formats.TABLE_IDS
) -> tuple[TableRead | None, dict[tuple[str, TableId], TableRead]]:
    """:func:`identify`, with every read it made (by version id and table), for a caller that needs them."""
    best: TableRead | None = None
    reads: dict[tuple[str, TableId], TableRead] = {}
    matrix = raw.matrix()
    for vid in reversed(formats.VERSION_IDS):
        v = formats.get(vid)
        for t in tables:
            got = _read_table(raw, matrix, v, t)
            reads[(vid, t)] = got
            if got.cells and (best is None or got.score > best.score):
                best = got
    return best, reads
