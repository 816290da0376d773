"""Tidy CSV in and out: round trips are exact, bad input is named and harmless."""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import tree_digest
from xxgk import formats
from xxgk.data import model, paramfile, synthetic
from xxgk.data import tree as data_tree
from xxgk.data.diagnostics import InputError
from xxgk.data.model import Agency
from xxgk.exchange import plan as import_plan
from xxgk.exchange import tidy, values

COMMENT = "# 本文件由信息公开办维护，修改前请联系张三。\n"
HEADER = ",".join(tidy.COLUMNS)


def build_tree(root: Path) -> None:
    """Two bodies, both format versions (2019's amount cell included), a comment and narrative."""
    bodies = [
        (Agency("alpha-bureau", "甲局", "市级", None, Path()), range(2020, 2023)),
        (Agency("beta-town", "乙镇人民政府", "乡镇", "丙县人民政府", Path()), range(2021, 2023)),
    ]
    for agency, years in bodies:
        d = root / agency.id
        d.mkdir(parents=True)
        (d / "agency.yaml").write_text(paramfile.dump_agency(agency), encoding="utf-8")
        for ay in synthetic.series(agency, years, seed=7):
            (d / f"{ay.year}.yaml").write_text(COMMENT + paramfile.dump_year(ay), encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "params"
    build_tree(root)
    return root


def export_text(root: Path) -> str:
    buf = io.StringIO(newline="")
    tidy.export_csv(root, buf)
    return buf.getvalue()


def write_csv(path: Path, records: list[list[str]], header: str = HEADER) -> Path:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerows(records)
    path.write_text(header + "\n" + buf.getvalue(), encoding="utf-8")
    return path


def records(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))[1:]


def find(recs: list[list[str]], agency: str, year: int, table: str, row: str, column: str) -> int:
    return next(
        i for i, r in enumerate(recs) if r[0] == agency and r[2] == str(year) and r[3:6] == [table, row, column]
    )


def failing_import(csv_path: Path, root: Path) -> InputError:
    """Import that must fail and leave every file of the tree byte-identical."""
    before = tree_digest(root) if root.exists() else None
    with pytest.raises(InputError) as info:
        tidy.import_csv(csv_path, root)
    after = tree_digest(root) if root.exists() else None
    assert after == before
    return info.value


def messages(err: InputError) -> str:
    return "\n".join(map(str, err.problems))


# --- round trips ---------------------------------------------------------------------------------


def test_export_shape_and_order(tree: Path) -> None:
    text = export_text(tree)
    lines = text.split("\n")
    assert lines[0] == HEADER and text.endswith("\n") and "\r" not in text
    recs = records(text)
    v19, v21 = formats.get("2019"), formats.get("2021")
    assert len(recs) == 4 * len(v21.cells) + len(v19.cells)
    keys = [(r[0], int(r[2])) for r in recs]
    assert keys == sorted(keys)
    first = [r[3:6] for r in recs if r[0] == "alpha-bureau" and r[2] == "2020"]
    assert first == [[v19.table_names[c.table], c.row_label, c.column_label] for c in v19.cells]
    amount = recs[find(recs, "alpha-bureau", 2020, "二", "政府集中采购", "采购总金额")][6]
    assert amount.endswith("元") and ".0元" not in amount
    assert recs[find(recs, "alpha-bureau", 2021, "四", "", "行政诉讼/复议后起诉/总计")][6].isdigit()
    row = "（三）不予公开/1.属于国家秘密"
    assert recs[find(recs, "beta-town", 2022, "三", row, "自然人")][6].isdigit()


def test_export_import_export_is_byte_identical(tree: Path, tmp_path: Path) -> None:
    text = export_text(tree)
    path = tmp_path / "all.csv"
    path.write_text(text, encoding="utf-8")
    before = tree_digest(tree)
    report = tidy.import_csv(path, tree)
    assert (report.created, report.updated, report.warnings) == ([], [], [])
    assert len(report.unchanged) == 5
    assert tree_digest(tree) == before
    assert export_text(tree) == text

    fresh = tmp_path / "fresh"
    report = tidy.import_csv(path, fresh)
    assert len(report.created) == 2 + 5 and not report.updated
    assert export_text(fresh) == text
    assert (
        (fresh / "beta-town" / "agency.yaml").read_text(encoding="utf-8").startswith("# 机关信息\nname: 乙镇人民政府")
    )
    assert "level: null" in (fresh / "beta-town" / "agency.yaml").read_text(encoding="utf-8")
    assert data_tree.read_year(
        fresh / "beta-town" / "2021.yaml", data_tree.read_agency(fresh / "beta-town")
    ).narrative == (model.Narrative())


