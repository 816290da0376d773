"""Charts: present when there is something to show, described in words, Chinese glyphs, same bytes everywhere."""

from __future__ import annotations

import base64
import hashlib
import logging
import subprocess
import sys
import warnings
from pathlib import Path

import lxml.html
import matplotlib
import pytest
from matplotlib import font_manager

from xxgk.data import synthetic
from xxgk.data.figures import figures
from xxgk.data.model import Agency, AgencyYear
from xxgk.report import charts
from xxgk.report.charts import (
    FontMissingError,
    applicants,
    application_trend,
    font_path,
    outcomes,
    proactive_trend,
    review_litigation,
)

CITY = Agency("jinhe-city", "金河市人民政府办公室", "市级", None, Path())
TOWN = Agency("shiqiao-town", "石桥镇人民政府", "乡镇", None, Path())


@pytest.fixture(scope="module")
def series() -> list[AgencyYear]:
    return synthetic.series(CITY, range(2019, 2025), seed=3, scale=200)


def charts_html(ay: AgencyYear, history: list[AgencyYear]) -> list[str]:
    """Every chart function's output that is not empty, in the order the old single list gave them."""
    made = (applicants, outcomes, review_litigation, application_trend, proactive_trend)
    return [html for chart in made if (html := chart(ay, history))]


def _figures(snippets: list[str]) -> list[lxml.html.HtmlElement]:
    return [lxml.html.fragment_fromstring(s) for s in snippets if s.startswith("<figure")]


def _png(figure: lxml.html.HtmlElement) -> bytes:
    src = figure.find("img").get("src")
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    return base64.b64decode(src[len(prefix) :])


def _zero_t4(ay: AgencyYear) -> AgencyYear:
    for group in ay.tables["t4"].values():
        for k in group:
            group[k] = 0
    return ay


def test_every_chart_is_a_figure_with_alt_text_and_caption(series: list[AgencyYear]) -> None:
    ay = series[-1]
    out = charts_html(ay, series)
    figs = _figures(out)
    assert len(figs) == len(out) == 4
    apps = figures(ay)["applications"]
    for fig in figs:
        assert fig.tag == "figure"
        img = fig.find("img")
        assert img.get("alt") and fig.find("figcaption").text_content()
        png = _png(fig)
        assert png.startswith(b"\x89PNG")
        assert b"tIME" not in png and b"Software" not in png, "no timestamp or tool stamp in the image"
        assert (img.get("width"), img.get("height")) == ("614", "307")
    applicants, outcomes, review, trend = (f.find("img").get("alt") for f in figs)
    assert applicants.startswith("柱状图：2024年新收政府信息公开申请的申请人类型")
    assert f"自然人{apps['by_applicant']['natural']}件" in applicants
    assert f"合计{apps['new']}件" in applicants
    assert f"予以公开{apps['granted']}件" in outcomes and f"办结{apps['handled']}件" in outcomes
    assert f"行政复议{figures(ay)['review']['total']}件" in review
    for year in series:
        assert f"{year.year}年新收{figures(year)['applications']['new']}件" in trend


def test_no_applications_gives_no_empty_charts() -> None:
    """Section 三's summary already says that nothing was received (tests/test_narrative.py); no chart of
    zeros, and no second copy of that sentence, follows it."""
    empty = _zero_t4(synthetic.agency_year(TOWN, 2023, seed=1, scale=0))
    assert charts_html(empty, []) == []
    # The trend still shows, when there are earlier years to compare with.
    before = synthetic.agency_year(TOWN, 2022, seed=1, scale=40)
    out = charts_html(empty, [before])
    assert len(out) == 1 and "2022—2023年政府信息公开申请数量" in out[0]


def test_review_and_litigation_only_when_there_are_cases(series: list[AgencyYear]) -> None:
    ay = _zero_t4(synthetic.agency_year(CITY, 2022, seed=9, scale=200))
    alts = [f.find("img").get("alt") for f in _figures(charts_html(ay, []))]
    assert len(alts) == 2 and not any("行政复议" in a for a in alts)
    ay.tables["t4"]["litigation_direct"].update(upheld=2, total=2)
    alts = [f.find("img").get("alt") for f in _figures(charts_html(ay, []))]
    assert len(alts) == 3
    assert "行政诉讼·未经复议直接起诉2件（结果维持2件）" in alts[2] and "行政复议0件" in alts[2]


@pytest.mark.slow
def test_trend_needs_two_years(series: list[AgencyYear]) -> None:
    ay = series[2]

    def has_trend(history: list[AgencyYear]) -> bool:
        return any("申请数量" in f.find("figcaption").text_content() for f in _figures(charts_html(ay, history)))

    assert not has_trend([])
    assert not has_trend([ay])  # this year alone is one year
    assert not has_trend(series[3:])  # later years are not part of this year's report
    assert has_trend([series[1]])
    trend = _figures(charts_html(ay, series))[-1]
    assert trend.find("figcaption").text_content() == "2019—2021年政府信息公开申请数量（单位：件）"


