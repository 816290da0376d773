"""Writing files and folders whole: a reader sees the old content or the new, never a mix.

A file is written through a temporary file in its folder and renamed over the old one. A report
folder's new files are written into a temporary folder beside the destination, then the two folders
are swapped with one ``renameat2(RENAME_EXCHANGE)`` call (Linux), which is atomic; elsewhere it
falls back to two renames. A failure at any point leaves the previous report untouched.

Every temporary name starts with :data:`TMP_PREFIX`, so whatever a killed process leaves behind is
recognisable and removed by the next build. Every error names the file the user asked for (never a
temporary name), so :func:`describe` can tell the user which file and why, in words.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from xxgk.data.diagnostics import excerpt

TMP_PREFIX = ".tmp-"
_PATH_CHARS = 160
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# linux/fs.h: FS_IOC_GETFLAGS and the two flags that make a file impossible to delete, even for root.
_FS_IOC_GETFLAGS = 0x80086601
_FS_UNDELETABLE = 0x00000010 | 0x00000020  # FS_IMMUTABLE_FL | FS_APPEND_FL

_WORDS = {
    errno.ENOSPC: "磁盘空间已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.EFBIG: "文件超过允许的大小（如 ulimit -f 的限制）",
    errno.EACCES: "没有权限",
    errno.EPERM: "不允许此操作：文件或文件夹只读、不可变，或没有权限",
    errno.EROFS: "文件系统是只读的",
    errno.ENAMETOOLONG: "文件名过长",
    errno.ENOENT: "文件或文件夹不存在",
    errno.ENOTDIR: "路径中有一项不是文件夹",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.EEXIST: "已存在",
    errno.ENOTEMPTY: "文件夹不是空的",
    errno.EIO: "读写设备出错（输入输出错误）",
    errno.EMFILE: "打开的文件过多",
    errno.ENFILE: "系统打开的文件过多",
    errno.ELOOP: "符号链接层数过多（可能是循环链接）",
    errno.EXDEV: "不能跨文件系统移动",
    errno.EBUSY: "文件或文件夹正被占用",
}


class NotReplaceable(PermissionError):
    """A published report that could not be replaced whole; ``strerror`` says why, in words."""


def describe(e: OSError) -> str:
    """An OS error as a user reads it: the file, what went wrong in words, and the system's own text."""
    words = _WORDS.get(e.errno or 0, "")
    system = e.strerror or str(e)
    reason = f"{words}（系统信息：{system}）" if words and not isinstance(e, NotReplaceable) else system
    name = e.filename if e.filename is not None else ""
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    name = str(name)
    if not name.isprintable() or len(name) > _PATH_CHARS:  # a hostile name never reaches the terminal raw
        name = excerpt(name, _PATH_CHARS)
    return f"{name}：{reason}" if name else reason


def named(e: OSError, path: Path | str) -> OSError:
    """The same error, naming ``path`` (the file the user knows) instead of a temporary name or none."""
    if e.errno is None:
        return e
    return OSError(e.errno, e.strerror, str(path))


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def _undeletable(path: Path) -> bool:
    """Whether the file carries the immutable or append-only attribute (``chattr +i``/``+a``): such a
    file cannot be removed, by root either, and no permission bit tells."""
    if sys.platform != "linux":
        return False
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        buf = bytearray(8)
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, buf)
        return bool(int.from_bytes(buf[:4], sys.byteorder) & _FS_UNDELETABLE)
    except OSError:
        return False
    finally:
        os.close(fd)


def check_replaceable(dest: Path) -> None:
    """Refuse, before anything is written, a folder whose old content could not be removed.

    Swapping the new report in would succeed, but the old one would be stranded beside it (a
    read-only folder, or files marked immutable): better to leave the published report as it is
    and say why.
    """
    if not dest.exists():
        return
    if not dest.is_dir():
        raise NotReplaceable(errno.ENOTDIR, "已存在，但不是文件夹", str(dest))
    if not os.access(dest, os.W_OK | os.X_OK):
        raise NotReplaceable(errno.EACCES, "文件夹只读（或不可变），其中的旧报告无法删除", str(dest))
    for entry in dest.iterdir():
        if _undeletable(entry) or (entry.is_dir() and not entry.is_symlink() and not os.access(entry, os.W_OK)):
            raise NotReplaceable(errno.EPERM, "文件只读（不可变），无法删除，报告不能整体替换", str(entry))


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: a machine that loses power keeps the new name or the old one."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_tree(path: Path) -> list[str]:
    """Remove a folder we made; return what could not be removed (described), never raise."""
    failed: list[str] = []

    def onerror(func: object, name: str, exc: tuple[type[BaseException], BaseException, object]) -> None:
        e = exc[1]
        failed.append(describe(e) if isinstance(e, OSError) else f"{name}：{e}")

    if path.exists():
        shutil.rmtree(path, onerror=onerror)
    return failed


