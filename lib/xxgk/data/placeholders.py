"""Placeholders in a body's own narrative, filled from the figures in a sandbox that sees nothing else.

A data file is written by a body's analyst and may be copied from anywhere, so its narrative is
untrusted. A section's template is parsed and checked against an allow-list of the few forms that
citing figures needs (names and lookups, ``+``/``-``, comparisons, a handful of number filters, one
level of ``{% for %}`` over a list of the figures) before anything is compiled, because the rest of
Jinja lets a few bytes cost minutes and gigabytes. What passes runs in a Jinja sandbox that can see
nothing but the figures (no attribute of any Python object, no globals, no function calls), and
its source, its loops and its output are bounded (:data:`MAX_SOURCE_CHARS`, :data:`MAX_TAGS`,
:data:`MAX_LOOP_STEPS`, :func:`output_limit`). The checks fill them to find rule N1 and to read the
numbers rule I7 compares; the report fills them to print the text. Both use :func:`fill`; a report
rendered despite errors uses :func:`fill_leniently`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextvars import ContextVar
from decimal import Decimal, DivisionByZero
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

import jinja2
from jinja2 import nodes
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from xxgk import formats
from xxgk.data import figures as figs
from xxgk.data.model import Agency, AgencyYear, Amount, show
from xxgk.formats import FormatVersion

__all__ = [
    "MAX_LOOP_STEPS",
    "MAX_OUTPUT_EXTRA",
    "MAX_OUTPUT_RATIO",
    "MAX_SOURCE_CHARS",
    "MAX_TAGS",
    "PLACEHOLDERS",
    "SYNTAX",
    "NarrativeError",
    "Piece",
    "fill",
    "fill_leniently",
    "output_limit",
]


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
# How many more loop steps the section being filled may take (see MAX_LOOP_STEPS).
_LOOP_BUDGET: ContextVar[list[int]] = ContextVar("xxgk_narrative_loop_budget")


# --- what a placeholder may be: an allow-list checked on the parsed template ---------------------
#
# Placeholders exist to cite figures. Everything Jinja can do beyond that (loops inside loops,
# ``{% set %}``, macros, string formatting and repetition, filters that pad or join) lets a few
# bytes of a data file cost minutes and gigabytes, so the template is parsed first and only the
# forms below are compiled at all. The sandbox class further down is a second line: even what the
# allow-list admits can only read the figures' own keys.

MAX_SOURCE_CHARS = 50_000
"""The longest section text run through the template engine (as long as the data file reader admits).

The reader refuses longer text in a file already; this bound holds for text from anywhere else
(``model.from_dict`` in the kernel, a caller's own AgencyYear)."""
MAX_TAGS = 1_000
"""The most ``{{ }}``/``{% %}`` tags in one section: parsing and compiling cost grows with them."""
MAX_OUTPUT_RATIO = 10
MAX_OUTPUT_EXTRA = 10_000
"""A filled section may be at most ``MAX_OUTPUT_RATIO`` × its source plus ``MAX_OUTPUT_EXTRA`` characters."""
MAX_LOOP_STEPS = 100_000
"""The most work the loops of one section may do together: each item walked costs one step per node
of the loop's body (listing a body's handful of channels takes a few hundred)."""
MAX_DEPTH = 20
"""The deepest nesting of expressions and blocks (``((…))``, ``{% if %}`` in ``{% if %}`` …)."""
MAX_ROUND_DIGITS = 6

SYNTAX = (
    "占位符只用于引用数字，可以写：{{ 名称 }}（如 {{ applications.new }}、{{ disclosure.rules.made }}、"
    "{{ facts.channels[0].name }}）；数字相加减（+、-）、比较（==、!=、<、>、<=、>=）和 and、or、not；"
    "过滤器 round、abs、int、float、default、length、sum；条件 {% if %}…{% elif %}…{% else %}…{% endif %}；"
    "不嵌套的循环 {% for x in facts.channels %}…{% endfor %}（循环内可用 loop.index、loop.first、loop.last 等）。"
    "可用的名称见 xxgk placeholders"
)
"""What the allow-list admits, in the words of the message that refuses anything else."""

_TAG = re.compile(r"\{[{%#]")

# Loop variables may be used for numbering and separators ("1.…；2.…" / "、" between items).
_LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length"})
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_COMPARISONS = frozenset({"eq", "ne", "lt", "gt", "lteq", "gteq"})


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) <= 10**12


