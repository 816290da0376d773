"""Executing the report notebook with papermill: same inputs, same bytes, failures that name their cell.

Same inputs, same bytes: papermill records start and end times, durations, the input and output
paths and a random id for the cell it injects; nbclient numbers executions from wherever a reused
kernel stands. :func:`normalize` removes the times and paths and renumbers ids and execution counts,
keeping the papermill record that matters (parameters, papermill and kernel versions).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager, KernelManager
from nbformat import NotebookNode

import xxgk
from xxgk.render import templates

NOTEBOOK_NAME = "notebooks/annual_report.ipynb"
"""How the executed notebook's record names its template (never a machine path)."""
ERROR_MARKER_TAG = "papermill-error-cell-tag"  # papermill.execute.ERROR_MARKER_TAG
KERNEL_NAME = "python3"
START_TIMEOUT = 60
"""Seconds a kernel may take to start (whole seconds: nbclient's ``startup_timeout`` is an integer).
Starting a kernel is not part of a report's own ``timeout``, so a warm kernel and a fresh one give a
report the same budget."""
MIN_CELL_TIMEOUT = 0.05
"""What a cell gets once the report's budget is spent: it then times out at once, named."""
KERNEL_FOLDER_PREFIX = "xxgk-kernel-"
"""``<tmp>/xxgk-kernel-<pid of the starting process>-*``: one kernel's connection file and sockets."""

# Run by a new kernel's process before the kernel itself (``python -I -S -c``, so it costs a few
# milliseconds and imports nothing of ours): ask Linux to SIGKILL it when the process that started
# it dies, however that one dies (a SIGKILL runs no clean-up), then become the kernel (exec keeps
# the PID, so jupyter_client and ipykernel's own parent check see their kernel). If the starter
# died before the request took effect, stop now: nobody would ever signal this kernel.
_DIE_WITH_PARENT = """\
import ctypes, os, signal, sys
ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[1]):
    os._exit(1)
os.execvp(sys.argv[2], sys.argv[2:])
"""
# A report kernel keeps no command history: it would write ~/.ipython/…/history.sqlite (a shared
# server's home may be read-only or full, and the kernel would print a traceback about it).
_KERNEL_ARGS = ["--HistoryManager.enabled=False"]


