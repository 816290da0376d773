"""A published report as a PDF, read from its text layer into :class:`Document`.

A PDF has no paragraphs and no tables, only glyphs at positions and the lines drawn between
them. So this reader rebuilds what a person sees: ruled tables from the cells pdfplumber finds
between the lines (a merged cell is one cell box spanning several columns of the grid that all
the boxes' edges define), lines of text from glyphs at one height, and paragraphs from lines by
the cues a typesetter leaves (a first-line indent, a heading number, a line that stops short).
Text laid out as a table but not ruled (a report printed from a plain-text CMS, or a table whose
rules are an image) is kept as ``lines``, so the table reader can try to recover its cells from
the label and digits of each line (domain-rules §5.2 pitfall 1) instead of reading prose.

A scanned report has no text layer: that is a note, not an error, since the audit can still say
"not assessable". A file that is no PDF, is encrypted or is broken is an :class:`InputError`.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfexceptions import PDFException
from pdfminer.psexceptions import PSException
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from xxgk.data.diagnostics import InputError, problem
from xxgk.exchange.published.document import Block, Document, RawCell, RawTable, digest
from xxgk.formats.match import SPACE, WIDE

NO_TEXT_LAYER = "PDF 没有文字层（扫描件），无法读取"
EDGE_TOLERANCE = 2.0
"""Points within which two cell edges are one grid line: WeasyPrint and Word draw borders of
0.5–1.5 pt, and adjacent boxes report their shared edge a fraction of a point apart."""
MARGIN_BAND = 0.08
"""The top and bottom share of a page where a lone page number is a running header or footer."""
IMAGE_MIN_WIDTH = 1 / 3
"""A picture narrower than this share of the page is a logo or a seal, not content (a table as an image)."""
MAX_GAP_LINES = 3
"""Other lines allowed between two table-like lines of one flattened table (wrapped labels, 跨行的分组标签)."""
MAX_TRAILING_LINES = 2
"""Short lines after the last table-like line that still belong to it (the end of a wrapped label)."""
MAX_HEADER_LINES = 6
"""Column-header lines that may precede the first table-like line of a flattened table."""

_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.．、](?!\d)|第[一二三四五六七八九十]+[章节部分])"
)
_SECTION = re.compile(r"^[一二三四五六七八九十]+、.*(?:情况|事项)$")
_PAGE_NUMBER = re.compile(r"^(?:[-—–－\s]*\d+[-—–－\s]*|第\s*\d+\s*页(?:\s*[，,]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
_NUMERIC_TAIL = re.compile(r"^(?P<label>.*?)(?P<nums>\d[\d\s,.]*)$")
_NUMBER = re.compile(r"^[+-]?[\d,]+(?:\.\d+)?$|^[/\\—–-]+$")
_SENTENCE_END = re.compile(r"[。！？；：:;]$")


@dataclass(frozen=True)
class _Glyph:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass
class _Table:
    """A ruled table found on a page, with the vertical extent and width it had there (for joining across pages)."""

    table: RawTable
    top: float
    bottom: float
    x0: float
    x1: float
    width: int


@dataclass
class _Page:
    number: int
    items: list[tuple[float, str, Any]] = field(default_factory=list)
    """(top, kind, payload) in reading order: ``line`` (a _Line), ``table`` (a _Table), ``image`` (None)."""
    has_text: bool = False
    undecodable: bool = False
    body_size: float = 0.0
    left: float = 0.0
    right: float = 0.0


def read_pdf(path: Path) -> Document:
    """The report in a PDF's text layer; a scanned PDF gives a document with no blocks and a note."""
    _check_header(path)
    try:
        with pdfplumber.open(path, raise_unicode_errors=False) as pdf:
            pages = []
            for n, page in enumerate(pdf.pages, start=1):
                pages.append(_read_page(page, n))
                page.close()  # frees the page's parsed objects: a 200-page report must not hold them all
    except InputError:
        raise
    except (PdfminerException, MalformedPDFException, PDFException, PSException) as exc:
        raise InputError([problem(str(path), _failure(exc))]) from exc
    except OSError as exc:
        raise InputError([problem(str(path), f"无法读取文件：{exc.strerror or exc}")]) from exc
    except Exception as exc:
        # pdfminer meets a broken file with whatever its parser trips on (KeyError, TypeError,
        # AssertionError …): for an untrusted file each of them means "broken", never a traceback.
        raise InputError([problem(str(path), _failure(exc))]) from exc
    notes: list[str] = []
    if not any(p.has_text for p in pages):
        return Document(source=path, kind="pdf", sha256=digest(path), title="", blocks=(), notes=(NO_TEXT_LAYER,))
    for p in pages:
        if not p.has_text:
            notes.append(f"第{p.number}页没有文字层（可能是扫描页），未读取其中的文字")
        if p.undecodable:
            notes.append(f"第{p.number}页的部分文字无法解码（字体缺少字符映射），读出的文字可能不全")
    joined = _join_tables_across_pages(pages, notes)
    blocks = _blocks(pages, joined)
    return Document(
        source=path,
        kind="pdf",
        sha256=digest(path),
        title=_title(pages[0]) if pages else "",
        blocks=tuple(blocks),
        notes=tuple(notes),
    )


