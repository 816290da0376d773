"""One task: render one report from its parameters, wherever it runs (this process, a pool, Dask).

A task carries the validated data and the template notebook in and the report's bytes out, so a
worker needs the package but neither ``params/`` nor the repository, and only the client writes
``outputs/``. Tasks and their results are typed records (picklable, so every executor carries them).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Task:
    """One report to render: its name (``agency/year``), content key and notebook parameters."""

    name: str
    key: str
    template: str
    """The template notebook's JSON (workers may not have the repository)."""
    parameters: dict[str, Any]
    """``agency_year``, ``history``, ``findings``, ``options``: what papermill injects."""
    timeout: float = 180.0
    warm: bool = True
    running: str | None = None
    """A marker file the worker holds while it runs the task (the pool's record of who was running)."""

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.parameters.get("findings", []))


@dataclass(frozen=True)
class TaskResult:
    """A rendered report's files, or why it failed; never an exception, so any executor carries it."""

    name: str
    files: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def run_task(task: Task) -> TaskResult:
    """Render one report from its parameters; never raises."""
    import nbformat

    from xxgk import render
    from xxgk.batch import kernels

    started = time.perf_counter()
    marker = Path(task.running) if task.running else None
    if marker:  # tells the pool which reports were running if this worker dies
        marker.touch()
    kernel = kernels.for_this_thread() if task.warm else None
    try:
        km = kernel.get() if kernel else None
        template = nbformat.reads(task.template, as_version=4)
        art = render.build_artifacts(task.parameters, timeout=task.timeout, kernel_manager=km, template=template)
    except Exception as e:  # the report failed, not the worker: say why and move on
        if kernel:
            kernel.discard()
        return TaskResult(task.name, error=f"{type(e).__name__}: {e}", seconds=time.perf_counter() - started)
    finally:
        if marker:
            marker.unlink(missing_ok=True)
        return_memory()
    return TaskResult(
        task.name, files=dict(art.files), timings=dict(art.timings), seconds=time.perf_counter() - started
    )


def return_memory() -> None:
    """Give freed memory back to the system between reports.

    WeasyPrint and nbconvert leave a fragmented heap that glibc keeps: a worker grew from 260 to
    380 MB over six reports, and falls to 140 MB once trimmed (measured, bench/bench_build.py).
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
