"""The report page in a real browser (Debian's headless Chromium via Playwright).

WeasyPrint is not a browser: it ignores scripts and fetches only what its URL fetcher allows. A
reader opens the HTML in Chromium, so this is where "no request leaves the page" and "no console
error" are proved: every request is routed, recorded and, unless it is the page itself, aborted.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from xxgk import render
from xxgk.data import model, synthetic
from xxgk.data.model import Agency

PAGE_URL = "http://report.invalid/report.html"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def report_html() -> bytes:
    years = synthetic.series(Agency("browser-test", "青石县测试局", "县级", None), range(2019, 2023), seed=3)
    params = {
        "agency_year": model.to_dict(years[-1]),
        "history": [model.to_dict(y) for y in years[:-1]],
        "findings": [{"rule": "I1", "severity": "error", "message": "表三 （七）总计 / 总计：应为 30，实为 29"}],
        "options": {"allow_invalid": True},
    }
    return render.build_artifacts(params)["report.html"]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.slow
def test_page_loads_offline_without_requests_or_errors(report_html: bytes, tmp_path: Path) -> None:
    from playwright.sync_api import Route, sync_playwright

    requests: list[str] = []
    problems: list[str] = []

    def route(r: Route) -> None:
        requests.append(r.request.url)
        if r.request.url == PAGE_URL:
            r.fulfill(status=200, body=report_html, content_type="text/html; charset=utf-8")
        else:
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1200})
            page.route("**/*", route)
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))
            page.goto(PAGE_URL, wait_until="load")
            page.wait_for_load_state("networkidle")

            state = page.evaluate(
                """() => ({
                    lang: document.documentElement.lang,
                    font: getComputedStyle(document.body).fontFamily,
                    heading: getComputedStyle(document.querySelector('h2')).fontFamily,
                    scripts: document.scripts.length,
                    images: [...document.images].map(i => [i.complete, i.naturalWidth, i.alt.length]),
                    cjk: document.fonts.check('16px "Noto Serif CJK SC"', '政府信息公开'),
                    banner: document.querySelector('.findings')?.getBoundingClientRect().top,
                    title: document.querySelector('h1').getBoundingClientRect().top,
                })"""
            )
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()

    assert requests == [PAGE_URL], f"requests left the page: {requests[1:]}"
    assert problems == []
    assert state["lang"] == "zh" and state["scripts"] == 0
    assert state["font"].startswith('"Noto Serif CJK SC"') and state["heading"].startswith('"Noto Sans CJK SC"')
    assert state["cjk"]
    assert state["images"] and all(ok and width > 0 and alt for ok, width, alt in state["images"])
    assert state["title"] < state["banner"] < 400  # the red banner is on the first screen, under the title

    data = shot.read_bytes()
    width, height = png_size(data)
    assert width == 1000 and height > 3000  # the whole report, not a blank viewport
    assert len(data) > 100_000