def test_bundled_examples_round_trip(params: Path, tmp_path: Path) -> None:
    text = export_text(params)
    path = tmp_path / "examples.csv"
    path.write_text(text, encoding="utf-8")
    before = tree_digest(params)
    assert not tidy.import_csv(path, params).updated
    assert tree_digest(params) == before
    tidy.import_csv(path, tmp_path / "fresh")
    assert export_text(tmp_path / "fresh") == text


def test_export_file_and_empty_tree(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "x.csv"
    n = tidy.export_file(tree, out)
    assert out.read_text(encoding="utf-8") == export_text(tree)
    assert n == len(records(export_text(tree)))
    (tmp_path / "empty").mkdir()
    assert export_text(tmp_path / "empty") == HEADER + "\n"


def test_export_refuses_unreadable_data(tree: Path) -> None:
    (tree / "beta-town" / "2022.yaml").write_text("tables: [", encoding="utf-8")
    buf = io.StringIO()
    with pytest.raises(InputError, match=r"2022\.yaml"):
        tidy.export_csv(tree, buf)
    assert buf.getvalue() == ""  # not even the header


# --- updating keeps everything else ----------------------------------------------------------------


def test_update_changes_only_the_value_and_keeps_narrative_and_comments(tree: Path, tmp_path: Path) -> None:
    path = tree / "alpha-bureau" / "2021.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("narrative:\n", "# 下面是正文\nnarrative:\n")
    path.write_text(text, encoding="utf-8")
    csv_path = write_csv(
        tmp_path / "one.csv",
        [["alpha-bureau", "甲局", "2021", "三", "（三）不予公开/1.属于国家秘密", "自然人", "12345"]],
    )
    report = tidy.import_csv(csv_path, tree)
    assert report.updated == [path] and not report.created
    new = path.read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(text.splitlines(), new.splitlines(), strict=True) if a != b]
    assert len(changed) == 1 and "12345  # 自然人" in changed[0][1]
    assert new.startswith(COMMENT) and "# 下面是正文\nnarrative:" in new
    ay = data_tree.read_year(path, data_tree.read_agency(tree / "alpha-bureau"))
    assert ay.value("t3", "withheld_state_secret", "natural") == 12345
    assert ay.narrative.overview.startswith("本年度，甲局")


def test_update_keeps_a_user_comment_inside_the_tables(tree: Path, tmp_path: Path) -> None:
    path = tree / "beta-town" / "2022.yaml"
    text = path.read_text(encoding="utf-8").replace("  t4:  #", "  # 表四核对过\n  t4:  #", 1)
    path.write_text(text, encoding="utf-8")
    csv_path = write_csv(tmp_path / "one.csv", [["beta-town", "", "2022", "四", "", "行政复议/结果维持", "7"]])
    tidy.import_csv(csv_path, tree)
    new = path.read_text(encoding="utf-8")
    assert "# 表四核对过" in new and new.startswith(COMMENT)
    ay = data_tree.read_year(path, data_tree.read_agency(tree / "beta-town"))
    assert ay.value("t4", "review", "upheld") == 7


def test_new_year_for_existing_agency_and_name_mismatch_warns(tree: Path, tmp_path: Path) -> None:
    recs = [r for r in records(export_text(tree)) if r[0] == "beta-town" and r[2] == "2022"]
    for r in recs:
        r[1], r[2] = "乙镇", "2023"
    agency_before = (tree / "beta-town" / "agency.yaml").read_bytes()
    report = tidy.import_csv(write_csv(tmp_path / "new.csv", recs), tree)
    assert report.created == [tree / "beta-town" / "2023.yaml"]
    assert (tree / "beta-town" / "agency.yaml").read_bytes() == agency_before
    [w] = report.warnings
    assert w.field == "agency_name" and "乙镇人民政府" in w.message and w.line == 2


