"""Batch builds as a scheduled job runs them: incremental, parallel, Dask, safe to interrupt."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import filelock
import psutil
import pytest

from tests.conftest import REPO, set_cell, small_params, tree_digest
from xxgk import batch as build
from xxgk.batch import executors
from xxgk.batch.task import Task, TaskResult
from xxgk.data import tree as data_tree
from xxgk.render import outputs as layout

pytestmark = pytest.mark.slow

TEMPLATE = REPO / "notebooks" / "annual_report.ipynb"
ARTIFACTS = layout.artifacts()


def opts(params: Path, outputs: Path, **kw: object) -> build.Options:
    kw.setdefault("template", TEMPLATE)
    kw.setdefault("jobs", 2)
    return build.Options(params=params, outputs=outputs, **kw)  # type: ignore[arg-type]


def report_bytes(outputs: Path) -> dict[str, bytes]:
    return {str(p.relative_to(outputs)): p.read_bytes() for p in sorted(outputs.rglob("report.*"))}


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, build.Summary]:
    """One body over the version switch, built once with the local pool (shared by several tests)."""
    tmp = tmp_path_factory.mktemp("town")
    params = small_params(tmp, {"shiqiao-town": [2020, 2021, 2022], "lanzhou-xinqu-audit": [2020]})
    outputs = tmp / "outputs"
    summary = build.build(opts(params, outputs))
    return params, outputs, summary


def test_first_build_builds_everything_with_manifest_and_index(town) -> None:
    _, outputs, summary = town
    assert [r.status for r in summary.results] == ["built"] * 4, [r.messages for r in summary.results]
    for r in summary.results:
        d = outputs / r.agency / str(r.year)
        assert all((d / a).is_file() for a in ARTIFACTS)
        manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["key"] == r.key and set(manifest["files"]) == set(ARTIFACTS)
        assert {"template", "xxgk", "fonts", "agency.yaml", f"{r.year}.yaml"} <= set(manifest["inputs"])
        assert manifest["timings"] and "versions" in manifest
    index = json.loads((outputs / "index.json").read_text(encoding="utf-8"))
    assert [(e["agency"], e["year"], e["status"]) for e in index["reports"]] == [
        ("lanzhou-xinqu-audit", 2020, "built"),
        ("shiqiao-town", 2020, "built"),
        ("shiqiao-town", 2021, "built"),
        ("shiqiao-town", 2022, "built"),
    ]


def test_index_links_every_report_and_needs_no_network(town) -> None:
    _, outputs, _ = town
    html = (outputs / "index.html").read_text(encoding="utf-8")
    for agency, year in [("lanzhou-xinqu-audit", 2020), ("shiqiao-town", 2021)]:
        for a in ARTIFACTS:
            assert f'href="{agency}/{year}/{a}"' in html
            assert (outputs / agency / str(year) / a).is_file()
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert 'lang="zh"' in html and "石桥镇人民政府" in html


def test_second_build_skips_everything_without_a_kernel(town, monkeypatch: pytest.MonkeyPatch) -> None:
    params, outputs, _ = town
    before = tree_digest(outputs / "shiqiao-town")

    def no_render(task: Task) -> TaskResult:
        raise AssertionError(f"{task.name} was rendered although it is fresh")

    monkeypatch.setattr(executors, "run_task", no_render)
    monkeypatch.setattr(data_tree, "load_tree", lambda *a, **k: pytest.fail("fresh reports need no parsing"))
    summary = build.build(opts(params, outputs))
    assert [r.status for r in summary.results] == ["skipped"] * 4
    assert tree_digest(outputs / "shiqiao-town") == before


def test_changing_one_file_rebuilds_exactly_its_readers(town, tmp_path: Path) -> None:
    # A copy of the town's built tree: the first build is the fixture's, shared.
    params, outputs = tmp_path / "params", tmp_path / "outputs"
    shutil.copytree(town[0], params)
    shutil.copytree(town[1], outputs, symlinks=True)
    path = params / "shiqiao-town" / "2021.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "other: 本年度未收取信息处理费。", "other: 本年度未收取任何信息处理费。"
        ),
        encoding="utf-8",
    )
    summary = build.build(opts(params, outputs))
    status = {(r.agency, r.year): r.status for r in summary.results}
    assert status == {
        ("lanzhou-xinqu-audit", 2020): "skipped",
        ("shiqiao-town", 2020): "skipped",
        ("shiqiao-town", 2021): "built",
        ("shiqiao-town", 2022): "built",  # shows 2021 in its trends and checks X1 against it
    }
    html = (outputs / "shiqiao-town" / "2021" / "report.html").read_text(encoding="utf-8")
    assert "本年度未收取任何信息处理费。" in html


def test_dask_cluster_on_loopback_gives_the_same_bytes(town, tmp_path: Path) -> None:
    from distributed import LocalCluster

    params, local_outputs, _ = town
    outputs = tmp_path / "dask-outputs"
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        summary = build.build(opts(params, outputs, scheduler=cluster.scheduler_address))
    assert [r.status for r in summary.results] == ["built"] * 4
    assert report_bytes(outputs) == report_bytes(local_outputs)


def test_a_reused_kernel_gives_the_same_bytes_as_a_fresh_one(town, tmp_path: Path) -> None:
    """The town's 2021 and 2022 came from kernels that had already made a report; a fresh kernel each agrees."""
    params, warm_outputs, _ = town
    outputs = tmp_path / "fresh"
    chosen = {"agencies": ["shiqiao-town"], "years": [2021, 2022]}
    summary = build.build(opts(params, outputs, warm_kernels=False, jobs=1, **chosen))
    assert {(r.year, r.status) for r in summary.results} == {(2021, "built"), (2022, "built")}
    fresh = report_bytes(outputs)
    assert len(fresh) == 2 * len(ARTIFACTS)
    assert fresh == {k: v for k, v in report_bytes(warm_outputs).items() if k in fresh}
    assert {k.rsplit("/", 1)[0] for k in fresh} == {"shiqiao-town/2021", "shiqiao-town/2022"}


