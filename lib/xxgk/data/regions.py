"""Regions: a government and the bodies whose reports it collects, and who of them reported, on time or not.

Each government's 政务公开办 collects its bodies' reports every January and publishes a summary by
31 March. Who it collects from is data (``params/<region-id>/region.yaml``, :class:`~xxgk.data.model.RegionInfo`):
listed ids and/or every body whose agency.yaml names the government as parent. This module resolves that
list against the tree, refuses what cannot be meant (an id that is no body, named with the closest one),
and finds a body counted twice in one scope (G3: its figures would be summed twice). :func:`coverage`
counts, for one year, the bodies that should have reported, did, did on time, late, or not (G2).

Every problem is a Diagnostic like the readers' (file, line, field), so ``xxgk`` prints them the same way.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from xxgk import formats
from xxgk.data import tree
from xxgk.data.diagnostics import Diagnostic, InputError, closest_hint, problem
from xxgk.data.model import SCOPES, Agency, AgencyYear, Region, RegionInfo
from xxgk.data.yamlfile import decode, line_of, parse_region, shown_path

MISSING = "G2"
"""The rule of bodies of a region that have not reported, or reported late."""
COUNTED_TWICE = "G3"
"""The rule of a body counted in two regions of one scope."""
RULES = (MISSING, COUNTED_TWICE)
"""The rules raised while regions are read (stage ``read`` in national.yaml)."""
NAMES_SHOWN = 20
"""The most bodies a G2 message names; the rest are counted (a city has hundreds of bodies)."""


def _read_agency(directory: Path) -> Agency | None:
    """A body's agency.yaml, or None when it cannot be read (``xxgk check`` names why)."""
    try:
        return tree.read_agency(directory)
    except InputError:
        return None


def bodies(root: Path) -> dict[str, Agency | None]:
    """Every body under ``root`` by id: its agency.yaml as read, or None when that cannot be read.

    A listed body must exist (have an agency.yaml) but need not be readable to be counted as not having
    reported; finding a body by its parent needs its agency.yaml read, so an unreadable one is no child.
    """
    ids = [
        d.name
        for d in tree.agency_dirs(root)
        if tree.AGENCY_ID.fullmatch(d.name) and os.path.lexists(tree.agency_file(d))
    ]
    return dict(zip(ids, tree.map_agencies(_read_agency, root, ids), strict=True))


def _members(
    info: RegionInfo, path: Path, text: str, known: Mapping[str, Agency | None]
) -> tuple[dict[str, int | None], list[Diagnostic]]:
    """Each member, in its stable order, with the line that brought it in; and the problems of the listed ids."""
    where = shown_path(path)
    lines: dict[str, int | None] = {}
    fields: dict[str, str] = {}
    problems: list[Diagnostic] = []
    for i, member in enumerate(info.members):
        keys = ("members", str(i))
        line = line_of(text, keys)
        if not tree.AGENCY_ID.fullmatch(member):
            problems.append(problem(where, tree.AGENCY_ID_RULE, line=line, field=".".join(keys), value=member))
        elif member not in known:
            hint = closest_hint(member, known)
            message = f"没有这个机关：数据目录中没有 {member}/{tree.AGENCY_FILE}{hint}"
            problems.append(problem(where, message, line=line, field=".".join(keys), value=member))
        elif member in fields:
            message = f"重复列出（已在 {fields[member]}）：每个机关只写一次"
            problems.append(problem(where, message, line=line, field=".".join(keys), value=member))
        else:
            fields[member] = ".".join(keys)
            lines[member] = line
    if info.with_children:
        # A child is brought in by ``children: true``, or when that is left out, by the name its parent matches.
        children_line = line_of(text, ("children",) if "children" in info.model_fields_set else ("name",))
        for agency_id, agency in sorted(known.items()):
            if agency is not None and agency.parent == info.name and agency_id not in lines:
                lines[agency_id] = children_line
    return lines, problems


def read_region(directory: Path, known: Mapping[str, Agency | None]) -> Region:
    """One region, its members resolved against the ``known`` bodies (:func:`bodies`); raise InputError
    naming every problem of its region.yaml by line."""
    tree.check_agency_id(directory.name)
    path = tree.region_file(directory)
    text = decode(tree.read_data(path), path)
    info = parse_region(text, path)
    lines, problems = _members(info, path, text, known)
    if problems:
        raise InputError(problems)
    return Region(
        id=directory.name,
        name=info.name,
        level=info.level,
        scope=info.scope,
        members=tuple(lines),
        bodies=tuple(known[m] or Agency(m, m, None, None) for m in lines),
        listed=info.members,
        lines=tuple(lines.values()),
        deadline=info.deadline,
        government_deadline=info.government_deadline,
        path=path,
    )


def load_regions(root: Path, known: Mapping[str, Agency | None] | None = None) -> tuple[list[Region], list[Diagnostic]]:
    """Every region under ``root`` (by id) and the problems: unreadable region.yaml files, and G3.

    ``known``: the bodies of the tree (:func:`bodies`), when the caller has read them already. A region
    with a problem in its file is not returned (what it would count is not what was meant); a body counted
    in two regions of one scope leaves both loaded, with a G3 error naming both.
    """
    if not root.is_dir():
        return [], [problem(str(root), "数据目录不存在")]
    if known is None:
        known = bodies(root)
    regions: list[Region] = []
    problems: list[Diagnostic] = []
    for directory in tree.region_dirs(root):
        try:
            regions.append(read_region(directory, known))
        except InputError as e:
            problems.extend(e.problems)
    problems.extend(_counted_twice(regions))
    return regions, problems


