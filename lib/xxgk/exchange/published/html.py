"""A report saved from a government portal (or a mirror of one) as a :class:`Document`.

A saved page is data, never a program: nothing it names is fetched (no stylesheet, picture, DTD or
entity), nothing it carries runs (scripts, frames, plug-ins and templates are dropped unread, and
so are comments and the content a page hides), and every limit of the parser stays on.

Finding the report in the page. A portal wraps one report in the site's chrome: menus, the
breadcrumb, a search box, a sidebar of 相关链接, share buttons, the footer with 网站标识码 and ICP
number. The reader takes, in this order:

1. **Chrome** is an element whose tag is ``nav``/``header``/``footer``/``aside``/``menu`` or whose
   class or id has a part such as ``nav``, ``menu``, ``footer``, ``breadcrumb``, ``share``,
   ``related``, ``sidebar``, ``header``, ``copyright`` — unless it holds one of the report's six
   headings or one of its tables (a CMS that calls its article box ``main-head`` must not lose it).
   Inside the report, short tool lines (``【打印本页】``, ``分享到``, ``当前位置：``) are dropped too.
2. **Signals** are the six headings (the format's section headings, in any of
   their usual variants, traditional characters and injected pinyin included) and the tables that
   carry the format's labels. The report is the smallest element holding all signals; when a known
   CMS container (``zoom``, ``TRS_Editor``, ``Custom_UnionStyle``, ``article``, ``content`` …)
   holds that element, the innermost such container is taken instead, since it is the CMS's own
   article box and also holds the preamble and the signature.
3. With no signal (a picture-only report, a page that is no report), the known container with
   the most CJK text is taken (the innermost of those that hold nearly all of it), else the
   body without its chrome.

Text is what a person reads: the inline pieces a CMS or Word split a paragraph into are joined,
``<br>`` starts a new paragraph (Word and flip-book pages break lines by hand), ``&nbsp;`` and
ideographic-space padding becomes one space, and a source line break between two CJK characters
disappears as it does in a browser (CSS Text §4.1.2). Tables are laid out as a browser lays them
out, so a cell's position accounts for the rowspans above it.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]

from xxgk import formats
from xxgk.data.diagnostics import InputError, problem
from xxgk.exchange.published.document import Block, Document, RawCell, RawTable, digest
from xxgk.formats.match import normalise, simplified

Element = Any
"""An lxml element (lxml publishes no type information)."""

MAX_BYTES = 50 * 1024 * 1024
"""A saved report page is well under a megabyte; a larger file is not a page to read whole."""
SPAN_CAP = 100
"""The largest rowspan/colspan honoured: the national tables span at most 26 rows, and a huge span
in a hostile page must not make the layout allocate millions of positions."""
LAYOUT_BUDGET = 2_000_000
"""The most grid positions one table may cover before it is refused as no report table."""

_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "svg",
    "math",
    "canvas",
    "audio",
    "video",
    "select",
    "button",
    "input",
    "textarea",
    "datalist",
)
"""Elements whose content is no text of the report: code, plug-ins, embedded pages, form controls."""
_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_HEADINGS = ("h1", "h2", "h3")
_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside", "menu"})
_CHROME_PARTS = frozenset(
    [
        "nav",
        "navbar",
        "navigation",
        "menu",
        "menus",
        "submenu",
        "topmenu",
        "footer",
        "foot",
        "breadcrumb",
        "breadcrumbs",
        "crumb",
        "crumbs",
        "bread",
        "share",
        "sharebox",
        "bdshare",
        "related",
        "relate",
        "xglj",
        "sidebar",
        "side",
        "aside",
        "header",
        "head",
        "topbar",
        "top",
        "toolbar",
        "tools",
        "tool",
        "copyright",
        "links",
        "friendlink",
        "flink",
        "position",
        "location",
        "dqwz",
        "banner",
        "search",
        "login",
        "qrcode",
        "ewm",
        "pager",
        "prevnext",
        "print",
    ]
)
_CHROME_PREFIXES = (
    "nav",
    "menu",
    "footer",
    "breadcrumb",
    "crumb",
    "share",
    "bdshare",
    "sidebar",
    "related",
    "copyright",
    "friendlink",
    "header",
)
_HEADER_PARTS = frozenset({"header", "head", "top", "topbar", "banner"})
"""Chrome words that may also name an article's own header (its title and date line): such an
element is still searched for the title and the publication date."""
_KNOWN = frozenset(
    [
        "zoom",
        "trs_editor",
        "custom_unionstyle",
        "article",
        "content",
        "main-content",
        "xxgk_content",
        "pages_content",
        "view",
        "trs_ueditor",
        "article-content",
        "articlecontent",
        "art_con",
        "ucap-content",
        "news_content",
        "fontzoom",
        "ozoom",
        "wzcon",
    ]
)
_TITLE_PARTS = frozenset({"title", "tit", "bt", "biaoti", "articletitle", "headline"})


def _section_pattern() -> re.Pattern[str]:
    """A section heading's start, in any wording of ``formats.heading_variants`` (compared normalised).

    Each variant counts by its first six characters, so a heading cut short or run on still counts.
    """
    starts = {normalise(v)[:6] for vs in formats.heading_variants().values() for v in vs}
    return re.compile(
        r"^[一二三四五六][、.](" + "|".join(re.escape(s) for s in sorted(starts, key=len, reverse=True)) + ")"
    )


def _table_words() -> tuple[str, ...]:
    """Words only a table of the format holds: its header labels, from ``formats`` (normalised)."""
    words: set[str] = set()
    for v in formats.versions().values():
        words.add(v.t2_row_header)
        words.update(b.label for b in v.t2_blocks)
        words.add(v.t3_columns.label)
        words.update(c.label for c in v.t3_columns.children[:1])
        words.update(c.label for c in v.t4_columns.children)
    return tuple(sorted(normalise(w) for w in words if w))


_SECTION = _section_pattern()
_TABLE_WORDS = _table_words()
_TOOL_LINE = re.compile(
    r"(打印本页|打印此页|关闭窗口|关闭本页|收藏本页|返回顶部|分享到|扫一扫|【\s*[大中小打关]|^字号|^字体"
    r"|^当前位置|^您现在的位置|^您的位置|^上一篇|^下一篇|^相关链接|^相关文章|^责任编辑|^浏览次数|^访问量"
    r"|^(发布日期|发布时间|发布于|发表时间|来源|日期|时间|阅读|点击数)\s*:)"
)
_TOOL_MAX = 60
"""A tool line is short; a longer paragraph mentioning 打印 is report text."""


def _is_tool_line(text: str) -> bool:
    """The CMS's own lines around an article (print and share links, the date and source line)."""
    return len(text) <= _TOOL_MAX and bool(_TOOL_LINE.search(simplified(unicodedata.normalize("NFKC", text))))


