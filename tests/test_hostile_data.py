"""Hostile data files under params/: each is refused by file and line, and nothing of it leaks out.

Every case runs the command a user runs (``xxgk check``, ``build``, ``export``) on a copy of the
examples with one file made hostile, and asserts what the user would see: exit 2, a P0 message
naming the file and line, no traceback, and no more of the bad content than a short escaped
excerpt. Cases that could hang or exhaust memory run ``xxgk`` as a subprocess under a timeout or
a memory cap.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, tree_digest

XXGK = Path(sys.executable).with_name("xxgk")
TOWN = "shiqiao-town"
SECRET = "TOP-SECRET-7f3a9c: the password is hunter2"
LINK_OUT = "符号链接指向数据目录之外，未读取"
ANSI = "\x1b"


def _year(params: Path, year: int = 2023, agency: str = TOWN) -> Path:
    return params / agency / f"{year}.yaml"


def _edit(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` in a data file; return the line where ``new`` starts."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    i = text.index(old)
    path.write_text(text[:i] + new + text[i + len(old) :], encoding="utf-8")
    return text.count("\n", 0, i) + 1


def _secret(tmp_path: Path) -> Path:
    """A file outside params/ whose content must never reach a message, a page or a log."""
    path = tmp_path / "outside" / "secret.yaml"
    path.parent.mkdir()
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


def _p0(err: str, path: Path, line: int | None = None) -> list[str]:
    """The P0 lines of a check's output about ``path`` (at ``line``, if given)."""
    where = f"{path}:{line}: " if line else f"{path}"
    return [ln for ln in err.splitlines() if ln.startswith(where) and " P0 " in ln]


def _run(args: list[str], *, timeout: float = 30, memory: int | None = None) -> subprocess.CompletedProcess[str]:
    """``xxgk`` as a process: for what could block forever or exhaust memory in the test itself."""

    def limit() -> None:
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [str(XXGK), *args], capture_output=True, text=True, timeout=timeout, preexec_fn=limit, cwd=REPO
    )


# --- 1. symlinks that leave params/, files that are no regular files, files too large ----------


def test_a_data_file_linked_out_of_params_is_refused_and_a_link_inside_still_works(
    params: Path, tmp_path: Path, run_cli
) -> None:
    secret = _secret(tmp_path)
    out_link = _year(params, 2023)
    out_link.unlink()
    out_link.symlink_to(secret)
    # A link that stays inside params/ is an ordinary way to share a file: it keeps working.
    inside = _year(params, 2020, "qingshan-county-education")
    shared = params / "qingshan-county-education" / "shared-2020.yaml.txt"
    inside.rename(shared)
    inside.symlink_to(shared.name)
    code, out, err = run_cli("check", "--params", params)
    assert code == 2
    (line,) = _p0(err, out_link)
    assert LINK_OUT in line and str(secret) in line
    assert SECRET[:10] not in out + err
    assert not _p0(err, inside) and "检查了 18 份年度数据" in err  # all 19 examples but the refused one
    code, out, _ = run_cli("check", "--params", params, "--format", "json")
    items = json.loads(out)
    assert [i["file"] for i in items if i["rule"] == "P0"] == [str(out_link)]
    assert SECRET[:10] not in out


@pytest.mark.parametrize("what", ["agency.yaml", "folder"])
def test_an_agency_file_or_folder_linked_out_of_params_is_refused(
    what: str, params: Path, tmp_path: Path, run_cli
) -> None:
    secret = _secret(tmp_path)
    if what == "folder":
        link = params / "outside-body"
        link.symlink_to(secret.parent, target_is_directory=True)
        (secret.parent / "agency.yaml").write_text(f"name: {SECRET}\n", encoding="utf-8")
        (secret.parent / "2023.yaml").write_text(f"published: {SECRET}\n", encoding="utf-8")
    else:
        link = params / TOWN / "agency.yaml"
        link.unlink()
        link.symlink_to(secret)
    code, out, err = run_cli("check", "--params", params)
    assert code == 2
    (line,) = _p0(err, link)
    assert LINK_OUT in line and str(secret.parent) in line
    assert SECRET[:10] not in out + err


