"""What a build must do: one target per agency-year, keyed by a hash of everything it reads.

The key is computed from bytes, never from parsed data, so deciding that nothing changed costs a
file read and a hash per input (a no-op rebuild of a thousand reports stays well under a second).
What a report reads: the notebook template, its own data file and every earlier year of the same
body (they appear in its trends and its cross-year checks), the body's agency.yaml, the code of
xxgk itself, the versions of the libraries that shape its bytes, the fonts, and the render options.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import xxgk
from xxgk.data import tree
from xxgk.data.diagnostics import InputError

KEY_VERSION = 1
# Libraries whose version can change a report's bytes.
LIBRARIES = (
    "papermill",
    "nbconvert",
    "nbformat",
    "nbclient",
    "weasyprint",
    "matplotlib",
    "pandas",
    "jinja2",
    "markdown-it-py",
    "nh3",
    "ipykernel",
    "pydyf",
    "fonttools",
)
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"),)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.cache
def code_digest() -> str:
    """The package's own source, format description and templates: a code change rebuilds."""
    root = Path(resources.files("xxgk"))  # type: ignore[arg-type]
    h = hashlib.sha256(xxgk.__version__.encode())
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in {".py", ".yaml", ".j2", ".css", ".json", ".tpl", ".html"}:
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


@functools.cache
def library_versions() -> dict[str, str]:
    """Versions that shape a report's bytes: the executed notebook records Python's; Pillow writes
    the charts; papermill reformats the injected cell when black is installed."""
    out = {"python": sys.version}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


@functools.cache
def font_digest() -> str:
    """Which CJK font files are installed (names and sizes: a package upgrade changes them)."""
    h = hashlib.sha256()
    for d in FONT_DIRS:
        if d.is_dir():
            for p in sorted(d.glob("*CJK*")):
                h.update(f"{p.name}:{p.stat().st_size}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Target:
    """One report to build, and the hash of every input it reads."""

    agency: str
    year: int
    data: Path
    history: tuple[Path, ...]
    inputs: dict[str, str] = field(compare=False)
    key: str

    @property
    def name(self) -> str:
        return f"{self.agency}/{self.year}"


def _input_hashes(files: dict[str, Path], common: dict[str, str]) -> dict[str, str]:
    out = dict(common)
    for label, p in files.items():
        try:
            # Read as the loader reads it: a symlink out of params/, a FIFO or a huge file is never opened.
            out[label] = sha256(tree.read_data(p))
        except (OSError, InputError):  # missing or unreadable: the load step names it, the report fails alone
            out[label] = "unreadable"
    return out


def common_inputs(template: Path, options: dict[str, Any]) -> dict[str, str]:
    return {
        "template": sha256(template.read_bytes()),
        "xxgk": code_digest(),
        "libraries": sha256(json.dumps(library_versions(), sort_keys=True).encode()),
        "fonts": font_digest(),
        "options": sha256(json.dumps(options, sort_keys=True).encode()),
        "key_version": str(KEY_VERSION),
    }


def targets(
    params: Path,
    template: Path,
    options: dict[str, Any],
    agencies: list[str] | None = None,
    years: list[int] | None = None,
) -> list[Target]:
    """Every agency-year under ``params`` (or the selection), with its content key."""
    for a in agencies or []:
        tree.check_agency_id(a)
    common = common_inputs(template, options)
    out: list[Target] = []
    for d in tree.agency_dirs(params):
        if (agencies and d.name not in agencies) or not tree.AGENCY_ID.fullmatch(d.name):
            continue  # a folder that is no agency id is reported by ``misnamed``, not built
        files = tree.year_files(d)
        agency_file = tree.agency_file(d)
        for i, (year, path) in enumerate(files):
            if years and year not in years:
                continue
            history = tuple(p for _, p in files[:i])
            named = {agency_file.name: agency_file, path.name: path, **{p.name: p for p in history}}
            inputs = _input_hashes(named, common)
            key = sha256(json.dumps(inputs, sort_keys=True).encode())
            out.append(Target(d.name, year, path, history, inputs, key))
    return out
