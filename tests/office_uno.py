"""The UNO side of tests/office.py: run by Debian's /usr/bin/python3, never imported by the test suite.

Why a separate script: the project's venv Python is a pyenv build, and LibreOffice's Python bridge
(``python3-uno``) is compiled for Debian's own interpreter, so only ``/usr/bin/python3`` can
``import uno``. tests/office.py starts this script once per session; the script starts headless
LibreOffice with a private profile, connects to it over a named pipe, then answers requests.

Protocol: one JSON object per line. The first line on stdout is the start-up answer
(``{"ok": true, "ready": true, "soffice_pid": N}``), then one answer per request read from stdin.
An answer is ``{"ok": true, ...}`` or ``{"ok": false, "error": "...", "traceback": "..."}``.
Requests: ``{"cmd": "fill", "src": path, "dst": path, "values": [[sheet, ref, value], ...],
"unprotect": bool, "validate": bool}`` and ``{"cmd": "quit"}``.

No orphans: LibreOffice runs in a process group of its own that this script kills when it ends,
whether by ``quit``, end of stdin (the test process is gone), SIGTERM, or the death of its parent
(PR_SET_PDEATHSIG, so even a SIGKILLed pytest takes LibreOffice down with it).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import hashlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import uno  # Debian's python3-uno: only /usr/bin/python3 has it
from com.sun.star.beans import PropertyValue

PR_SET_PDEATHSIG = 1
XLSX_FILTER = "Calc MS Excel 2007 XML"


class FormError(Exception):
    """A request a user could not carry out in the office suite (locked cell, unknown sheet...)."""


def _props(**kw: Any) -> tuple[Any, ...]:
    out = []
    for name, value in kw.items():
        p = PropertyValue()
        p.Name = name
        p.Value = value
        out.append(p)
    return tuple(out)


class Soffice:
    """One headless LibreOffice and the UNO connection to it."""

    def __init__(self, soffice: str, profile_url: str, pipe_name: str, log: Path, work_dir: Path) -> None:
        self.pipe_name = pipe_name
        self.profile_url = profile_url
        self.work_dir = work_dir
        self._log = log.open("ab")
        argv = [
            soffice,
            f"-env:UserInstallation={profile_url}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"--accept=pipe,name={pipe_name};urp;StarOffice.ComponentContext",
        ]
        # process_group=0: a group of its own (oosplash and the soffice.bin it forks), killed whole at the end.
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, process_group=0
        )
        # For the caller, in case this script hangs and is killed before it says "ready".
        (work_dir / "soffice.pid").write_text(str(self.proc.pid))
        self.desktop: Any = None

    def connect(self, timeout: float) -> None:
        """Wait until LibreOffice accepts on the pipe (first start with a new profile takes a few seconds)."""
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        url = f"uno:pipe,name={self.pipe_name};urp;StarOffice.ComponentContext"
        deadline = time.monotonic() + timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                raise RuntimeError(f"soffice exited with code {code} during start-up")
            try:
                ctx = resolver.resolve(url)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"soffice did not accept UNO connections within {timeout:.0f} s") from None
                time.sleep(0.05)
        self.desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

    def kill(self) -> None:
        """Ask LibreOffice to quit, kill its process group whatever it did, remove its pipe sockets."""
        if self.desktop is not None:
            # terminate() usually "fails" with DisposedException: the bridge dies with the office.
            with contextlib.suppress(Exception):
                self.desktop.terminate()
            self.desktop = None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        deadline = time.monotonic() + 5  # soffice.bin is oosplash's child, not ours: watch its group
        while _group_alive(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        for sock in osl_pipes(self.profile_url, self.pipe_name):
            sock.unlink(missing_ok=True)
        self._log.close()


def _group_alive(pgid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] not in {"Z", "X"}:
                return True
    return False


def osl_pipes(profile_url: str, pipe_name: str) -> list[Path]:
    """The Unix sockets a soffice leaves in /tmp when it is killed (a clean exit removes them itself).

    One for ``--accept=pipe,name=...``, and LibreOffice's single-instance pipe, named after the MD5 of
    the profile URL in UTF-16, bytes in hex without zero padding (desktop/source/app/officeipcthread.cxx).
    Same code as tests/office.py's, which the venv cannot share with this interpreter.
    """
    digest = hashlib.md5(profile_url.encode("utf-16-le")).digest()
    ipc = "SingleOfficeIPC_" + "".join(format(b, "x") for b in digest)
    return [Path("/tmp") / f"OSL_PIPE_{os.getuid()}_{name}" for name in (pipe_name, ipc)]


def _check_value(value: object) -> float | str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FormError(f"unsupported value {value!r}: int, float or str only")
    if isinstance(value, float) and not math.isfinite(value):
        raise FormError(f"unsupported value {value!r}: a user cannot type it")
    return value if isinstance(value, str) else float(value)


def fill(office: Soffice, req: dict[str, Any]) -> dict[str, Any]:
    """Open a private copy of src, type the values, recalculate, save as xlsx, then move it to dst.

    The copy keeps LibreOffice's lock file (``.~lock.NAME#``) out of the caller's folder: a lock left
    behind by a killed soffice makes the next load of that path return None, silently.
    """
    started = time.monotonic()
    src, dst = req["src"], req["dst"]
    work = Path(tempfile.mkdtemp(prefix="fill-", dir=office.work_dir))
    try:
        copy = work / ("in" + Path(src).suffix)
        shutil.copyfile(src, copy)
        out = work / "out.xlsx"
        doc = office.desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(str(copy)),
            "_blank",
            0,
            _props(Hidden=True, MacroExecutionMode=0, UpdateDocMode=0),  # NEVER_EXECUTE, NO_UPDATE of links
        )
        if doc is None:  # no exception, no message: a file it cannot read, or a dialog it could not show
            raise RuntimeError(f"LibreOffice could not open {src} (not a spreadsheet it can read?)")
        try:
            typed = _type_values(doc, src, req["values"], req["unprotect"])
            if req["validate"]:
                _check_validation(typed)
            doc.calculateAll()
            doc.storeToURL(uno.systemPathToFileUrl(str(out)), _props(FilterName=XLSX_FILTER, Overwrite=True))
        finally:
            doc.close(True)
        tmp = Path(dst).with_name(f".{Path(dst).name}.{os.getpid()}.tmp")
        try:
            shutil.copyfile(out, tmp)
            os.replace(tmp, dst)  # dst is whole or untouched, never half written
        finally:
            tmp.unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"seconds": round(time.monotonic() - started, 3)}


def _type_values(
    doc: Any, src: str, values: list[list[Any]], unprotect: bool
) -> list[tuple[str, Any, tuple[Any, Any]]]:
    """Type each value into its cell, once every cell is known to be one a user could type into."""
    sheets = doc.Sheets
    # Check every cell before changing any: a refused request must not leave half a fill behind.
    plan = []
    for sheet_name, ref, raw in values:
        if not sheets.hasByName(sheet_name):
            raise FormError(f"no sheet {sheet_name!r} in {src}; sheets: {list(sheets.ElementNames)}")
        sheet = sheets.getByName(sheet_name)
        value = _check_value(raw)
        cell = sheet.getCellRangeByName(ref)
        addr = cell.getCellAddress()
        cursor = sheet.createCursorByRange(cell)
        cursor.collapseToMergedArea()
        area = cursor.getRangeAddress()
        if (area.StartColumn, area.StartRow) != (addr.Column, addr.Row):
            raise FormError(f"{sheet_name}!{ref} is inside a merged range: a user types into its top-left cell")
        if sheet.isProtected() and cell.CellProtection.IsLocked and not unprotect:
            # The API itself would write here (XCell.setValue/setString ignore protection):
            # refuse, because a user of the office suite could not.
            raise FormError(
                f"{sheet_name}!{ref} is locked on a protected sheet: a user could not type there "
                "(unprotect=True simulates a user who removed the sheet protection)"
            )
        plan.append((sheet_name, ref, cell, value))
    if unprotect:
        for sheet_name in sorted({name for name, _, _, _ in plan}):
            sheet = sheets.getByName(sheet_name)
            if sheet.isProtected():
                sheet.unprotect("")  # raises IllegalArgumentException if a password is set
    for _, _, cell, value in plan:
        if isinstance(value, str):
            cell.setString(value)  # text stays text, even "12" or "=1+1"
        else:
            cell.setValue(value)
    return [(f"{name}!{ref}", value, (sheets.getByName(name), cell)) for name, ref, cell, value in plan]


def _check_validation(typed: list[tuple[str, Any, tuple[Any, Any]]]) -> None:
    """Refuse values that the cell's data validation would refuse a user who types them.

    The API writes anything (validation is checked by the input line, not by XCell). LibreOffice's own
    rule engine is reached through Tools > Detective > Mark Invalid Data (XSheetAuditing.showInvalid):
    it circles each invalid cell with an ellipse on the drawing page, found here by the cell's centre,
    then removed again (clearArrows) so the saved file has no trace of it. Only rules that stop a
    user count: "stop" style with the error alert on; a warning or information alert lets the value in,
    and so does a rule whose alert is off (openpyxl's DataValidation default, showErrorMessage=False).
    """
    by_sheet: dict[str, tuple[Any, list[tuple[str, Any, Any]]]] = {}
    for where, value, (sheet, cell) in typed:
        rule = cell.Validation
        if rule.ShowErrorMessage and rule.ErrorAlertStyle.value == "STOP" and rule.Type.value != "ANY":
            by_sheet.setdefault(sheet.Name, (sheet, []))[1].append((where, value, cell))
    refused = []
    for sheet, cells in by_sheet.values():
        sheet.clearArrows()
        sheet.showInvalid()
        page = sheet.DrawPage
        circles = [
            (s.Position.X, s.Position.Y, s.Position.X + s.Size.Width, s.Position.Y + s.Size.Height)
            for s in (page.getByIndex(i) for i in range(page.Count))
            if s.ShapeType == "com.sun.star.drawing.EllipseShape"
        ]
        sheet.clearArrows()
        for where, value, cell in cells:
            x = cell.Position.X + cell.Size.Width / 2
            y = cell.Position.Y + cell.Size.Height / 2
            if any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in circles):
                message = cell.Validation.ErrorMessage
                refused.append(f"{where} = {value!r}" + (f" ({message})" if message else ""))
    if refused:
        raise FormError(
            "refused by data validation, as the office suite would refuse a user typing it: "
            + "; ".join(refused)
            + " (validate=False simulates pasting, which skips validation)"
        )


def _answer(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")  # ASCII: whatever the locale's encoding of stdout
    sys.stdout.flush()


def _error(exc: BaseException) -> dict[str, Any]:
    # UNO exceptions often carry an empty message; the type name and traceback still say what failed.
    return {
        "ok": False,
        "error": f"{type(exc).__name__}: {exc}".rstrip(": "),
        "form_error": isinstance(exc, FormError),
        "traceback": traceback.format_exc(),
    }


def main() -> int:
    """Start LibreOffice, serve requests until quit or end of input, always kill LibreOffice at the end."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--soffice", required=True)
    ap.add_argument("--profile-url", required=True)
    ap.add_argument("--pipe-name", required=True)
    ap.add_argument("--log", required=True, type=Path)
    ap.add_argument("--work-dir", required=True, type=Path)
    ap.add_argument("--startup-timeout", type=float, default=60.0)
    args = ap.parse_args()

    # The death signal fires when the thread that started us ends: a LibreOffice started from a worker
    # thread of the tests goes with that thread (tests/office.py then starts a new one when needed).
    parent = os.getppid()
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl took effect
        return 1

    office = Soffice(args.soffice, args.profile_url, args.pipe_name, args.log, args.work_dir)

    def orphaned() -> None:
        """The test process is gone without stopping us: nobody else will remove the private folder."""
        office.kill()
        shutil.rmtree(args.work_dir, ignore_errors=True)

    def on_term(signum: int, _frame: object) -> None:
        orphaned()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    try:
        try:
            office.connect(args.startup_timeout)
        except Exception as exc:
            _answer(_error(exc))
            return 1
        _answer({"ok": True, "ready": True, "soffice_pid": office.proc.pid})
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                if req["cmd"] == "quit":
                    _answer({"ok": True})
                    break
                if req["cmd"] == "fill":
                    _answer({"ok": True, **fill(office, req)})
                else:
                    raise ValueError(f"unknown command {req['cmd']!r}")
            except Exception as exc:
                # soffice_exit tells the caller whether LibreOffice itself died (then it starts a new one).
                _answer({**_error(exc), "soffice_exit": office.proc.poll()})
        else:
            orphaned()  # end of input without "quit"
    finally:
        office.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
