"""A published report saved as a Word file (``.docx``), read into :class:`Document`.

Word keeps what a reader needs in its XML, not in what python-docx exposes: ``doc.paragraphs``
and ``doc.tables`` lose the order between text and tables, and ``table.cell()`` repeats a merged
cell in every position it covers, so a reader cannot tell a merged header from three equal cells.
So this module walks the body XML itself: paragraphs and tables in document order, column spans
from ``w:gridSpan`` (and ``w:gridBefore`` for rows that start further right), row spans counted
from the ``w:vMerge`` continuation cells under each ``restart``. python-docx is used to open the
package (it knows the parts and relationships) and for the style names and core properties.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError

from xxgk.data.diagnostics import InputError, problem
from xxgk.exchange.published.document import Block, Document, RawCell, RawTable, digest
from xxgk.formats.match import SPACE, WIDE

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
V = "urn:schemas-microsoft-com:vml"
NS_O = "urn:schemas-microsoft-com:office:office"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
C = "http://schemas.openxmlformats.org/drawingml/2006/chart"

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
"""The header of an OLE compound file: an old binary ``.doc``, or a ``.docx`` encrypted with a password."""
OLE_SCAN = 16 << 20
"""How much of an OLE file to search for its stream names (they sit in directory sectors anywhere in it)."""
ALT_CHUNK_NOTE = "文档中嵌有外部格式的内容片段（altChunk，常见于系统导出的 HTML/RTF），其中的文字未读取"
"""Some CMS exports wrap the whole report as an HTML chunk Word renders on opening: none of it is in the body XML."""
TITLE_STYLES = {"title", "heading 1", "标题", "标题 1"}
TITLE_WINDOW = 5
"""How many paragraphs from the top the title may be: a cover line or an agency name may precede it."""


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def read_docx(path: Path) -> Document:
    """The report in a ``.docx`` file; a file Word would not open as ``.docx`` is an :class:`InputError`."""
    _check_container(path)
    try:
        doc = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
        # lxml's XMLSyntaxError is a SyntaxError: a part of the package is not well-formed XML.
        if isinstance(exc, SyntaxError):
            why = "其中的 XML 已损坏"
        elif isinstance(exc, KeyError):
            why = "缺少必需的部件（如样式或文档关系），文件不完整"
        else:
            why = "文件已损坏或不是 Word 文档"
        raise InputError(
            [problem(str(path), f"无法作为 Word（.docx）文件读取：{why}；请在 Word 或 WPS 中打开后另存为 .docx")]
        ) from exc
    styles = {s.style_id: (s.name or "") for s in doc.styles}
    walker = _Walker(styles)
    walker.container(doc.element.body)
    core_title = (doc.core_properties.title or "").strip()
    return Document(
        source=path,
        kind="docx",
        sha256=digest(path),
        title=walker.title() or _collapse(core_title),
        blocks=tuple(walker.blocks),
        notes=tuple(walker.notes),
    )


def _check_container(path: Path) -> None:
    """Refuse, with a message that says what to do, the files people commonly send in place of a ``.docx``."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
            ole = f.read(OLE_SCAN) if head == OLE_MAGIC else b""
    except OSError as exc:
        raise InputError([problem(str(path), f"无法读取文件：{exc.strerror or exc}")]) from exc
    if head == OLE_MAGIC:
        if "EncryptedPackage".encode("utf-16-le") in ole:
            message = "Word 文件设置了打开密码（已加密），无法读取；请去掉密码后另存为 .docx"
        elif "WordDocument".encode("utf-16-le") in ole:
            message = "这是旧版 Word 二进制文件（.doc），无法直接读取；请在 Word 中另存为 .docx 后再试"
        else:
            message = "这是旧版 Office 二进制文件（如 .doc、.xls），不是 .docx；若是 Word 文件，请另存为 .docx"
        raise InputError([problem(str(path), message)])
    if not zipfile.is_zipfile(path):
        raise InputError([problem(str(path), "不是 Word（.docx）文件：文件不是 zip 压缩包，可能已损坏或扩展名有误")])
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise InputError([problem(str(path), f"Word（.docx）文件已损坏，无法解压：{exc}")]) from exc
    if bad is not None:
        raise InputError([problem(str(path), f"Word（.docx）文件已损坏：压缩包中的 {bad} 校验失败")])
    if "word/document.xml" not in names:
        raise InputError([problem(str(path), "不是 Word（.docx）文件：压缩包中没有 word/document.xml")])


def _collapse(text: str) -> str:
    return SPACE.sub(" ", text).strip()


def join_pieces(pieces: list[str], *, either: bool = False) -> str:
    """Pieces of one label split across paragraphs: ``社会`` + ``公益组织`` is one word, ``12`` + ``3`` is not.

    Chinese has no spaces between words, so a break between two CJK characters was only layout;
    anywhere else the break separated two things a reader must still see apart. A title split
    over two lines (``either=True``) is glued wherever either side is CJK (``办公室`` + ``2023年``).
    """
    out = ""
    for piece in pieces:
        if not piece:
            continue
        if out:
            a, b = bool(WIDE.match(out[-1])), bool(WIDE.match(piece[0]))
            if not ((a or b) if either else (a and b)):
                out += " "
        out += piece
    return out