class RenderError(Exception):
    """A report could not be made: which stage, which cell, and what the error was.

    ``cell`` is the 1-based position of the failing cell in the executed notebook (the injected
    parameters cell counts), ``source`` that cell's first line, ``ename``/``evalue`` the error
    (``CellTimeoutError`` and ``DeadKernelError`` for a cell that ran too long or a kernel that
    died). ``ipynb`` holds the executed notebook up to the failure when there is one, for debugging;
    it is never written in place of a report.
    """

    def __init__(
        self,
        stage: str,
        ename: str,
        evalue: str,
        *,
        cell: int | None = None,
        source: str = "",
        ipynb: bytes | None = None,
    ) -> None:
        self.stage = stage
        self.ename = ename
        self.evalue = evalue
        self.cell = cell
        self.source = source
        self.ipynb = ipynb
        where = f" in cell {cell} ({source})" if cell is not None else ""
        super().__init__(f"{stage} failed{where}: {ename}: {evalue}".rstrip(": "))

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable with every field, so a worker process or a Dask worker can send it back."""
        kw = {"cell": self.cell, "source": self.source, "ipynb": self.ipynb}
        return (_render_error, (self.stage, self.ename, self.evalue, kw))


def _render_error(stage: str, ename: str, evalue: str, kw: dict[str, Any]) -> RenderError:
    return RenderError(stage, ename, evalue, **kw)


def document_id(parameters: Mapping[str, Any]) -> str:
    ay = parameters["agency_year"]
    return f"xxgk:{ay['agency']['id']}:{ay['year']}"


def load_template(template: Path | NotebookNode | None = None) -> NotebookNode:
    """The template as a notebook: a path, or a notebook already read (a task carries its template
    to a worker that may not have the repository's notebooks/ folder)."""
    if isinstance(template, NotebookNode):
        return nbformat.from_dict(template)
    return nbformat.read(template or templates.notebook(), as_version=4)


class _OwnKernel:
    """What xxgk adds to jupyter_client's kernel managers: a kernel that cannot outlive the process
    that started it, and whose files all live in one folder of ours.

    jupyter_client starts a kernel as a new session and, unless told otherwise, writes its
    connection file to ``/tmp/tmpXXXX.json``; ipykernel polls once a second for its parent, but only
    while its own Python threads run. A build killed with SIGKILL left kernels running and
    connection files behind. Here the kernel command is prefixed with :data:`_DIE_WITH_PARENT`
    (Linux), and the connection file (and IPC sockets) go into ``xxgk-kernel-<pid>-*``, removed at
    shutdown, or by the next build once ``<pid>`` is gone. nbclient takes this class through its
    ``kernel_manager_class`` trait, a warm kernel (:mod:`xxgk.batch.kernels`) directly.
    """

    _xxgk_folder = ""

    def write_connection_file(self, **kwargs: Any) -> None:
        if not self._xxgk_folder or not os.path.isdir(self._xxgk_folder):
            self._xxgk_folder = tempfile.mkdtemp(prefix=f"{KERNEL_FOLDER_PREFIX}{os.getpid()}-")
            km: Any = self
            if not km.connection_file or os.path.dirname(km.connection_file) != self._xxgk_folder:
                km.connection_file = os.path.join(self._xxgk_folder, "kernel.json")
            if km.transport == "tcp" and os.name == "posix" and km.ip in ("127.0.0.1", "localhost"):
                # IPC sockets in that folder: no port to race for, and no warning about TCP
                # without encryption printed by every kernel.
                km.transport = "ipc"
            if km.transport == "ipc":
                km.ip = os.path.join(self._xxgk_folder, "k")
        super().write_connection_file(**kwargs)  # type: ignore[misc]

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        km: Any = self
        ipykernel = any("ipykernel" in arg for arg in km.kernel_spec.argv)
        extra = [*(extra_arguments or []), *(_KERNEL_ARGS if ipykernel else [])]
        cmd: list[str] = super().format_kernel_cmd(extra)  # type: ignore[misc]
        if sys.platform != "linux" or not sys.executable:
            return cmd
        return [sys.executable, "-I", "-S", "-c", _DIE_WITH_PARENT, str(os.getpid()), *cmd]

    def cleanup_connection_file(self) -> None:
        super().cleanup_connection_file()  # type: ignore[misc]
        if self._xxgk_folder:
            shutil.rmtree(self._xxgk_folder, ignore_errors=True)
            self._xxgk_folder = ""


class OwnKernelManager(_OwnKernel, KernelManager):
    """A blocking kernel manager whose kernel dies with its starter (see :class:`_OwnKernel`)."""


class AsyncOwnKernelManager(_OwnKernel, AsyncKernelManager):
    """The same for nbclient, which drives kernels asynchronously."""


class _Progress:
    """Which cell is running, fed by nbclient's ``on_cell_start`` hook; and the overall deadline.

    papermill only reports cells that raised; a timeout or a dead kernel escapes as a bare nbclient
    exception. The hook tells us which cell it was, without reaching into papermill's internals.
    The budget starts with the first cell, once the kernel is ready (see :data:`START_TIMEOUT`).
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.index: int | None = None
        self.source = ""
        self.nb: NotebookNode | None = None

    def on_notebook_start(self, notebook: NotebookNode, **_: Any) -> None:
        self.nb = notebook
        self.deadline = time.monotonic() + self.timeout

    def on_cell_start(self, cell: NotebookNode, cell_index: int, **_: Any) -> None:
        self.index, self.source = cell_index, cell.source

    def cell_timeout(self, cell: NotebookNode) -> float:
        """What is left of the whole report's budget, in seconds (nbclient asks per cell and takes
        a fraction here, unlike its integer traits); never 0, which nbclient reads as "no limit"."""
        return max(MIN_CELL_TIMEOUT, self.deadline - time.monotonic())


class _BorrowedKernel:
    """A caller's kernel manager, lent to nbclient, that closes the clients nbclient opens on it.

    nbclient shuts down only kernels it started; on a borrowed one it opens a new client (a
    heartbeat thread and five ZeroMQ sockets) per notebook and never closes it, so a warm kernel
    serving many reports would leak a thread and ten file descriptors per report. nbclient uses
    ``km`` by duck typing, so this proxy forwards everything and remembers the clients.
    """

    def __init__(self, km: Any) -> None:
        self._km = km
        self._clients: list[Any] = []

    def client(self, **kw: Any) -> Any:
        """An asynchronous client, whatever kind of manager lent the kernel. nbclient waits for the
        shell reply and the IOPub output side by side in one event loop; a blocking client's IOPub
        wait holds that loop for as long as a cell prints nothing, so the cell's timeout never fired
        on a warm kernel (a silent ``time.sleep(30)`` ran its 30 s under ``--timeout 0.5``)."""
        from jupyter_client.asynchronous import AsyncKernelClient

        if isinstance(self._km, AsyncKernelManager):
            kc = self._km.client(**kw)
        else:
            info: dict[str, Any] = {
                **self._km.get_connection_info(session=True),
                "connection_file": self._km.connection_file,
                "parent": self._km,
                **kw,
            }
            for key in ("curve_publickey", "curve_secretkey"):
                if isinstance(info.get(key), str):
                    info[key] = info[key].encode("ascii")
            kc = AsyncKernelClient(**info)
        self._clients.append(kc)
        return kc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._km, name)

    def close_clients(self) -> None:
        for kc in self._clients:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        self._clients.clear()


def _first_line(source: str) -> str:
    return next((line.strip() for line in source.splitlines() if line.strip()), "")


def execute(
    parameters: Mapping[str, Any],
    *,
    timeout: float = 120,
    kernel_manager: Any = None,
    template: Path | NotebookNode | None = None,
) -> NotebookNode:
    """Run the template with papermill's Python API; return the executed, normalized notebook.

    ``kernel_manager`` may be a started ``jupyter_client`` KernelManager: papermill hands it to
    nbclient (``km``), which then neither starts nor shuts it down, so a pool can keep warm kernels.
    The kernel keeps its state between reports (the notebook assigns every name it uses, and
    execution counts are renumbered), and the client nbclient opened on it is closed afterwards.
    After a RenderError the caller should discard the kernel: a timed-out cell may still be running.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    nb = load_template(template)
    progress = _Progress(timeout)
    engine_kwargs: dict[str, Any] = {
        "on_notebook_start": progress.on_notebook_start,
        "on_cell_start": progress.on_cell_start,
        "timeout_func": progress.cell_timeout,
        "shutdown_kernel": "immediate",
        "record_timing": False,  # nbclient's per-cell iopub timestamps
    }
    borrowed = None if kernel_manager is None else _BorrowedKernel(kernel_manager)
    if borrowed is not None:
        engine_kwargs["km"] = borrowed
    else:
        engine_kwargs["kernel_manager_class"] = AsyncOwnKernelManager
    try:
        executed = papermill.execute_notebook(
            nb,
            None,
            parameters=dict(parameters),
            kernel_name=KERNEL_NAME,
            language="python",
            progress_bar=False,
            request_save_on_cell_execute=False,
            start_timeout=START_TIMEOUT,
            **engine_kwargs,
        )
    except PapermillExecutionError as e:
        raise RenderError(
            "execute",
            e.ename,
            e.evalue,
            cell=e.cell_index + 1,
            source=_first_line(e.source),
            ipynb=_partial(progress, parameters),
        ) from e
    except (CellTimeoutError, DeadKernelError) as e:
        cell = None if progress.index is None else progress.index + 1
        evalue = f"the report took longer than {timeout:g} s" if isinstance(e, CellTimeoutError) else str(e)
        raise RenderError(
            "execute",
            type(e).__name__,
            evalue,
            cell=cell,
            source=_first_line(progress.source),
            ipynb=_partial(progress, parameters),
        ) from e
    except RuntimeError as e:  # a kernel that never started
        raise RenderError("execute", type(e).__name__, str(e)) from e
    finally:
        if borrowed is not None:
            borrowed.close_clients()
    return normalize(executed, parameters)


