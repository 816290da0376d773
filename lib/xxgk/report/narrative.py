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

import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

from xxgk.data import figures as figs
from xxgk.data.model import AgencyYear, count, show
from xxgk.data.placeholders import PLACEHOLDERS, NarrativeError, fill, fill_leniently
from xxgk.formats import phrase, short_label

__all__ = [
    "BROKEN_PLACEHOLDER",
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
    return m is not None and m.group(1).lower() in LINK_SCHEMES


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


def section_html(ay: AgencyYear, key: str, *, allow_invalid: bool = False) -> str:
    """Narrative section ``overview``, ``problems`` or ``other``: placeholders filled, then Markdown.

    An empty section says "无。" (as conforming reports do) rather than leaving a heading with nothing
    under it. A placeholder that cannot be filled raises NarrativeError (rule N1 keeps such data from
    being rendered), unless the caller renders despite errors (``allow_invalid``, the red banner lists
    the N1 finding): then the author's text is shown with every tag that could not be filled marked
    and quoted as inert code, so the reader sees what is wrong where it is.
    """
    if key not in ("overview", "problems", "other"):
        raise ValueError(f"unknown narrative section {key!r}; expected overview, problems or other")
    text = getattr(ay.narrative, key)
    if not text.strip():
        return markdown_html(EMPTY_SECTION)
    values = figs.figures(ay)
    try:
        return markdown_html(fill(text, values))
    except NarrativeError:
        if not allow_invalid:
            raise
    return markdown_html("".join(_marked(p.text) if p.refused else p.text for p in fill_leniently(text, values)))


BROKEN_PLACEHOLDER = "占位符无法填写："


def _marked(tag: str) -> str:
    """A refused tag as Markdown: a visible marker, then its source as a code span (escaped, inert).

    The tag is put on one line (a code span cannot cross a blank line) and fenced with one backtick
    more than it contains, so nothing in it can end the span early.
    """
    flat = " ".join(tag.split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", flat)), default=0) + 1)
    return f"【{BROKEN_PLACEHOLDER}{fence} {flat} {fence}】"


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


def _t3_summary(ay: AgencyYear, previous: AgencyYear | None) -> str:
    apps = figs.figures(ay)["applications"]
    if apps["new"] == 0 and apps["carried_over"] == 0 and apps["handled"] == 0 and apps["carried_forward"] == 0:
        return NO_APPLICATIONS
    outcomes = "，".join(phrase(f"applications.{name}", apps[name]) for name in ay.format.outcomes)
    return (
        f"本年度共{phrase('applications.new', apps['new'])}{_change(apps['new'], previous, ay.year)}；"
        f"{phrase('applications.carried_over', apps['carried_over'])}；"
        f"{phrase('applications.handled', apps['handled'])}，其中{outcomes}；"
        f"{phrase('applications.carried_forward', apps['carried_forward'])}。"
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

    said = f"{phrase('review.total', review['total'])}、{phrase('litigation.total', litigation['total'])}"
    parts = [f"本年度发生政府信息公开{said}。"]
    sentences = []
    if review["total"]:
        sentences.append(f"{rv}{detail(review)}")
    if litigation["total"]:
        groups = [
            f"{g.label}{_count(count(ay.tables['t4'][g.key or '']['total']))}"
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
                    clauses.append(f"收取{label}{show(amount)}万元" if amount else f"未收取{label}")
                elif col.key == "change" and "decisions" not in keys:
                    clauses.append(_items_change(label, int(data[r]["previous_items"]), int(value)))
                elif col.kind == "amount":
                    items = next((int(data[r][c.key]) for c in block.columns if c.kind == "count"), None)
                    head = f"{label}项目{items}个，" if items is not None else f"{label}"
                    clauses.append(f"{head}{short_label(col.label)}{show(value)}")
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
    fixed (the phrases of ``national.yaml``) so readers and rule I7 find them.
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