_WIDE = (
    "\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7a3"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
)
"""Characters East Asian Width calls wide: between two of them a source line break is no space."""
_SEGMENT_BREAK = re.compile(rf"(?<=[{_WIDE}])[ \t\r\f]*\n[ \t\r\n\f]*(?=[{_WIDE}])")
_SPACES = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_WIDE_CHAR = re.compile(rf"[{_WIDE}]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all", re.I)

_META_TITLE = ("articletitle",)
_META_DATES = (
    "pubdate",
    "publishdate",
    "firstpublishedtime",
    "publishtime",
    "publish_time",
    "pub_date",
    "article:published_time",
    "dc.date.issued",
)
_META_URLS = ("og:url", "url")
_DATE = r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})"
_DATE_IN_META = re.compile(_DATE)
_DATE_LINE = re.compile(
    rf"(?:(发布日期|发布时间|发表时间|公开日期|发文日期|发布于)\s*:?|(?<![\u4e00-\u9fff])(日期|时间)\s*:)\s*{_DATE}"
)
_DATE_LINES_WITHOUT_HEADINGS = 40
"""Where a page has no heading to stop at, how many of its first lines may hold the CMS date line."""
_TITLE_SEPARATORS = re.compile(r"\s*(?:[-_|｜—–]+)\s*")
_DECLARED = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.I)
_GB = frozenset({"gb2312", "gbk", "gb_2312-80", "gb_2312", "x-gbk", "cp936", "ms936", "csgb2312", "euc-cn", "gb18030"})
_MARKUP = re.compile(r"<\s*(?:!doctype|html|head|body|meta|title|div|p|table|span|br|h[1-6]|section|article)\b", re.I)
_MAGIC = (
    (b"%PDF", "这是 PDF 文件，不是网页；请用 PDF 的读取方式"),
    (b"PK\x03\x04", "这是压缩包或 Word（.docx）文件，不是网页"),
    (b"\xd0\xcf\x11\xe0", "这是旧版 Office（.doc/.xls）文件，不是网页"),
    (b"\x89PNG", "这是 PNG 图片，不是网页"),
    (b"\xff\xd8\xff", "这是 JPEG 图片，不是网页"),
    (b"GIF8", "这是 GIF 图片，不是网页"),
)