def _check_header(path: Path) -> None:
    """A file that does not start as a PDF is refused before pdfminer reads it, with a message that says so."""
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except OSError as exc:
        raise InputError([problem(str(path), f"无法读取文件：{exc.strerror or exc}")]) from exc
    if b"%PDF-" not in head:
        raise InputError([problem(str(path), "不是 PDF 文件：文件开头没有 %PDF 标记，可能已损坏或扩展名有误")])


def _failure(exc: BaseException) -> str:
    cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
    if isinstance(cause, PDFPasswordIncorrect):
        return "PDF 文件设置了打开密码（已加密），无法读取；请提供未加密的文件"
    if isinstance(cause, PDFEncryptionError):
        return "PDF 文件已加密，无法读取；请提供未加密的文件"
    return f"PDF 文件已损坏，无法读取：{type(cause).__name__}"


def _is_cjk(ch: str) -> bool:
    return bool(WIDE.match(ch))


def _join(pieces: Iterable[str], *, either: bool = True) -> str:
    """Wrapped lines joined again: glued where the wrap falls in Chinese text, a space between other words.

    In running text a wrap next to any CJK character is only layout (``收到申请`` / ``12件`` is
    ``收到申请12件``, which the narrative's figures are read from). In a cell (``either=False``)
    only a wrap between two CJK characters is, since ``12`` / ``3`` there may be two numbers.
    """
    out = ""
    for piece in pieces:
        if not piece:
            continue
        if out:
            a, b = _is_cjk(out[-1]), _is_cjk(piece[0])
            if not ((a or b) if either else (a and b)):
                out += " "
        out += piece
    return out


def _glyphs(chars: Iterable[dict[str, Any]]) -> list[_Glyph]:
    return [
        _Glyph(
            text=str(c.get("text", "")),
            x0=float(c["x0"]),
            x1=float(c["x1"]),
            top=float(c["top"]),
            bottom=float(c["bottom"]),
            size=float(c.get("size") or (c["bottom"] - c["top"]) or 1.0),
        )
        for c in chars
    ]


def _lines(glyphs: Sequence[_Glyph]) -> list[_Line]:
    """Glyphs grouped into lines: a glyph whose vertical middle lies within a line's band belongs to it.

    Within a line a space is put where the gap exceeds a quarter of the font size, except next to
    a CJK character: justified Chinese text spreads characters apart and Word sets digits off from
    them by a quarter em, so there only a gap of a whole character (the columns of a flattened
    table) separates two words.
    """
    rows: list[list[_Glyph]] = []
    bands: list[tuple[float, float]] = []
    for g in sorted(glyphs, key=lambda g: (g.top, g.x0)):
        middle = (g.top + g.bottom) / 2
        if rows and bands[-1][0] <= middle <= bands[-1][1]:
            rows[-1].append(g)
            top, bottom = bands[-1]
            bands[-1] = (min(top, g.top), max(bottom, g.bottom))
        else:
            rows.append([g])
            bands.append((g.top, g.bottom))
    lines: list[_Line] = []
    for row in rows:
        row.sort(key=lambda g: g.x0)
        text = ""
        previous: _Glyph | None = None
        for g in row:
            if not g.text.strip():
                text += " "
                continue
            if previous is not None and text and not text.endswith(" "):
                gap = g.x0 - previous.x1
                cjk = _is_cjk(text[-1]) or _is_cjk(g.text[0])
                if gap > (1.0 if cjk else 0.25) * max(g.size, previous.size):
                    text += " "
            text += g.text
            previous = g
        text = SPACE.sub(" ", text).strip()
        visible = [g for g in row if g.text.strip()]
        if not text or not visible:
            continue
        lines.append(
            _Line(
                text=text,
                x0=min(g.x0 for g in visible),
                x1=max(g.x1 for g in visible),
                top=min(g.top for g in visible),
                bottom=max(g.bottom for g in visible),
                size=statistics.median(g.size for g in visible),
            )
        )
    return lines


