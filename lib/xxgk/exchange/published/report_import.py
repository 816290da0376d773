"""``xxgk import-report``: a body's first year in xxgk, from the report it published without xxgk.

What the audit read becomes records and year fields, and goes through the same import plan as a
CSV or the Excel form (:mod:`xxgk.exchange.plan`): all or nothing, every problem named, nothing
overwritten that differs without being reported. The data file records its ``source:`` (file,
hash, what was recovered or assumed), so a reviewer can tell figures taken from a page from
figures the body typed, and ``xxgk new`` then carries its figures over to the next year.
"""

from __future__ import annotations

from pathlib import Path

from xxgk.data import tree
from xxgk.data.diagnostics import Diagnostic, InputError, problem
from xxgk.data.model import Facts, Source
from xxgk.exchange.plan import ImportReport, import_records
from xxgk.exchange.published import read_source
from xxgk.exchange.records import CellRecord, YearFields
from xxgk.exchange.values import value_text


def import_report(
    source: Path, root: Path, agency_id: str, year: int | None = None, *, replace: bool = False
) -> tuple[ImportReport, list[Diagnostic]]:
    """Read ``source`` and write it as ``<root>/<agency_id>/<year>.yaml``, with what reading found.

    A published report is someone else's text: it starts a year, it does not silently replace one.
    An existing data file of that year, or a body whose ``agency.yaml`` names another body, is
    refused unless ``replace`` says the user means it; the facts of a replaced file (which no
    report states) are kept. Raises InputError when it cannot be written, and then writes nothing.
    """
    tree.check_agency_id(agency_id)
    reading = read_source(source, agency_id)
    ay = reading.agency_year
    if year is not None and year != ay.year:
        reading.assumed.append(f"报告年度按命令行 --year 取 {year}（报告本身写的是 {ay.year}）")
    year = year or ay.year
    version = ay.format
    path = tree.year_path(root, agency_id, year)
    facts = Facts()
    refused: list[str] = []
    if path.exists():
        if not replace:
            refused.append(f"{path} 已存在：年报只用于建立新的年度数据；确要用它替换现有数据，请加 --replace")
        else:
            try:
                facts = tree.read_year(path, tree.read_agency(path.parent), blanks=set()).facts
            except InputError as e:
                raise InputError(
                    [problem(str(path), "已有的数据文件无法读取，请先修正它再导入"), *e.problems]
                ) from None
    agency_file = tree.agency_dir(root, agency_id) / tree.AGENCY_FILE
    if agency_file.exists() and not replace:
        try:
            known = tree.read_agency(agency_file.parent).name
        except InputError as e:
            raise InputError(list(e.problems)) from None
        if ay.agency.name and known != ay.agency.name:
            refused.append(
                f"年报是“{ay.agency.name}”的，{agency_id} 是“{known}”：请确认 --agency；确是同一机关，请加 --replace"
            )
    if refused:
        raise InputError([problem(str(source), text) for text in refused])
    blocking = [d for d in reading.findings if d.rule in ("D2", "M2")]
    if reading.unreadable:
        names = "、".join(version.table_title(t) for t in sorted(reading.unreadable))
        raise InputError(
            [problem(str(source), f"{names}未能读取，无法建立完整的数据文件：{'；'.join(d.message for d in blocking)}")]
        )
    blanks = {(cell.spec.table, cell.spec.row, cell.spec.column) for cells in reading.blanks.values() for cell in cells}
    records: list[CellRecord] = []
    for n, (spec, value) in enumerate(ay.cells(), start=1):
        key = (spec.table, spec.row, spec.column)
        where = reading.where.get(f"tables.{spec.table}.{spec.row}.{spec.column}", "")
        records.append(
            CellRecord(
                line=n,
                agency_id=agency_id,
                agency_name=ay.agency.name,
                year=str(year),
                table=version.table_names[spec.table],
                row=spec.row_label,
                column=spec.column_label,
                value="" if key in blanks or not where else value_text(value),
                ref=where or f"{version.table_title(spec.table)}（原文未列出）",
                file=str(source),
            )
        )
    doc = reading.document
    provenance = Source(
        file=source.name,
        sha256=doc.sha256,
        kind=doc.kind,
        title=reading.title,
        recovered=tuple(version.table_title(t) for t in sorted(reading.recovered)),
        assumed=tuple(reading.assumed),
    )
    fields = YearFields(
        agency_id=agency_id,
        year=year,
        published=ay.published,
        narrative=ay.narrative,
        facts=facts,
        file=str(source),
        format=version.id,
        source=provenance,
    )
    return import_records(records, source, root, fields=[fields]), reading.findings
