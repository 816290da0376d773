"""Reading published reports from Word and PDF files: order, true spans, joined labels, and refusals.

Inputs are built here (python-docx for Word, WeasyPrint for PDF) in the shapes real reports take:
table 三's three-level header with merged cells, a label split over two paragraphs of a cell, a
number pasted as a picture, a table printed as text lines, a scanned page.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.table import Table

from xxgk.data.diagnostics import InputError
from xxgk.exchange.published.document import Block, Document, RawCell, RawTable
from xxgk.exchange.published.docx import read_docx
from xxgk.exchange.published.pdf import NO_TEXT_LAYER, read_pdf

TITLE = "某某市人民政府2023年政府信息公开工作年度报告"
CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANTS = ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]


def png(width: int = 4, height: int = 4) -> bytes:
    """A tiny valid PNG, built by hand so the tests need no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x80\x20\x20" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def cells_by_text(table: RawTable) -> dict[str, RawCell]:
    return {c.text: c for c in table.cells if c.text}


def spans(table: RawTable, text: str) -> tuple[int, int, int, int]:
    c = cells_by_text(table)[text]
    return c.row, c.col, c.rowspan, c.colspan


# ---------------------------------------------------------------------------------------------- Word


def t3_table(doc: docx.document.Document) -> Table:
    """Table 三's head and first rows as Word makes them when a person merges cells."""
    t = doc.add_table(rows=9, cols=10)
    t.style = "Table Grid"
    t.cell(0, 0).merge(t.cell(2, 2)).text = CORNER
    t.cell(0, 3).merge(t.cell(0, 9)).text = "申请人情况"
    t.cell(1, 3).merge(t.cell(2, 3)).text = "自然人"
    t.cell(1, 4).merge(t.cell(1, 8)).text = "法人或其他组织"
    t.cell(1, 9).merge(t.cell(2, 9)).text = "总计"
    for k, label in enumerate(APPLICANTS):
        if label == "社会公益组织":
            cell = t.cell(2, 4 + k)
            cell.text = "社会"
            cell.add_paragraph("公益组织")  # a label split across two paragraphs, as people type it
        else:
            t.cell(2, 4 + k).text = label
    t.cell(3, 0).merge(t.cell(3, 2)).text = "一、本年新收政府信息公开申请数量"
    t.cell(4, 0).merge(t.cell(4, 2)).text = "二、上年结转政府信息公开申请数量"
    t.cell(5, 0).merge(t.cell(8, 0)).text = "三、本年度办理结果"
    t.cell(5, 1).merge(t.cell(5, 2)).text = "（一）予以公开"
    t.cell(6, 1).merge(t.cell(6, 2)).text = "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    t.cell(7, 1).merge(t.cell(8, 1)).text = "（三）不予公开"
    t.cell(7, 2).text = "1.属于国家秘密"
    t.cell(8, 2).text = "2.其他法律行政法规禁止公开"
    for r in range(3, 9):
        for k in range(3, 10):
            t.cell(r, k).text = str(r + k)
    # A number pasted as a picture: the cell holds the picture and no text.
    pic = t.cell(4, 5)
    pic.text = ""
    pic.paragraphs[0].add_run().add_picture(io.BytesIO(png()))
    return t


def make_docx(path: Path) -> Path:
    doc = docx.Document()
    doc.add_heading(TITLE, level=0)
    doc.add_paragraph("一、总体情况")
    doc.add_paragraph("本年度，我市\t认真贯彻\u00a0\u00a0落实政务公开工作。")
    doc.add_paragraph("")  # empty paragraphs are dropped
    doc.add_paragraph("三、收到和处理政府信息公开申请情况")
    t3_table(doc)
    doc.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    doc.add_picture(io.BytesIO(png()))
    doc.element.body.findall(qn("w:p"))[-1].find(".//" + qn("wp:docPr")).set("descr", "行政复议情况统计表")
    doc.add_paragraph("五、存在的主要问题及改进情况")
    doc.save(str(path))
    return path


@pytest.fixture
def word(tmp_path: Path) -> Document:
    return read_docx(make_docx(tmp_path / "report.docx"))


