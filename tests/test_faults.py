"""Faults of a scheduled job on a dying machine: killed builds, full disks, read-only folders, dead
schedulers. Each test does what cron or the machine would do, and looks at what a user would find:
processes left running, files left behind, a traceback instead of a message, a report destroyed.

Root ignores permission bits, so a "read-only" file or folder here is one marked immutable
(``chattr +i``), which root cannot write or remove either; as another user, permission bits do.
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import REPO, set_cell, small_params, tree_digest
from xxgk import batch as build
from xxgk.batch import lifeline
from xxgk.data import atomic
from xxgk.render import outputs as layout

TEMPLATE = REPO / "notebooks" / "annual_report.ipynb"
XXGK = Path(sys.executable).parent / "xxgk"
ARTIFACTS = layout.artifacts()


def env_with_tmp(tmp: Path) -> dict[str, str]:
    """The environment of a child xxgk: its own temporary folder (to see what it leaves there)."""
    tmp.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != lifeline.OWNER_ENV}
    env["TMPDIR"] = str(tmp)
    return env


def xxgk(*argv: object, **kw: Any) -> subprocess.CompletedProcess[str]:
    """``xxgk`` as cron runs it: a process of its own (signals, limits and environment are its own)."""
    return subprocess.run([str(XXGK), *map(str, argv)], capture_output=True, text=True, **kw)


def file_size_limit(limit: int) -> Callable[[], None]:
    """``ulimit -f`` for a child: writing past ``limit`` bytes fails with EFBIG (SIGXFSZ ignored,
    as a shell with a file-size limit leaves it to the program to report)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def leftovers(root: Path) -> list[str]:
    """Temporary files and folders under ``root`` (xxgk's, multiprocessing's, jupyter_client's)."""
    names = (".tmp-", "xxgk-", "pymp-")
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.name.startswith(names) or (p.name.startswith("tmp") and p.suffix == ".json") or p.suffix == ".tmp"
    )


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    """Mark a file or folder immutable (``chattr +i``): read-only even for root. Undone afterwards."""
    chattr = shutil.which("chattr")
    probe = tmp_path / ".probe"
    probe.touch()
    if os.geteuid() != 0 or not chattr or subprocess.run([chattr, "+i", probe], capture_output=True).returncode:
        pytest.skip("needs root and chattr +i on this file system (root ignores permission bits)")
    subprocess.run([chattr, "-i", probe], check=True)
    probe.unlink()
    marked: list[Path] = []

    def mark(path: Path) -> None:
        subprocess.run([chattr, "+i", path], check=True)
        marked.append(path)

    yield mark
    for p in reversed(marked):
        subprocess.run([chattr, "-i", p], check=False)


# --- 1. a build killed with SIGKILL -------------------------------------------------------------


