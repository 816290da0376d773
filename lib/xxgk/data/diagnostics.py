"""One diagnostic type for everything xxgk says about a body's data, and one way to print it.

A file that cannot be read (rule ``P0``), a blank cell an import read as 0 (``Q3``) and a broken
identity found by a check (``S1`` …) are the same kind of thing to the analyst who must fix them
and to the machine that reads ``--format json``: a rule, a severity, where (file, line, field),
what (table, row and column by their official labels) and the expected and found values. So they
share one record, one text form and one JSON form.

Values from a data file are untrusted and may be huge (a 5,000-digit count, a symlink to a system
file): a diagnostic only ever carries a short, escaped excerpt of them (:func:`excerpt`).
"""

from __future__ import annotations

import dataclasses
import difflib
import reprlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]
UNREADABLE = "P0"
"""The rule of input that cannot be read as a report at all (``xxgk check`` exits 2)."""
BLANK_CELL = "Q3"
"""The rule of a blank or placeholder cell an importer read as 0."""
IMPORT_NOTICE = "M3"
"""The rule of what an import noticed but did not refuse (a name that differs, a repeated row)."""
EXCERPT_CHARS = 60


@dataclass(frozen=True)
class Diagnostic:
    """One thing wrong with the data, located by file and official labels; its dict is the JSON contract."""

    rule: str
    severity: Severity
    message: str
    file: str = ""
    line: int | None = None
    agency: str = ""
    year: int | None = None
    table: str = ""
    row: str = ""
    column: str = ""
    expected: str | None = None
    found: str | None = None
    field: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def replace(self, **changes: Any) -> Diagnostic:
        return dataclasses.replace(self, **changes)

    def __str__(self) -> str:
        return format_text(self)


def format_text(d: Diagnostic) -> str:
    """``file:line: 错误 RULE message``: the line ``xxgk check`` prints and editors can jump to."""
    where = f"{d.file}:{d.line}" if d.line else d.file
    level = "错误" if d.is_error else "警告"
    return f"{where}: {level} {d.rule} {d.message}"


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A bad value as a message may show it: escaped (no control character reaches a terminal or
    a page) and cut to ``limit`` characters, so no file's content is ever echoed at length."""
    if isinstance(value, str):
        text, shown = value, repr(value[: limit + 1])
    else:
        text = _shown_other(value)
        shown = text[: limit + 1]
    if len(shown) > limit:
        shown = shown[:limit] + f"…（共 {len(text)} 个字符）"
    return shown


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict, _REPR.maxset = 3, 8, 8, 8, 8
_REPR.maxstring = _REPR.maxother = EXCERPT_CHARS
_REPR.maxlong = EXCERPT_CHARS


def _shown_other(value: object) -> str:
    """A value that is no string, as text a message may hold, computed in bounded time and memory.

    ``str`` of a list built from a YAML file could be as long as the file, recurse as deep as its
    nesting, or (for an int of 5,000 digits) refuse to convert at all; so containers go through a
    depth- and length-limited repr, and whatever comes out is escaped like a string would be.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * EXCERPT_CHARS:
        return f"（约 {int(value.bit_length() * 0.30103)} 位的整数）"
    try:
        if isinstance(value, list | tuple | dict | set | frozenset | bytes | bytearray):
            text = _REPR.repr(value)
        else:
            text = str(value)
    except (ValueError, RecursionError, MemoryError):
        return f"（无法显示的 {type(value).__name__}）"
    return text if text.isprintable() else repr(text)[1:-1]


def problem(
    file: str,
    message: str,
    line: int | None = None,
    field: str = "",
    label: str = "",
    value: object = None,
    *,
    rule: str = UNREADABLE,
    severity: Severity = "error",
    agency: str = "",
    year: int | None = None,
) -> Diagnostic:
    """Input that cannot be taken as it is: which field (with its official label) and the bad value."""
    text = message
    if field:
        text = f"{field}（{label}）：{message}" if label else f"{field}：{message}"
    elif label:
        text = f"{label}：{message}"
    shown = None if value is None else excerpt(value)
    if shown is not None:
        text += f"（值：{shown}）"
    return Diagnostic(
        rule=rule,
        severity=severity,
        message=text,
        file=file,
        line=line,
        agency=agency,
        year=year,
        column=label,
        found=shown,
        field=field,
    )


class InputError(Exception):
    """Raised with every problem of one or more files; nothing has been written."""

    def __init__(self, problems: list[Diagnostic]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def errors(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.is_error]


def closest(word: str, choices: Iterable[str], *, n: int = 3, cutoff: float = 0.5) -> list[str]:
    """The official labels or keys most like ``word``: every "did you mean" of xxgk comes from here."""
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)


def closest_hint(word: str, choices: Iterable[str], *, cutoff: float = 0.5, quoted: bool = False) -> str:
    """``；最接近的是：A、B`` (or nothing): the suffix a message gets for a misspelt key or label."""
    close = closest(word, choices, cutoff=cutoff)
    if not close:
        return ""
    if quoted:
        return "；最接近的官方标签是：" + "、".join(f"「{c}」" for c in close)
    return "；最接近的是：" + "、".join(close)
