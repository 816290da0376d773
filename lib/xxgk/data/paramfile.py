"""Writing params files: every key carries its official label as a comment.

An analyst opens ``params/<agency>/<year>.yaml`` and sees, beside each key, the label of the
national format it stands for, so the file can be filled in without a manual. When xxgk updates
an existing file (``xxgk import``) it replaces only the ``tables:`` block and keeps every other
byte, comments and narrative included; if someone has written their own comments inside that
block, it edits the values in place with ruamel.yaml instead so nothing of theirs is lost.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import LiteralScalarString

from xxgk import formats
from xxgk.data.carry import carried
from xxgk.data.diagnostics import Diagnostic, problem
from xxgk.data.model import Agency, AgencyYear, Amount, Facts, Narrative, Source, Tables, Value
from xxgk.formats import FormatVersion


def scalar(v: Value | None) -> str:
    """A value as YAML text that reads back as the same value (Decimal keeps its digits).

    ``None`` is a cell still to be filled in: written empty, it reads back as missing, which
    ``xxgk check`` names until someone writes a number (0 included) there."""
    if v is None:
        return ""
    if isinstance(v, Amount):
        # A sum of money is written as the body wrote it: 86000 stays 86000, not 86000.0.
        return f"{{value: {format(v.value, 'f')}, unit: {v.unit}}}"
    if isinstance(v, Decimal):
        text = format(v, "f")
        return text if "." in text else text + ".0"
    return str(v)


def tables_block(version: FormatVersion, tables: Tables) -> str:
    """The ``tables:`` block in canonical form, a comment with the official label on every key."""
    lines = ["tables:"]
    for table in ("t2", "t3", "t4"):
        lines.append(f"  {table}:  # {version.sections[table]}")
        for row, columns in version.layout[table].items():
            first = version.cell(table, row, columns[0])
            row_comment = first.row_label or first.column_label.rsplit("/", 1)[0]
            if table == "t2":
                block = next(b for b in version.t2_blocks if any(r.key == row for r in b.rows))
                row_comment = f"{block.label} {row_comment}"
            lines.append(f"    {row}:  # {row_comment}")
            for col in columns:
                label = version.cell(table, row, col).column_leaf
                lines.append(f"      {col}: {scalar(tables[table][row][col])}  # {label}")
    return "\n".join(lines) + "\n"


class _Dumper(yaml.SafeDumper):
    pass


class _LineDumper(_Dumper):
    """Every string on one line: for ``agency.yaml``, where a label comment follows each value."""


# What YAML reads as a line break (NEL, U+2028/2029) or cannot carry raw (controls, BOM,
# noncharacters): a string with any of them is written double-quoted with escapes, so it stays one
# scalar that reads back as itself, whatever the dumper's own choice of style would have been.
_ESCAPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = '"' if _ESCAPED.search(data) else "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _one_line_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = '"' if _ESCAPED.search(data) or "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _dec(dumper: yaml.SafeDumper, data: Decimal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:float", scalar(data))


_Dumper.add_representer(str, _str)
_Dumper.add_representer(Decimal, _dec)
_LineDumper.add_representer(str, _one_line_str)


def _dump(data: dict[str, Any]) -> str:
    if not data:
        return ""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def dump_year(ay: AgencyYear) -> str:
    """A complete data file for one agency-year, as ``xxgk import`` and ``xxgk new`` write it."""
    v = ay.format
    # Only our own words go into comments: the body's name is data and lives in agency.yaml,
    # written by the YAML dumper, where no character of it can start a line of its own here.
    head = [
        f"# {ay.year}年政府信息公开工作年度报告：数据（机关信息见同一目录的 agency.yaml）",
        f"# 格式：{v.name}（{v.basis}）",
        "# 每个单元格都必须填写，没有的填 0；# 后是各键对应的官方标签。",
    ]
    meta: dict[str, Any] = {}
    if ay.format_named:
        meta["format"] = v.id
    meta["published"] = ay.published
    if ay.illustrative:
        meta["illustrative"] = ay.illustrative
    if ay.source is not None:
        meta["source"] = ay.source.model_dump(exclude_defaults=True, mode="python")
    facts = ay.facts.model_dump(exclude_defaults=True, mode="python")
    if facts:
        meta["facts"] = facts
    narrative = ay.narrative.model_dump(mode="python")
    return (
        "\n".join(head)
        + "\n"
        + _dump(meta)
        + tables_block(v, ay.tables)
        + "# 一、五、六部分的正文（Markdown）。可用 {{ 占位符 }} 引用由表格计算出的数字，见 README。\n"
        + _dump({"narrative": narrative})
    )


def blank_year(agency: Agency, year: int, previous: AgencyYear | None) -> str:
    """A new data file to fill in: every cell empty, except what last year's file already fixes.

    The carried cells (:func:`xxgk.data.carry.carried`) are filled in; nothing is filled with 0:
    an empty cell stays an error.
    """
    version = formats.for_year(year)
    tables: dict[str, dict[str, dict[str, Any]]] = {
        t: {r: dict.fromkeys(cols) for r, cols in rows.items()} for t, rows in version.layout.items()
    }
    for (t, r, c), carry in carried(previous, year).items():
        tables[t][r][c] = carry.value
    ay = AgencyYear(agency=agency, year=year, format=version, tables=tables, narrative=Narrative())
    return dump_year(ay)


_NO_WRAP = 1 << 30  # the dumper folds long scalars at its width: never, for a value with a comment after it


def _key_line(key: str, value: str | None) -> str:
    """``key: value`` as the YAML dumper writes it, on one line (quoted and escaped as needed)."""
    text = yaml.dump({key: value}, Dumper=_LineDumper, allow_unicode=True, width=_NO_WRAP)
    return text.rstrip("\n")


def dump_agency(agency: Agency) -> str:
    """``agency.yaml``: each value through the YAML dumper, each label comment ours, from the format.

    A value is always one line (see :class:`_LineDumper`), so the comment after it can never end
    up inside it; should it ever span lines, its comment goes on a line of its own above it.
    """
    lines = ["# 机关信息"]
    for key, value, label in (
        ("name", agency.name, "机关名称（报告标题用）"),
        ("level", agency.level or None, f"行政级别：{'、'.join(formats.levels())}"),
        ("parent", agency.parent or None, "上级人民政府（如有）"),
    ):
        line = _key_line(key, value)
        lines.extend([f"# {label}", line] if "\n" in line else [f"{line}  # {label}"])
    return "\n".join(lines) + "\n"


LINKED = "是符号链接：为免写到数据目录之外或别的机关目录中，xxgk 不经符号链接写入数据文件；请把它换成实际的目录或文件"


def first_link(root: Path, path: Path) -> Path | None:
    """The first symbolic link on the way from ``root`` (itself not judged) down to ``path``, or None.

    A params file is written through a temporary file in its folder and renamed into place. Through
    a linked agency folder that would write wherever the link points (outside ``params/``, or into
    another body's folder); a linked data file would be replaced by a plain file, and the link lost.
    ``xxgk new`` and ``xxgk import`` therefore refuse to write through a link, and name it.
    """
    here = root
    for part in path.relative_to(root).parts:
        here = here / part
        if here.is_symlink():
            return here
    return None


def link_target(link: Path) -> str | None:
    """Where ``link`` points, for a message (None if it cannot be read)."""
    try:
        return os.readlink(link)
    except OSError:
        return None


def link_problem(root: Path, path: Path) -> Diagnostic | None:
    """:func:`first_link` as a problem naming the link and its target."""
    link = first_link(root, path)
    return None if link is None else problem(str(link), LINKED, value=link_target(link))


_TOP_KEY = re.compile(r"^[^\s#]", re.M)


def _tables_span(text: str) -> tuple[int, int] | None:
    m = re.search(r"^tables:[ \t]*(#.*)?$", text, re.M)
    if not m:
        return None
    nxt = _TOP_KEY.search(text, m.end() + 1)
    end = nxt.start() if nxt else len(text)
    # Comments that introduce the next key belong to it, not to the tables block.
    body = text[m.start() : end]
    trailing = re.search(r"(\n(#[^\n]*)?)*\Z", body)
    if trailing and trailing.start() < len(body):
        end = m.start() + trailing.start() + 1
    return m.start(), end


def update_year_text(old_text: str, old: AgencyYear, tables: Tables) -> str:
    """Put new table values into an existing file, disturbing nothing else in it."""
    span = _tables_span(old_text)
    if span and old_text[span[0] : span[1]] == tables_block(old.format, old.tables):
        return old_text[: span[0]] + tables_block(old.format, tables) + old_text[span[1] :]
    return _update_in_place(old_text, old.format, tables)


def _update_in_place(old_text: str, version: FormatVersion, tables: Tables) -> str:
    """Slow path: the tables block carries the user's own edits, so change only the values."""
    ry = YAML()
    ry.preserve_quotes = True
    ry.width = 1000
    ry.representer.add_representer(Decimal, lambda r, d: r.represent_scalar("tag:yaml.org,2002:float", scalar(d)))
    doc = ry.load(old_text)
    node = doc.setdefault("tables", CommentedMap())
    for table, rows in version.layout.items():
        tnode = node.setdefault(table, CommentedMap())
        for row, columns in rows.items():
            rnode = tnode.setdefault(row, CommentedMap())
            for col in columns:
                v = tables[table][row][col]
                if isinstance(v, Amount):
                    rnode[col] = CommentedMap([("value", v.value), ("unit", v.unit)])
                    rnode[col].fa.set_flow_style()
                else:
                    rnode[col] = v
    buf = io.StringIO()
    ry.dump(doc, buf)
    return buf.getvalue()


def update_year_fields(
    text: str, published: dt.date | None, facts: Facts, narrative: Narrative, source: Source | None = None
) -> str:
    """Put a new publication date, facts and narrative into an existing file, keeping everything else.

    ruamel.yaml edits the three keys in place, so the tables block, the header comments and any
    comment of the user's stay as they were; multi-line text is written as a literal block, as
    :func:`dump_year` writes it. The caller reads the result back to prove nothing else moved.
    """
    ry = YAML()
    ry.preserve_quotes = True
    ry.width = 1000
    ry.representer.add_representer(Decimal, lambda r, d: r.represent_scalar("tag:yaml.org,2002:float", scalar(d)))
    doc = ry.load(text)
    doc["published"] = published
    if source is not None:
        doc["source"] = _literal(source.model_dump(exclude_defaults=True, mode="python"))
    dumped = facts.model_dump(exclude_defaults=True, mode="python")
    if dumped:
        doc["facts"] = _literal(dumped)
    elif "facts" in doc:
        del doc["facts"]
    node = doc.get("narrative")
    if not isinstance(node, CommentedMap):
        node = doc["narrative"] = CommentedMap()
    for key, value in narrative.model_dump(mode="python").items():
        node[key] = _literal(value)
    buf = io.StringIO()
    ry.dump(doc, buf)
    return buf.getvalue()


def _literal(value: Any) -> Any:
    """Strings with line breaks as ``|`` blocks, all the way down (ruamel keeps their style)."""
    if isinstance(value, str):
        return LiteralScalarString(value) if "\n" in value and not _ESCAPED.search(value) else value
    if isinstance(value, dict):
        return {k: _literal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_literal(v) for v in value]
    return value