@pytest.mark.slow
def test_a_build_killed_with_sigkill_leaves_no_process_and_the_next_build_no_temporaries(tmp_path: Path) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2019, 2020, 2021, 2022, 2023]})
    outputs, tmp = tmp_path / "outputs", tmp_path / "tmp"
    env = env_with_tmp(tmp)
    base = ("--params", params, "--outputs", outputs, "--template", TEMPLATE, "--jobs", "2")
    cmd = [str(XXGK), "build", *map(str, base), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    seen: dict[int, str] = {}
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            for k in psutil.Process(proc.pid).children(recursive=True):
                try:
                    seen[k.pid] = " ".join(k.cmdline())
                except psutil.Error:
                    continue
            if sum("ipykernel" in c for c in seen.values()) >= 2:
                break
            time.sleep(0.05)
        assert sum("ipykernel" in c for c in seen.values()) >= 2, seen
        time.sleep(1.0)  # mid-report
        for k in psutil.Process(proc.pid).children(recursive=True):
            seen.setdefault(k.pid, " ".join(k.cmdline()))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 10
        while time.time() < deadline and any(running(p) for p in seen):
            time.sleep(0.1)
        alive = {p: c[:100] for p, c in seen.items() if running(p)}
        assert not alive, f"still running 10 s after the build was killed: {alive}"
    finally:
        for pid in seen:  # whatever the outcome, this test leaves nothing running
            if running(pid):
                os.kill(pid, signal.SIGKILL)

    # verify after a killed build: what was published compares equal, the rest is named missing
    checked = xxgk("verify", *base, env=env)
    assert checked.returncode in (0, 1) and "Traceback" not in checked.stderr, checked.stderr
    assert "不一致" not in checked.stdout, checked.stdout

    again = xxgk("build", *base, "--json", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert leftovers(tmp) == [] and leftovers(outputs) == []
    for d in outputs.glob("shiqiao-town/*"):
        assert sorted(p.name for p in d.iterdir()) == sorted([*ARTIFACTS, "manifest.json"])


def _dead_marker() -> str:
    """The owner marker of a process that has ended."""
    p = subprocess.Popen(["sleep", "30"])
    mark = lifeline.marker(p.pid)
    p.kill()
    p.wait()
    return mark


@pytest.mark.slow
def test_the_next_build_reaps_what_a_killed_build_left_and_nothing_else(tmp_path: Path) -> None:
    """Even where the system cannot tie a process to its parent: the owner marker in its
    environment proves a process is a dead build's; a process without it, or whose build still
    runs, is never touched. Folders named after a dead process go too, and half-written outputs."""
    params = small_params(tmp_path, {"shiqiao-town": [2020]})
    set_cell(params / "shiqiao-town" / "2020.yaml", "granted", "natural", 99)  # invalid: no kernel needed
    outputs, tmp = tmp_path / "outputs", tmp_path / "tmp"
    env = env_with_tmp(tmp)
    dead = _dead_marker()
    dead_pid = dead.split(":")[0]
    sleeper = [sys.executable, "-c", "import time; time.sleep(120)"]
    orphan = subprocess.Popen(sleeper, env={**env, lifeline.OWNER_ENV: dead})
    owned_alive = subprocess.Popen(sleeper, env={**env, lifeline.OWNER_ENV: lifeline.marker()})
    stranger = subprocess.Popen(sleeper, env=env)
    for name in (f"xxgk-kernel-{dead_pid}-ab12", f"xxgk-running-{dead_pid}-cd34", f"xxgk-mp-{dead_pid}-ef56"):
        (tmp / name).mkdir()
        (tmp / name / "kernel.json").write_text("{}", encoding="utf-8")
    mine = tmp / f"xxgk-kernel-{os.getpid()}-gh78"
    mine.mkdir()
    (outputs / "shiqiao-town" / ".tmp-2020-k1ll3d").mkdir(parents=True)
    (outputs / "shiqiao-town" / ".tmp-2020-k1ll3d" / "report.html").write_text("half", encoding="utf-8")
    (outputs / ".tmp-index.json-abcd.tmp").write_text("{", encoding="utf-8")
    try:
        done = xxgk("build", "--params", params, "--outputs", outputs, "--template", TEMPLATE, env=env, timeout=120)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert orphan.wait(timeout=10) is not None  # reaped
        assert owned_alive.poll() is None and stranger.poll() is None
        assert sorted(p.name for p in tmp.iterdir()) == [mine.name]
        assert leftovers(outputs) == []
    finally:
        for p in (orphan, owned_alive, stranger):
            p.kill()
            p.wait()


@pytest.mark.slow
def test_a_lock_file_left_by_a_killed_build_does_not_block_the_next(tmp_path: Path) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2020]})
    set_cell(params / "shiqiao-town" / "2020.yaml", "granted", "natural", 99)  # invalid: no kernel needed
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import filelock, time\nlock = filelock.FileLock({str(outputs / layout.LOCK)!r})\nlock.acquire()\n"
            "print('held', flush=True)\ntime.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    blocked = xxgk("build", "--params", params, "--outputs", outputs, "--template", TEMPLATE, "--lock-timeout", "0.5")
    assert blocked.returncode == 2 and "另一个构建正在使用" in blocked.stderr
    holder.kill()
    holder.wait()
    assert (outputs / layout.LOCK).exists()  # the stale file stays; its lock died with its holder
    started = time.time()
    done = xxgk("build", "--params", params, "--outputs", outputs, "--template", TEMPLATE, "--lock-timeout", "30")
    assert time.time() - started < 25, "waited for a lock nobody holds"
    assert done.returncode == 1 and "另一个构建正在使用" not in done.stderr, done.stderr
    assert json.loads((outputs / "index.json").read_text(encoding="utf-8"))["reports"][0]["status"] == "invalid"


