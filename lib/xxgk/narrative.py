"""The report's prose: placeholders in the body's own narrative, Markdown made safe, generated summaries.

A data file is written by a body's analyst and may be copied from anywhere, so its narrative is
treated as untrusted twice over: placeholders run in a Jinja sandbox that can see nothing but the
figures (no attribute of any Python object, no globals, no function calls), and the Markdown is
rendered with raw HTML disabled and then cleaned by nh3. Anything refused stays *visible* as text, so
the author sees what was not accepted instead of finding it silently gone.

The summary sentences that open sections 二, 三 and 四 are generated from the same figures, in the
fixed phrasing reviewers scan for (and rule I7's patterns recognise), so they can never disagree
with the tables. Labels in them come from the format description, never from this module.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NoReturn

import jinja2
import nh3
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

from xxgk import figures as figs
from xxgk import formats
from xxgk.formats import FormatVersion
from xxgk.model import Agency, AgencyYear, Amount
from xxgk.tables import short_label, value_text

__all__ = [
    "NO_APPLICATIONS",
    "PLACEHOLDERS",
    "NarrativeError",
    "fill",
    "markdown_html",
    "section_html",
    "summary_html",
]

NO_APPLICATIONS = "本年度未收到政府信息公开申请。"
EMPTY_SECTION = "无。"


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

    __str__ = _fail_with_undefined_error  # type: ignore[assignment]


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
        return value_text(value)
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


# --- Markdown → sanitized HTML -------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {"p", "br", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote", "hr", "a"}
    | {"h3", "h4", "h5", "h6"}
    | {"table", "thead", "tbody", "tr", "th", "td"}
)
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Section headings are <h2> in the report; a "#" in the narrative must rank below them.
HEADING_SHIFT = 2

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={"a": {"href"}, "*": set()},  # "*" empties nh3's default lang/title on every tag
    url_schemes=set(LINK_SCHEMES),
    url_relative="deny",
    link_rel="noopener noreferrer",
    strip_comments=True,
)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)


def _safe_link(url: str) -> bool:
    """Only absolute http(s) and mailto: a relative link means nothing in a PDF, a script URL is an attack.

    A refused link is not parsed as a link at all, so its Markdown source stays visible as text.
    """
    m = _SCHEME.match(url.strip())
    return bool(m) and m.group(1).lower() in LINK_SCHEMES


def _wide(ch: str) -> bool:
    """Characters that are set without spaces between them: CJK ideographs, kana, full-width punctuation."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _join_cjk_breaks(state: StateCore) -> None:
    """Drop a soft line break next to a CJK character, so "157件，\\n其中" reads "157件，其中".

    Browsers turn a soft break into a space, which is wrong in Chinese text. A break between two
    Latin words is kept (it is a space there).
    """
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children = block.children
        keep: list[Token] = []
        for i, tok in enumerate(children):
            if tok.type == "softbreak":
                before = next((c.content[-1] for c in reversed(children[:i]) if c.content), "")
                after = next((c.content[0] for c in children[i + 1 :] if c.content), "")
                if (before and _wide(before)) or (after and _wide(after)):
                    continue
            keep.append(tok)
        block.children = keep


