"""The notebook's side of a report: papermill parameters in, one HTML block per call out.

``notebooks/annual_report.ipynb`` stays readable because each of its cells is a heading comment and
one short call into this module; everything that is code lives here, where it is typed, tested and
linted. The module runs inside the kernel, so it is kept lean on purpose (a kernel's imports are
the dominant cost of a report): it imports the data model and the content functions, nothing
else, and charts (matplotlib) only when the report shows them.

Every block method returns a ``str`` of HTML; the notebook wraps it in ``IPython.display.HTML``. An
empty string means "nothing to show here", and the exporter drops such outputs so they leave no
blank band. Text assembled here goes through markupsafe, so every value taken from the data is
escaped. The one exception is the record (:meth:`Report.record`): DataFrames of the numbers behind
the report, shown in a cell the exporter never publishes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from xxgk import formats
from xxgk.data import figures as figs
from xxgk.data import model
from xxgk.data.model import AgencyYear
from xxgk.report import narrative, tables

if TYPE_CHECKING:
    import pandas as pd

LAW = "《中华人民共和国政府信息公开条例》"

MISSING_PARAMETERS = """\
这是报告模板，需要一个机关一个年度的数据作为参数（agency_year、history、findings、options），不能直接运行。
先写出参数文件，再用 papermill 执行模板：
    xxgk parameters AGENCY YEAR -o params.yaml
    papermill notebooks/annual_report.ipynb out.ipynb -f params.yaml
（或直接生成报告：xxgk render AGENCY YEAR）

This is the report template: it needs one agency-year's data as its parameters
(agency_year, history, findings, options) and cannot run bare. Write them, then run the template:
    xxgk parameters AGENCY YEAR -o params.yaml
    papermill notebooks/annual_report.ipynb out.ipynb -f params.yaml