def test_format_named_in_the_file_decides_the_labels(tree: Path, tmp_path: Path) -> None:
    """A 2022 body that still used the 2019 template (format-spec §9.5) keeps its version."""
    agency = data_tree.read_agency(tree / "alpha-bureau")
    old = synthetic.agency_year(agency, 2020, seed=1)
    ay = dataclasses.replace(old, year=2023, format_named=True)
    path = tree / "alpha-bureau" / "2023.yaml"
    path.write_text(paramfile.dump_year(ay), encoding="utf-8")
    ok = write_csv(tmp_path / "ok.csv", [["alpha-bureau", "甲局", "2023", "二", "规范性文件", "本年新制作数量", "9"]])
    tidy.import_csv(ok, tree)
    assert data_tree.read_year(path, agency).value("t2", "normative", "made") == 9
    bad = write_csv(
        tmp_path / "bad.csv", [["alpha-bureau", "甲局", "2023", "二", "行政规范性文件", "本年新制作数量", "9"]]
    )
    err = failing_import(bad, tree)
    assert "这是2021版格式的标签，本年度适用2019试行版格式" in messages(err)


# --- accepted variants ---------------------------------------------------------------------------


def test_label_variants_of_table_three(tree: Path, tmp_path: Path) -> None:
    sub = "（六）其他处理/1.申请人无正当理由逾期不补正，行政机关不再处理其政府信息公开申请"
    rows = [
        ["beta-town", "", "2022", "三", "三、本年度办理结果/（一）予以公开", "自然人", "101"],
        ["beta-town", "", "2022", "三", sub, "商业企业", "102"],
        ["beta-town", "", "2022", "三", "三、本年度办理结果/" + sub, "科研机构", "103"],
        ["beta-town", "", "2022", "三", "三、本年度办理结果/（三）不予公开/2.其他法律行政法规禁止公开", "其他", "104"],
    ]
    tidy.import_csv(write_csv(tmp_path / "v.csv", rows), tree)
    ay = data_tree.read_year(tree / "beta-town" / "2022.yaml", data_tree.read_agency(tree / "beta-town"))
    assert ay.value("t3", "granted", "natural") == 101
    assert ay.value("t3", "other_no_correction", "commercial") == 102
    assert ay.value("t3", "other_no_correction", "research") == 103
    assert ay.value("t3", "withheld_prohibited", "other") == 104


def test_labels_differing_only_in_form_are_the_same_label(tree: Path, tmp_path: Path) -> None:
    """Half-width brackets, spaces and traditional characters (a label retyped in Excel, pasted from a
    mirror) name the same cell, through the matching every source shares (xxgk.formats.match)."""
    rows = [
        ["beta-town", "", "2022", "三", "(一)予以公开", "自然人", "111"],
        ["beta-town", "", "2022", "三", "（三）不予公开 / 1. 屬於國家秘密", "總計", "112"],
    ]
    report = tidy.import_csv(write_csv(tmp_path / "v.csv", rows), tree)
    assert report.files
    ay = data_tree.read_year(tree / "beta-town" / "2022.yaml", data_tree.read_agency(tree / "beta-town"))
    assert ay.value("t3", "granted", "natural") == 111
    assert ay.value("t3", "withheld_state_secret", "total") == 112


def test_bom_crlf_column_order_and_spaces(tree: Path, tmp_path: Path) -> None:
    text = (
        "\ufeffvalue, table ,row,column,agency_id,agency_name,year\r\n"
        " 55 ,四,,行政复议/总计,alpha-bureau,甲局,2022\r\n"
        "\r\n"
        ",,,,,,\r\n"
    )
    path = tmp_path / "excel.csv"
    path.write_text(text, encoding="utf-8", newline="")
    tidy.import_csv(path, tree)
    ay = data_tree.read_year(tree / "alpha-bureau" / "2022.yaml", data_tree.read_agency(tree / "alpha-bureau"))
    assert ay.value("t4", "review", "total") == 55


