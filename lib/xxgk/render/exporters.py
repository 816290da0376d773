"""nbconvert exporters for the report: the HTML a reader opens, and the PDF printed from it.

Both are ordinary nbconvert exporters (registered as entry points ``xxgk_html`` and ``xxgk_pdf``), so
``jupyter nbconvert --to xxgk_pdf outputs/<agency>/<year>/report.ipynb`` reproduces a report's PDF
from its executed notebook, and :mod:`xxgk.render` uses the very same classes in-process.

Why these choices:

* The HTML uses our template ``templates/xxgk``, which *extends* the stock ``lab`` template and only
  empties or replaces blocks (scripts, theme CSS), so nbconvert upgrades keep working.
* Before the template runs, :class:`ReportCells` removes everything that is not the report: code,
  the parameter cells, the template's note, the record cell (tagged ``xxgk-record``: the numbers as
  DataFrames, for a reviewer of the executed notebook), stream output, and cells left without
  output. An empty cell would otherwise leave a blank band (``exclude_input`` keeps its wrapper).
* ``language_code="zh"`` and explicitly named Noto CJK **SC** faces: with ``lang="en"`` and generic
  families, browsers and WeasyPrint draw Chinese with the Japanese glyph forms.
* The page must load nothing: :func:`check_self_contained` refuses HTML with a script or any
  external resource, and WeasyPrint gets a URL fetcher that only accepts ``data:`` URLs.
* The PDF is printed by WeasyPrint from that same HTML (no browser: Chromium via WebPDF costs 3 s,
  prints US Letter and cannot use Debian's build). WeasyPrint 70 writes no date unless the HTML
  asks for one, and we pin the PDF ``/ID`` to the document's identity, so equal HTML gives equal bytes.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from typing import Any

from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Set, Unicode, default
from traitlets.config import Config

from xxgk.render import templates

TEMPLATE_NAME = "xxgk"
RECORD_TAG = "xxgk-record"
"""The template's record cell: DataFrames of the numbers behind the report, for the ``.ipynb`` only."""
REMOVE_TAGS = frozenset({"parameters", "injected-parameters", "template-note", RECORD_TAG, "remove-cell"})
# The outputs a reader may see; streams (warnings, prints) and errors belong to the notebook record.
SHOWN_OUTPUTS = ("display_data", "execute_result")


class ReportCells(Preprocessor):
    """Keep only what a reader sees: the rich outputs of code cells and untagged Markdown."""

    remove_tags = Set(set(REMOVE_TAGS), help="Cells with any of these tags are dropped.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        kept = []
        for cell in nb.cells:
            if self.remove_tags & set(cell.get("metadata", {}).get("tags", [])):
                continue
            if cell.cell_type == "raw":
                continue
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.get("outputs", []) if _shows_something(o)]
                if not cell.outputs:
                    continue
            elif cell.cell_type == "markdown" and not cell.source.strip():
                continue
            kept.append(cell)
        nb.cells = kept
        return nb, resources


def _shows_something(output: NotebookNode) -> bool:
    if output.get("output_type") not in SHOWN_OUTPUTS:
        return False
    data = output.get("data", {})
    if "text/html" in data:
        html = data["text/html"]
        return bool(("".join(html) if isinstance(html, list) else html).strip())
    return any(k.startswith("image/") for k in data)


class NotSelfContainedError(ValueError):
    """The report page would run a script or load something: a bug in a template or content function."""


_FORBIDDEN_TAGS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet", "link", "base"})
_URL_ATTRS = frozenset({"src", "srcset", "poster", "data", "background", "action", "formaction", "xlink:href"})
_CSS_URL = re.compile(r"""url\(\s*["']?\s*([^"')\s]*)|@import""", re.I)


