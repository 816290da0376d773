"""Drive a real office suite (headless LibreOffice Calc) from the tests, as an analyst filling the form would.

Why LibreOffice and not openpyxl alone: openpyxl writes and reads xlsx but computes nothing and never
shows what a user sees. A file that has been through LibreOffice has cached formula results, was
parsed by a real spreadsheet program, and can be printed to PDF — the closest a test gets to an
analyst filling the form in WPS or Excel.

How: LibreOffice's Python bridge (``python3-uno``) only works in Debian's ``/usr/bin/python3``, not
in the project's venv (a pyenv build), so tests/office_uno.py runs there as a child process and talks
to us in JSON lines. It starts one ``soffice --headless --accept=pipe,...`` with a private, temporary
profile (parallel runs never share one) and serves every :func:`fill_and_save` of the test session:
LibreOffice's start-up (a second or two) is paid once. PDF and xlsx conversions use
``soffice --convert-to``, the command line an operator would use, with a private profile of their own.

Availability: locally, tests marked :data:`needs_office` are skipped when LibreOffice is missing. In
CI (``CI=true``) they run anyway and fail with :class:`OfficeUnavailable`: a skip there would hide
that the real component was never exercised.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import json
import math
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
DRIVER = Path(__file__).with_name("office_uno.py")
XLSX_FILTER = "Calc MS Excel 2007 XML"
INSTALL_HINT = "apt-get install --no-install-recommends libreoffice-calc-nogui python3-uno (bin/setup does it)"
_CELL_REF = re.compile(r"\$?[A-Z]{1,3}\$?[1-9][0-9]{0,6}")
_TAIL = 3000  # characters of a log shown in an error


class OfficeError(RuntimeError):
    """LibreOffice failed: did not start, crashed, timed out, or could not open or save a file."""


class OfficeUnavailable(OfficeError):
    """LibreOffice or its Python bridge is not installed."""


class FormFillError(OfficeError):
    """A fill a user could not do in the office suite: a locked cell, a merged-over cell, no such sheet."""


def in_ci() -> bool:
    """True in CI (``CI=true``), where a missing LibreOffice must fail the tests instead of skipping them."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _system_python_env() -> dict[str, str]:
    """The environment for Debian's python3: without the venv's or pyenv's Python settings."""
    drop = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "PYENV_VERSION"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def _soffice() -> str | None:
    return shutil.which("soffice") or (os.access("/usr/bin/soffice", os.X_OK) and "/usr/bin/soffice") or None


@functools.cache
def soffice_available() -> bool:
    """LibreOffice's soffice is on PATH and Debian's python3 can import its UNO bridge."""
    if _soffice() is None or not os.access(SYSTEM_PYTHON, os.X_OK):
        return False
    try:
        proc = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import uno"], env=_system_python_env(), capture_output=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


needs_office = pytest.mark.skipif(
    not in_ci() and not soffice_available(),
    reason=f"LibreOffice with its Python bridge is not installed ({INSTALL_HINT})",
)
"""Mark a test that needs LibreOffice: skipped locally without it, run (and failing loudly) in CI."""


def require_office() -> None:
    """Inside a test: skip if LibreOffice is missing, or fail when in CI."""
    if soffice_available():
        return
    msg = f"LibreOffice with its Python bridge is not installed ({INSTALL_HINT})"
    if in_ci():
        pytest.fail(f"CI=true: {msg}; refusing to skip the office-suite tests")
    pytest.skip(msg)


def _ensure_available() -> str:
    soffice = _soffice()
    if soffice is None or not soffice_available():
        raise OfficeUnavailable(f"LibreOffice with its Python bridge is not installed ({INSTALL_HINT})")
    return soffice


