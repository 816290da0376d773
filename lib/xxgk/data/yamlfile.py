"""Reading params YAML: fast when the file is right, every problem named by line when it is not.

A data file is read fast (libyaml, no node positions) and validated against the format version of
its year. Only when something is wrong is the file parsed again with positions, so that every
problem names its line. Problems of this kind mean the file cannot be read as a report at all
(rule P0: ``xxgk check`` exits 2); problems with the numbers themselves are the job of
:mod:`xxgk.check`.

A data file is untrusted input. Before it is read it must be a regular file of at most
:data:`MAX_FILE_BYTES` (which symlinks may be followed is decided in :mod:`xxgk.data.tree`); before
anything is built from it, anchors, aliases and tags are refused on the parser's events (an alias
bomb never expands), and so is a flood of nodes; while it is built, a key written twice, a key
that is no text, and numbers, dates and texts that are no sane value (5,000 digits, 2024-13-45,
``.inf``) are refused by line. No message shows more of the file than a short escaped excerpt.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import typing
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from xxgk import formats
from xxgk.data.diagnostics import EXCERPT_CHARS, Diagnostic, InputError, closest_hint, excerpt, problem
from xxgk.data.model import (
    AMOUNT_UNITS,
    Agency,
    AgencyInfo,
    AgencyYear,
    Amount,
    Facts,
    Narrative,
    RegionInfo,
    Source,
    Strict,
    Tables,
    Value,
)
from xxgk.formats import FormatVersion

YEAR_FILE_NAME = "数据文件名应为四位年份，如 2024.yaml"


class YearHead(Strict):
    """The fixed fields of a year's data file (the tables are read against the format, not by pydantic)."""

    year: int | None = None
    format: str | None = None
    published: dt.date | None = None
    illustrative: str | None = None
    source: Source | None = None
    facts: Facts = Facts()
    narrative: Narrative = Narrative()
    tables: dict[str, Any]

    @pydantic.field_validator("format")
    @classmethod
    def _known_format(cls, v: str | None) -> str | None:
        if v is not None and v not in formats.versions():
            raise ValueError(f"格式版本应为 {'、'.join(formats.versions())} 之一")
        return v


MAX_FILE_BYTES = 5 * 1024 * 1024
"""The largest data file read: a year's file is a few KB, so anything near this is no report."""
MAX_DIGITS = 15
"""The most digits of a number's integer part (and of its decimals): no count or sum comes near."""
MAX_TEXT_CHARS = 50_000
"""The longest text value (a narrative section is a few thousand characters)."""
MAX_NODES = 20_000
"""The most keys and values a data file may hold (a year's file has under a thousand)."""
_MAX_REPORTED = 5
"""Problems of one kind reported per file (an alias bomb has thousands of aliases)."""
MAX_PROBLEMS = 100
"""The most problems listed for one file; the rest are counted (a pasted document would give thousands)."""
ANCHORS_REFUSED = "数据文件中不允许使用 YAML 锚点和别名（& 和 *）：请把每个值直接写出"
TAGS_REFUSED = "数据文件中不允许使用 YAML 标签（如 !!python/object、!!binary、!tag）：请直接写出值，文字可加引号"
_STR = "tag:yaml.org,2002:str"
_KEY_KINDS = {
    "tag:yaml.org,2002:int": "整数",
    "tag:yaml.org,2002:float": "数",
    "tag:yaml.org,2002:bool": "是/否值",
    "tag:yaml.org,2002:null": "空值",
    "tag:yaml.org,2002:timestamp": "日期",
}


class Unreadable:
    """A scalar the loader refused (5,000 digits, 2024-13-45, ``.inf``), standing where its value was.

    The loader knows the line but not which field the scalar fills; the checks after it know the
    field and its official label. So the loader leaves this in place of a value (instead of a
    traceback or a silent NaN) and whoever meets it reports its message at that field. Every one
    is also listed by the loader, so none can pass unreported.
    """

    __slots__ = ("line", "message", "reported", "text")

    def __init__(self, text: str, message: str, line: int):
        self.text, self.message, self.line, self.reported = text, message, line, False

    def __repr__(self) -> str:
        return excerpt(self.text)

    __str__ = __repr__


