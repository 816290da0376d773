"""Build many reports: plan by content key, render what changed in parallel, write atomically.

One task is a pure function of its parameters (:mod:`xxgk.batch.task`), so the very same function
runs in this process, a local process pool or on a Dask cluster (:mod:`xxgk.batch.executors`), and
the client alone writes ``outputs/``. Nothing here prints or exits; progress goes to a callback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import filelock

import xxgk
from xxgk import check
from xxgk.batch import executors, index, lifeline, targets
from xxgk.batch.executors import BuildError
from xxgk.batch.manifest import Manifest
from xxgk.batch.manifest import read as read_manifest
from xxgk.batch.targets import Target
from xxgk.batch.task import Task
from xxgk.data import model
from xxgk.data import tree as data_tree
from xxgk.data.atomic import TMP_PREFIX, check_replaceable, describe, publish
from xxgk.data.diagnostics import Diagnostic, InputError, excerpt
from xxgk.render import outputs, templates

__all__ = ["BuildError", "Options", "Result", "Summary", "build", "locked", "out_dir", "read_manifest"]


@dataclass
class Options:
    params: Path = Path("params")
    outputs: Path = Path("outputs")
    template: Path = field(default_factory=templates.notebook)
    agencies: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    jobs: int = os.cpu_count() or 1
    scheduler: str | None = None
    force: bool = False
    allow_invalid: bool = False
    timeout: float = 180.0
    lock_timeout: float = 60.0
    connect_timeout: float = executors.CONNECT_TIMEOUT
    """Seconds to wait for the Dask scheduler before giving up."""
    warm_kernels: bool = True
    executor: str | None = None
    """``inline``, ``pool`` or ``dask`` (default: chosen from the tasks, ``jobs`` and ``scheduler``)."""

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


def out_dir(outputs_dir: Path, target: Target) -> Path:
    return outputs.report_dir(outputs_dir, target.agency, target.year)


def _previous_index(outputs_dir: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((outputs_dir / outputs.INDEX_JSON).read_text(encoding="utf-8"))
        return {f"{r['agency']}/{r['year']}": r for r in data["reports"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _clean_temporaries(outputs_dir: Path) -> None:
    """Remove half-built folders and half-written files an interrupted build left (never a
    published report): every temporary name starts with ``TMP_PREFIX``."""
    if outputs_dir.is_dir():
        for p in sorted(outputs_dir.rglob(f"{TMP_PREFIX}*")):
            with contextlib.suppress(OSError):
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() and not p.is_symlink() else p.unlink(missing_ok=True)


def _tasks(stale: list[Target], opts: Options) -> tuple[list[Task], list[Result]]:
    """Load and check the bodies of stale targets; make tasks of those that may be rendered."""
    tree = data_tree.load_tree(opts.params, {t.agency for t in stale})
    by_file: dict[str, list[Diagnostic]] = {}
    for p in tree.problems:
        by_file.setdefault(str(Path(p.file).resolve()), []).append(p)
    years = tree.by_agency()
    findings_of: dict[str, list[dict[str, Any]]] = {}
    for agency_years in years.values():
        for f in check.check_agency(agency_years):
            # The report records its findings: name the file as it stands in params/, never by
            # a machine path (same inputs, same bytes, whichever checkout builds them).
            entry = {**f.to_dict(), "file": str(data_tree.year_path(Path(), f.agency, f.year or 0))}
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
                str(data_tree.agency_file(t.data.parent).resolve()), []
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
            Task(
                name=t.name,
                key=t.key,
                template=template,
                parameters={
                    "agency_year": model.to_dict(ay),
                    "history": [model.to_dict(a) for a in history],
                    "findings": found,
                    "options": opts.render_options(),
                },
                timeout=opts.timeout,
                warm=opts.warm_kernels,
            )
        )
    return tasks, early


def plan_tasks(opts: Options) -> tuple[list[Task], list[Result]]:
    """What a build of ``opts``'s selection would render, fresh or not: its tasks, each with the very
    parameters papermill is given, and the reports it refuses. ``xxgk parameters`` writes a task's
    parameters from here, through :func:`_tasks` itself, so they cannot differ from a build's."""
    planned = targets.targets(
        opts.params, opts.template, opts.render_options(), opts.agencies or None, opts.years or None
    )
    return _tasks(planned, opts)


def _publishable(tasks: list[Task], by_name: dict[str, Target], opts: Options) -> tuple[list[Task], list[Result]]:
    """Refuse, before any kernel's time is spent, the reports whose folder could not be replaced
    (read-only, or holding files that cannot be removed): the old report stays, and says why."""
    keep, refused = [], []
    for task in tasks:
        t = by_name[task.name]
        try:
            check_replaceable(out_dir(opts.outputs, t))
        except OSError as e:
            found = task.findings
            n_err = sum(f["severity"] == "error" for f in found)
            msg = f"无法发布，原有报告保持不变：{describe(e)}"
            r = Result(t.agency, t.year, "failed", key=t.key, errors=n_err, warnings=len(found) - n_err)
            r.messages, r.findings = [msg], found
            refused.append(r)
            continue
        keep.append(task)
    return keep, refused


