"""One report end to end: what a reader of the HTML and the PDF would notice.

The slow tests execute the real notebook template in a real kernel (a few seconds each); one
module-scoped render per format version is shared by the tests that only read its output.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest
from lxml import html as lxml_html

from tests.conftest import REPO, tree_digest
from xxgk import formats, render
from xxgk.data import model, synthetic
from xxgk.data.model import Agency, AgencyYear, Amount, Narrative, Value
from xxgk.data.model import show as value_text
from xxgk.formats import FormatVersion, Header
from xxgk.render import execute as render_execute
from xxgk.render import exporters as pdf
from xxgk.render import outputs, templates
from xxgk.report import Options, Report, chinese_date

AGENCY = Agency("test-bureau", "青石县测试局", "县级", None)
YEARS = {"2019": 2020, "2021": 2022}  # format version → the report year rendered for it


def series(last: int) -> list[AgencyYear]:
    return synthetic.series(AGENCY, range(2019, last + 1), seed=7)


def parameters(ay: AgencyYear, history: Sequence[AgencyYear] = (), **extra: Any) -> dict[str, Any]:
    return {
        "agency_year": model.to_dict(ay),
        "history": [model.to_dict(h) for h in history],
        "findings": extra.pop("findings", []),
        "options": extra.pop("options", {}),
    }


@dataclasses.dataclass
class Rendered:
    ay: AgencyYear
    params: dict[str, Any]
    artifacts: render.Artifacts
    out: Path

    @property
    def html(self) -> str:
        return self.artifacts["report.html"].decode("utf-8")

    def pdftotext(self, *args: str) -> str:
        return subprocess.run(
            ["pdftotext", "-raw", *args, str(self.out / "report.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout


@pytest.fixture(scope="module", params=sorted(YEARS), ids=lambda v: f"format-{v}")
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    year = YEARS[request.param]
    years = series(year)
    ay = years[-1]
    assert ay.format.id == request.param
    params = parameters(ay, years[:-1])
    artifacts = render.build_artifacts(params)
    out = tmp_path_factory.mktemp(f"report-{year}") / "agency" / str(year)
    render.write_report(artifacts, out)
    return Rendered(ay, params, artifacts, out)


# --- helpers: what a reader sees ---------------------------------------------------------------


def official_labels(fmt: FormatVersion, table: str) -> list[str]:
    """Every official label of a table, in reading order (header rows top-down, then the rows)."""

    def levels(roots: Sequence[Header]) -> Iterator[str]:
        level = list(roots)
        while level:
            yield from (h.label for h in level if h.label)
            level = [c for h in level for c in h.children]

    def preorder(node: Header) -> Iterator[str]:
        for child in node.children:
            yield child.label
            yield from preorder(child)

    if table == "t2":
        out: list[str] = []
        for block in fmt.t2_blocks:
            out += [block.label, fmt.t2_row_header, *(c.label for c in block.columns), *(r.label for r in block.rows)]
        return out
    if table == "t3":
        return [fmt.t3_corner, *levels([fmt.t3_columns]), *preorder(fmt.t3_rows)]
    return list(levels(fmt.t4_columns.children))


def is_subsequence(expected: Sequence[str], actual: Sequence[str]) -> bool:
    it = iter(actual)
    return all(any(a == e for a in it) for e in expected)


def grid(df: pd.DataFrame) -> list[list[str]]:
    """A parsed table as rows of text: header levels first, then the body (spans repeat their text)."""
    header = df.columns
    levels = [list(map(str, header.get_level_values(i))) for i in range(header.nlevels)]
    levels = [[re.sub(r"\.\d+$", "", c) for c in row] for row in levels]  # pandas dedups names with .1
    body = [[str(c) for c in row] for row in df.astype(str).itertuples(index=False)]
    return [*levels, *body]


def same_number(text: str, value: Value) -> bool:
    """A cell's text denotes the value (pandas may have parsed "17.70" as 17.7)."""
    if isinstance(value, Amount):
        return text.endswith(value.unit) and Decimal(text.removesuffix(value.unit)) == value.value
    return Decimal(text) == Decimal(value)


def parsed_tables(html: str) -> dict[str, pd.DataFrame]:
    return {t: pd.read_html(io.StringIO(html), attrs={"class": f"official {t}"})[0] for t in ("t2", "t3", "t4")}