@pytest.mark.parametrize("blank", ["", "/", "-", "—"])
def test_blank_and_dash_read_as_zero_with_a_warning(tree: Path, tmp_path: Path, blank: str) -> None:
    rows = [
        ["alpha-bureau", "甲局", "2021", "三", "（七）总计", "总计", "5"],
        [
            "alpha-bureau",
            "甲局",
            "2021",
            "三",
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            "自然人",
            blank,
        ],
    ]
    report = tidy.import_csv(write_csv(tmp_path / "b.csv", rows), tree)
    [w] = report.warnings
    assert (w.line, w.field, w.found) == (3, "value", repr(blank))
    assert w.column == "表三 （二）部分公开（区分处理的，只计这一情形，不计其他情形） / 自然人"
    assert "按 0 读入" in str(w)
    ay = data_tree.read_year(tree / "alpha-bureau" / "2021.yaml", data_tree.read_agency(tree / "alpha-bureau"))
    assert ay.value("t3", "partial", "natural") == 0


def test_value_types(tree: Path, tmp_path: Path) -> None:
    rows = [
        ["alpha-bureau", "", "2020", "二", "政府集中采购", "采购总金额", "25.1万元"],
        ["alpha-bureau", "", "2020", "二", "行政许可", "本年增/减", "+4"],
        ["alpha-bureau", "", "2020", "三", "（七）总计", "自然人", "-2"],
        ["alpha-bureau", "", "2021", "二", "行政事业性收费", "本年收费金额（单位：万元）", "12.50"],
        ["alpha-bureau", "", "2022", "二", "行政事业性收费", "本年收费金额（单位：万元）", "3"],
        ["alpha-bureau", "", "2022", "三", "（七）总计", "自然人", "8.0"],
    ]
    tidy.import_csv(write_csv(tmp_path / "t.csv", rows), tree)
    agency = data_tree.read_agency(tree / "alpha-bureau")
    y20, y21, y22 = (data_tree.read_year(tree / "alpha-bureau" / f"{y}.yaml", agency) for y in (2020, 2021, 2022))
    assert y20.value("t2", "procurement", "amount") == model.Amount(Decimal("25.1"), "万元")
    assert y20.value("t2", "licensing", "change") == 4
    assert y20.value("t3", "total", "natural") == -2  # range is the rules' job (I3)
    v21 = y21.value("t2", "fees", "amount")
    assert isinstance(v21, Decimal) and str(v21) == "12.50"
    assert y22.value("t2", "fees", "amount") == 3 and isinstance(y22.value("t2", "fees", "amount"), int)
    assert y22.value("t3", "total", "natural") == 8


def test_identical_duplicate_is_a_warning(tree: Path, tmp_path: Path) -> None:
    row = ["beta-town", "", "2021", "四", "", "行政复议/结果维持", "3"]
    report = tidy.import_csv(write_csv(tmp_path / "d.csv", [row, row]), tree)
    assert [w.line for w in report.warnings] == [3]


# --- refused input, each leaving the tree exactly as it was --------------------------------------


def test_unknown_label_lists_the_closest_official_labels(tree: Path, tmp_path: Path) -> None:
    rows = [
        ["alpha-bureau", "", "2021", "三", "（三）不予公开/1.属于国家机密", "自然人", "1"],
        ["alpha-bureau", "", "2021", "四", "", "复议后起诉/总计", "1"],
    ]
    err = failing_import(write_csv(tmp_path / "u.csv", rows), tree)
    first, second = err.problems
    assert (first.line, first.field, first.found) == (2, "row", repr("（三）不予公开/1.属于国家机密"))
    assert "表三中没有这一行" in first.message
    assert "最接近的官方标签是：「（三）不予公开/1.属于国家秘密」" in first.message
    assert first.message.count("「") == 3
    assert (second.line, second.field) == (3, "column")
    assert "「行政诉讼/复议后起诉/总计」" in second.message
    assert str(first).startswith(f"{tmp_path / 'u.csv'}:2: 错误 P0 row（表三）：表三中没有这一行")


