"""One report, end to end: papermill executes the notebook, nbconvert renders HTML, WeasyPrint the PDF.

:func:`build_artifacts` is a pure function of its parameters (plus the installed template, library
and fonts): it touches no file outside a temporary kernel connection file, reads no clock that
reaches its output, and returns bytes. That is what lets the very same call run in this process,
in a local process pool or on a Dask worker. :func:`write_report` is the only function that writes,
and it writes a report whole or not at all.

Execution lives in :mod:`xxgk.render.execute`, the exporters in :mod:`xxgk.render.exporters`, the
template files in :mod:`xxgk.render.templates` and the names of what is written in
:mod:`xxgk.render.outputs`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from xxgk.data import model
from xxgk.render import execute as execution
from xxgk.render import outputs
from xxgk.render.execute import RenderError, document_id, serialize
from xxgk.report import Options

__all__ = ["Artifacts", "RenderError", "build_artifacts", "check_parameters", "write_report"]

PARAMETER_NAMES = ("agency_year", "history", "findings", "options")


@dataclass(frozen=True)
class Artifacts:
    """The files of one report, as bytes by file name, and how long each stage took (seconds)."""

    files: dict[str, bytes]
    timings: dict[str, float] = field(default_factory=dict, compare=False)

    def __getitem__(self, name: str) -> bytes:
        return self.files[name]


# --- parameters ----------------------------------------------------------------------------------


def check_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The four notebook parameters, checked in this process so a bad call fails before a kernel starts."""
    missing = [k for k in ("agency_year",) if k not in parameters]
    unknown = sorted(set(parameters) - set(PARAMETER_NAMES))
    if missing or unknown:
        raise ValueError(f"render parameters: missing {missing}, unknown {unknown}; expected {PARAMETER_NAMES}")
    out = {
        "agency_year": parameters["agency_year"],
        "history": list(parameters.get("history") or []),
        "findings": [dict(f) for f in parameters.get("findings") or []],
        "options": Options.from_dict(parameters.get("options")).to_dict(),
    }
    for f in out["findings"]:
        if not {"rule", "severity", "message"} <= set(f):
            raise ValueError(f"a finding needs rule, severity and message: {f!r}")
    model.from_dict(out["agency_year"])  # the shape papermill will inject must be readable
    return out


# --- the whole report ----------------------------------------------------------------------------


@contextlib.contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = round(time.perf_counter() - start, 4)


def _warm_exporters_in_background() -> threading.Thread:
    """Import nbconvert and WeasyPrint and load the CJK faces while the kernel works.

    The parent process is idle while the kernel runs (it only waits on ZeroMQ), and on a cold
    process these loads take about a second that would otherwise come after execution.
    """

    def work() -> None:
        with contextlib.suppress(Exception):  # a real failure will surface, with context, later
            from xxgk.render import exporters

            exporters.warm_up()

    thread = threading.Thread(target=work, name="xxgk-warm-exporters", daemon=True)
    thread.start()
    return thread


def build_artifacts(
    parameters: Mapping[str, Any],
    *,
    timeout: float = 120,
    kernel_manager: Any = None,
    template: Path | NotebookNode | None = None,
) -> Artifacts:
    """Execute the report notebook with ``parameters`` and export it; return every artifact as bytes.

    ``parameters``: ``agency_year`` (``model.to_dict``), ``history`` (earlier years of the same
    body, oldest first), ``findings`` (dicts with at least rule, severity, message) and
    ``options`` (see :class:`xxgk.report.Options`). ``timeout`` bounds the whole execution.
    The artifacts are the executed notebook and one file per registered exporter
    (:func:`xxgk.render.outputs.exporters`), each exporter getting what the earlier ones made
    (the PDF is printed from the very HTML the report page is).
    Raises :class:`RenderError` when a stage fails and ``ValueError`` for malformed parameters.
    """
    params = check_parameters(parameters)
    timings: dict[str, float] = {}
    warm = _warm_exporters_in_background()
    with _timed(timings, "execute"):
        nb = execution.execute(params, timeout=timeout, kernel_manager=kernel_manager, template=template)
    ipynb = serialize(nb)
    warm.join()
    files: dict[str, bytes] = {outputs.NOTEBOOK: ipynb}
    made: dict[str, Any] = {"document_id": document_id(params)}
    for kind in outputs.exporters():
        with _timed(timings, kind.stage):
            try:
                files[kind.artifact] = kind.export(nb, made)
            except Exception as e:
                raise RenderError(kind.stage, type(e).__name__, str(e), ipynb=ipynb) from e
    return Artifacts(files=files, timings=timings)


def write_report(artifacts: Artifacts, out_dir: Path) -> None:
    """Put the report's files in ``out_dir`` whole: all new, or (on any failure) the old ones untouched."""
    from xxgk.data.atomic import publish

    publish(artifacts.files, Path(out_dir))
