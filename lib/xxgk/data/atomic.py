"""Writing files and folders whole: a reader sees the old content or the new, never a mix.

A file is written through a temporary file in its folder and renamed over the old one. A report
folder's new files are written into a temporary folder beside the destination, then the two folders
are swapped with one ``renameat2(RENAME_EXCHANGE)`` call (Linux), which is atomic; elsewhere it
falls back to two renames. A failure at any point leaves the previous report untouched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path

TMP_PREFIX = ".tmp-"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def publish(files: dict[str, bytes], dest: Path) -> None:
    """Write ``files`` as the complete content of folder ``dest``, replacing it atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{dest.name}-", dir=dest.parent))
    try:
        for name, data in files.items():
            with open(tmp / name, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, 0o755)
        if not dest.exists():
            os.rename(tmp, dest)
            return
        if not _exchange(tmp, dest):
            old = dest.parent / f"{TMP_PREFIX}old-{dest.name}-{os.getpid()}"
            os.rename(dest, old)
            os.rename(tmp, dest)
            tmp = old
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def file_mode(path: Path) -> int:
    """The mode a rewritten file keeps (its old one), or a new file gets (0666 less the umask):
    a temporary file is private (0600), which would hide the result from a web server or a team."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