def read_html(path: Path) -> Document:
    """The report of a saved web page: its title, blocks in reading order, and what the page says
    about it (publication date, address). Raises :class:`InputError` for a file that is no page."""
    data = _read(path)
    text, notes = _decode(data, path)
    page = _parse(text, path)
    if any(True for _ in page.iter("script")):
        notes.append("页面中的脚本未执行")
    _drop_unsafe(page)
    head = _Head.of(page)
    body = page.find("body")
    if body is None:
        body = page
    try:
        return _read_body(path, body, head, notes)
    except RecursionError:
        raise InputError([problem(str(path), "网页的标记嵌套过深，无法读取")]) from None
    except _TableTooLarge:
        raise InputError(
            [problem(str(path), f"网页中的表格过大（超过 {LAYOUT_BUDGET} 个单元格位置），无法读取")]
        ) from None


def _read_body(path: Path, body: Element, head: _Head, notes: list[str]) -> Document:
    headings = [el for el in body.iter(*_BLOCK) if _is_heading(el)]
    report_tables = [el for el in body.iter("table") if not _is_layout(el) and _is_report_table(el)]
    signals = [*headings, *report_tables]
    protected = {a for s in signals for a in _ancestors(s, include_self=True)}
    chrome = [el for el in body.iter() if isinstance(el.tag, str) and el not in protected and _is_chrome(el)]
    chrome_set = set(chrome)
    root = _find_root(body, signals, chrome_set)
    title = head.title or _title_in_body(body, root, chrome_set) or head.page_title
    published, published_where = head.published, head.published_where
    if published is None:
        published, published_where = _date_in_header(body, chrome_set)
    for el in chrome:
        if el is not root and root in _ancestors(el) and el.getparent() is not None:
            el.drop_tree()
    walker = _Walker()
    walker.walk_children(root)
    walker.flush()
    if not walker.blocks:
        raise InputError([problem(str(path), "网页中没有找到正文：没有文字、表格或图片")])
    if walker.image_cells:
        notes.append("表格中有图片单元格")
    return Document(
        source=path,
        kind="html",
        sha256=digest(path),
        title=title,
        blocks=tuple(walker.blocks),
        published=published,
        published_where=published_where,
        url=head.url,
        notes=tuple(notes),
    )


# Bytes to a tree -----------------------------------------------------------------------------


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError([problem(str(path), f"文件过大（{size} 字节），不是一个报告网页")])
        data = path.read_bytes()
    except OSError as e:
        raise InputError([problem(str(path), f"无法读取文件：{e.strerror or e}")]) from None
    if not data.strip():
        raise InputError([problem(str(path), "文件是空的，不是网页")])
    for magic, reason in _MAGIC:
        if data.startswith(magic):
            raise InputError([problem(str(path), reason)])
    return data


def _codec(name: str | None) -> str | None:
    """A declared charset as a Python codec; GB2312 and GBK are read as GB18030, their superset,
    because pages declared GB2312 routinely use characters only GBK has (生僻字 in names)."""
    if not name:
        return None
    n = name.strip().lower()
    if n in _GB:
        return "gb18030"
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