def _partial(progress: _Progress, parameters: Mapping[str, Any]) -> bytes | None:
    """The notebook as far as it ran, for whoever debugs it; cell numbers match the RenderError.

    papermill inserts two "error marker" cells into a failed notebook; they are dropped so that
    cell ``n`` of the error is cell ``n`` of this notebook (the error output itself is kept).
    """
    if progress.nb is None:
        return None
    with contextlib.suppress(Exception):
        nb = progress.nb
        nb.cells = [c for c in nb.cells if ERROR_MARKER_TAG not in c.get("metadata", {}).get("tags", [])]
        return serialize(normalize(nb, parameters))
    return None


def serialize(nb: NotebookNode) -> bytes:
    """nbformat's JSON (sorted keys, one-space indent) plus a final newline, as git likes it."""
    return nbformat.writes(nb).encode("utf-8") + b"\n"


_VOLATILE = ("start_time", "end_time", "duration", "input_path", "output_path")


def normalize(nb: NotebookNode, parameters: Mapping[str, Any]) -> NotebookNode:
    """Make the executed notebook a function of its inputs only (see the module docstring)."""
    pm = nb.metadata.get("papermill", {})
    for key in _VOLATILE:
        pm.pop(key, None)
    pm["input_path"] = NOTEBOOK_NAME
    nb.metadata["xxgk"] = {"version": xxgk.__version__, "document_id": document_id(parameters)}
    title = parameters["agency_year"]
    nb.metadata["title"] = f"{title['agency']['name']}{title['year']}年政府信息公开工作年度报告"
    count = 0
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        cell.get("metadata", {}).pop("execution", None)  # nbclient's timestamps, should any remain
        cell_pm = cell.get("metadata", {}).get("papermill")
        if cell_pm is not None:
            for key in _VOLATILE:
                cell_pm.pop(key, None)
        tags = cell.get("metadata", {}).get("tags", [])
        cell_id = "injected-parameters" if "injected-parameters" in tags else cell.get("id") or f"cell-{index}"
        if cell_id in seen:
            cell_id = f"{cell_id}-{index}"
        seen.add(cell_id)
        cell["id"] = cell_id
        if cell.cell_type == "code":
            if cell.get("execution_count") is not None:
                count += 1
                cell.execution_count = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = cell.execution_count
    return nb