def _clusters(values: Iterable[float]) -> list[float]:
    """Distinct edge positions, merging those within :data:`EDGE_TOLERANCE` of the previous one."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > EDGE_TOLERANCE:
            out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v))


def _inside(g: _Glyph, box: tuple[float, float, float, float]) -> bool:
    x = (g.x0 + g.x1) / 2
    y = (g.top + g.bottom) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _table(
    boxes: Sequence[tuple[float, float, float, float]],
    glyphs: Sequence[_Glyph],
    pictures: Sequence[tuple[float, float, float, float]],
    page: int,
    number: int,
) -> _Table | None:
    """A found table as a grid with spans, or None when its boxes are no table (a frame, a boxed paragraph).

    The grid's columns are the distinct x edges of all cell boxes and its rows the distinct y
    edges, so a box whose left and right edges are three grid lines apart spans two columns: the
    span of a merged cell is how many grid lines it crosses, whatever the row it sits in draws.
    """
    if not boxes:
        return None
    xs = _clusters(v for b in boxes for v in (b[0], b[2]))
    ys = _clusters(v for b in boxes for v in (b[1], b[3]))
    width, height = len(xs) - 1, len(ys) - 1
    if width < 2 or height < 1 or len(boxes) < 2:
        return None
    cells: list[RawCell] = []
    taken: set[tuple[int, int]] = set()
    for box in sorted(boxes, key=lambda b: (b[1], b[0])):
        r0, r1 = _index(ys, box[1]), _index(ys, box[3])
        c0, c1 = _index(xs, box[0]), _index(xs, box[2])
        if r1 <= r0 or c1 <= c0 or (r0, c0) in taken:
            continue
        taken.add((r0, c0))
        inside = [g for g in glyphs if _inside(g, box)]
        text = _join((line.text for line in _lines(inside)), either=False)
        image = not text and any(_centre_in(p, box) for p in pictures)
        cells.append(RawCell(row=r0, col=c0, text=text, rowspan=r1 - r0, colspan=c1 - c0, image=image))
    cells.sort(key=lambda c: (c.row, c.col))
    raw = RawTable(cells=tuple(cells), where=f"第{page}页第{number}个表格")
    return _Table(raw, top=ys[0], bottom=ys[-1], x0=xs[0], x1=xs[-1], width=width)


def _segments(
    cells: Sequence[tuple[float, float, float, float]], glyphs: Sequence[_Glyph]
) -> list[list[tuple[float, float, float, float]]]:
    """The cells of one found table split into the real tables it merged, cut at boxes that are no table row.

    A frame drawn around the body (a bordered or filled container, even an invisible white box)
    shares its edges with a table set flush inside it, so pdfplumber finds one "table" covering
    the page whose full-width boxes are the prose above, between and below the real tables. A box
    spanning the found table's whole width that holds several lines of text, or none, is such
    prose or padding: it is dropped, and the cells between two of them form one table each (a
    part left with a single column, like a boxed title, is no table and its text stays prose).
    """
    if not cells:
        return []
    left = min(c[0] for c in cells)
    right = max(c[2] for c in cells)
    cuts: list[tuple[float, float, float, float]] = []
    kept: list[tuple[float, float, float, float]] = []
    frames: list[tuple[float, float, float, float]] = []
    for c in cells:
        full = c[0] - left <= EDGE_TOLERANCE and right - c[2] <= EDGE_TOLERANCE
        if full and any(o is not c and _centre_in(o, c) for o in cells):
            frames.append(c)
        elif full and len(_lines([g for g in glyphs if _inside(g, c)])) != 1:
            cuts.append(c)
        else:
            kept.append(c)
    for frame in frames:
        kept.extend(_uncovered(frame, [c for c in kept if _centre_in(c, frame)]))
    if not cuts:
        return [list(cells)]
    parts: dict[int, list[tuple[float, float, float, float]]] = {}
    for c in kept:
        # Every cut spans the full width, so each other cell lies wholly above or below it.
        k = sum(cut[3] <= c[1] + EDGE_TOLERANCE for cut in cuts)
        parts.setdefault(k, []).append(c)
    return [parts[k] for k in sorted(parts)]


def _uncovered(
    frame: tuple[float, float, float, float], cells: Sequence[tuple[float, float, float, float]]
) -> list[tuple[float, float, float, float]]:
    """The cells a frame box stands for: per grid column, the stretch down to the cells' bottom that no cell covers.

    A cell spanning rows that a page break cuts has no bottom border on that page (WeasyPrint
    draws none), so pdfplumber finds no box for it, only the frame around the page that closes it.
    """
    if not cells:
        return []
    xs = _clusters([frame[0], frame[2], *(v for c in cells for v in (c[0], c[2]))])
    bottom = max(c[3] for c in cells)
    out: list[tuple[float, float, float, float]] = []
    for x0, x1 in itertools.pairwise(xs):
        middle = (x0 + x1) / 2
        covered = sorted((c[1], c[3]) for c in cells if c[0] <= middle <= c[2])
        y = frame[1]
        for top, end in [*covered, (bottom, bottom)]:
            if top - y > EDGE_TOLERANCE:
                out.append((x0, y, x1, top))
            y = max(y, end)
    return out


def _dedupe(chars: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The characters without the copies a PDF prints over them (fake bold: the same glyph again, offset by < 1 pt).

    pdfplumber's ``dedupe_chars`` does this too but costs a third of a page's reading time; a
    hash of rounded positions, checking the neighbouring buckets, finds the same copies.
    """
    seen: set[tuple[str, int, int]] = set()
    out: list[dict[str, Any]] = []
    for c in chars:
        text = str(c.get("text", ""))
        x, y = round(float(c["x0"])), round(float(c["top"]))
        if text.strip() and any((text, x + dx, y + dy) in seen for dx in (-1, 0, 1) for dy in (-1, 0, 1)):
            continue
        seen.add((text, x, y))
        out.append(c)
    return out