def _decode(data: bytes, path: Path) -> tuple[str, list[str]]:
    """The page's text, and a note when the bytes were not in the encoding the page declares.

    Valid UTF-8 is taken as UTF-8 whatever the page declares: GBK text with Chinese characters is
    practically never valid UTF-8, while a page re-saved as UTF-8 often keeps its old GB2312
    declaration. Otherwise the declared encoding, then GB18030 (a page declared UTF-8 whose bytes
    are GBK still reads).
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), []
    if b"\x00" in data[:8192]:
        raise InputError([problem(str(path), "文件含有二进制内容，不是网页")])
    m = _DECLARED.search(data[:8192]) or _XML_DECLARED.search(data[:1024])
    declared = m.group(1).decode("ascii", errors="replace") if m else None
    codec = _codec(declared)
    notes: list[str] = []
    tried = ["utf-8"] + ([codec] if codec and codec != "utf-8" else []) + ["gb18030"]
    for name in dict.fromkeys(tried):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if declared and codec != name and not data.isascii():
            notes.append(f"页面声明的编码为 {declared}，实际按 {name.upper()} 读取")
        return text, notes
    name = codec or "gb18030"
    notes.append(f"页面中有不能按 {name.upper()} 解码的字节，已替换为“�”")
    return data.decode(name, errors="replace"), notes


def _parse(text: str, path: Path) -> Element:
    if not _MARKUP.search(text):
        raise InputError([problem(str(path), "文件中没有 HTML 标记，不是网页")])
    # The HTML parser never loads a DTD or an external entity; no_network and the default limits
    # (huge_tree off) keep it so for anything a page declares.
    parser = lxml.html.HTMLParser(
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        huge_tree=False,
        default_doctype=False,
        collect_ids=False,
    )
    try:
        page = lxml.html.document_fromstring(text.encode("utf-8", errors="replace"), parser=parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as e:
        raise InputError([problem(str(path), f"网页无法解析：{e}")]) from None
    if page is None:
        raise InputError([problem(str(path), "网页无法解析：没有内容")])
    return page


def _drop_unsafe(page: Element) -> None:
    """Remove what is code or hidden: the reader must see what a person sees, and never what a
    script would write (a mirror hides spam in ``display:none``; Word hides markup with ``mso-hide``)."""
    doomed = list(page.iter(*_DROP))
    doomed += [
        el
        for el in page.iter()
        if isinstance(el.tag, str)
        and el.tag not in ("html", "body", "head")
        and (el.get("hidden") is not None or _HIDDEN_STYLE.search(el.get("style") or ""))
    ]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()


# What the page says about itself ---------------------------------------------------------------


@dataclass(frozen=True)
class _Head:
    title: str = ""
    page_title: str = ""
    published: dt.date | None = None
    published_where: str = ""
    url: str = ""

    @staticmethod
    def of(page: Element) -> _Head:
        metas: dict[str, tuple[str, str]] = {}
        for m in page.iter("meta"):
            attr = next((a for a in ("name", "property", "itemprop") if m.get(a)), "")
            content = m.get("content")
            if attr and content and content.strip():
                metas.setdefault(m.get(attr).strip().lower(), (f'<meta {attr}="{m.get(attr).strip()}">', content))
        title = next((_squeeze(metas[k][1]) for k in _META_TITLE if k in metas), "")
        published: dt.date | None = None
        where = ""
        for k in _META_DATES:
            if k in metas and (d := _date(metas[k][1])):
                published, where = d, metas[k][0]
                break
        url = ""
        for link in page.iter("link"):
            if "canonical" in (link.get("rel") or "").lower().split() and (link.get("href") or "").strip():
                url = link.get("href").strip()
                break
        if not url:
            url = next((metas[k][1].strip() for k in _META_URLS if k in metas), "")
        t = page.find(".//title")
        return _Head(title, _page_title(_squeeze(t.text_content()) if t is not None else ""), published, where, url)


def _date(text: str) -> dt.date | None:
    m = _DATE_IN_META.search(unicodedata.normalize("NFKC", text))
    return _valid_date(m.group(1), m.group(2), m.group(3)) if m else None


def _valid_date(y: str, m: str, d: str) -> dt.date | None:
    try:
        date = dt.date(int(y), int(m), int(d))
    except ValueError:
        return None
    return date if 2000 <= date.year <= 2100 else None


def _page_title(text: str) -> str:
    """``<title>`` without the column and site names CMSs append (``标题_栏目_站点``, ``标题 - 站点``)."""
    parts = [p for p in _TITLE_SEPARATORS.split(text) if p]
    if len(parts) <= 1:
        return text
    return next((p for p in parts if "报告" in simplified(p)), parts[0])


def _title_in_body(body: Element, root: Element, chrome: set[Element]) -> str:
    """The first heading inside the report, else a 年度报告 line opening it, else the nearest heading
    above it; only text that names a 报告 counts, so the site's logo heading never becomes a title."""

    def candidate(el: Element) -> str:
        if not isinstance(el.tag, str) or _in_chrome(el, chrome, strong=True):
            return ""
        if el.tag not in _HEADINGS and not (_parts(el) & _TITLE_PARTS):
            return ""
        text = _squeeze(el.text_content())
        return text if 4 <= len(text) <= 150 and "报告" in simplified(text) and not _is_tool_line(text) else ""

    for el in root.iter():
        if t := candidate(el):
            return t
    opening = _Walker()
    opening.walk_children(root)
    opening.flush()
    for b in [b for b in opening.blocks if b.kind == "paragraph"][:5]:
        if "年度报告" in simplified(b.text) and len(b.text) <= 80:
            return b.text
    order = list(body.iter())
    index = {el: i for i, el in enumerate(order)}
    above = set(_ancestors(root))
    for el in reversed(order[max(0, index.get(root, 0) - 400) : index.get(root, 0)]):
        if el not in above and (t := candidate(el)):
            return t
    return ""