def find_in_order(text: str, labels: Sequence[str], start: int = 0) -> int:
    """Find each label after the previous one in whitespace-free text; return the last position."""
    position = start
    for label in labels:
        found = text.find(_squeeze(label), position)
        assert found >= 0, f"{label!r} not found in order"
        position = found
    return position


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- the HTML --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_report_follows_the_format_version_of_its_year(rendered: Rendered) -> None:
    """Read from the output, not from the data: the preface names the version and its basis, and table 二 has
    that version's columns and none of the other version's."""
    mine = rendered.ay.format
    (other,) = [v for v in formats.versions().values() if v.id != mine.id]
    page = _squeeze(lxml_html.fromstring(rendered.html).text_content())
    pdf_text = _squeeze(rendered.pdftotext())
    for text in (page, pdf_text):
        assert _squeeze(f"《{mine.name}》（{mine.basis}）") in text
        assert other.basis not in text
    header = {c.label for b in mine.t2_blocks for c in b.columns}
    foreign = {c.label for b in other.t2_blocks for c in b.columns} - header
    t2 = lxml_html.fromstring(rendered.html).find_class("t2")[0]
    shown = {_squeeze(th.text_content()) for th in t2.iter("th")}
    assert {_squeeze(h) for h in header} <= shown and not {_squeeze(h) for h in foreign} & shown


@pytest.mark.slow
def test_the_page_loads_nothing_and_runs_nothing(rendered: Rendered) -> None:
    """Independently of the exporter's own guard: no script, no frame, no handler, no URL but data: and #."""
    page = lxml_html.fromstring(rendered.html)
    assert not page.xpath("//script | //iframe | //frame | //object | //embed | //link | //base")
    for el in page.iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            assert not name.startswith("on"), (el.tag, name)
            if name in ("src", "srcset", "poster", "data", "background", "action", "formaction"):
                assert value.startswith("data:"), (el.tag, name, value[:80])
            if name == "href" and el.tag != "a":
                assert value.startswith(("data:", "#")), (el.tag, value[:80])
    for css in page.xpath("//style/text()") + [el.get("style", "") for el in page.iter() if isinstance(el.tag, str)]:
        assert "@import" not in css
        assert not re.search(r"url\(\s*[\"']?\s*(?!data:|#)[^\"')\s]", css), css[:120]
    assert page.get("lang") == "zh"


@pytest.mark.slow
def test_tables_carry_every_label_in_order_and_every_number(rendered: Rendered) -> None:
    ay, fmt = rendered.ay, rendered.ay.format
    tables = parsed_tables(rendered.html)
    for table, df in tables.items():
        cells = [c for row in grid(df) for c in row]
        assert is_subsequence(official_labels(fmt, table), cells), f"{table}: labels missing or out of order"

    # 二: each block is a group row, its header row, then one row per item; values fill the grid.
    rows = iter(grid(tables["t2"]))
    width = max(len(b.columns) for b in fmt.t2_blocks)
    for block in fmt.t2_blocks:
        assert set(next(rows)) == {block.label}
        assert next(rows)[0] == fmt.t2_row_header
        for item in block.rows:
            row = next(rows)
            assert row[0] == item.label
            values = [ay.tables["t2"][item.key or ""][c.key] for c in block.columns]
            values += [values[-1]] * (width - len(values))  # the last column spans the rest
            assert all(same_number(t, v) for t, v in zip(row[1:], values, strict=True)), (item.label, row)

    # 三: one row per leaf of the row tree; the last seven cells are the applicant columns.
    body = grid(tables["t3"])[tables["t3"].columns.nlevels :]
    leaves = [leaf for _, leaf in fmt.t3_rows.leaves()]
    columns = [leaf for _, leaf in fmt.t3_columns.leaves()]
    assert len(body) == len(leaves)
    for leaf, row in zip(leaves, body, strict=True):
        assert leaf.label in row
        values = [ay.tables["t3"][leaf.key or ""][c.key or ""] for c in columns]
        assert all(same_number(t, v) for t, v in zip(row[-len(columns) :], values, strict=True)), leaf.label

    # 四: one data row, fifteen values in header order.
    (row,) = grid(tables["t4"])[tables["t4"].columns.nlevels :]
    values = []
    for chain, leaf in fmt.t4_columns.leaves():
        group = next(h for h in reversed(chain) if h.key)
        values.append(ay.tables["t4"][group.key or ""][leaf.key or ""])
    assert all(same_number(t, v) for t, v in zip(row, values, strict=True))


