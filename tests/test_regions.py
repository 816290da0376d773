"""Regions as data: who a government collects reports from (region.yaml), G3, and who reported (G2)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import small_params
from xxgk import formats
from xxgk.data import regions, tree
from xxgk.data.deadlines import MonthDay
from xxgk.data.model import Agency, AgencyYear, Region

EDUCATION, TOWN, CITY, AUDIT = (
    "qingshan-county-education",
    "shiqiao-town",
    "jinhe-city-gov-office",
    "lanzhou-xinqu-audit",
)
COUNTY_GOV = "青山县人民政府"
YEAR = 2023


def level_of(params: Path, agency: str) -> str:
    """A body's level as its agency.yaml gives it: tests name no level of the format themselves."""
    level = tree.read_agency(params / agency).level
    assert level in formats.levels()
    return level


def add_body(params: Path, agency: str, name: str, *, like: str = EDUCATION, published: str | None = None) -> None:
    """A new department of the county, its agency.yaml (and its year's data, when ``published``) made from ``like``."""
    (params / agency).mkdir()
    text = (params / like / "agency.yaml").read_text(encoding="utf-8")
    old = tree.read_agency(params / like).name
    (params / agency / "agency.yaml").write_text(text.replace(old, name), encoding="utf-8")
    if published is not None:
        data = (params / like / f"{YEAR}.yaml").read_text(encoding="utf-8")
        before = tree.read_year(params / like / f"{YEAR}.yaml", tree.read_agency(params / like)).published
        data = data.replace(f"published: {before}", f"published: {published}")
        (params / agency / f"{YEAR}.yaml").write_text(data, encoding="utf-8")


def write_region(params: Path, region: str, body: str) -> Path:
    (params / region).mkdir(exist_ok=True)
    path = params / region / tree.REGION_FILE
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture
def county(tmp_path: Path) -> Path:
    """The county: its education bureau and a township (parent 青山县人民政府), a finance bureau that published late,
    a health bureau that has not reported, and the audit office of another region listed by id."""
    params = small_params(tmp_path, {EDUCATION: [YEAR], TOWN: [YEAR], AUDIT: [2020], CITY: [YEAR]})
    add_body(params, "qingshan-county-finance", "青山县财政局", published=f"{YEAR + 1}-02-05")
    add_body(params, "qingshan-county-health", "青山县卫生健康局")
    level = level_of(params, EDUCATION)
    write_region(
        params,
        "qingshan-county",
        f"# 青山县\nname: {COUNTY_GOV}\nlevel: {level}\nscope: region\nmembers:\n  - {AUDIT}\n",
    )
    return params


def loaded(params: Path) -> tuple[dict[str, Region], list[str]]:
    found, problems = regions.load_regions(params)
    return {r.id: r for r in found}, [str(p) for p in problems]


def test_members_are_the_listed_ids_then_the_children_by_parent(county: Path) -> None:
    by_id, problems = loaded(county)
    assert problems == []
    region = by_id["qingshan-county"]
    assert region.members == (
        AUDIT,
        EDUCATION,
        "qingshan-county-finance",
        "qingshan-county-health",
        TOWN,
    )
    assert [b.name for b in region.bodies][1:3] == ["青山县教育局", "青山县财政局"]
    assert (region.deadline, region.government_deadline) == (MonthDay(1, 31), MonthDay(3, 31))
    assert region.path == county / "qingshan-county" / tree.REGION_FILE


def test_children_false_keeps_only_the_listed(county: Path) -> None:
    path = county / "qingshan-county" / tree.REGION_FILE
    path.write_text(path.read_text(encoding="utf-8") + "children: false\n", encoding="utf-8")
    assert loaded(county)[0]["qingshan-county"].members == (AUDIT,)


def test_an_organ_lists_its_members_and_may_count_its_own_folder(county: Path) -> None:
    """scope organ: the government and its office, listed; the region's own body folder may be one of them."""
    level = level_of(county, CITY)
    write_region(county, CITY, f"name: 金河市人民政府\nlevel: {level}\nscope: organ\nmembers: [{CITY}]\n")
    by_id, problems = loaded(county)
    assert problems == []
    assert by_id[CITY].members == (CITY,) and by_id[CITY].scope == "organ"


