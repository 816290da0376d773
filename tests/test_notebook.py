"""The template notebook as a reader and a reviewer meet it: charts in their sections, the record cell,
running the template by hand with papermill, and what the bare template says.

The slow tests render a few bundled examples with ``xxgk render`` (one module-scoped render each,
shared by the tests that read it) and run the ``papermill`` command an analyst would type.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html
import nbformat
import pandas as pd
import pytest
import yaml

from tests.conftest import EXAMPLES, set_cell, tree_digest
from xxgk import cli
from xxgk.data import figures, model, synthetic
from xxgk.data.model import Agency, AgencyYear
from xxgk.render import exporters, templates
from xxgk.report import MissingParameters, Options, Report

BIN = Path(sys.executable).parent
# A few examples, not all 19: both format versions, a city office with every chart, a town without
# review or litigation cases. Each shows the proactive-disclosure trend, the chart that used to land
# under the wrong heading.
EXAMPLES_RENDERED = {
    ("jinhe-city-gov-office", 2020): {"proactive-trend", "applicants", "outcomes", "trend", "review-litigation"},
    ("jinhe-city-gov-office", 2024): {"proactive-trend", "applicants", "outcomes", "trend", "review-litigation"},
    ("shiqiao-town", 2021): {"proactive-trend", "applicants", "outcomes", "trend"},
}
# Where a reader expects each chart: the section whose numbers it draws.
SECTION_OF = {
    "proactive-trend": "t2",
    "applicants": "t3",
    "outcomes": "t3",
    "trend": "t3",
    "review-litigation": "t4",
}
RECORD_TITLES = ("计算得出的数字", "校验结果")


@dataclasses.dataclass
class Rendered:
    agency: str
    year: int
    params: Path
    out: Path

    @property
    def html(self) -> str:
        return (self.out / "report.html").read_text(encoding="utf-8")

    @property
    def notebook(self) -> nbformat.NotebookNode:
        return nbformat.read(self.out / "report.ipynb", as_version=4)

    @property
    def ay(self) -> AgencyYear:
        """The data the notebook was given (its papermill record), typed."""
        return model.from_dict(self.notebook.metadata.papermill.parameters["agency_year"])

    def pdftotext(self) -> str:
        return subprocess.run(
            ["pdftotext", "-raw", str(self.out / "report.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout


def _main(*argv: str | Path) -> tuple[int, str]:
    """``xxgk`` in-process (module fixtures cannot use capsys): its exit code and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = cli.main([str(a) for a in argv])
    return code, out.getvalue()


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    params = tmp_path_factory.mktemp("examples") / "params"
    shutil.copytree(EXAMPLES, params)
    return params


@pytest.fixture(scope="module")
def render(examples: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, int], Rendered]:
    """``xxgk render`` of one example, once per module whichever tests ask for it."""
    made: dict[tuple[str, int], Rendered] = {}

    def get(agency: str, year: int) -> Rendered:
        if (agency, year) not in made:
            outputs = tmp_path_factory.mktemp("outputs")
            code, printed = _main("render", agency, year, "--params", examples, "--outputs", outputs)
            assert code == 0, printed
            made[agency, year] = Rendered(agency, year, examples, outputs / agency / str(year))
        return made[agency, year]

    return get


@pytest.fixture(params=sorted(EXAMPLES_RENDERED), ids=lambda v: f"{v[0]}-{v[1]}")
def rendered(request: pytest.FixtureRequest, render: Callable[[str, int], Rendered]) -> Rendered:
    return render(*request.param)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- each chart under its own heading ------------------------------------------------------------


@pytest.mark.slow
def test_each_chart_sits_between_its_sections_heading_and_the_next(rendered: Rendered) -> None:
    page = lxml.html.fromstring(rendered.html)
    placed: dict[str, str | None] = {}
    section = None
    for element in page.iter("h2", "figure"):
        if element.tag == "h2":
            section = element.get("id")
        else:
            kind = element.get("class").removeprefix("chart ")
            assert kind not in placed, f"{kind} shown twice"
            placed[kind] = section
    assert set(placed) == EXAMPLES_RENDERED[(rendered.agency, rendered.year)]
    assert placed == {kind: SECTION_OF[kind] for kind in placed}


@pytest.mark.slow
def test_each_caption_sits_between_the_same_headings_in_the_pdf(rendered: Rendered) -> None:
    captions = {
        f.get("class").removeprefix("chart "): f.find("figcaption").text_content()
        for f in lxml.html.fromstring(rendered.html).iter("figure")
    }
    assert set(captions) == EXAMPLES_RENDERED[(rendered.agency, rendered.year)]
    text = _squeeze(rendered.pdftotext())
    headings: dict[str, int] = {}
    position = 0
    for key, heading in rendered.ay.format.sections.items():
        position = text.find(_squeeze(heading), position)
        assert position >= 0, f"heading {heading!r} not found in order"
        headings[key] = position
    bounds = [*headings.values(), len(text)]
    for kind, caption in captions.items():
        assert text.count(_squeeze(caption)) == 1, caption
        at = text.find(_squeeze(caption))
        i = list(headings).index(SECTION_OF[kind])
        assert bounds[i] < at < bounds[i + 1], f"{caption!r} is not in section {SECTION_OF[kind]}"


