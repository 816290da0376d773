"""Official labels as an exchange file writes them, matched to the cells of a format version.

Any source that names cells by their labels (the tidy CSV today; the Excel form and published
reports next) resolves them here, so a misspelt label gets the same suggestion wherever it was
typed, and a label of the other version is named as such.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from xxgk import formats
from xxgk.data.diagnostics import closest_hint
from xxgk.formats import CellSpec, FormatVersion
from xxgk.formats.match import normalise


def short_version(v: FormatVersion) -> str:
    """``2019试行版`` / ``2021版``: how a message names a version in a few characters."""
    return f"{v.id}{'试行' if '试行' in v.name else ''}版"


@dataclass(frozen=True)
class Labels:
    """The labels one version accepts in a tidy CSV, and the official forms they stand for."""

    version: FormatVersion
    cells: dict[tuple[str, str, str], CellSpec]
    row_alias: dict[tuple[str, str], str]  # (table, row as written) → official row label
    rows: dict[str, tuple[str, ...]]  # table → official row labels, in order
    columns: dict[str, tuple[str, ...]]  # table → official column labels, in order
    row_columns: dict[tuple[str, str], tuple[str, ...]]
    row_normal: dict[tuple[str, str], str]
    """(table, label normalised by :func:`xxgk.formats.match.normalise`) → official row label: the
    same label typed with half-width brackets, ``，`` for ``、``, spaces or in traditional characters."""
    column_normal: dict[tuple[str, str], str]

    def row(self, table: str, text: str) -> str | None:
        """The official row label ``text`` stands for, written exactly or differing only in form."""
        exact = self.row_alias.get((table, text))
        if exact is not None or _controls(text):
            return exact
        return self.row_normal.get((table, normalise(text)))

    def column(self, table: str, text: str) -> str | None:
        if text in self.columns[table]:
            return text
        return None if _controls(text) else self.column_normal.get((table, normalise(text)))


def _controls(text: str) -> bool:
    """A label holding a line break or another control character is refused, not normalised away:
    the file was cut or pasted wrongly, and the message must show the character (tests/test_hostile_names)."""
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in text)


@functools.cache
def labels(version_id: str) -> Labels:
    v = formats.get(version_id)
    cells: dict[tuple[str, str, str], CellSpec] = {}
    rows: dict[str, dict[str, None]] = {t: {} for t in formats.TABLE_IDS}
    columns: dict[str, dict[str, None]] = {t: {} for t in formats.TABLE_IDS}
    row_columns: dict[tuple[str, str], list[str]] = {}
    for c in v.cells:
        cells[(c.table, c.row_label, c.column_label)] = c
        rows[c.table][c.row_label] = None
        columns[c.table][c.column_label] = None
        row_columns.setdefault((c.table, c.row_label), []).append(c.column_label)
    alias = {(t, r): r for t, rs in rows.items() for r in rs}
    # Table 三: the full path from the top heading (the results heading, then the row) is accepted too,
    # and a sub-row's own label may use "，" where the format has "、" (format-spec §4.3).
    for chain, leaf in v.t3_rows.leaves():
        official = "/".join(h.label for h in (*chain[1:], leaf))
        full = "/".join(h.label for h in (*chain, leaf))
        variants = {official, full}
        if chain[1:]:
            variants |= {p.rsplit("/", 1)[0] + "/" + leaf.label.replace("、", "，") for p in (official, full)}
        for text in variants:
            alias.setdefault(("t3", text), official)
    row_normal: dict[tuple[str, str], str] = {}
    for (t, text), official in alias.items():
        row_normal.setdefault((t, normalise(text)), official)
    column_normal = {(t, normalise(c)): c for t, cs in columns.items() for c in cs}
    return Labels(
        version=v,
        cells=cells,
        row_alias=alias,
        rows={t: tuple(rs) for t, rs in rows.items()},
        columns={t: tuple(cs) for t, cs in columns.items()},
        row_columns={k: tuple(cs) for k, cs in row_columns.items()},
        row_normal=row_normal,
        column_normal=column_normal,
    )


@functools.lru_cache(maxsize=4096)
def closest_label(word: str, choices: tuple[str, ...]) -> str:
    """The three official labels most like ``word`` (cached: a bad label tends to repeat per row)."""
    return closest_hint(word, choices, cutoff=0.0, quoted=True)


def other_version(table: str, text: str, what: Literal["row", "column"], version: FormatVersion) -> str | None:
    for other in formats.versions().values():
        if other.id == version.id:
            continue
        lab = labels(other.id)
        if (what == "row" and (table, text) in lab.row_alias) or (what == "column" and text in lab.columns[table]):
            return f"；这是{short_version(other)}格式的标签，本年度适用{short_version(version)}格式（{version.basis}）"
    return None
