"""The tidy frame for analysts: every cell of every agency-year as one pandas DataFrame, and its companion.

A regional summary, a year-over-year comparison or an ad-hoc question ("which townships refused the
most?") is a ``groupby`` or a ``pivot_table`` away once the cells are rows. :func:`frame` gives one
row per value cell, keyed by the format's own keys and labelled with its official labels (from
:mod:`xxgk.formats`, never retyped); :func:`agency_years` gives one row per agency-year with its
status, so a body whose file could not be read is a row that says so rather than a silent gap in a
sum. Each reads the tree once, in the pool ``xxgk check`` uses; only :func:`agency_years` also
checks it, for its findings counts.

Dtypes are chosen for what analysts do with the frame:

- ``value`` is float64: a count, a signed change and a sum of money add up in one column, and
  ``groupby(...).value.sum()`` just works. Every count a data file can hold (at most 15 digits) is
  exact in a float64. Money is in 万元 whatever unit the body wrote (元 are divided by 10,000), so
  sums of money never mix units; ``unit`` says which cells are money.
- ``value_text`` is the value exactly as the tidy CSV writes it (``12.50``, ``251000元``): the digits
  the body reported, for anyone who needs them rather than a float.
- Strings that repeat (agency, labels, keys, table, kind, unit, format) are categoricals, so
  1,000 agency-years (about 200,000 rows) stay a few megabytes and group fast. The categories of
  the keys and labels are every version's cells in official order, so a pivot lists rows and
  columns in the order of the printed tables, and frames of different selections share categories
  (they concatenate and compare without surprises).

The builders :func:`cell_frame` and :func:`agency_year_frame` take agency-years already in memory
(a notebook kernel gets them as parameters and reads no file), :func:`frame` and
:func:`agency_years` read ``params/`` first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from xxgk import formats
from xxgk.check import load_and_check
from xxgk.data import tree
from xxgk.data.diagnostics import Diagnostic, InputError
from xxgk.data.model import AMOUNT_UNITS, AgencyYear, Amount, Value
from xxgk.exchange.values import value_text
from xxgk.formats import FormatVersion

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = [
    "CELL_COLUMNS",
    "STATUSES",
    "YEAR_COLUMNS",
    "agency_year_frame",
    "agency_years",
    "cell_frame",
    "frame",
]

YUAN, WAN = AMOUNT_UNITS
Status = Literal["ok", "invalid", "unreadable"]
STATUSES: tuple[Status, ...] = ("ok", "invalid", "unreadable")
"""An agency-year's status: read and without errors, read with errors, or not readable at all."""

CELL_COLUMNS: tuple[str, ...] = (
    "agency",
    "agency_name",
    "level",
    "parent",
    "year",
    "format",
    "table",
    "table_key",
    "row",
    "column",
    "row_label",
    "column_label",
    "kind",
    "unit",
    "value",
    "value_text",
)
YEAR_COLUMNS: tuple[str, ...] = (
    "agency",
    "agency_name",
    "level",
    "parent",
    "year",
    "format",
    "status",
    "errors",
    "warnings",
    "published",
    "path",
)

_STATIC = ("table", "table_key", "row", "column", "row_label", "column_label", "kind", "unit")
"""The cell columns that depend only on the format version, not on the agency-year."""


# --- reading ---------------------------------------------------------------------------------------


def frame(
    params: Path | str = "params", years: Iterable[int] | None = None, agencies: Iterable[str] | None = None
) -> pd.DataFrame:
    """One row per value cell of every readable agency-year under ``params`` (columns :data:`CELL_COLUMNS`).

    ``years`` and ``agencies`` keep only those. A file that cannot be read has no cells here; it is
    a row of :func:`agency_years` with status ``unreadable``. The tree is read but not checked (no
    column of the frame needs a finding, and the checks cost four times the reading): join
    :func:`agency_years` on ``agency`` and ``year`` for the status. Raises InputError when
    ``params`` is no folder.
    """
    root = Path(params)
    loaded = tree.load_tree(root, None if agencies is None else sorted(set(agencies)))
    if not root.is_dir():
        raise InputError(loaded.problems)
    return cell_frame(_selected(loaded.years, years, agencies))


def agency_years(
    params: Path | str = "params", years: Iterable[int] | None = None, agencies: Iterable[str] | None = None
) -> pd.DataFrame:
    """One row per agency-year under ``params`` (columns :data:`YEAR_COLUMNS`), unreadable files included.

    Reads and checks the tree once (``xxgk check``'s pool: a body's other years are read too, for
    the cross-year rules). Filters as :func:`frame`; a file that names no year (``notes.yaml``) or a body folder with no
    readable ``agency.yaml`` and no year file is a row with year ``<NA>``, kept unless ``years``
    is given. Raises InputError when ``params`` is no folder.
    """
    root, loaded, problems, findings = _load(params, agencies)
    wanted_years = None if years is None else set(years)
    wanted_agencies = None if agencies is None else set(agencies)
    table = agency_year_frame(_selected(loaded, years, agencies), findings, problems, root)
    if wanted_years is not None:
        table = table[table["year"].isin(wanted_years)]
    if wanted_agencies is not None:
        table = table[table["agency"].isin(wanted_agencies)]
    table = table.reset_index(drop=True)
    for name in ("agency", "agency_name", "parent"):
        table[name] = table[name].cat.remove_unused_categories()
    return table