@dataclass
class _Cell:
    row: int
    col: int
    text: str
    colspan: int
    rowspan: int = 1
    image: bool = False


@dataclass
class _Walker:
    """Walks body XML once, collecting blocks; counts paragraphs and tables as a reviewer would find them."""

    styles: dict[str, str]
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    paragraphs: int = 0
    tables: int = 0
    heads: list[tuple[str, str, bool]] = field(default_factory=list)
    """The first paragraphs (text, style name, centred) up to the first table: where the title is."""
    seen_table: bool = False

    def container(self, element: Any) -> None:
        for child in _content(element):
            if child.tag == _w("p"):
                self.paragraph(child)
            elif child.tag == _w("tbl"):
                self.table(child)
            elif child.tag == _w("altChunk") and ALT_CHUNK_NOTE not in self.notes:
                self.notes.append(ALT_CHUNK_NOTE)

    def paragraph(self, p: Any) -> None:
        text = _paragraph_text(p)
        pictures = list(_pictures(p))
        if not text and not pictures:
            return
        self.paragraphs += 1
        where = f"第{self.paragraphs}段"
        if text:
            self.blocks.append(Block(kind="paragraph", where=where, text=text))
            if not self.seen_table and len(self.heads) < TITLE_WINDOW:
                self.heads.append((text, self._style(p), _centred(p)))
        for alt in pictures:
            self.blocks.append(Block(kind="image", where=where, text=alt))

    def table(self, tbl: Any) -> None:
        self.seen_table = True
        if any(True for tc in _cells_of(tbl) for _ in _nested_tables(tc)):
            # A table holding a table is page layout (a frame around the report): its cells are
            # the report's body, so their paragraphs and tables are read as if they stood alone.
            for tc in _cells_of(tbl):
                self.container(tc)
            return
        self.tables += 1
        self.blocks.append(Block(kind="table", where=f"第{self.tables}个表格", table=_raw_table(tbl, self.tables)))

    def _style(self, p: Any) -> str:
        style = p.find(f"{_w('pPr')}/{_w('pStyle')}")
        if style is None:
            return ""
        return self.styles.get(style.get(_w("val"), ""), "").lower()

    def title(self) -> str:
        """The title paragraph: styled Title/Heading 1, else the one naming the 年度报告, joined if it wraps.

        Word users often type the agency on one centred line and "2023年政府信息公开工作年度报告"
        on the next, or apply the Title style to both; either way both lines are the title.
        """
        for i, (text, style, centred) in enumerate(self.heads):
            if style in TITLE_STYLES or "年度报告" in text:
                parts = [text]
                for nxt, nstyle, _ in self.heads[i + 1 :]:
                    if style in TITLE_STYLES and nstyle == style:
                        parts.append(nxt)
                    else:
                        break
                if i > 0 and style not in TITLE_STYLES and centred and re.match(r"\d{4}\s*年", text):
                    before, _, bcentred = self.heads[i - 1]
                    if bcentred and len(before) <= 40 and not re.search(r"[。；：，]$", before):
                        parts.insert(0, before)
                return join_pieces(parts, either=True)
        return ""


def _content(element: Any) -> Iterator[Any]:
    """The block children of a body or cell, looking through content controls and custom-XML wrappers."""
    for child in element:
        if child.tag in (_w("sdt"),):
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from _content(content)
        elif child.tag == _w("customXml"):
            yield from _content(child)
        else:
            yield child


def _rows_of(tbl: Any) -> Iterator[Any]:
    for child in _content(tbl):
        if child.tag == _w("tr"):
            yield child


def _cells_in_row(tr: Any) -> Iterator[Any]:
    for child in _content(tr):
        if child.tag == _w("tc"):
            yield child


def _cells_of(tbl: Any) -> Iterator[Any]:
    for tr in _rows_of(tbl):
        yield from _cells_in_row(tr)


def _nested_tables(tc: Any) -> Iterator[Any]:
    for child in _content(tc):
        if child.tag == _w("tbl"):
            yield child


def _int_val(element: Any, default: int) -> int:
    if element is None:
        return default
    try:
        return max(int(element.get(_w("val"), default)), 0)
    except ValueError:
        return default