@pytest.mark.slow
def test_page_is_the_report_only(rendered: Rendered) -> None:
    """Title, preface, the six official headings in order, the signature; no code, no prompts."""
    ay, page = rendered.ay, lxml_html.fromstring(rendered.artifacts["report.html"])
    assert page.get("lang") == "zh"
    title = f"{AGENCY.name}{ay.year}年政府信息公开工作年度报告"
    assert page.findtext(".//title") == title
    assert [h.text_content() for h in page.iter("h1")] == [title]
    assert [h.text_content() for h in page.iter("h2")] == list(ay.format.sections.values())
    text = page.text_content()
    assert "《中华人民共和国政府信息公开条例》" in text
    assert f"{ay.year}年1月1日起至{ay.year}年12月31日止" in text
    signature = page.find_class("signature")[0].text_content()
    assert AGENCY.name in signature and ay.published and chinese_date(ay.published) in signature
    for trace in ("jp-InputArea", "In&nbsp;[", "Out[", "agency_year", "from xxgk", "injected-parameters"):
        assert trace not in rendered.html
    # Every cell block has content: no empty band where a cell without output used to be.
    for output in page.find_class("jp-OutputArea-output"):
        assert output.text_content().strip() or output.findall(".//img")


@pytest.mark.slow
def test_page_loads_nothing_and_names_sc_fonts(rendered: Rendered) -> None:
    page = lxml_html.fromstring(rendered.artifacts["report.html"])
    assert not page.findall(".//script") and not page.findall(".//link") and not page.findall(".//iframe")
    for img in page.iter("img"):
        assert img.get("src", "").startswith("data:image/") and img.get("alt")
    assert '"Noto Serif CJK SC"' in rendered.html and '"Noto Sans CJK SC"' in rendered.html
    assert "JP" not in "".join(re.findall(r"font-family:[^;]*;", rendered.html))
    assert len(rendered.artifacts["report.html"]) < 400_000  # slim CSS, not the lab theme
    assert "thead" in rendered.html and "display: table-header-group" in rendered.html


# --- the PDF ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_pdf_text_holds_title_and_every_label(rendered: Rendered) -> None:
    ay = rendered.ay
    text = _squeeze(rendered.pdftotext())
    find_in_order(text, [f"{AGENCY.name}{ay.year}年政府信息公开工作年度报告", *ay.format.sections.values()])
    for table in ("t2", "t3", "t4"):
        find_in_order(text, [ay.format.sections[table], *official_labels(ay.format, table)])
    first_page = _squeeze(rendered.pdftotext("-f", "1", "-l", "1"))
    pages = subprocess.run(["pdfinfo", str(rendered.out / "report.pdf")], capture_output=True, text=True).stdout
    count = int(re.search(r"Pages:\s+(\d+)", pages).group(1))  # type: ignore[union-attr]
    assert "A4" in pages
    assert f"第1页共{count}页" in first_page


@pytest.mark.slow
def test_pdf_embeds_subset_sc_fonts_only(rendered: Rendered) -> None:
    out = subprocess.run(["pdffonts", str(rendered.out / "report.pdf")], capture_output=True, text=True, check=True)
    fonts = out.stdout.splitlines()[2:]
    assert fonts
    for line in fonts:
        name, emb, sub = line.split()[0], line.split()[-5], line.split()[-4]
        assert (emb, sub) == ("yes", "yes"), line
        assert "JP" not in name
    assert any("CJK-SC" in line.split()[0] for line in fonts)


# --- same inputs, same bytes ---------------------------------------------------------------------


SUBPROCESS = """
import json, sys
from pathlib import Path
from xxgk import render
params = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
render.write_report(render.build_artifacts(params), Path(sys.argv[2]))
"""


@pytest.mark.slow
def test_same_inputs_same_bytes_in_another_process(rendered: Rendered, tmp_path: Path) -> None:
    (tmp_path / "params.json").write_text(json.dumps(rendered.params, ensure_ascii=False), encoding="utf-8")
    again = tmp_path / "again"
    subprocess.run(
        [sys.executable, "-c", SUBPROCESS, tmp_path / "params.json", again], check=True, cwd=tmp_path, timeout=300
    )
    for name in outputs.artifacts():
        assert (again / name).read_bytes() == (rendered.out / name).read_bytes(), name


