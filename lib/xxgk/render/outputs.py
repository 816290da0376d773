"""What a build writes and where: the one module that knows the outputs layout and the artifacts.

``outputs/<agency>/<year>/`` holds the executed notebook, one file per registered exporter and the
manifest; ``outputs/`` itself the reviewer index and the build lock. The exporters are nbconvert
exporters found through the ``nbconvert.exporters`` entry points: a new output format is one
exporter class (with ``xxgk_artifact`` and ``xxgk_stage``) plus one entry-point line in
``pyproject.toml``, and every build, manifest, index and ``verify`` picks it up from here.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

NOTEBOOK = "report.ipynb"
MANIFEST = "manifest.json"
INDEX_HTML = "index.html"
INDEX_JSON = "index.json"
LOCK = ".xxgk-build.lock"
ENTRY_POINTS = "nbconvert.exporters"
PREFIX = "xxgk_"
"""Entry points named ``xxgk_*`` whose class names an ``xxgk_artifact`` are report outputs."""


@dataclass(frozen=True)
class ExporterKind:
    """A registered report exporter: the file it writes, the stage name its timing goes under."""

    name: str
    artifact: str
    label: str
    stage: str
    order: int
    export: Callable[[NotebookNode, dict[str, Any]], bytes]


def _exporter_call(cls: type[Any]) -> Callable[[NotebookNode, dict[str, Any]], bytes]:
    """One exporter instance per process, shared under a lock (building one compiles its templates)."""
    lock = threading.Lock()
    holder: list[Any] = []

    def export(nb: NotebookNode, made: dict[str, Any]) -> bytes:
        with lock:
            if not holder:
                holder.append(cls())
            body, _ = holder[0].from_notebook_node(nb, {"xxgk": made})
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        made[cls.xxgk_artifact] = body
        return data

    return export


@functools.cache
def exporters() -> tuple[ExporterKind, ...]:
    """Every installed report exporter, in the order they run (an exporter may reuse earlier output)."""
    kinds = []
    seen: set[str] = set()
    for ep in metadata.entry_points(group=ENTRY_POINTS):
        # The first distribution on the path wins, as for imports (an environment may see two copies).
        if not ep.name.startswith(PREFIX) or ep.name in seen:
            continue
        seen.add(ep.name)
        cls = ep.load()
        artifact = getattr(cls, "xxgk_artifact", None)
        if artifact:
            kinds.append(
                ExporterKind(ep.name, artifact, cls.xxgk_label, cls.xxgk_stage, cls.xxgk_order, _exporter_call(cls))
            )
    if not kinds:
        raise RuntimeError("no xxgk exporter is registered: is the package installed (pip install -e .)?")
    return tuple(sorted(kinds, key=lambda k: k.order))


def artifacts() -> tuple[str, ...]:
    """The files of a report a reader opens: the executed notebook first, then each exporter's."""
    return (NOTEBOOK, *(k.artifact for k in exporters()))


def artifact_labels() -> dict[str, str]:
    """Artifact → how the index names its link, in the order of :func:`artifacts`."""
    return {k.artifact: k.label for k in exporters()} | {NOTEBOOK: "Notebook"}


def report_dir(outputs: Path, agency: str, year: int) -> Path:
    return outputs / agency / str(year)


def report_name(agency: str, year: int) -> str:
    """How the index and the manifests refer to a report (relative to outputs/, never a machine path)."""
    return f"{agency}/{year}"
