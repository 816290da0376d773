"""Charts of one report: who applied, how applications ended, review and litigation, the trend.

Each chart is a PNG embedded as a ``data:`` URI in an ``<img>`` with Chinese alt text that states the
numbers, inside a ``<figure>`` with a caption, so the HTML is self-contained and the chart is
readable without seeing it.

One public function per chart (:data:`CHARTS` names them), each returning its figure or "" when
it does not apply: the notebook template has one cell per chart, right after the section the chart
belongs to, so a chart's place is stated once, by the template, and a reviewer sees it there.

Why PNG at print resolution (200 dpi): the glyphs are rasterised by matplotlib from the Noto Sans
CJK SC face it was told to use, so neither a browser nor WeasyPrint needs the font and nothing can
fall back to the Japanese forms at view time. SVG with text as paths gave the same guarantee but
cost WeasyPrint about 0.5 s per report to draw its thousands of paths (bench/bench_build.py), a
quarter of a report's time. With no metadata the bytes are the same in every process, which the
build relies on (same inputs, same bytes).

Why ``Figure`` and not pyplot: pyplot keeps global state (current figure, backend, a registry of
open figures) that a reused notebook kernel shares with the notebook's own code. A bare ``Figure``
is drawn by the SVG backend directly, registers nowhere and needs no closing; the rc settings are
applied per chart on top of matplotlib's defaults, so a style set earlier in the kernel cannot
change the output.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd
from cycler import cycler
from markupsafe import Markup
from matplotlib import font_manager, style
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

from xxgk.data import figures as figs
from xxgk.data.model import AgencyYear, count
from xxgk.formats import short_label

__all__ = [
    "CHARTS",
    "FONT_FAMILY",
    "FontMissingError",
    "applicants",
    "application_trend",
    "font_path",
    "outcomes",
    "proactive_trend",
    "review_litigation",
]

FONT_FAMILY = "Noto Sans CJK SC"
FIGSIZE = (6.4, 3.2)
# A sober palette that stays distinguishable in greyscale print.
PALETTE = ("#1f4e79", "#c55a11", "#7f7f7f", "#bf9000", "#2e75b6", "#548235")

_RC: dict[str, Any] = {
    "font.family": FONT_FAMILY,
    "font.size": 9,
    "axes.unicode_minus": False,  # U+2212 is not needed and "-" is what the tables print
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=PALETTE),
    "figure.figsize": FIGSIZE,
    "figure.dpi": 100,
    "savefig.bbox": None,
    "savefig.transparent": False,
    "savefig.facecolor": "white",
}


class FontMissingError(RuntimeError):
    """The Chinese font cannot be found: charts would show empty boxes (tofu) instead of text."""


def _rebuild_font_cache() -> None:
    """Rescan the system fonts, in place, the way matplotlib itself does when a cached file vanished.

    Needed when fonts were installed after matplotlib built its cache: it then silently falls back
    to DejaVu, which has no Chinese glyphs.
    """
    # matplotlib's own rebuild (private, so reached by name: there is no public one).
    fresh = getattr(font_manager, "_load_fontmanager")(try_read_cache=False)  # noqa: B009
    vars(font_manager.fontManager).update(vars(fresh))
    getattr(font_manager.FontManager, "_findfont_cached").cache_clear()  # noqa: B009


@functools.cache
def font_path() -> str:
    """The file (with face index, for a .ttc) of the simplified-Chinese face every chart uses.

    Checked once per process and never with fallback: a chart in the wrong font is worse than an
    error, because it is only noticed after publication.
    """
    prop = FontProperties(family=FONT_FAMILY)
    try:
        return font_manager.findfont(prop, fallback_to_default=False)
    except ValueError:
        _rebuild_font_cache()
    try:
        return font_manager.findfont(prop, fallback_to_default=False)
    except ValueError:
        raise FontMissingError(
            f"找不到图表所需的字体“{FONT_FAMILY}”。请安装 fonts-noto-cjk（Debian/Ubuntu：apt-get install "
            f"fonts-noto-cjk），然后重新运行。 / Font {FONT_FAMILY!r} not found: install fonts-noto-cjk."
        ) from None


# --- drawing -------------------------------------------------------------------------------------


DPI = 200
# CSS pixels of the figure (96 per inch): the size the chart is shown at, whatever its resolution.
CSS_SIZE = (round(FIGSIZE[0] * 96), round(FIGSIZE[1] * 96))


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _figure_html(kind: str, png: bytes, alt: str, caption: str) -> str:
    """``class="chart <kind>"`` lets the stylesheet and the tests tell the charts apart without
    reading their captions. Where a chart stands is the template's business (one cell per chart),
    so the figure carries no note of its section: a second statement could only disagree."""
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return str(
        Markup(
            '<figure class="chart {}"><img src="{}" width="{}" height="{}" alt="{}">'
            "<figcaption>{}</figcaption></figure>"
        ).format(kind, uri, CSS_SIZE[0], CSS_SIZE[1], alt, caption)
    )


def _draw(paint: Callable[[Figure], None]) -> bytes:
    """Run ``paint(fig)`` under the report's own rc settings, on top of matplotlib's defaults."""
    font_path()
    with style.context(["default", _RC]):
        fig = Figure(layout="constrained")
        paint(fig)
        return _png(fig)


def _integer_axis(ax: Axes, axis: str = "y") -> None:
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))


def _listing(values: Mapping[str, int]) -> str:
    return "、".join(f"{k}{v}件" for k, v in values.items())


def _none_received(apps: Mapping[str, Any]) -> bool:
    """No application this year and none carried over: the sentence stands where the charts would."""
    return bool(apps["new"] == 0 and apps["carried_over"] == 0)


def _years(ay: AgencyYear, history: Iterable[AgencyYear]) -> list[AgencyYear]:
    """This year and the earlier ones of ``history``, one per year (this year's data wins), in order."""
    by_year = {h.year: h for h in history if h.year < ay.year}
    by_year[ay.year] = ay
    return [by_year[y] for y in sorted(by_year)]


# --- one public function per chart ----------------------------------------------------------------
# Each takes the report year and (for the trends) its earlier years, and returns the chart's
# ``<figure>`` or "" when the chart does not apply. Which section a chart belongs to is said once,
# by the notebook template's cell order, never here.


def applicants(ay: AgencyYear, history: Iterable[AgencyYear] = ()) -> str:
    """Bars of the new applications by type of applicant, when there were new applications."""
    apps = figs.figures(ay)["applications"]
    if _none_received(apps) or not apps["new"]:
        return ""
    columns = [leaf for _, leaf in ay.format.t3_columns.leaves() if leaf.key in apps["by_applicant"]]
    data = pd.Series({short_label(c.label): apps["by_applicant"][c.key] for c in columns}, dtype="int64")

    def paint(fig: Figure) -> None:
        ax = fig.subplots()
        bars = ax.bar(data.index, data.to_numpy(), color=PALETTE[0], width=0.6)
        ax.bar_label(bars, labels=[str(v) for v in data.values], padding=2)
        _integer_axis(ax)
        ax.margins(y=0.15)

    caption = f"{ay.year}年新收政府信息公开申请的申请人类型（单位：件）"
    alt = f"柱状图：{caption}。{_listing({str(k): int(v) for k, v in data.items()})}，合计{apps['new']}件。"
    return _figure_html("applicants", _draw(paint), alt, caption)


def _outcome_labels(ay: AgencyYear) -> dict[str, str]:
    return {name: short_label(node.label) for name, (node, _) in ay.format.outcomes.items()}


def outcomes(ay: AgencyYear, history: Iterable[AgencyYear] = ()) -> str:
    """Horizontal bars of how the applications handled ended, when any were handled."""
    apps = figs.figures(ay)["applications"]
    if _none_received(apps) or not apps["handled"]:
        return ""
    labels = _outcome_labels(ay)
    data = pd.Series({label: apps[name] for name, label in labels.items()}, dtype="int64")

    def paint(fig: Figure) -> None:
        ax = fig.subplots()
        order = data.iloc[::-1]  # first outcome on top, as in the table
        bars = ax.barh(order.index, order.to_numpy(), color=PALETTE[0], height=0.6)
        ax.bar_label(bars, labels=[str(v) for v in order.values], padding=2)
        _integer_axis(ax, "x")
        ax.margins(x=0.12)

    caption = f"{ay.year}年政府信息公开申请办理结果（办结{apps['handled']}件，单位：件）"
    alt = f"横向条形图：{caption}。{_listing({str(k): int(v) for k, v in data.items()})}。"
    return _figure_html("outcomes", _draw(paint), alt, caption)


def review_litigation(ay: AgencyYear, history: Iterable[AgencyYear] = ()) -> str:
    """Stacked bars per group (复议, each kind of 诉讼), one colour per outcome; totals stay in table 四.

    Only when there were cases: an empty chart says nothing the summary sentence does not.
    """
    f = figs.figures(ay)
    if not (f["review"]["total"] or f["litigation"]["total"]):
        return ""
    tree = ay.format.t4_columns
    groups: list[tuple[str, str]] = []
    for chain, _ in tree.leaves():
        group = next(h for h in reversed(chain) if h.key)
        name = "·".join(h.label for h in chain if h.label)
        if (group.key or "", name) not in groups:
            groups.append((group.key or "", name))
    kinds = [(leaf.key or "", leaf.label) for _, leaf in tree.children[0].leaves() if leaf.key != "total"]
    t4 = ay.tables["t4"]
    frame = pd.DataFrame(
        [[count(t4[g][k]) for k, _ in kinds] for g, _ in groups],
        index=[name for _, name in groups],
        columns=[label for _, label in kinds],
    )

    def paint(fig: Figure) -> None:
        ax = fig.subplots()
        order = frame.iloc[::-1]
        left = pd.Series(0, index=order.index)
        for i, col in enumerate(order.columns):
            ax.barh(order.index, order[col], left=left, label=col, color=PALETTE[i % len(PALETTE)], height=0.55)
            left = left + order[col]
        for y, total in enumerate(left):
            ax.text(total, y, f" {total}", va="center")
        _integer_axis(ax, "x")
        ax.margins(x=0.1)
        fig.legend(loc="outside upper center", frameon=False, ncols=len(kinds))

    review, litigation = (short_label(node.label) for node in tree.children)
    caption = f"{ay.year}年政府信息公开{review}、{litigation}结果（单位：件）"
    parts = []
    for who, row in frame.iterrows():
        detail = _listing({str(k): int(v) for k, v in row.items() if v})
        parts.append(f"{who}{int(row.sum())}件" + (f"（{detail}）" if detail else ""))
    alt = f"堆积条形图：{caption}。" + "；".join(parts) + "。"
    return _figure_html("review-litigation", _draw(paint), alt, caption)


def application_trend(ay: AgencyYear, history: Iterable[AgencyYear] = ()) -> str:
    """Grouped bars of new and handled applications per year, when ``history`` with this year spans
    two years or more (later years in ``history`` are ignored: a report shows nothing after its own
    year). Bars keep the value labels of two close series apart; lines did not."""
    years = _years(ay, history)
    if len(years) < 2:
        return ""
    frame = pd.DataFrame(
        {
            "新收申请": [figs.figures(y)["applications"]["new"] for y in years],
            "办结": [figs.figures(y)["applications"]["handled"] for y in years],
        },
        index=[y.year for y in years],
    )

    def paint(fig: Figure) -> None:
        ax = fig.subplots()
        width = 0.38
        positions = list(range(len(frame)))
        for i, (name, series) in enumerate(frame.items()):
            xs = [p + (i - 0.5) * width for p in positions]
            bars = ax.bar(xs, series.to_numpy(), width=width, label=name, color=PALETTE[i])
            ax.bar_label(bars, labels=[str(v) for v in series.values], padding=2, fontsize=7)
        ax.set_xticks(positions, [f"{y}年" for y in frame.index])
        _integer_axis(ax)
        ax.margins(y=0.15)
        fig.legend(loc="outside upper center", frameon=False, ncols=len(frame.columns))

    first, last = frame.index[0], frame.index[-1]
    caption = f"{first}—{last}年政府信息公开申请数量（单位：件）"
    listing = "；".join(f"{y}年新收{int(r['新收申请'])}件、办结{int(r['办结'])}件" for y, r in frame.iterrows())
    alt = f"柱状图：{caption}。{listing}。"
    return _figure_html("trend", _draw(paint), alt, caption)


def proactive_trend(ay: AgencyYear, history: Iterable[AgencyYear] = ()) -> str:
    """Items proactively disclosed per year, from the data files' ``facts`` (the tables hold no
    total), when two or more of this and the earlier years state it."""
    counts = [(y.year, y.facts.proactive_items) for y in _years(ay, history) if y.facts.proactive_items is not None]
    if len(counts) < 2:
        return ""

    def paint(fig: Figure) -> None:
        ax = fig.subplots()
        bars = ax.bar([f"{y}年" for y, _ in counts], [n for _, n in counts], width=0.5, color=PALETTE[0])
        ax.bar_label(bars, labels=[str(n) for _, n in counts], padding=2, fontsize=7)
        _integer_axis(ax)
        ax.margins(y=0.15)

    caption = f"{counts[0][0]}—{counts[-1][0]}年主动公开政府信息条数（单位：条）"
    listing = "；".join(f"{y}年{n}条" for y, n in counts)
    return _figure_html("proactive-trend", _draw(paint), f"柱状图：{caption}。{listing}。", caption)


CHARTS: dict[str, Callable[[AgencyYear, Iterable[AgencyYear]], str]] = {
    "applicants": applicants,
    "outcomes": outcomes,
    "trend": application_trend,
    "proactive-trend": proactive_trend,
    "review-litigation": review_litigation,
}
"""Each chart by the name the report calls it by (its ``class="chart <kind>"``): how the facade
finds a chart, not where it goes."""