class _Loader(yaml.CSafeLoader):
    """libyaml's safe loader, made strict about what a data file may say.

    Floats become Decimal (万元 keep the precision written); numbers, dates and texts that are no
    sane value become :class:`Unreadable`; a key written twice, and a key that is no text, are
    refused by line. libyaml parses and composes; the constructor is PyYAML's Python code, so the
    methods below replace its steps for the two node kinds a data file has.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.unreadable: list[Unreadable] = []
        self.refused: list[tuple[int, str]] = []

    def refuse(self, node: yaml.Node, text: str, message: str) -> Unreadable:
        u = Unreadable(text, message, node.start_mark.line + 1)
        self.unreadable.append(u)
        return u

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, "应为映射", node.start_mark)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not yaml.ScalarNode or key_node.tag != _STR:
                self._bad_key(key_node)
                continue
            key = key_node.value
            if key in mapping:
                first = next(
                    k for k, _ in node.value if type(k) is yaml.ScalarNode and k.tag == _STR and k.value == key
                )
                self.refused.append(
                    (
                        key_node.start_mark.line + 1,
                        f"键“{shown_key(key)}”重复出现（第 {first.start_mark.line + 1} 行与第 "
                        f"{key_node.start_mark.line + 1} 行）：每个键只能写一次",
                    )
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def _bad_key(self, key_node: yaml.Node) -> None:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            self.refused.append((line, "键不能是映射或列表：键应为字段名（如 published、tables）"))
        elif key_node.tag == "tag:yaml.org,2002:merge":
            self.refused.append((line, "数据文件中不允许使用 YAML 合并键 <<：请把每个键直接写出"))
        else:
            kind = _KEY_KINDS.get(key_node.tag, "非文字")
            self.refused.append(
                (line, f"键 {excerpt(key_node.value)} 会被 YAML 读作{kind}：键应为字段名（文字，如 published、tables）")
            )


def _int(loader: _Loader, node: yaml.ScalarNode) -> int | Unreadable:
    text = node.value
    plain = text.replace("_", "")
    digits = plain.lstrip("+-")
    if not (digits.isdigit() and (digits == "0" or digits[0] != "0")):
        # YAML 1.1 reads 010 as 8, 0x10 as 16 and 1:30 as 90: never what a report means.
        return loader.refuse(node, text, "请写成十进制整数（以 0 开头、0x、0b 或带冒号的数会被 YAML 读成别的值）")
    if len(digits) > MAX_DIGITS:
        return loader.refuse(node, text, f"数字位数过多（共 {len(digits)} 位，最多 {MAX_DIGITS} 位）")
    return int(plain)


def _decimal(loader: _Loader, node: yaml.ScalarNode) -> Decimal | Unreadable:
    text = node.value
    lowered = text.lower().lstrip("+-")
    if lowered == ".inf":
        return loader.refuse(node, text, "无穷大不是有效的数值")
    if lowered == ".nan":
        return loader.refuse(node, text, "不是数（NaN）：应为有限的数字")
    try:
        number = Decimal(text.replace("_", ""))  # 1:30.5 (sexagesimal) is no Decimal
    except InvalidOperation:
        return loader.refuse(node, text, "请写成十进制数（如 12.5）")
    exponent = number.as_tuple().exponent
    if number.adjusted() >= MAX_DIGITS or (isinstance(exponent, int) and exponent < -MAX_DIGITS):
        # 1.0e+999999999 would be a billion digits wherever the report prints it.
        return loader.refuse(node, text, f"数值过大或小数位过多（整数部分和小数部分各最多 {MAX_DIGITS} 位）")
    return number


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> dt.date | Unreadable:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as e:
        why = str(e)
        detail = "月份应为 1–12" if why.startswith("month") else "这个月没有这一天" if "day" in why else "超出范围"
        return loader.refuse(node, node.value, f"不是有效的日期（{detail}；应写成 YYYY-MM-DD，如 2024-01-31）")


def _str(loader: _Loader, node: yaml.ScalarNode) -> str | Unreadable:
    text: str = node.value
    if len(text) > MAX_TEXT_CHARS:
        return loader.refuse(node, text, f"文字过长（共 {len(text)} 个字符，最多 {MAX_TEXT_CHARS} 个）")
    return text


_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Loader.add_constructor(_STR, _str)


def shown_key(key: object) -> str:
    """A key as a message or a field path may show it: itself when it is short visible text."""
    return key if isinstance(key, str) and key.isprintable() and len(key) <= EXCERPT_CHARS else excerpt(key)


def shown_path(path: Path) -> str:
    """A file's path as a message may show it: a name holding control characters comes out escaped."""
    text = str(path)
    return text if text.isprintable() else repr(text)[1:-1]


