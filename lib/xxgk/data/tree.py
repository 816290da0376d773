"""The params tree: the only code that knows ``params/<agency-id>/agency.yaml``, ``<year>.yaml`` and ``region.yaml``.

Everything else asks this module for a body's folder, its year files, a year's path or the regions'
folders, so the layout (and the policy for names that are no agency id) is decided in one place. A
folder may hold a body (agency.yaml and year files), a region (region.yaml: a government collecting
its bodies' reports), or both: a government that reports itself and collects the others. Reading a whole
tree is spread over the cores when it is large: parsing YAML is all Python.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from xxgk.data.diagnostics import EXCERPT_CHARS, Diagnostic, InputError, excerpt, problem
from xxgk.data.model import Agency, AgencyYear
from xxgk.data.yamlfile import YEAR_FILE_NAME, decode, parse_agency, parse_year, read_bytes, shown_path

AGENCY_ID_MAX = 64
"""The longest agency id: it names a folder and is part of every file name under it and of URLs."""
AGENCY_ID = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{AGENCY_ID_MAX - 1}}}")
AGENCY_ID_RULE = (
    f"机关标识只能由小写字母、数字和连字符组成，以字母或数字开头，最长 {AGENCY_ID_MAX} 个字符（如 lanzhou-xinqu-audit）"
)
YEAR_FILE = re.compile(r"(\d{4})\.yaml")
AGENCY_FILE = "agency.yaml"
REGION_FILE = "region.yaml"
"""A government's list of the bodies it collects reports from (:mod:`xxgk.data.regions` reads it)."""
_NOT_DATA = frozenset({AGENCY_FILE, REGION_FILE})


def check_agency_id(agency_id: str) -> None:
    """Refuse ids that could escape ``params/`` or ``outputs/``, break a URL, or be too long for a file name.

    The bound is in :data:`AGENCY_ID` itself, so every place that matches ids (stray folders in a
    build included) applies the same one; a 300-character id would otherwise reach the file
    system as ``File name too long``.
    """
    if not AGENCY_ID.fullmatch(agency_id):
        shown = agency_id if agency_id.isprintable() and len(agency_id) <= EXCERPT_CHARS else excerpt(agency_id)
        raise InputError([problem(shown, AGENCY_ID_RULE, field="agency_id", value=agency_id)])


def agency_dir(root: Path, agency_id: str) -> Path:
    return root / agency_id


def agency_file(directory: Path) -> Path:
    return directory / AGENCY_FILE


def region_file(directory: Path) -> Path:
    return directory / REGION_FILE


def year_path(root: Path, agency_id: str, year: int) -> Path:
    return root / agency_id / f"{year}.yaml"


def year_of(path: Path) -> int | None:
    """The report year a data file's name states, or None when the name is not ``<YYYY>.yaml``."""
    m = YEAR_FILE.fullmatch(path.name)
    return int(m.group(1)) if m else None


def year_files(directory: Path) -> list[tuple[int, Path]]:
    """A body's data files, oldest year first (none for a folder that links out of ``params/``:
    it is not even listed; reading it names it)."""
    try:
        _real_folder(directory)
    except InputError:
        return []
    return sorted((y, p) for p in directory.glob("*.yaml") if (y := year_of(p)) is not None)


def data_files(directory: Path) -> list[Path]:
    """Every YAML file of a body but its agency.yaml and region.yaml: a misnamed one is named, not skipped."""
    return sorted(p for p in directory.glob("*.yaml") if p.name not in _NOT_DATA)


def _folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def region_only(directory: Path) -> bool:
    """Whether a folder is a region and nothing else: a region.yaml, and neither agency.yaml nor data files.

    Such a folder is no body with its agency.yaml missing; a folder with data files but no agency.yaml
    still is one (its data cannot be read without it), region.yaml or not.
    """
    return (
        os.path.lexists(region_file(directory))
        and not os.path.lexists(agency_file(directory))
        and not data_files(directory)
    )


def agency_dirs(root: Path) -> list[Path]:
    """The folders under ``root`` that hold a body (or should: one without agency.yaml is named when read)."""
    return [d for d in _folders(root) if not region_only(d)]


def region_dirs(root: Path) -> list[Path]:
    """The folders under ``root`` that hold a region.yaml, a body's folder or not, by name."""
    return [d for d in _folders(root) if os.path.lexists(region_file(d))]


def misnamed(root: Path) -> list[Path]:
    """Folders under params/ whose name is no agency id: named in a build's log, never read.

    A region-only folder with such a name is named by :func:`xxgk.data.regions.load_regions`."""
    return [d for d in agency_dirs(root) if not AGENCY_ID.fullmatch(d.name)]


# --- reading: nothing under params/ is opened unless it is a regular file that really lies there --


def _inside(link: Path, root: Path) -> Path:
    """Where a symlink under ``root`` really leads; refused (InputError) when that is outside ``root``.

    Only a path that is itself a symlink is resolved: a plain file in a plain folder is where it
    is, so the usual tree costs one ``lstat`` per name and no resolution at all.
    """
    try:
        real, base = link.resolve(), root.resolve()
    except (OSError, RuntimeError):  # a loop of symlinks
        raise InputError([problem(shown_path(link), "符号链接无法解析（可能指向它自己），未读取")]) from None
    if not real.is_relative_to(base):
        target = shown_path(real)  # a path, not content: shown whole unless absurdly long
        target = target if len(target) <= 300 else target[:300] + "…"
        raise InputError([problem(shown_path(link), f"符号链接指向数据目录之外，未读取（指向 {target}）")])
    return real


def _real_folder(directory: Path) -> Path:
    """The path to read an agency folder's files through; refused when it links out of ``params/``
    (before it is even listed, so no file of it is opened)."""
    return _inside(directory, directory.parent) if directory.is_symlink() else directory