def _date_in_header(body: Element, chrome: set[Element]) -> tuple[dt.date | None, str]:
    """A labelled date line (``发布日期：2021-01-28``) above the report's first heading: only a
    label the CMS writes counts, so the date under the signature is never taken for it."""
    lines = _Walker(skip=lambda el: el in chrome and _is_strong_chrome(el))
    lines.cells_as_blocks = True
    lines.keep_tool_lines = True
    lines.walk_children(body)
    lines.flush()
    texts = [b.text for b in lines.blocks if b.kind == "paragraph"]
    stop = next((i for i, t in enumerate(texts) if _SECTION.match(normalise(t))), None)
    head = texts[:stop] if stop is not None else texts[:_DATE_LINES_WITHOUT_HEADINGS]
    joined = simplified(unicodedata.normalize("NFKC", "\n".join(head)))
    for m in _DATE_LINE.finditer(joined):
        if d := _valid_date(m.group(3), m.group(4), m.group(5)):
            return d, f"页面头部“{m.group(1) or m.group(2)}”"
    return None, ""


# Where the report is ---------------------------------------------------------------------------


def _ancestors(el: Element, include_self: bool = False) -> list[Element]:
    out = [el] if include_self else []
    p = el.getparent()
    while p is not None:
        out.append(p)
        p = p.getparent()
    return out


def _parts(el: Element) -> set[str]:
    """The words of an element's class and id: ``leftNav``, ``left-nav`` and ``left_nav`` all give ``nav``."""
    out: set[str] = set()
    for token in f"{el.get('class') or ''} {el.get('id') or ''}".split():
        out.add(token.lower())
        for part in re.split(r"[-_.:]+|(?<=[a-z])(?=[A-Z])", token):
            if part:
                out.add(part.lower())
    return out


def _chrome_words(el: Element) -> set[str]:
    return {p for p in _parts(el) if p in _CHROME_PARTS or p.startswith(_CHROME_PREFIXES)}


def _is_chrome(el: Element) -> bool:
    if el.tag in ("html", "body"):
        return False
    return el.tag in _CHROME_TAGS or bool(_chrome_words(el))


def _is_strong_chrome(el: Element) -> bool:
    """Chrome that can never hold the article's own title or date line (menus, sidebars, footers)."""
    if el.tag in ("nav", "footer", "aside", "menu"):
        return True
    words = _chrome_words(el)
    return bool(words - _HEADER_PARTS)


def _in_chrome(el: Element, chrome: set[Element], strong: bool = False) -> bool:
    return any(a in chrome and (not strong or _is_strong_chrome(a)) for a in _ancestors(el, include_self=True))