def test_export_never_reads_a_link_out_of_params(params: Path, tmp_path: Path, run_cli) -> None:
    secret = _secret(tmp_path)
    link = _year(params, 2021)
    link.unlink()
    link.symlink_to(secret)
    code, out, err = run_cli("export", "--params", params, "-o", tmp_path / "all.csv")
    assert code == 2
    assert LINK_OUT in err and SECRET[:10] not in out + err
    assert not (tmp_path / "all.csv").exists()


def test_build_puts_no_byte_of_a_linked_file_into_the_index(params: Path, tmp_path: Path, run_cli) -> None:
    secret = _secret(tmp_path)
    link = _year(params, 2023)
    link.unlink()
    link.symlink_to(secret)
    outputs = tmp_path / "outputs"
    code, out, err = run_cli("build", "--params", params, "--outputs", outputs, "--agency", TOWN, "--year", "2023")
    assert code == 1
    assert SECRET[:10] not in out + err
    index_json = (outputs / "index.json").read_text(encoding="utf-8")
    index_html = (outputs / "index.html").read_text(encoding="utf-8")
    assert SECRET[:10] not in index_json and SECRET[:10] not in index_html
    (entry,) = json.loads(index_json)["reports"]
    assert entry["status"] == "failed"
    assert LINK_OUT in json.dumps(entry, ensure_ascii=False)


@pytest.mark.slow
def test_a_fifo_does_not_block_check_or_build(params: Path, tmp_path: Path) -> None:
    fifo = _year(params, 2022)
    fifo.unlink()
    os.mkfifo(fifo)
    proc = _run(["check", "--params", str(params)], timeout=30)
    assert proc.returncode == 2, proc.stderr
    (line,) = _p0(proc.stderr, fifo)
    assert "不是普通文件" in line and "命名管道" in line
    proc = _run(
        ["build", "--params", str(params), "--outputs", str(tmp_path / "o"), "--agency", TOWN, "--year", "2022"],
        timeout=60,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    (entry,) = json.loads((tmp_path / "o" / "index.json").read_text(encoding="utf-8"))["reports"]
    assert entry["status"] == "failed" and "不是普通文件" in json.dumps(entry, ensure_ascii=False)


def test_a_huge_file_is_refused_before_it_is_read(params: Path, run_cli) -> None:
    path = _year(params)
    with path.open("a", encoding="utf-8") as f:
        f.write(("# " + "很长的注释" * 100 + "\n") * 4000)  # ~6 MB of comments: valid YAML
    code, _, err = run_cli("check", "--params", params)
    assert code == 2
    (line,) = _p0(err, path)
    assert "文件过大" in line and "5 MB" in line


def test_a_folder_named_like_a_data_file_is_named(params: Path, run_cli) -> None:
    folder = params / TOWN / "2025.yaml"
    folder.mkdir()
    code, _, err = run_cli("check", "--params", params)
    assert code == 2
    (line,) = _p0(err, folder)
    assert "不是普通文件（是文件夹）" in line


# --- 2. never more than a short escaped excerpt of a bad value ---------------------------------


@pytest.mark.parametrize(
    "new",
    [
        pytest.param(f'"{ANSI}[2J{ANSI}[31mred": 1\n', id="ansi-key"),
        pytest.param('"\u202egpj.exe": 1\n', id="bidi-override-key"),
        pytest.param(f"? {'k' * 1_000_000}\n: 1\n", id="million-character-key"),
    ],
)
def test_a_bad_value_is_shown_only_as_a_short_escaped_excerpt(new: str, params: Path, run_cli) -> None:
    path = _year(params)
    line_no = _edit(path, "published:", new + "published:")
    code, out, err = run_cli("check", "--params", params, path)
    assert code == 2
    (line,) = _p0(err, path, line_no)
    assert len(line) < 400, line[:400]
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]", out + err)
    code, out, _ = run_cli("check", "--params", params, path, "--format", "json")
    (item,) = json.loads(out)
    assert len(item["message"]) < 400 and len(item["field"]) < 120
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]", item["message"] + item["field"])