class _Auditor(HTMLParser):
    """Collects every construct that would run code or fetch a resource (stdlib parser: exact, fast)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: set[str] = set()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FORBIDDEN_TAGS:
            self.problems.add(f"<{tag}> element")
        for name, value in attrs:
            value = (value or "").strip()
            if name.startswith("on"):
                self.problems.add(f"{name}= handler on <{tag}>")
            elif name in _URL_ATTRS and value and not value.startswith(("data:", "#")):
                self.problems.add(f"{name}={value[:80]!r} on <{tag}>")
            elif name == "href" and value.lower().replace(" ", "").startswith(("javascript:", "vbscript:")):
                self.problems.add(f"script link on <{tag}>")
            elif name == "href" and tag not in ("a", "area") and not value.startswith(("data:", "#")):
                self.problems.add(f"href={value[:80]!r} on <{tag}>")
            elif name == "style":
                self._css(value)
            elif tag == "meta" and name == "http-equiv":
                self.problems.add("<meta http-equiv>")
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data)

    def _css(self, css: str) -> None:
        for m in _CSS_URL.finditer(css):
            url = m.group(1)
            if url is None:
                self.problems.add("CSS @import")
            elif url and not url.startswith(("data:", "#")):
                self.problems.add(f"CSS url({url[:80]!r})")


def check_self_contained(html: str) -> None:
    """Refuse a page that could run code or load anything; the report must render identically offline.

    A check, not a sanitizer: narrative HTML is sanitized where it is made (``xxgk.narrative``);
    this is the last guard that nothing from any block or template slipped through. A link
    (``<a href>``) to a web page is allowed: it loads nothing until a reader follows it.
    """
    auditor = _Auditor()
    auditor.feed(html)
    auditor.close()
    if auditor.problems:
        raise NotSelfContainedError("report HTML is not self-contained: " + "; ".join(sorted(auditor.problems)))


class ReportHTMLExporter(HTMLExporter):
    """The report page: our template, no code, no prompts, no script, lang="zh"."""

    export_from_notebook = "xxgk report (HTML)"
    xxgk_artifact = "report.html"
    xxgk_label = "HTML"
    xxgk_stage = "html"
    xxgk_order = 10

    @default("template_name")
    def _template_name_default(self) -> str:
        return TEMPLATE_NAME

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self) -> list[str]:
        return [str(templates.nbconvert_dir())]

    @property
    def default_config(self) -> Config:
        c = Config(
            {
                "TemplateExporter": {
                    "exclude_input": True,
                    "exclude_input_prompt": True,
                    "exclude_output_prompt": True,
                },
                "HTMLExporter": {"exclude_anchor_links": True, "embed_images": True},
                # Code highlighting CSS for code nobody sees.
                "CSSHTMLHeaderPreprocessor": {"enabled": False},
                "HighlightMagicsPreprocessor": {"enabled": False},
            }
        )
        base = super().default_config.copy()
        base.merge(c)
        return base

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("language_code", "zh")
        super().__init__(**kw)
        self.register_preprocessor(ReportCells, enabled=True)

    def from_notebook_node(  # type: ignore[override]  # nbconvert's stub says NotebookNode; it is the page
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        html, resources = super().from_notebook_node(nb, resources, **kw)
        check_self_contained(html)
        return html, resources


def document_id(nb: NotebookNode) -> str | None:
    """The identity a PDF's ``/ID`` carries: the same report of the same body and year."""
    return nb.get("metadata", {}).get("xxgk", {}).get("document_id")


class ReportPDFExporter(ReportHTMLExporter):
    """The report page printed by WeasyPrint: A4, page numbers, subset-embedded CJK SC fonts."""

    export_from_notebook = "xxgk report (PDF)"
    xxgk_artifact = "report.pdf"
    xxgk_label = "PDF"
    xxgk_stage = "pdf"
    xxgk_order = 20

    pdf_identifier = Unicode(
        "", help="PDF /ID (first half); defaults to the notebook's metadata.xxgk.document_id."
    ).tag(config=True)

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self) -> str:
        return ".html.j2"  # the page template; the default would follow file_extension to .pdf.j2

    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[bytes, dict[str, Any]]:
        made = (resources or {}).get("xxgk", {})
        if isinstance(made.get("report.html"), str):  # the page this build already made: print it
            html, resources = made["report.html"], dict(resources or {})
        else:
            html, resources = super().from_notebook_node(nb, resources, **kw)
        identifier = self.pdf_identifier or made.get("document_id") or document_id(nb)
        resources["output_extension"] = ".pdf"
        return html_to_pdf(html, identifier=identifier), resources


def html_to_pdf(html: str, *, identifier: str | None = None) -> bytes:
    """Print report HTML to PDF bytes, deterministically, without touching the network.

    WeasyPrint 70 adds ``/CreationDate`` and ``/ModDate`` only from ``<meta name=dcterms.*>``
    (our template has none) and no ``/ID`` unless asked; with an identifier the ``/ID`` is that
    identifier plus an MD5 of the content, both stable. Fonts are subset, named by a hash of
    their description, so the bytes depend only on the HTML, WeasyPrint and the installed fonts.
    """
    import weasyprint

    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, media_type="print")
    options: dict[str, Any] = {"pdf_identifier": identifier.encode("utf-8") if identifier else False}
    return document.write_pdf(**options)


def notebook_to_html(nb: NotebookNode) -> str:
    """The report page of an executed notebook, through the build's own shared exporter."""
    from xxgk.render import outputs

    (html,) = (k for k in outputs.exporters() if k.artifact == ReportHTMLExporter.xxgk_artifact)
    return html.export(nb, {}).decode("utf-8")


_WARM_NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"title": "warm-up"},
    "cells": [
        {
            "cell_type": "code",
            "id": "warm",
            "metadata": {},
            "source": "",
            "execution_count": 1,
            "outputs": [
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"text/html": "<h1>年度报告</h1><p><b>报</b>告</p>"},
                }
            ],
        }
    ],
}


@functools.cache
def warm_up() -> None:
    """Compile the templates, load WeasyPrint and the CJK faces once per process.

    :mod:`xxgk.render` calls this on a thread while the kernel executes the notebook: in a cold
    process these loads take most of a second that would otherwise follow the execution.
    """
    import nbformat

    from xxgk.render import outputs

    made: dict[str, Any] = {}
    for kind in outputs.exporters():
        kind.export(nbformat.from_dict(_WARM_NOTEBOOK), made)