# --- 2. timeouts --------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_fractional_timeout_runs_out_in_the_cell_that_took_too_long(tmp_path: Path, run_cli) -> None:
    import nbformat

    nb = nbformat.read(TEMPLATE, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("import time\ntime.sleep(60)  # prints nothing"))
    template = tmp_path / "slow.ipynb"
    nbformat.write(nb, template)
    params = small_params(tmp_path, {"shiqiao-town": [2023]})
    outputs = tmp_path / "outputs"
    started = time.time()
    code, _, err = run_cli(
        "render", "shiqiao-town", "2023", "--params", params, "--outputs", outputs, "--template", template,
        "--timeout", "0.5",
    )  # fmt: skip
    assert time.time() - started < 40, "the silent cell ran past its timeout on a warm kernel"
    assert code == 1, err
    assert "CellTimeoutError" in err and "(import time)" in err and "0.5 s" in err, err
    assert not (outputs / "shiqiao-town" / "2023").exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--timeout", "0"),
        ("--timeout", "-3"),
        ("--timeout", "nan"),
        ("--timeout", "inf"),
        ("--timeout", "半分钟"),
        ("--lock-timeout", "-1"),
        ("--connect-timeout", "0"),
    ],
)
def test_a_duration_that_is_not_positive_is_a_usage_error(
    option: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from xxgk import cli

    command = ["render", "shiqiao-town", "2023"] if option == "--timeout" else ["build"]
    with pytest.raises(SystemExit) as exit_:
        cli.main([*command, "--params", str(REPO / "params"), "--outputs", str(tmp_path / "o"), option, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert option in err and "秒数" in err, err
    assert not (tmp_path / "o").exists()


# --- 3. a full disk, a file-size limit ----------------------------------------------------------


@pytest.mark.slow
def test_a_file_size_limit_while_rendering_is_named_and_destroys_nothing(tmp_path: Path, run_cli) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2023]})
    outputs = tmp_path / "outputs"
    args = ("render", "shiqiao-town", "2023", "--params", params, "--outputs", outputs, "--template", TEMPLATE)
    code, _, err = run_cli(*args)
    assert code == 0, err
    before = tree_digest(outputs)
    # No room for any file of the report, nor for the index.
    done = xxgk(*args, env=env_with_tmp(tmp_path / "tmp"), preexec_fn=file_size_limit(1000), timeout=300)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert "文件超过允许的大小" in done.stderr and str(outputs / "index.") in done.stderr, done.stderr
    assert "report.ipynb" in done.stderr  # the report's own failure is told first
    assert tree_digest(outputs) == before  # old report and both old index files intact
    assert leftovers(outputs) == []


