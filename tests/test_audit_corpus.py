"""The corpus of published pages (tests/published/pages): each reads as its sidecar says, cell by cell.

Every page imitates one pitfall of real CMS output (site chrome, Word-pasted markup in GB2312,
a traditional-character mirror with pinyin, a table printed as an image, tables flattened into
text); its ``.expected.yaml`` states what a careful person reads off it. The audit must read every
cell the same, or say which cell it could not read and why, and raise the finding the pitfall
calls for, and no other error.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from xxgk.audit import audit_one
from xxgk.data.model import Amount

PAGES = Path(__file__).parent / "published" / "pages"
CASES = sorted(PAGES.glob("*.html"))
EXPECTED_RULES = {
    "site-chrome-2021": set(),
    "word-pasted-2020": {"Q3"},
    "mirror-traditional-2021": {"M1"},
    "image-table-2022": {"D2"},
    "flattened-2021": {"D2", "M2", "Q3"},
}


def expected(page: Path) -> dict:
    return yaml.safe_load(page.with_suffix(".expected.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", CASES, ids=lambda p: p.stem)
def test_page_reads_as_a_person_reads_it(page: Path) -> None:
    want = expected(page)
    a = audit_one(page)
    assert a.reading is not None, a.problems
    r = a.reading
    ay = r.agency_year
    # A mirror's spam around the title is dropped, and its characters made simplified again.
    title = f"{want['agency']}{want['year']}年政府信息公开工作年度报告" if want.get("mirror") else want["title"]
    assert r.title == title
    assert ay.agency.name == want["agency"]
    assert ay.year == want["year"]
    assert ay.format.id == want["format"]
    assert ay.published == dt.date.fromisoformat(want["published"])
    cells = {**want.get("tables", {}), **want.get("flattened", {})}
    for t, rows in cells.items():
        for row, cols in rows.items():
            for col, value in cols.items():
                got = ay.tables[t][row][col]
                if value is None:  # the page shows no number there: counted, not read as a value
                    assert any((c.spec.row, c.spec.column) == (row, col) for c in r.blanks.get(t, [])), (
                        f"{t}.{row}.{col} should be listed as not a number"
                    )
                else:
                    if isinstance(value, dict):
                        value = Amount(Decimal(str(value["value"])), value["unit"])
                    assert got == value or str(got) == str(value), f"{t}.{row}.{col}: read {got!r}, page says {value!r}"
                    assert f"tables.{t}.{row}.{col}" in r.where
    rules = {d.rule for d in a.findings}
    assert rules == EXPECTED_RULES[page.stem], [str(d) for d in a.findings]


def test_blank_cells_are_counted_never_silently_zero() -> None:
    page = PAGES / "word-pasted-2020.html"
    want = expected(page)
    a = audit_one(page)
    q3 = " ".join(d.message for d in a.findings if d.rule == "Q3")
    for cell in want["not_numbers"]:
        shown = cell["text"] or "空白"
        assert f"“{shown}”" in q3


def test_image_table_is_a_finding_not_a_crash() -> None:
    a = audit_one(PAGES / "image-table-2022.html")
    (d2,) = [d for d in a.findings if d.rule == "D2"]
    assert d2.table == "三" and "图片" in d2.message
    assert not [d for d in a.findings if d.table == "三" and d.rule != "D2"]


def test_flattened_tables_are_recovered_and_marked() -> None:
    a = audit_one(PAGES / "flattened-2021.html")
    assert a.reading is not None
    assert a.reading.recovered == {"t3", "t4"}
    assert all("还原" in a.reading.where[f] for f in a.reading.where if f.startswith("tables.t4."))


def test_reviewer_page_shows_what_the_source_said_and_where(tmp_path: Path, run_cli) -> None:
    run_cli("audit", PAGES / "word-pasted-2020.html", "--format", "html", "-o", tmp_path / "review")
    (page,) = [p for p in (tmp_path / "review").iterdir() if p.name != "index.html"]
    html = page.read_text(encoding="utf-8")
    assert html.count('class="num unread"') == len(expected(PAGES / "word-pasted-2020.html")["not_numbers"])
    assert 'title="第1个表格第' in html  # every cell read names its place in the source