def _is_known(el: Element) -> bool:
    return isinstance(el.tag, str) and bool(
        {t.lower() for t in f"{el.get('class') or ''} {el.get('id') or ''}".split()} & _KNOWN
    )


def _short_text(el: Element, limit: int) -> str | None:
    """An element's text if it has at most ``limit`` characters, read only that far (a page's
    outer containers are never read whole just to learn they are long)."""
    out: list[str] = []
    n = 0
    for piece in el.itertext():
        n += len(piece)
        if n > limit:
            return None
        out.append(piece)
    return "".join(out)


def _is_heading(el: Element) -> bool:
    text = _short_text(el, 80)
    return text is not None and bool(_SECTION.match(normalise(text)))


def _is_report_table(el: Element) -> bool:
    text = normalise(el.text_content()[:20000])
    return any(w in text for w in _TABLE_WORDS)


def _cjk(el: Element) -> int:
    return len(_CJK.findall(el.text_content()))


def _common_ancestor(elements: list[Element]) -> Element:
    chains = [list(reversed(_ancestors(e, include_self=True))) for e in elements]
    common = chains[0][0]
    for level in zip(*chains, strict=False):
        if all(x is level[0] for x in level):
            common = level[0]
        else:
            break
    return common


def _find_root(body: Element, signals: list[Element], chrome: set[Element]) -> Element:
    known = [el for el in body.iter() if _is_known(el) and not _in_chrome(el, chrome)]
    if signals:
        lca = _common_ancestor(signals)
        if len(signals) == 1:
            lca = next((a for a in _ancestors(lca) if a.tag in ("div", "section", "article", "main", "td")), body)
        holding = [k for k in known if k is lca or k in _ancestors(lca)]
        if holding:
            return max(holding, key=lambda k: len(_ancestors(k)))
        return lca
    if known:
        most = max(_cjk(k) for k in known)
        if most > 0:
            nearly = [k for k in known if _cjk(k) >= 0.9 * most]
            return max(nearly, key=lambda k: len(_ancestors(k)))
    return body


# The blocks ------------------------------------------------------------------------------------


def _squeeze(raw: str) -> str:
    """Text as a browser shows it: no invisible characters, a source line break between CJK
    characters removed, every other run of white space (``&nbsp;``, U+3000 included) one space."""
    t = raw.translate(_INVISIBLE)
    t = _SEGMENT_BREAK.sub("", t)
    return _SPACES.sub(" ", t).strip()


def _join_cell(parts: Iterable[str]) -> str:
    """Paragraphs of one cell as one label: CJK meets CJK without a space (``三、本`` + ``年度办`` →
    ``三、本年度办``), anything else with one."""
    out = ""
    for p in parts:
        if not out:
            out = p
        elif _WIDE_CHAR.match(out[-1]) and _WIDE_CHAR.match(p[0]):
            out += p
        else:
            out += " " + p
    return out


def _span(value: str | None, *, row: bool) -> int:
    """A span as browsers parse it (leading digits; ``2px`` is 2); garbage is 1, and ``rowspan=0``
    (to the end of the row group) is 0 for the caller to resolve."""
    m = re.match(r"\s*\+?(\d{1,9})", value or "")
    if not m:
        return 1
    n = int(m.group(1))
    if n == 0:
        return 0 if row else 1
    return min(n, SPAN_CAP)


def _rows(table: Element) -> list[list[Element]]:
    """The row groups of a table in the order a browser draws them: ``<thead>`` first, ``<tfoot>``
    last, rows outside any group forming the body they stand in. Nested tables are not entered."""
    head: list[list[Element]] = []
    bodies: list[list[Element]] = []
    foot: list[list[Element]] = []
    loose: list[Element] = []
    for child in table:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "tr":
            loose.append(child)
            continue
        if loose:
            bodies.append(loose)
            loose = []
        if tag in ("thead", "tbody", "tfoot"):
            rows = [r for r in child if r.tag == "tr"]
            {"thead": head, "tbody": bodies, "tfoot": foot}[tag].append(rows)
    if loose:
        bodies.append(loose)
    return [g for g in (*head, *bodies, *foot) if g]


def _cells_of(row: Element) -> list[Element]:
    return [c for c in row if c.tag in ("td", "th")]


