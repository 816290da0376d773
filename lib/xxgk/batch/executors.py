"""Executors, chosen by name: where the tasks of a build run.

``inline`` runs them in this process (one report: a pool would only add its start-up time);
``pool`` in a local process pool (the default, no server); ``dask`` on a Dask cluster, with the
very same task function. Each takes the tasks and yields ``(task, result)`` as results arrive;
none writes anything. A new executor is one function and one line in :data:`EXECUTORS`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from xxgk.batch import lifeline
from xxgk.batch.task import Task, TaskResult, run_task


class BuildError(Exception):
    """The build as a whole cannot run (lock held, scheduler unreachable, bad selection)."""


CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a Dask scheduler: one on the same network answers in milliseconds, and a
scheduled job that names a dead one should say so within seconds (``--connect-timeout``)."""


Runs = Iterator[tuple[Task, TaskResult]]


def _inline(tasks: list[Task]) -> Iterator[tuple[Task, TaskResult]]:
    """In this process: for one report, a pool would only add its start-up time."""
    from xxgk.batch import kernels

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


def _worker_init(owner: str) -> None:
    """In a pool worker: SIGTERM (from the pool, from :func:`kill_workers`, or from Linux when the
    forkserver, this worker's parent, dies with the build) shuts the warm kernel down and its socket
    folder with it, then leaves at once. Raising SystemExit instead would be caught by the pool's
    task loop, and the worker would wait for work that never comes. The owner marker goes into the
    environment its kernels inherit, so a next build can prove them ours (:mod:`lifeline`)."""
    import signal

    def stop(signum: int, frame: object) -> None:
        from xxgk.batch import kernels

        with contextlib.suppress(BaseException):
            kernels.shutdown_all()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the client's to handle
    os.environ[lifeline.OWNER_ENV] = owner
    lifeline.bind_to_owner(signal.SIGTERM)


def _start_forkserver(ctx: Any, owner: str) -> None:
    """Start multiprocessing's forkserver (if this process has none yet) so that it dies with this
    process: it preloads :mod:`xxgk.batch.forkserver`, and carries the owner marker, as does the
    resource tracker started with it. Its socket goes in a folder named after this process."""
    from multiprocessing import forkserver

    lifeline.own_multiprocessing_folder()
    with lifeline.owner_environment(owner):
        ctx.set_forkserver_preload(["__main__", "xxgk.batch.forkserver"])
        forkserver.ensure_running()


def _local(tasks: list[Task], jobs: int) -> Iterator[tuple[Task, TaskResult]]:
    """A process pool. When a worker dies the pool breaks and every queued report with it: the
    reports that were running (each leaves a marker file while it runs) get one more try, the
    others go on in a new pool without losing theirs, so one report that kills its worker twice
    fails alone."""
    import multiprocessing
    import tempfile

    ctx = multiprocessing.get_context("forkserver")
    owner = lifeline.marker()
    _start_forkserver(ctx, owner)
    markers = Path(tempfile.mkdtemp(prefix=f"{lifeline.RUNNING_PREFIX}{os.getpid()}-"))
    pending = [replace(t, running=str(markers / hashlib.sha256(t.name.encode()).hexdigest())) for t in tasks]
    try:
        yield from _pool_rounds(pending, jobs, ctx, owner)
    finally:
        shutil.rmtree(markers, ignore_errors=True)


def _pool_rounds(pending: list[Task], jobs: int, ctx: Any, owner: str) -> Iterator[tuple[Task, TaskResult]]:
    """Rounds of pools until every report has a result. Reports that were running when a worker
    died are retried first, one at a time, so the one that kills its worker is found exactly."""
    tries: dict[str, int] = {}
    while pending:
        suspects = [t for t in pending if tries.get(t.name)]
        batch, width = (suspects, 1) if suspects else (pending, jobs)
        pending = [t for t in pending if t not in batch]
        pool = ProcessPoolExecutor(
            max_workers=max(1, min(width, len(batch))), mp_context=ctx, initializer=_worker_init, initargs=(owner,)
        )
        futures: dict[Future[TaskResult], Task] = {pool.submit(run_task, t): t for t in batch}
        try:
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    task = futures.pop(fut)
                    try:
                        yield task, fut.result()
                    except BrokenProcessPool:
                        running = Path(task.running or "")
                        if running.exists():
                            running.unlink()
                            tries[task.name] = tries.get(task.name, 0) + 1
                        if tries.get(task.name, 0) > 1:
                            yield task, TaskResult(task.name, error="工作进程意外退出（已单独重试一次）")
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


def _dask(tasks: list[Task], address: str, connect_timeout: float) -> Iterator[tuple[Task, TaskResult]]:
    """The same task function on a Dask cluster; Dask reschedules a lost worker's tasks itself."""
    from distributed import Client, as_completed

    try:
        client = Client(address, timeout=f"{connect_timeout}s")
    except (OSError, ValueError, TimeoutError) as e:
        raise BuildError(f"无法连接 Dask 调度器 {address}（等待 {connect_timeout:g} 秒）：{e}") from None
    with client:
        by_key = {f"xxgk-{t.name.replace('/', '-')}-{t.key[:16]}": t for t in tasks}
        futures = client.map(run_task, list(by_key.values()), key=list(by_key), pure=False, retries=1)
        for fut in as_completed(futures):
            task = by_key[fut.key]
            if fut.status == "finished":
                yield task, fut.result()
            else:
                yield task, TaskResult(task.name, error=f"Dask：{fut.exception()!r}")


@dataclass(frozen=True)
class Where:
    """Where a build runs: how many reports at once, and the Dask scheduler if any."""

    jobs: int = 1
    scheduler: str | None = None
    connect_timeout: float = CONNECT_TIMEOUT


def _run_pool(tasks: list[Task], where: Where) -> Runs:
    return _local(tasks, where.jobs)


def _run_inline(tasks: list[Task], where: Where) -> Runs:
    return _inline(tasks)


def _run_dask(tasks: list[Task], where: Where) -> Runs:
    if not where.scheduler:
        raise BuildError("Dask 执行需要调度器地址（--scheduler tcp://host:8786）")
    return _dask(tasks, where.scheduler, where.connect_timeout)


EXECUTORS: dict[str, Callable[[list[Task], Where], Runs]] = {
    "inline": _run_inline,
    "pool": _run_pool,
    "dask": _run_dask,
}


def choose(tasks: list[Task], where: Where) -> str:
    """The executor a build uses unless told: Dask when a scheduler is named, else a pool, except
    for a single report or a single job, which run here."""
    if where.scheduler:
        return "dask"
    if len(tasks) == 1 or where.jobs <= 1:
        return "inline"
    return "pool"


def run(tasks: list[Task], where: Where, executor: str | None = None) -> Runs:
    if not tasks:
        return iter(())
    name = executor or choose(tasks, where)
    try:
        fn = EXECUTORS[name]
    except KeyError:
        raise BuildError(f"未知的执行方式 {name!r}；可用：{'、'.join(EXECUTORS)}") from None
    return fn(tasks, where)
