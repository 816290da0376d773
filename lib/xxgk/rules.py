"""Every check of format-spec §6, each with a stable rule id, turned into findings.

The identities that are sums (S1, I1, I2, I4) are read from the format description, so a new
version of the format brings its own. A finding names the cell the identity would correct (the
total side), in Chinese with the official labels: ``表三 <row> / <column>：应为 805，实为 800（相差 5）``.

Rule ids, their severity and meaning are part of the format description (``formats.rules()``),
the stable contract of ``xxgk check --format json``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from xxgk import figures as figs
from xxgk import formats
from xxgk.formats import CellSpec, Identity
from xxgk.model import AgencyYear, Amount, Problem, Tree, Value, load_agency, map_agencies

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One broken rule, located by file and official labels. Its dict form is the JSON contract."""

    rule: str
    severity: Severity
    file: str
    agency: str
    year: int
    table: str
    row: str
    column: str
    expected: str | None
    found: str | None
    message: str
    field: str = ""
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        level = "错误" if self.severity == "error" else "警告"
        return f"{self.file}: {level} {self.rule} {self.message}"


def _num(v: Value) -> Decimal:
    return v.value if isinstance(v, Amount) else Decimal(v)


def _show(v: Decimal | int) -> str:
    d = Decimal(v)
    return str(int(d)) if d == d.to_integral_value() else str(d.normalize())


def _finding(
    rule: str,
    ay: AgencyYear,
    spec: CellSpec | None,
    message: str,
    expected: Decimal | int | None = None,
    found: Decimal | int | None = None,
    field: str = "",
) -> Finding:
    return Finding(
        rule=rule,
        severity=formats.rules()[rule].severity,
        file=str(ay.path),
        agency=ay.agency.id,
        year=ay.year,
        table=ay.format.table_names[spec.table] if spec else "",
        row=spec.row_label if spec else "",
        column=spec.column_label if spec else "",
        expected=None if expected is None else _show(expected),
        found=None if found is None else _show(found),
        message=message,
        field=field or (f"tables.{spec.table}.{spec.row}.{spec.column}" if spec else ""),
    )


def _mismatch(rule: str, ay: AgencyYear, spec: CellSpec, expected: Decimal | int, found: Value) -> Finding:
    f = _num(found)
    diff = Decimal(expected) - f
    sign = "" if diff > 0 else "-" if diff < 0 else ""
    text = f"{spec.label}：应为 {_show(expected)}，实为 {_show(f)}（相差 {sign}{_show(abs(diff))}）"
    return _finding(rule, ay, spec, text, expected, f)


# --- within one agency-year ----------------------------------------------------------------------


def check_types(ay: AgencyYear) -> Iterator[Finding]:
    """I3: integers where the format counts, nothing negative but the signed change column."""
    for spec, v in ay.cells():
        n = _num(v)
        if spec.kind in ("count", "signed") and n != n.to_integral_value():
            yield _finding("I3", ay, spec, f"{spec.label}：应为整数，实为 {_show(n)}", found=n)
        elif spec.kind != "signed" and n < 0:
            yield _finding("I3", ay, spec, f"{spec.label}：不能为负数，实为 {_show(n)}", found=n)


def check_identity(ay: AgencyYear, ident: Identity) -> Iterator[Finding]:
    """A sum identity of the format, for every column (or row) of its table."""
    table = ay.tables[ident.table]
    v = ay.format
    if ident.per == "column":
        for col in v.layout[ident.table][ident.total]:
            expected = sum((s * _num(table[r][col]) for s, r in ident.parts), Decimal(0))
            found = table[ident.total][col]
            if expected != _num(found):
                yield _mismatch(ident.id, ay, v.cell(ident.table, ident.total, col), expected, found)
    else:
        for row, cols in v.layout[ident.table].items():
            if ident.total not in cols:
                continue
            expected = sum((s * _num(table[row][c]) for s, c in ident.parts), Decimal(0))
            found = table[row][ident.total]
            if expected != _num(found):
                yield _mismatch(ident.id, ay, v.cell(ident.table, row, ident.total), expected, found)


