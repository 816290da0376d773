"""The params tree: the only code that knows ``params/<agency-id>/agency.yaml`` and ``<year>.yaml``.

Everything else asks this module for a body's folder, its year files or a year's path, so the
layout (and the policy for names that are no agency id) is decided in one place. Reading a whole
tree is spread over the cores when it is large: parsing YAML is all Python.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from xxgk.data.diagnostics import Diagnostic, InputError, problem
from xxgk.data.model import Agency, AgencyYear
from xxgk.data.yamlfile import YEAR_FILE_NAME, parse_agency, parse_year, read_text

AGENCY_ID = re.compile(r"[a-z0-9][a-z0-9-]*")
YEAR_FILE = re.compile(r"(\d{4})\.yaml")
AGENCY_FILE = "agency.yaml"


def check_agency_id(agency_id: str) -> None:
    """Refuse ids that could escape ``params/`` or ``outputs/`` or break a URL."""
    if not AGENCY_ID.fullmatch(agency_id):
        raise InputError(
            [
                problem(
                    agency_id,
                    "机关标识只能由小写字母、数字和连字符组成，且以字母或数字开头（如 lanzhou-xinqu-audit）",
                    field="agency_id",
                    value=agency_id,
                )
            ]
        )


def agency_dir(root: Path, agency_id: str) -> Path:
    return root / agency_id


def agency_file(directory: Path) -> Path:
    return directory / AGENCY_FILE


def year_path(root: Path, agency_id: str, year: int) -> Path:
    return root / agency_id / f"{year}.yaml"


def year_of(path: Path) -> int | None:
    """The report year a data file's name states, or None when the name is not ``<YYYY>.yaml``."""
    m = YEAR_FILE.fullmatch(path.name)
    return int(m.group(1)) if m else None


def year_files(directory: Path) -> list[tuple[int, Path]]:
    """A body's data files, oldest year first."""
    return sorted((y, p) for p in directory.glob("*.yaml") if (y := year_of(p)) is not None)


def data_files(directory: Path) -> list[Path]:
    """Every YAML file of a body but its agency.yaml: a misnamed one is named, not skipped."""
    return sorted(p for p in directory.glob("*.yaml") if p.name != AGENCY_FILE)


def agency_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def misnamed(root: Path) -> list[Path]:
    """Folders under params/ whose name is no agency id: named in a build's log, never read."""
    return [d for d in agency_dirs(root) if not AGENCY_ID.fullmatch(d.name)]


def read_agency(directory: Path) -> Agency:
    agency_id = directory.name
    check_agency_id(agency_id)
    path = agency_file(directory)
    if not path.is_file():
        raise InputError([problem(str(path), "缺少机关信息文件 agency.yaml（name、level、parent）")])
    return parse_agency(read_text(path), path, agency_id)


def read_year(path: Path, agency: Agency) -> AgencyYear:
    """Read and validate one ``<year>.yaml``; raise InputError naming every problem in it."""
    year = year_of(path)
    if year is None:
        raise InputError([problem(str(path), YEAR_FILE_NAME, value=path.name)])
    return parse_year(read_text(path), path, agency, year)


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
        agency = read_agency(directory)
    except InputError as e:
        return [], e.problems
    years: list[AgencyYear] = []
    problems: list[Diagnostic] = []
    for path in data_files(directory):
        try:
            years.append(read_year(path, agency))
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