def _load(
    params: Path | str, agencies: Iterable[str] | None
) -> tuple[Path, list[AgencyYear], list[Diagnostic], list[Diagnostic]]:
    root = Path(params)
    wanted = None if agencies is None else sorted(set(agencies))
    loaded, findings = load_and_check(root, wanted)
    if not root.is_dir():
        raise InputError(loaded.problems)
    return root, loaded.years, loaded.problems, findings


def _selected(
    years: Sequence[AgencyYear], wanted_years: Iterable[int] | None, wanted_agencies: Iterable[str] | None
) -> list[AgencyYear]:
    ys = None if wanted_years is None else set(wanted_years)
    ags = None if wanted_agencies is None else set(wanted_agencies)
    return [
        ay
        for ay in sorted(years, key=lambda a: (a.agency.id, a.year))
        if (ys is None or ay.year in ys) and (ags is None or ay.agency.id in ags)
    ]


# --- the cell frame --------------------------------------------------------------------------------


def _categories() -> dict[str, list[str]]:
    """Every version's keys and labels, in official order (first version first, then what a later one adds)."""
    out: dict[str, dict[str, None]] = {name: {} for name in _STATIC}
    for version in formats.versions().values():
        for spec in version.cells:
            for name, text in _static_values(version, spec).items():
                out[name][text] = None
    return {name: list(values) for name, values in out.items()}


def _static_values(version: FormatVersion, spec: formats.CellSpec) -> dict[str, str]:
    return {
        "table": version.table_names[spec.table],
        "table_key": spec.table,
        "row": spec.row,
        "column": spec.column,
        "row_label": spec.row_label,
        "column_label": spec.column_label,
        "kind": spec.kind,
        "unit": WAN if spec.kind in ("wan", "amount") else "",
    }


def _static_codes(categories: dict[str, list[str]]) -> dict[str, dict[str, np.ndarray]]:
    """Per version, the category codes of its cells' static columns (one array per column, official order)."""
    import numpy as np

    index = {name: {text: i for i, text in enumerate(values)} for name, values in categories.items()}
    out: dict[str, dict[str, np.ndarray]] = {}
    for vid, version in formats.versions().items():
        rows = [_static_values(version, spec) for spec in version.cells]
        out[vid] = {name: np.array([index[name][r[name]] for r in rows], dtype=np.int32) for name in _STATIC}
    return out


def _number(v: Value) -> float:
    """A cell as a float in its column's unit: money in 万元 (a sum written in 元 divided by 10,000)."""
    if isinstance(v, Amount):
        return float(v.value / 10000 if v.unit == YUAN else v.value)
    return float(v)


def cell_frame(years: Iterable[AgencyYear]) -> pd.DataFrame:
    """The tidy frame of agency-years already read (columns :data:`CELL_COLUMNS`), in the order given.

    Built column by column (codes into categories, one array a column, one constructor at the
    end): row dicts would take seconds for 1,000 agency-years.
    """
    import numpy as np
    import pandas as pd

    ays = list(years)
    categories = _categories()
    static = _static_codes(categories)
    counts = np.array([len(ay.format.cells) for ay in ays], dtype=np.int64)
    values: list[float] = []
    texts: list[str] = []
    for ay in ays:
        tables = ay.tables
        for spec in ay.format.cells:
            v = tables[spec.table][spec.row][spec.column]
            if type(v) is int:  # nearly every cell: the fast path
                values.append(float(v))
                texts.append(str(v))
            else:
                values.append(_number(v))
                texts.append(value_text(v))

    def repeated(items: list[str | None], categories: list[str] | None = None) -> pd.Categorical[str]:
        """One categorical value per agency-year, repeated over its cells."""
        cats = categories if categories is not None else sorted({i for i in items if i is not None})
        lookup = {c: i for i, c in enumerate(cats)}
        codes = np.array([-1 if i is None else lookup[i] for i in items], dtype=np.int32)
        return pd.Categorical.from_codes(np.repeat(codes, counts), categories=pd.Index(cats), validate=False)

    columns: dict[str, object] = {
        "agency": repeated([ay.agency.id for ay in ays]),
        "agency_name": repeated([ay.agency.name for ay in ays]),
        "level": repeated([ay.agency.level for ay in ays], list(formats.levels())),
        "parent": repeated([ay.agency.parent for ay in ays]),
        "year": np.repeat(np.array([ay.year for ay in ays], dtype=np.int64), counts),
        "format": repeated([ay.format.id for ay in ays], list(formats.versions())),
    }
    for name in _STATIC:
        parts = [static[ay.format.id][name] for ay in ays]
        codes = np.concatenate(parts) if parts else np.array([], dtype=np.int32)
        columns[name] = pd.Categorical.from_codes(codes, categories=pd.Index(categories[name]), validate=False)
    columns["value"] = np.array(values, dtype=np.float64)
    columns["value_text"] = pd.array(texts, dtype="string")
    return pd.DataFrame(columns)


