"""Tidy CSV in and out: one row per value cell, for data warehouses and spreadsheets.

Columns: ``agency_id, agency_name, year, table, row, column, value``. ``table`` is 二, 三 or 四;
``row`` and ``column`` are the official labels of that year's format version, exactly as
:class:`xxgk.formats.CellSpec` spells them (table 三 sub-rows and table 四 columns as ``/`` paths),
so a file means the same thing to a person reading it as to this module.

Export writes the values as the data holds them, so export → import → export is byte-identical:
the importer reads back exactly the types the exporter writes (``12`` stays an int, ``12.50``
stays that Decimal, an amount keeps its unit). Import goes through the one import plan of
:mod:`xxgk.exchange.plan`.

Export writes UTF-8 without a byte order mark by default: files already exported and loaded stay
byte-identical, and to line tools and some loaders a BOM is part of the first column's name.
``bom=True`` (``xxgk export --bom``) adds one, because Excel and WPS on Windows read a CSV without
it in the local code page and show the Chinese as mojibake. Import reads either, and also the
GB18030 (GBK) that WPS and older Excel save on Chinese Windows, with a warning (see :func:`_decode`).

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or a
carriage return) as a formula: an agency name such as ``=HYPERLINK(…)`` would run when the export
is opened in Excel or WPS. So export neutralises such a cell as OWASP recommends, with a leading
single quote, in every column — except a value that is a plain number (``-3``, ``-1.5``: what
the data holds for a signed change and the like), which stays a number for the spreadsheet. A
value that is not a plain number (an amount with its unit, ``-5元``) is text and is neutralised.
A cell that already starts with quotes followed by one of those characters gets one more quote, so the mapping
is one to one; import removes exactly one leading quote from a cell of that form, and only then.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from xxgk.data import tree
from xxgk.data.atomic import write_atomic
from xxgk.data.diagnostics import IMPORT_NOTICE, Diagnostic, InputError, problem
from xxgk.data.model import AgencyYear
from xxgk.exchange.labels import closest_label
from xxgk.exchange.plan import ImportReport, import_records
from xxgk.exchange.records import CellRecord
from xxgk.exchange.values import value_text

COLUMNS: tuple[str, ...] = ("agency_id", "agency_name", "year", "table", "row", "column", "value")
MAX_CSV_BYTES = 256 * 1024 * 1024
"""The largest CSV import reads (about two million rows): a bigger file is refused before it is read
whole, rather than filling the memory; split it by body or year."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection")."""
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?", re.ASCII)


def _formula_like(text: str) -> bool:
    """True for a cell a spreadsheet would run, or that looks like one neutralised (``'=…``, ``''=…``)."""
    return text.lstrip("'")[:1] in FORMULA_START


def neutralise(text: str) -> str:
    """A text cell as export writes it: a single quote before anything a spreadsheet would run."""
    return "'" + text if _formula_like(text) else text


def restore(text: str) -> str:
    """Undo :func:`neutralise`: exactly one leading quote, and only before what it protects."""
    return text[1:] if text[:1] == "'" and _formula_like(text[1:]) else text


def _value_cell(text: str) -> str:
    """A value cell: a plain number is a number for the spreadsheet (``-3`` stays ``-3``), the rest is text."""
    return text if _PLAIN_NUMBER.fullmatch(text) else neutralise(text)


# --- export --------------------------------------------------------------------------------------


def export_rows(root: Path, agencies: Iterable[str] | None = None) -> Iterator[tuple[str, ...]]:
    """Every value cell under ``root`` as a CSV record (no header), in a deterministic order.

    Order: agency id, year, then the format's official cell order. The tree is read before the
    first record is yielded, and unreadable data stops the export (InputError) rather than leaving
    agency-years silently out of a warehouse load or half a file on stdout.
    """
    loaded = tree.load_tree(root, agencies)
    if loaded.problems:
        raise InputError(loaded.problems)
    return _records(sorted(loaded.years, key=lambda a: (a.agency.id, a.year)))


def _records(years: list[AgencyYear]) -> Iterator[tuple[str, ...]]:
    for ay in years:
        names = ay.format.table_names
        head = (neutralise(ay.agency.id), neutralise(ay.agency.name), neutralise(str(ay.year)))
        for spec, v in ay.cells():
            yield (
                *head,
                neutralise(names[spec.table]),
                neutralise(spec.row_label),
                neutralise(spec.column_label),
                _value_cell(value_text(v)),
            )


def export_csv(root: Path, out: TextIO, agencies: Iterable[str] | None = None, *, bom: bool = False) -> int:
    """Write the tidy CSV (header first, ``\\n`` line ends) of everything under ``root``; return its rows.

    ``out`` should be opened with ``newline=""`` (or be a StringIO) so the line ends stay ``\\n``.
    ``bom`` starts the text with U+FEFF, which ``out`` must encode as UTF-8 (``EF BB BF``): that
    mark is what makes Excel and WPS on Windows read the file as UTF-8. It is written only once the
    tree has been read, so a refused export still writes nothing at all.
    """
    records = export_rows(root, agencies)
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for record in records:
        writer.writerow(record)
        n += 1
    return n


def export_file(root: Path, path: Path, agencies: Iterable[str] | None = None, *, bom: bool = False) -> int:
    """Export to ``path`` (UTF-8, with a BOM if ``bom``) through a temporary file, so a failed export
    leaves no half file."""
    buf = io.StringIO(newline="")
    n = export_csv(root, buf, agencies, bom=bom)
    write_atomic(path, buf.getvalue())
    return n


# --- reading the CSV -----------------------------------------------------------------------------


def read_csv(path: Path) -> tuple[list[CellRecord], list[Diagnostic]]:
    """Read a tidy CSV, header row first; return its records and the warnings about reading it.

    The encoding is UTF-8 (with or without the BOM Excel writes) or, failing that, GB18030 (see
    :func:`_decode`), which comes with a warning. Raises InputError for what makes the file
    unreadable as a whole (encoding, header, broken quoting, records with the wrong number of
    fields), listing every such problem, after that warning: a header or label garbled by the
    wrong encoding is explained by it. The labels and values are not judged here: that needs the
    params tree (see :func:`plan_import`).
    """
    file = str(path)
    data = _read_bounded(path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError([problem(file, "文件是 UTF-16 编码：请另存为 UTF-8（Excel：“CSV UTF-8（逗号分隔）”）")])
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(
            [
                problem(
                    file,
                    "文件含有空字符（NUL），不是文本 CSV（可能是 UTF-16 编码或 Excel 工作簿）："
                    "请另存为“CSV UTF-8（逗号分隔）”",
                    line=data[:nul].count(b"\n") + 1,
                )
            ]
        )
    text, notes = _decode(data, file)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Diagnostic] = []
    rows: list[CellRecord] = []
    index: dict[str, int] | None = None
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            fields = [f.strip() for f in record]
            if not any(fields):
                continue  # blank lines, and the empty rows spreadsheets leave at the end
            if index is None:
                index = _header(fields, file, line, problems)
                if index is None:
                    raise InputError([*notes, *problems])
                continue
            if len(fields) != len(index):
                problems.append(
                    problem(
                        file,
                        f"本行有 {len(fields)} 个字段，表头有 {len(index)} 个",
                        line=line,
                        value=(",".join(record)),
                    )
                )
                continue
            rows.append(CellRecord(line, *(restore(fields[index[c]]) for c in COLUMNS)))
    except csv.Error as e:
        # The csv module's one bound (a field of more than 128 Ki characters) in the user's words.
        why = f"有字段超过 {csv.field_size_limit()} 个字符" if "field limit" in str(e) else str(e)
        problems.append(problem(file, f"CSV 格式错误：{why}", line=start))
    if index is None and not problems:
        problems.append(problem(file, "文件是空的：第一行应为表头 " + ",".join(COLUMNS)))
    if problems:
        raise InputError([*notes, *problems])
    return rows, notes


_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
"""CJK ideographs: what a tidy CSV in a Chinese encoding has (every record's ``table`` is 二, 三 or 四)."""
_NOT_TEXT = re.compile("[\ue000-\uf8ff\ufffd\U000f0000-\U0010ffff]")
"""Private-use characters and U+FFFD: no export or spreadsheet writes them, but GB18030 maps its
user-defined byte ranges there, which is where UTF-8 bytes read as GB18030 often land."""
GB18030_NOTICE = (
    "文件不是 UTF-8 编码，已按 GB18030（GBK）编码读取（WPS 和旧版 Excel 常这样保存）：请核对导入的中文；"
    "建议以后另存为“CSV UTF-8（逗号分隔）”"
)


def _decode(data: bytes, file: str) -> tuple[str, list[Diagnostic]]:
    """The file's text, and a warning if it had to be read as GB18030; or InputError.

    Valid UTF-8 is always read as UTF-8: GB18030 text that happens to be valid UTF-8 is too rare to
    guess at, and guessing would break every file that is right. Otherwise, that GB18030 (a superset
    of GBK and GB2312) decodes the bytes proves little: UTF-8 Chinese often decodes as GB18030 too,
    into plausible CJK (``青山县教育局`` → ``闈掑北鍘挎暀鑲插眬``), so a UTF-8 file with one damaged byte,
    or with rows from a GBK file pasted in, would be read as garbage with one warning, and the user
    sent hunting for unknown labels instead of the damaged line. So GB18030 is taken only when
    nothing in the file speaks for UTF-8 and the result looks like Chinese text:

    - no UTF-8 BOM: the mark declares the file UTF-8, so bytes that are not are damage or a second
      encoding appended, and reading the mark itself as GB18030 gives the classic ``锘``;
    - no line reads as UTF-8 text, i.e. has at least as many valid non-ASCII UTF-8 characters as
      invalid spots. Chinese in GBK is mostly invalid UTF-8 (in the bundled examples seven invalid
      spots per accidental valid character, and on no line are the valid ones as many), while a
      damaged UTF-8 file has lines of valid Chinese around the damage;
    - the GB18030 text has CJK ideographs (every record's table is 二, 三 or 四) and no
      private-use character or U+FFFD (see :data:`_NOT_TEXT`).

    ASCII control characters are the same bytes in both encodings, so they say nothing about which
    one the file is in and are left to the CSV reader. When the rule refuses, the error names the
    first byte that is not UTF-8, unless GB18030 read further: then the place where GB18030 stopped
    (or met a private-use character), since the encoding that read further is the likelier one and
    where it stopped the likelier damage; a GBK file with one bad byte on line 500 is not reported
    on line 2.
    """
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as e:
        stop = e.start
    line, found = _where(data, stop)
    if data.startswith(codecs.BOM_UTF8) or _has_utf8_text(data):
        why = "文件开头有 UTF-8 标记（BOM）" if data.startswith(codecs.BOM_UTF8) else "文件其余的中文是 UTF-8 编码"
        raise InputError(
            [
                problem(
                    file,
                    f"本行有不是 UTF-8 编码的字节，而{why}：本行可能已损坏，或混入了另一种编码（如 GBK）的内容，"
                    "因此没有按 GB18030（GBK）读取；请修正本行，或将整个文件另存为“CSV UTF-8（逗号分隔）”",
                    line=line,
                    value=found,
                )
            ]
        )
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as e:
        text, stop = "", max(stop, e.start)
    odd = _NOT_TEXT.search(text)
    if odd:
        stop = max(stop, len(text[: odd.start()].encode("gb18030")))
    if not _CJK.search(text) or odd:
        line, found = _where(data, stop)
        raise InputError(
            [
                problem(
                    file,
                    "文件不是 UTF-8 编码，也不是 GB18030（GBK）编码（Excel 请另存为“CSV UTF-8（逗号分隔）”）",
                    line=line,
                    value=found,
                )
            ]
        )
    # U+FEFF in GB18030 (84 31 95 33): a BOM-marked export that an editor saved again as GB18030.
    return text.removeprefix("\ufeff"), [problem(file, GB18030_NOTICE, severity="warning", rule=IMPORT_NOTICE)]


def _where(data: bytes, offset: int) -> tuple[int, bytes]:
    """The line of byte ``offset`` and the bytes from there that a message shows."""
    return data[:offset].count(b"\n") + 1, data[offset : offset + 4]


def _has_utf8_text(data: bytes) -> bool:
    """True if some line has at least as many valid non-ASCII UTF-8 characters as invalid spots.

    The decoder puts one U+FFFD for each invalid spot and never takes an ASCII byte into one, so
    the lines of the decoded text are the lines of the file.
    """
    for line in data.decode("utf-8", "replace").split("\n"):
        bad = line.count("\ufffd")
        good = len(line) - len(line.encode("ascii", "ignore")) - bad
        if good and good >= bad:
            return True
    return False


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, refused above :data:`MAX_CSV_BYTES` before reading it whole.

    A regular file is judged by its size; a pipe or device (``/dev/stdin``) by reading at most one
    byte more than the bound.
    """
    file = str(path)
    limit = MAX_CSV_BYTES
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            data = f.read(limit + 1) if size <= limit else b""
    except OSError as e:
        raise InputError([problem(file, f"无法读取文件：{e.strerror or e}")]) from None
    if size > limit or len(data) > limit:
        shown = f"{size / 1024**2:.0f} MB" if size > limit else f"超过 {limit // 1024**2} MB"
        raise InputError(
            [
                problem(
                    file,
                    f"文件过大（{shown}），最多 {limit // 1024**2} MB：请按机关或年度拆分后分别导入；未读取文件内容",
                )
            ]
        )
    return data


def _header(fields: list[str], file: str, line: int, problems: list[Diagnostic]) -> dict[str, int] | None:
    """Column positions by name; the columns may come in any order, but all seven, once each."""
    index: dict[str, int] = {}
    for i, name in enumerate(fields):
        if name in index:
            problems.append(problem(file, "表头中重复的列", line=line, field=name, value=(name)))
        elif name not in COLUMNS:
            hint = closest_label(name, COLUMNS)
            problems.append(problem(file, f"未知的列{hint}；表头应为 {','.join(COLUMNS)}", line=line, value=(name)))
        index.setdefault(name, i)
    missing = [c for c in COLUMNS if c not in index]
    if missing:
        problems.append(problem(file, f"表头缺少列 {'、'.join(missing)}；表头应为 {','.join(COLUMNS)}", line=line))
    return None if problems else index


def import_csv(path: Path, root: Path) -> ImportReport:
    """Import a tidy CSV into the params tree at ``root``: create or update data files, or raise.

    Raises InputError (with every problem, nothing written) when the CSV or a file it would touch
    is wrong. Warnings (the file read as GB18030, empty cells read as 0, an agency name that differs
    from agency.yaml, repeated rows) are in the report, those about reading the file first: they
    concern every row after them. A refused import lists the reading warning before its errors too,
    since a label the wrong encoding garbled is explained by it.
    """
    rows, notes = read_csv(path)
    try:
        report = import_records(rows, path, root)
    except InputError as e:
        if not notes:
            raise
        raise InputError([*notes, *e.problems]) from None
    report.warnings = [*notes, *report.warnings]
    return report