def test_a_failing_report_does_not_stop_the_others(tmp_path: Path) -> None:
    import nbformat

    nb = nbformat.read(TEMPLATE, as_version=4)
    boom = (
        'if agency_year["agency"]["id"] == "shiqiao-town" and agency_year["year"] == 2021:\n'
        '    raise RuntimeError("示例故障")'
    )
    nb.cells.insert(3, nbformat.v4.new_code_cell(boom))
    template = tmp_path / "failing.ipynb"
    nbformat.write(nb, template)
    params = small_params(tmp_path, {"shiqiao-town": [2020, 2021], "lanzhou-xinqu-audit": [2020]})
    outputs = tmp_path / "outputs"
    old = outputs / "shiqiao-town" / "2021"
    old.mkdir(parents=True)
    (old / "report.html").write_text("上一次的报告", encoding="utf-8")
    summary = build.build(opts(params, outputs, template=template))
    status = {(r.agency, r.year): r.status for r in summary.results}
    assert status[("shiqiao-town", 2021)] == "failed"
    assert status[("shiqiao-town", 2020)] == "built" and status[("lanzhou-xinqu-audit", 2020)] == "built"
    failed = next(r for r in summary.results if r.status == "failed")
    assert "示例故障" in " ".join(failed.messages) and "RuntimeError" in " ".join(failed.messages)
    assert (old / "report.html").read_text(encoding="utf-8") == "上一次的报告"
    assert not summary.ok


def test_invalid_data_is_not_rendered_unless_allowed(tmp_path: Path) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2020]})
    set_cell(params / "shiqiao-town" / "2020.yaml", "granted", "natural", 99)
    outputs = tmp_path / "outputs"
    (r,) = build.build(opts(params, outputs)).results
    # One changed cell breaks its row (I1) and its column (I2): one finding names the cell itself.
    assert r.status == "invalid" and r.errors == 1 and "可能有误" in r.messages[0]
    assert not (outputs / "shiqiao-town" / "2020").exists()
    (r,) = build.build(opts(params, outputs)).results  # still invalid, known without rendering
    assert r.status == "invalid"
    (r,) = build.build(opts(params, outputs, allow_invalid=True)).results
    assert r.status == "invalid"  # rendered, with the banner, but still reported as invalid
    html = (outputs / "shiqiao-town" / "2020" / "report.html").read_text(encoding="utf-8")
    assert "I1" in html
    for name in ARTIFACTS:  # the findings travel into the notebook: no machine path with them
        assert str(tmp_path).encode() not in (outputs / "shiqiao-town" / "2020" / name).read_bytes()


