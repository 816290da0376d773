"""A published report as its reader found it: the body's blocks in order, with where each came from.

Every reader (a saved web page, a Word file, a PDF's text layer) turns its source into this one
model, and everything after it (finding the six sections, reading the tables, the audit's rules)
reads only the model. So a pitfall of one medium is handled once, in its reader, and a rule never
asks which medium a report came in. Nothing here holds markup: text is the text a person reads,
joined across the elements a CMS split it into, and a table is a grid of such texts with spans.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Kind = Literal["html", "docx", "pdf"]
BlockKind = Literal["paragraph", "table", "image", "lines"]
"""``paragraph``: one paragraph of text (a heading is a paragraph too: headings are found by their
words, since Word-pasted pages mark them with bold spans, not ``<h2>``); ``table``: a table with
structure; ``image``: a picture (a table printed as an image is one); ``lines``: text that was
laid out as a table but reached us without its structure (a PDF's text layer), one line each."""


@dataclass(frozen=True)
class RawCell:
    """One cell of a source table at its top-left position, with its spans (HTML's, Word's)."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    image: bool = False
    """The cell holds a picture and no text (a number pasted as an image)."""


@dataclass(frozen=True)
class RawTable:
    cells: tuple[RawCell, ...]
    where: str
    """How a reviewer finds the table in the source: ``第2个表格``, ``第3页第1个表格``."""

    def matrix(self) -> list[list[RawCell | None]]:
        """The grid with every covered position pointing at the cell that spans it.

        Spans that run past the rows or columns other cells define are cut, and a position two
        cells claim keeps the first: published tables are often malformed, and a reader must
        still see the grid a browser would draw.
        """
        height = 0
        width = 0
        for c in self.cells:
            height = max(height, c.row + max(c.rowspan, 1))
            width = max(width, c.col + max(c.colspan, 1))
        grid: list[list[RawCell | None]] = [[None] * width for _ in range(height)]
        for c in self.cells:
            for r in range(c.row, c.row + max(c.rowspan, 1)):
                for k in range(c.col, c.col + max(c.colspan, 1)):
                    if grid[r][k] is None:
                        grid[r][k] = c
        return grid

    def place(self, cell: RawCell) -> str:
        """``第2个表格第5行第3列``: a cell's place, counted as a person counts (from 1)."""
        return f"{self.where}第{cell.row + 1}行第{cell.col + 1}列"


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    where: str
    """How a reviewer finds it: ``第12段``, ``第3页``, ``第2个表格``."""
    text: str = ""
    """The text of a paragraph, the alternative text of an image, the lines of ``lines`` joined by newlines."""
    table: RawTable | None = None


@dataclass(frozen=True)
class Document:
    """The report part of one source: title, body blocks in reading order, and what the page said about it."""

    source: Path
    kind: Kind
    sha256: str
    title: str
    blocks: tuple[Block, ...]
    published: dt.date | None = None
    """The publication date the page itself states (``<meta name="PubDate">``, the CMS header,
    a Word file's properties), which can differ from the date under the signature."""
    published_where: str = ""
    url: str = ""
    """Where the page says it lives (``<link rel=canonical>``, ``og:url``): never fetched, only judged."""
    notes: tuple[str, ...] = field(default=())
    """What the reader noticed and could not fix (a table given as an image, text it skipped)."""

    def paragraphs(self) -> Iterator[Block]:
        return (b for b in self.blocks if b.kind == "paragraph")

    def tables(self) -> Iterator[Block]:
        return (b for b in self.blocks if b.kind == "table")


def digest(path: Path) -> str:
    """The sha256 of a source file: what ``import-report`` records so a reviewer can match the file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