def _read_page(page: Any, number: int) -> _Page:
    out = _Page(number)
    chars = _dedupe(page.chars)
    glyphs = _glyphs(chars)
    visible = [g for g in glyphs if g.text.strip()]
    out.has_text = bool(visible)
    undecodable = sum(g.text.startswith("(cid:") for g in visible)
    out.undecodable = undecodable > 0 and undecodable * 5 > len(visible)
    width, height = float(page.width), float(page.height)
    pictures = [
        (float(i["x0"]), float(i["top"]), float(i["x1"]), float(i["bottom"]))
        for i in page.images
        if float(i["x1"]) > float(i["x0"]) and float(i["bottom"]) > float(i["top"])
    ]
    if not out.has_text:
        out.items.extend((box[1], "image", None) for box in pictures if _content_picture(box, width, height, False))
        return out
    upright = {id(g) for g, c in zip(glyphs, chars, strict=True) if c.get("upright", True)}
    tables: list[_Table] = []
    claimed: set[int] = set()
    for found in sorted(page.find_tables(), key=lambda t: (t.bbox[1], t.bbox[0])):
        for cells in _segments(found.cells, glyphs):
            box = (
                min(c[0] for c in cells),
                min(c[1] for c in cells),
                max(c[2] for c in cells),
                max(c[3] for c in cells),
            )
            inside = [g for g in glyphs if _inside(g, box)]
            pics = [b for b in pictures if _centre_in(b, box)]
            table = _table(cells, inside, pics, number, len(tables) + 1)
            if table is None:
                continue
            tables.append(table)
            claimed.update(id(g) for g in inside)
            out.items.append((table.top, "table", table))
    # Outside tables, a glyph set at an angle is a watermark or a stamp's text, not the report.
    free = [g for g in glyphs if id(g) not in claimed and id(g) in upright]
    lines = [
        line
        for line in _lines(free)
        if not (
            _PAGE_NUMBER.match(line.text)
            and (line.bottom < height * MARGIN_BAND or line.top > height * (1 - MARGIN_BAND))
        )
    ]
    out.items.extend((line.top, "line", line) for line in lines)
    in_tables = [(t.x0, t.top, t.x1, t.bottom) for t in tables]
    out.items.extend(
        (box[1], "image", None)
        for box in pictures
        if _content_picture(box, width, height, True) and not any(_centre_in(box, t) for t in in_tables)
    )
    out.items.sort(key=lambda item: item[0])
    # The body's size is that of the prose, not of the (often smaller) table text.
    sizes = Counter(round(g.size, 1) for g in free if g.text.strip()) or Counter(round(g.size, 1) for g in visible)
    out.body_size = sizes.most_common(1)[0][0]
    out.left, out.right = _margins(lines, width)
    return out


