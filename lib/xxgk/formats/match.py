"""How a label written by a person (or a CMS, or a mirror site) is matched to an official label.

Published reports write the format's labels in many ways that mean the same cell: half-width
brackets ``(一)`` for ``（一）``, ``，`` for ``、``, spaces and ``&nbsp;`` padding inside a label split
across paragraphs, traditional characters on mirror sites, a note appended to a label
(``本年增/减（指…）``), a label cut short (``本年增/``, ``现行有效件``). Every source that names cells
by their labels (the tidy CSV, the Excel form, a published page) matches here, so one rule decides
what counts as the same label, and a reviewer's message names how it was matched.

Matching never guesses silently: an exact match after normalisation is ``exact``; a label that is
the start of exactly one official label, or starts with exactly one (an annotated label), is
``prefix``; the closest label by similarity, above a cut-off and clearly ahead of the next, is
``close``, and a caller reports a ``close`` match as a finding.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

How = Literal["exact", "prefix", "close"]

SPACE = re.compile(r"[\s\u00a0\u3000\u2002\u2003\u200b\ufeff]+")
"""White space as published pages pad with it: ``&nbsp;``, the ideographic space, en and em spaces,
zero-width spaces and stray byte-order marks (every reader of published reports collapses these)."""
WIDE = re.compile(r"[\u2014-\u201f\u2026\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
"""A character of Chinese text (ideographs, full-width forms and CJK punctuation): text broken
between two of these joins without a space."""
_PINYIN = re.compile(r"\(([a-z]{1,6})\)")
"""Mirror sites inject pinyin after characters: ``公(gong)開(kai)``."""
_PUNCT = str.maketrans({"，": "、", ",": "、", "；": "、", "：": ":", "“": '"', "”": '"', "〔": "[", "〕": "]"})
_TRAILING = re.compile(r"[:：]+$")

CLOSE_CUTOFF = 0.8
"""The least similarity (difflib's ratio) a ``close`` match needs; below it a label is unknown."""
CLOSE_MARGIN = 0.08
"""How far the best ``close`` candidate must be ahead of the second: two near labels are no match."""
PREFIX_MIN = 3
"""The fewest characters a truncated label must keep to be matched by prefix."""


@functools.cache
def _converter() -> object | None:
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a dependency; only a broken install lacks it
        return None
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Traditional characters as simplified (mirror sites convert whole reports to traditional)."""
    conv = _converter()
    return conv.convert(text) if conv is not None else text  # type: ignore[attr-defined]


def without_pinyin(text: str) -> str:
    """A mirror's text without the pinyin it injected after characters (``公(gong)開(kai)``)."""
    return _PINYIN.sub("", text)


@functools.lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """The form two labels are compared in: NFKC, simplified, no white space, one kind of punctuation.

    NFKC makes full-width brackets and digits half-width (``（一）`` → ``(一)``, ``１２`` → ``12``),
    which is the point: the comparison is blind to the width, while every label xxgk writes keeps
    the format's full-width form.
    """
    t = without_pinyin(text)
    t = unicodedata.normalize("NFKC", simplified(t))
    t = SPACE.sub("", t).translate(_PUNCT)
    return _TRAILING.sub("", t)


@dataclass(frozen=True)
class Match:
    label: str
    """The official label matched."""
    how: How
    score: float = 1.0


def match(text: str, choices: Sequence[str]) -> Match | None:
    """The official label among ``choices`` that ``text`` stands for, and how it was found; or None."""
    return _match(text, tuple(choices))


@functools.lru_cache(maxsize=65536)
def _match(text: str, choices: tuple[str, ...]) -> Match | None:
    n = normalise(text)
    if not n:
        return None
    normal = {c: normalise(c) for c in choices}
    exact = [c for c, m in normal.items() if m == n]
    if len(exact) == 1:
        return Match(exact[0], "exact")
    if exact:
        return None
    if len(n) >= PREFIX_MIN:
        truncated = [c for c, m in normal.items() if m.startswith(n)]
        annotated = [c for c, m in normal.items() if len(m) >= PREFIX_MIN and n.startswith(m)]
        if len(truncated) == 1 and not annotated:
            return Match(truncated[0], "prefix", len(n) / len(normal[truncated[0]]))
        if len(annotated) >= 1 and not truncated:
            # An annotated label starts with the official one; the longest official label wins
            # (``行政规范性文件`` over ``规范性文件`` would never both start the same text).
            best = max(annotated, key=lambda c: len(normal[c]))
            return Match(best, "prefix", len(normal[best]) / len(n))
    scored = sorted(
        ((difflib.SequenceMatcher(None, n, m, autojunk=False).ratio(), c) for c, m in normal.items()),
        reverse=True,
    )
    if not scored or scored[0][0] < CLOSE_CUTOFF:
        return None
    if len(scored) > 1 and scored[0][0] - scored[1][0] < CLOSE_MARGIN:
        return None
    return Match(scored[0][1], "close", scored[0][0])