def _safe(text: str) -> str:
    """libyaml's own wording of a problem (which may quote a tag from the file), made safe to print."""
    return text if text.isprintable() and len(text) <= 200 else excerpt(text)


def _node_bound(text: str) -> int:
    """An upper bound of the number of YAML nodes in ``text``, counted at the speed of ``str.count``.

    Every node but the root needs a separator of its own: a ``:`` (key and value), a ``,`` or a
    ``[``/``{`` in flow style, a ``-`` or ``?`` in block style.
    """
    separators = text.count(":") + text.count(",") + text.count("-") + text.count("?")
    return 2 * separators + text.count("[") + text.count("{") + 1


def _structure(path: Path, text: str) -> list[Diagnostic]:
    """Anchors, aliases, tags and a flood of nodes, refused before anything is built from the file.

    An alias makes the same value appear many times over; nine lines of them (the "billion laughs")
    expand to a billion strings in whatever walks the result, so the file is refused on the parser's
    events, which never expand anything. A tag asks for a type (``!!python/object``, ``!!binary``)
    that no data file needs. Millions of tiny values (``[1,1,1,…]``) would take gigabytes as nodes
    and as one error each. Without ``&``, ``*`` or ``!`` in the text and with few separators there
    can be none of these, so the usual file pays a few substring counts and no second parse.
    """
    if "&" not in text and "*" not in text and "!" not in text and _node_bound(text) <= MAX_NODES:
        return []
    out: list[Diagnostic] = []
    lines: set[int | None] = set()
    nodes = 0
    try:
        for ev in yaml.parse(text, Loader=yaml.CSafeLoader):
            if not isinstance(ev, yaml.NodeEvent):
                continue
            nodes += 1
            line = ev.start_mark.line + 1 if ev.start_mark else None
            if nodes > MAX_NODES:
                message = f"数据文件中的键和值太多（超过 {MAX_NODES} 个；一份年度数据只有几百个），未读取"
                out.append(problem(shown_path(path), message, line=line))
                break
            tag = getattr(ev, "tag", None)
            if line in lines or (tag is None and ev.anchor is None and not isinstance(ev, yaml.AliasEvent)):
                continue
            lines.add(line)
            if tag is None:
                out.append(problem(shown_path(path), ANCHORS_REFUSED, line=line))
            else:
                out.append(problem(shown_path(path), TAGS_REFUSED, line=line, value=tag))
            if len(out) >= _MAX_REPORTED:
                break
    except yaml.YAMLError:
        pass  # the load names the syntax error
    return out


def _parse(path: Path, text: str) -> tuple[Any, list[Unreadable]]:
    """The file's data, and the scalars that were refused in it (reported by whoever meets them)."""
    where = shown_path(path)
    refused = _structure(path, text)
    if refused:
        raise InputError(refused)
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise InputError([problem(where, f"YAML 语法错误：{_safe(e.problem or str(e))}", line=line)]) from None
    except yaml.reader.ReaderError as e:
        raise InputError([_reader_problem(where, text, e)]) from None
    except yaml.YAMLError as e:
        raise InputError([problem(where, f"YAML 无法读取：{_safe(str(e))}")]) from None
    finally:
        loader.dispose()
    if loader.refused:
        told = [problem(where, msg, line=line) for line, msg in loader.refused[:MAX_PROBLEMS]]
        if len(loader.refused) > MAX_PROBLEMS:
            told.append(
                problem(where, f"本文件还有 {len(loader.refused) - MAX_PROBLEMS} 处问题未列出：请先修正以上各处")
            )
        raise InputError(told)
    return data, loader.unreadable