@pytest.mark.parametrize(
    ("year", "row", "column", "expected"),
    [
        (
            2022,
            "规范性文件",
            "本年制发件数",
            "这是2019试行版格式的标签，本年度适用2021版格式（国办公开办函〔2021〕30号）",
        ),
        (2021, "行政许可", "上一年项目数量", "这是2019试行版格式的标签"),
        (2020, "行政许可", "本年处理决定数量", "这是2021版格式的标签，本年度适用2019试行版格式"),
        (2021, "（六）其他处理", "自然人", "这是2019试行版格式的标签"),
    ],
)
def test_label_of_the_other_version_is_named_as_such(
    tree: Path, tmp_path: Path, year: int, row: str, column: str, expected: str
) -> None:
    table = "三" if row.startswith("（") else "二"
    err = failing_import(
        write_csv(tmp_path / "o.csv", [["alpha-bureau", "", str(year), table, row, column, "1"]]), tree
    )
    assert expected in messages(err)


def test_row_and_column_that_do_not_go_together(tree: Path, tmp_path: Path) -> None:
    rows = [["alpha-bureau", "", "2021", "二", "行政许可", "本年制发件数", "1"]]
    err = failing_import(write_csv(tmp_path / "c.csv", rows), tree)
    assert "“行政许可”这一行没有这一列；该行的列为：「本年处理决定数量」" in messages(err)


@pytest.mark.parametrize("bad", ["../x", "/", "a b", "兰州", "Alpha", ""])
def test_bad_agency_id_is_refused(tmp_path: Path, bad: str) -> None:
    root = tmp_path / "params"
    build_tree(root)
    err = failing_import(write_csv(tmp_path / "a.csv", [[bad, "某局", "2022", "四", "", "行政复议/总计", "1"]]), root)
    [p] = err.problems
    assert p.field == "agency_id" and p.line == 2 and p.found == repr(bad)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("十二", "应为整数"), ("1.5", "应为整数"), ("1,234", "应为整数"), ("12件", "应为整数")],
)
def test_non_numeric_value_names_the_cell(tree: Path, tmp_path: Path, value: str, expected: str) -> None:
    rows = [["alpha-bureau", "", "2022", "三", "四、结转下年度继续办理", "法律服务机构", value]]
    err = failing_import(write_csv(tmp_path / "n.csv", rows), tree)
    [p] = err.problems
    assert (p.line, p.field, p.found) == (2, "value", repr(value))
    assert p.column == "表三 四、结转下年度继续办理 / 法律服务机构" and expected in p.message


@pytest.mark.parametrize(
    ("year", "row", "column", "value", "expected"),
    [
        (2020, "政府集中采购", "采购总金额", "251000", "金额须写明单位 元 或 万元"),
        (2020, "政府集中采购", "采购总金额", "251000美元", "应为带单位的金额"),
        (2021, "行政事业性收费", "本年收费金额（单位：万元）", "12万元", "本列单位已是万元"),
        (2021, "行政事业性收费", "本年收费金额（单位：万元）", "abc", "应为数字"),
    ],
)
def test_amount_and_wan_values(
    tree: Path, tmp_path: Path, year: int, row: str, column: str, value: str, expected: str
) -> None:
    err = failing_import(
        write_csv(tmp_path / "m.csv", [["alpha-bureau", "", str(year), "二", row, column, value]]), tree
    )
    assert expected in messages(err)


def test_missing_cells_when_creating_are_errors_not_zeros(tree: Path, tmp_path: Path) -> None:
    recs = [r for r in records(export_text(tree)) if r[0] == "beta-town" and r[2] == "2022"]
    for r in recs:
        r[0] = "gamma-office"
    gone = find(recs, "gamma-office", 2022, "三", "（五）不予处理/2.重复申请", "社会公益组织")
    del recs[gone]
    recs = [r for r in recs if r[3] != "四"]
    err = failing_import(write_csv(tmp_path / "m.csv", recs), tree)
    text = messages(err)
    assert "表三 （五）不予处理/2.重复申请 / 社会公益组织" in text and "缺少这个单元格" in text
    assert "缺少表四的全部 15 个单元格" in text
    assert len(err.problems) == 2
    assert not (tree / "gamma-office").exists()


def test_new_agency_needs_a_name(tree: Path, tmp_path: Path) -> None:
    recs = [r for r in records(export_text(tree)) if r[0] == "beta-town" and r[2] == "2022"]
    for r in recs:
        r[0], r[1] = "gamma-office", ""
    err = failing_import(write_csv(tmp_path / "m.csv", recs), tree)
    assert "需要填写机关名称" in messages(err)
    recs[0][1], recs[1][1] = "丙办", "丁办"
    err = failing_import(write_csv(tmp_path / "m.csv", recs), tree)
    assert "对应了不同的机关名称" in messages(err)