def _tail(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return text[-_TAIL:].strip() or "(empty)"


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc.

    Zombies are skipped: LibreOffice runs gpgconf/gpg at start-up, and a container's init may take a
    second to reap them once soffice is gone. They are dead already; waiting for them costs time only.
    """
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in {"Z", "X"}:
            live.append(int(stat.parent.name))
    return live


def osl_pipes(profile_url: str, pipe_name: str) -> list[Path]:
    """The Unix sockets a soffice leaves in /tmp when it is killed (a clean exit removes them itself).

    One for ``--accept=pipe,name=...``, and LibreOffice's single-instance pipe, named after the MD5 of
    the profile URL in UTF-16, bytes in hex without zero padding (desktop/source/app/officeipcthread.cxx).
    tests/office_uno.py has the same function (Debian's python3 cannot import this module).
    """
    digest = hashlib.md5(profile_url.encode("utf-16-le")).digest()
    ipc = "SingleOfficeIPC_" + "".join(format(b, "x") for b in digest)
    return [Path("/tmp") / f"OSL_PIPE_{os.getuid()}_{name}" for name in (pipe_name, ipc)]


def _kill_group(pgid: int, timeout: float = 5.0) -> None:
    """SIGKILL a whole process group and wait until none of it is left alive (no orphaned soffice.bin)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while _group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)


CellValues = dict[tuple[str, str], int | float | str]


def _request_values(values: CellValues) -> list[list[Any]]:
    out: list[list[Any]] = []
    for key, value in values.items():
        sheet, ref = key
        if not _CELL_REF.fullmatch(ref.upper()):
            raise ValueError(f"{sheet}!{ref}: one cell like 'D12', not a range or a name")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(f"{sheet}!{ref}: {value!r} is not an int, float or str")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{sheet}!{ref}: {value!r} cannot be typed into a cell")
        out.append([sheet, ref.upper(), value])
    return out


class Office:
    """One headless LibreOffice, started on first use and reused by every :meth:`fill_and_save`.

    Use as a context manager, or call :meth:`stop`; :func:`shared_office` keeps one per test process.
    A call that times out or finds LibreOffice dead kills it and raises :class:`OfficeError`; the next
    call starts a fresh one, so one bad file does not break the rest of the session.
    """

    def __init__(self, *, startup_timeout: float = 60.0, call_timeout: float = 120.0) -> None:
        self.startup_timeout = startup_timeout
        self.call_timeout = call_timeout
        self._lock = threading.RLock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._soffice_pid: int | None = None
        self._dir: Path | None = None
        self._pipe_name = ""
        self._buf = b""

    def __enter__(self) -> Office:
        self.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """The driver and its LibreOffice are up."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start LibreOffice with a new private profile, unless already running."""
        with self._lock:
            if self.running:
                return
            self._cleanup()
            soffice = _ensure_available()
            self._dir = Path(tempfile.mkdtemp(prefix="xxgk-office-"))
            self._pipe_name = f"xxgk_{os.getpid()}_{uuid.uuid4().hex[:12]}"
            argv = [
                SYSTEM_PYTHON,
                str(DRIVER),
                "--soffice",
                soffice,
                "--profile-url",
                (self._dir / "profile").as_uri(),
                "--pipe-name",
                self._pipe_name,
                "--log",
                str(self._dir / "soffice.log"),
                "--work-dir",
                str(self._dir),
                "--startup-timeout",
                str(self.startup_timeout),
            ]
            with (self._dir / "driver.log").open("wb") as err:
                self._proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    env=_system_python_env(),
                    bufsize=0,
                    start_new_session=True,  # its own process group: killable whole on timeout
                )
            self._buf = b""
            ready = self._read_answer(self.startup_timeout + 10, "start-up")
            if not ready.get("ok"):
                self._fail(f"LibreOffice did not start: {ready.get('error')}")
            self._soffice_pid = int(ready["soffice_pid"])

    def stop(self) -> None:
        """Quit LibreOffice, kill whatever is left of it, remove its profile."""
        with self._lock:
            proc = self._proc
            if proc is not None and proc.poll() is None and proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.write(b'{"cmd": "quit"}\n')
                    proc.stdin.close()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(15)
            self._cleanup()

    def _cleanup(self) -> None:
        """Kill the driver and LibreOffice (each its own process group), remove their folder and sockets."""
        if self._proc is not None:
            _kill_group(self._proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(5)
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            self._proc = None
        if self._soffice_pid is None and self._dir is not None:
            # Not ready yet: the driver wrote soffice's pid as soon as it had started it.
            with contextlib.suppress(OSError, ValueError):
                self._soffice_pid = int((self._dir / "soffice.pid").read_text())
        if self._soffice_pid is not None:
            _kill_group(self._soffice_pid)
            self._soffice_pid = None
        if self._dir is not None:
            for sock in osl_pipes((self._dir / "profile").as_uri(), self._pipe_name):
                sock.unlink(missing_ok=True)
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def _logs(self) -> str:
        if self._dir is None:
            return ""
        return (
            f"\n--- soffice output ---\n{_tail(self._dir / 'soffice.log')}"
            f"\n--- UNO driver stderr ---\n{_tail(self._dir / 'driver.log')}"
        )

    def _fail(self, msg: str) -> NoReturn:
        """Raise with LibreOffice's logs, after killing it: its state is unknown now."""
        logs = self._logs()
        self._cleanup()
        raise OfficeError(msg + logs)

    def _read_answer(self, timeout: float, what: str) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail(f"LibreOffice timed out after {timeout:.0f} s ({what})")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    code = self._proc.wait(5)
                    self._fail(f"the UNO driver exited with code {code} ({what})")
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        try:
            answer: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            self._fail(f"the UNO driver said {line[:500]!r} ({what})")
        return answer

    def fill_and_save(
        self, src: Path, dst: Path, values: CellValues, *, unprotect: bool = False, validate: bool = True
    ) -> None:
        """Open src in LibreOffice, type each value into its (sheet, cell), recalculate, save xlsx at dst.

        Numbers are entered as numbers, text as text (a str is always text, even "12" or "=A1"). What a
        user could not type fails with :class:`FormFillError` and writes nothing: a locked cell on a
        protected sheet (the UNO API itself would write there), a cell covered by a merge, a value the
        cell's data validation stops (``validate=False`` simulates pasting, which skips validation).
        ``unprotect=True`` simulates a user who removed the protection of the sheets being filled: they
        are saved unprotected. Formulas are recalculated, so dst carries cached results for
        ``openpyxl.load_workbook(data_only=True)``.
        """
        src, dst = Path(src).resolve(), Path(dst).resolve()
        if not src.is_file():
            raise FileNotFoundError(src)
        if not dst.parent.is_dir():
            raise FileNotFoundError(dst.parent)
        request = {
            "cmd": "fill",
            "src": str(src),
            "dst": str(dst),
            "values": _request_values(values),
            "unprotect": unprotect,
            "validate": validate,
        }
        with self._lock:
            self.start()
            assert self._proc is not None and self._proc.stdin is not None
            try:
                self._proc.stdin.write(json.dumps(request).encode() + b"\n")
            except OSError as exc:
                self._fail(f"the UNO driver is gone: {exc}")
            answer = self._read_answer(self.call_timeout, f"fill {src.name}")
        if not answer.get("ok"):
            if answer.get("form_error"):
                raise FormFillError(str(answer["error"]))
            msg = f"fill {src.name} -> {dst.name}: {answer.get('error')}\n{answer.get('traceback', '')}"
            with self._lock:
                if answer.get("soffice_exit") is not None:
                    self._fail(f"LibreOffice died (exit {answer['soffice_exit']}): {msg}")
                raise OfficeError(msg + self._logs())


_shared: Office | None = None
_shared_lock = threading.Lock()


def shared_office() -> Office:
    """The test process's one LibreOffice, started on first use, stopped when the process exits."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Office()
            atexit.register(_shared.stop)
        return _shared


def fill_and_save(src: Path, dst: Path, values: CellValues, *, unprotect: bool = False, validate: bool = True) -> None:
    """:meth:`Office.fill_and_save` on the shared LibreOffice (start-up paid once per test process)."""
    shared_office().fill_and_save(src, dst, values, unprotect=unprotect, validate=validate)


# --- soffice --convert-to: the command line, one short-lived soffice per call -----------------------

_convert_lock = threading.Lock()
_convert_dir: Path | None = None


def _convert_profile() -> Path:
    """A private profile for conversions, made once per process (a new one costs ~0.3 s each call)."""
    global _convert_dir
    if _convert_dir is None:
        _convert_dir = Path(tempfile.mkdtemp(prefix="xxgk-convert-"))
        atexit.register(shutil.rmtree, _convert_dir, True)
    return _convert_dir / "profile"


def _convert(src: Path, out_dir: Path, target: str, suffix: str, timeout: float) -> Path:
    soffice = _ensure_available()
    src, out_dir = Path(src).resolve(), Path(out_dir).resolve()
    if not src.is_file():
        raise FileNotFoundError(src)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{src.stem}{suffix}"
    if out == src:
        raise ValueError(f"{out} would overwrite the source: choose another out_dir")
    out.unlink(missing_ok=True)  # soffice exits 0 even when it wrote nothing: only a new file proves success
    with _convert_lock:  # one soffice per profile at a time, or the second forwards to the first
        profile_url = _convert_profile().as_uri()
        argv = [
            soffice,
            f"-env:UserInstallation={profile_url}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            target,
            "--outdir",
            str(out_dir),
            str(src),
        ]
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            output, _ = proc.communicate()
            raise OfficeError(
                f"soffice --convert-to {target} timed out after {timeout:.0f} s on {src}:\n"
                f"{output.decode(errors='replace')[-_TAIL:]}"
            ) from None
        finally:
            _kill_group(proc.pid)
            osl_pipes(profile_url, "")[1].unlink(missing_ok=True)  # left behind only if soffice was killed
    text = output.decode(errors="replace")
    if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        raise OfficeError(
            f"soffice --convert-to {target} of {src} wrote no {out.name} (exit {proc.returncode}):\n{text}"
        )
    return out


def to_pdf(src: Path, out_dir: Path, *, timeout: float = 120.0) -> Path:
    """Print a workbook to PDF as LibreOffice prints it (every sheet, print ranges and page setup honoured)."""
    return _convert(src, out_dir, "pdf:calc_pdf_Export", ".pdf", timeout)


def convert_to_xlsx(src: Path, out_dir: Path, *, timeout: float = 120.0) -> Path:
    """Open and re-save src as xlsx with LibreOffice: the command-line fallback, no UNO needed."""
    return _convert(src, out_dir, f"xlsx:{XLSX_FILTER}", ".xlsx", timeout)


def pdf_pages_to_png(pdf: Path, out_dir: Path, dpi: int = 60) -> list[Path]:
    """Render each PDF page to a PNG with poppler's pdftoppm (to look at, or to compare)."""
    pdf, out_dir = Path(pdf).resolve(), Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / pdf.stem

    def page(p: Path) -> int | None:
        tail = p.stem[len(pdf.stem) + 1 :]
        return int(tail) if tail.isdigit() else None

    for old in out_dir.glob(f"{glob_escape(pdf.stem)}-*.png"):
        if page(old) is not None:
            old.unlink()
    proc = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], capture_output=True, text=True, timeout=120
    )
    if proc.returncode != 0:
        raise OfficeError(f"pdftoppm failed on {pdf} (exit {proc.returncode}): {proc.stderr}")
    pages = [p for p in out_dir.glob(f"{glob_escape(pdf.stem)}-*.png") if page(p) is not None]
    return sorted(pages, key=lambda p: page(p) or 0)


def glob_escape(text: str) -> str:
    """Escape glob metacharacters of a file name (a report may be called 表[1])."""
    return re.sub(r"([*?\[])", r"[\1]", text)