def _is_layout(table: Element) -> bool:
    """A table that arranges the page rather than holding data: one that holds a table, or one cell."""
    if table.find(".//table") is not None:
        return True
    return sum(len(_cells_of(r)) for g in _rows(table) for r in g) <= 1


class _TableTooLarge(Exception):
    """A table whose spans would cover more positions than :data:`LAYOUT_BUDGET`."""


@dataclass
class _Walker:
    """Turns an element's content into blocks in reading order (or, for a cell, into its paragraphs)."""

    skip: Callable[[Element], bool] | None = None
    cells_as_blocks: bool = False
    """Walk every table as layout (the header search reads a CMS's 发布日期 table as lines)."""
    keep_tool_lines: bool = False
    """Keep the CMS's own lines (the header search needs the 发布日期 line the report leaves out)."""
    blocks: list[Block] = field(default_factory=list)
    image_cells: bool = False
    _buf: list[str] = field(default_factory=list)
    _paragraphs: int = 0
    _tables: int = 0
    _images: int = 0
    _collect: list[str] | None = None
    _saw_image: bool = False

    def flush(self) -> None:
        if not self._buf:
            return
        text = _squeeze("".join(self._buf))
        self._buf.clear()
        if not text:
            return
        if self._collect is not None:
            self._collect.append(text)
        elif self.keep_tool_lines or not _is_tool_line(text):
            self._paragraphs += 1
            self.blocks.append(Block("paragraph", f"第{self._paragraphs}段", text))

    def _text(self, text: str | None, pre: bool) -> None:
        if not text:
            return
        if not pre:
            self._buf.append(text)
            return
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if i:
                self.flush()
            self._buf.append(line)

    def walk_children(self, el: Element, pre: bool = False) -> None:
        self._text(el.text, pre)
        for child in el:
            if isinstance(child.tag, str):
                self.walk(child, pre)
            self._text(child.tail, pre)

    def walk(self, el: Element, pre: bool = False) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if self.skip is not None and self.skip(el):
            return
        if tag == "br":
            self.flush()
            return
        if tag == "img":
            self.flush()
            self._image(el)
            return
        if tag == "table" and not self.cells_as_blocks and self._collect is None and not _is_layout(el):
            self.flush()
            self._table(el)
            return
        block = tag in _BLOCK
        if block:
            self.flush()
        self.walk_children(el, pre or tag == "pre")
        if block:
            self.flush()

    def _image(self, el: Element) -> None:
        if self._collect is not None:
            self._saw_image = True
            return
        self._images += 1
        alt = _squeeze(el.get("alt") or el.get("title") or "")
        self.blocks.append(Block("image", f"第{self._images}张图片", alt))

    def _cell_text(self, cell: Element) -> tuple[str, bool]:
        sub = _Walker(skip=self.skip, _collect=[])
        sub.walk_children(cell)
        sub.flush()
        assert sub._collect is not None
        return _join_cell(sub._collect), sub._saw_image

    def _table(self, table: Element) -> None:
        for caption in table.iter("caption"):
            self.walk(caption)
        occupied: set[tuple[int, int]] = set()
        cells: list[RawCell] = []
        r = 0
        for group in _rows(table):
            end = r + len(group)
            for row in group:
                c = 0
                for cell in _cells_of(row):
                    while (r, c) in occupied:
                        c += 1
                    rowspan = _span(cell.get("rowspan"), row=True)
                    rowspan = end - r if rowspan == 0 else min(rowspan, end - r)
                    colspan = _span(cell.get("colspan"), row=False)
                    if len(occupied) + rowspan * colspan > LAYOUT_BUDGET:
                        raise _TableTooLarge
                    occupied.update((rr, cc) for rr in range(r, r + rowspan) for cc in range(c, c + colspan))
                    text, image = self._cell_text(cell)
                    image = image and not text
                    self.image_cells = self.image_cells or image
                    cells.append(RawCell(r, c, text, rowspan, colspan, image))
                    c += colspan
                r += 1
        if not cells:
            return
        self._tables += 1
        where = f"第{self._tables}个表格"
        self.blocks.append(Block("table", where, table=RawTable(tuple(cells), where)))
