"""Every check of format-spec §6, each with a stable rule id, turned into diagnostics.

Rule ids, their severity and meaning are part of the format description (``formats.rules()``), the
stable contract of ``xxgk check --format json``; the code of each rule is registered under its id
(:mod:`xxgk.check.registry`). This module runs them: one agency-year, a body's years, a whole tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from xxgk.check.registry import Check, checks
from xxgk.data.diagnostics import Diagnostic, errors, problem
from xxgk.data.model import AgencyYear
from xxgk.data.tree import Tree, load_agency, map_agencies
from xxgk.data.yamlfile import key_lines

__all__ = ["check_agency", "check_pair", "check_year", "errors", "load_and_check", "locate"]


def _own(check: Check, found: Iterable[Diagnostic]) -> Iterator[Diagnostic]:
    """A check may report only the rules it registered: a finding under another id is a bug, not data."""
    for d in found:
        if d.rule not in check.ids:
            raise RuntimeError(f"{check.fn.__qualname__} reported rule {d.rule}, registered only for {check.ids}")
        yield d


def check_year(ay: AgencyYear) -> list[Diagnostic]:
    """Every rule that needs only this agency-year."""
    out: list[Diagnostic] = []
    for c in checks():
        if c.scope == "year":
            out.extend(_own(c, c.fn(ay)))
    return out


def check_pair(prev: AgencyYear, ay: AgencyYear) -> list[Diagnostic]:
    """Every rule between last year and this year of the same body."""
    out: list[Diagnostic] = []
    for c in checks():
        if c.scope == "pair":
            out.extend(_own(c, c.fn(prev, ay)))
    return out


def check_agency(years: Iterable[AgencyYear]) -> list[Diagnostic]:
    """Every rule for all the years of one body, in year order."""
    ordered = sorted(years, key=lambda a: a.year)
    out: list[Diagnostic] = []
    for i, ay in enumerate(ordered):
        out.extend(check_year(ay))
        if i:
            out.extend(check_pair(ordered[i - 1], ay))
    return out


def _load_and_check(directory: Path) -> tuple[list[AgencyYear], list[Diagnostic], list[Diagnostic]]:
    years, problems = load_agency(directory)
    return years, problems, check_agency(years)


def load_and_check(root: Path, agencies: Iterable[str] | None = None) -> tuple[Tree, list[Diagnostic]]:
    """Read and check a whole tree, each body in whichever worker read it (the cores share both)."""
    tree = Tree()
    findings: list[Diagnostic] = []
    if not root.is_dir():
        tree.problems.append(problem(str(root), "数据目录不存在"))
        return tree, findings
    for years, problems, found in map_agencies(_load_and_check, root, agencies):
        tree.years.extend(years)
        tree.problems.extend(problems)
        findings.extend(found)
    return tree, findings


def locate(findings: list[Diagnostic]) -> list[Diagnostic]:
    """Fill in the line of each finding's cell (parsing with positions only the files concerned)."""
    cache: dict[str, dict[tuple[str, ...], int]] = {}
    located = []
    for f in findings:
        if f.file and f.field and Path(f.file).is_file():
            lines = cache.setdefault(f.file, key_lines(Path(f.file)))
            f = f.replace(line=lines.get(tuple(f.field.split("."))))
        located.append(f)
    return located
