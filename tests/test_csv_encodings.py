"""Tidy CSV as spreadsheets on Chinese Windows write it: a UTF-8 BOM, and GB18030 (GBK).

Excel and WPS read a CSV without a BOM in the local code page, so ``export --bom`` adds one; WPS
and older Excel save CSV as GB18030 by default, so import reads that too, and says so. What must
never happen is a UTF-8 file with one damaged byte being read, without an error, as GB18030 garbage.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import tree_digest
from xxgk import cli
from xxgk.data.diagnostics import IMPORT_NOTICE, InputError
from xxgk.exchange import tidy

RunCli = Callable[..., tuple[int, str, str]]
BOM = b"\xef\xbb\xbf"
HEADER = ",".join(tidy.COLUMNS)
ROW = "qingshan-county-education,青山县教育局,2019,二,行政许可,处理决定数量,0"
"""A real record of the examples whose UTF-8, with one byte of ``二`` lost, is valid GB18030."""
GBK_ROW = "shiqiao-town,石桥镇人民政府,2019,四,,行政复议/总计,1\n".encode("gbk")
SAVE_AS = "另存为“CSV UTF-8（逗号分隔）”"


def plain_export(root: Path) -> bytes:
    buf = io.StringIO(newline="")
    tidy.export_csv(root, buf)
    return buf.getvalue().encode("utf-8")


def refused(run_cli: RunCli, params: Path, csv_path: Path) -> str:
    """``xxgk import`` that must fail with exit 2 and leave params/ byte-identical; its stderr."""
    before = tree_digest(params)
    code, out, err = run_cli("import", "--params", params, csv_path)
    assert (code, out) == (2, "")
    assert tree_digest(params) == before
    assert "未写入任何文件" in err
    return err


# --- export --bom --------------------------------------------------------------------------------


def test_export_bom_round_trips_byte_identically(params: Path, run_cli: RunCli, tmp_path: Path) -> None:
    plain, marked = tmp_path / "plain.csv", tmp_path / "marked.csv"
    assert run_cli("export", "--params", params, "-o", plain)[0] == 0
    code, out, err = run_cli("export", "--params", params, "--bom", "-o", marked)
    assert (code, out) == (0, "") and "导出了" in err
    assert not plain.read_bytes().startswith(BOM)  # the default stays as warehouses load it
    assert marked.read_bytes() == BOM + plain.read_bytes()

    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, marked)
    assert code == 0 and "新建 0 个文件，更新 0 个" in err and "0 条警告" in err and "警告 " not in err
    assert tree_digest(params) == before

    fresh = tmp_path / "fresh"
    assert run_cli("import", "--params", fresh, marked)[0] == 0
    again = tmp_path / "again.csv"
    assert run_cli("export", "--params", fresh, "--bom", "-o", again)[0] == 0
    assert again.read_bytes() == marked.read_bytes()


def test_export_bom_to_standard_output(params: Path, run_cli: RunCli) -> None:
    code, out, _ = run_cli("export", "--params", params, "--bom")
    assert code == 0 and out.startswith("\ufeffagency_id,")
    assert out.encode("utf-8") == BOM + plain_export(params)
    assert run_cli("export", "--params", params)[1].startswith("agency_id,")


def test_export_bom_to_a_gbk_standard_output_is_still_utf8(params: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``xxgk export --bom > all.csv`` on Chinese Windows: stdout's encoding is cp936 there."""
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="gbk", newline="")
    monkeypatch.setattr(sys, "stdout", stdout)
    assert cli.main(["export", "--params", str(params), "--bom"]) == 0
    stdout.flush()
    assert raw.getvalue() == BOM + plain_export(params)


def test_refused_export_writes_no_bom_either(params: Path, run_cli: RunCli) -> None:
    (params / "shiqiao-town" / "2019.yaml").write_text("tables: [", encoding="utf-8")
    code, out, err = run_cli("export", "--params", params, "--bom")
    assert (code, out) == (2, "") and "2019.yaml" in err


# --- GB18030 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mark", ["", "\ufeff"], ids=["gb18030", "gb18030-with-its-bom"])
def test_gb18030_imports_like_utf8_with_a_warning(params: Path, run_cli: RunCli, tmp_path: Path, mark: str) -> None:
    """WPS's default; the second case is a ``--bom`` export an editor saved again as GB18030."""
    text = plain_export(params).decode("utf-8")
    utf8, gb = tmp_path / "utf8.csv", tmp_path / "gb.csv"
    utf8.write_text(text, encoding="utf-8", newline="")
    gb.write_bytes((mark + text).encode("gb18030"))

    code, _, err = run_cli("import", "--params", tmp_path / "from-utf8", utf8)
    assert code == 0 and "GB18030" not in err
    code, _, err = run_cli("import", "--params", tmp_path / "from-gb", gb)
    assert code == 0
    assert tree_digest(tmp_path / "from-gb") == tree_digest(tmp_path / "from-utf8")
    [warning] = [line for line in err.splitlines() if ": 警告 " in line]
    assert warning.startswith(f"{gb}: 警告 M3 文件不是 UTF-8 编码，已按 GB18030（GBK）编码读取")
    assert SAVE_AS in warning
    assert "1 条警告" in err

    before = tree_digest(params)
    assert run_cli("import", "--params", params, gb)[0] == 0
    assert tree_digest(params) == before