def _short_text(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 200


# Each filter a placeholder may use → its parameters, and what a literal argument may be. Nothing
# here can build a long string: ``format``, ``replace``, ``join``, ``center`` … are left out.
_ARGUMENT_CHECKS: dict[str, Callable[[Any], bool]] = {
    "precision": lambda v: type(v) is int and 0 <= v <= MAX_ROUND_DIGITS,
    "method": lambda v: v in ("common", "ceil", "floor"),
    "default": _number,
    "default_value": lambda v: _number(v) or _short_text(v) or v is None,
    "boolean": lambda v: isinstance(v, bool),
    "attribute": lambda v: isinstance(v, str) and _IDENTIFIER.fullmatch(v) is not None,
    "start": _number,
}
_FILTER_PARAMETERS: dict[str, tuple[str, ...]] = {
    "abs": (),
    "round": ("precision", "method"),
    "int": ("default",),
    "float": ("default",),
    "default": ("default_value", "boolean"),
    "d": ("default_value", "boolean"),
    "length": (),
    "count": (),
    "sum": ("attribute", "start"),
}

# Names for the refused forms, as an author wrote them.
_FORM_NAMES: dict[type[nodes.Node], str] = {
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.FilterBlock: "{% filter %}",
    nodes.With: "{% with %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from … import %}",
    nodes.Extends: "{% extends %}",
    nodes.Block: "{% block %}",
    nodes.ScopedEvalContextModifier: "{% autoescape %}",
    nodes.EvalContextModifier: "{% autoescape %}",
    nodes.Call: "函数调用“( )”",
    nodes.Concat: "文字连接“~”",
    nodes.Mul: "乘法“*”",
    nodes.Pow: "乘方“**”",
    nodes.Div: "除法“/”",
    nodes.FloorDiv: "整除“//”",
    nodes.Mod: "取余或格式化“%”",
    nodes.Test: "判断“is”",
    nodes.List: "列表“[ ]”",
    nodes.Tuple: "元组“( , )”",
    nodes.Dict: "字典“{ }”",
    nodes.Slice: "切片“[a:b]”",
}


def _refused(node: nodes.Node, what: str | None = None) -> NarrativeError:
    form = what or _FORM_NAMES.get(type(node), "这种写法")
    return NarrativeError(f"占位符中不允许使用{form}（本段第 {node.lineno} 行）。{SYNTAX}")


class _AllowList:
    """Walks a parsed template and refuses every node that citing figures does not need.

    ``names`` are the figures' top-level names; inside the one loop allowed, its variable and
    ``loop`` are names too. An unknown name is reported here with the closest valid one (the same
    message the sandbox gives at run time), so a typo in a branch never taken is found as well.
    """

    def __init__(self, names: Collection[str], valid: list[str]) -> None:
        self.names = frozenset(names)
        self.valid = valid

    def template(self, tree: nodes.Template) -> None:
        self.statements(tree.body, self.names, in_loop=False, depth=0)

    def statements(self, body: Sequence[nodes.Node], scope: frozenset[str], *, in_loop: bool, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise _refused(body[0], "嵌套过深的 {% if %} 或 {% for %}") if body else NarrativeError(SYNTAX)
        for node in body:
            if isinstance(node, nodes.Output):
                for child in node.nodes:
                    if not isinstance(child, nodes.TemplateData):
                        self.expression(child, scope, depth)
            elif isinstance(node, nodes.If):
                self.expression(node.test, scope, depth)
                self.statements(node.body, scope, in_loop=in_loop, depth=depth + 1)
                self.statements(node.elif_, scope, in_loop=in_loop, depth=depth + 1)
                self.statements(node.else_, scope, in_loop=in_loop, depth=depth + 1)
            elif isinstance(node, nodes.For):
                self.loop(node, scope, in_loop=in_loop, depth=depth)
            else:
                raise _refused(node)

    def loop(self, node: nodes.For, scope: frozenset[str], *, in_loop: bool, depth: int) -> None:
        if in_loop:
            raise _refused(node, "嵌套的 {% for %}（循环中不能再有循环）")
        if node.recursive or node.test is not None or not isinstance(node.target, nodes.Name):
            raise _refused(node, "这种 {% for %}（只能写 {% for x in facts.channels %}）")
        if not isinstance(node.iter, nodes.Name | nodes.Getattr | nodes.Getitem):
            raise _refused(node, "这种 {% for %}（只能遍历数据中的列表，如 facts.channels）")
        self.expression(node.iter, scope, depth)
        inner = scope | {node.target.name, "loop"}
        self.statements(node.body, inner, in_loop=True, depth=depth + 1)
        self.statements(node.else_, scope, in_loop=True, depth=depth + 1)
        # At run time the loop may only walk a list of the figures (not a text, letter by letter),
        # and each of its items costs the size of its body from the section's budget.
        steps = nodes.Const(max(1, sum(1 + len(list(n.find_all(nodes.Node))) for n in node.body)))
        node.iter = nodes.Filter(node.iter, "_loop_items", [steps], [], None, None, lineno=node.lineno)

    def expression(self, node: nodes.Node, scope: frozenset[str], depth: int) -> None:
        if depth > MAX_DEPTH:
            raise _refused(node, "嵌套过深的表达式")
        depth += 1
        if isinstance(node, nodes.Const):
            if not isinstance(node.value, int | float | str | None):
                raise _refused(node)
        elif isinstance(node, nodes.Name):
            if node.name not in scope:
                raise NarrativeError(_unknown(node.name, self.valid))
        elif isinstance(node, nodes.Getattr):
            self.expression(node.node, scope, depth)
            if node.attr.startswith("_"):
                raise NarrativeError(f"占位符中不允许访问“{node.attr}”：只能引用数据中的数字，如 applications.new")
            if isinstance(node.node, nodes.Name) and node.node.name == "loop" and node.attr not in _LOOP_ATTRIBUTES:
                raise _refused(node, f"“loop.{node.attr}”（可用 {'、'.join(sorted(_LOOP_ATTRIBUTES))}）")
        elif isinstance(node, nodes.Getitem):
            self.expression(node.node, scope, depth)
            self.subscript(node.arg)
        elif isinstance(node, nodes.Filter):
            self.filter(node, scope, depth)
        elif isinstance(node, nodes.Add | nodes.Sub | nodes.And | nodes.Or):
            self.expression(node.left, scope, depth)
            self.expression(node.right, scope, depth)
        elif isinstance(node, nodes.Neg | nodes.Pos | nodes.Not):
            self.expression(node.node, scope, depth)
        elif isinstance(node, nodes.Compare):
            self.expression(node.expr, scope, depth)
            for operand in node.ops:
                if operand.op not in _COMPARISONS:
                    raise _refused(node, f"比较“{operand.op}”")
                self.expression(operand.expr, scope, depth)
        elif isinstance(node, nodes.CondExpr):
            for part in (node.test, node.expr1, node.expr2):
                if part is not None:
                    self.expression(part, scope, depth)
        else:
            raise _refused(node)

    def subscript(self, arg: nodes.Node) -> None:
        """``[0]``, ``[-1]`` or ``['new']``: a literal index or key, nothing computed."""
        value = arg.node if isinstance(arg, nodes.Neg) else arg
        if isinstance(value, nodes.Const) and isinstance(value.value, str) and not isinstance(arg, nodes.Neg):
            if value.value.startswith("_"):
                raise NarrativeError(f"占位符中不允许访问“{value.value}”：只能引用数据中的数字，如 applications.new")
            return
        if isinstance(value, nodes.Const) and type(value.value) is int:
            return
        raise _refused(arg, "计算出的下标（只能写 [0]、[-1] 或 ['名称']）")

    def filter(self, node: nodes.Filter, scope: frozenset[str], depth: int) -> None:
        allowed = _FILTER_PARAMETERS.get(node.name)
        if node.node is None or allowed is None:
            raise _refused(node, f"过滤器“{node.name}”")
        self.expression(node.node, scope, depth)
        if node.dyn_args is not None or node.dyn_kwargs is not None or len(node.args) > len(allowed):
            raise _refused(node, f"过滤器“{node.name}”的这种参数")
        given: list[tuple[str, nodes.Node]] = [*zip(allowed, node.args, strict=False)]
        given += [(str(k.key), k.value) for k in node.kwargs]
        names = [name for name, _ in given]
        for name, arg in given:
            if name not in allowed or names.count(name) > 1 or not self.literal(arg, _ARGUMENT_CHECKS[name]):
                raise _refused(node, f"过滤器“{node.name}”的参数“{name}”的这个值")

    @staticmethod
    def literal(arg: nodes.Node, check: Callable[[Any], bool]) -> bool:
        if isinstance(arg, nodes.Neg) and isinstance(arg.node, nodes.Const) and _number(arg.node.value):
            return check(-arg.node.value)
        return isinstance(arg, nodes.Const) and check(arg.value)


# --- the sandbox the allowed template runs in ----------------------------------------------------


def _loop_items(value: Any, steps: int) -> Any:
    """The iterable of the one loop allowed: a list of the figures (``facts.channels``), nothing else.

    ``steps`` is the size of the loop's body; the items times that are taken from the section's
    budget before the loop starts, so a long list through a long body is refused without running it.
    """
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    if not isinstance(value, _List):
        raise NarrativeError(f"{{% for %}} 只能遍历数据中的列表，如 facts.channels。{SYNTAX}")
    budget = _LOOP_BUDGET.get([0])
    budget[0] -= len(value) * steps
    if budget[0] < 0:
        raise NarrativeError(
            f"占位符的循环工作量过大：每段正文各循环的项数乘以循环体的大小，合计不得超过 {MAX_LOOP_STEPS}，"
            "请减少循环或循环中的占位符"
        )
    return value


def _plain_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, narrowed further: only the figures' own keys can be read.

    The stock sandbox still allows public attributes and methods (``''.upper``, ``cycler.reset``);
    here every attribute or item access goes through :meth:`_lookup`, globals are empty and calls
    are refused. ``+`` and ``-`` (the only operators the allow-list admits) take numbers only, and
    being intercepted they are never folded into a constant while compiling.
    """

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})

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
        for side in (left, right):
            if isinstance(side, jinja2.Undefined):
                side._fail_with_undefined_error()
        if operator not in ("+", "-") or not (_plain_number(left) and _plain_number(right)):
            raise NarrativeError(f"占位符中只能对数字做加减，不能使用运算“{operator}”")
        return super().call_binop(context, operator, left, right)

    def call_unop(self, context: jinja2.runtime.Context, operator: str, arg: Any) -> Any:
        if isinstance(arg, jinja2.Undefined):
            arg._fail_with_undefined_error()
        if not _plain_number(arg):
            raise NarrativeError(f"占位符中只能对数字使用“{operator}”")
        return super().call_unop(context, operator, arg)


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
    env.tests.clear()
    env.filters = {name: env.filters[name] for name in _FILTER_PARAMETERS}
    env.filters["_loop_items"] = _loop_items  # only ever placed by the allow-list, never by a text
    return env


_ENV = _environment()


def output_limit(text: str) -> int:
    """The most characters ``text`` may fill to (see :data:`MAX_OUTPUT_RATIO`)."""
    return MAX_OUTPUT_RATIO * len(text) + MAX_OUTPUT_EXTRA


def _why(e: Exception) -> str:
    """A Python error in words an analyst can act on, without a Python type name in it."""
    if isinstance(e, ZeroDivisionError | DivisionByZero):
        return "除数为零"
    if isinstance(e, OverflowError):
        return "数值过大"
    if isinstance(e, TypeError):
        return "数据类型不符（只能对数字计算）"
    if isinstance(e, LookupError):
        return "没有这一项"
    return "数值无效"


def _compile(text: str, figures: Mapping[str, Any]) -> jinja2.Template:
    """Parse, check against the allow-list, compile: nothing the allow-list refuses is ever compiled."""
    if len(text) > MAX_SOURCE_CHARS:
        raise NarrativeError(f"含占位符的正文每段不得超过 {MAX_SOURCE_CHARS} 字，本段 {len(text)} 字")
    tags = len(_TAG.findall(text))
    if tags > MAX_TAGS:
        raise NarrativeError(f"每段正文的占位符不得超过 {MAX_TAGS} 个，本段 {tags} 个")
    tree = _ENV.parse(text)
    _AllowList(figures.keys(), list(_NAMES_IN_SCOPE.get())).template(tree)
    tree.set_environment(_ENV)
    return _ENV.from_string(tree)


def fill(text: str, figures: Mapping[str, Any]) -> str:
    """Fill ``{{ applications.new }}``-style placeholders from ``figures`` (see :data:`PLACEHOLDERS`).

    Raises NarrativeError naming the placeholder when it is unknown (with the valid names), has no
    value, uses a form outside the allow-list (:data:`SYNTAX`), or tries to reach anything but the
    figures; when the template syntax is broken; or when the text or what it fills to is too long
    (:data:`MAX_SOURCE_CHARS`, :func:`output_limit`).
    """
    if not _TAG.search(text):  # most narratives have no placeholder; the template engine costs ~1 ms
        return text
    token = _NAMES_IN_SCOPE.set(tuple(_names(figures)))
    budget = _LOOP_BUDGET.set([MAX_LOOP_STEPS])
    try:
        template = _compile(text, figures)
        limit, size, out = output_limit(text), 0, []
        for chunk in template.generate({k: _wrap(k, v) for k, v in figures.items()}):
            size += len(chunk)
            if size > limit:
                raise NarrativeError(
                    f"占位符填写后的正文过长：超过 {limit} 字（本段原文 {len(text)} 字的 {MAX_OUTPUT_RATIO} 倍"
                    f"另加 {MAX_OUTPUT_EXTRA} 字），请减少循环输出的内容"
                )
            out.append(chunk)
        return "".join(out)
    except NarrativeError:
        raise
    except jinja2.TemplateSyntaxError as e:
        raise NarrativeError(f"占位符写法有误（本段第 {e.lineno} 行）：{e.message}") from None
    except SecurityError:
        raise NarrativeError(f"占位符中不允许的操作。{SYNTAX}") from None
    except RecursionError:
        raise NarrativeError(f"占位符嵌套过深。{SYNTAX}") from None
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as e:
        raise NarrativeError(f"占位符无法计算：{_why(e)}") from None
    finally:
        _LOOP_BUDGET.reset(budget)
        _NAMES_IN_SCOPE.reset(token)


class Piece(NamedTuple):
    """A stretch of a narrative as :func:`fill_leniently` leaves it: filled text, or a refused tag's source."""

    text: str
    refused: bool


_TAG_SPAN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\{[{%#].*\Z", re.DOTALL)


def fill_leniently(text: str, figures: Mapping[str, Any]) -> list[Piece]:
    """The text with each ``{{ … }}`` that can be filled on its own filled, every other tag kept as source.

    For a report rendered despite errors (``--allow-invalid``): the reader sees the author's text
    with the figures that could be cited, and exactly which tags could not. Block tags
    (``{% for %}`` …) are never run here; a ``{# comment #}`` is dropped as :func:`fill` would.
    """
    tags = list(_TAG_SPAN.finditer(text))
    attempt = len(tags) <= MAX_TAGS
    pieces: list[Piece] = []
    at = 0
    for m in tags:
        if m.start() > at:
            pieces.append(Piece(text[at : m.start()], refused=False))
        at = m.end()
        tag = m.group(0)
        if tag.startswith("{#") and tag.endswith("#}") and len(tag) >= 4:
            continue
        if attempt and tag.startswith("{{"):
            try:
                pieces.append(Piece(fill(tag, figures), refused=False))
                continue
            except NarrativeError:
                pass
        pieces.append(Piece(tag, refused=True))
    if at < len(text):
        pieces.append(Piece(text[at:], refused=False))
    return pieces


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
    out["facts.channels"] = (
        "各发布渠道（列表，每项有 name 渠道名称、items 条数；用 {% for c in facts.channels %} 逐项引用，"
        "或写 facts.channels[0].name）"
    )
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