def _copy_csv(params: Path, tmp_path: Path, run_cli) -> Path:
    """The tidy CSV of ``params`` with one body under a new id: importing it creates new files."""
    path = tmp_path / "all.csv"
    code, _, err = run_cli("export", "--params", params, "-o", path)
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    for r in rows[1:]:
        r[0] += "-copy"
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def test_a_file_size_limit_while_importing_is_named_and_writes_nothing(tmp_path: Path, run_cli) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2022, 2023]})
    source = _copy_csv(params, tmp_path, run_cli)
    before = tree_digest(params)
    done = xxgk("import", source, "--params", params, preexec_fn=file_size_limit(2000), timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "文件超过允许的大小" in done.stderr and "shiqiao-town-copy" in done.stderr, done.stderr
    assert "未写入任何文件" in done.stderr
    assert tree_digest(params) == before
    assert sorted(p.name for p in params.iterdir()) == ["shiqiao-town"]
    assert not [p for p in params.rglob("*") if p.name.startswith(".")]


def test_an_import_that_cannot_replace_one_file_changes_none(tmp_path: Path, run_cli, immutable) -> None:
    """A rename that fails half-way (an immutable data file) would leave the import half done."""
    params = small_params(tmp_path, {"shiqiao-town": [2022, 2023]})
    path = tmp_path / "all.csv"
    assert run_cli("export", "--params", params, "-o", path)[0] == 0
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    for r in rows[1:]:
        if r[3] == "四":
            r[6] = str(int(r[6]) + 1)  # both years change
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    before = tree_digest(params)
    for year in (2022, 2023):
        immutable(params / "shiqiao-town" / f"{year}.yaml")
        code, _, err = run_cli("import", path, "--params", params)
        assert code == 2 and f"{year}.yaml" in err and "未写入任何文件" in err, err
        assert tree_digest(params) == before
        assert not [p for p in params.rglob("*") if p.name.startswith(".")]
        subprocess.run(["chattr", "-i", params / "shiqiao-town" / f"{year}.yaml"], check=True)


def test_an_interrupted_index_write_leaves_both_index_files_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM (a KeyboardInterrupt in xxgk) between the two renames of the index, or a rename
    that fails: index.json and index.html never disagree, and no temporary file is left."""
    from xxgk.batch import index

    out = tmp_path / "outputs"
    index.write(out, [])
    before = tree_digest(out)
    real = os.replace
    calls = []

    def interrupted(src: Any, dst: Any) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    entry = {"agency": "a", "year": 2023, "status": "failed", "errors": 0, "warnings": 0, "messages": ["x"]}
    entry |= {"files": {}, "findings": [], "agency_name": "a", "stale": False, "published_at": None}
    with pytest.raises(KeyboardInterrupt):
        index.write(out, [entry])
    assert tree_digest(out) == before
    assert leftovers(out) == []


# --- 4. a report folder that cannot be replaced -------------------------------------------------


@pytest.mark.slow
def test_a_report_that_cannot_be_replaced_fails_cleanly_and_says_why(tmp_path: Path, run_cli, immutable) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2023]})
    outputs = tmp_path / "outputs"
    args = ("render", "shiqiao-town", "2023", "--params", params, "--outputs", outputs, "--template", TEMPLATE)
    assert run_cli(*args)[0] == 0
    report = outputs / "shiqiao-town" / "2023"
    before = tree_digest(report)
    for locked in (report / "report.pdf", report):  # a file that cannot go, then the folder itself
        immutable(locked)
        started = time.time()
        code, _, err = run_cli(*args)
        assert code == 1 and "Traceback" not in err, err
        assert str(locked) in err and "原有报告保持不变" in err and "只读" in err, err
        assert time.time() - started < 30, "rendered a report that could not be published"
        assert tree_digest(report) == before
        assert leftovers(outputs) == []


# --- 5. outputs/ that cannot hold the lock ------------------------------------------------------


def test_outputs_that_is_a_file_or_read_only_is_a_usage_error_creating_nothing(
    tmp_path: Path, run_cli, immutable
) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2023]})
    a_file = tmp_path / "outputs.txt"
    a_file.write_text("not a folder\n", encoding="utf-8")
    code, _, err = run_cli("build", "--params", params, "--outputs", a_file, "--template", TEMPLATE)
    assert code == 2 and str(a_file) in err and "不是文件夹" in err, err
    assert a_file.read_text(encoding="utf-8") == "not a folder\n"

    read_only = tmp_path / "ro"
    read_only.mkdir()
    immutable(read_only)
    for outputs in (read_only, read_only / "nested" / "outputs"):
        code, _, err = run_cli("build", "--params", params, "--outputs", outputs, "--template", TEMPLATE)
        assert code == 2 and "无法在输出目录" in err and "只读" in err, err
        assert list(read_only.iterdir()) == []


# --- 6. an unreachable scheduler ----------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_an_unreachable_scheduler_is_named_within_the_connect_timeout(tmp_path: Path, run_cli) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2023]})
    address = f"tcp://127.0.0.1:{_closed_port()}"
    base = ("build", "--params", params, "--outputs", tmp_path / "outputs", "--template", TEMPLATE)
    started = time.time()
    code, _, err = run_cli(*base, "--scheduler", address, "--connect-timeout", "1")
    assert time.time() - started < 10, err
    assert code == 2 and "无法连接 Dask 调度器" in err and address in err, err
    # The default is short too (waiting it out here would only cost the suite five seconds).
    from xxgk import cli

    assert cli.build_parser().parse_args(["build"]).connect_timeout <= 5


# --- 7. OS errors at the top --------------------------------------------------------------------


def test_an_os_error_is_a_message_and_exit_2_not_a_traceback(tmp_path: Path, run_cli, immutable) -> None:
    long_name = tmp_path / ("报" * 200)
    code, _, err = run_cli("check", long_name)
    assert code == 2 and "文件名过长" in err, err
    assert "…" in err  # a 600-byte name is cut short in the message

    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    code, _, err = run_cli("export", "--params", REPO / "params", "-o", a_file / "all.csv")
    assert code == 2 and str(a_file) in err, err

    read_only = tmp_path / "ro"
    read_only.mkdir()
    immutable(read_only)
    code, _, err = run_cli("export", "--params", REPO / "params", "-o", read_only / "all.csv")
    assert code == 2 and "只读" in err and "all.csv" in err, err
    assert list(read_only.iterdir()) == []


def test_a_template_that_is_not_a_notebook_is_a_usage_error(tmp_path: Path, run_cli) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2023]})
    for content, said in ((b"\xff\xfe{}", "不是 UTF-8"), (b'{"cells": 3}', "不是有效的 Jupyter notebook")):
        template = tmp_path / "template.ipynb"
        template.write_bytes(content)
        code, _, err = run_cli("build", "--params", params, "--outputs", tmp_path / "o", "--template", template)
        assert code == 2 and said in err and str(template) in err, err
        assert not (tmp_path / "o").exists()


# --- 8. the outputs folder deleted during a build -----------------------------------------------


@pytest.mark.slow
def test_outputs_deleted_during_a_build_is_rebuilt_and_the_index_claims_no_missing_report(tmp_path: Path) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2020, 2021]})
    outputs = tmp_path / "outputs"
    seen: list[str] = []

    def delete_after_first(r: build.Result) -> None:
        seen.append(r.status)
        if len(seen) == 1:
            shutil.rmtree(outputs)  # an over-eager clean-up job

    options = build.Options(params=params, outputs=outputs, template=TEMPLATE, jobs=1)
    summary = build.build(options, on_result=delete_after_first)
    assert [r.status for r in summary.results] == ["built"] * 2
    entries = json.loads((outputs / "index.json").read_text(encoding="utf-8"))["reports"]
    for e in entries:
        if e["status"] == "built":
            assert e["files"] and all((outputs / f).is_file() for f in e["files"].values()), e
    assert [e["status"] for e in entries].count("failed") == 1  # the one that was deleted says so
    again = build.build(options)  # and the next build makes it again
    assert sorted(r.status for r in again.results) == ["built", "skipped"]