def publish(files: dict[str, bytes], dest: Path) -> list[str]:
    """Write ``files`` as the complete content of folder ``dest``, replacing it atomically.

    Raises :class:`OSError` naming ``dest`` (or the file in it) when the report cannot be published;
    the old report is then untouched and no temporary folder is left. Returns what could not be
    cleaned up after a successful swap (normally nothing), so the caller can say so.
    """
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        check_replaceable(dest)
    except OSError as e:
        if e.filename is None:
            raise named(e, dest) from e
        raise
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{dest.name}-", dir=dest.parent))
    except OSError as e:
        raise named(e, dest) from e
    leftovers: list[str] = []
    try:
        for name, data in files.items():
            try:
                with open(tmp / name, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            except OSError as e:
                raise named(e, dest / name) from e
        os.chmod(tmp, 0o755)
        try:
            if not dest.exists():
                os.rename(tmp, dest)
                _fsync_dir(dest.parent)
                return leftovers
            if not _exchange(tmp, dest):
                old = dest.parent / f"{TMP_PREFIX}old-{dest.name}-{os.getpid()}"
                os.rename(dest, old)
                try:
                    os.rename(tmp, dest)
                except OSError:
                    os.rename(old, dest)  # the old report back in its place
                    raise
                tmp = old
        except OSError as e:
            raise named(e, dest) from e
        _fsync_dir(dest.parent)
    except BaseException:
        _remove_tree(tmp)
        raise
    leftovers = _remove_tree(tmp)  # the old report, now swapped out
    return leftovers


def file_mode(path: Path) -> int:
    """The mode a rewritten file keeps (its old one), or a new file gets (0666 less the umask):
    a temporary file is private (0600), which would hide the result from a web server or a team."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def stage(path: Path, content: str | bytes) -> Path:
    """Write ``content`` to a new temporary file beside ``path`` (synced, with the mode ``path`` will
    have) and return its name; on failure nothing is left and the error names ``path``."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        fd, name = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{path.name}-", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise named(e, path) from e
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, file_mode(path))
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise named(e, path) from e
        raise
    return tmp


def _backup(path: Path) -> Path | None:
    """A hard link to ``path`` under a temporary name (no data copied, no space needed), so a
    replacement can be undone; None where the file system has no hard links. A file that cannot be
    linked because it is immutable or not ours cannot be replaced either: that is raised now,
    before anything has changed."""
    for _ in range(10):
        link = path.parent / f"{TMP_PREFIX}{path.name}-{secrets.token_hex(4)}.bak"
        try:
            os.link(path, link, follow_symlinks=False)
            return link
        except FileExistsError:
            continue
        except OSError as e:
            if _undeletable(path) or not os.access(path.parent, os.W_OK | os.X_OK):
                raise named(e, path) from e
            return None
    return None


def replace_all(staged: Mapping[Path, Path]) -> None:
    """Move each staged temporary file (value) over its target (key): all of them, or none.

    Each existing target is first hard-linked aside; if a later rename fails (or the process is
    interrupted), the earlier ones are put back (a new file is removed again), so the targets are
    exactly as they were. The staged files and the links are removed whatever happens.
    """
    backups: dict[Path, Path | None] = {}
    existed: dict[Path, bool] = {}
    done: list[Path] = []
    try:
        for target in staged:
            existed[target] = target.exists()
            backups[target] = _backup(target) if existed[target] else None
        for target, tmp in staged.items():
            try:
                os.replace(tmp, target)
            except OSError as e:
                raise named(e, target) from e
            done.append(target)
        for d in {t.parent for t in staged}:
            _fsync_dir(d)
    except BaseException:
        for target in reversed(done):
            backup = backups.get(target)
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                    backups[target] = None
                elif not existed[target]:
                    target.unlink()
                # else: a file system without hard links; the new content stays, there is no way back
        for tmp in staged.values():
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        raise
    finally:
        for backup in backups.values():
            if backup is not None:
                with contextlib.suppress(OSError):
                    backup.unlink(missing_ok=True)


def write_all(texts: Mapping[Path, str | bytes]) -> None:
    """Write several files together: every one is staged first, then all are renamed into place
    (see :func:`replace_all`); a failure anywhere leaves every one of them as it was."""
    staged: dict[Path, Path] = {}
    try:
        for path, content in texts.items():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise named(e, path.parent) from e
            staged[path] = stage(path, content)
    except BaseException:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        raise
    replace_all(staged)


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, so a reader never sees half a file."""
    write_all({path: text})