def _render_image(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    """An image is not loaded (a remote image leaks the reader's address); its alt text is shown."""
    alt = self.renderInlineAsText(tokens[idx].children or [], options, env)
    return escapeHtml(f"[图片：{alt}]")


def _render_heading(tag: str) -> Callable[..., str]:
    def render(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
        level = min(6, int(tokens[idx].tag[1:]) + HEADING_SHIFT)
        return f"<{tag}h{level}>" + ("\n" if tag else "")

    return render


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    # Indented paragraphs are common in pasted Chinese documents; they are text, not code.
    md.disable("code")
    md.validateLink = _safe_link  # type: ignore[method-assign]
    md.core.ruler.push("join_cjk_breaks", _join_cjk_breaks)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("heading_open", _render_heading(""))
    md.add_render_rule("heading_close", _render_heading("/"))
    return md


_MD = _markdown()


def markdown_html(text: str) -> str:
    """Markdown → HTML that is safe to publish; raw HTML and refused links come out as visible text.

    Two lines of defence: markdown-it with raw HTML off escapes every tag the author typed, and nh3
    then keeps only a small allow-list of tags and http/https/mailto links, in case a renderer rule
    or a future option lets something through.
    """
    return _CLEANER.clean(_MD.render(text))


def section_html(ay: AgencyYear, key: str) -> str:
    """Narrative section ``overview``, ``problems`` or ``other``: placeholders filled, then Markdown.

    An empty section says "无。" (as conforming reports do) rather than leaving a heading with nothing
    under it.
    """
    if key not in ("overview", "problems", "other"):
        raise ValueError(f"unknown narrative section {key!r}; expected overview, problems or other")
    text = getattr(ay.narrative, key)
    if not text.strip():
        return markdown_html(EMPTY_SECTION)
    return markdown_html(fill(text, figs.figures(ay)))


# --- generated summary sentences -----------------------------------------------------------------


def _count(n: int, unit: str = "件") -> str:
    return f"{n}{unit}"


def _change(current: int, previous: AgencyYear | None, year: int) -> str:
    """``，较上年增加12件（8.5%）`` — empty when there is nothing meaningful to compare with."""
    if previous is None:
        return ""
    before = figs.figures(previous)["applications"]["new"]
    if before == 0:
        return ""
    than = "上年" if previous.year == year - 1 else f"{previous.year}年"
    diff = current - before
    if diff == 0:
        return f"，与{than}持平"
    pct = (Decimal(abs(diff)) * 100 / Decimal(before)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"，较{than}{'增加' if diff > 0 else '减少'}{abs(diff)}件（{pct}%）"


def _outcome_labels(fmt: FormatVersion) -> dict[str, str]:
    """Outcome name of :func:`xxgk.figures.outcome_groups` → its short official label (予以公开 …)."""
    results = next(c for c in fmt.t3_rows.children if c.children)
    outcomes = [c for c in results.children if c.key != "total"]
    names = ("granted", "partial", "withheld", "unavailable", "not_processed", "other")
    return {name: short_label(node.label) for name, node in zip(names, outcomes, strict=True)}


def _t3_summary(ay: AgencyYear, previous: AgencyYear | None) -> str:
    apps = figs.figures(ay)["applications"]
    if apps["new"] == 0 and apps["carried_over"] == 0 and apps["handled"] == 0 and apps["carried_forward"] == 0:
        return NO_APPLICATIONS
    labels = _outcome_labels(ay.format)
    outcomes = "，".join(f"{label}{_count(apps[name])}" for name, label in labels.items())
    return (
        f"本年度共新收政府信息公开申请{_count(apps['new'])}{_change(apps['new'], previous, ay.year)}；"
        f"上年结转{_count(apps['carried_over'])}；"
        f"办结{_count(apps['handled'])}，其中{outcomes}；"
        f"结转下年度继续办理{_count(apps['carried_forward'])}。"
    )


def _t4_summary(ay: AgencyYear) -> str:
    tree = ay.format.t4_columns
    review_node, litigation_node = tree.children
    f = figs.figures(ay)
    review, litigation = f["review"], f["litigation"]
    rv, lt = short_label(review_node.label), short_label(litigation_node.label)
    if review["total"] == 0 and litigation["total"] == 0:
        return f"本年度未发生政府信息公开{rv}、{lt}。"
    outcomes = [(leaf.key, leaf.label) for _, leaf in review_node.leaves() if leaf.key != "total"]

    def detail(values: Mapping[str, int]) -> str:
        return "、".join(f"{label}{_count(values[k or ''])}" for k, label in outcomes if values[k or ""])

    parts = [f"本年度发生政府信息公开{rv}{_count(review['total'])}、{lt}{_count(litigation['total'])}。"]
    sentences = []
    if review["total"]:
        sentences.append(f"{rv}{detail(review)}")
    if litigation["total"]:
        groups = [
            f"{g.label}{_count(int(ay.tables['t4'][g.key or '']['total']))}"
            for g in litigation_node.children
            if ay.tables["t4"][g.key or ""]["total"]
        ]
        sentences.append(f"{lt}中{'、'.join(groups)}，{detail(litigation)}")
    parts.append("；".join(sentences) + "。")
    return "".join(parts)


# Phrases for the columns of table 二 a summary quotes, by column key (the key is stable across
# versions; the labels differ). Other columns (the 2019 item counts …) are left to the table itself.
_DOCUMENT_VERBS = {
    "made": "新制作",
    "published": "新公开",
    "total_public": "累计对外公开",
    "issued": "制发",
    "repealed": "废止",
    "in_force": "现行有效",
}


def _t2_summary(ay: AgencyYear) -> str:
    """The documents made, the decisions taken and the fees, each named by the format's own labels."""
    data = figs.figures(ay)["disclosure"]
    clauses: list[str] = []
    decisions: list[str] = []
    for block in ay.format.t2_blocks:
        rows = [(r.key or "", r.label) for r in block.rows]
        keys = [c.key for c in block.columns]
        if all(k in _DOCUMENT_VERBS for k in keys):
            clauses.append(
                "，".join(
                    _DOCUMENT_VERBS[k] + "、".join(f"{label}{_count(int(data[r][k]))}" for r, label in rows)
                    for k in keys
                )
            )
            continue
        for col in block.columns:
            for r, label in rows:
                value = data[r][col.key]
                if col.key == "decisions":
                    decisions.append(f"{label}处理决定{_count(int(value))}")
                elif col.kind == "wan":
                    amount = Decimal(value)
                    clauses.append(f"收取{label}{value_text(amount)}万元" if amount else f"未收取{label}")
                elif col.key == "change" and "decisions" not in keys:
                    clauses.append(_items_change(label, int(data[r]["previous_items"]), int(value)))
                elif col.kind == "amount":
                    items = next((int(data[r][c.key]) for c in block.columns if c.kind == "count"), None)
                    head = f"{label}项目{items}个，" if items is not None else f"{label}"
                    clauses.append(f"{head}{short_label(col.label)}{value_text(value)}")
    if decisions:
        clauses.insert(1 if clauses else 0, "作出" + "、".join(decisions))
    return "本年度" + "；".join(clauses) + "。"


def _items_change(label: str, previous: int, change: int) -> str:
    now = previous + change
    if change == 0:
        return f"{label}项目{now}项，与上一年持平"
    return f"{label}项目{now}项，较上一年{'增加' if change > 0 else '减少'}{abs(change)}项"


def summary_html(ay: AgencyYear, table: str, previous: AgencyYear | None = None) -> str:
    """The opening sentences of section 二, 三 or 四 (``table`` = t2/t3/t4), as one ``<p>``.

    Numbers come from :func:`xxgk.figures.figures`, so they always match the table; the phrasing is
    fixed ("新收政府信息公开申请X件", "办结X件", "行政复议X件") so readers and rule I7 find them.
    ``previous`` (last year's data of the same body) adds the year-over-year change of section 三.
    """
    if table == "t2":
        text = _t2_summary(ay)
    elif table == "t3":
        text = _t3_summary(ay, previous)
    elif table == "t4":
        text = _t4_summary(ay)
    else:
        raise ValueError(f"unknown table {table!r}; expected t2, t3 or t4")
    return str(Markup("<p>{}</p>").format(text))


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
