"""Build many reports: plan by content key, render what changed in parallel, write atomically.

One task is a pure function of its parameters (:func:`run_task`): it carries the validated data
in and the report's bytes out, so the very same function runs in the local process pool (the
default, no server) or on a Dask cluster (``scheduler``), and the client alone writes
``outputs/``. Nothing here prints or exits; progress goes to a callback.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import gc
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import filelock

import xxgk
from xxgk import model, plan, rules
from xxgk.plan import Target
from xxgk.publish import TMP_PREFIX, publish

MANIFEST = "manifest.json"
ARTIFACTS = ("report.ipynb", "report.html", "report.pdf")
LOCK = ".xxgk-build.lock"


class BuildError(Exception):
    """The build as a whole cannot run (lock held, scheduler unreachable, bad selection)."""


@dataclass
class Options:
    params: Path = Path("params")
    outputs: Path = Path("outputs")
    template: Path = Path("notebooks/annual_report.ipynb")
    agencies: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    jobs: int = os.cpu_count() or 1
    scheduler: str | None = None
    force: bool = False
    allow_invalid: bool = False
    timeout: float = 180.0
    lock_timeout: float = 60.0
    warm_kernels: bool = True

    def render_options(self) -> dict[str, Any]:
        """The options that shape a report's bytes (and so its key)."""
        return {"allow_invalid": self.allow_invalid}


@dataclass
class Result:
    """What happened to one report: the line a cron log gets."""

    agency: str
    year: int
    status: str  # built | skipped | failed | invalid
    seconds: float = 0.0
    errors: int = 0
    warnings: int = 0
    messages: list[str] = field(default_factory=list)
    key: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    built_at: str | None = None

    def line(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "year": self.year,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "errors": self.errors,
            "warnings": self.warnings,
            "messages": self.messages,
        }


@dataclass
class Summary:
    results: list[Result]
    seconds: float

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing published carries errors (a fresh report rendered with
        --allow-invalid is still invalid on every later run)."""
        return not (self.count("failed") or self.count("invalid") or any(r.errors for r in self.results))


# --- the task, wherever it runs -----------------------------------------------------------------


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """Render one report from its parameters; never raises, so any executor can carry the result."""
    import nbformat

    from xxgk import kernels, render

    started = time.perf_counter()
    marker = Path(task["running"]) if task.get("running") else None
    if marker:  # tells the pool which reports were running if this worker dies
        marker.touch()
    kernel = kernels.for_this_thread() if task.get("warm", True) else None
    try:
        km = kernel.get() if kernel else None
        template = nbformat.reads(task["template"], as_version=4)
        art = render.build_artifacts(task["parameters"], timeout=task["timeout"], kernel_manager=km, template=template)
    except Exception as e:  # the report failed, not the worker: say why and move on
        if kernel:
            kernel.discard()
        return {"name": task["name"], "error": f"{type(e).__name__}: {e}", "seconds": time.perf_counter() - started}
    finally:
        if marker:
            marker.unlink(missing_ok=True)
        _return_memory()
    return {
        "name": task["name"],
        "files": {"report.ipynb": art.ipynb, "report.html": art.html, "report.pdf": art.pdf},
        "timings": dict(art.timings),
        "seconds": time.perf_counter() - started,
    }


def _return_memory() -> None:
    """Give freed memory back to the system between reports.

    WeasyPrint and nbconvert leave a fragmented heap that glibc keeps: a worker grew from 260 to
    380 MB over six reports, and falls to 140 MB once trimmed (measured, bench/bench_build.py).
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# --- executors ------------------------------------------------------------------------------------