def test_a_huge_text_in_a_known_field_is_refused_with_an_excerpt(params: Path, run_cli) -> None:
    path = _year(params)
    lines = "".join(f"    第 {i} 行。\n" for i in range(100_000))
    line_no = _edit(path, "narrative:\n  overview:", "narrative:\n  overview: |\n" + lines + "  overview_old:")
    code, _, err = run_cli("check", "--params", params, path)
    assert code == 2
    (line,) = _p0(err, path, line_no + 1)
    assert "narrative.overview" in line and "文字过长" in line and len(line) < 400


# --- 3. anchors and aliases: the billion laughs ------------------------------------------------


def test_an_alias_bomb_is_refused_under_a_memory_cap(params: Path) -> None:
    path = _year(params)
    bomb = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    bomb += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    line_no = _edit(path, "published:", "\n".join(bomb) + "\npublished:")
    proc = _run(["check", "--params", str(params), str(path)], timeout=20, memory=1 << 30)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    lines = _p0(proc.stderr, path)
    assert lines and f"{path}:{line_no}: " in lines[0]
    assert all("数据文件中不允许使用 YAML 锚点和别名（& 和 *）" in ln for ln in lines)
    assert len(lines) <= 5  # a few lines named, not one per alias


def test_a_single_anchor_is_refused_too(params: Path, run_cli) -> None:
    path = _year(params)
    line_no = _edit(path, "    new:  #", "    new: &new  #")
    code, _, err = run_cli("check", "--params", params, path)
    assert code == 2
    (line,) = _p0(err, path, line_no)
    assert "锚点和别名" in line


# --- 4. a key written twice --------------------------------------------------------------------


def test_a_key_written_twice_names_both_lines(params: Path, run_cli) -> None:
    path = _year(params)
    first = _edit(
        path, "      decisions: 1  # 本年处理决定数量\n", "      decisions: 1\n      natural: 0\n      decisions: 7\n"
    )
    code, _, err = run_cli("check", "--params", params, path)
    assert code == 2
    (line,) = _p0(err, path, first + 2)
    assert f"键“decisions”重复出现（第 {first} 行与第 {first + 2} 行）" in line


def test_a_top_level_key_written_twice_is_not_silently_dropped(params: Path, run_cli) -> None:
    path = _year(params)
    line_no = _edit(path, "published: 2024-01-24\n", "published: 2024-01-24\nillustrative: 甲\nillustrative: 乙\n")
    code, _, err = run_cli("check", "--params", params, path)
    assert code == 2
    assert f"键“illustrative”重复出现（第 {line_no + 1} 行与第 {line_no + 2} 行）" in err


# --- 5. numbers and dates that are no values ---------------------------------------------------

T2_FEES = "      amount: 8.91  # 本年收费金额（单位：万元）"
T2_LICENSING = "      decisions: 1  # 本年处理决定数量"
FEES_LABEL = "表二 行政事业性收费 / 本年收费金额（单位：万元）"
LICENSING_LABEL = "表二 行政许可 / 本年处理决定数量"