def _centre_in(box: tuple[float, float, float, float], outer: tuple[float, float, float, float]) -> bool:
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return outer[0] <= x <= outer[2] and outer[1] <= y <= outer[3]


def _content_picture(box: tuple[float, float, float, float], width: float, height: float, has_text: bool) -> bool:
    """Whether a picture is part of the report's content (a table or chart printed as an image).

    A narrow one is a logo or a seal. On a page with text, one covering nearly the whole page is
    its background or, in a searchable scan, the scan under the text layer already read.
    """
    w, h = box[2] - box[0], box[3] - box[1]
    if w < width * IMAGE_MIN_WIDTH:
        return False
    return not (has_text and w * h >= 0.8 * width * height)


def _margins(lines: Sequence[_Line], page_width: float) -> tuple[float, float]:
    """The page's usual left and right text edges: the outermost positions at least two lines share.

    Continuation lines of paragraphs start at the left margin and (justified) end at the right one,
    while first lines are indented and last lines stop short; a lone outlier (a URL running into
    the margin, a centred title) must not move the margin, so a position needs two lines.
    """
    if not lines:
        return 0.0, page_width
    lefts = Counter(round(line.x0) for line in lines)
    rights = Counter(round(line.x1) for line in lines)
    shared_left = [x for x, n in lefts.items() if n >= 2]
    shared_right = [x for x, n in rights.items() if n >= 2]
    left = float(min(shared_left)) if shared_left else min(line.x0 for line in lines)
    right = float(max(shared_right)) if shared_right else max(line.x1 for line in lines)
    return left, right


def _table_like(line: _Line) -> bool:
    """A label followed by a run of numbers: one row of a table that lost its cells.

    ``1.某项标签 0 0 0 0 0 0 0`` (three numbers or more) and ``1.某项标签0000000`` (five
    digits or more glued) are rows; three glued digits count only after a label with no sentence
    punctuation, since prose wraps after a year or a count (``截至2023``) and prose has commas.
    """
    m = _NUMERIC_TAIL.match(line.text)
    if m is None:
        return False
    numbers = m["nums"].split()
    digits = sum(ch.isdigit() for ch in m["nums"])
    label = m["label"]
    if len(numbers) >= 3 or digits >= 5:
        return len(label) <= 80
    return digits >= 3 and not re.search(r"[，。；,;]", label) and len(label) <= 40


def _is_break(line: _Line) -> bool:
    """A line no flattened table holds: a section heading or a line of prose."""
    return bool(_SECTION.match(line.text)) or "。" in line.text


def _regions(lines: Sequence[_Line]) -> list[tuple[int, int]]:
    """Index ranges [start, end) of the lines that form flattened tables, in order.

    A region runs from one table-like line to the next as long as at most :data:`MAX_GAP_LINES`
    other lines lie between (wrapped labels, ``跨行的分组标签``) and none is prose or a section
    heading; it also takes up to :data:`MAX_HEADER_LINES` column-header lines just above it.
    """
    marks = [_table_like(line) for line in lines]
    regions: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if not marks[i]:
            i += 1
            continue
        start, end = i, i + 1
        j = end
        while j < len(lines):
            if marks[j]:
                end = j + 1
            elif _is_break(lines[j]) or j - end >= MAX_GAP_LINES:
                break
            j += 1
        # A label wrapped below the row's numbers ("2.其他法律行政法规禁" / "止公开"): short, no prose.
        trailing = 0
        while (
            end < len(lines)
            and trailing < MAX_TRAILING_LINES
            and not _is_break(lines[end])
            and not re.search(r"[，,]", lines[end].text)
            and len(lines[end].text) <= 20
        ):
            end += 1
            trailing += 1
        floor = regions[-1][1] if regions else 0
        while (
            start > floor
            and i - start < MAX_HEADER_LINES
            and not _is_break(lines[start - 1])
            and not _HEADING.match(lines[start - 1].text)  # a sub-heading (（二）依申请公开) above the table
        ):
            start -= 1
        regions.append((start, end))
        i = end
    return regions