def _raw_table(tbl: Any, number: int) -> RawTable:
    """The table with true spans, computed from the grid Word stores.

    A row starts at column ``w:gridBefore``; each cell covers ``w:gridSpan`` grid columns. A cell
    with ``w:vMerge val=restart`` opens a vertical merge at its column, and each cell below it at
    the same column with a bare ``w:vMerge`` (or ``continue``) extends it by one row; a row with
    no continuation there closes it. The continuation cells are dropped: they hold nothing a
    person sees. The legacy ``w:hMerge`` does the same sideways. A continuation with nothing to
    continue (a malformed file) is kept as an ordinary cell, so no text is ever lost.
    """
    cells: list[_Cell] = []
    open_merges: dict[int, _Cell] = {}
    for r, tr in enumerate(_rows_of(tbl)):
        col = _int_val(tr.find(f"{_w('trPr')}/{_w('gridBefore')}"), 0)
        still_open: dict[int, _Cell] = {}
        previous: _Cell | None = None
        for tc in _cells_in_row(tr):
            pr = tc.find(_w("tcPr"))
            span = max(_int_val(None if pr is None else pr.find(_w("gridSpan")), 1), 1)
            vmerge = None if pr is None else pr.find(_w("vMerge"))
            hmerge = None if pr is None else pr.find(_w("hMerge"))
            if hmerge is not None and hmerge.get(_w("val"), "continue") == "continue" and previous is not None:
                previous.colspan += span
                col += span
                continue
            if vmerge is not None and vmerge.get(_w("val"), "continue") == "continue" and col in open_merges:
                above = open_merges[col]
                above.rowspan += 1
                still_open[col] = above
                col += span
                previous = None
                continue
            text, image = _cell_text(tc)
            cell = _Cell(row=r, col=col, text=text, colspan=span, image=image)
            cells.append(cell)
            if vmerge is not None and vmerge.get(_w("val")) == "restart":
                still_open[col] = cell
            previous = cell
            col += span
        open_merges = still_open
    return RawTable(
        cells=tuple(RawCell(c.row, c.col, c.text, c.rowspan, c.colspan, c.image) for c in cells),
        where=f"第{number}个表格",
    )


def _cell_text(tc: Any) -> tuple[str, bool]:
    """A cell's text with its paragraphs joined, and whether it holds only a picture (a number pasted as an image)."""
    texts: list[str] = []
    pictures = 0
    for child in _content(tc):
        if child.tag == _w("p"):
            texts.append(_paragraph_text(child))
            pictures += sum(1 for _ in _pictures(child))
    text = join_pieces(texts)
    return ("", True) if not text and pictures else (text, False)


_SKIPPED = {f"{{{MC}}}Fallback", _w("del"), _w("instrText"), _w("delText"), _w("rPr"), _w("pPr")}
_BREAKS = {_w("tab"), _w("br"), _w("cr"), _w("ptab")}


def _paragraph_text(p: Any) -> str:
    """A paragraph's visible text: every run's ``w:t`` in order, skipping what Word does not show.

    Deleted revisions and field codes are not text a reader sees; ``mc:Fallback`` repeats what
    ``mc:Choice`` already holds (a text box would be read twice). Tabs, breaks and the NBSP/
    full-width-space padding people use to align labels all become one space.
    """
    out: list[str] = []

    def walk(element: Any) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIPPED:
                continue
            if tag == _w("t"):
                out.append(child.text or "")
            elif tag == _w("p"):
                # A paragraph inside a text box: its own line of text, not glued to ours.
                out.append(" ")
                walk(child)
            elif tag in _BREAKS:
                out.append(" ")
            elif tag == _w("noBreakHyphen"):
                out.append("-")
            elif tag == _w("sym"):
                out.append(_symbol(child))
            else:
                walk(child)

    walk(p)
    return _collapse("".join(out))


def _symbol(sym: Any) -> str:
    try:
        code = int(sym.get(_w("char"), ""), 16)
    except ValueError:
        return ""
    # Symbol-font characters sit in the private-use area F0xx; their meaning depends on the font.
    return "" if 0xF000 <= code <= 0xF0FF else chr(code)


def _pictures(p: Any) -> Iterator[str]:
    """The alternative text of each picture in a paragraph (DrawingML, VML, or an embedded object's preview).

    A drawing that is only a text box or a line is no picture (its text is read as text); an
    embedded object (an Excel sheet pasted into Word) shows as its preview picture, so it counts
    once, as the object, however its preview is stored.
    """
    for element in p.iter(_w("drawing"), _w("pict"), _w("object")):
        ancestors = {a.tag for a in element.iterancestors()}
        if f"{{{MC}}}Fallback" in ancestors or _w("object") in ancestors:
            continue
        if element.tag == _w("drawing"):
            if element.find(f".//{{{A}}}blip") is None and element.find(f".//{{{C}}}chart") is None:
                continue
            pr = element.find(f".//{{{WP}}}docPr")
            alt = "" if pr is None else (pr.get("descr") or pr.get("title") or "")
        else:
            imagedata = element.find(f".//{{{V}}}imagedata")
            if imagedata is None and element.tag == _w("pict"):
                continue
            shape = element.find(f".//{{{V}}}shape")
            alt = (
                (shape.get("alt") if shape is not None else None)
                or (imagedata.get(f"{{{NS_O}}}title") if imagedata is not None else None)
                or ""
            )
        yield _collapse(alt)


def _centred(p: Any) -> bool:
    jc = p.find(f"{_w('pPr')}/{_w('jc')}")
    return jc is not None and jc.get(_w("val")) == "center"
