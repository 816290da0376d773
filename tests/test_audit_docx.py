"""A report published as a Word file reads back cell by cell, merged header cells and all.

The Word file is built here with python-docx the way an office lays the national tables out in
Word: each table from the format's grid (:mod:`xxgk.formats.grid`), header cells merged across
and down with ``cell.merge``, labels in bold runs, the narrative as paragraphs. Reading it back
must give the tables it was made from, exactly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pytest

from tests.test_audit import examples
from xxgk import formats
from xxgk.audit import audit_one
from xxgk.data.model import AgencyYear, show
from xxgk.formats.grid import grid


def write_docx(ay: AgencyYear, path: Path) -> None:
    d = docx.Document()
    d.add_heading(f"{ay.agency.name}{ay.year}年政府信息公开工作年度报告", level=1)
    d.add_paragraph(f"本报告所列数据的统计期限自{ay.year}年1月1日起至{ay.year}年12月31日止。")
    v = ay.format
    for key in formats.SECTION_KEYS:
        d.add_paragraph().add_run(v.sections[key]).bold = True
        if key in formats.NARRATIVE_KEYS:
            for para in getattr(ay.narrative, key).split("\n\n"):
                d.add_paragraph(para.replace("{{ applications.new }}", "x"))
        else:
            g = grid(v, key)
            table = d.add_table(rows=g.height, cols=g.width)
            table.style = "Table Grid"
            for c in g.cells:
                cell = table.cell(c.row, c.col)
                if c.rowspan > 1 or c.colspan > 1:
                    cell = cell.merge(table.cell(c.row + c.rowspan - 1, c.col + c.colspan - 1))
                if c.spec is not None:
                    cell.text = show(ay.tables[c.spec.table][c.spec.row][c.spec.column])
                else:
                    cell.paragraphs[0].add_run(c.text).bold = True
    assert ay.published is not None
    d.add_paragraph(ay.agency.name)
    p = ay.published
    d.add_paragraph(f"{p.year}年{p.month}月{p.day}日")
    d.save(str(path))


@pytest.mark.parametrize("year", [2020, 2021, 2024])
def test_word_report_reads_back(year: int, tmp_path: Path) -> None:
    ay = next(a for a in examples() if a.year == year and a.agency.id != "lanzhou-xinqu-audit")
    path = tmp_path / "report.docx"
    write_docx(ay, path)
    a = audit_one(path)
    assert a.reading is not None, a.problems
    got = a.reading.agency_year
    assert got.format.id == ay.format.id and got.year == year
    assert got.tables == ay.tables
    assert got.published == ay.published and isinstance(got.published, dt.date)
    assert not [d for d in a.findings if d.rule in {"D1", "D2", "Q3", "M4", "P4"}], [str(d) for d in a.findings]
    assert a.reading.where["tables.t3.new.natural"].startswith("第")