def test_conflicting_duplicates(tree: Path, tmp_path: Path) -> None:
    rows = [
        ["beta-town", "", "2021", "四", "", "行政复议/结果维持", "3"],
        ["beta-town", "", "2021", "四", "", "行政复议/结果维持", "4"],
    ]
    err = failing_import(write_csv(tmp_path / "d.csv", rows), tree)
    [p] = err.problems
    assert p.line == 3 and "与第2行是同一单元格，但数值不同" in p.message and p.column == "表四 行政复议/结果维持"


@pytest.mark.parametrize(
    ("record", "field", "expected"),
    [
        (["alpha-bureau", "", "24", "四", "", "行政复议/总计", "1"], "year", "年份应为四位数字"),
        (["alpha-bureau", "", "2018", "四", "", "行政复议/总计", "1"], "year", "自 2019 年度起适用"),
        (["alpha-bureau", "", "2022", "表四", "", "行政复议/总计", "1"], "table", "表格应为 二、三、四 之一"),
        (["alpha-bureau", "", "2022", "四", "行政复议", "总计", "1"], "row", "row 应留空"),
        (["alpha-bureau", "", "2022", "三", "", "自然人", "1"], "row", "缺少表三的行标签"),
    ],
)
def test_other_bad_fields(tree: Path, tmp_path: Path, record: list[str], field: str, expected: str) -> None:
    err = failing_import(write_csv(tmp_path / "f.csv", [record]), tree)
    assert err.problems[0].field == field and expected in err.problems[0].message


def test_every_problem_is_listed_and_nothing_is_written(tree: Path, tmp_path: Path) -> None:
    good = [r for r in records(export_text(tree)) if r[0] == "beta-town"]
    good[5][6] = str(int(good[5][6]) + 1)  # a valid change that must not be written either
    bad = [
        ["alpha-bureau", "", "2021", "三", "（七）总计", "自然人", "x"],
        ["alpha-bureau", "", "2022", "四", "", "行政复议/合计", "1"],
        ["new-body", "新机关", "2022", "四", "", "行政复议/总计", "1"],
    ]
    err = failing_import(write_csv(tmp_path / "all.csv", good + bad), tree)
    assert len(err.problems) >= 3
    lines = [p.line for p in err.problems if p.line]
    assert lines == sorted(lines)
    assert not (tree / "new-body").exists()


def test_unreadable_existing_file_is_named_and_kept(tree: Path, tmp_path: Path) -> None:
    path = tree / "alpha-bureau" / "2021.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("      natural: ", "      natural: x", 1), encoding="utf-8"
    )
    rows = [
        ["beta-town", "", "2021", "四", "", "行政复议/总计", "x"],
        ["alpha-bureau", "", "2021", "四", "", "行政复议/总计", "1"],
        ["alpha-bureau", "", "2022", "四", "", "行政复议/总计", "y"],
    ]
    err = failing_import(write_csv(tmp_path / "e.csv", rows), tree)
    # the file's own problem comes right after the CSV line that needs the file
    assert [(p.file == str(path), p.line) for p in err.problems][:2] == [(False, 2), (False, 3)]
    assert [p.line for p in err.problems][3:] == [4]
    assert "已有的数据文件" in err.problems[1].message and "无法读取，请先修正它再导入" in err.problems[1].message
    assert err.problems[2].file == str(path) and str(err.problems[2].found).startswith("'x")


