"""Warm Jupyter kernels, reused across reports in one worker process.

Starting a kernel and importing the report's libraries is most of the cost of one report. A worker
(a process of the local pool, or a Dask worker thread) keeps one kernel per thread, already
running with xxgk's report modules imported, and hands it to papermill for the next report.
A kernel is replaced after any error and after ``MAX_USES`` reports, so a leak or a stray global
can never accumulate; the notebook itself defines every name it uses, and the render pipeline
renumbers execution counts, so a report from a reused kernel is byte-identical to one from a fresh
kernel (tested in tests/test_build.py).
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing.util
import shutil
import threading
from typing import Any

from xxgk.batch import lifeline

MAX_USES = 25
START_TIMEOUT = 60.0
# Run once in a new kernel so the first report does not pay for these imports.
WARM_UP = "import xxgk.report, xxgk.report.tables, xxgk.report.narrative, xxgk.report.charts\n"
# Run between reports (every few: it costs 60 ms): the last reports' objects are garbage by then;
# hand the memory back.
TIDY_EVERY = 3
TIDY_UP = "import gc, ctypes; gc.collect(); ctypes.CDLL('libc.so.6').malloc_trim(0)\n"

_local = threading.local()
_all: list[WarmKernel] = []
_lock = threading.Lock()


class WarmKernel:
    def __init__(self, kernel_name: str = "python3", max_uses: int = MAX_USES):
        self.kernel_name = kernel_name
        self.max_uses = max_uses
        self.km: Any = None
        self.uses = 0

    def _run(self, km: Any, code: str, *, new: bool = False) -> None:
        """Run code in the kernel outside any notebook (it leaves no trace in a report).

        Only a new kernel is waited for: waiting on a running one costs a quarter of a second."""
        kc = km.client()
        kc.start_channels()
        try:
            if new:
                kc.wait_for_ready(timeout=START_TIMEOUT)
            kc.execute_interactive(code, timeout=START_TIMEOUT, silent=True, store_history=False)
        finally:
            kc.stop_channels()

    def _start(self) -> None:
        from xxgk.render.execute import OwnKernelManager

        # IPC sockets in a folder of our own (the manager makes one per kernel, named after this
        # process, and removes it at shutdown): jupyter_client picks IPC names by probing the
        # current folder, which races between worker processes sharing it; TCP would log a
        # plain-text warning for every kernel. The kernel dies with this process (see the manager).
        lifeline.remove_orphaned_folders()
        km = OwnKernelManager(kernel_name=self.kernel_name, transport="ipc")
        self.km, self.uses = km, 0  # registered first: a failed warm-up still shuts it down
        km.start_kernel()
        self._run(km, WARM_UP, new=True)

    def get(self) -> Any:
        """A running kernel manager for the next report (a new one when due)."""
        if self.km is not None and (self.uses >= self.max_uses or not self.km.is_alive()):
            self.discard()
        if self.km is None:
            self._start()
        elif self.uses % TIDY_EVERY == 0:
            self._run(self.km, TIDY_UP)
        self.uses += 1
        return self.km

    def discard(self) -> None:
        """Shut the kernel down (after an error, or when it has served enough reports)."""
        km, self.km = self.km, None
        if km is not None:
            # A dead kernel cannot be shut down twice; it is gone either way.
            with contextlib.suppress(Exception):
                km.shutdown_kernel(now=True)
            folder = getattr(km, "_xxgk_folder", "")
            if folder:  # a shutdown that failed half-way still leaves no socket folder
                shutil.rmtree(folder, ignore_errors=True)


def for_this_thread() -> WarmKernel:
    kernel = getattr(_local, "kernel", None)
    if kernel is None:
        kernel = WarmKernel()
        _local.kernel = kernel
        with _lock:
            _all.append(kernel)
    return kernel


def shutdown_all() -> None:
    """Leave no kernel behind when the worker process ends."""
    with _lock:
        for kernel in _all:
            kernel.discard()  # stays registered: its thread may start a new kernel later


# A pool worker leaves through multiprocessing's own exit path, which skips atexit handlers
# but runs its finalizers; a plain process runs atexit. Register with both.
atexit.register(shutdown_all)
multiprocessing.util.Finalize(None, shutdown_all, exitpriority=10)