def _manifest(target: Target, result: Result, files: dict[str, bytes], task_options: dict[str, Any]) -> Manifest:
    return Manifest(
        agency=target.agency,
        year=target.year,
        key=target.key,
        inputs=target.inputs,
        versions={"xxgk": xxgk.__version__, **targets.library_versions()},
        files={name: targets.sha256(data) for name, data in sorted(files.items())},
        timings=result.timings,
        seconds=round(result.seconds, 3),
        findings=result.findings,
        options=task_options,
        built_at=result.built_at,
    )


def _write(target: Target, result: Result, files: dict[str, bytes], opts: Options) -> list[str]:
    """Build the report folder beside its place, then swap it in whole; return what of the old
    report could not be removed afterwards (described)."""
    manifest = _manifest(target, result, files, opts.render_options())
    return publish({**files, outputs.MANIFEST: manifest.to_bytes()}, out_dir(opts.outputs, target))


def _check_inputs(opts: Options) -> None:
    """Refuse a build that cannot start before anything (outputs/, a lock) is created."""
    if not opts.params.is_dir():
        raise BuildError(f"数据目录不存在：{opts.params}")
    if not opts.template.is_file():
        raise BuildError(f"找不到报告模板：{opts.template}")
    _check_template(opts.template)


def _check_template(path: Path) -> None:
    """The template is read once per build and sent to every worker: one that is not a notebook
    is the user's input to fix (exit 2), not a traceback nor a failure of every report."""
    import nbformat

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise BuildError(f"无法读取报告模板：{describe(e)}") from None
    except UnicodeDecodeError as e:
        raise BuildError(f"报告模板 {path} 不是 UTF-8 编码的文本（第 {e.start + 1} 个字节）") from None
    try:
        nbformat.reads(text, as_version=4)
    except Exception as e:  # nbformat raises whatever its JSON and schema checks hit
        raise BuildError(f"报告模板 {path} 不是有效的 Jupyter notebook：{excerpt(str(e))}") from None


@contextlib.contextmanager
def locked(outputs_dir: Path, timeout: float) -> Iterator[None]:
    """One build at a time per outputs/: a second one waits, then gives up with a clear message.

    The lock is an ``flock`` on ``outputs/.xxgk-build.lock``: the system drops it when its holder
    dies, so a lock file left by a killed build never blocks the next one. An outputs/ that cannot
    hold the lock (a file, a read-only folder, a full disk) is a BuildError, and nothing is left
    created.
    """
    if outputs_dir.exists() and not outputs_dir.is_dir():
        raise BuildError(f"输出目录 {outputs_dir} 已存在，但不是文件夹：请换一个 --outputs")
    made = _missing_parents(outputs_dir)
    lock = filelock.FileLock(str(outputs_dir / outputs.LOCK))
    try:
        outputs_dir.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=timeout)
    except filelock.Timeout:
        raise BuildError(f"另一个构建正在使用 {outputs_dir}（等待 {timeout:g} 秒后放弃）：请稍后再试") from None
    except OSError as e:
        for d in made:  # only folders this call made, and only while empty
            with contextlib.suppress(OSError):
                d.rmdir()
        raise BuildError(f"无法在输出目录 {outputs_dir} 中创建构建锁：{describe(e)}") from None
    try:
        yield
    finally:
        lock.release()


