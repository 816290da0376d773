"""Placeholders in a body's own narrative, filled from the figures in a sandbox that sees nothing else.

A data file is written by a body's analyst and may be copied from anywhere, so its narrative is
untrusted: placeholders run in a Jinja sandbox that can see nothing but the figures (no attribute
of any Python object, no globals, no function calls). The checks fill them to find rule N1 and to
read the numbers rule I7 compares; the report fills them to print the text. Both use :func:`fill`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import jinja2
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from xxgk import formats
from xxgk.data import figures as figs
from xxgk.data.model import Agency, AgencyYear, Amount, show
from xxgk.formats import FormatVersion

__all__ = ["PLACEHOLDERS", "NarrativeError", "fill"]


# --- placeholders: a sandbox that sees only the figures ------------------------------------------


class NarrativeError(ValueError):
    """A narrative cannot be filled: an unknown or refused placeholder, or broken template syntax.

    The message is in Chinese and names the placeholder, because it is shown to the analyst who
    wrote the text.
    """


# --- placeholders: a sandbox that sees only the figures ------------------------------------------


class _Node:
    """A branch of the figures as the sandbox sees it: its keys and nothing else.

    Wrapping instead of passing dicts keeps ``{{ facts.items }}`` meaning the fact named ``items``
    (a dict would answer with its method) and gives every lookup a dotted path for messages.
    """

    __slots__ = ("_data", "_path")

    def __init__(self, path: str, data: Mapping[str, Any]) -> None:
        self._path = path
        self._data = data

    def lookup(self, key: str) -> Any:
        path = f"{self._path}.{key}" if self._path else key
        if key not in self._data:
            raise NarrativeError(_unknown(path, self._child_names()))
        return _wrap(path, self._data[key])

    def _child_names(self) -> list[str]:
        return [f"{self._path}.{n}" if self._path else n for n in _names(self._data)]

    def __repr__(self) -> str:
        return f"<{self._path}>"


class _List:
    """A list of figures (``facts.channels``): iterable, indexable, each item a :class:`_Node`."""

    __slots__ = ("_items", "_path")

    def __init__(self, path: str, items: Sequence[Any]) -> None:
        self._path = path
        self._items = [_wrap(f"{path}[{i}]", v) for i, v in enumerate(items)]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<{self._path}>"


class _Missing(jinja2.Undefined):
    """A figure that exists but has no value (``facts.proactive_items`` not filled in).

    It is falsy and works with ``default``, so a text can say ``{{ x | default("若干") }}``; printing
    it is an error rather than an empty string in a published report.
    """

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NarrativeError(
            f"占位符“{self._undefined_name}”没有数值（数据文件未填写，或本年度的格式没有这一项），无法写入正文"
        )

    __str__ = _fail_with_undefined_error


class _Unknown(jinja2.StrictUndefined):
    """A top-level name that is not a figure: a typo, or an attempt at Jinja's globals."""

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        if self._undefined_exception is SecurityError:
            raise NarrativeError(f"占位符中不允许访问“{self._undefined_name}”")
        raise NarrativeError(_unknown(str(self._undefined_name), list(_NAMES_IN_SCOPE.get())))


def _route_failures(cls: type[jinja2.Undefined]) -> None:
    """Make every operation Jinja lets fail on an Undefined (``+``, ``<``, ``int()`` …) fail with our message.

    Jinja binds those dunders to the base class's method, so overriding it alone is not enough.
    """
    for base in reversed(cls.__mro__):
        for name, attr in vars(base).items():
            if attr is jinja2.Undefined._fail_with_undefined_error and name != "_fail_with_undefined_error":
                setattr(cls, name, cls._fail_with_undefined_error)


_route_failures(_Missing)
_route_failures(_Unknown)


def _wrap(path: str, value: Any) -> Any:
    if isinstance(value, Amount):  # a NamedTuple, but one figure: printed as value and unit
        return value
    if isinstance(value, Mapping):
        return _Node(path, value)
    if isinstance(value, list | tuple):
        return _List(path, value)
    if value is None:
        return _Missing(name=path)
    return value