def _starts_paragraph(page: _Page, previous: _Line, line: _Line, gap: float) -> bool:
    """Whether ``line`` begins a new paragraph after ``previous`` on this page (see :func:`_paragraphs`)."""
    size = max(line.size, previous.size)
    if abs(line.size - previous.size) > 1.0:
        return True
    if gap > size * 0.8:
        return True
    if _HEADING.match(line.text):
        return True
    if line.size > page.body_size + 1.0 and _centred(page, line) and _centred(page, previous):
        # A title in a large font wraps centred: its lines are one title however short they are.
        return False
    if line.x0 > page.left + 0.8 * line.size:
        return True
    return previous.x1 < page.right - 2.0 * size


def _centred(page: _Page, line: _Line) -> bool:
    return abs((line.x0 + line.x1) / 2 - (page.left + page.right) / 2) < 2 * line.size


def _paragraphs(page: _Page, lines: Sequence[_Line]) -> list[list[_Line]]:
    """Consecutive lines joined into paragraphs.

    A line starts a paragraph when it is indented from the page's usual left margin, begins with
    a heading number (一、 （一） 1.), changes font size, follows an unusually wide vertical gap,
    or follows a line that stopped well short of the right margin. Otherwise it continues the
    paragraph it wrapped from.
    """
    out: list[list[_Line]] = []
    gaps = [b.top - a.bottom for a, b in itertools.pairwise(lines)]
    usual = statistics.median(gaps) if gaps else 0.0
    for k, line in enumerate(lines):
        if not out:
            out.append([line])
            continue
        previous = out[-1][-1]
        gap = gaps[k - 1] - usual
        if _starts_paragraph(page, previous, line, gap):
            out.append([line])
        else:
            out[-1].append(line)
    return out


def _header_like(table: RawTable) -> bool:
    """Whether a table's first row is a header: no cell of it holds a number or a not-applicable mark."""
    first = [c for c in table.cells if c.row == 0]
    return not any(_NUMBER.match(c.text.replace(" ", "")) for c in first if c.text)


def _drop_repeated_header(first: RawTable, second: RawTable) -> RawTable | None:
    """The continuation without the header rows it repeats from the first part, or None if it repeats none.

    WeasyPrint (and Word's "repeat header rows") prints a table's header again on each page; a
    continuation that starts with exactly the first part's top rows continues it.
    """
    rows = 0
    while True:
        a = sorted((c.col, c.text, c.colspan) for c in first.cells if c.row == rows)
        b = sorted((c.col, c.text, c.colspan) for c in second.cells if c.row == rows)
        if not a or a != b:
            break
        rows += 1
    if rows == 0 or any(c.row < rows < c.row + c.rowspan for c in second.cells):
        return None
    cells = tuple(replace(c, row=c.row - rows) for c in second.cells if c.row >= rows)
    return RawTable(cells=cells, where=second.where)