def _reader_problem(where: str, text: str, e: yaml.reader.ReaderError) -> Diagnostic:
    """A character YAML does not allow (NUL, most control characters), by line and column."""
    data = text.encode("utf-8", "surrogatepass")
    pos = e.position if isinstance(e.position, int) else 0
    line_start = data.rfind(b"\n", 0, pos) + 1
    line = data.count(b"\n", 0, pos) + 1
    column = len(data[line_start:pos].decode("utf-8", "replace")) + 1
    char = e.character if isinstance(e.character, int) else ord(str(e.character)[:1] or "\0")
    return problem(
        where,
        f"第 {line} 行第 {column} 列有 YAML 不允许的字符 U+{char:04X}（控制字符）：请删除它",
        line=line,
    )


def _lines(text: str) -> dict[tuple[str, ...], int]:
    """Map each key path of a YAML mapping tree to its line: only computed when reporting.

    Walked without recursion (nesting may be as deep as libyaml allows) and visiting each node once.
    """
    out: dict[tuple[str, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return out
    if root is None:
        return out
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        out.setdefault(path, node.start_mark.line + 1)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in reversed(node.value):
                key = (*path, str(k.value))
                out[key] = k.start_mark.line + 1
                stack.append((v, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in reversed(list(enumerate(node.value))):
                stack.append((v, (*path, str(i))))
    return out


def key_lines(path: Path) -> dict[tuple[str, ...], int]:
    """Line of every key path in a data file (for findings that point into it)."""
    try:
        return _lines(read_text(path))
    except InputError:
        return {}


def _line_for(lines: dict[tuple[str, ...], int], path: tuple[str, ...]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


@dataclass
class _Collector:
    path: Path
    text: str
    problems: list[Diagnostic] = field(default_factory=list)
    untold: int = 0
    blanks: set[tuple[str, str, str]] | None = None
    """When a set: a draft is being read, and each empty cell is added here (read as 0) instead of refused."""
    _lines: dict[tuple[str, ...], int] | None = None

    def add(self, keys: tuple[str, ...], message: str, label: str = "", value: Any = None) -> None:
        if isinstance(value, Unreadable):
            value.reported = True
        if len(self.problems) >= MAX_PROBLEMS:
            self.untold += 1
            return
        if self._lines is None:
            self._lines = _lines(self.text)
        line = _line_for(self._lines, keys)
        if isinstance(value, Unreadable):
            line = line or value.line
            value = value.text
        self.problems.append(
            problem(
                shown_path(self.path),
                message,
                line=line,
                field=".".join(shown_key(k) for k in keys),
                label=label,
                value=value,
            )
        )

    def unreported(self, refused: list[Unreadable]) -> None:
        """Report every refused scalar no field check met (each must be named at least once)."""
        for u in refused:
            if not u.reported:
                u.reported = True
                if len(self.problems) >= MAX_PROBLEMS:
                    self.untold += 1
                    continue
                self.problems.append(problem(shown_path(self.path), u.message, line=u.line, value=u.text))

    def error(self) -> InputError:
        """Every problem found, the ones past :data:`MAX_PROBLEMS` as one count."""
        told = list(self.problems)
        if self.untold:
            told.append(problem(shown_path(self.path), f"本文件还有 {self.untold} 处问题未列出：请先修正以上各处"))
        return InputError(told)


def _value(raw: Any, spec: formats.CellSpec, keys: tuple[str, ...], out: _Collector) -> Value | None:
    """Accept any number of the right broad type; range and integrality are checked by rule I3."""
    label = spec.label
    if raw is None and out.blanks is not None:
        out.blanks.add((spec.table, spec.row, spec.column))
        return Amount(Decimal(0), AMOUNT_UNITS[0]) if spec.kind == "amount" else 0
    if spec.kind == "amount":
        if not (isinstance(raw, dict) and set(raw) == {"value", "unit"}):
            out.add(keys, "金额应写成 {value: 数额, unit: 元 或 万元}", label, raw)
            return None
        if raw["unit"] not in AMOUNT_UNITS:
            out.add((*keys, "unit"), f"金额单位应为 {'、'.join(AMOUNT_UNITS)} 之一", label, raw["unit"])
            return None
        number = _number(raw["value"], (*keys, "value"), label, out)
        return None if number is None else Amount(Decimal(number), raw["unit"])
    return _number(raw, keys, label, out)


def _number(raw: Any, keys: tuple[str, ...], label: str, out: _Collector) -> int | Decimal | None:
    if isinstance(raw, Unreadable):
        out.add(keys, raw.message, label, raw)
        return None
    if isinstance(raw, bool) or raw is None or not isinstance(raw, int | Decimal):
        what = "缺少数值（每个单元格都必须填写，没有的填 0）" if raw is None else "应为数字"
        out.add(keys, what, label, raw)
        return None
    if isinstance(raw, Decimal) and not raw.is_finite():
        out.add(keys, "应为有限的数字", label, raw)
        return None
    return raw


def _tables(raw: Any, version: FormatVersion, out: _Collector) -> Tables:
    tables: Tables = {}
    if not isinstance(raw, dict):
        out.add(("tables",), "tables 应为映射（t2、t3、t4）", value=raw)
        return tables
    for extra in sorted(set(raw) - set(version.layout)):
        out.add(("tables", str(extra)), "未知的表" + closest_hint(str(extra), version.layout), value=extra)
    for table, rows in version.layout.items():
        raw_rows = raw.get(table)
        title = version.table_title(table)
        if not isinstance(raw_rows, dict):
            out.add(("tables", table), f"缺少{title}或其内容不是映射", title, raw_rows)
            continue
        for extra in sorted(set(raw_rows) - set(rows), key=str):
            other = _other_version_owner(table, str(extra), version)
            hint = f"；这是{other}格式的行，本年度适用{version.name}" if other else closest_hint(str(extra), rows)
            out.add(("tables", table, str(extra)), f"{title}中没有这一行{hint}", title, extra)
        tables[table] = {}
        for row, columns in rows.items():
            raw_cols = raw_rows.get(row)
            spec0 = version.cell(table, row, columns[0])
            if not isinstance(raw_cols, dict):
                where = spec0.row_label or spec0.column_label.rsplit("/", 1)[0]
                out.add(("tables", table, row), "缺少整行数据或其内容不是映射", f"{title} {where}", raw_cols)
                continue
            for extra in sorted(set(raw_cols) - set(columns), key=str):
                out.add(
                    ("tables", table, row, str(extra)),
                    "没有这一列" + closest_hint(str(extra), columns),
                    spec0.row_label,
                    extra,
                )
            values: dict[str, Value] = {}
            for col in columns:
                spec = version.cell(table, row, col)
                keys = ("tables", table, row, col)
                if col not in raw_cols:
                    out.add(keys, "缺少单元格（每个单元格都必须填写，没有的填 0）", spec.label)
                    continue
                v = _value(raw_cols[col], spec, keys, out)
                if v is not None:
                    values[col] = v
            tables[table][row] = values
    return tables


def _other_version_owner(table: str, row: str, version: FormatVersion) -> str | None:
    for other in formats.versions().values():
        if other.id != version.id and row in other.layout.get(table, {}):
            return other.name
    return None


_PYDANTIC_MESSAGES = {
    "extra_forbidden": "未知的字段",
    "missing": "缺少必填字段",
    "string_type": "应为文字",
    "string_too_short": "不能为空",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期（YYYY-MM-DD），不带时间",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
    "tuple_type": "应为列表",
    "list_type": "应为列表",
    "invalid_key": "键应为文字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
}


_UNION_MEMBERS = {"int", "decimal", "str", "float", "bool"}


def _union_member(e: Any) -> bool:
    """Whether a pydantic error is one member's refusal within a union (its location ends in the type)."""
    return bool(e["loc"]) and e["loc"][-1] in _UNION_MEMBERS and str(e["type"]).endswith(("_type", "_parsing"))


def _fields_at(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model a location lies in (``facts.channels.0`` → Channel's), for a key's hint."""
    current: type[pydantic.BaseModel] | None = model
    for part in loc:
        if current is None:
            return []
        if isinstance(part, int):
            continue  # an item of a list of models
        info = current.model_fields.get(part)
        if info is None:
            return []
        candidates = [info.annotation, *typing.get_args(info.annotation)]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, pydantic.BaseModel)),
            None,
        )
    return list(current.model_fields) if current is not None else []


def _pydantic_problems(
    err: pydantic.ValidationError, out: _Collector, model: type[pydantic.BaseModel] | None = None
) -> None:
    """pydantic's errors in the words of the rest of xxgk, each value shown only as an excerpt.

    A value that fits none of the members of a union (``facts.other`` takes a number or a text)
    gives one error per member, their locations ending in the member's name: those are one problem.
    An unknown key is told the closest known one of its place (``memebers`` → members), as tables are.
    """
    errors = err.errors()
    members = Counter(e["loc"][:-1] for e in errors if _union_member(e))
    seen: set[tuple[str, ...]] = set()
    for e in errors:
        keys = tuple(str(p) for p in e["loc"])
        raw = e.get("input") if e["type"] != "missing" else None
        union = _union_member(e) and members[e["loc"][:-1]] > 1
        if union:
            keys = keys[:-1]
            if keys in seen:
                continue
            seen.add(keys)
        if isinstance(raw, Unreadable) and e["type"] != "extra_forbidden":
            msg = raw.message
        elif union:
            msg = "应为数字或文字"
        elif e["type"] == "greater_than_equal" and e.get("ctx", {}).get("ge") == 0:
            msg = "不能为负数"
        else:
            msg = _PYDANTIC_MESSAGES.get(e["type"]) or _safe(e["msg"].removeprefix("Value error, "))
        if e["type"] == "extra_forbidden" and model is not None and e["loc"]:
            msg += closest_hint(str(e["loc"][-1]), _fields_at(model, tuple(e["loc"][:-1])))
        out.add(keys, msg, value=raw)


M = TypeVar("M", bound=pydantic.BaseModel)


def _validated(
    cls: type[M], path: Path, text: str, shape: str
) -> tuple[M, dict[str, Any], _Collector, list[Unreadable]]:
    """Parse a YAML mapping and validate its fixed fields; every problem names file and line."""
    raw, refused = _parse(path, text)
    out = _Collector(path, text)
    if not isinstance(raw, dict):
        out.add((), f"{path.name} 应为映射（{shape}）", value=raw)
        out.unreported(refused)
        raise out.error()
    try:
        return cls.model_validate(raw), raw, out, refused
    except pydantic.ValidationError as e:
        _pydantic_problems(e, out, cls)
        out.unreported(refused)
        raise out.error() from None


def parse_agency(text: str, path: Path, agency_id: str) -> Agency:
    """An ``agency.yaml``'s text as the body it describes; raise InputError naming every problem."""
    info, _, out, refused = _validated(AgencyInfo, path, text, "name、level、parent")
    out.unreported(refused)
    if out.problems:
        raise out.error()
    return Agency(agency_id, info.name, info.level, info.parent, path)


ORGAN_CHILDREN = "范围为 organ（本机关）时只含本级政府及其办公室：请在 members 中列出，不要写 children: true"


def parse_region(text: str, path: Path) -> RegionInfo:
    """A ``region.yaml``'s text as the region it describes; raise InputError naming every problem by line.

    Members are ids here; whether each is a body of the tree is for :mod:`xxgk.data.regions` to say.
    """
    info, _, out, refused = _validated(RegionInfo, path, text, "name、level、scope、members、children、deadline")
    if info.scope == "organ" and info.children:
        out.add(("children",), ORGAN_CHILDREN, value=info.children)
    out.unreported(refused)
    if out.problems:
        raise out.error()
    return info


def line_of(text: str, keys: tuple[str, ...]) -> int | None:
    """The line of a key path in a file's text (or of the nearest enclosing key), for a problem found later."""
    return _line_for(_lines(text), keys)


def read_bytes(path: Path, real: Path | None = None) -> bytes:
    """A data file's bytes, refused unless it is a regular file of sane size; never blocks.

    ``real`` is where the file really is, when the caller has vetted the symlinks on the way
    (:mod:`xxgk.data.tree` decides which links may be followed); without it, ``path`` is resolved
    here. A FIFO would block a read forever, a device may never end, a huge file would be read
    whole: each is refused by what ``lstat`` says before it is opened, and again by the opened
    file (``O_NOFOLLOW``: what was vetted cannot be swapped for a link in between).
    """
    where = shown_path(path)
    try:
        target = real if real is not None else path.resolve()
        _vet(where, os.lstat(target))
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        with os.fdopen(os.open(target, flags), "rb") as f:
            _vet(where, os.fstat(f.fileno()))
            data = f.read(MAX_FILE_BYTES + 1)
    except (OSError, RuntimeError) as e:
        reason = "文件不存在" if isinstance(e, FileNotFoundError) else getattr(e, "strerror", None) or type(e).__name__
        raise InputError([problem(where, f"无法读取：{_safe(reason)}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError([_too_large(where, len(data))])
    return data


def _vet(where: str, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "文件夹"
            if stat.S_ISDIR(st.st_mode)
            else "命名管道（FIFO）"
            if stat.S_ISFIFO(st.st_mode)
            else "套接字"
            if stat.S_ISSOCK(st.st_mode)
            else "设备文件"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "符号链接"
            if stat.S_ISLNK(st.st_mode)
            else "特殊文件"
        )
        raise InputError([problem(where, f"不是普通文件（是{kind}），未读取")])
    if st.st_size > MAX_FILE_BYTES:
        raise InputError([_too_large(where, st.st_size)])


def _too_large(where: str, size: int) -> Diagnostic:
    limit = MAX_FILE_BYTES // (1024 * 1024)
    return problem(where, f"文件过大（{size / 1024 / 1024:.1f} MB，数据文件最多 {limit} MB），未读取")


def decode(data: bytes, path: Path) -> str:
    """A data file's text; bytes that are no UTF-8 are named by line and column, not a traceback."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_start = data.rfind(b"\n", 0, e.start) + 1
        line = data.count(b"\n", 0, e.start) + 1
        column = len(data[line_start : e.start].decode("utf-8", "replace")) + 1
        hint = ""
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            hint = "（看起来是 UTF-16 编码）"
        else:
            try:
                data.decode("gb18030")
                hint = "（看起来是 GBK/GB18030 编码）"
            except UnicodeDecodeError:
                pass
        message = (
            f"文件不是 UTF-8 编码{hint}：第 {line} 行第 {column} 列（第 {e.start + 1} 个字节，"
            f"0x{data[e.start]:02X}）不是 UTF-8，请另存为 UTF-8"
        )
        raise InputError([problem(shown_path(path), message, line=line)]) from None


def read_text(path: Path) -> str:
    """A data file's text; a file that cannot be read, or is not UTF-8, is named, not a traceback."""
    return decode(read_bytes(path), path)


def parse_year(
    text: str, path: Path, agency: Agency, year: int, *, blanks: set[tuple[str, str, str]] | None = None
) -> AgencyYear:
    """A data file's text as its agency-year; raise InputError naming every problem.

    ``blanks``: read a draft (a file ``xxgk new`` started and nobody has finished): each empty
    cell is read as 0 and its address added to the set, so a form can be made from it and an
    import can complete it; every other problem is still refused.
    """
    head, raw, out, refused = _validated(YearHead, path, text, "published、tables、narrative…")
    out.blanks = blanks
    if head.year is not None and head.year != year:
        out.add(("year",), f"与文件名的年份 {year} 不一致", value=head.year)
    try:
        formats.check_report_year(year)  # also when the file names its format version
        version = formats.get(head.format) if head.format else formats.for_year(year)
    except ValueError as e:
        raise InputError([problem(shown_path(path), str(e), value=str(year))]) from None
    tables = _tables(raw["tables"], version, out)
    out.unreported(refused)
    if out.problems:
        raise out.error()
    return AgencyYear(
        agency=agency,
        year=year,
        format=version,
        tables=tables,
        published=head.published,
        illustrative=head.illustrative,
        facts=head.facts,
        narrative=head.narrative,
        path=path,
        format_named=head.format is not None,
        source=head.source,
    )
