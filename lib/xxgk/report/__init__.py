"""The notebook's side of a report: papermill parameters in, one HTML block per call out.

``notebooks/annual_report.ipynb`` stays readable because each of its cells is a heading comment and
one short call into this module; everything that is code lives here, where it is typed, tested and
linted. The module runs inside the kernel, so it is kept lean on purpose (a kernel's imports are
the dominant cost of a report): it imports the data model and the content functions, nothing
else, and charts (matplotlib) only when the report shows them.

Every method returns a ``str`` of HTML; the notebook wraps it in ``IPython.display.HTML``. An empty
string means "nothing to show here", and the exporter drops such outputs so they leave no blank band.
Text assembled here goes through markupsafe, so every value taken from the data is escaped.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from markupsafe import Markup

from xxgk import formats
from xxgk.data import model
from xxgk.data.model import AgencyYear
from xxgk.report import narrative, tables

LAW = "《中华人民共和国政府信息公开条例》"


@dataclass(frozen=True)
class Options:
    """Render options a caller may set; the notebook receives them as the ``options`` parameter.

    Unknown keys are refused rather than ignored: a misspelt option silently doing nothing would
    produce a report that looks right and is not what was asked for.
    """

    allow_invalid: bool = False
    """The caller chose to render data with errors (``--allow-invalid``); the banner lists them."""
    charts: bool = True
    """Show the charts after table 三 (applications): off for a text-only report."""
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
        """Rebuild the typed objects from the plain data papermill injected (see ``model.to_dict``)."""
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
            body = narrative.section_html(self.ay, key)
            return self.heading(key) + Markup('<div class="narrative {}">{}</div>\n').format(key, Markup(body))
        if key in formats.TABLE_IDS:
            summary = narrative.summary_html(self.ay, key, self.previous)
            table = tables.table_html(self.ay, key)
            return self.heading(key) + Markup('<div class="summary">{}</div>\n{}').format(
                Markup(summary), Markup(table)
            )
        raise ValueError(f"unknown section {key!r}; expected one of {', '.join(formats.SECTION_KEYS)}")

    def charts(self, section: str) -> str:
        """The figures that belong to section 二, 三 or 四 (``"t2"``/``"t3"``/``"t4"``), if enabled.

        ``charts.charts_html`` returns every figure in reading order, each naming its section: the
        proactive-disclosure trend belongs under table 二, review and litigation under table 四, the
        others under table 三.
        """
        if section not in ("t2", "t3", "t4"):
            raise ValueError(f"charts belong to section t2, t3 or t4, not {section!r}")
        if not self.options.charts:
            return ""
        figures = [f for f in self._figures if (_chart_section(f) == section)]
        if not figures:
            return ""
        return Markup('<div class="charts">{}</div>\n').format(Markup("\n".join(figures)))

    @functools.cached_property
    def _figures(self) -> list[str]:
        from xxgk.report import charts  # matplotlib and pandas: only when the report shows charts

        return charts.charts_html(self.ay, list(self.history))

    def signature(self) -> str:
        """The body's name and the publication date, right-aligned as on a signed document."""
        date = Markup("<p>{}</p>").format(chinese_date(self.ay.published)) if self.ay.published else ""
        return Markup('<div class="signature"><p>{}</p>{}</div>\n').format(self.ay.agency.name, date)

    # --- helpers -------------------------------------------------------------------------------

    @property
    def previous(self) -> AgencyYear | None:
        """Last year's data of the same body, if the caller passed it (for year-over-year sentences)."""
        return next((h for h in self.history if h.year == self.ay.year - 1), None)


_SECTION_ATTR = re.compile(r'^\s*<figure\b[^>]*\sdata-section="(t[34])"')


def _chart_section(figure: str) -> str:
    """Where a figure goes: the ``data-section`` its ``<figure>`` names (``charts_html`` sets it).

    Anything else it returns (the sentence for a body without applications) stays under 三,
    where the application charts would have been.
    """
    m = _SECTION_ATTR.match(figure)
    return m.group(1) if m else "t3"


def _finding_box(cls: str, lead: str, findings: Sequence[Mapping[str, Any]]) -> str:
    items = Markup("").join(
        Markup('<li><span class="rule">{}</span>{}</li>').format(f.get("rule", ""), f.get("message", ""))
        for f in findings
    )
    return Markup('<div class="{}" role="alert"><p>{}</p><ul>{}</ul></div>\n').format(cls, lead, items)
