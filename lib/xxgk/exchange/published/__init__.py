"""Reports published without xxgk (saved pages, Word files, PDFs), read into xxgk's data.

One reader per medium makes a :class:`~.document.Document`; :mod:`.read` turns any document into
an agency-year with the place of every value and the findings of reading. ``xxgk audit`` checks
what was read; ``xxgk import-report`` writes it as a data file through the import plan.
"""

from __future__ import annotations

from pathlib import Path

from xxgk.data.diagnostics import InputError, problem
from xxgk.exchange.published.document import Document
from xxgk.exchange.published.read import Reading, read_document

__all__ = ["Document", "Reading", "read_file", "read_source"]


def read_file(path: Path) -> Document:
    """The document in ``path``, by its content (a Word file named .htm is still a Word file)."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as e:
        raise InputError([problem(str(path), f"无法读取：{e.strerror or e}")]) from None
    if head.startswith(b"%PDF"):
        from xxgk.exchange.published.pdf import read_pdf

        return read_pdf(path)
    if head.startswith(b"PK"):
        from xxgk.exchange.published.docx import read_docx

        return read_docx(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError([problem(str(path), "这是旧版 Word（.doc）文件，请在 Word 或 WPS 中另存为 .docx 后再审核")])
    from xxgk.exchange.published.html import read_html

    return read_html(path)


def read_source(path: Path, agency_id: str = "") -> Reading:
    return read_document(read_file(path), agency_id)