(or make the report directly: xxgk render AGENCY YEAR)"""


class MissingParameters(ValueError):
    """The template was run without the data of an agency-year (papermill's defaults are empty).

    IPython shows an exception that defines ``_render_traceback_`` as the lines it returns and
    nothing else, so the analyst who ran the bare template in Jupyter, or papermill without ``-f``,
    reads what to pass instead of a traceback into this module.
    """

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


@dataclass(frozen=True)
class Options:
    """Render options a caller may set; the notebook receives them as the ``options`` parameter.

    Unknown keys are refused rather than ignored: a misspelt option silently doing nothing would
    produce a report that looks right and is not what was asked for.
    """

    allow_invalid: bool = False
    """The caller chose to render data with errors (``--allow-invalid``); the banner lists them."""
    charts: bool = True
    """Show the charts after their sections (二, 三, 四): off for a text-only report."""
    show_warnings: bool = False
    """List warning findings (soft and cross-year rules) in an amber box for reviewers."""

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Options:
        raw = dict(raw or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"unknown render option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        for name, value in raw.items():
            if not isinstance(value, bool):
                raise ValueError(f"render option {name!r} must be true or false, not {value!r}")
        return cls(**raw)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def chinese_date(day: dt.date) -> str:
    """``2023年1月15日``: the form official documents print (no zero padding)."""
    return f"{day.year}年{day.month}月{day.day}日"


class Report:
    """One agency-year's report, built block by block in the notebook's order."""

    def __init__(
        self,
        ay: AgencyYear,
        history: Sequence[AgencyYear] = (),
        findings: Sequence[Mapping[str, Any]] = (),
        options: Options | None = None,
    ) -> None:
        self.ay = ay
        self.history = sorted(history, key=lambda h: h.year)
        self.findings = list(findings)
        self.options = options or Options()

    @classmethod
    def from_parameters(
        cls,
        agency_year: Mapping[str, Any],
        history: Sequence[Mapping[str, Any]] = (),
        findings: Sequence[Mapping[str, Any]] = (),
        options: Mapping[str, Any] | None = None,
    ) -> Report:
        """Rebuild the typed objects from the plain data papermill injected (see ``model.to_dict``).

        Empty ``agency_year`` (the template's own defaults) raises :class:`MissingParameters`.
        """
        if not agency_year:
            raise MissingParameters(MISSING_PARAMETERS)
        return cls(
            model.from_dict(dict(agency_year)),
            [model.from_dict(dict(h)) for h in history],
            findings,
            Options.from_dict(options),
        )

    # --- the front page ------------------------------------------------------------------------

    @property
    def title_text(self) -> str:
        return f"{self.ay.agency.name}{self.ay.year}年政府信息公开工作年度报告"

    def title(self) -> str:
        return Markup("<h1>{}</h1>\n").format(self.title_text)

    def findings_banner(self) -> str:
        """The red banner of a report rendered despite errors (``--allow-invalid``), or nothing.

        Errors always show; warnings only with ``show_warnings`` and then in their own box, so
        the red banner keeps meaning "this is not a publishable text".
        """
        errors = [f for f in self.findings if f.get("severity") == "error"]
        warnings = [f for f in self.findings if f.get("severity") != "error"]
        out = []
        if errors:
            out.append(
                _finding_box(
                    "findings errors",
                    f"本报告数据未通过校验，以下 {len(errors)} 处错误尚未更正。本文本仅供核对，不得作为正式报告发布。",
                    errors,
                )
            )
        if warnings and self.options.show_warnings:
            out.append(_finding_box("findings warnings", f"审核提示：以下 {len(warnings)} 处数据需要核实。", warnings))
        return "".join(out)

    def illustrative_notice(self) -> str:
        """A visible notice on data marked ``illustrative`` (examples, not a body's real figures)."""
        if not self.ay.illustrative:
            return ""
        return Markup('<div class="notice" role="note"><p>说明：{}</p></div>\n').format(self.ay.illustrative)

    def preface(self) -> str:
        """Legal basis, the format followed and the statistical period, as conforming reports open."""
        fmt = self.ay.format
        year = self.ay.year
        return Markup(
            '<div class="preface">'
            "<p>本报告根据{law}和{fmt_name}（{basis}）的要求，由{agency}编制。</p>"
            "<p>本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。</p>"
            "</div>\n"
        ).format(law=LAW, fmt_name=f"《{fmt.name}》", basis=fmt.basis, agency=self.ay.agency.name, year=year)

    # --- the six sections ------------------------------------------------------------------------

    def heading(self, key: str) -> str:
        return Markup('<h2 id="{}">{}</h2>\n').format(key, self.ay.format.sections[key])

    def section(self, key: str) -> str:
        """Section 一 … 六: its official heading, then the narrative, or the summary and the table."""
        if key in formats.NARRATIVE_KEYS:
            # Rendering despite errors shows a narrative that cannot be filled, its N1 in the banner.
            body = narrative.section_html(self.ay, key, allow_invalid=self.options.allow_invalid)
            return self.heading(key) + Markup('<div class="narrative {}">{}</div>\n').format(key, Markup(body))
        if key in formats.TABLE_IDS:
            summary = narrative.summary_html(self.ay, key, self.previous)
            table = tables.table_html(self.ay, key)
            return self.heading(key) + Markup('<div class="summary">{}</div>\n{}').format(
                Markup(summary), Markup(table)
            )
        raise ValueError(f"unknown section {key!r}; expected one of {', '.join(formats.SECTION_KEYS)}")

    def chart(self, kind: str) -> str:
        """One chart by its kind (``charts.CHARTS``: ``"applicants"``, ``"trend"`` …), or "" when it
        does not apply or charts are off.

        The template calls this once per chart, in the cell right after the section the chart
        belongs to: the cell order is the one statement of where each chart goes.
        """
        if not self.options.charts:
            return ""  # before importing the charts: matplotlib only when the report shows them
        from xxgk.report import charts

        if kind not in charts.CHARTS:
            raise ValueError(f"unknown chart {kind!r}; expected one of {', '.join(charts.CHARTS)}")
        return charts.CHARTS[kind](self.ay, self.history)

    # --- the record: the numbers behind the report, for the executed notebook only -------------

    def record(self) -> dict[str, pd.DataFrame]:
        """The figures and the findings as pandas DataFrames, titled, in the order the record shows them.

        The three tables with the official row and column labels (read from the format's cells),
        the named figures a narrative may cite (``xxgk.data.figures``) and the check findings. The
        template's record cell shows them in the executed notebook (never in HTML or PDF), so a
        reviewer opening the ``.ipynb`` sees the numbers, not only the page made from them; in
        Jupyter, ``report.record()[title]`` is a frame to compute with.
        """
        import pandas as pd  # kernel-side only, and only for the record (charts load it anyway)

        fmt = self.ay.format
        out: dict[str, pd.DataFrame] = {}
        for table in formats.TABLE_IDS:
            rows: dict[str, dict[str, Any]] = {}
            for spec, value in self.ay.cells():
                if spec.table != table:
                    continue
                # Table 四 has one data row per group, named by its column path (row_label is empty).
                row = spec.row_label or spec.column_label.removesuffix("/" + spec.column_leaf)
                column = spec.column_label if spec.row_label else spec.column_leaf
                rows.setdefault(row, {})[column] = value if isinstance(value, int) else model.show(value)
            columns = list(dict.fromkeys(c for cells in rows.values() for c in cells))
            out[f"{fmt.table_title(table)}：{fmt.sections[table]}"] = pd.DataFrame(
                [[cells.get(c, "") for c in columns] for cells in rows.values()], index=list(rows), columns=columns
            )
        named = dict(_flat(figs.figures(self.ay)))
        figures_title = "计算得出的数字（叙述可用 {{ 名称 }} 引用）"
        out[figures_title] = pd.DataFrame({"数值": list(named.values())}, index=list(named))
        errors = sum(f.get("severity") == "error" for f in self.findings)
        title = f"校验结果：{errors} 个错误，{len(self.findings) - errors} 个警告"
        out[title] = pd.DataFrame(
            [
                [f.get("rule", ""), "错误" if f.get("severity") == "error" else "警告", f.get("message", "")]
                for f in self.findings
            ],
            columns=["规则", "级别", "说明"],
        )
        return out

    def show_record(self) -> None:
        """Display :meth:`record` in the notebook, each frame under its title and shown whole."""
        import pandas as pd
        from IPython.display import HTML, display

        whole = ("display.max_rows", None, "display.max_columns", None, "display.max_colwidth", None)
        with pd.option_context(*whole):
            for title, frame in self.record().items():
                display(HTML(Markup("<h3>{}</h3>").format(title)), frame)

    def signature(self) -> str:
        """The body's name and the publication date, right-aligned as on a signed document."""
        date = Markup("<p>{}</p>").format(chinese_date(self.ay.published)) if self.ay.published else ""
        return Markup('<div class="signature"><p>{}</p>{}</div>\n').format(self.ay.agency.name, date)

    # --- helpers -------------------------------------------------------------------------------

    @property
    def previous(self) -> AgencyYear | None:
        """Last year's data of the same body, if the caller passed it (for year-over-year sentences)."""
        return next((h for h in self.history if h.year == self.ay.year - 1), None)


def _flat(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Figures by dotted name, as a narrative cites them (``applications.new``, ``facts.channels[0].name``).

    A missing figure (a fact the data file leaves out) shows as empty; money keeps its written digits.
    """
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flat(value, name + ".")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from _flat(item, f"{name}[{i}].") if isinstance(item, Mapping) else [(f"{name}[{i}]", item)]
        elif value is None:
            yield name, ""
        else:
            yield name, value if isinstance(value, int | str) else model.show(value)


def _finding_box(cls: str, lead: str, findings: Sequence[Mapping[str, Any]]) -> str:
    items = Markup("").join(
        Markup('<li><span class="rule">{}</span>{}</li>').format(f.get("rule", ""), f.get("message", ""))
        for f in findings
    )
    return Markup('<div class="{}" role="alert"><p>{}</p><ul>{}</ul></div>\n').format(cls, lead, items)