def test_docx_blocks_in_document_order(word: Document) -> None:
    assert word.kind == "docx"
    assert word.title == TITLE
    assert word.published is None
    kinds = [(b.kind, b.text if b.kind != "table" else b.where) for b in word.blocks]
    assert kinds == [
        ("paragraph", TITLE),
        ("paragraph", "一、总体情况"),
        ("paragraph", "本年度，我市 认真贯彻 落实政务公开工作。"),
        ("paragraph", "三、收到和处理政府信息公开申请情况"),
        ("table", "第1个表格"),
        ("paragraph", "四、政府信息公开行政复议、行政诉讼情况"),
        ("image", "行政复议情况统计表"),
        ("paragraph", "五、存在的主要问题及改进情况"),
    ]
    assert [b.where for b in word.blocks if b.kind != "table"] == [f"第{n}段" for n in (1, 2, 3, 4, 5, 6, 7)]


def test_docx_table_has_true_spans(word: Document) -> None:
    table = next(word.tables()).table
    assert table is not None
    assert spans(table, CORNER) == (0, 0, 3, 3)
    assert spans(table, "申请人情况") == (0, 3, 1, 7)
    assert spans(table, "自然人") == (1, 3, 2, 1)
    assert spans(table, "法人或其他组织") == (1, 4, 1, 5)
    assert spans(table, "总计") == (1, 9, 2, 1)
    for k, label in enumerate(APPLICANTS):
        assert spans(table, label) == (2, 4 + k, 1, 1)
    assert spans(table, "一、本年新收政府信息公开申请数量") == (3, 0, 1, 3)
    assert spans(table, "三、本年度办理结果") == (5, 0, 4, 1)
    assert spans(table, "（一）予以公开") == (5, 1, 1, 2)
    assert spans(table, "（三）不予公开") == (7, 1, 2, 1)
    assert spans(table, "1.属于国家秘密") == (7, 2, 1, 1)
    grid = table.matrix()
    assert len(grid) == 9 and all(len(row) == 10 for row in grid)
    assert all(c is not None for row in grid for c in row)
    assert grid[8][0] is not None and grid[8][0].text == "三、本年度办理结果"
    # Merged cells are one cell each, not repeated in every position they cover.
    assert sum(1 for c in table.cells if c.text == "申请人情况") == 1
    assert grid[3][3] is not None and grid[3][3].text == "6"


def test_docx_picture_in_cell(word: Document) -> None:
    table = next(word.tables()).table
    assert table is not None
    picture = [c for c in table.cells if c.image]
    assert [(c.row, c.col, c.text) for c in picture] == [(4, 5, "")]


def test_docx_grid_before_and_nested_layout_table(tmp_path: Path) -> None:
    doc = docx.Document()
    frame = doc.add_table(rows=1, cols=1)  # a frame around the report: layout, not data
    inner_cell = frame.cell(0, 0)
    inner_cell.text = "一、总体情况"
    inner = inner_cell.add_table(rows=2, cols=3)
    inner.cell(0, 0).text = "信息内容"
    inner.cell(0, 1).merge(inner.cell(0, 2)).text = "本年制发件数"
    inner.cell(1, 1).text = "3"
    inner.cell(1, 2).text = "4"
    # Row 2 starts one grid column in (w:gridBefore), so its first cell is at column 1.
    tr = inner.rows[1]._tr
    tr.remove(tr.findall(qn("w:tc"))[0])
    tr_pr = tr.get_or_add_trPr()
    before = tr_pr.makeelement(qn("w:gridBefore"), {qn("w:val"): "1"})
    tr_pr.insert(0, before)
    inner_cell.add_paragraph("二、主动公开政府信息情况")
    path = tmp_path / "nested.docx"
    doc.save(str(path))
    read = read_docx(path)
    assert [b.kind for b in read.blocks] == ["paragraph", "table", "paragraph"]
    table = read.blocks[1].table
    assert table is not None and read.blocks[1].where == "第1个表格"
    assert spans(table, "本年制发件数") == (0, 1, 1, 2)
    assert spans(table, "3") == (1, 1, 1, 1)
    assert spans(table, "4") == (1, 2, 1, 1)


