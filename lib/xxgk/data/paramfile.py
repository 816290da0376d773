"""Writing params files: every key carries its official label as a comment.

An analyst opens ``params/<agency>/<year>.yaml`` and sees, beside each key, the label of the
national format it stands for, so the file can be filled in without a manual. When xxgk updates
an existing file (``xxgk import``) it replaces only the ``tables:`` block and keeps every other
byte, comments and narrative included; if someone has written their own comments inside that
block, it edits the values in place with ruamel.yaml instead so nothing of theirs is lost.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from xxgk import formats
from xxgk.data.model import Agency, AgencyYear, Amount, Narrative, Tables, Value, count
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


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _dec(dumper: yaml.SafeDumper, data: Decimal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:float", scalar(data))


_Dumper.add_representer(str, _str)
_Dumper.add_representer(Decimal, _dec)


def _dump(data: dict[str, Any]) -> str:
    if not data:
        return ""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def dump_year(ay: AgencyYear) -> str:
    """A complete data file for one agency-year, as ``xxgk import`` and ``xxgk new`` write it."""
    v = ay.format
    head = [
        f"# {ay.agency.name} {ay.year}年政府信息公开工作年度报告：数据",
        f"# 格式：{v.name}（{v.basis}）",
        "# 每个单元格都必须填写，没有的填 0；# 后是各键对应的官方标签。",
    ]
    meta: dict[str, Any] = {}
    if ay.format_named:
        meta["format"] = v.id
    meta["published"] = ay.published
    if ay.illustrative:
        meta["illustrative"] = ay.illustrative
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

    Table 三's carried-over row is last year's carried-forward row (rule X1) and, within the 2019
    format, table 二's previous item counts are last year's counts plus their change (rule X3):
    carried over, since copying them by hand is where those rules usually break. Nothing is
    filled with 0: an empty cell stays an error.
    """
    version = formats.for_year(year)
    tables: dict[str, dict[str, dict[str, Any]]] = {
        t: {r: dict.fromkeys(cols) for r, cols in rows.items()} for t, rows in version.layout.items()
    }
    if previous is not None and previous.year == year - 1:
        tables["t3"]["carried_over"] = dict(previous.tables["t3"]["carried_forward"])
        if previous.format is version:
            for row, cols in previous.tables["t2"].items():
                if "previous_items" in cols and "change" in cols:
                    tables["t2"][row]["previous_items"] = count(cols["previous_items"]) + count(cols["change"])
    ay = AgencyYear(agency=agency, year=year, format=version, tables=tables, narrative=Narrative())
    return dump_year(ay)


def dump_agency(agency: Agency) -> str:
    lines = [
        "# 机关信息",
        _dump({"name": agency.name}).rstrip("\n") + "  # 机关名称（报告标题用）",
        (_dump({"level": agency.level}).rstrip("\n") if agency.level else "level: null")
        + f"  # 行政级别：{'、'.join(formats.levels())}",
        (_dump({"parent": agency.parent}).rstrip("\n") if agency.parent else "parent: null")
        + "  # 上级人民政府（如有）",
    ]
    return "\n".join(lines) + "\n"


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