def _names(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Every printable name below ``data``, dotted (lists count as one name: they are looped over)."""
    out: list[str] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.extend(_names(value, name + "."))
        else:
            out.append(name)
    return out


def _unknown(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.7)
    hint = f"是否应为“{close[0]}”？" if close else ""
    return f"未知的占位符“{name}”。{hint}可用的占位符：{'、'.join(valid)}"


# The valid names of the figures being filled, for the message about an unknown top-level name
# (Jinja creates that Undefined itself, so it cannot be handed the names).
_NAMES_IN_SCOPE: ContextVar[tuple[str, ...]] = ContextVar("xxgk_narrative_names", default=())

# Loop variables may be used for numbering and separators ("1.…；2.…" / "、" between items).
_LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length"})
# Formatting filters; none of them can reach an object's attributes in this environment.
_FILTERS = (
    *("abs", "round", "int", "float", "sum", "min", "max"),
    *("default", "d", "length", "count", "first", "last", "join", "format", "replace", "trim"),
)


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, narrowed further: only the figures' own keys can be read.

    The stock sandbox still allows public attributes and methods (``''.upper``, ``cycler.reset``);
    here every attribute or item access goes through :meth:`_lookup`, globals are empty and calls
    are refused. ``*`` on strings and ``**`` are refused so a data file cannot make a huge string or
    number and stall a build.
    """

    intercepted_binops = frozenset({"*", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        return self._lookup(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        return self._lookup(obj, argument)

    def _lookup(self, obj: Any, key: Any) -> Any:
        if isinstance(obj, jinja2.Undefined):
            obj._fail_with_undefined_error()
        if isinstance(obj, _Node) and isinstance(key, str):
            return obj.lookup(key)
        if isinstance(obj, _List) and isinstance(key, int) and -len(obj) <= key < len(obj):
            return obj._items[key]
        if isinstance(obj, LoopContext) and key in _LOOP_ATTRIBUTES:
            return getattr(obj, key)
        raise NarrativeError(f"占位符中不允许访问“{key}”：只能引用数据中的数字，如 applications.new")

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(__obj, jinja2.Undefined):
            __obj._fail_with_undefined_error()
        raise NarrativeError("占位符中不允许调用函数")

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return False

    def is_safe_callable(self, obj: Any) -> bool:
        return False

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" or isinstance(left, str | _List) or isinstance(right, str | _List):
            raise NarrativeError(f"占位符中不允许使用运算“{operator}”")
        return super().call_binop(context, operator, left, right)


def _finalize(value: Any) -> Any:
    """What a ``{{ … }}`` may print: a number or a text, never a branch of the figures or an object."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    if isinstance(value, _Node | _List):
        raise NarrativeError(f"占位符“{value._path}”是一组数据，请写出其中的一项，如“{_example(value)}”")
    if isinstance(value, bool):
        raise NarrativeError("占位符的结果应为数字或文字")
    if isinstance(value, Decimal | Amount):
        return show(value)
    if isinstance(value, int | float | str):
        return value
    raise NarrativeError("占位符的结果应为数字或文字")


def _example(node: _Node | _List) -> str:
    if isinstance(node, _Node):
        first = next(iter(node._data), "")
        return f"{node._path}.{first}"
    return f"{{% for x in {node._path} %}}{{{{ x.name }}}}{{% endfor %}}"


def _environment() -> _Sandbox:
    env = _Sandbox(
        undefined=_Unknown,
        autoescape=False,  # the output is Markdown, escaped when it becomes HTML
        keep_trailing_newline=True,
        finalize=_finalize,
        auto_reload=False,
        cache_size=0,
    )
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in _FILTERS}
    return env


_ENV = _environment()


def fill(text: str, figures: Mapping[str, Any]) -> str:
    """Fill ``{{ applications.new }}``-style placeholders from ``figures`` (see :data:`PLACEHOLDERS`).

    Raises NarrativeError naming the placeholder when it is unknown (with the valid names), has no
    value, or tries to reach anything but the figures; or when the template syntax is broken.
    """
    if "{" not in text:  # most narratives have no placeholder; the template engine costs ~1 ms
        return text
    token = _NAMES_IN_SCOPE.set(tuple(_names(figures)))
    try:
        template = _ENV.from_string(text)
        return template.render({k: _wrap(k, v) for k, v in figures.items()})
    except NarrativeError:
        raise
    except jinja2.TemplateSyntaxError as e:
        raise NarrativeError(f"占位符写法有误（第 {e.lineno} 行）：{e.message}") from None
    except SecurityError as e:
        raise NarrativeError(f"占位符中不允许的操作：{e}") from None
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as e:
        raise NarrativeError(f"占位符无法计算：{e}") from None
    finally:
        _NAMES_IN_SCOPE.reset(token)


# --- what the placeholders mean, for the README and for messages --------------------------------


def _zero_year(fmt: FormatVersion) -> AgencyYear:
    tables: dict[str, dict[str, dict[str, Any]]] = {}
    for spec in fmt.cells:
        zero: Any = Amount(Decimal(0), "元") if spec.kind == "amount" else Decimal(0) if spec.kind == "wan" else 0
        tables.setdefault(spec.table, {}).setdefault(spec.row, {})[spec.column] = zero
    agency = Agency("example", "示例机关", None, None, Path())
    return AgencyYear(agency=agency, year=fmt.first_year, format=fmt, tables=tables)


def _describe(fmt: FormatVersion) -> dict[str, str]:
    """Name → meaning for one version, from the labels of the cells each figure is read from."""
    ay = _zero_year(fmt)
    out: dict[str, str] = {"year": "报告年度"}
    t3 = fmt.table_title("t3")
    for name in ("new", "carried_over", "handled", "carried_forward"):
        row = "total" if name == "handled" else name
        out[f"applications.{name}"] = fmt.cell("t3", row, "total").label
    out["applications.handled"] += "（本年度办结件数）"
    for name, rows in figs.outcome_groups(ay).items():
        spec = fmt.cell("t3", rows[0], "total")
        group = spec.row_label.split("/")[0]
        out[f"applications.{name}"] = f"{t3} {group}{'（各项之和）' if len(rows) > 1 else ''} / 总计"
    for _, col in fmt.t3_columns.leaves():
        if col.key != "total":
            out[f"applications.by_applicant.{col.key}"] = fmt.cell("t3", "new", col.key or "").label
    review_node, litigation_node = fmt.t4_columns.children
    groups = "与".join(g.label for g in litigation_node.children)
    for _, leaf in review_node.leaves():
        out[f"review.{leaf.key}"] = fmt.cell("t4", review_node.key or "", leaf.key or "").label
        out[f"litigation.{leaf.key}"] = f"{fmt.table_title('t4')} {litigation_node.label}/{leaf.label}（{groups}之和）"
    for spec in fmt.table_cells("t2"):
        out[f"disclosure.{spec.row}.{spec.column}"] = spec.label
        if spec.kind == "wan":
            out["fees"] = spec.label
    out["facts.proactive_items"] = "主动公开政府信息条数（数据文件 facts.proactive_items）"
    out["facts.channels"] = "各发布渠道（列表，每项有 name 渠道名称、items 条数；用 {% for %} 逐项引用）"
    out.setdefault("fees", "本版格式没有这一项")
    names = _names(figs.figures(ay))
    described = {n: out.get(n, "") for n in names}  # a figure added without a meaning shows up empty
    described["facts.<名称>"] = "数据文件 facts.other 中自行填写的事实，如 facts.internal_rules"
    return described


def _placeholders() -> dict[str, str]:
    """Both versions merged; a name whose meaning differs by version says which version means what."""
    described = {vid: _describe(fmt) for vid, fmt in formats.versions().items()}
    names = list(dict.fromkeys(n for d in described.values() for n in d))
    out: dict[str, str] = {}
    for name in names:
        meanings = {vid: d[name] for vid, d in described.items() if name in d}
        if len(set(meanings.values())) == 1 and len(meanings) == len(described):
            out[name] = next(iter(meanings.values()))
        else:
            out[name] = "；".join(f"{v}（{vid} 版格式）" for vid, v in meanings.items())
    return out


PLACEHOLDERS: dict[str, str] = _placeholders()
"""Every placeholder a narrative may use → its meaning in Chinese (the official cell it comes from)."""
