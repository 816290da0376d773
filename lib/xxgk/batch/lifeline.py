"""Nothing a build starts outlives it: processes tied to their parent, and the clean-up of what a
killed build left anyway.

A build is a tree of processes: the client (``xxgk build``), multiprocessing's forkserver and
resource tracker, the pool workers (children of the forkserver, not of the client) and one kernel
per worker. A SIGKILL of the client (the OOM killer, ``kill -9``, a cron timeout) runs no clean-up;
before, the forkserver kept its workers alive and they their kernels, night after night. Now, on
Linux, each link asks the kernel to signal it when its parent dies (``PR_SET_PDEATHSIG``): the
forkserver (preloaded with :mod:`xxgk.batch.forkserver`) dies with the client, each worker with
the forkserver (SIGTERM: it shuts its kernel down on the way out) and each kernel with its worker
(:class:`xxgk.render.execute.OwnKernelManager`).

What can still be left behind, the next build removes (:func:`reap`): processes whose environment
names, in :data:`OWNER_ENV`, a build client that is gone (that marker is the proof they are ours;
a process without it is never touched), and the temporary folders named after a process that is
gone (kernel connection files and sockets, the pool's running markers, multiprocessing's folder).

``PR_SET_PDEATHSIG`` fires when the *thread* that started a process ends: the pool is started from
the thread that runs :func:`xxgk.batch.build`, which should live as long as the build (the CLI's
main thread does).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xxgk.render.execute import KERNEL_FOLDER_PREFIX

OWNER_ENV = "XXGK_BUILD_OWNER"
"""``<pid>:<start time>`` of the build client a process belongs to (set in workers, kernels, the
forkserver and the resource tracker; never left in the client's own environment)."""
RUNNING_PREFIX = "xxgk-running-"
MP_PREFIX = "xxgk-mp-"
PREFIXES = (KERNEL_FOLDER_PREFIX, RUNNING_PREFIX, MP_PREFIX)
"""Temporary folders named ``<prefix><pid>-*`` after the process that made them."""
_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent (thread) ends; False elsewhere."""
    if sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, signum)) == 0
    except (OSError, AttributeError):
        return False


def marker(pid: int | None = None) -> str:
    """The owner marker of process ``pid`` (this one by default): its PID and start time, so a
    recycled PID is never taken for the build that is gone."""
    import psutil

    p = psutil.Process(pid)
    return f"{p.pid}:{p.create_time():.2f}"


def owner_alive(mark: str) -> bool:
    """Whether the process a marker names still runs (a zombie does not; a malformed marker is
    taken as alive, so nothing is killed on a guess)."""
    import psutil

    pid_text, _, started = mark.partition(":")
    try:
        pid, start = int(pid_text), float(started)
    except ValueError:
        return True
    try:
        p = psutil.Process(pid)
        return p.status() != psutil.STATUS_ZOMBIE and abs(p.create_time() - start) < 1.0
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True


def bind_to_owner(signum: int) -> None:
    """In a process of the build (a worker, the forkserver): die with the parent, and leave at once
    if the build is already gone (it may have died before the request above took effect)."""
    die_with_parent(signum)
    mark = os.environ.get(OWNER_ENV)
    if mark and not owner_alive(mark):
        os._exit(1)


@contextlib.contextmanager
def owner_environment(mark: str) -> Iterator[None]:
    """:data:`OWNER_ENV` set while the processes of the pool are started (the forkserver and the
    resource tracker inherit it), then removed: this process's later children are not the build's."""
    before = os.environ.get(OWNER_ENV)
    os.environ[OWNER_ENV] = mark
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(OWNER_ENV, None)
        else:
            os.environ[OWNER_ENV] = before


def own_multiprocessing_folder() -> None:
    """Name multiprocessing's temporary folder (the forkserver's socket) after this process, so a
    killed build's folder is known for ours. Only before multiprocessing has made its own."""
    from multiprocessing import process, util

    config: dict[str, Any] = getattr(process.current_process(), "_config", {})
    if config.get("tempdir") is not None:
        return
    folder = tempfile.mkdtemp(prefix=f"{MP_PREFIX}{os.getpid()}-")
    util.Finalize(None, shutil.rmtree, args=(folder, True), exitpriority=-100)
    config["tempdir"] = folder


def _gone(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


def remove_orphaned_folders(tmp: Path | None = None) -> list[Path]:
    """Remove ``<tmp>/<prefix><pid>-*`` folders whose process is gone; return them."""
    root = Path(tmp or tempfile.gettempdir())
    removed = []
    for prefix in PREFIXES:
        try:
            found = list(root.glob(f"{prefix}*-*"))
        except OSError:  # an unreadable temporary folder: nothing of ours can be there either
            continue
        for d in found:
            pid = d.name.removeprefix(prefix).split("-", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and _gone(int(pid)):
                shutil.rmtree(d, ignore_errors=True)
                if not d.exists():
                    removed.append(d)
    return removed


def orphans() -> list[Any]:
    """Processes of this user whose build client is gone (see :data:`OWNER_ENV`)."""
    import psutil

    me, uid = os.getpid(), os.getuid()
    found = []
    for p in psutil.process_iter():
        try:
            if p.pid == me or p.uids().real != uid:
                continue
            mark = p.environ().get(OWNER_ENV)
            if mark and not owner_alive(mark) and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
        except psutil.Error:
            continue
    return found


@dataclass
class Reaped:
    processes: list[int] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)


def reap(timeout: float = 3.0) -> Reaped:
    """Stop the processes and remove the folders a killed build left (of any build on this machine
    and user: a worker or kernel of a dead build serves no one)."""
    import psutil

    procs = orphans()
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=timeout)
    return Reaped([p.pid for p in procs], remove_orphaned_folders())