def test_a_missing_member_is_named_with_the_closest_id(county: Path) -> None:
    path = county / "qingshan-county" / tree.REGION_FILE
    path.write_text(path.read_text(encoding="utf-8") + "  - shiqiao-twon\n", encoding="utf-8")
    by_id, problems = loaded(county)
    assert "qingshan-county" not in by_id
    (message,) = problems
    assert message.startswith(f"{path}:7: 错误 P0 members.1：没有这个机关")
    assert "最接近的是：shiqiao-town" in message and "shiqiao-twon" in message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("memebers: []", ["未知的字段；最接近的是：members"]),
        ("level: 镇级", ["行政级别应为 " + "、".join(formats.levels()) + " 之一"]),
        ("deadline: 02-15", ["deadline：不能晚于法定期限 01-31"]),
        ("deadline: 2024-01-20", ["deadline：应写成“月-日”"]),
        ("government_deadline: 02-30", ["government_deadline：不是每年都有的日期"]),
        ("scope: county", ["scope：范围应为 region"]),
        ("children: yes please", ["children：应为 true 或 false"]),
    ],
)
def test_a_bad_field_is_refused_by_line(tmp_path: Path, line: str, expected: list[str]) -> None:
    params = small_params(tmp_path, {EDUCATION: []})
    level = level_of(params, EDUCATION)
    fields = {"name": COUNTY_GOV, "level": level, "scope": "region"}
    key = line.split(":", 1)[0]
    text = "\n".join(f"{k}: {v}" for k, v in fields.items() if k != key) + f"\n# 本地规定\n{line}\n"
    path = write_region(params, "qingshan-county", text)
    found, problems = regions.load_regions(params)
    assert found == []
    assert [p.line for p in problems] == [text.splitlines().index(line) + 1]
    assert all(p.file == str(path) and p.rule == "P0" for p in problems)
    for want, got in zip(expected, problems, strict=True):
        assert want in got.message, got.message


def test_an_earlier_local_deadline_is_taken(county: Path) -> None:
    path = county / "qingshan-county" / tree.REGION_FILE
    path.write_text(path.read_text(encoding="utf-8") + "deadline: 01-20\ngovernment_deadline: 3-15\n", encoding="utf-8")
    region = loaded(county)[0]["qingshan-county"]
    assert (region.deadline, region.government_deadline) == (MonthDay(1, 20), MonthDay(3, 15))


def test_organ_with_children_is_refused(county: Path) -> None:
    level = level_of(county, CITY)
    write_region(county, CITY, f"name: 金河市人民政府\nlevel: {level}\nscope: organ\nchildren: true\n")
    by_id, problems = loaded(county)
    assert CITY not in by_id
    (message,) = problems
    assert message.startswith(f"{county / CITY / tree.REGION_FILE}:4: 错误 P0 children：")


def test_g3_a_body_in_two_regions_of_one_scope(county: Path) -> None:
    level = level_of(county, CITY)
    write_region(county, "jinhe-city", f"name: 金河市人民政府\nlevel: {level}\nscope: region\nmembers:\n  - {TOWN}\n")
    found, problems = regions.load_regions(county)
    assert [r.id for r in found] == ["jinhe-city", "qingshan-county"]  # both loaded, the error beside them
    (g3,) = problems
    assert (g3.rule, g3.severity, g3.agency) == ("G3", "error", TOWN)
    assert "金河市人民政府（jinhe-city）" in g3.message and "青山县人民政府（qingshan-county）" in g3.message
    assert "石桥镇人民政府" in g3.message
    # Reported at the second region (by id), at the line of the parent-derived membership or the listed entry.
    assert (g3.file, g3.line, g3.field) == (str(county / "qingshan-county" / tree.REGION_FILE), 2, "children")


def test_g3_not_across_scopes(county: Path) -> None:
    level = level_of(county, CITY)
    write_region(county, "jinhe-city", f"name: 金河市人民政府\nlevel: {level}\nscope: organ\nmembers:\n  - {TOWN}\n")
    by_id, problems = loaded(county)
    assert problems == [] and TOWN in by_id["jinhe-city"].members and TOWN in by_id["qingshan-county"].members