def test_lock_stops_a_second_build(tmp_path: Path, run_cli) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2020]})
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    with filelock.FileLock(str(outputs / layout.LOCK)):
        with pytest.raises(build.BuildError, match="另一个构建正在使用"):
            build.build(opts(params, outputs, lock_timeout=0.3))
        code, _, err = run_cli(
            "build", "--params", params, "--outputs", outputs, "--template", TEMPLATE, "--lock-timeout", "0.3"
        )
        assert code == 2 and "另一个构建正在使用" in err


def test_verify_catches_a_hand_edited_output(town, run_cli) -> None:
    params, outputs, _ = town
    args = (
        "verify",
        "--params",
        params,
        "--outputs",
        outputs,
        "--template",
        TEMPLATE,
        "--agency",
        "lanzhou-xinqu-audit",
    )
    code, out, err = run_cli(*args)
    assert code == 0, out + err
    html = outputs / "lanzhou-xinqu-audit" / "2020" / "report.html"
    original = html.read_bytes()
    try:
        html.write_bytes(original.replace("兰州新区审计局".encode(), "兰州新区审计厅".encode(), 1))
        code, out, _ = run_cli(*args)
        assert code == 1
        assert "lanzhou-xinqu-audit/2020" in out and "report.html" in out
    finally:
        html.write_bytes(original)