def _join_tables_across_pages(pages: Sequence[_Page], notes: list[str]) -> set[int]:
    """Join each table that a page break cut in two; return the ids of the continuation parts (now absorbed).

    Page P's last item must be a table and page P+1's first item a table with the same number of
    grid columns spanning the same width (within a few points). The second part continues the first
    when its first row is no header (it holds numbers) or when it begins by repeating the first
    part's header rows (dropped). A header of its own with other labels means a new table.
    """
    absorbed: set[int] = set()
    for page, following in itertools.pairwise(pages):
        if not page.items or not following.items:
            continue
        last, first = page.items[-1], following.items[0]
        if last[1] != "table" or first[1] != "table":
            continue
        a: _Table = last[2]
        b: _Table = first[2]
        if a.width != b.width or abs(a.x0 - b.x0) > 3 * EDGE_TOLERANCE or abs(a.x1 - b.x1) > 3 * EDGE_TOLERANCE:
            continue
        rest = _drop_repeated_header(a.table, b.table)
        if rest is None:
            if _header_like(b.table):
                continue
            rest = b.table
        height = max((c.row + c.rowspan for c in a.table.cells), default=0)
        # A cell spanning rows across the break goes on as an empty cell at the top of the next page.
        above = list(a.table.cells)
        moved: list[RawCell] = []
        for c in rest.cells:
            k = next(
                (
                    k
                    for k, o in enumerate(above)
                    if c.row == 0
                    and not c.text
                    and not c.image
                    and (o.col, o.colspan) == (c.col, c.colspan)
                    and o.row + o.rowspan == height
                ),
                None,
            )
            if k is None:
                moved.append(replace(c, row=c.row + height))
            else:
                above[k] = replace(above[k], rowspan=above[k].rowspan + c.rowspan)
        a.table = RawTable(cells=tuple(above) + tuple(moved), where=a.table.where)
        absorbed.add(id(b))
        notes.append(f"{a.table.where}跨页延续到第{following.number}页，已合并为一个表格（行号从表格开头连续计数）")
    return absorbed


def _blocks(pages: Sequence[_Page], absorbed: set[int]) -> list[Block]:
    """Every page's items as blocks in reading order, a paragraph cut by a page break joined again."""
    blocks: list[Block] = []
    open_paragraph = False
    """Whether the last block is a paragraph whose last line ran to the right margin without ending a sentence."""
    for page in pages:
        where = f"第{page.number}页"
        run: list[_Line] = []
        first_of_page = True

        def flush(run: list[_Line], page: _Page = page, where: str = where) -> None:
            nonlocal open_paragraph, first_of_page
            if not run:
                return
            pieces: list[tuple[str, list[_Line]]] = []
            cursor = 0
            for start, end in _regions(run):
                if start > cursor:
                    pieces.append(("paragraph", run[cursor:start]))
                pieces.append(("lines", run[start:end]))
                cursor = end
            if cursor < len(run):
                pieces.append(("paragraph", run[cursor:]))
            for kind, lines in pieces:
                if kind == "lines":
                    blocks.append(Block(kind="lines", where=where, text="\n".join(line.text for line in lines)))
                    open_paragraph = first_of_page = False
                    continue
                paragraphs = _paragraphs(page, lines)
                for k, paragraph in enumerate(paragraphs):
                    text = _join(line.text for line in paragraph)
                    head = paragraph[0]
                    continues = (
                        k == 0
                        and first_of_page
                        and open_paragraph
                        and not _HEADING.match(head.text)
                        and head.x0 <= page.left + 0.8 * head.size
                        and abs(head.size - page.body_size) <= 1.0
                    )
                    if continues and blocks and blocks[-1].kind == "paragraph":
                        blocks[-1] = replace(blocks[-1], text=_join([blocks[-1].text, text]))
                    else:
                        blocks.append(Block(kind="paragraph", where=where, text=text))
                    tail = paragraph[-1]
                    open_paragraph = tail.x1 >= page.right - 2.0 * tail.size and not _SENTENCE_END.search(tail.text)
                    first_of_page = False

        for _, kind, payload in page.items:
            if kind == "line":
                run.append(payload)
                continue
            flush(run)
            run = []
            open_paragraph = first_of_page = False
            if kind == "table":
                if id(payload) not in absorbed:
                    blocks.append(Block(kind="table", where=payload.table.where, table=payload.table))
            else:
                blocks.append(Block(kind="image", where=where))
        flush(run)
    return blocks


def _title(page: _Page) -> str:
    """The largest-font line(s) at the top of page 1, joined if the title wraps; else the line naming the 年度报告."""
    lines = [item[2] for item in page.items if item[1] == "line"]
    if not lines:
        return ""
    biggest = max(line.size for line in lines)
    start = next(k for k, line in enumerate(lines) if line.size >= biggest - 0.5)
    # A section heading is no title, however large (page 1 of an extract may start with one).
    if biggest > page.body_size + 1.0 and not _HEADING.match(lines[start].text):
        parts = [lines[start]]
        for line in lines[start + 1 :]:
            if line.size < biggest - 0.5 or line.top - parts[-1].bottom > line.size:
                break
            parts.append(line)
        return _join(line.text for line in parts)
    for line in lines[:5]:
        if "年度报告" in line.text:
            return line.text
    return ""