@pytest.mark.slow
def test_executed_notebook_is_a_clean_record(rendered: Rendered) -> None:
    nb = nbformat.reads(rendered.artifacts["report.ipynb"].decode("utf-8"), as_version=4)
    record = nb.metadata.papermill
    assert record["parameters"]["agency_year"] == rendered.params["agency_year"]
    assert record["version"] and record["input_path"] == render_execute.NOTEBOOK_NAME
    assert not {"start_time", "end_time", "duration", "output_path"} & set(record)
    assert nb.metadata.xxgk == {"version": "0.1.0", "document_id": f"xxgk:{AGENCY.id}:{rendered.ay.year}"}
    ids = [c.id for c in nb.cells]
    assert "injected-parameters" in ids and len(set(ids)) == len(ids)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    text = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", rendered.artifacts["report.ipynb"].decode("utf-8"))
    for machine in (str(REPO), "/tmp", sys.prefix):
        assert machine not in text, machine
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), "a timestamp is left in the notebook"


@pytest.mark.slow
def test_nbconvert_cli_reprints_the_same_pdf(rendered: Rendered, tmp_path: Path) -> None:
    """``jupyter nbconvert --to xxgk_pdf`` (the entry point) prints the report's very bytes."""
    if rendered.ay.format.id != "2021":
        pytest.skip("the same code path for both format versions: one version suffices (suite time)")
    jupyter = Path(sys.executable).parent / "jupyter"
    for fmt, ext in (("xxgk_pdf", "pdf"), ("xxgk_html", "html")):
        subprocess.run(
            [jupyter, "nbconvert", "--to", fmt, rendered.out / "report.ipynb", "--output-dir", tmp_path],
            check=True,
            capture_output=True,
        )
        assert (tmp_path / f"report.{ext}").read_bytes() == (rendered.out / f"report.{ext}").read_bytes()


# --- reports with something to say ---------------------------------------------------------------


HOSTILE = (
    "本年度工作平稳。<script>alert('x')</script>\n\n"
    '<img src="https://evil.example/x.png" onerror="alert(1)">\n\n'
    '<iframe src="https://evil.example/"></iframe>\n\n'
    '[点击](javascript:alert(1)) <a href="javascript:alert(2)" onclick="alert(3)">链接</a>\n\n'
    '<div style="background:url(https://evil.example/bg.png)">x</div>'
)


@pytest.mark.slow
def test_findings_banner_illustrative_notice_and_inert_narrative(tmp_path: Path) -> None:
    years = series(2022)
    ay = dataclasses.replace(
        years[-1],
        illustrative="虚构机关的示例数据，仅用于测试。",
        narrative=Narrative(overview=HOSTILE, problems="无。", other="无。"),
    )
    findings = [
        {"rule": "I1", "severity": "error", "message": "表三 （七）总计 / 总计：应为 30，实为 29（相差 1）"},
        {"rule": "X1", "severity": "warning", "message": "上年结转与上年报告不一致"},
    ]
    params = parameters(ay, years[:-1], findings=findings, options={"allow_invalid": True})
    artifacts = render.build_artifacts(params)
    render.write_report(artifacts, tmp_path / "r")
    text = artifacts["report.html"].decode("utf-8")
    page = lxml_html.fromstring(artifacts["report.html"])

    banner = page.find_class("findings")
    assert len(banner) == 1 and "I1" in banner[0].text_content() and "应为 30，实为 29" in banner[0].text_content()
    assert "上年结转与上年报告不一致" not in page.text_content()  # warnings are for reviewers (show_warnings)
    notice = page.find_class("notice")
    assert notice and "虚构机关的示例数据" in notice[0].text_content()

    # The hostile narrative is visible as text, and inert.
    assert not page.findall(".//script") and not page.findall(".//iframe")
    assert not [el for el in page.iter() if any(a.startswith("on") for a in el.attrib)]
    assert not [a for a in page.iter("a") if "javascript" in a.get("href", "").lower()]
    assert not [el for el in page.iter() if "evil.example" in (el.get("src", "") + el.get("style", ""))]
    assert "本年度工作平稳" in page.text_content()
    pdf.check_self_contained(text)

    first_page = _squeeze(
        subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", tmp_path / "r" / "report.pdf", "-"], capture_output=True, text=True
        ).stdout
    )
    assert "本报告数据未通过校验" in first_page and "应为30，实为29" in first_page