@pytest.mark.parametrize(
    ("old", "new", "field", "label", "message"),
    [
        (
            T2_LICENSING,
            "      decisions: " + "9" * 5000,
            "tables.t2.licensing.decisions",
            LICENSING_LABEL,
            "共 5000 位",
        ),
        (
            T2_LICENSING,
            "      decisions: 1234567890123456",
            "tables.t2.licensing.decisions",
            LICENSING_LABEL,
            "最多 15 位",
        ),
        (T2_FEES, "      amount: 1.0e+999999999", "tables.t2.fees.amount", FEES_LABEL, "数值过大"),
        (T2_FEES, "      amount: 0.0000000000000000001", "tables.t2.fees.amount", FEES_LABEL, "小数位过多"),
        (T2_FEES, "      amount: .inf", "tables.t2.fees.amount", FEES_LABEL, "无穷大"),
        (T2_FEES, "      amount: -.INF", "tables.t2.fees.amount", FEES_LABEL, "无穷大"),
        (T2_FEES, "      amount: .nan", "tables.t2.fees.amount", FEES_LABEL, "不是数（NaN）"),
        (T2_FEES, "      amount: 1:30.5", "tables.t2.fees.amount", FEES_LABEL, "请写成十进制数"),
        (T2_LICENSING, "      decisions: 010", "tables.t2.licensing.decisions", LICENSING_LABEL, "十进制整数"),
        (T2_LICENSING, "      decisions: 0x1F", "tables.t2.licensing.decisions", LICENSING_LABEL, "十进制整数"),
        (T2_LICENSING, "      decisions: 1:30", "tables.t2.licensing.decisions", LICENSING_LABEL, "十进制整数"),
        (
            T2_LICENSING,
            "      decisions: 2024-13-45",
            "tables.t2.licensing.decisions",
            LICENSING_LABEL,
            "不是有效的日期",
        ),
        ("published: 2024-01-24", "published: 2024-13-45", "published", "", "月份应为 1–12"),
        ("published: 2024-01-24", "published: 2023-02-29", "published", "", "这个月没有这一天"),
        ("published: 2024-01-24", "published: 2024-01-24 25:00:00", "published", "", "不是有效的日期"),
        ("  proactive_items: 52", "  proactive_items: " + "5" * 4400, "facts.proactive_items", "", "共 4400 位"),
        ("  proactive_items: 52", "  proactive_items: 52\n  other:\n    x: .nan", "facts.other.x", "", "NaN"),
    ],
    ids=[
        "5000-digits",
        "16-digits",
        "huge-exponent",
        "tiny-fraction",
        "inf",
        "minus-inf",
        "nan",
        "sexagesimal-float",
        "octal",
        "hex",
        "sexagesimal-int",
        "date-in-a-count",
        "month-13",
        "february-29",
        "hour-25",
        "4400-digits-fact",
        "nan-fact",
    ],
)
def test_a_number_or_date_that_is_no_value_is_named_at_its_cell(
    old: str, new: str, field: str, label: str, message: str, params: Path, run_cli
) -> None:
    path = _year(params)
    line_no = _edit(path, old, new) + new.count("\n")
    code, _, err = run_cli("check", "--params", params, path)
    assert code == 2, err
    (line,) = _p0(err, path, line_no)
    assert f" P0 {field}（{label}）：" in line if label else f" P0 {field}：" in line
    assert message in line and len(line) < 400


def test_count_cells_of_absurd_magnitude_are_not_carried_into_the_report(params: Path, run_cli) -> None:
    path = _year(params)
    _edit(path, "      natural: 3  # 自然人", "      natural: 12345678901234567890  # 自然人")
    code, _, err = run_cli("check", "--params", params, path)
    assert code == 2  # before: exit 1 with findings that carried the 20-digit figure through the sums
    assert "数字位数过多（共 20 位，最多 15 位）" in err
    assert "I1" not in err and "12345678901234567890" not in err.replace("'12345678901234567890'", "")


# --- 6. bytes that are no UTF-8 ----------------------------------------------------------------


def test_a_byte_that_is_no_utf8_is_named_by_line_and_column(params: Path, run_cli) -> None:
    path = _year(params)
    data = path.read_bytes()
    start = data.index(b"illustrative: ")
    line_no = data.count(b"\n", 0, start) + 1
    path.write_bytes(data.replace("虚构机关".encode(), "虚构机关".encode("gbk"), 1))
    code, _, err = run_cli("check", "--params", params, path)
    assert code == 2
    (line,) = _p0(err, path, line_no)
    assert f"第 {line_no} 行第 15 列" in line


def test_a_file_saved_as_gbk_is_named_as_such(params: Path, run_cli) -> None:
    path = _year(params)
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    code, _, err = run_cli("check", "--params", params, path)
    assert code == 2
    (line,) = _p0(err, path, 1)
    assert "第 1 行第" in line and "GBK" in line


# --- 7. more hostile files ---------------------------------------------------------------------


