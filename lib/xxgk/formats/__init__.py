"""The national format as data: one description per version, read from ``national.yaml``.

Every official label xxgk shows, checks against or parses lives in that file. This module turns
it into frozen, typed objects and answers the questions the rest of the package asks: which
version applies to a year, which cells a table has (in official order, with their labels), and
which identities hold. The header trees are kept as trees so the HTML renderer can derive its
spans from them instead of writing any table by hand.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

import yaml

CellKind = Literal["count", "signed", "wan", "amount"]
TableId = Literal["t2", "t3", "t4"]
TABLE_IDS: tuple[TableId, ...] = ("t2", "t3", "t4")
VERSION_IDS: tuple[str, ...] = ("2019", "2021")
SECTION_KEYS: tuple[str, ...] = ("overview", "t2", "t3", "t4", "problems", "other")
"""The six sections of a report, in order (their headings are each version's ``sections``)."""
NARRATIVE_KEYS: tuple[str, ...] = ("overview", "problems", "other")
"""Sections 一、五、六: the body's own text (``narrative:`` in a data file)."""


@dataclass(frozen=True)
class Header:
    """A node of a header tree: a label, a key if it names data, and children."""

    label: str
    key: str | None = None
    children: tuple[Header, ...] = ()
    figure: str | None = None
    """The named figure this node's cells add up to (an outcome of 表三, a group of 表四), if any."""

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def depth(self) -> int:
        """Levels below and including this node (a leaf has depth 1)."""
        return 1 + max((c.depth() for c in self.children), default=0)

    def leaves(self) -> Iterator[tuple[tuple[Header, ...], Header]]:
        """Each leaf with the chain of its ancestors below this node, in order."""
        for child in self.children:
            if child.is_leaf:
                yield (), child
            else:
                for chain, leaf in child.leaves():
                    yield (child, *chain), leaf

    def width(self) -> int:
        """How many leaves sit below this node: its span in the other direction."""
        return 1 if self.is_leaf else sum(c.width() for c in self.children)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: CellKind


@dataclass(frozen=True)
class Block:
    """One 第二十条 block of table 二: its own header row, value columns and rows."""

    label: str
    columns: tuple[Column, ...]
    rows: tuple[Header, ...]


@dataclass(frozen=True)
class CellSpec:
    """One value cell: its data address (table, row, column), kind and official labels.

    ``row_label`` and ``column_label`` are the forms the tidy CSV and every message use:
    a sub-row of table 三 is its group label and its own joined by ``/``, a column of table 四 is
    the path of labels from the top header row down.
    """

    table: TableId
    row: str
    column: str
    kind: CellKind
    row_label: str
    column_label: str
    table_title: str
    column_leaf: str

    @property
    def label(self) -> str:
        """How a message names the cell: table, row label, ``/``, column label."""
        row = f" {self.row_label} /" if self.row_label else ""
        return f"{self.table_title}{row} {self.column_label}"


@dataclass(frozen=True)
class Identity:
    """``Σ sign·parts == total`` along one axis of one table (format-spec §6)."""

    id: str
    table: TableId
    per: Literal["row", "column"]
    parts: tuple[tuple[int, str], ...]
    total: str
    computed: bool = False
    """The total is a plain sum (a 总计): forms compute it, imports recompute it from the parts."""


@dataclass(frozen=True)
class Sum:
    """One instance of an identity: the total cell and its signed parts, each as (row, column) keys."""

    identity: Identity
    total: tuple[str, str]
    parts: tuple[tuple[int, tuple[str, str]], ...]


@dataclass(frozen=True)
class FormatVersion:
    id: str
    name: str
    basis: str
    first_year: int
    last_year: int | None
    table_names: dict[str, str]
    sections: dict[str, str]
    t2_row_header: str
    t2_blocks: tuple[Block, ...]
    t3_corner: str
    t3_columns: Header
    t3_rows: Header
    t4_columns: Header
    identities: tuple[Identity, ...]
    cells: tuple[CellSpec, ...] = field(repr=False)

    @functools.cached_property
    def _by_address(self) -> dict[tuple[str, str, str], CellSpec]:
        return {(c.table, c.row, c.column): c for c in self.cells}

    @functools.cached_property
    def _by_label(self) -> dict[tuple[str, str, str], CellSpec]:
        return {(c.table, c.row_label, c.column_label): c for c in self.cells}

    def cell(self, table: str, row: str, column: str) -> CellSpec:
        return self._by_address[(table, row, column)]

    def cell_by_label(self, table: str, row_label: str, column_label: str) -> CellSpec | None:
        return self._by_label.get((table, row_label, column_label))

    def table_cells(self, table: str) -> tuple[CellSpec, ...]:
        return tuple(c for c in self.cells if c.table == table)

    @functools.cached_property
    def layout(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """table → row key → column keys, in official order: the shape a data file must have."""
        out: dict[str, dict[str, list[str]]] = {t: {} for t in TABLE_IDS}
        for c in self.cells:
            out[c.table].setdefault(c.row, []).append(c.column)
        return {t: {r: tuple(cs) for r, cs in rows.items()} for t, rows in out.items()}

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # One shared instance per version, also across processes: pickle the id, not the tree.
        return get, (self.id,)

    @functools.cached_property
    def outcomes(self) -> dict[str, tuple[Header, tuple[str, ...]]]:
        """Outcome name → its row of the results in table 三 and the data rows it sums, in official order."""
        return _figures(self.t3_rows)

    @functools.cached_property
    def t4_groups(self) -> dict[str, tuple[Header, tuple[str, ...]]]:
        """Figure name (review, litigation) → its header in table 四 and the groups (data rows) it sums."""
        return _figures(self.t4_columns, groups=True)

    def sums(self, ident: Identity) -> tuple[Sum, ...]:
        """Every instance of ``ident`` in this version: one per column (``per: column``) or per row/group."""
        rows = self.layout[ident.table]
        if ident.per == "column":
            return tuple(
                Sum(ident, (ident.total, col), tuple((sign, (r, col)) for sign, r in ident.parts))
                for col in rows[ident.total]
            )
        return tuple(
            Sum(ident, (row, ident.total), tuple((sign, (row, c)) for sign, c in ident.parts))
            for row, cols in rows.items()
            if ident.total in cols
        )

    @functools.cached_property
    def computed(self) -> dict[tuple[str, str, str], Sum]:
        """(table, row, column) → the sum a 总计 cell is (the first ``computed`` identity that names it)."""
        out: dict[tuple[str, str, str], Sum] = {}
        for ident in self.identities:
            if ident.computed:
                for s in self.sums(ident):
                    out.setdefault((ident.table, *s.total), s)
        return out

    @functools.cached_property
    def grids(self) -> dict[str, Any]:
        """The tables' grids, filled by :func:`xxgk.formats.grid.grid` (kept here: one per version object)."""
        return {}

    def table_title(self, table: str) -> str:
        return "表" + self.table_names[table]

    def covers(self, year: int) -> bool:
        return year >= self.first_year and (self.last_year is None or year <= self.last_year)


def _figures(root: Header, groups: bool = False) -> dict[str, tuple[Header, tuple[str, ...]]]:
    """Each node of a tree that names a figure, with the data keys below it: leaf keys for table 三's rows;
    for table 四's columns (``groups``) the keys of the column groups, which are its data rows."""
    out: dict[str, tuple[Header, tuple[str, ...]]] = {}

    def walk(node: Header) -> None:
        for child in node.children:
            if child.figure:
                if groups:
                    keys = (child.key,) if child.key else tuple(c.key for c in child.children if c.key)
                else:
                    keys = (child.key,) if child.key else tuple(leaf.key for _, leaf in child.leaves() if leaf.key)
                out[child.figure] = (child, keys)
            else:
                walk(child)

    walk(root)
    return out


def _splice(items: list[Any]) -> list[Any]:
    """Flatten lists nested in lists: YAML has no sequence merge, so the spec nests them."""
    out: list[Any] = []
    for item in items:
        out.extend(_splice(item) if isinstance(item, list) else [item])
    return out


def _header(node: dict[str, Any]) -> Header:
    children = tuple(_header(c) for c in _splice(node.get("children", [])))
    return Header(label=node.get("label", ""), key=node.get("key"), children=children, figure=node.get("figure"))


def _t3_row_label(chain: tuple[Header, ...], leaf: Header) -> str:
    # The outermost heading (三、本年度办理结果) is left out: the rest is unique and short.
    return "/".join(h.label for h in (*chain[1:], leaf))


def _cells(
    names: dict[str, str], t2: tuple[Block, ...], t3_rows: Header, t3_cols: Header, t4_cols: Header
) -> tuple[CellSpec, ...]:
    cells: list[CellSpec] = []
    t2t, t3t, t4t = ("表" + names[t] for t in TABLE_IDS)
    for block in t2:
        for row in block.rows:
            for col in block.columns:
                assert row.key
                cells.append(CellSpec("t2", row.key, col.key, col.kind, row.label, col.label, t2t, col.label))
    t3_leaves = [leaf for _, leaf in t3_cols.leaves()]
    for chain, t3_row in t3_rows.leaves():
        for t3_col in t3_leaves:
            assert t3_row.key and t3_col.key
            label = _t3_row_label(chain, t3_row)
            cells.append(CellSpec("t3", t3_row.key, t3_col.key, "count", label, t3_col.label, t3t, t3_col.label))
    for chain, t4_col in t4_cols.leaves():
        group = next(h for h in reversed(chain) if h.key)
        assert group.key and t4_col.key
        path = "/".join(h.label for h in (*chain, t4_col))
        cells.append(CellSpec("t4", group.key, t4_col.key, "count", "", path, t4t, t4_col.label))
    return tuple(cells)


def _identity(raw: dict[str, Any], cells: tuple[CellSpec, ...]) -> Identity:
    """Resolve ``-key`` (subtract) and ``prefix_*`` (every key with that prefix, in order)."""
    axis = [c.row if raw["per"] == "column" else c.column for c in cells if c.table == raw["table"]]
    keys = list(dict.fromkeys(axis))
    parts: list[tuple[int, str]] = []
    for p in raw["parts"]:
        sign, name = (-1, p[1:]) if p.startswith("-") else (1, p)
        matched = [k for k in keys if k.startswith(name[:-1])] if name.endswith("*") else [name]
        if not matched or any(m not in keys for m in matched):
            raise ValueError(f"identity {raw['id']}: {p!r} names no key of {raw['table']}")
        parts.extend((sign, m) for m in matched)
    return Identity(raw["id"], raw["table"], raw["per"], tuple(parts), raw["total"], bool(raw.get("computed")))


def _version(vid: str, raw: dict[str, Any]) -> FormatVersion:
    blocks = tuple(
        Block(
            label=b["label"],
            columns=tuple(Column(c["key"], c["label"], c["kind"]) for c in b["columns"]),
            rows=tuple(_header(r) for r in b["rows"]),
        )
        for b in raw["t2"]["blocks"]
    )
    t3_rows = _header(raw["t3"]["rows"])
    t3_cols = _header(raw["t3"]["columns"])
    t3_cols = Header(label=raw["t3"]["columns"]["title"], children=t3_cols.children)
    t4_cols = _header(raw["t4"]["columns"])
    first, last = raw["years"]
    cells = _cells(raw["tables"], blocks, t3_rows, t3_cols, t4_cols)
    return FormatVersion(
        id=vid,
        name=raw["name"],
        basis=raw["basis"],
        first_year=first,
        last_year=last,
        table_names=dict(raw["tables"]),
        sections=dict(raw["sections"]),
        t2_row_header=raw["t2"]["row_header"],
        t2_blocks=blocks,
        t3_corner=raw["t3"]["corner"],
        t3_columns=t3_cols,
        t3_rows=t3_rows,
        t4_columns=t4_cols,
        identities=tuple(_identity(i, cells) for i in _splice(raw["identities"])),
        cells=cells,
    )


@functools.cache
def _raw() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("national.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=yaml.CSafeLoader)


@functools.cache
def versions() -> dict[str, FormatVersion]:
    return {vid: _version(vid, v) for vid, v in _raw()["versions"].items()}


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Literal["error", "warning"]
    text: str
    stage: Literal["read", "check"] = "check"
    """``read``: raised while input is read (no check function); ``check``: a registered check."""


@functools.cache
def rules() -> dict[str, Rule]:
    """Every rule by stable id, with its severity and meaning (the contract of ``xxgk check``)."""
    return {rid: Rule(rid, r["severity"], r["text"], r.get("stage", "check")) for rid, r in _raw()["rules"].items()}


def identity_ids() -> tuple[str, ...]:
    """The rules that are sum identities, in any version (checked by one function, read from here)."""
    return tuple(dict.fromkeys(i.id for v in versions().values() for i in v.identities))


@dataclass(frozen=True)
class Phrase:
    """How a report states one figure, and the pattern rule I7 reads it back with."""

    figure: str
    says: str
    reads: re.Pattern[str]

    def say(self, n: int | str) -> str:
        return self.says.format(n=n)


@functools.cache
def phrases() -> dict[str, Phrase]:
    """Figure name → its phrase, in the order of the table in national.yaml."""
    return {p["figure"]: Phrase(p["figure"], p["says"], re.compile(p["reads"])) for p in _raw()["phrases"]}


def phrase(figure: str, n: int | str) -> str:
    """The words a summary writes for ``figure`` with value ``n`` (``新收政府信息公开申请12件``)."""
    return phrases()[figure].say(n)


@functools.cache
def levels() -> dict[str, bool]:
    """Administrative level → whether a body at that level can make 规章."""
    return {name: bool(v["makes_rules"]) for name, v in _raw()["levels"].items()}


@functools.cache
def heading_variants() -> dict[str, tuple[str, ...]]:
    """Section key → the titles published reports give it, without ordinals (the official one first)."""
    raw = _raw()["heading_variants"]
    sections = versions()[VERSION_IDS[-1]].sections
    return {key: tuple(dict.fromkeys((_NUMBERING.sub("", sections[key]), *raw.get(key, ())))) for key in SECTION_KEYS}


def get(version_id: str) -> FormatVersion:
    try:
        return versions()[version_id]
    except KeyError:
        raise KeyError(f"unknown format version {version_id!r}; known: {', '.join(versions())}") from None


LAST_REPORT_YEAR = 9999
"""The last year a data file can be named for: ``<YYYY>.yaml`` has four digits."""


def report_years() -> range:
    """Every report year xxgk accepts: from the first version's first year to :data:`LAST_REPORT_YEAR`."""
    return range(min(v.first_year for v in versions().values()), LAST_REPORT_YEAR + 1)


def check_report_year(year: int) -> None:
    """Refuse a report year no format version covers, with the one message every caller shows.

    ``xxgk new``, ``import``, ``render``, ``build --year`` and the reader of data files all ask
    here, so a year such as ``-5``, ``2018`` or ``99999`` is refused the same way wherever it is
    typed, before any file is named after it. Raises ValueError with a message for the user.
    """
    years = report_years()
    if year not in years:
        raise ValueError(
            f"报告年度 {year} 超出范围：应为 {years.start} 至 {years.stop - 1} 年"
            f"（国家格式自 {years.start} 年度起适用，数据文件名为四位年份）"
        )


def for_year(year: int) -> FormatVersion:
    """The version the national rules prescribe for a report year (by year, not publication date).

    Raises ValueError (the message of :func:`check_report_year`) for a year outside the range."""
    check_report_year(year)
    for v in versions().values():
        if v.covers(year):
            return v
    raise ValueError(f"no format version covers report year {year}")  # national.yaml leaves a gap


_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.)")
_NOTE = re.compile(r"（[^（）]*）$")


def short_label(label: str) -> str:
    """A label without its numbering and trailing note, for sentences and chart axes.

    ``（二）部分公开（区分处理的，…）`` becomes ``部分公开``: derived from the format rather than
    retyped, so charts and summaries keep the official wording. A label that is only a note is kept.
    """
    text = _NUMBERING.sub("", label)
    return _NOTE.sub("", text) or text