def _read_in(path: Path, folder: Path) -> bytes:
    """The bytes of a file of a vetted agency folder, following a symlink only if it stays in ``params/``."""
    real = _inside(path, path.parent.parent) if path.is_symlink() else folder / path.name
    return read_bytes(path, real)


def read_data(path: Path) -> bytes:
    """The bytes of a file of ``params/<agency-id>/`` (a data file, agency.yaml or region.yaml), as read.

    Refused (InputError) when the file or its folder is a symlink that leads out of ``params/``,
    when it is no regular file (a FIFO would block forever) or when it is too large; the target
    of a refused link is never opened. Whatever hashes inputs reads them through here too.
    """
    return _read_in(path, _real_folder(path.parent))


def _agency(directory: Path, folder: Path) -> Agency:
    agency_id = directory.name
    check_agency_id(agency_id)
    path = agency_file(directory)
    if not os.path.lexists(path):
        raise InputError([problem(shown_path(path), "缺少机关信息文件 agency.yaml（name、level、parent）")])
    return parse_agency(decode(_read_in(path, folder), path), path, agency_id)


def _year(path: Path, agency: Agency, folder: Path, blanks: set[tuple[str, str, str]] | None = None) -> AgencyYear:
    year = year_of(path)
    if year is None:
        raise InputError([problem(shown_path(path), YEAR_FILE_NAME, value=path.name)])
    return parse_year(decode(_read_in(path, folder), path), path, agency, year, blanks=blanks)


def read_agency(directory: Path) -> Agency:
    """Read and validate a body's ``agency.yaml``; raise InputError naming every problem in it."""
    return _agency(directory, _real_folder(directory))


def read_year(path: Path, agency: Agency, *, blanks: set[tuple[str, str, str]] | None = None) -> AgencyYear:
    """Read and validate one ``<year>.yaml``; raise InputError naming every problem in it.

    With ``blanks`` (a set to fill), a draft's empty cells are read as 0 and named there
    (:func:`xxgk.data.yamlfile.parse_year`)."""
    return _year(path, agency, _real_folder(path.parent), blanks)


@dataclass
class Tree:
    """Everything readable under ``params/``, and what could not be read."""

    years: list[AgencyYear] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)

    def by_agency(self) -> dict[str, list[AgencyYear]]:
        out: dict[str, list[AgencyYear]] = {}
        for ay in sorted(self.years, key=lambda a: (a.agency.id, a.year)):
            out.setdefault(ay.agency.id, []).append(ay)
        return out


def load_agency(directory: Path) -> tuple[list[AgencyYear], list[Diagnostic]]:
    """Every year of one body (its agency.yaml first), and the problems of what could not be read."""
    try:
        folder = _real_folder(directory)
        agency = _agency(directory, folder)
    except InputError as e:
        return [], e.problems
    years: list[AgencyYear] = []
    problems: list[Diagnostic] = []
    for path in data_files(directory):
        try:
            years.append(_year(path, agency, folder))
        except InputError as e:
            problems.extend(e.problems)
    return years, problems


# Below this many agencies one process is faster than starting a pool; above it, parsing YAML
# (about 1.5 ms a file, all of it in Python) is worth spreading over the cores.
PARALLEL_FROM = 64

T = TypeVar("T")


def map_agencies(fn: Callable[[Path], T], root: Path, agencies: Iterable[str] | None = None) -> list[T]:
    """``fn`` over each agency folder under ``root``, spread over the cores for a large tree.

    ``fn`` must be a module-level function (it is sent to worker processes by reference).
    """
    wanted = None if agencies is None else set(agencies)
    dirs = [d for d in agency_dirs(root) if wanted is None or d.name in wanted]
    workers = min(os.cpu_count() or 1, 8)
    if len(dirs) < PARALLEL_FROM or workers < 2:
        return [fn(d) for d in dirs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, len(dirs) // (workers * 4))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(fn, dirs, chunksize=chunk))


def load_tree(root: Path, agencies: Iterable[str] | None = None) -> Tree:
    """Read every agency-year under ``root`` (or of the named agencies), collecting unreadable files."""
    tree = Tree()
    if not root.is_dir():
        tree.problems.append(problem(str(root), "数据目录不存在"))
        return tree
    for years, problems in map_agencies(load_agency, root, agencies):
        tree.years.extend(years)
        tree.problems.extend(problems)
    return tree


def select(paths: Sequence[str], params: Path) -> tuple[Path, set[str] | None, set[Path] | None]:
    """The data folder to read, the agencies in it to load, and the files to report on.

    A selected year is checked together with its body's other years (for the cross-year rules),
    but only the selected files' findings are reported.
    """
    if not paths:
        return params, None, None
    roots: set[Path] = set()
    agencies: set[str] = set()
    files: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir() and region_only(p):
            roots.add(p.parent)  # a region's folder holds no data of its own to check
        elif p.is_dir() and agency_file(p).is_file():
            roots.add(p.parent)
            agencies.add(p.name)
            files.update(q.resolve() for q in [agency_file(p), *data_files(p)] if q.exists())
        elif p.is_dir():
            roots.add(p)
            agencies.update(d.name for d in agency_dirs(p))
            files.update(q.resolve() for d in agency_dirs(p) for q in [agency_file(d), *data_files(d)] if q.exists())
        else:
            roots.add(p.parent.parent)
            agencies.add(p.parent.name)
            files.add(p.resolve())
    if len({r.resolve() for r in roots}) > 1:
        raise InputError([problem(", ".join(paths), "所给路径不在同一个数据目录下")])
    return roots.pop(), agencies, files
