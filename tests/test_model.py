"""Reading data files: every bad input is named (file, line, field, label, value), nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import tree_digest
from xxgk.data import atomic, diagnostics, model, paramfile, synthetic, tree, yamlfile

SEED = "lanzhou-xinqu-audit"


def _year(params: Path, agency: str = SEED, year: int = 2020) -> Path:
    return params / agency / f"{year}.yaml"


def test_examples_load_with_their_versions(params: Path) -> None:
    loaded = tree.load_tree(params)
    assert not loaded.problems
    versions = {(ay.agency.id, ay.year): ay.format.id for ay in loaded.years}
    assert versions[(SEED, 2020)] == "2019"
    assert versions[("shiqiao-town", 2020)] == "2019"
    assert versions[("shiqiao-town", 2021)] == "2021"
    assert len(loaded.years) == 19


def test_seed_facts_are_the_seed_report(params: Path) -> None:
    (ay,) = [a for a in tree.load_tree(params).years if a.agency.id == SEED]
    assert ay.agency.name == "兰州新区审计局"
    assert str(ay.published) == "2021-01-28"
    assert ay.facts.proactive_items == 16
    assert [c.items for c in ay.facts.channels] == [3, 7, 2, 4]
    assert ay.facts.other["internal_rules"] == 5
    assert ay.illustrative  # the seed lost its tables: the numbers are marked as illustrative


def test_yaml_syntax_error_names_file_and_line(params: Path, run_cli) -> None:
    path = _year(params)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[9] = "      made: [1, 2\n"
    path.write_text("".join(lines), encoding="utf-8")
    before = tree_digest(params)
    code, _, err = run_cli("check", "--params", params)
    assert code == 2
    assert f"{path}:1" in err and "YAML 语法错误" in err
    assert tree_digest(params) == before


def test_missing_cell_is_an_error_not_a_zero(params: Path, run_cli) -> None:
    path = _year(params)
    text = path.read_text(encoding="utf-8")
    line_no = next(i for i, ln in enumerate(text.splitlines(), 1) if ln.strip().startswith("legal_service:"))
    text = "\n".join(ln for i, ln in enumerate(text.splitlines(), 1) if i != line_no) + "\n"
    path.write_text(text, encoding="utf-8")
    code, _, err = run_cli("check", path)
    assert code == 2
    assert "缺少单元格" in err
    assert "表三 一、本年新收政府信息公开申请数量 / 法律服务机构" in err
    assert "tables.t3.new.legal_service" in err


def test_wrong_type_names_field_label_value_and_line(params: Path, run_cli) -> None:
    path = _year(params)
    text = path.read_text(encoding="utf-8").replace("      natural: 2  # 自然人", "      natural: 两件  # 自然人", 1)
    path.write_text(text, encoding="utf-8")
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "两件" in ln)
    code, _, err = run_cli("check", path)
    assert code == 2
    assert f"{path}:{line}" in err
    assert "表三 一、本年新收政府信息公开申请数量 / 自然人" in err and "'两件'" in err


def test_unknown_key_lists_the_closest(params: Path, run_cli) -> None:
    path = _year(params)
    text = path.read_text(encoding="utf-8").replace("    granted:", "    grantd:", 1)
    path.write_text(text, encoding="utf-8")
    code, _, err = run_cli("check", path)
    assert code == 2
    assert "grantd" in err and "granted" in err


def test_row_of_the_other_version_is_named_as_such(params: Path) -> None:
    agency = tree.read_agency(params / "shiqiao-town")
    path = _year(params, "shiqiao-town", 2022)
    text = path.read_text(encoding="utf-8").replace("    procurement:", "    x:")
    text = text.replace("  t3:  #", "    procurement: {items: 1, amount: {value: 1, unit: 元}}\n  t3:  #", 1)
    with pytest.raises(diagnostics.InputError) as e:
        yamlfile.parse_year(text, path, agency, 2022)
    assert "2019" not in str(e.value) or "试行" in str(e.value)
    assert "中华人民共和国政府信息公开工作年度报告格式（试行）格式的行" in str(e.value)


@pytest.mark.parametrize("bad", ["../x", "Foo", "a b", "审计局", "-x", "x/y"])
def test_bad_agency_ids_are_refused(bad: str) -> None:
    with pytest.raises(diagnostics.InputError, match="机关标识"):
        tree.check_agency_id(bad)


def test_a_badly_named_agency_folder_is_refused(params: Path, run_cli) -> None:
    (params / "Bad Name").mkdir()
    (params / "Bad Name" / "agency.yaml").write_text("name: x\n", encoding="utf-8")
    code, _, err = run_cli("check", "--params", params)
    assert code == 2 and "机关标识" in err and "Bad Name" in err


def test_unknown_level_is_refused(params: Path, run_cli) -> None:
    path = params / SEED / "agency.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("level: 市级", "level: 地级"), encoding="utf-8")
    code, _, err = run_cli("check", "--params", params)
    assert code == 2 and "行政级别" in err and "地级" in err


def test_format_may_be_named_for_bodies_that_used_the_other_version(params: Path) -> None:
    agency = tree.read_agency(params / "shiqiao-town")
    old = synthetic.agency_year(agency, 2021, 1)
    import dataclasses

    from xxgk import formats

    as_2019 = synthetic.agency_year(agency, 2020, 1)
    named = dataclasses.replace(as_2019, year=2021, format_named=True)
    text = paramfile.dump_year(named)
    assert "format: '2019'" in text or 'format: "2019"' in text
    ay = yamlfile.parse_year(text, Path("x/2021.yaml"), agency, 2021)
    assert ay.format is formats.get("2019") and old.format is formats.get("2021")


def test_dump_then_read_gives_the_same_data(params: Path) -> None:
    agency = tree.read_agency(params / "jinhe-city-gov-office")
    for ay in synthetic.series(agency, range(2019, 2025), 3, 200):
        text = paramfile.dump_year(ay)
        back = yamlfile.parse_year(text, ay.path, agency, ay.year)
        assert back.tables == ay.tables and back.narrative == ay.narrative
        assert paramfile.dump_year(back) == text
        assert "# 本年收费金额（单位：万元）" in text or "# 采购总金额" in text


def test_plain_dict_round_trip(params: Path) -> None:
    import json

    for ay in tree.load_tree(params).years:
        assert model.from_dict(json.loads(json.dumps(model.to_dict(ay))), ay.path) == ay


def test_rewriting_a_file_keeps_its_mode_and_new_files_are_readable(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("x: 1\n", encoding="utf-8")
    path.chmod(0o640)
    atomic.write_atomic(path, "x: 2\n")
    assert path.stat().st_mode & 0o777 == 0o640 and path.read_text(encoding="utf-8") == "x: 2\n"
    new = tmp_path / "b.yaml"
    atomic.write_atomic(new, "x: 3\n")
    assert new.stat().st_mode & 0o044 == 0o044


def test_a_file_that_is_not_utf8_is_named(params: Path, run_cli) -> None:
    path = params / SEED / "2020.yaml"
    with open(path, "ab") as f:
        f.write(b"\xff")
    code, _, err = run_cli("check", "--params", params)
    assert code == 2 and str(path) in err and "UTF-8" in err