def check_table2(ay: AgencyYear) -> Iterator[Finding]:
    """I5 (2019 columns) and I6 (规章 from a body that cannot make them): soft checks of 表二."""
    v, t2 = ay.format, ay.tables["t2"]
    for row, cols in t2.items():
        if "previous_items" in cols and "change" in cols:
            after = _num(cols["previous_items"]) + _num(cols["change"])
            if after < 0:
                spec = v.cell("t2", row, "change")
                prev = v.cell("t2", row, "previous_items").column_label
                yield _finding(
                    "I5",
                    ay,
                    spec,
                    f"{spec.label}：{prev}加{spec.column_leaf}为 {_show(after)}，不应小于 0",
                    found=after,
                )
        if "published" in cols and "total_public" in cols and cols["published"] > cols["total_public"]:
            spec = v.cell("t2", row, "published")
            total = v.cell("t2", row, "total_public").column_label
            yield _finding(
                "I5",
                ay,
                spec,
                f"{spec.label}：{_show(_num(cols['published']))} 大于{total} {_show(_num(cols['total_public']))}",
                found=_num(cols["published"]),
            )
    level = ay.agency.level
    if level is not None and not formats.levels().get(level, True) and "rules" in t2:
        for col, value in t2["rules"].items():
            if _num(value) != 0:
                spec = v.cell("t2", "rules", col)
                yield _finding(
                    "I6",
                    ay,
                    spec,
                    f"{spec.label}：{level}机关没有规章制定权，却填报了 {_show(_num(value))}",
                    expected=0,
                    found=_num(value),
                )


# Phrases a narrative uses for figures computed from the tables (rule I7). Each pattern captures
# the number; the figure is looked up by its name in xxgk.figures. Only unambiguous phrasings are
# listed: a number the pattern does not recognise is not checked rather than checked wrongly.
NARRATIVE_FIGURES: tuple[tuple[str, str], ...] = (
    (r"新收(?:到)?(?:各类)?(?:政府信息公开)?申请(?:共)?(\d+)件", "applications.new"),
    (r"上年结转(?:政府信息公开申请)?(\d+)件", "applications.carried_over"),
    (r"办结(?:政府信息公开申请)?(?:共)?(\d+)件", "applications.handled"),
    (r"(?<!部分)予以公开(\d+)件", "applications.granted"),
    (r"部分公开(\d+)件", "applications.partial"),
    (r"不予公开(\d+)件", "applications.withheld"),
    (r"无法提供(\d+)件", "applications.unavailable"),
    (r"不予处理(\d+)件", "applications.not_processed"),
    (r"其他处理(\d+)件", "applications.other"),
    (r"结转下年度(?:继续办理)?(\d+)件", "applications.carried_forward"),
    (r"行政复议(\d+)件", "review.total"),
    (r"行政诉讼(\d+)件", "litigation.total"),
)
_NARRATIVE_RE = tuple((re.compile(p), name) for p, name in NARRATIVE_FIGURES)
# A line break between two Chinese characters is no break to a reader (the report joins them),
# so "申请\n157件" states 157 as surely as "申请157件" does.
_CJK_BREAK = re.compile(r"(?<=[^\x00-\x7f])[ \t]*\n[ \t]*(?=[^\x00-\x7f])")


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[part]
    return data


def narrative_text(ay: AgencyYear, values: dict[str, Any]) -> Iterator[tuple[str, str, str | None]]:
    """Each narrative section as the reader will see it (placeholders filled), or why it cannot be."""
    for key in ("overview", "problems", "other"):
        text = getattr(ay.narrative, key)
        if "{" not in text:  # no placeholder: skip the template engine, it costs a millisecond
            yield key, text, None
            continue
        from xxgk.narrative import NarrativeError, fill

        try:
            yield key, fill(text, values), None
        except NarrativeError as e:
            yield key, text, str(e)


def check_narrative(ay: AgencyYear) -> Iterator[Finding]:
    """I7, F1 and N1: the narrative can be filled, and its numbers agree with the tables and facts."""
    values = figs.figures(ay)
    for key, text, problem in narrative_text(ay, values):
        heading = ay.format.sections[key]
        if problem:
            yield _finding("N1", ay, None, f"{heading}：{problem}", field=f"narrative.{key}")
        text = _CJK_BREAK.sub("", text)
        for pattern, name in _NARRATIVE_RE:
            for m in pattern.finditer(text):
                stated, actual = int(m.group(1)), int(_lookup(values, name))
                if stated != actual:
                    yield _finding(
                        "I7",
                        ay,
                        None,
                        f"{heading}：正文“{m.group(0)}”与表格不一致：应为 {actual}，实为 {stated}"
                        f"（相差 {actual - stated}）",
                        expected=actual,
                        found=stated,
                        field=f"narrative.{key}",
                    )
    facts = ay.facts
    if facts.proactive_items is not None and facts.channels:
        total = sum(c.items for c in facts.channels)
        if total != facts.proactive_items:
            yield _finding(
                "F1",
                ay,
                None,
                f"facts.proactive_items：各渠道发布条数之和为 {total}，主动公开条数为 {facts.proactive_items}"
                f"（相差 {facts.proactive_items - total}）",
                expected=total,
                found=facts.proactive_items,
                field="facts.proactive_items",
            )


