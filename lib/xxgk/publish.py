"""Put a report folder in place whole: readers see the old report or the new one, never a mix.

The new files are written into a temporary folder beside the destination, then the two folders
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
