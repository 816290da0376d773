"""A report xxgk built, audited from its own HTML and PDF, gives back the data it was built from.

This is the audit's end-to-end property on real artifacts: the notebook executed by papermill,
the page nbconvert wrote, the PDF WeasyPrint printed (tables cut by page breaks, repeated header
rows, row groups that continue on the next page). Every cell must read back exactly, and the audit
may report nothing that ``xxgk check`` did not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import small_params
from xxgk import check, formats
from xxgk.audit import audit_one
from xxgk.data.tree import load_agency

pytestmark = pytest.mark.slow

READ_RULES = {r for r, v in formats.rules().items() if v.stage == "read"}
BODIES = {"shiqiao-town": [2019, 2021], "qingshan-county-education": [2020, 2021, 2024]}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from xxgk import cli

    tmp = tmp_path_factory.mktemp("built")
    params = small_params(tmp, BODIES)
    outputs = tmp / "outputs"
    assert cli.main(["build", "--params", str(params), "--outputs", str(outputs)]) == 0
    return params, outputs


@pytest.mark.parametrize("artifact", ["report.html", "report.pdf"])
@pytest.mark.parametrize(("agency", "year"), [(a, y) for a, ys in BODIES.items() for y in ys])
def test_built_report_reads_back(built: tuple[Path, Path], agency: str, year: int, artifact: str) -> None:
    params, outputs = built
    years, _ = load_agency(params / agency)
    ay = next(a for a in years if a.year == year)
    path = next((outputs / agency / str(year)).glob(artifact))
    a = audit_one(path)
    assert a.reading is not None, a.problems
    got = a.reading.agency_year
    assert (got.year, got.format.id, got.agency.name, got.published) == (
        ay.year,
        ay.format.id,
        ay.agency.name,
        ay.published,
    )
    assert got.tables == ay.tables
    assert not [d for d in a.findings if d.rule in READ_RULES], [str(d) for d in a.findings]
    expected = {(d.rule, d.field) for d in check.check_year(ay)}
    assert {(d.rule, d.field) for d in a.findings} <= expected, [str(d) for d in a.findings]