@pytest.mark.slow
def test_failing_cell_leaves_the_earlier_report_and_names_the_cell(rendered: Rendered, tmp_path: Path) -> None:
    out = tmp_path / "report"
    shutil.copytree(rendered.out, out)
    before = tree_digest(tmp_path)
    bad = dataclasses.replace(rendered.ay, narrative=Narrative(overview="共{{ no_such_figure }}件"))
    with pytest.raises(render.RenderError) as caught:
        artifacts = render.build_artifacts(parameters(bad))
        render.write_report(artifacts, out)
    error = caught.value
    assert error.stage == "execute" and error.ename == "NarrativeError"
    assert error.source == "# " + rendered.ay.format.sections["overview"]
    nb = nbformat.reads(error.ipynb.decode("utf-8"), as_version=4)  # type: ignore[union-attr]
    assert nb.cells[error.cell - 1].id == "overview"  # type: ignore[operator]
    assert "no_such_figure" in error.evalue and "no_such_figure" in str(error)
    assert tree_digest(tmp_path) == before


@pytest.mark.slow
def test_a_cell_that_runs_too_long_is_named(tmp_path: Path) -> None:
    template = nbformat.read(templates.notebook(), as_version=4)
    template.cells.insert(3, nbformat.v4.new_code_cell("import time\ntime.sleep(60)", id="slow"))
    path = tmp_path / "slow.ipynb"
    nbformat.write(template, path)
    ay = series(2020)[-1]
    with pytest.raises(render.RenderError) as caught:
        render.build_artifacts(parameters(ay), timeout=6, template=path)
    assert caught.value.ename == "CellTimeoutError"
    assert caught.value.source == "import time" and caught.value.cell == 5  # after the injected cell


@pytest.mark.slow
def test_a_dead_kernel_is_named(tmp_path: Path) -> None:
    template = nbformat.read(templates.notebook(), as_version=4)
    template.cells.insert(3, nbformat.v4.new_code_cell("import os\nos._exit(1)", id="crash"))
    path = tmp_path / "crash.ipynb"
    nbformat.write(template, path)
    with pytest.raises(render.RenderError) as caught:
        render.build_artifacts(parameters(series(2020)[-1]), template=path)
    assert caught.value.ename == "DeadKernelError"
    assert caught.value.cell == 5 and caught.value.source == "import os"


@pytest.mark.slow
def test_a_started_kernel_is_reused_and_gives_the_same_bytes(rendered: Rendered) -> None:
    """A later batch build keeps warm kernels: papermill must use ours and leave it running."""
    if rendered.ay.format.id != "2021":
        pytest.skip("the same code path for both format versions: one version suffices (suite time)")
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    threads: list[int] = []
    try:
        for _ in range(3):
            again = render.build_artifacts(rendered.params, kernel_manager=km)
            assert again.files == rendered.artifacts.files
            assert km.is_alive()
            threads.append(threading.active_count())
        assert threads[1] == threads[2]  # nbclient's client (a heartbeat thread, sockets) was closed
    finally:
        km.shutdown_kernel(now=True)


# --- fast units ----------------------------------------------------------------------------------