def test_gb18030_warning_comes_before_the_plans_warnings(params: Path, run_cli: RunCli, tmp_path: Path) -> None:
    gb = tmp_path / "gb.csv"
    gb.write_bytes(f"{HEADER}\nshiqiao-town,石桥镇人民政府,2019,四,,行政复议/结果维持,\n".encode("gb18030"))
    report = tidy.import_csv(gb, params)
    assert [(w.rule, w.severity) for w in report.warnings] == [(IMPORT_NOTICE, "warning"), ("Q3", "warning")]
    code, _, err = run_cli("import", "--params", params, gb)
    first, second = [line for line in err.splitlines() if ": 警告 " in line]
    assert code == 0 and "GB18030" in first and "按 0 读入" in second and "2 条警告" in err


def test_refused_gb18030_import_says_how_it_was_read(params: Path, run_cli: RunCli, tmp_path: Path) -> None:
    """A label the wrong encoding garbled is explained by the warning, so it comes with the errors."""
    gb = tmp_path / "gb.csv"
    gb.write_bytes(f"{HEADER}\nshiqiao-town,石桥镇,2019,四,,行政复议/合计,1\n".encode("gb18030"))
    err = refused(run_cli, params, gb)
    lines = err.splitlines()
    assert lines[0].startswith(f"{gb}: 警告 M3 文件不是 UTF-8 编码，已按 GB18030（GBK）编码读取")
    assert lines[1].startswith(f"{gb}:2: 错误 ") and "行政复议/合计" in lines[1]
    with pytest.raises(InputError) as info:
        tidy.import_csv(gb, params)
    assert [p.severity for p in info.value.problems] == ["warning", "error"]


def test_read_csv_returns_the_reading_warnings(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    records, warnings = tidy.read_csv(path)
    assert [r.row for r in records] == ["行政许可"] and warnings == []
    path.write_bytes(f"{HEADER}\n{ROW}\n".encode("gb18030"))
    records, [warning] = tidy.read_csv(path)
    assert [r.agency_name for r in records] == ["青山县教育局"] and warning.rule == IMPORT_NOTICE


# --- what is neither, or UTF-8 with damage --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "line"),
    [
        # a Latin-1 spreadsheet: the first byte that is not UTF-8 is not GB18030 either
        ("shiqiao-town,Shiqiao,2019,x,,y,1\nshiqiao-town,Café,2019,x,,y,1\n".encode("latin-1"), 3),
        # GBK with a damaged byte on line 4: GB18030 read further than UTF-8 (line 2), so line 4
        (GBK_ROW + GBK_ROW + GBK_ROW.replace(b",1\n", b"\xff,1\n"), 4),
        # GB18030's user-defined area (private use): no spreadsheet writes it
        (GBK_ROW + GBK_ROW.replace(b",1\n", b"\xaa\xa1,1\n"), 3),
        # decodable as GB18030 but without a single CJK character: not Chinese text at all
        ("shiqiao-town,Shiqiao,2019,x,,y,é\n".encode("gb18030"), 2),
    ],
    ids=["latin-1", "gbk-damaged", "gb18030-private-use", "no-cjk"],
)
def test_neither_utf8_nor_gb18030_is_refused_with_the_line(
    params: Path, run_cli: RunCli, tmp_path: Path, body: bytes, line: int
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(HEADER.encode() + b"\n" + body)
    err = refused(run_cli, params, path)
    assert f"{path}:{line}: 错误 P0 文件不是 UTF-8 编码，也不是 GB18030（GBK）编码" in err
    assert "（值：b'" in err and SAVE_AS in err  # the bytes found there, and what to do


def test_utf8_with_one_damaged_byte_is_not_read_as_gb18030(params: Path, run_cli: RunCli, tmp_path: Path) -> None:
    damaged = f"{HEADER}\n{ROW}\n".encode().replace("二".encode(), "二".encode()[:2], 1)
    assert "鍘挎暀" in damaged.decode("gb18030")  # decodable, as plausible-looking garbage
    path = tmp_path / "damaged.csv"
    path.write_bytes(damaged)
    err = refused(run_cli, params, path)
    assert f"{path}:2: 错误 P0 本行有不是 UTF-8 编码的字节，而文件其余的中文是 UTF-8 编码" in err
    assert "GB18030" not in err.split("因此没有按")[0] and SAVE_AS in err

    # …and in a whole export the error names the damaged line, not the first of thousands.
    lines = plain_export(params).split(b"\n")
    n = next(i for i, line in enumerate(lines) if line.startswith(ROW.encode()))
    lines[n] = lines[n].replace("二".encode(), "二".encode()[:2], 1)
    path.write_bytes(b"\n".join(lines))
    assert f"{path}:{n + 1}: 错误 P0 本行有不是 UTF-8 编码的字节" in refused(run_cli, params, path)


def test_utf8_with_gbk_rows_pasted_in_names_the_first_gbk_line(params: Path, run_cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(f"{HEADER}\n{ROW}\n".encode() + GBK_ROW)
    err = refused(run_cli, params, path)
    assert f"{path}:3: 错误 P0 本行有不是 UTF-8 编码的字节，而文件其余的中文是 UTF-8 编码" in err


def test_utf8_bom_before_gbk_is_refused(params: Path, run_cli: RunCli, tmp_path: Path) -> None:
    """The BOM declares UTF-8 (read as GB18030 it is the familiar 锘): a GBK body is a mismatch."""
    path = tmp_path / "bom-gbk.csv"
    body = HEADER.encode() + b"\n" + GBK_ROW
    path.write_bytes(BOM + body)
    assert (BOM + body).decode("gb18030").startswith("锘")
    err = refused(run_cli, params, path)
    assert f"{path}:2: 错误 P0 本行有不是 UTF-8 编码的字节，而文件开头有 UTF-8 标记（BOM）" in err
    assert SAVE_AS in err