# --- the agency-year frame -------------------------------------------------------------------------


def _unreadable(root: Path, problems: Iterable[Diagnostic]) -> dict[tuple[str, int | None], tuple[str, int]]:
    """(agency, year) → (path, problems) for what could not be read, each file once.

    A year file's problems are that year's; a problem of a body's ``agency.yaml`` (or of its folder)
    stops every year of it from being read, so each of its year files is a row; a problem that
    names no year (a misnamed data file, a folder with nothing to read) is a row of year None.
    """
    out: dict[tuple[str, int | None], tuple[str, int]] = {}

    def add(agency: str, year: int | None, path: str) -> None:
        shown, n = out.get((agency, year), (path, 0))
        out[(agency, year)] = (shown, n + 1)

    for d in problems:
        p = Path(d.file)
        year = tree.year_of(p)
        if year is not None:
            add(p.parent.name, year, d.file)
            continue
        if p.name == tree.AGENCY_FILE:
            folder = p.parent
        elif p.parent in (Path(), root):  # the folder itself (a bad id, a link out of params/)
            folder = root / p.name
        else:  # a file of a body's folder that names no year
            add(p.parent.name, None, d.file)
            continue
        files = tree.year_files(folder) if folder.is_dir() else []
        for y, path in files:
            add(folder.name, y, str(path))
        if not files:
            add(folder.name, None, d.file)
    return out


class _YearRow(NamedTuple):
    agency: str
    agency_name: str | None
    level: str | None
    parent: str | None
    year: int | None
    format: str | None
    status: Status
    errors: int
    warnings: int
    published: dt.date | None
    path: str


def agency_year_frame(
    years: Iterable[AgencyYear], findings: Iterable[Diagnostic], problems: Iterable[Diagnostic], root: Path
) -> pd.DataFrame:
    """One row per agency-year (columns :data:`YEAR_COLUMNS`), read or not, ordered by agency and year.

    ``errors`` and ``warnings`` count the checks' findings of a read agency-year; for an unreadable
    one, ``errors`` counts the problems that stopped it being read. Name, level and parent of an
    unreadable year come from the body's ``agency.yaml`` when that can be read.
    """
    import numpy as np
    import pandas as pd

    ays = list(years)
    tally = Counter((d.agency, d.year, d.is_error) for d in findings)
    rows: dict[tuple[str, int | None], _YearRow] = {}
    known = {ay.agency.id: ay.agency for ay in ays}
    for ay in ays:
        a, errors = ay.agency, tally[(ay.agency.id, ay.year, True)]
        rows[(a.id, ay.year)] = _YearRow(
            a.id,
            a.name,
            a.level,
            a.parent,
            ay.year,
            ay.format.id,
            "invalid" if errors else "ok",
            errors,
            tally[(a.id, ay.year, False)],
            ay.published,
            str(ay.path),
        )
    for (agency_id, year), (path, n) in _unreadable(root, problems).items():
        agency = known.get(agency_id)
        if agency is None and (root / agency_id / tree.AGENCY_FILE).is_file():
            with contextlib.suppress(InputError):
                agency = known[agency_id] = tree.read_agency(root / agency_id)
        name, level, parent = (agency.name, agency.level, agency.parent) if agency else (None, None, None)
        row = _YearRow(agency_id, name, level, parent, year, None, "unreadable", n, 0, None, path)
        rows.setdefault((agency_id, year), row)
    ordered = [rows[k] for k in sorted(rows, key=lambda k: (k[0], k[1] is None, k[1] or 0))]

    def categorical(values: list[str | None], categories: Sequence[str] | None = None) -> pd.Categorical:
        cats = list(categories) if categories is not None else sorted({v for v in values if v is not None})
        return pd.Categorical(values, dtype=pd.CategoricalDtype(cats))

    return pd.DataFrame(
        {
            "agency": categorical([r.agency for r in ordered]),
            "agency_name": categorical([r.agency_name for r in ordered]),
            "level": categorical([r.level for r in ordered], list(formats.levels())),
            "parent": categorical([r.parent for r in ordered]),
            "year": pd.array([r.year for r in ordered], dtype="Int64"),
            "format": categorical([r.format for r in ordered], list(formats.versions())),
            "status": categorical([r.status for r in ordered], STATUSES),
            "errors": np.array([r.errors for r in ordered], dtype=np.int64),
            "warnings": np.array([r.warnings for r in ordered], dtype=np.int64),
            "published": pd.to_datetime(pd.Series([r.published for r in ordered], dtype="object")),
            "path": pd.array([r.path for r in ordered], dtype="string"),
        },
        columns=list(YEAR_COLUMNS),
    )