def _counted_twice(regions: list[Region]) -> list[Diagnostic]:
    """G3: a body in two regions of one scope would be summed twice in the level above; each extra one named."""
    severity = formats.rules()[COUNTED_TWICE].severity
    first: dict[tuple[str, str], Region] = {}
    out: list[Diagnostic] = []
    for region in regions:
        for body, line in zip(region.bodies, region.lines, strict=True):
            other = first.setdefault((region.scope, body.id), region)
            if other is region:
                continue
            listed = body.id in region.listed
            how = "" if listed else "（其 agency.yaml 的 parent 为本级政府）"
            message = (
                f"“{body.name}”（{body.id}）同时计入{other.name}（{other.id}）与{region.name}（{region.id}）{how}，"
                f"两者范围都是 {region.scope}（{SCOPES[region.scope]}）：同一范围内一个单位只能计入一个汇总"
            )
            out.append(
                Diagnostic(
                    rule=COUNTED_TWICE,
                    severity=severity,
                    message=message,
                    file=shown_path(region.path),
                    line=line,
                    agency=body.id,
                    field=f"members.{region.listed.index(body.id)}" if listed else "children",
                )
            )
    return out


# --- coverage: who of the region reported on a year --------------------------------------------------------


class Member(NamedTuple):
    """One body as coverage counts it: when its report was due, and when it was published (None: not reported)."""

    id: str
    name: str
    due: dt.date
    published: dt.date | None


@dataclass(frozen=True)
class Coverage:
    """Who of a region reported on one year: 应报 = 已报 + 未报, 已报 = 按时 + 逾期 (each in the members' order).

    ``not_due`` are the 未报 whose deadline had not passed on the day counted: not (yet) late, so G2 does
    not name them. ``diagnostics`` are the G2 warnings naming the bodies that did not report or were late.
    """

    region: Region
    year: int
    expected: tuple[Member, ...]
    """应报: every member."""
    reported: tuple[Member, ...]
    """已报: a readable data file for the year, with its publication date."""
    on_time: tuple[Member, ...]
    """按时: published by the region's deadline for the body."""
    late: tuple[Member, ...]
    """逾期: published after it."""
    missing: tuple[Member, ...]
    """未报: no readable data file for the year, or one with no publication date (not published)."""
    not_due: tuple[Member, ...]
    """Of :attr:`missing`, those still within their deadline on the day counted."""
    diagnostics: tuple[Diagnostic, ...]


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _named(members: Iterable[Member], shown: int = NAMES_SHOWN) -> str:
    listed = list(members)
    names = "、".join(m.name for m in listed[:shown])
    return names + (f"等{len(listed)}个" if len(listed) > shown else "")


def coverage(region: Region, tree_years: Iterable[AgencyYear], year: int, today: dt.date | None = None) -> Coverage:
    """Count who of ``region`` reported on ``year``, from the agency-years read from the tree.

    A draft (a file with cells left empty) cannot be read, so it is not among ``tree_years``: its body has
    not reported; nor has one whose file has no publication date. Each body's deadline is the region's for
    departments, or for the government's own report (:func:`xxgk.data.deadlines.is_government_report`).
    ``today`` (default: the day it runs) decides which missing bodies are already overdue.
    """
    today = today or dt.date.today()
    published = {ay.agency.id: ay.published for ay in tree_years if ay.year == year and ay.agency.id in region.members}
    expected = tuple(Member(b.id, b.name, region.due(b, year), published.get(b.id)) for b in region.bodies)
    reported = tuple(m for m in expected if m.published is not None)
    late = tuple(m for m in reported if m.published is not None and m.published > m.due)
    on_time = tuple(m for m in reported if m not in late)
    missing = tuple(m for m in expected if m.published is None)
    not_due = tuple(m for m in missing if today <= m.due)
    overdue = [m for m in missing if m not in not_due]
    who = "下级单位" if region.scope == "region" else "应报单位"
    severity = formats.rules()[MISSING].severity
    found: list[Diagnostic] = []

    def g2(message: str) -> None:
        found.append(
            Diagnostic(
                rule=MISSING,
                severity=severity,
                message=message,
                file=shown_path(region.path),
                agency=region.id,
                year=year,
            )
        )

    if overdue:
        g2(f"{len(expected)}个{who}中{len(overdue)}个未提交{year}年度报告：{_named(overdue)}")
    if late:
        shown = "、".join(
            f"{m.name}（{m.published}发布，应于{_cn_date(m.due)}前）" for m in late[:NAMES_SHOWN] if m.published
        )
        more = f"等{len(late)}个" if len(late) > NAMES_SHOWN else ""
        g2(f"{len(expected)}个{who}中{len(late)}个逾期发布{year}年度报告：{shown}{more}")
    return Coverage(region, year, expected, reported, on_time, late, missing, not_due, tuple(found))
