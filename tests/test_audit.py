"""``xxgk audit`` and ``import-report``: a report read back from its own page gives back its data.

The property that matters most to an evaluator: any report xxgk renders, audited from its page,
gives exactly the tables, year, format and date it was rendered from, and no finding that
``xxgk check`` did not give. The pages here are composed in-process from the report's own blocks
(the same HTML the notebook's cells print), so the property runs on many generated years; the
slow tests audit the PDF and HTML a real build wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLES
from xxgk import check, formats
from xxgk.audit import audit_one
from xxgk.data import synthetic
from xxgk.data.model import Agency, AgencyYear
from xxgk.data.tree import load_agency, read_year
from xxgk.exchange.published import read_source
from xxgk.report import Report

READ_RULES = {r for r, v in formats.rules().items() if v.stage == "read"}


def page(ay: AgencyYear, *, pubdate: str = "") -> str:
    """The report as a CMS would show it: our own blocks inside a portal page with menus and a footer."""
    r = Report(ay)
    body = "".join([r.title(), r.preface(), *(r.section(k) for k in formats.SECTION_KEYS), r.signature()])
    meta = f'<meta name="PubDate" content="{pubdate}">' if pubdate else ""
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">{meta}<title>{r.title_text}_门户网站</title>'
        "</head><body><nav><ul><li>首页</li><li>政务公开</li><li>政府信息公开年报</li></ul></nav>"
        f'<div class="article"><div id="zoom">{body}</div></div>'
        "<footer>主办单位：某某县人民政府办公室 网站标识码 1234567890</footer></body></html>"
    )


def examples() -> list[AgencyYear]:
    out = []
    for d in sorted(EXAMPLES.iterdir()):
        if d.is_dir():
            years, problems = load_agency(d)
            assert not problems
            out.extend(years)
    return out


def assert_round_trip(ay: AgencyYear, path: Path) -> None:
    reading = read_source(path)
    got = reading.agency_year
    assert got.year == ay.year
    assert got.format.id == ay.format.id
    assert got.tables == ay.tables
    assert got.agency.name == ay.agency.name
    assert got.published == ay.published
    audited = audit_one(path)
    expected = {(d.rule, d.field) for d in check.check_year(ay)}
    found = {(d.rule, d.field) for d in audited.findings}
    assert not [d for d in audited.findings if d.rule in READ_RULES], "reading our own page found something"
    assert found <= expected, f"audit found what check did not: {found - expected}"


@pytest.mark.parametrize("ay", examples(), ids=lambda a: f"{a.agency.id}-{a.year}")
def test_every_example_reads_back_from_its_page(ay: AgencyYear, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(page(ay), encoding="utf-8")
    assert_round_trip(ay, path)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), year=st.sampled_from([2020, 2021, 2023]))
def test_any_generated_report_reads_back(seed: int, year: int, tmp_path: Path) -> None:
    agency = Agency("synthetic-body", "合成县测试局", "县级", "合成县人民政府")
    ay = synthetic.agency_year(agency, year, seed, scale=int(seed % 3) * 60 + 5)
    path = tmp_path / f"{seed}-{year}.html"
    path.write_text(page(ay), encoding="utf-8")
    assert_round_trip(ay, path)


def test_a_wrong_cell_is_found_and_located(tmp_path: Path) -> None:
    ay = next(a for a in examples() if a.year == 2021 and a.tables["t3"]["new"]["natural"] > 0)
    html = page(ay)
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    reading = read_source(path)
    place = reading.where["tables.t3.new.natural"]
    assert "表格" in place and "行" in place
    wrong = dict(ay.tables["t3"]["new"])
    wrong["natural"] += 5
    bad = AgencyYear(**{**ay.__dict__, "tables": {**ay.tables, "t3": {**ay.tables["t3"], "new": wrong}}})
    path.write_text(page(bad), encoding="utf-8")
    audited = audit_one(path)
    rules = {d.rule for d in audited.findings}
    assert "I1" in rules or "S1" in rules


def test_cli_audit_formats(tmp_path: Path, run_cli) -> None:
    ay = next(a for a in examples() if a.year == 2022)
    src = tmp_path / "pages"
    src.mkdir()
    (src / "a.html").write_text(page(ay, pubdate="2023-01-20 09:00"), encoding="utf-8")
    code, out, err = run_cli("audit", src)
    assert code == 0, out + err
    assert "审核了 1 份年报" in out
    code, out, _ = run_cli("audit", src, "--format", "json")
    (rec,) = json.loads(out)
    assert rec["year"] == 2022 and rec["format"] == "2021" and rec["published"] == "2023-01-20"
    assert rec["where"]["tables.t3.new.total"].startswith("第")
    code, _, err = run_cli("audit", src, "--format", "html", "-o", tmp_path / "review")
    index = (tmp_path / "review" / "index.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in index and ay.agency.name in index
    pages = [p for p in (tmp_path / "review").iterdir() if p.name != "index.html"]
    assert len(pages) == 1 and "读出的表格" in pages[0].read_text(encoding="utf-8")


def test_cli_audit_missing_source(tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli("audit", tmp_path / "nope.html")
    assert code == 2 and "不存在" in err


def test_hostile_page_is_escaped(tmp_path: Path, run_cli) -> None:
    ay = next(a for a in examples() if a.year == 2021)
    html = page(ay).replace("<title>", "<title>&lt;script&gt;alert(1)&lt;/script&gt;", 1)
    html = html.replace("</body>", '<script>document.title="x"</script><img src="http://example.invalid/a.png"></body>')
    (tmp_path / "x.html").write_text(html, encoding="utf-8")
    run_cli("audit", tmp_path / "x.html", "--format", "html", "-o", tmp_path / "review")
    for p in (tmp_path / "review").iterdir():
        text = p.read_text(encoding="utf-8")
        assert "<script>" not in text


def test_import_report_starts_a_body_and_new_carries_it_over(tmp_path: Path, run_cli) -> None:
    ay = next(a for a in examples() if a.year == 2021 and a.tables["t3"]["carried_forward"]["total"] > 0)
    src = tmp_path / "published.html"
    src.write_text(page(ay, pubdate="2022-01-25"), encoding="utf-8")
    root = tmp_path / "p"
    root.mkdir()
    code, _, err = run_cli("import-report", src, "--agency", "new-body", "--params", root)
    assert code == 0, err
    written = root / "new-body" / "2021.yaml"
    text = written.read_text(encoding="utf-8")
    assert "source:" in text and "sha256:" in text
    years, problems = load_agency(root / "new-body")
    assert not problems
    (got,) = years
    assert got.tables == ay.tables and got.published.isoformat() == "2022-01-25"
    assert got.source is not None and got.source.file == "published.html"
    code, _, err = run_cli("new", "new-body", "2022", "--params", root)
    assert code == 0, err
    draft = read_year(root / "new-body" / "2022.yaml", got.agency, blanks=set())
    assert draft.tables["t3"]["carried_over"]["total"] == ay.tables["t3"]["carried_forward"]["total"]


def test_import_report_refuses_an_unreadable_table(tmp_path: Path, run_cli) -> None:
    ay = next(a for a in examples() if a.year == 2021)
    html = page(ay)
    start = html.index("<table", html.index("三、收到和处理"))
    end = html.index("</table>", start) + len("</table>")
    html = html[:start] + '<p><img src="biao3.png" alt=""></p>' + html[end:]
    src = tmp_path / "img.html"
    src.write_text(html, encoding="utf-8")
    root = tmp_path / "p"
    root.mkdir()
    code, _, err = run_cli("import-report", src, "--agency", "x-body", "--params", root)
    assert code == 2 and "表三" in err
    assert not any(root.iterdir())
    audited = audit_one(src)
    assert [d.rule for d in audited.findings if d.table == "三"] == ["D2"]


def _audit_html(tmp_path: Path, html: str, name: str = "r.html") -> list:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return audit_one(path).findings


def test_p4_a_2021_year_in_the_2019_layout(tmp_path: Path) -> None:
    old = next(a for a in examples() if a.year == 2020)
    # The same body's 2020 tables, published as its 2022 report: the layout, not the year, decides.
    html = page(old).replace("2020年", "2022年").replace("2021年", "2023年")
    found = _audit_html(tmp_path, html)
    (p4,) = [d for d in found if d.rule == "P4"]
    assert "2022年度报告使用了" in p4.message and "试行" in p4.message and "第二十条第（九）项" in p4.message
    assert p4.found == "2019" and p4.expected == "2021"


def test_d1_misnumbered_and_missing_headings(tmp_path: Path) -> None:
    ay = next(a for a in examples() if a.year == 2021)
    official = ay.format.sections
    html = page(ay).replace(official["t3"], "二、" + official["t3"].split("、", 1)[1], 1)
    found = _audit_html(tmp_path, html)
    d1 = [d for d in found if d.rule == "D1"]
    assert len(d1) == 1 and d1[0].severity == "warning" and "序号应为三" in d1[0].message
    html = page(ay).replace(official["problems"], "", 1)
    found = _audit_html(tmp_path, html, "missing.html")
    assert any(d.rule == "D1" and d.is_error and official["problems"] in d.message for d in found)


def test_m4_extra_rows_and_near_labels(tmp_path: Path) -> None:
    ay = next(a for a in examples() if a.year == 2021)
    v = ay.format
    html = page(ay)
    normative = next(r.label for b in v.t2_blocks for r in b.rows if r.key == "normative")
    old_label = formats.get("2019").t2_blocks[0].rows[1].label
    html = html.replace(f">{normative}<", f">{old_label}<", 1)
    cells = '<td class="num">3</td><td class="num">0</td><td class="num">3</td>'
    extra = f'<tr><th scope="row">其他主动公开文件</th>{cells}</tr>'
    i = html.index("</tr>", html.index(f">{old_label}<")) + len("</tr>")
    html = html[:i] + extra + html[i:]
    found = _audit_html(tmp_path, html)
    m4 = " ".join(d.message for d in found if d.rule == "M4")
    assert "其他主动公开文件" in m4 and f"“{old_label}”按“{normative}”读入" in m4
    reading = read_source(tmp_path / "r.html")
    assert reading.agency_year.tables["t2"] == ay.tables["t2"]


def test_t4_fee_written_in_yuan(tmp_path: Path) -> None:
    ay = next(a for a in examples() if a.year == 2021 and a.tables["t2"]["fees"]["amount"] != 0)
    fee = ay.tables["t2"]["fees"]["amount"]
    yuan = f"{format(fee * 10000, 'f').rstrip('0').rstrip('.')}元"
    html = page(ay).replace(f'colspan="3">{fee}</td>', f'colspan="3">{yuan}</td>', 1)
    assert yuan in html
    path = tmp_path / "r.html"
    path.write_text(html, encoding="utf-8")
    a = audit_one(path)
    (t4,) = [d for d in a.findings if d.rule == "T4"]
    assert yuan in t4.message and "万元" in t4.message
    assert a.reading is not None and a.reading.agency_year.tables["t2"]["fees"]["amount"] == fee


@pytest.mark.parametrize(
    ("year", "cut"),
    [
        (2021, lambda label: label[:-1]),
        (2020, lambda label: label[:-1]),
        (2020, lambda label: label + "（指比上年增加或减少的数量）"),
    ],
    ids=["2021-truncated", "2019-truncated", "2019-annotated"],
)
def test_truncated_and_annotated_column_labels(tmp_path: Path, year: int, cut) -> None:
    ay = next(a for a in examples() if a.year == year)
    v = ay.format
    # The last column of the first block of table 二 (现行有效件数 / 对外公开总数量) and 本年增/减 in 2019.
    labels = [v.t2_blocks[0].columns[-1].label]
    if year < 2021:
        labels.append(v.t2_blocks[1].columns[1].label)
    html = page(ay)
    for label in labels:
        html = html.replace(f">{label}<", f">{cut(label)}<")
    path = tmp_path / "r.html"
    path.write_text(html, encoding="utf-8")
    reading = read_source(path)
    assert reading.agency_year.tables["t2"] == ay.tables["t2"]
    assert not [d for d in reading.findings if d.rule in {"Q3", "M4"}], [str(d) for d in reading.findings]


def test_a_url_is_never_fetched(tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli("audit", "https://www.example.gov.cn/art/2022/1/20/art_1.html")
    assert code == 2 and "不访问网络" in err


def test_dropped_characters_of_a_mirror_are_a_sign(tmp_path: Path) -> None:
    ay = next(a for a in examples() if a.year == 2021)
    html = page(ay).replace(ay.format.basis, ay.format.basis.replace("〕", "").replace("号", ""), 1)
    found = _audit_html(tmp_path, html)
    (m1,) = [d for d in found if d.rule == "M1"]
    assert "疑似丢字" in m1.message


def test_a_page_with_two_reports_reads_the_first_and_says_so(tmp_path: Path) -> None:
    first, second = [a for a in examples() if a.agency.id == "qingshan-county-education"][-2:]
    one, two = page(second), page(first)
    body = two[two.index('<div id="zoom">') + len('<div id="zoom">') : two.index("</div></div>")]
    html = one.replace("</div></div>", body + "</div></div>", 1)
    path = tmp_path / "two.html"
    path.write_text(html, encoding="utf-8")
    a = audit_one(path)
    assert a.reading is not None
    assert a.reading.agency_year.year == second.year and a.reading.agency_year.tables == second.tables
    (d1,) = [d for d in a.findings if d.rule == "D1"]
    assert "又开始了一份报告" in d1.message and str(first.year) in d1.message
    assert not [d for d in a.findings if d.is_error and d.rule != "D1"], [str(d) for d in a.findings]


def test_import_report_never_replaces_a_year_silently(tmp_path: Path, run_cli, params: Path) -> None:
    from tests.conftest import tree_digest

    ay = next(a for a in examples() if a.agency.id == "qingshan-county-education" and a.year == 2021)
    other = next(a for a in examples() if a.agency.id == "shiqiao-town" and a.year == 2021)
    src = tmp_path / "published.html"
    src.write_text(page(ay), encoding="utf-8")
    before = tree_digest(params)
    code, _, err = run_cli("import-report", src, "--agency", ay.agency.id, "--params", params)
    assert code == 2 and "已存在" in err and "--replace" in err
    code, _, err = run_cli("import-report", src, "--agency", other.agency.id, "--params", params, "--year", "2025")
    assert code == 2 and f"“{ay.agency.name}”" in err and f"“{other.agency.name}”" in err
    assert tree_digest(params) == before
    code, _, err = run_cli("import-report", src, "--agency", ay.agency.id, "--params", params, "--replace")
    assert code == 0, err
    years, problems = load_agency(params / ay.agency.id)
    assert not problems
    got = next(a for a in years if a.year == 2021)
    assert got.facts == ay.facts and got.tables == ay.tables and got.source is not None


def test_json_record_holds_the_values_read(tmp_path: Path, run_cli) -> None:
    ay = next(a for a in examples() if a.year == 2023)
    (tmp_path / "a.html").write_text(page(ay), encoding="utf-8")
    _, out, _ = run_cli("audit", tmp_path / "a.html", "--format", "json")
    (rec,) = json.loads(out)
    assert rec["values"]["tables.t3.new.total"] == str(ay.tables["t3"]["new"]["total"])
    assert set(rec["values"]) == {f for f in rec["where"] if f.startswith("tables.")}


def test_page_names_cannot_become_scripts_or_leave_the_folder(tmp_path: Path, run_cli) -> None:
    ay = next(a for a in examples() if a.year == 2021)
    src = tmp_path / "src"
    src.mkdir()
    (src / "javascript:alert(1)#x.html").write_text(page(ay), encoding="utf-8")
    run_cli("audit", src, "--format", "html", "-o", tmp_path / "review")
    index = (tmp_path / "review" / "index.html").read_text(encoding="utf-8")
    assert 'href="javascript' not in index and 'href="./javascript_alert_1_x-' in index
    assert all(p.parent == tmp_path / "review" for p in (tmp_path / "review").rglob("*"))