# --- the record cell -----------------------------------------------------------------------------


def _record_outputs(nb: nbformat.NotebookNode) -> list[str]:
    (cell,) = [c for c in nb.cells if exporters.RECORD_TAG in c.get("metadata", {}).get("tags", [])]
    return ["".join(o.data["text/html"]) for o in cell.outputs if "text/html" in o.get("data", {})]


def _frame(html: str) -> pd.DataFrame:
    return pd.read_html(io.StringIO(html), index_col=0, keep_default_na=False)[0]


@pytest.mark.slow
def test_the_record_cell_shows_the_numbers_as_dataframes_in_the_notebook_only(rendered: Rendered) -> None:
    ay = rendered.ay
    outputs = _record_outputs(rendered.notebook)
    tables = [html for html in outputs if 'class="dataframe"' in html]
    assert len(tables) == 5, "三张表、计算得出的数字、校验结果"
    t2, t3, t4, named, findings = (_frame(html) for html in tables)
    for spec, value in ay.cells():
        if spec.table == "t3":
            assert int(t3.loc[spec.row_label, spec.column_label]) == value, spec.label
        elif spec.table == "t4":
            group = spec.column_label.removesuffix("/" + spec.column_leaf)
            assert int(t4.loc[group, spec.column_leaf]) == value, spec.label
        else:
            assert str(t2.loc[spec.row_label, spec.column_label]) == model.show(value), spec.label
    f = figures.figures(ay)
    assert int(named.loc["applications.new", "数值"]) == f["applications"]["new"]
    assert int(named.loc["review.total", "数值"]) == f["review"]["total"]
    assert int(named.loc["facts.proactive_items", "数值"]) == ay.facts.proactive_items
    assert list(findings.columns) == ["规则", "级别", "说明"]
    assert any("校验结果：0 个错误，0 个警告" in html for html in outputs)
    # None of it reaches the page or the PDF.
    html, text = rendered.html, rendered.pdftotext()
    assert 'class="dataframe"' not in html and "applications.new" not in html
    for title in RECORD_TITLES:
        assert title not in html and title not in text
    assert "applications.new" not in text


def test_a_chart_is_asked_for_by_its_kind() -> None:
    years = synthetic.series(Agency("test-bureau", "青石县测试局", "县级", None), range(2020, 2023), seed=5)
    report = Report(years[-1], years[:-1])
    assert report.chart("trend").startswith('<figure class="chart trend">')
    with pytest.raises(ValueError, match=r"unknown chart 't3'.*applicants"):
        report.chart("t3")  # a section is not a chart: the template places charts, not the facade


def test_report_cells_drop_the_record_cell() -> None:
    shown = nbformat.v4.new_output("display_data", data={"text/html": "<p>报告</p>", "text/plain": "x"})
    record = nbformat.v4.new_output("display_data", data={"text/html": '<table class="dataframe"></table>'})
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("report.show_record()", metadata={"tags": ["xxgk-record"]}, outputs=[record]),
            nbformat.v4.new_code_cell("HTML(report.title())", outputs=[shown]),
        ]
    )
    kept, _ = exporters.ReportCells().preprocess(nb, {})
    assert [c.source for c in kept.cells] == ["HTML(report.title())"]