def test_g3_points_at_the_listed_entry(county: Path) -> None:
    level = level_of(county, CITY)
    write_region(county, "zz-city", f"name: 金河市人民政府\nlevel: {level}\nscope: region\nmembers:\n  - {EDUCATION}\n")
    _, problems = regions.load_regions(county)
    (g3,) = problems
    assert (g3.file, g3.line, g3.field) == (str(county / "zz-city" / tree.REGION_FILE), 5, "members.0")


def test_a_region_only_folder_is_no_body(county: Path, run_cli) -> None:
    assert [d.name for d in tree.region_dirs(county)] == ["qingshan-county"]
    assert "qingshan-county" not in {d.name for d in tree.agency_dirs(county)}
    code, out, err = run_cli("check", "--params", county)
    assert code == 1, err  # the finance bureau's late report (P1), and nothing unreadable
    assert [line.split(" ")[2] for line in out.splitlines()] == ["P1"] and "无法读取" not in err
    assert "agency.yaml" not in err and "qingshan-county/" not in out + err
    code, _, err = run_cli("check", county / "qingshan-county", "--params", county)
    assert code == 0, err


def test_region_yaml_in_a_body_folder_does_not_disturb_its_check(tmp_path: Path, run_cli) -> None:
    params = small_params(tmp_path, {TOWN: [2022, YEAR]})
    _, _, before = run_cli("check", params / TOWN)
    level = level_of(params, TOWN)
    write_region(params, TOWN, f"name: 石桥镇人民政府\nlevel: {level}\nscope: organ\nmembers: [{TOWN}]\n")
    assert tree.data_files(params / TOWN) == [params / TOWN / "2022.yaml", params / TOWN / f"{YEAR}.yaml"]
    assert [d.name for d in tree.agency_dirs(params)] == [TOWN]
    code, out, err = run_cli("check", params / TOWN)
    assert code == 0, err
    assert err == before and "region.yaml" not in out + err
    code, _, err = run_cli("check", "--params", params)
    assert code == 0 and "region.yaml" not in err


def test_a_region_folder_whose_name_is_no_id_is_named(county: Path) -> None:
    level = level_of(county, CITY)
    write_region(county, "Jinhe_City", f"name: 金河市人民政府\nlevel: {level}\nscope: organ\nmembers: [{CITY}]\n")
    by_id, problems = loaded(county)
    assert "Jinhe_City" not in by_id and tree.misnamed(county) == []
    (message,) = problems
    assert "Jinhe_City" in message and "机关标识只能由小写字母" in message


def test_a_folder_with_data_but_no_agency_yaml_is_still_named(county: Path, run_cli) -> None:
    """region.yaml does not hide a body's missing agency.yaml when the folder has year files."""
    shutil.copy(county / EDUCATION / f"{YEAR}.yaml", county / "qingshan-county" / f"{YEAR}.yaml")
    code, _, err = run_cli("check", "--params", county)
    assert code == 2 and "qingshan-county/agency.yaml" in err


# --- coverage ----------------------------------------------------------------------------------------


def test_coverage_counts_one_late_and_one_missing(county: Path) -> None:
    region = loaded(county)[0]["qingshan-county"]
    years = tree.load_tree(county).years
    c = regions.coverage(region, years, YEAR, today=dt.date(YEAR + 1, 6, 1))
    ids = {k: [m.id for m in getattr(c, k)] for k in ("expected", "reported", "on_time", "late", "missing")}
    assert ids == {
        "expected": list(region.members),
        "reported": [EDUCATION, "qingshan-county-finance", TOWN],
        "on_time": [EDUCATION, TOWN],
        "late": ["qingshan-county-finance"],
        "missing": [AUDIT, "qingshan-county-health"],
    }
    town = next(m for m in c.expected if m.id == TOWN)
    assert town.due == dt.date(YEAR + 1, 3, 31)  # a township's government: the government deadline
    assert [d.message for d in c.diagnostics] == [
        f"5个下级单位中2个未提交{YEAR}年度报告：兰州新区审计局、青山县卫生健康局",
        f"5个下级单位中1个逾期发布{YEAR}年度报告：青山县财政局（{YEAR + 1}-02-05发布，应于{YEAR + 1}年1月31日前）",
    ]
    assert {(d.rule, d.severity, d.year, d.agency) for d in c.diagnostics} == {
        ("G2", "warning", YEAR, "qingshan-county")
    }