def _missing_parents(path: Path) -> list[Path]:
    """``path`` and its ancestors that do not exist yet, innermost first."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def build(
    opts: Options,
    on_result: Callable[[Result], None] = lambda r: None,
    on_plan: Callable[[int, int], None] = lambda n, m: None,
) -> Summary:
    """Build every selected report that is not fresh; return what happened to each."""
    started = time.perf_counter()
    _check_inputs(opts)
    lifeline.reap()  # what a killed build left: its workers and kernels, its temporary folders
    with locked(opts.outputs, opts.lock_timeout):
        _clean_temporaries(opts.outputs)
        planned = targets.targets(
            opts.params, opts.template, opts.render_options(), opts.agencies or None, opts.years or None
        )
        if not planned:
            raise BuildError(f"{opts.params} 中没有符合条件的年度数据")
        previous = _previous_index(opts.outputs)
        results: dict[str, Result] = {}
        if not opts.agencies:
            for d in data_tree.misnamed(opts.params):
                # A stray folder fails the run (exit 1) but not the other reports of the night.
                msg = f"{d}：文件夹名不是合法的机关标识（小写字母、数字和连字符），其中的数据未生成报告"
                r = Result(d.name, 0, "failed", messages=[msg])
                results[f"{d.name}/0"] = r
                on_result(r)
        stale: list[Target] = []
        for t in planned:
            manifest = read_manifest(out_dir(opts.outputs, t))
            before = previous.get(t.name)
            if not opts.force and manifest and manifest.key == t.key:
                found = manifest.findings
                n_err = sum(f["severity"] == "error" for f in found)
                r = Result(
                    t.agency,
                    t.year,
                    "skipped",
                    key=t.key,
                    errors=n_err,
                    warnings=len(found) - n_err,
                    findings=found,
                    built_at=manifest.built_at,
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
        on_plan(len(planned), len(stale))
        by_name = {t.name: t for t in stale}
        try:
            if stale:
                tasks, early = _tasks(stale, opts)
                tasks, refused = _publishable(tasks, by_name, opts)
                early += refused
                for r in early:
                    results[f"{r.agency}/{r.year}"] = r
                    on_result(r)
                where = executors.Where(opts.jobs, opts.scheduler, opts.connect_timeout)
                runs = executors.run(tasks, where, opts.executor)
                for task, out in runs:
                    target = by_name[task.name]
                    found = task.findings
                    n_err = sum(f["severity"] == "error" for f in found)
                    r = Result(
                        target.agency,
                        target.year,
                        "built",
                        seconds=out.seconds,
                        key=target.key,
                        errors=n_err,
                        warnings=len(found) - n_err,
                        findings=found,
                    )
                    if out.error is not None:
                        r.status, r.messages = "failed", [out.error]
                    else:
                        r.timings = out.timings
                        r.built_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                        try:
                            left = _write(target, r, out.files, opts)
                        except OSError as e:  # a full disk fails this report, not the whole night
                            msg = f"写入失败，原有报告保持不变：{describe(e)}"
                            r.status, r.messages, r.built_at = "failed", [msg], None
                            results[task.name] = r
                            on_result(r)
                            continue
                        if left:
                            r.messages = [f"新报告已发布，但旧报告未能删除，请手工删除：{m}" for m in left]
                        if n_err:
                            r.status = "invalid"
                            r.messages += [f["message"] for f in found if f["severity"] == "error"]
                    results[task.name] = r
                    on_result(r)
        except BaseException:
            # Interrupted or broken: record what was done, but never hide why it stopped.
            with contextlib.suppress(Exception):
                _write_index(opts, planned, results, previous)
            raise
        _write_index(opts, planned, results, previous)
    stray = [r for r in results.values() if r.year == 0]
    return Summary(stray + [results[t.name] for t in planned if t.name in results], time.perf_counter() - started)


def _write_index(
    opts: Options, planned: list[Target], results: dict[str, Result], previous: dict[str, dict[str, Any]]
) -> None:
    """Both index files, or (a full disk, a size limit) neither: an OSError naming the file."""
    ordered = [results[t.name] for t in planned if t.name in results]
    index.write(opts.outputs, _index_entries(opts, ordered, previous))


def _index_entries(opts: Options, results: list[Result], previous: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per agency-year that has data in params/: this build's result if it has one, else
    what the last build recorded, else what the published manifest says. Data that is gone leaves
    the index; files on disk from an older version of the data are marked as such, not passed off
    as the current report."""
    current = {f"{r.agency}/{r.year}": r for r in results}
    entries: dict[str, dict[str, Any]] = {}
    for agency, year in _data_names(opts.params):
        name, d = outputs.report_name(agency, year), outputs.report_dir(opts.outputs, agency, year)
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
            found = manifest.findings
            n_err = sum(f["severity"] == "error" for f in found)
            entry = asdict(
                Result(
                    agency,
                    year,
                    "invalid" if n_err else "built",
                    key=manifest.key,
                    errors=n_err,
                    warnings=len(found) - n_err,
                    findings=found,
                    built_at=manifest.built_at,
                )
            )
        else:
            continue
        entry["files"] = {a: f"{name}/{a}" for a in outputs.artifacts() if (d / a).is_file()}
        if entry.get("status") == "built" and not entry["files"]:
            # Built, but gone since (outputs/ deleted or moved during or after the build): the
            # index must not offer a report that is not there; the next build makes it again.
            entry["status"] = "failed"
            gone = "报告文件已不存在（生成后被删除或移走），下次构建将重新生成"
            entry["messages"] = [*entry.get("messages", []), gone]
        entry["stale"] = bool(entry["files"]) and (manifest is None or manifest.key != entry.get("key"))
        entry["published_at"] = manifest.built_at if manifest else None
        entries[name] = entry
    names = _agency_names(opts.params, {e["agency"] for e in entries.values()})
    for e in entries.values():
        e["agency_name"] = names.get(e["agency"], e.get("agency_name", e["agency"]))
    return [entries[k] for k in sorted(entries)]


def _data_names(params: Path) -> list[tuple[str, int]]:
    out = []
    for d in data_tree.agency_dirs(params):
        if data_tree.AGENCY_ID.fullmatch(d.name):
            out += [(d.name, year) for year, _ in data_tree.year_files(d)]
    return sorted(out)


def _agency_names(params: Path, agencies: set[str]) -> dict[str, str]:
    out = {}
    for a in agencies:
        try:
            out[a] = data_tree.read_agency(data_tree.agency_dir(params, a)).name
        except (InputError, OSError):
            continue
    return out