def check_year(ay: AgencyYear) -> list[Finding]:
    """Every rule that needs only this agency-year."""
    out = list(check_types(ay))
    for ident in ay.format.identities:
        out.extend(check_identity(ay, ident))
    out.extend(check_table2(ay))
    out.extend(check_narrative(ay))
    return out


# --- across years of one body --------------------------------------------------------------------


def check_pair(prev: AgencyYear, ay: AgencyYear) -> Iterator[Finding]:
    """X1–X3 between consecutive years of the same body (all warnings: bodies merge, split, restart)."""
    if prev.year != ay.year - 1:
        return
    v = ay.format
    for col, carried in ay.tables["t3"]["carried_over"].items():
        expected = _num(prev.tables["t3"]["carried_forward"][col])
        if expected != _num(carried):
            spec = v.cell("t3", "carried_over", col)
            f = _mismatch("X1", ay, spec, expected, carried)
            yield _with_message(f, f"{f.message}；上一年度“结转下年度继续办理”为 {_show(expected)}")
    t2, p2 = ay.tables["t2"], prev.tables["t2"]
    same = prev.format.id == v.id
    for row, cols in t2.items():
        pcols = p2.get(row, {}) if same else {}
        if {"issued", "repealed", "in_force"} <= cols.keys() and "in_force" in pcols:
            expected = _num(pcols["in_force"]) + _num(cols["issued"]) - _num(cols["repealed"])
            if expected != _num(cols["in_force"]):
                yield _mismatch("X2", ay, v.cell("t2", row, "in_force"), expected, cols["in_force"])
        if {"previous_items"} <= cols.keys() and {"previous_items", "change"} <= pcols.keys():
            expected = _num(pcols["previous_items"]) + _num(pcols["change"])
            if expected != _num(cols["previous_items"]):
                yield _mismatch("X3", ay, v.cell("t2", row, "previous_items"), expected, cols["previous_items"])
        if "total_public" in cols and "total_public" in pcols and cols["total_public"] < pcols["total_public"]:
            spec = v.cell("t2", row, "total_public")
            yield _finding(
                "X3",
                ay,
                spec,
                f"{spec.label}：比上年的 {_show(_num(pcols['total_public']))} 减少了，实为 "
                f"{_show(_num(cols['total_public']))}",
                expected=_num(pcols["total_public"]),
                found=_num(cols["total_public"]),
            )


def _with_message(f: Finding, message: str) -> Finding:
    return Finding(**{**f.to_dict(), "message": message})


def check_agency(years: Iterable[AgencyYear]) -> list[Finding]:
    """Every rule for all the years of one body, in year order."""
    ordered = sorted(years, key=lambda a: a.year)
    out: list[Finding] = []
    for i, ay in enumerate(ordered):
        out.extend(check_year(ay))
        if i:
            out.extend(check_pair(ordered[i - 1], ay))
    return out


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def _load_and_check(directory: Path) -> tuple[list[AgencyYear], list[Problem], list[Finding]]:
    years, problems = load_agency(directory)
    return years, problems, check_agency(years)


def load_and_check(root: Path, agencies: Iterable[str] | None = None) -> tuple[Tree, list[Finding]]:
    """Read and check a whole tree, each body in whichever worker read it (the cores share both)."""
    tree, findings = Tree(), []
    if not root.is_dir():
        tree.problems.append(Problem(str(root), "数据目录不存在"))
        return tree, findings
    for years, problems, found in map_agencies(_load_and_check, root, agencies):
        tree.years.extend(years)
        tree.problems.extend(problems)
        findings.extend(found)
    return tree, findings


def locate(findings: list[Finding]) -> list[Finding]:
    """Fill in the line of each finding's cell (parsing with positions only the files concerned)."""
    from xxgk.model import key_lines

    cache: dict[str, dict[tuple[str, ...], int]] = {}
    located = []
    for f in findings:
        if f.file and f.field and Path(f.file).is_file():
            lines = cache.setdefault(f.file, key_lines(Path(f.file)))
            f = Finding(**{**f.to_dict(), "line": lines.get(tuple(f.field.split(".")))})
        located.append(f)
    return located