def test_docx_title_from_core_properties(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("正文第一段。")
    doc.core_properties.title = "区政府  年报"
    path = tmp_path / "t.docx"
    doc.save(str(path))
    assert read_docx(path).title == "区政府 年报"


def test_docx_title_on_two_centred_lines(tmp_path: Path) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = docx.Document()
    for text in ("某某区人民政府办公室", "2023年政府信息公开工作年度报告"):
        doc.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("一、总体情况")
    path = tmp_path / "t.docx"
    doc.save(str(path))
    assert read_docx(path).title == "某某区人民政府办公室2023年政府信息公开工作年度报告"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a word file at all", "不是 zip 压缩包"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 500 + "WordDocument".encode("utf-16-le"), "另存为 .docx"),
        (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le"), "加密"),
    ],
)
def test_docx_refuses_what_is_no_docx(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_docx(path)
    assert message in str(err.value)
    assert err.value.problems[0].file == str(path)


def test_docx_refuses_corrupt_and_foreign_zips(tmp_path: Path) -> None:
    good = make_docx(tmp_path / "good.docx").read_bytes()
    corrupt = tmp_path / "corrupt.docx"
    corrupt.write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError, match=r"损坏|不是 zip"):
        read_docx(corrupt)
    foreign = tmp_path / "foreign.docx"
    with zipfile.ZipFile(foreign, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(InputError, match=r"word/document\.xml"):
        read_docx(foreign)


# ----------------------------------------------------------------------------------------------- PDF

STYLE = """<style>
@page { size: A4; margin: 2cm; }
body { font-family: 'Noto Sans CJK SC'; font-size: 12pt; }
h1 { font-size: 20pt; text-align: center; }
p { text-indent: 2em; margin: 0.3em 0; }
table { border-collapse: collapse; width: 100%; }
td { border: 1px solid black; padding: 2px; font-size: 10pt; }
</style>"""
LONG = (
    "本年度，我市认真贯彻落实中共中央办公厅、国务院办公厅关于全面推进政务公开工作的意见，持续深化政务公开，"
    "不断提升政务公开质量，这是一段很长的会换行的段落，用来测试多行合并为一个段落的情况。"
)
T3_HTML = f"""<table>
<tr><td colspan="3" rowspan="3">{CORNER}</td><td colspan="7">申请人情况</td></tr>
<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>
<tr>{"".join(f"<td>{a}</td>" for a in APPLICANTS)}</tr>
<tr><td colspan="3">一、本年新收政府信息公开申请数量</td>{"".join(f"<td>{n}</td>" for n in (1, 2, 3, 4, 5, 6, 21))}</tr>
<tr><td rowspan="3">三、本年度办理结果</td><td colspan="2">（一）予以公开</td>{"<td>0</td>" * 7}</tr>
<tr><td rowspan="2">（三）不予公开</td><td>1.属于国家秘密</td>{"<td>0</td>" * 7}</tr>
<tr><td>2.其他法律行政法规禁止公开</td>{"<td>0</td>" * 7}</tr>
</table>"""


def make_pdf(path: Path, body: str) -> Path:
    import weasyprint  # imported here: it takes a while to load

    path.write_bytes(weasyprint.HTML(string=f"<html><head>{STYLE}</head><body>{body}</body></html>").write_pdf())
    return path


@pytest.fixture(scope="module")
def ruled(tmp_path_factory: pytest.TempPathFactory) -> Document:
    body = f"""<h1>{TITLE}</h1><p>一、总体情况</p><p>{LONG}</p>
    <p>三、收到和处理政府信息公开申请情况</p>{T3_HTML}<p>五、存在的主要问题及改进情况</p><p>1.问题一。</p>"""
    return read_pdf(make_pdf(tmp_path_factory.mktemp("pdf") / "ruled.pdf", body))


@pytest.mark.slow  # the first WeasyPrint render loads its fonts (~1 s)
def test_pdf_paragraphs_and_headings(ruled: Document) -> None:
    assert ruled.kind == "pdf" and ruled.title == TITLE and ruled.published is None
    assert [(b.kind, b.text) for b in ruled.blocks if b.kind != "table"] == [
        ("paragraph", TITLE),
        ("paragraph", "一、总体情况"),
        ("paragraph", LONG),  # three lines of the page, one paragraph
        ("paragraph", "三、收到和处理政府信息公开申请情况"),
        ("paragraph", "五、存在的主要问题及改进情况"),
        ("paragraph", "1.问题一。"),
    ]
    assert [b.kind for b in ruled.blocks][4] == "table"
    assert {b.where for b in ruled.blocks if b.kind == "paragraph"} == {"第1页"}


@pytest.mark.slow  # the first WeasyPrint render loads its fonts (~1 s)
def test_pdf_table_grid_and_spans(ruled: Document) -> None:
    block = next(ruled.tables())
    assert block.where == "第1页第1个表格"
    table = block.table
    assert table is not None
    assert spans(table, CORNER) == (0, 0, 3, 3)
    assert spans(table, "申请人情况") == (0, 3, 1, 7)
    assert spans(table, "自然人") == (1, 3, 2, 1)  # the label wraps in its narrow cell: joined again
    assert spans(table, "法人或其他组织") == (1, 4, 1, 5)
    assert spans(table, "总计") == (1, 9, 2, 1)
    for k, label in enumerate(APPLICANTS):
        assert spans(table, label) == (2, 4 + k, 1, 1)
    assert spans(table, "三、本年度办理结果") == (4, 0, 3, 1)
    assert spans(table, "（三）不予公开") == (5, 1, 2, 1)
    assert spans(table, "2.其他法律行政法规禁止公开") == (6, 2, 1, 1)
    grid = table.matrix()
    assert len(grid) == 7 and all(len(row) == 10 for row in grid)
    assert [c.text if c else None for c in grid[3][3:]] == ["1", "2", "3", "4", "5", "6", "21"]


@pytest.mark.slow
def test_pdf_prose_and_table_inside_a_bordered_frame(tmp_path: Path) -> None:
    # The frame's edges meet the table's (no padding), so pdfplumber finds one "table" for all:
    # its full-width boxes of prose must become paragraphs again and the real table stay a table.
    body = f"""<div style="border: 1px solid #555; background: white">
    <h1>{TITLE}</h1><p>一、总体情况</p><p>{LONG}</p>
    <p>三、收到和处理政府信息公开申请情况</p>{T3_HTML}<p>五、存在的主要问题及改进情况</p><p>{LONG}</p></div>"""
    doc = read_pdf(make_pdf(tmp_path / "framed.pdf", body))
    assert doc.title == TITLE
    assert [(b.kind, b.text) for b in doc.blocks if b.kind != "table"] == [
        ("paragraph", TITLE),
        ("paragraph", "一、总体情况"),
        ("paragraph", LONG),
        ("paragraph", "三、收到和处理政府信息公开申请情况"),
        ("paragraph", "五、存在的主要问题及改进情况"),
        ("paragraph", LONG),
    ]
    tables = list(doc.tables())
    assert len(tables) == 1 and [b.kind for b in doc.blocks][4] == "table"
    table = tables[0].table
    assert table is not None
    assert spans(table, CORNER) == (0, 0, 3, 3)
    assert spans(table, "三、本年度办理结果") == (4, 0, 3, 1)
    assert spans(table, "（三）不予公开") == (5, 1, 2, 1)
    grid = table.matrix()
    assert len(grid) == 7 and all(len(row) == 10 for row in grid)


@pytest.mark.slow
def test_pdf_flattened_table_is_lines(tmp_path: Path) -> None:
    rows = [
        "申请人情况",
        "自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计",
        "一、本年新收政府信息公开申请数量 1 2 3 4 5 6 21",
        "三、本年度办理结果",
        "（一）予以公开 1 0 0 0 0 0 1",
        "1.属于国家秘密0000000",
    ]
    body = (
        f"<p>三、收到和处理政府信息公开申请情况</p><div>{''.join(f'<div>{r}</div>' for r in rows)}</div>"
        f"<p>四、政府信息公开行政复议、行政诉讼情况</p><p>{LONG}</p>"
    )
    read = read_pdf(make_pdf(tmp_path / "flat.pdf", body))
    assert [b.kind for b in read.blocks] == ["paragraph", "lines", "paragraph", "paragraph"]
    lines = read.blocks[1]
    assert lines.where == "第1页"
    assert lines.text.split("\n") == rows
    assert read.blocks[3].text == LONG


@pytest.mark.slow
def test_pdf_borderless_table_is_lines(tmp_path: Path) -> None:
    """A table printed without rules: its lines, wrapped labels included, stay together as ``lines``."""
    body = (
        "<style>td { border: none !important }</style><p>三、收到和处理政府信息公开申请情况</p>"
        f"{T3_HTML}<p>四、政府信息公开行政复议、行政诉讼情况</p><p>{LONG}</p>"
    )
    read = read_pdf(make_pdf(tmp_path / "borderless.pdf", body))
    assert [b.kind for b in read.blocks] == ["paragraph", "lines", "paragraph", "paragraph"]
    lines = read.blocks[1].text.split("\n")
    assert lines[0] == "申请人情况"
    assert "一、本年新收政府信息公开申请数量 1 2 3 4 5 6 21" in lines
    assert lines[-1] == "止公开"  # the end of "2.其他法律行政法规禁止公开", wrapped below its numbers
    assert read.blocks[2].text == "四、政府信息公开行政复议、行政诉讼情况"
    assert read.blocks[3].text == LONG


@pytest.mark.slow
def test_pdf_paragraph_across_pages_is_joined(tmp_path: Path) -> None:
    """A paragraph cut by a page break is one block again, and the page numbers in the footer are not text."""
    style = "<style>p { text-align: justify } @page { @bottom-center { content: '- ' counter(page) ' -' } }</style>"
    texts = [f"（{k}）{LONG * 7}" for k in "一二三四五六"]
    read = read_pdf(make_pdf(tmp_path / "pages.pdf", style + "".join(f"<p>{t}</p>" for t in texts)))
    assert [b.text for b in read.blocks] == texts
    assert [b.where for b in read.blocks][-1] == "第3页"


@pytest.mark.slow
def test_pdf_table_across_pages_is_joined(tmp_path: Path) -> None:
    body_rows = "".join(f"<tr><td>第{n}行</td><td>{n}</td><td>{n * 2}</td></tr>" for n in range(1, 61))
    body = f"<p>二、主动公开政府信息情况</p><table><tr><td>信息内容</td><td>甲</td><td>乙</td></tr>{body_rows}</table>"
    read = read_pdf(make_pdf(tmp_path / "long.pdf", body))
    tables = [b for b in read.blocks if b.kind == "table"]
    assert len(tables) == 1 and tables[0].where == "第1页第1个表格"
    table = tables[0].table
    assert table is not None
    grid = table.matrix()
    assert len(grid) == 61
    assert [c.text if c else None for c in grid[60]] == ["第60行", "60", "120"]
    assert any("跨页" in n for n in read.notes)


@pytest.mark.slow
def test_pdf_repeated_header_is_dropped_when_joining(tmp_path: Path) -> None:
    body_rows = "".join(f"<tr><td>第{n}行</td><td>{n}</td><td>{n * 2}</td></tr>" for n in range(1, 61))
    body = f"<table><thead><tr><td>信息内容</td><td>甲</td><td>乙</td></tr></thead><tbody>{body_rows}</tbody></table>"
    read = read_pdf(make_pdf(tmp_path / "thead.pdf", body))
    tables = [b.table for b in read.blocks if b.kind == "table"]
    assert len(tables) == 1 and tables[0] is not None
    texts = [c.text for c in tables[0].cells if c.col == 0]
    assert texts == ["信息内容"] + [f"第{n}行" for n in range(1, 61)]


@pytest.mark.slow
def test_pdf_scanned_gives_note_not_error(tmp_path: Path) -> None:
    import base64

    src = "data:image/png;base64," + base64.b64encode(png(40, 40)).decode()
    read = read_pdf(make_pdf(tmp_path / "scan.pdf", f'<img src="{src}" style="width: 15cm">'))
    assert read.blocks == ()
    assert read.notes == (NO_TEXT_LAYER,)
    assert read.title == ""


@pytest.mark.slow
def test_pdf_pictures_in_cells_and_body(tmp_path: Path) -> None:
    import base64

    src = "data:image/png;base64," + base64.b64encode(png(40, 20)).decode()
    body = (
        f"<p>四、政府信息公开行政复议、行政诉讼情况</p><img src='{src}' style='width: 12cm'>"
        "<table><tr><td>行政复议</td><td>行政诉讼</td></tr>"
        f"<tr><td>3</td><td><img src='{src}' style='width: 1cm'></td></tr></table>"
        "<p>五、存在的主要问题及改进情况</p>"
    )
    read = read_pdf(make_pdf(tmp_path / "pictures.pdf", body))
    assert [b.kind for b in read.blocks] == ["paragraph", "image", "table", "paragraph"]
    table = read.blocks[2].table
    assert table is not None
    assert [(c.row, c.col, c.text, c.image) for c in table.cells] == [
        (0, 0, "行政复议", False),
        (0, 1, "行政诉讼", False),
        (1, 0, "3", False),
        (1, 1, "", True),
    ]


def test_pdf_refuses_non_pdf(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_text("<html>不是 PDF</html>", encoding="utf-8")
    with pytest.raises(InputError, match="不是 PDF 文件"):
        read_pdf(path)


def test_pdf_refuses_broken_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nendobj\ntrailer << >>\n%%EOF")
    with pytest.raises(InputError, match="PDF"):
        read_pdf(path)


def encrypted_pdf() -> bytes:
    """A PDF under the standard security handler whose user password is not empty (pdfminer cannot open it)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R /Encrypt 4 0 R /ID [<" + b"33" * 16 + b"> <" + b"33" * 16 + b">] >>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return out


def test_pdf_refuses_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(encrypted_pdf())
    with pytest.raises(InputError, match="加密"):
        read_pdf(path)


def test_blocks_are_the_shared_model(word: Document) -> None:
    assert all(isinstance(b, Block) for b in word.blocks)
    assert len(word.sha256) == 64
