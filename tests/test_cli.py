"""`xxgk check` as a user runs it: exit codes, messages, JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, set_cell, tree_digest


def test_examples_check_clean(run_cli) -> None:
    code, out, err = run_cli("check", "--params", REPO / "params")
    assert code == 0, out + err
    assert "检查了 19 份年度数据：0 个错误" in err


def test_error_exits_1_with_the_cell_named(params: Path, run_cli) -> None:
    path = params / "shiqiao-town" / "2023.yaml"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    # the 总计 of （七）总计 sits 7 lines below its row key
    i = next(n for n, ln in enumerate(lines) if ln.startswith("    total:  # （七）总计")) + 7
    old = int(lines[i].split(":")[1].split("#")[0])
    lines[i] = lines[i].replace(f"total: {old}", f"total: {old + 3}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = tree_digest(params)
    code, out, _ = run_cli("check", "--params", params)
    assert code == 1
    assert f"{path}:{i + 1}: 错误 I1 表三 （七）总计 / 总计：应为 {old}，实为 {old + 3}（相差 -3）" in out
    assert tree_digest(params) == before


def test_warnings_alone_exit_0(params: Path, run_cli) -> None:
    path = params / "shiqiao-town" / "2023.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "      in_force: 0  # 现行有效件数", "      in_force: 2  # 现行有效件数", 1
    )
    path.write_text(text, encoding="utf-8")
    code, out, err = run_cli("check", path)
    assert code == 0
    assert "警告 I6" in out and "0 个错误" in err


def test_json_output_is_a_stable_list_of_findings(params: Path, run_cli) -> None:
    path = params / "qingshan-county-education" / "2022.yaml"
    text = path.read_text(encoding="utf-8").replace("    granted:", "    granted:", 1)
    lines = text.splitlines()
    i = next(n for n, ln in enumerate(lines) if ln.startswith("    granted:")) + 1
    lines[i] = lines[i].split(":")[0] + ": 999  # 自然人"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = run_cli("check", path, "--format", "json")
    assert code == 1
    items = json.loads(out)
    keys = {
        "rule",
        "severity",
        "file",
        "line",
        "agency",
        "year",
        "table",
        "row",
        "column",
        "expected",
        "found",
        "message",
        "field",
    }
    assert items and all(set(f) == keys for f in items)
    # One wrong cell breaks its row (I1) and its column (I2) by the same amount: reported once, as that cell.
    i1 = next(f for f in items if f["rule"] == "I1")
    assert i1["table"] == "三" and i1["row"] == "（一）予以公开" and i1["column"] == "自然人"
    assert i1["agency"] == "qingshan-county-education" and i1["year"] == 2022 and i1["severity"] == "error"
    assert i1["field"] == "tables.t3.granted.natural" and i1["found"] == "999" and i1["line"] == i + 1
    assert "I2" not in {f["rule"] for f in items}


def test_unreadable_input_exits_2_in_json_too(params: Path, run_cli) -> None:
    path = params / "shiqiao-town" / "2021.yaml"
    path.write_text("tables: [\n", encoding="utf-8")
    code, out, _ = run_cli("check", "--params", params, "--format", "json")
    assert code == 2
    (p0,) = [f for f in json.loads(out) if f["rule"] == "P0"]
    assert p0["file"] == str(path) and p0["line"] == 2


def test_a_path_that_does_not_exist_exits_2(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("check", tmp_path / "nope.yaml")
    assert code == 2 and "不存在" in err


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "xxgk"
    proc = subprocess.run([exe, "check", "--params", REPO / "params"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_csv_round_trip_with_one_changed_cell_is_caught(params: Path, run_cli, tmp_path: Path) -> None:
    """The issue's acceptance path: export, change one 表三 cell, import, check exits 1 naming it."""
    csv_path = tmp_path / "all.csv"
    assert run_cli("export", "--params", params, "-o", csv_path)[0] == 0
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    target = next(
        i
        for i, ln in enumerate(lines)
        if ln.startswith("qingshan-county-education,") and ",2023,三,（一）予以公开,自然人," in ln
    )
    old = int(lines[target].rsplit(",", 1)[1])
    lines[target] = lines[target].rsplit(",", 1)[0] + f",{old + 4}"
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run_cli("import", "--params", params, csv_path)
    assert code == 0, err
    code, out, _ = run_cli("check", "--params", params)
    assert code == 1
    # The changed cell breaks its row (I1) and its column (I2) by 4: reported once, naming the cell itself.
    assert "I1 表三 （一）予以公开 / 自然人 可能有误：" in out and f"实为 {old + 4}（相差 -4）" in out
    assert "qingshan-county-education/2023.yaml" in out


def test_render_refuses_invalid_data_and_writes_nothing(params: Path, run_cli, tmp_path: Path) -> None:
    set_cell(params / "shiqiao-town" / "2023.yaml", "granted", "natural", 77)
    outputs = tmp_path / "outputs"
    code, out, err = run_cli(
        "render",
        "shiqiao-town",
        "2023",
        "--params",
        params,
        "--outputs",
        outputs,
        "--template",
        REPO / "notebooks" / "annual_report.ipynb",
    )
    assert code == 1
    assert "I1 表三 （一）予以公开 / 自然人 可能有误" in out and "--allow-invalid" in err
    assert not (outputs / "shiqiao-town" / "2023").exists()


def test_render_refuses_a_bad_agency_id(run_cli) -> None:
    code, _, err = run_cli("render", "../x", "2020")
    assert code == 2 and "机关标识" in err


def test_new_starts_a_year_with_every_cell_to_fill_in(params: Path, run_cli) -> None:
    code, out, _ = run_cli("new", "qingshan-county-education", "2025", "--params", params)
    path = params / "qingshan-county-education" / "2025.yaml"
    assert code == 0 and str(path) in out
    text = path.read_text(encoding="utf-8")
    assert (
        "      natural:   # 自然人" in text
        and "格式：中华人民共和国政府信息公开工作年度报告格式（国办公开办函〔2021〕30号）" in text
    )
    code, _, err = run_cli("check", path)
    assert code == 2 and "缺少数值" in err and "表三 （一）予以公开 / 自然人" in err
    # 上年结转 comes from last year's 结转下年度继续办理, so X1 holds from the start.
    from xxgk.data import tree

    agency = tree.read_agency(params / "qingshan-county-education")
    last = tree.read_year(params / "qingshan-county-education" / "2024.yaml", agency)
    filled = text
    for line in text.splitlines():
        if line.rstrip().endswith(":") or ":   #" not in line:
            continue
        filled = filled.replace(line, line.replace(":   #", ": 0  #", 1), 1)
    carried = last.tables["t3"]["carried_forward"]
    assert f"natural: {carried['natural']}  # 自然人" in filled
    path.write_text(filled, encoding="utf-8")
    code, out, _ = run_cli("check", path)
    assert "X1" not in out


def test_new_never_overwrites_and_needs_a_name_for_a_new_body(params: Path, run_cli) -> None:
    before = tree_digest(params)
    code, _, err = run_cli("new", "shiqiao-town", "2024", "--params", params)
    assert code == 2 and "已存在" in err
    code, _, err = run_cli("new", "new-body", "2024", "--params", params)
    assert code == 2 and "--name" in err
    assert tree_digest(params) == before
    code, _, _ = run_cli("new", "new-body", "2024", "--params", params, "--name", "新区文化局", "--level", "县级")
    assert code == 0
    assert "name: 新区文化局" in (params / "new-body" / "agency.yaml").read_text(encoding="utf-8")
