"""The Excel/WPS entry form: what the 政务公开办 sends each body every January, and reads back.

``make_form`` gathers one agency-year from ``params/`` (its data if any, a draft's filled cells,
what last year fixes) and :mod:`.write` lays it out; :mod:`.read` turns a filled form into the
records of the one import plan (:mod:`xxgk.exchange.plan`), so a form is imported, checked and
written exactly like a tidy CSV. :mod:`.layout` is the one owner of where things sit.
"""

from __future__ import annotations

from pathlib import Path

from xxgk import formats
from xxgk.data import tree
from xxgk.data.atomic import write_all
from xxgk.data.carry import carried
from xxgk.data.diagnostics import Diagnostic, InputError, problem
from xxgk.data.model import AgencyYear, Value
from xxgk.exchange.form.layout import form_name
from xxgk.exchange.form.read import FormRead, is_workbook, read_form
from xxgk.exchange.form.write import FormData, form_bytes

__all__ = ["FormData", "FormRead", "form_bytes", "form_name", "is_workbook", "make_form", "read_form", "write_forms"]


def make_form(root: Path, agency_id: str, year: int) -> FormData:
    """What the form of ``agency_id`` for ``year`` shows; raise InputError if the body or its files cannot be read.

    A year that already has data is shown with it (a form can go back for correction); a draft
    (``xxgk new``) with its filled cells; last year's carried figures fill the rest.
    """
    tree.check_agency_id(agency_id)
    formats.check_report_year(year)
    directory = tree.agency_dir(root, agency_id)
    if not tree.agency_file(directory).is_file():
        raise InputError(
            [
                problem(
                    str(tree.agency_file(directory)),
                    f"没有机关 {agency_id}：先用 xxgk new {agency_id} {year} --name … 建立",
                )
            ]
        )
    agency = tree.read_agency(directory)
    previous: AgencyYear | None = None
    last = tree.year_path(root, agency_id, year - 1)
    if year - 1 in formats.report_years() and last.is_file():
        previous = tree.read_year(last, agency)
    path = tree.year_path(root, agency_id, year)
    carry = carried(previous, year)
    if path.is_file():
        blanks: set[tuple[str, str, str]] = set()
        ay = tree.read_year(path, agency, blanks=blanks)
        values: dict[tuple[str, str, str], Value | None] = {
            (s.table, s.row, s.column): (None if (s.table, s.row, s.column) in blanks else v) for s, v in ay.cells()
        }
        return FormData(agency, year, ay.format, values, carry, ay.published, ay.narrative, ay.facts)
    version = formats.for_year(year)
    return FormData(agency, year, version, {}, carry)


def write_forms(root: Path, year: int, agencies: list[str], out: Path | None, single: Path | None = None) -> list[Path]:
    """Write each body's form for ``year``: every form is made before the first is written, so a
    body whose files cannot be read stops the whole batch with every such problem listed."""
    problems: list[Diagnostic] = []
    made: list[tuple[Path, bytes]] = []
    for agency_id in agencies:
        try:
            data = make_form(root, agency_id, year)
            content = form_bytes(data)
        except InputError as e:
            problems.extend(e.problems)
            continue
        except ValueError as e:
            problems.append(problem(str(tree.year_path(root, agency_id, year)), str(e)))
            continue
        target = single if single is not None else (out or Path(".")) / form_name(agency_id, year)
        made.append((target, content))
    if problems:
        raise InputError(problems)
    write_all(dict(made))
    return [t for t, _ in made]