def test_coverage_before_the_deadline_names_no_missing_body(county: Path) -> None:
    region = loaded(county)[0]["qingshan-county"]
    c = regions.coverage(region, tree.load_tree(county).years, YEAR, today=dt.date(YEAR + 1, 1, 10))
    assert [m.id for m in c.not_due] == [AUDIT, "qingshan-county-health"]
    assert [d.message.split("：")[0] for d in c.diagnostics] == [f"5个下级单位中1个逾期发布{YEAR}年度报告"]


def test_a_local_deadline_makes_a_report_late(county: Path) -> None:
    path = county / "qingshan-county" / tree.REGION_FILE
    path.write_text(path.read_text(encoding="utf-8") + "deadline: 01-15\n", encoding="utf-8")
    region = loaded(county)[0]["qingshan-county"]
    c = regions.coverage(region, tree.load_tree(county).years, YEAR, today=dt.date(YEAR + 1, 6, 1))
    assert [m.id for m in c.late] == [EDUCATION, "qingshan-county-finance"]  # published 01-19 and 02-05


def test_an_unpublished_year_is_not_reported(county: Path) -> None:
    data = county / EDUCATION / f"{YEAR}.yaml"
    text = data.read_text(encoding="utf-8")
    data.write_text("\n".join("published: null" if ln.startswith("published:") else ln for ln in text.splitlines()))
    region = loaded(county)[0]["qingshan-county"]
    c = regions.coverage(region, tree.load_tree(county).years, YEAR, today=dt.date(YEAR + 1, 6, 1))
    assert EDUCATION in [m.id for m in c.missing]


_BASE: list[AgencyYear] = []


def _base() -> AgencyYear:
    if not _BASE:
        years, problems = tree.load_agency(Path(__file__).resolve().parent.parent / "params" / EDUCATION)
        assert not problems
        _BASE.append(next(ay for ay in years if ay.year == YEAR))
    return _BASE[0]


@settings(max_examples=80, deadline=None)
@given(
    states=st.lists(
        st.tuples(st.booleans(), st.none() | st.integers(-40, 120)),
        min_size=0,
        max_size=12,
    ),
    today=st.dates(dt.date(YEAR + 1, 1, 1), dt.date(YEAR + 1, 6, 30)),
)
def test_every_member_is_reported_or_missing_and_reported_is_on_time_plus_late(
    states: list[tuple[bool, int | None]], today: dt.date
) -> None:
    bodies = tuple(
        Agency(f"body-{i}", f"第{i}镇人民政府" if government else f"第{i}局", None, COUNTY_GOV)
        for i, (government, _) in enumerate(states)
    )
    region = Region("r", COUNTY_GOV, "", "region", tuple(b.id for b in bodies), bodies)
    start = dt.date(YEAR + 1, 1, 1)
    years = [
        dataclasses.replace(_base(), agency=b, published=start + dt.timedelta(days=offset))
        for b, (_, offset) in zip(bodies, states, strict=True)
        if offset is not None
    ]
    c = regions.coverage(region, years, YEAR, today=today)
    ids = [m.id for m in c.expected]
    assert ids == list(region.members)
    assert sorted([m.id for m in c.reported] + [m.id for m in c.missing]) == sorted(ids)
    assert not {m.id for m in c.reported} & {m.id for m in c.missing}
    assert {m.id for m in c.reported} == {m.id for m in c.on_time} | {m.id for m in c.late}
    assert len(c.reported) == len(c.on_time) + len(c.late)
    assert all(m.published is not None and m.published <= m.due for m in c.on_time)
    assert all(m.published is not None and m.published > m.due for m in c.late)
    assert set(c.not_due) <= set(c.missing)
    assert len(c.diagnostics) == bool(c.late) + bool(set(c.missing) - set(c.not_due))