@pytest.mark.slow
def test_same_bytes_on_every_call_whatever_the_global_style(series: list[AgencyYear]) -> None:
    first = charts_html(series[-1], series)
    assert charts_html(series[-1], series) == first
    # A notebook may have changed matplotlib's global settings; the charts must not notice.
    with matplotlib.rc_context(
        {"font.size": 20, "axes.facecolor": "red", "svg.hashsalt": None, "font.family": "serif"}
    ):
        assert charts_html(series[-1], series) == first


SUBPROCESS = """
import hashlib, sys
from pathlib import Path
from xxgk.data import synthetic
from xxgk.report import charts
from xxgk.data.model import Agency
ays = synthetic.series(Agency("jinhe-city", "金河市人民政府办公室", "市级", None, Path()), range(2019, 2025), 3, 200)
made = [
    html
    for f in (charts.applicants, charts.outcomes, charts.review_litigation,
              charts.application_trend, charts.proactive_trend)
    if (html := f(ays[-1], ays))
]
sys.stdout.write(hashlib.sha256("\\n".join(made).encode()).hexdigest())
"""


@pytest.mark.slow
def test_same_bytes_in_a_fresh_process(series: list[AgencyYear]) -> None:
    here = hashlib.sha256("\n".join(charts_html(series[-1], series)).encode()).hexdigest()
    there = subprocess.run(
        [sys.executable, "-c", SUBPROCESS], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    assert there == here


@pytest.mark.slow
@pytest.mark.parametrize("scale", [0, 3, 200, 5000])
def test_no_font_warnings(scale: int, caplog: pytest.LogCaptureFixture) -> None:
    """No "Glyph … missing from font" warning and no "findfont: Font family … not found" log."""
    years = synthetic.series(CITY, range(2019, 2025), seed=scale, scale=scale)
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING, logger="matplotlib"):
        warnings.simplefilter("error")
        out = charts_html(years[-1], years)
    assert out
    assert not [r for r in caplog.records if r.name.startswith("matplotlib")]


def test_the_font_is_the_simplified_chinese_face(series: list[AgencyYear]) -> None:
    path = font_path()
    assert "NotoSansCJK" in str(path)
    assert font_manager.get_font(path).family_name == "Noto Sans CJK SC"
    # The .ttc holds the JP, KR, SC, TC and HK faces; the path carries the SC face's index.
    assert font_manager.get_font(path).style_name == "Regular"


def test_a_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    rebuilt: list[bool] = []
    monkeypatch.setattr(charts, "FONT_FAMILY", "No Such Font CJK")
    monkeypatch.setattr(charts, "_rebuild_font_cache", lambda: rebuilt.append(True))
    font_path.cache_clear()
    try:
        with pytest.raises(FontMissingError, match="fonts-noto-cjk") as err:
            font_path()
        assert "No Such Font CJK" in str(err.value)
        assert rebuilt == [True], "the font cache is rebuilt once before giving up"
    finally:
        font_path.cache_clear()


def test_figures_say_what_they_are_and_leave_their_place_to_the_template(series: list[AgencyYear]) -> None:
    """Each figure names its kind; none claims a section (the template's cell order places it, and
    tests/test_notebook.py checks each chart under its own heading on the page and in the PDF)."""
    figs = _figures(charts_html(series[-1], series))
    assert [(f.get("class"), f.get("data-section")) for f in figs] == [
        ("chart applicants", None),
        ("chart outcomes", None),
        ("chart review-litigation", None),
        ("chart trend", None),
    ]
    assert [charts.CHARTS[k] for k in ("applicants", "outcomes", "review-litigation", "trend")] == [
        applicants,
        outcomes,
        review_litigation,
        application_trend,
    ]
    for snippet in charts_html(series[-1], series):
        assert " id=" not in snippet.split("src=")[0]
        assert snippet.endswith("</figcaption></figure>")


@pytest.mark.slow
def test_proactive_disclosure_trend_needs_two_years_that_state_it(series: list[AgencyYear]) -> None:
    import dataclasses

    from xxgk.data.model import Facts

    stated = [dataclasses.replace(y, facts=Facts(proactive_items=100 + i)) for i, y in enumerate(series)]
    figs_ = _figures(charts_html(stated[-1], stated))
    trend = [f for f in figs_ if "proactive-trend" in f.get("class")]
    assert len(trend) == 1 and trend[0].get("class") == "chart proactive-trend"
    assert _figures([proactive_trend(stated[-1], stated)])[0].find("img").get("alt") == trend[0].find("img").get("alt")
    alt = trend[0].find("img").get("alt")
    assert all(f"{y.year}年{100 + i}条" in alt for i, y in enumerate(series))
    only_one = [*series[:-1], stated[-1]]
    assert not [f for f in _figures(charts_html(only_one[-1], only_one)) if "proactive-trend" in f.get("class")]