def test_the_template_tags_one_record_cell_right_after_the_setup() -> None:
    nb = nbformat.read(templates.notebook(), as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if exporters.RECORD_TAG in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and nb.cells[tagged[0] - 1].id == "setup"
    assert exporters.RECORD_TAG in exporters.REMOVE_TAGS


def test_record_frames_carry_the_official_labels_and_the_findings() -> None:
    years = synthetic.series(Agency("test-bureau", "青石县测试局", "县级", None), range(2020, 2023), seed=5)
    ay = years[-1]
    found = [
        {"rule": "I1", "severity": "error", "message": "表三 （七）总计 / 总计：应为 30，实为 29"},
        {"rule": "X1", "severity": "warning", "message": "上年结转与上一年度不一致"},
    ]
    record = Report(ay, years[:-1], found).record()
    titles = list(record)
    assert titles[:3] == [f"{ay.format.table_title(t)}：{ay.format.sections[t]}" for t in ("t2", "t3", "t4")]
    t3 = record[titles[1]]
    assert list(t3.index) == list(dict.fromkeys(c.row_label for c in ay.format.table_cells("t3")))
    assert list(t3.columns) == list(dict.fromkeys(c.column_label for c in ay.format.table_cells("t3")))
    assert t3.loc[ay.format.cell("t3", "new", "total").row_label].iloc[-1] == ay.tables["t3"]["new"]["total"]
    assert titles[-1] == "校验结果：1 个错误，1 个警告"
    assert record[titles[-1]].values.tolist() == [
        ["I1", "错误", "表三 （七）总计 / 总计：应为 30，实为 29"],
        ["X1", "警告", "上年结转与上一年度不一致"],
    ]


# --- the parameters of one report, for papermill by hand ------------------------------------------


def _outputs(nb: nbformat.NotebookNode) -> list[list[Any]]:
    """Each cell's outputs, without execution counts (the one thing a kernel numbers as it likes)."""
    return [[{k: v for k, v in o.items() if k != "execution_count"} for o in c.get("outputs", [])] for c in nb.cells]


@pytest.mark.slow
def test_papermill_with_the_parameters_file_makes_the_notebook_render_makes(
    render: Callable[[str, int], Rendered], tmp_path: Path, run_cli: Any
) -> None:
    rendered = render("jinhe-city-gov-office", 2024)
    file = tmp_path / "params.yaml"
    code, _, err = run_cli("parameters", rendered.agency, rendered.year, "--params", rendered.params, "-o", file)
    assert code == 0, err
    assert f"papermill notebooks/annual_report.ipynb out.ipynb -f {file}" in err
    text = file.read_text(encoding="utf-8")
    assert "金河市人民政府办公室" in text and "\\u" not in text, "readable UTF-8, not escapes"
    render_record = rendered.notebook.metadata.papermill.parameters
    assert yaml.safe_load(text) == render_record, "exactly the parameters the build injected"
    executed = tmp_path / "out.ipynb"
    proc = subprocess.run(
        [BIN / "papermill", "--no-progress-bar", templates.notebook(), executed, "-f", file],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    by_papermill = nbformat.read(executed, as_version=4)
    assert _outputs(by_papermill) == _outputs(rendered.notebook)
    assert any('<figure class="chart trend">' in str(o) for o in _outputs(by_papermill)), "a report was made"
    assert [c.source for c in by_papermill.cells] == [c.source for c in rendered.notebook.cells]


def test_parameters_go_to_standard_output_by_default(params: Path, run_cli: Any) -> None:
    code, out, err = run_cli("parameters", "shiqiao-town", 2023, "--params", params)
    assert code == 0, err
    loaded = yaml.safe_load(out)
    assert set(loaded) == {"agency_year", "history", "findings", "options"}
    assert loaded["agency_year"]["agency"]["name"] == "石桥镇人民政府"
    assert [h["year"] for h in loaded["history"]] == [2019, 2020, 2021, 2022]
    assert loaded["options"] == Options().to_dict()
    # The narrative's Markdown stays readable: a block, not one line of \n escapes.
    assert "overview: |" in out


def test_parameters_of_data_with_errors_are_refused_unless_allowed(params: Path, run_cli: Any, tmp_path: Path) -> None:
    data = params / "shiqiao-town" / "2023.yaml"
    natural = set_cell(data, "new", "natural", 0)
    set_cell(data, "new", "natural", natural + 1)
    file = tmp_path / "params.yaml"
    before = tree_digest(tmp_path)
    code, out, err = run_cli("parameters", "shiqiao-town", 2023, "--params", params, "-o", file)
    assert code == 1 and "I1" in out and "--allow-invalid" in err
    assert tree_digest(tmp_path) == before, "nothing written"
    code, out, err = run_cli("parameters", "shiqiao-town", 2023, "--params", params, "-o", file, "--allow-invalid")
    assert code == 0, err
    loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
    assert loaded["options"]["allow_invalid"] is True
    assert {f["rule"] for f in loaded["findings"] if f["severity"] == "error"} >= {"I1"}
    assert all(f["file"] == "shiqiao-town/2023.yaml" for f in loaded["findings"])


def test_parameters_of_a_missing_year_say_so(params: Path, run_cli: Any) -> None:
    code, out, err = run_cli("parameters", "shiqiao-town", 2031, "--params", params)
    assert code == 2 and out == ""
    assert "2031.yaml" in err and "数据文件不存在" in err


# --- the bare template ----------------------------------------------------------------------------


def test_the_bare_template_names_what_to_pass_without_a_traceback() -> None:
    with pytest.raises(MissingParameters) as caught:
        Report.from_parameters({}, [], [], {})
    lines = caught.value._render_traceback_()
    text = "\n".join(lines)
    for needed in ("agency_year", "xxgk parameters AGENCY YEAR", "papermill notebooks/annual_report.ipynb"):
        assert needed in text
    assert "参数" in text and "parameters" in text and "Traceback" not in text


@pytest.mark.slow
def test_papermill_on_the_bare_template_shows_the_message_not_a_kernel_traceback(tmp_path: Path) -> None:
    executed = tmp_path / "out.ipynb"
    proc = subprocess.run(
        [BIN / "papermill", "--no-progress-bar", templates.notebook(), executed],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode != 0
    # papermill prints its own call stack, then what the kernel said: only the message.
    kernel_said = proc.stderr.split('Exception encountered at "In [', 1)[1]
    assert "agency_year" in kernel_said and "xxgk parameters AGENCY YEAR -o params.yaml" in kernel_said
    assert "Traceback" not in kernel_said and 'File "' not in kernel_said and "xxgk/report" not in kernel_said
    # What Jupyter shows for the failed cell: the message, line by line, and nothing else.
    nb = nbformat.read(executed, as_version=4)
    (error,) = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert error.ename == "MissingParameters"
    assert error.traceback == str(error.evalue).splitlines()