def test_a_utf8_bom_is_accepted(params: Path, run_cli) -> None:
    """Notepad on Windows writes one: the file is read as if it were not there (a regression guard)."""
    path = _year(params)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    code, _, err = run_cli("check", "--params", params, path)
    assert code == 0, err


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(T2_FEES, "      amount: !!python/object/apply:os.system [ls]", "YAML 标签", id="python-tag"),
        pytest.param(T2_FEES, "      amount: !!binary aGVsbG8=", "YAML 标签", id="binary-tag"),
        pytest.param(T2_FEES, "      amount: !money 8.91", "YAML 标签", id="custom-tag"),
        pytest.param(T2_FEES, "      amount: !!float 8.91", "YAML 标签", id="core-tag"),
        pytest.param(T2_FEES, "      !!str amount: 8.91", "YAML 标签", id="tag-on-a-key"),
        pytest.param("published:", "1: 2\npublished:", "键 '1' 会被 YAML 读作整数", id="int-key"),
        pytest.param("published:", "null: x\npublished:", "读作空值", id="null-key"),
        pytest.param("published:", "true: x\npublished:", "读作是/否值", id="bool-key"),
        pytest.param("published:", "? {a: 1}\n: x\npublished:", "键不能是映射或列表", id="mapping-key"),
        pytest.param("published:", "? [a, b]\n: x\npublished:", "键不能是映射或列表", id="list-key"),
        pytest.param("published:", "<<: {year: 2023}\npublished:", "合并键", id="merge-key"),
        pytest.param("published:", "x: " + "[" * 990 + "]" * 990 + "\npublished:", "未知的字段", id="deep-nesting"),
        pytest.param(
            "published:", "x: " + "{a: " * 990 + "1" + "}" * 990 + "\npublished:", "未知的字段", id="deep-maps"
        ),
        pytest.param("tables:\n", "tables: [t2, t3, t4]\nold_tables:\n", "tables：应为映射", id="tables-as-a-list"),
        pytest.param("published: 2024-01-24", "published: 2024-01-24\x00", "U+0000", id="nul-byte"),
        pytest.param("published: 2024-01-24", "published: 2024-01-24\x1b[31m", "U+001B", id="raw-escape-byte"),
    ],
)
def test_more_hostile_files_are_clear_p0s(old: str, new: str, message: str, params: Path, run_cli) -> None:
    path = _year(params)
    line_no = _edit(path, old, new)
    before = tree_digest(params)
    code, out, err = run_cli("check", "--params", params, path)
    assert code == 2, err
    lines = _p0(err, path)
    named = [ln for ln in lines if message in ln]
    assert named, err[-2000:]
    where = named[0].removeprefix(f"{path}:").split(":")[0]
    assert where.isdigit() and abs(int(where) - line_no) <= 1, named[0]
    assert all(len(ln) < 400 for ln in lines) and ANSI not in out + err
    assert tree_digest(params) == before


def test_a_nul_byte_is_named_by_line_and_column(params: Path, run_cli) -> None:
    path = _year(params)
    line_no = _edit(path, "published: 2024-01-24", "published: 2024-01\x00-24")
    code, _, err = run_cli("check", "--params", params, path)
    assert code == 2
    (line,) = _p0(err, path, line_no)
    assert f"第 {line_no} 行第 19 列" in line and "U+0000" in line


def test_agency_yaml_gets_the_same_reader(params: Path, run_cli) -> None:
    path = params / TOWN / "agency.yaml"
    _edit(path, "level:", "name: 第二个名字\nlevel:")
    code, _, err = run_cli("check", "--params", params)
    assert code == 2
    assert "键“name”重复出现" in err


def test_millions_of_tiny_values_are_refused_under_a_memory_cap(params: Path) -> None:
    path = _year(params)
    with path.open("a", encoding="utf-8") as f:
        f.write("x: [" + "1," * 2_300_000 + "1]\n")  # 4.6 MB: under the size bound, millions of nodes
    proc = _run(["check", "--params", str(params), str(path)], timeout=30, memory=1 << 30)
    assert proc.returncode == 2, proc.stderr[-2000:]
    (line,) = _p0(proc.stderr, path)
    assert "键和值太多" in line


def test_thousands_of_problems_in_one_file_are_counted_not_all_listed(params: Path, run_cli) -> None:
    path = _year(params)
    with path.open("a", encoding="utf-8") as f:
        f.write("".join(f"unknown_{i}: {i}\n" for i in range(5000)))
    code, _, err = run_cli("check", "--params", params, path)
    assert code == 2
    lines = _p0(err, path)
    assert 50 <= len(lines) <= 101
    assert "还有 4900 处问题未列出" in lines[-1]