def _children_pids() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def test_a_killed_worker_does_not_lose_reports(tmp_path: Path) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2020, 2021, 2022], "qingshan-county-education": [2021, 2022]})
    outputs = tmp_path / "outputs"
    killed: list[int] = []

    def kill_a_worker() -> None:
        deadline = time.time() + 60
        while time.time() < deadline and not killed:
            for p in psutil.Process().children(recursive=True):
                try:
                    if "ipykernel" in " ".join(p.cmdline()):
                        worker = p.parent()
                        if worker is not None and worker.pid != os.getpid():
                            worker.kill()
                            killed.append(worker.pid)
                            return
                except psutil.Error:
                    continue
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    summary = build.build(opts(params, outputs))
    killer.join()
    assert killed, "no worker was seen to kill"
    assert [r.status for r in summary.results] == ["built"] * 5, [r.messages for r in summary.results]
    for r in summary.results:
        assert all((outputs / r.agency / str(r.year) / a).is_file() for a in ARTIFACTS)
    time.sleep(1.5)
    left = [" ".join(p.cmdline()) for p in psutil.Process().children(recursive=True) if p.status() != "zombie"]
    # multiprocessing's forkserver and resource tracker live as long as this test process; no
    # pool worker and no kernel may.
    assert not [c for c in left if "forkserver" not in c and "resource_tracker" not in c], left


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2019, 2020, 2021, 2022, 2023, 2024]})
    outputs = tmp_path / "outputs"
    cmd = [
        sys.executable,
        "-m",
        "xxgk.cli",
        "build",
        "--params",
        str(params),
        "--outputs",
        str(outputs),
        "--template",
        str(TEMPLATE),
        "--jobs",
        "2",
        "--json",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: set[int] = set()
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            kids = psutil.Process(proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            break
        seen |= {k.pid for k in kids}
        if any("ipykernel" in " ".join(k.cmdline()) for k in kids if k.is_running()):
            break
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "已中断" in err
    time.sleep(0.5)
    alive = [pid for pid in seen if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert not alive, f"left behind: {alive}"
    assert not list(outputs.rglob(".tmp-*"))
    for d in outputs.glob("shiqiao-town/*"):
        assert sorted(p.name for p in d.iterdir()) == sorted([*ARTIFACTS, "manifest.json"])


def test_a_fresh_report_rendered_despite_errors_still_fails_the_run(tmp_path: Path) -> None:
    params = small_params(tmp_path, {"shiqiao-town": [2020]})
    set_cell(params / "shiqiao-town" / "2020.yaml", "granted", "natural", 99)
    outputs = tmp_path / "outputs"
    first = build.build(opts(params, outputs, allow_invalid=True))
    again = build.build(opts(params, outputs, allow_invalid=True))
    assert [r.status for r in again.results] == ["skipped"]
    assert not first.ok and not again.ok  # cron sees exit 1 every night until the data is fixed


def test_unreadable_files_fail_their_reports_only(tmp_path: Path) -> None:
    params = small_params(
        tmp_path,
        {"shiqiao-town": [2020, 2021, 2022], "lanzhou-xinqu-audit": [2020], "qingshan-county-education": [2021]},
    )
    with open(params / "shiqiao-town" / "2020.yaml", "ab") as f:
        f.write(b"\xff\xfe")  # not UTF-8
    (params / "qingshan-county-education" / "agency.yaml").unlink()
    summary = build.build(opts(params, tmp_path / "outputs"))
    status = {(r.agency, r.year): r for r in summary.results}
    assert status[("lanzhou-xinqu-audit", 2020)].status == "built"
    assert status[("shiqiao-town", 2020)].status == "failed"
    assert "UTF-8" in " ".join(status[("shiqiao-town", 2020)].messages)
    # Later years would silently lose 2020 from their trends and cross-year checks: they say so.
    for year in (2021, 2022):
        r = status[("shiqiao-town", year)]
        assert r.status == "failed" and "上一年度的数据无法读取" in r.messages[0]
    r = status[("qingshan-county-education", 2021)]
    assert r.status == "failed" and "agency.yaml" in " ".join(r.messages)


def test_a_missing_params_folder_is_a_clear_error_that_creates_nothing(tmp_path: Path, run_cli) -> None:
    outputs = tmp_path / "outputs"
    code, _, err = run_cli("build", "--params", tmp_path / "nope", "--outputs", outputs, "--template", TEMPLATE)
    assert code == 2 and "数据目录不存在" in err
    assert not outputs.exists()
    code, _, err = run_cli(
        "build", "--params", REPO / "params", "--outputs", outputs, "--template", TEMPLATE, "--scheduler", "bogus://x:1"
    )
    assert code == 2 and "Dask" in err


def test_the_index_follows_the_data_and_its_files_are_readable(tmp_path: Path) -> None:
    params = small_params(tmp_path, {"lanzhou-xinqu-audit": [2020], "shiqiao-town": [2020]})
    outputs = tmp_path / "outputs"
    build.build(opts(params, outputs))
    (params / "shiqiao-town" / "2020.yaml").unlink()
    (outputs / "index.json").unlink()  # lost: the next build rebuilds it from what is published
    build.build(opts(params, outputs, agencies=["lanzhou-xinqu-audit"]))
    index = json.loads((outputs / "index.json").read_text(encoding="utf-8"))
    assert [(e["agency"], e["year"]) for e in index["reports"]] == [("lanzhou-xinqu-audit", 2020)]
    for name in ("index.json", "index.html"):
        assert (outputs / name).stat().st_mode & 0o044 == 0o044, "others can read what is published"
    assert (outputs / "lanzhou-xinqu-audit" / "2020" / "report.html").stat().st_mode & 0o044 == 0o044


def test_a_report_that_kills_its_worker_fails_alone(tmp_path: Path) -> None:
    import nbformat

    nb = nbformat.read(TEMPLATE, as_version=4)
    poison = (
        'if agency_year["agency"]["id"] == "shiqiao-town" and agency_year["year"] == 2021:\n'
        "    import os, signal\n"
        "    os.kill(os.getppid(), signal.SIGKILL)  # the kernel's parent is the pool worker\n"
    )
    nb.cells.insert(3, nbformat.v4.new_code_cell(poison))
    template = tmp_path / "poison.ipynb"
    nbformat.write(nb, template)
    params = small_params(tmp_path, {"shiqiao-town": [2020, 2021, 2022], "lanzhou-xinqu-audit": [2020]})
    summary = build.build(opts(params, tmp_path / "outputs", template=template))
    status = {(r.agency, r.year): r for r in summary.results}
    assert status[("shiqiao-town", 2021)].status == "failed"
    assert "工作进程意外退出" in status[("shiqiao-town", 2021)].messages[0]
    others = [r.status for k, r in status.items() if k != ("shiqiao-town", 2021)]
    assert others == ["built"] * 3


def test_a_stray_folder_is_named_and_the_rest_is_built(tmp_path: Path) -> None:
    params = small_params(tmp_path, {"lanzhou-xinqu-audit": [2020]})
    (params / "Notes 2024").mkdir()
    (params / "Notes 2024" / "2024.yaml").write_text("x: 1\n", encoding="utf-8")
    summary = build.build(opts(params, tmp_path / "outputs"))
    assert [(r.agency, r.status) for r in summary.results] == [
        ("Notes 2024", "failed"),
        ("lanzhou-xinqu-audit", "built"),
    ]
    assert "不是合法的机关标识" in summary.results[0].messages[0]
    assert not summary.ok
