"""Consistent made-up agency-years, for tests, benchmarks and the fictional examples.

Every table this module makes satisfies every error rule of its format version (S1, I1–I4):
it draws the outcomes first and derives the totals, the way a real body's ledger adds up.
Nothing here is presented as a real body's data.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from xxgk import formats
from xxgk.data.model import Agency, AgencyYear, Amount, Narrative, Tables, Value, count
from xxgk.formats import FormatVersion

APPLICANT_WEIGHTS = {
    "natural": 20,
    "commercial": 4,
    "research": 1,
    "public_interest": 1,
    "legal_service": 2,
    "other": 1,
}


def _split(rng: random.Random, n: int, weights: dict[str, int]) -> dict[str, int]:
    keys = list(weights)
    counts = dict.fromkeys(keys, 0)
    for k in rng.choices(keys, weights=list(weights.values()), k=n):
        counts[k] += 1
    return counts


def table3(version: FormatVersion, rng: random.Random, scale: int, carried_over: dict[str, int]) -> Tables:
    """Table 三 with ``scale`` new applications (about), consistent with S1, I1 and I2."""
    rows = version.layout["t3"]
    applicants = [c for c in rows["new"] if c != "total"]
    i2 = next(i for i in version.identities if i.id == "I2")
    outcomes = [k for _, k in i2.parts]
    weights = {k: 1 for k in outcomes}
    weights.update(granted=30, partial=6, unavailable_not_held=12, not_processed_repeated=3)
    new = _split(rng, rng.randint(scale // 2, scale) if scale else 0, APPLICANT_WEIGHTS)
    t3: dict[str, dict[str, Value]] = {r: dict.fromkeys(cs, 0) for r, cs in rows.items()}
    for c in applicants:
        t3["new"][c] = new[c]
        t3["carried_over"][c] = carried_over.get(c, 0)
        pending = new[c] + carried_over.get(c, 0)
        forward = rng.randint(0, pending // 10) if pending else 0
        t3["carried_forward"][c] = forward
        for outcome, n in _split(rng, pending - forward, weights).items():
            t3[outcome][c] = n
        t3["total"][c] = pending - forward
    for r in rows:
        t3[r]["total"] = sum(count(t3[r][c]) for c in applicants)
    return {"t3": t3}


def table4(rng: random.Random, version: FormatVersion, scale: int) -> dict[str, dict[str, Value]]:
    t4: dict[str, dict[str, Value]] = {}
    for group, cols in version.layout["t4"].items():
        parts = {c: rng.randint(0, max(0, scale // 40)) for c in cols if c != "total"}
        t4[group] = {**parts, "total": sum(parts.values())}
    return t4


def table2(
    rng: random.Random,
    version: FormatVersion,
    makes_rules: bool,
    previous: AgencyYear | None = None,
    scale: int = 40,
) -> dict[str, dict[str, Value]]:
    """Table 二; with last year's data of the same version, X2 and X3 hold as well."""
    t2: dict[str, dict[str, Value]] = {}
    for row, cols in version.layout["t2"].items():
        t2[row] = {}
        for col in cols:
            spec = version.cell("t2", row, col)
            if row == "rules" and not makes_rules:
                v: Value = 0
            elif spec.kind == "signed":
                v = rng.randint(-3, 5)
            elif spec.kind == "wan":
                v = Decimal(rng.randint(0, 300 * scale)) / 100
            elif spec.kind == "amount":
                v = Amount(Decimal(rng.randint(0, 20 * scale)) * 1000, "元")
            else:
                v = rng.randint(0, max(3, scale // 2))
            t2[row][col] = v
        if "previous_items" in t2[row]:
            t2[row]["change"] = max(count(t2[row]["change"]), -count(t2[row]["previous_items"]))
        if "published" in t2[row]:
            t2[row]["total_public"] = count(t2[row]["total_public"]) + count(t2[row]["published"])
        if "in_force" in t2[row]:
            t2[row]["in_force"] = count(t2[row]["in_force"]) + count(t2[row]["issued"])
        prev = previous.tables["t2"].get(row) if previous and previous.format is version else None
        if prev and "in_force" in prev:
            t2[row]["repealed"] = min(count(t2[row]["repealed"]), count(prev["in_force"]))
            t2[row]["in_force"] = count(prev["in_force"]) + count(t2[row]["issued"]) - count(t2[row]["repealed"])
        if prev and "previous_items" in prev:
            t2[row]["previous_items"] = count(prev["previous_items"]) + count(prev["change"])
            t2[row]["change"] = max(count(t2[row]["change"]), -count(t2[row]["previous_items"]))
        if prev and "total_public" in prev:
            t2[row]["total_public"] = count(prev["total_public"]) + count(t2[row]["published"])
    return t2


def agency_year(
    agency: Agency, year: int, seed: int, scale: int = 40, previous: AgencyYear | None = None
) -> AgencyYear:
    """One consistent agency-year; given last year's, the cross-year rules X1–X3 hold too."""
    rng = random.Random(f"{agency.id}/{year}/{seed}")
    version = formats.for_year(year)
    makes_rules = formats.levels().get(agency.level or "", False)
    tables: Tables = {"t2": table2(rng, version, makes_rules, previous, scale)}
    tables.update(table3(version, rng, scale, carried_forward(previous) if previous else {}))
    tables["t4"] = table4(rng, version, scale)
    return AgencyYear(
        agency=agency,
        year=year,
        format=version,
        tables=tables,
        published=dt.date(year + 1, 1, rng.randint(10, 28)),
        narrative=Narrative(
            overview=f"本年度，{agency.name}共新收政府信息公开申请{{{{ applications.new }}}}件。",
            problems=PROBLEMS,
            other=other_matters(version, tables),
        ),
    )


PROBLEMS = (
    "（虚构示例数据，仅用于测试。）政策解读形式较为单一，依申请公开答复文书的规范性有待提升。"
    "下一步将丰富图解、视频等解读形式，定期开展答复文书评查。"
)
"""Section 五 of every made-up year: a problem and a measure, long enough for rules N3 and N4."""

FEE_ROW = "other_no_fee"
"""Table 三's row of applicants who did not pay after a 收费通知 (2021 format on)."""


def other_matters(version: FormatVersion, tables: Tables) -> str:
    """Section 六, stating the 信息处理费 as the tables imply it (rules N6, N7) where the format counts it."""
    if FEE_ROW not in version.layout["t3"]:
        return "无。"
    lapsed = count(tables["t3"][FEE_ROW]["total"])
    if lapsed:
        return f"本年度发出信息处理费收费通知{lapsed}件，申请人均逾期未缴纳，全年实际未收取信息处理费。"
    return "本年度未发出收费通知，未收取信息处理费。"


def series(agency: Agency, years: range, seed: int, scale: int = 40) -> list[AgencyYear]:
    """Consecutive years of one body that satisfy every rule, cross-year ones included."""
    out: list[AgencyYear] = []
    for year in years:
        out.append(agency_year(agency, year, seed, scale, out[-1] if out else None))
    return out


def carried_forward(ay: AgencyYear) -> dict[str, int]:
    return {c: count(v) for c, v in ay.tables["t3"]["carried_forward"].items()}