def test_write_report_replaces_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "a" / "2022"
    first = render.Artifacts({"report.ipynb": b"nb1", "report.html": b"html1", "report.pdf": b"pdf1"})
    render.write_report(first, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == dict(
        zip(outputs.artifacts(), (b"nb1", b"html1", b"pdf1"), strict=True)
    )
    before = tree_digest(tmp_path)

    real_fsync = os.fsync
    calls = iter(range(100))

    def failing_fsync(fd: int) -> None:
        if next(calls) == 2:
            raise OSError("disk full")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        render.write_report(
            render.Artifacts({"report.ipynb": b"nb2", "report.html": b"html2", "report.pdf": b"pdf2"}), out
        )
    assert tree_digest(tmp_path) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["2022"]  # no temporary folder left

    monkeypatch.undo()
    render.write_report(render.Artifacts({"report.ipynb": b"nb3", "report.html": b"html3", "report.pdf": b"pdf3"}), out)
    assert (out / "report.pdf").read_bytes() == b"pdf3"
    assert sorted(p.name for p in out.parent.iterdir()) == ["2022"]


def test_render_error_travels_between_processes() -> None:
    error = render.RenderError("execute", "NarrativeError", "未知的占位符", cell=9, source="# 一、总体情况", ipynb=b"")
    again = pickle.loads(pickle.dumps(error))
    assert (again.stage, again.ename, again.evalue, again.cell, again.source, again.ipynb) == (
        "execute",
        "NarrativeError",
        "未知的占位符",
        9,
        "# 一、总体情况",
        b"",
    )
    assert str(again) == str(error) == "execute failed in cell 9 (# 一、总体情况): NarrativeError: 未知的占位符"


def test_options_refuse_unknown_and_non_boolean() -> None:
    assert Options.from_dict({"allow_invalid": True}).allow_invalid
    with pytest.raises(ValueError, match="chart"):
        Options.from_dict({"chart": False})
    with pytest.raises(ValueError, match="true or false"):
        Options.from_dict({"charts": "no"})


def test_parameters_are_checked_before_a_kernel_starts() -> None:
    ay = series(2020)[-1]
    with pytest.raises(ValueError, match="unknown"):
        render.build_artifacts({**parameters(ay), "extra": 1})
    with pytest.raises(ValueError, match="rule, severity and message"):
        render.build_artifacts(parameters(ay, findings=[{"rule": "S1"}]))


@pytest.mark.parametrize(
    "html",
    [
        "<p>x</p><script>alert(1)</script>",
        '<img src="https://example.org/a.png" alt="">',
        '<img src="data:image/png;base64,AA" onerror="alert(1)" alt="">',
        '<link rel="stylesheet" href="https://example.org/a.css">',
        "<style>@import 'https://example.org/a.css';</style>",
        '<div style="background: url(https://example.org/a.png)">x</div>',
        '<a href="javascript:alert(1)">x</a>',
        '<iframe src="about:blank"></iframe>',
    ],
)
def test_self_contained_check_refuses_scripts_and_resources(html: str) -> None:
    with pytest.raises(pdf.NotSelfContainedError):
        pdf.check_self_contained(f"<html><body>{html}</body></html>")


def test_self_contained_check_accepts_data_and_links() -> None:
    pdf.check_self_contained(
        '<html><body><img src="data:image/svg+xml;base64,AA" alt="图"><a href="https://www.gov.cn/">中国政府网</a>'
        "<p>onerror=alert(1) 只是文字</p><style>td { color: red }</style></body></html>"
    )


def test_report_blocks_escape_and_hide_what_is_empty() -> None:
    ay = dataclasses.replace(series(2020)[-1], agency=Agency("x", "<b>局</b>", None, None), illustrative=None)
    report = Report(ay)
    assert "&lt;b&gt;局&lt;/b&gt;2020年" in report.title()
    assert report.findings_banner() == "" and report.illustrative_notice() == ""
    assert Report(ay).chart("applicants").startswith('<figure class="chart applicants">')
    assert Report(ay, options=Options(charts=False)).chart("applicants") == ""
    warnings_only = Report(ay, findings=[{"rule": "X1", "severity": "warning", "message": "<i>核实</i>"}])
    assert warnings_only.findings_banner() == ""
    shown = Report(ay, findings=warnings_only.findings, options=Options(show_warnings=True)).findings_banner()
    assert "&lt;i&gt;核实&lt;/i&gt;" in shown and "warnings" in shown


def test_report_cells_drop_code_and_empty_outputs() -> None:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("note", metadata={"tags": ["template-note"]}),
            nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("HTML('')", outputs=[_html_output("")]),
            nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="1\n")]),
            nbformat.v4.new_code_cell("HTML('<p>x</p>')", outputs=[_html_output("<p>x</p>")]),
        ]
    )
    kept, _ = pdf.ReportCells().preprocess(nb, {})
    assert [c.source for c in kept.cells] == ["HTML('<p>x</p>')"]


def _html_output(html: str) -> Any:
    return nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "<HTML>"})


def test_normalize_strips_times_paths_and_numbers_cells_from_one() -> None:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("a", metadata={"tags": ["injected-parameters"]}, execution_count=41),
            nbformat.v4.new_code_cell("b", execution_count=42, id="b"),
        ],
        metadata={"papermill": {"start_time": "2026-01-01T00:00:00", "input_path": "/home/x/nb.ipynb", "version": "2"}},
    )
    nb.cells[0].id = "f00d1234"
    nb.cells[1].metadata["papermill"] = {"duration": 0.5, "status": "completed"}
    ay = series(2020)[-1]
    out = render_execute.normalize(nb, {"agency_year": model.to_dict(ay)})
    assert [c.id for c in out.cells] == ["injected-parameters", "b"]
    assert [c.execution_count for c in out.cells] == [1, 2]
    assert out.metadata.papermill == {"version": "2", "input_path": render_execute.NOTEBOOK_NAME}
    assert out.cells[1].metadata.papermill == {"status": "completed"}


def test_format_versions_of_the_rendered_years() -> None:
    assert {formats.for_year(y).id: y for y in YEARS.values()} == YEARS
    assert value_text(Decimal("17.70")) == "17.70"