def _inline(tasks: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """In this process: for one report, a pool would only add its start-up time."""
    from xxgk import kernels

    try:
        for t in tasks:
            yield t, run_task(t)
    finally:
        kernels.shutdown_all()  # this process goes on living: keep no kernel past the build


def kill_workers(pids: Iterable[int], timeout: float = 3.0) -> None:
    """Stop these pool workers and everything they started (their kernels): nothing is left behind.

    Only the pool's own processes: a caller that uses ``build`` as a library may have children of
    its own. A worker leaves through SIGTERM's handler (:func:`_worker_init`), shutting its kernel.
    """
    import psutil

    children: list[psutil.Process] = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            worker = psutil.Process(pid)
            children += [worker, *worker.children(recursive=True)]
    for c in children:
        with contextlib.suppress(psutil.Error):
            c.terminate()
    _, alive = psutil.wait_procs(children, timeout=timeout)
    for c in alive:
        with contextlib.suppress(psutil.Error):
            c.kill()


def _worker_init() -> None:
    """In a pool worker: SIGTERM (from the pool, or from :func:`kill_workers`) shuts the warm kernel
    down and its socket folder with it, then leaves at once. Raising SystemExit instead would be
    caught by the pool's task loop, and the worker would wait for work that never comes."""
    import signal

    def stop(signum: int, frame: object) -> None:
        from xxgk import kernels

        with contextlib.suppress(BaseException):
            kernels.shutdown_all()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the client's to handle


def _local(tasks: list[dict[str, Any]], jobs: int) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """A process pool. When a worker dies the pool breaks and every queued report with it: the
    reports that were running (each leaves a marker file while it runs) get one more try, the
    others go on in a new pool without losing theirs, so one report that kills its worker twice
    fails alone."""
    import multiprocessing
    import tempfile

    markers = Path(tempfile.mkdtemp(prefix="xxgk-running-"))
    pending = [{**t, "running": str(markers / plan.sha256(t["name"].encode()))} for t in tasks]
    try:
        yield from _pool_rounds(pending, jobs, multiprocessing.get_context("forkserver"))
    finally:
        shutil.rmtree(markers, ignore_errors=True)


def _pool_rounds(pending: list[dict[str, Any]], jobs: int, ctx: Any) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Rounds of pools until every report has a result. Reports that were running when a worker
    died are retried first, one at a time, so the one that kills its worker is found exactly."""
    tries: dict[str, int] = {}
    while pending:
        suspects = [t for t in pending if tries.get(t["name"])]
        batch, width = (suspects, 1) if suspects else (pending, jobs)
        pending = [t for t in pending if t not in batch]
        pool = ProcessPoolExecutor(max_workers=max(1, min(width, len(batch))), mp_context=ctx, initializer=_worker_init)
        futures: dict[Future[dict[str, Any]], dict[str, Any]] = {pool.submit(run_task, t): t for t in batch}
        try:
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    task = futures.pop(fut)
                    try:
                        yield task, fut.result()
                    except BrokenProcessPool:
                        running = Path(task["running"])
                        if running.exists():
                            running.unlink()
                            tries[task["name"]] = tries.get(task["name"], 0) + 1
                        if tries.get(task["name"], 0) > 1:
                            yield task, {"name": task["name"], "error": "工作进程意外退出（已单独重试一次）"}
                        else:
                            pending.append(task)
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM, the consumer gave up): no report is half-written,
            # since only the client writes; stop the workers and their kernels now.
            pids = list(getattr(pool, "_processes", {}) or {})
            pool.shutdown(wait=False, cancel_futures=True)
            kill_workers(pids)
            raise
        pool.shutdown(wait=True)


def _dask(tasks: list[dict[str, Any]], address: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """The same task function on a Dask cluster; Dask reschedules a lost worker's tasks itself."""
    from distributed import Client, as_completed

    try:
        client = Client(address, timeout="20s")
    except (OSError, ValueError, TimeoutError) as e:
        raise BuildError(f"无法连接 Dask 调度器 {address}：{e}") from None
    with client:
        by_key = {f"xxgk-{t['name'].replace('/', '-')}-{t['key'][:16]}": t for t in tasks}
        futures = client.map(run_task, list(by_key.values()), key=list(by_key), pure=False, retries=1)
        for fut in as_completed(futures):
            task = by_key[fut.key]
            if fut.status == "finished":
                yield task, fut.result()
            else:
                yield task, {"name": task["name"], "error": f"Dask：{fut.exception()!r}"}


# --- planning against what is on disk -------------------------------------------------------------


def out_dir(outputs: Path, target: Target) -> Path:
    return outputs / target.agency / str(target.year)


def read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if all((path / a).is_file() for a in ARTIFACTS) else None


def _previous_index(outputs: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((outputs / "index.json").read_text(encoding="utf-8"))
        return {f"{r['agency']}/{r['year']}": r for r in data["reports"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _clean_temporaries(outputs: Path) -> None:
    """Remove half-built folders an interrupted build left (never a published report)."""
    if outputs.is_dir():
        for p in outputs.rglob(f"{TMP_PREFIX}*"):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def _tasks(stale: list[Target], opts: Options) -> tuple[list[dict[str, Any]], list[Result]]:
    """Load and check the bodies of stale targets; make tasks of those that may be rendered."""
    tree = model.load_tree(opts.params, {t.agency for t in stale})
    by_file: dict[str, list[model.Problem]] = {}
    for p in tree.problems:
        by_file.setdefault(str(Path(p.file).resolve()), []).append(p)
    years = tree.by_agency()
    findings_of: dict[str, list[dict[str, Any]]] = {}
    for agency_years in years.values():
        for f in rules.check_agency(agency_years):
            # The report records its findings: name the file as it stands in params/, never by
            # a machine path (same inputs, same bytes, whichever checkout builds them).
            entry = {**f.to_dict(), "file": f"{f.agency}/{f.year}.yaml"}
            findings_of.setdefault(f"{f.agency}/{f.year}", []).append(entry)
    tasks, early = [], []
    template = opts.template.read_text(encoding="utf-8")
    for t in stale:
        own = years.get(t.agency, [])
        ay = next((a for a in own if a.year == t.year), None)
        found = findings_of.get(t.name, [])
        n_err = sum(f["severity"] == "error" for f in found)
        base = Result(t.agency, t.year, "failed", key=t.key, errors=n_err, warnings=len(found) - n_err, findings=found)
        if ay is None:
            problems = by_file.get(str(t.data.resolve()), []) + by_file.get(
                str((t.data.parent / "agency.yaml").resolve()), []
            )
            base.messages = [str(p) for p in problems] or ["数据无法读取"]
            base.errors = len(problems)
            early.append(base)
            continue
        unreadable = [p for h in t.history for p in by_file.get(str(h.resolve()), [])]
        if unreadable:
            # Its trends and cross-year checks would silently lack that year: say so, build nothing.
            base.messages = ["上一年度的数据无法读取，本报告的趋势和跨年度检查将不完整：", *map(str, unreadable)]
            early.append(base)
            continue
        if n_err and not opts.allow_invalid:
            base.status = "invalid"
            base.messages = [f["message"] for f in found if f["severity"] == "error"]
            early.append(base)
            continue
        history = [a for a in own if a.year < t.year]
        tasks.append(
            {
                "name": t.name,
                "key": t.key,
                "timeout": opts.timeout,
                "warm": opts.warm_kernels,
                "template": template,
                "parameters": {
                    "agency_year": model.to_dict(ay),
                    "history": [model.to_dict(a) for a in history],
                    "findings": found,
                    "options": opts.render_options(),
                },
            }
        )
    return tasks, early


def _manifest(target: Target, result: Result, files: dict[str, bytes], task_options: dict[str, Any]) -> dict[str, Any]:
    return {
        "agency": target.agency,
        "year": target.year,
        "key": target.key,
        "inputs": target.inputs,
        "versions": {"xxgk": xxgk.__version__, **plan.library_versions()},
        "files": {name: plan.sha256(data) for name, data in sorted(files.items())},
        "timings": result.timings,
        "seconds": round(result.seconds, 3),
        "findings": result.findings,
        "options": task_options,
        "built_at": result.built_at,
    }


def _write(target: Target, result: Result, files: dict[str, bytes], opts: Options) -> None:
    """Build the report folder beside its place, then swap it in whole."""
    manifest = _manifest(target, result, files, opts.render_options())
    publish({**files, MANIFEST: _json_bytes(manifest)}, out_dir(opts.outputs, target))


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


# --- the build --------------------------------------------------------------------------------------


def _check_inputs(opts: Options) -> None:
    """Refuse a build that cannot start before anything (outputs/, a lock) is created."""
    if not opts.params.is_dir():
        raise BuildError(f"数据目录不存在：{opts.params}")
    if not opts.template.is_file():
        raise BuildError(f"找不到报告模板：{opts.template}")


@contextlib.contextmanager
def locked(outputs: Path, timeout: float) -> Iterator[None]:
    """One build at a time per outputs/: a second one waits, then gives up with a clear message."""
    outputs.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(outputs / LOCK))
    try:
        lock.acquire(timeout=timeout)
    except filelock.Timeout:
        raise BuildError(f"另一个构建正在使用 {outputs}（等待 {timeout:g} 秒后放弃）：请稍后再试") from None
    try:
        yield
    finally:
        lock.release()


def build(
    opts: Options,
    on_result: Callable[[Result], None] = lambda r: None,
    on_plan: Callable[[int, int], None] = lambda n, m: None,
) -> Summary:
    """Build every selected report that is not fresh; return what happened to each."""
    started = time.perf_counter()
    _check_inputs(opts)
    with locked(opts.outputs, opts.lock_timeout):
        _clean_temporaries(opts.outputs)
        targets = plan.targets(
            opts.params, opts.template, opts.render_options(), opts.agencies or None, opts.years or None
        )
        if not targets:
            raise BuildError(f"{opts.params} 中没有符合条件的年度数据")
        previous = _previous_index(opts.outputs)
        results: dict[str, Result] = {}
        if not opts.agencies:
            for d in plan.misnamed(opts.params):
                # A stray folder fails the run (exit 1) but not the other reports of the night.
                msg = f"{d}：文件夹名不是合法的机关标识（小写字母、数字和连字符），其中的数据未生成报告"
                r = Result(d.name, 0, "failed", messages=[msg])
                results[f"{d.name}/0"] = r
                on_result(r)
        stale: list[Target] = []
        for t in targets:
            manifest = read_manifest(out_dir(opts.outputs, t))
            before = previous.get(t.name)
            if not opts.force and manifest and manifest.get("key") == t.key:
                found = manifest.get("findings", [])
                n_err = sum(f["severity"] == "error" for f in found)
                r = Result(
                    t.agency,
                    t.year,
                    "skipped",
                    key=t.key,
                    errors=n_err,
                    warnings=len(found) - n_err,
                    findings=found,
                    built_at=manifest.get("built_at"),
                )
                results[t.name] = r
                on_result(r)
            elif not opts.force and before and before.get("key") == t.key and before.get("status") == "invalid":
                r = Result(
                    t.agency,
                    t.year,
                    "invalid",
                    key=t.key,
                    errors=before.get("errors", 0),
                    warnings=before.get("warnings", 0),
                    messages=before.get("messages", []),
                    findings=before.get("findings", []),
                )
                results[t.name] = r
                on_result(r)
            else:
                stale.append(t)
        on_plan(len(targets), len(stale))
        by_name = {t.name: t for t in stale}
        try:
            if stale:
                tasks, early = _tasks(stale, opts)
                for r in early:
                    results[f"{r.agency}/{r.year}"] = r
                    on_result(r)
                runs: Iterable[tuple[dict[str, Any], dict[str, Any]]]
                if not tasks:
                    runs = ()
                elif opts.scheduler:
                    runs = _dask(tasks, opts.scheduler)
                elif len(tasks) == 1 or opts.jobs <= 1:
                    runs = _inline(tasks)
                else:
                    runs = _local(tasks, opts.jobs)
                for task, out in runs:
                    target = by_name[task["name"]]
                    found = task["parameters"]["findings"]
                    n_err = sum(f["severity"] == "error" for f in found)
                    r = Result(
                        target.agency,
                        target.year,
                        "built",
                        seconds=out.get("seconds", 0.0),
                        key=target.key,
                        errors=n_err,
                        warnings=len(found) - n_err,
                        findings=found,
                    )
                    if "error" in out:
                        r.status, r.messages = "failed", [out["error"]]
                    else:
                        r.timings = out["timings"]
                        r.built_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                        try:
                            _write(target, r, out["files"], opts)
                        except OSError as e:  # a full disk fails this report, not the whole night
                            r.status, r.messages, r.built_at = "failed", [f"写入失败：{e}"], None
                            results[task["name"]] = r
                            on_result(r)
                            continue
                        if n_err:
                            r.status = "invalid"
                            r.messages = [f["message"] for f in found if f["severity"] == "error"]
                    results[task["name"]] = r
                    on_result(r)
        finally:
            from xxgk import index

            ordered = [results[t.name] for t in targets if t.name in results]
            index.write(opts.outputs, _index_entries(opts, ordered, previous))
    stray = [r for r in results.values() if r.year == 0]
    return Summary(stray + [results[t.name] for t in targets if t.name in results], time.perf_counter() - started)


def _index_entries(opts: Options, results: list[Result], previous: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per agency-year that has data in params/: this build's result if it has one, else
    what the last build recorded, else what the published manifest says. Data that is gone leaves
    the index; files on disk from an older version of the data are marked as such, not passed off
    as the current report."""
    current = {f"{r.agency}/{r.year}": r for r in results}
    entries: dict[str, dict[str, Any]] = {}
    for agency, year in _data_names(opts.params):
        name, d = f"{agency}/{year}", opts.outputs / agency / str(year)
        manifest = read_manifest(d)
        if name in current:
            r = current[name]
            entry = asdict(r)
            if r.status == "skipped":
                entry["status"] = "invalid" if r.errors else "built"
                entry["fresh"] = True
        elif name in previous:
            entry = dict(previous[name])
        elif manifest:
            found = manifest.get("findings", [])
            n_err = sum(f["severity"] == "error" for f in found)
            entry = asdict(
                Result(
                    agency,
                    year,
                    "invalid" if n_err else "built",
                    key=manifest.get("key", ""),
                    errors=n_err,
                    warnings=len(found) - n_err,
                    findings=found,
                    built_at=manifest.get("built_at"),
                )
            )
        else:
            continue
        entry["files"] = {a: f"{name}/{a}" for a in ARTIFACTS if (d / a).is_file()}
        entry["stale"] = bool(entry["files"]) and (manifest is None or manifest.get("key") != entry.get("key"))
        entry["published_at"] = manifest.get("built_at") if manifest else None
        entries[name] = entry
    names = _agency_names(opts.params, {e["agency"] for e in entries.values()})
    for e in entries.values():
        e["agency_name"] = names.get(e["agency"], e.get("agency_name", e["agency"]))
    return [entries[k] for k in sorted(entries)]


def _data_names(params: Path) -> list[tuple[str, int]]:
    out = []
    for d in model.agency_dirs(params):
        if model.AGENCY_ID.fullmatch(d.name):
            out += [(d.name, int(m.group(1))) for p in d.glob("*.yaml") if (m := model.YEAR_FILE.fullmatch(p.name))]
    return sorted(out)


def _agency_names(params: Path, agencies: set[str]) -> dict[str, str]:
    out = {}
    for a in agencies:
        try:
            out[a] = model.read_agency(params / a).name
        except (model.InputError, OSError):
            continue
    return out


@dataclass
class Difference:
    name: str
    files: list[str]
    reason: str = ""


def verify(opts: Options, on_result: Callable[[Result], None] = lambda r: None) -> tuple[int, list[Difference]]:
    """Rebuild the published reports of the selection elsewhere and compare them byte for byte.

    Each report is rebuilt with the render options its manifest records, into a temporary folder,
    so ``outputs/`` is only read, under the build lock (a build half-way through would look like a
    difference). Returns how many reports were compared and those that differ.
    """
    _check_inputs(opts)
    with locked(opts.outputs, opts.lock_timeout):
        return _verify(opts, on_result)


def _verify(opts: Options, on_result: Callable[[Result], None]) -> tuple[int, list[Difference]]:
    import tempfile

    targets = plan.targets(opts.params, opts.template, opts.render_options(), opts.agencies or None, opts.years or None)
    if not targets:
        raise BuildError(f"{opts.params} 中没有符合条件的年度数据")
    differences: list[Difference] = []
    groups: dict[str, list[Target]] = {}
    for t in targets:
        manifest = read_manifest(out_dir(opts.outputs, t))
        if manifest is None:
            differences.append(Difference(t.name, [], "没有已发布的报告"))
            continue
        groups.setdefault(json.dumps(manifest.get("options", {}), sort_keys=True), []).append(t)
    compared = 0
    for options_json, group in groups.items():
        options = json.loads(options_json)
        with tempfile.TemporaryDirectory(prefix="xxgk-verify-") as tmp:
            sub = Options(
                params=opts.params,
                outputs=Path(tmp) / "outputs",
                template=opts.template,
                agencies=sorted({t.agency for t in group}),
                years=sorted({t.year for t in group}),
                jobs=opts.jobs,
                scheduler=opts.scheduler,
                force=True,
                allow_invalid=bool(options.get("allow_invalid", False)),
                timeout=opts.timeout,
                warm_kernels=opts.warm_kernels,
            )
            built = {f"{r.agency}/{r.year}": r for r in build(sub, on_result).results}
            for t in group:
                r = built.get(t.name)
                if (
                    r is None
                    or r.status not in ("built", "invalid")
                    or not (out_dir(sub.outputs, t) / ARTIFACTS[0]).exists()
                ):
                    differences.append(Difference(t.name, [], "重新生成失败：" + "；".join(r.messages if r else [])))
                    continue
                compared += 1
                differ = [
                    a
                    for a in ARTIFACTS
                    if (out_dir(sub.outputs, t) / a).read_bytes() != (out_dir(opts.outputs, t) / a).read_bytes()
                ]
                if differ:
                    differences.append(Difference(t.name, differ, "与重新生成的结果不一致"))
    return compared, differences