def test_unreadable_agency_file_is_named_and_kept(tree: Path, tmp_path: Path) -> None:
    (tree / "beta-town" / "agency.yaml").write_text("name: 乙镇\nlevel: 村级\n", encoding="utf-8")
    rows = [["beta-town", "", "2021", "四", "", "行政复议/总计", "1"]]
    err = failing_import(write_csv(tmp_path / "e.csv", rows), tree)
    assert "已有的机关信息文件" in err.problems[0].message
    assert err.problems[1].file == str(tree / "beta-town" / "agency.yaml") and "行政级别" in err.problems[1].message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "文件是空的"),
        (b"agency,agency_name,year,table,row,column,value\n", "未知的列"),
        (b"agency_id,year,table,row,column,value\n", "表头缺少列 agency_name"),
        (f"{HEADER}\nalpha-bureau,,2022,四\n".encode(), "本行有 4 个字段"),
        (f"{HEADER}\nalpha-bureau,Café,2022,x,,y,5\n".encode("latin-1"), "也不是 GB18030"),
        (f'{HEADER}\nalpha-bureau,"甲"局,2022,四,,行政复议/总计,5\n'.encode(), "CSV 格式错误"),
    ],
)
def test_unreadable_csv(tree: Path, tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    err = failing_import(path, tree)
    assert expected in messages(err) and err.problems[0].file == str(path)


def test_failure_while_writing_leaves_nothing(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = records(export_text(tree))
    for r in recs:
        r[0] = r[0] + "-copy"
        if r[3] == "四":
            r[6] = str(int(r[6]) + 1)
    path = write_csv(tmp_path / "w.csv", recs)
    real = import_plan.tempfile.mkstemp
    calls = iter(range(100))

    def flaky(*args: object, **kwargs: object) -> tuple[int, str]:
        if next(calls) == 4:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(import_plan.tempfile, "mkstemp", flaky)
    before = tree_digest(tree)
    with pytest.raises(OSError):
        tidy.import_csv(path, tree)
    assert tree_digest(tree) == before
    assert sorted(p.name for p in tree.iterdir()) == ["alpha-bureau", "beta-town"]


def test_file_changed_during_import_is_not_overwritten(tree: Path, tmp_path: Path) -> None:
    path = tree / "beta-town" / "2021.yaml"
    rows = [["beta-town", "", "2021", "四", "", "行政复议/结果维持", "99"]]
    plan = import_plan.plan_import(tidy.read_csv(write_csv(tmp_path / "r.csv", rows))[0], tmp_path / "r.csv", tree)
    path.write_text(path.read_text(encoding="utf-8") + "# 有人刚刚改过\n", encoding="utf-8")
    before = tree_digest(tree)
    with pytest.raises(InputError, match="被其他程序修改"):
        import_plan.apply_plan(plan)
    assert tree_digest(tree) == before


# --- property: any valid change in the CSV lands in the data file -----------------------------------


def _valid_text(kind: str) -> st.SearchStrategy[str]:
    if kind == "amount":
        return st.builds(lambda n, u: f"{n}{u}", st.decimals(0, 10**9, places=2), st.sampled_from(["元", "万元"]))
    if kind == "wan":
        return st.one_of(st.integers(0, 10**6).map(str), st.decimals(0, 10**6, places=3).map(lambda d: f"{d:f}"))
    if kind == "signed":
        return st.integers(-(10**6), 10**6).map(str)
    return st.integers(0, 10**9).map(str)


_PROPERTY_TREE: dict[str, object] = {}


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_change_round_trips_to_the_data_file(tmp_path: Path, data: st.DataObject) -> None:
    base = tmp_path / "base"
    if not base.exists():
        build_tree(base)
        _PROPERTY_TREE["text"] = export_text(base)
    text = str(_PROPERTY_TREE["text"])
    recs = records(text)
    i = data.draw(st.integers(0, len(recs) - 1))
    rec = recs[i]
    version = formats.for_year(int(rec[2]))
    table = {n: t for t, n in version.table_names.items()}[rec[3]]
    spec = version.cell_by_label(table, rec[4], rec[5])
    assert spec is not None
    new = data.draw(_valid_text(spec.kind))
    root = tmp_path / "work"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(base, root)
    rec[6] = new
    path = write_csv(tmp_path / "p.csv", [rec])
    tidy.import_csv(path, root)
    agency = data_tree.read_agency(root / rec[0])
    stored = data_tree.read_year(root / rec[0] / f"{rec[2]}.yaml", agency).value(spec.table, spec.row, spec.column)
    parsed = values.parse_value(new, spec.kind)
    assert not isinstance(parsed, str)
    assert stored == parsed[0] and type(stored) is type(parsed[0])
    # …and the next export shows exactly that cell changed, in the canonical spelling of the value.
    after = records(export_text(root))
    assert [j for j, (a, b) in enumerate(zip(recs, after, strict=True)) if a != b] in ([], [i])
    assert values.parse_value(after[i][6], spec.kind) == parsed
