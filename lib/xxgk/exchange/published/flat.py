"""Cells of a flattened table, recovered by the format's identities (domain-rules pitfall 1, rule M2).

Text extraction often glues a row's cells together: ``1.某项标签0000000``, ``（七）某行1230101013``,
or all fifteen cells of table 四 as one run of digits. Such a run can be cut into the row's cells in
many ways; the sum identities of the format (I1, I4 within a row; I2, S1 across rows) usually leave
exactly one. This module finds every split that satisfies them and accepts the cells only when the
solution is unique: a table read by guessing would be audited as if the body had written it, so an
ambiguous run is "not assessable" rather than a best guess.

Two facts keep the search small and are what makes it realistic:

* a number never has a leading zero (tables print ``0`` and ``12``, never ``012``), so after a ``0``
  the next cell starts; this is the main pruning of the splits;
* a 总计 is the sum of the cells before it, so once its parts are chosen its digits are known and
  must be the next digits of the run: the total is checked, never searched.

Rows are first split on their own (filtered by the identities inside them), then combined by a
dynamic programme over the residuals of the identities across rows, which merges combinations that
leave the same sums and so never enumerates the product of the rows' candidates. Work is counted in
steps and capped: an input whose splits are astronomically many is reported as not assessable
instead of hanging the reader.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from xxgk.formats import FormatVersion, Header, Sum, rules

Cell = tuple[str, str]
"""A cell by its (row key, column key)."""

WHOLE = "*"
"""Key of ``runs`` for one run that holds every cell of the table, rows in official order (table 四
is often printed as one line of fifteen digits)."""

SOLUTION_CAP = 1000
"""``Recovery.solutions`` stops at this: beyond it the exact number says nothing more to a reviewer."""

MAX_STEPS = 100_000
"""Default cap on the search (nodes of the row splits plus transitions of the combination): about
half a second at worst, ten times what a full table 三 of large four-digit counts needs."""


@dataclass(frozen=True)
class Recovery:
    """What the digit runs of one table say: its cells if exactly one split satisfies the identities."""

    cells: dict[Cell, int] | None
    """(row key, column key) → value for every cell of the rows given, when the solution is unique."""
    solutions: int
    """Splits satisfying every identity that applies (0 none, 1 unique), capped at :data:`SOLUTION_CAP`;
    meaningless when ``aborted``."""
    candidates: int
    """Splits the runs admit before any identity (the product over the rows): the “47种” of rule M2."""
    reason: str
    """Why the cells were not recovered (Chinese, names the rows); empty when they were."""
    recovered: frozenset[Cell] = frozenset()
    """The cells that came from digit runs (not from rows the caller already read as numbers)."""
    steps: int = 0
    """Work the search did (nodes plus transitions): how close it came to its cap."""
    aborted: bool = False
    """The search hit its cap before it could tell whether the solution is unique."""

    @property
    def unique(self) -> bool:
        return self.cells is not None

    def note(self) -> str:
        """The M2 wording of a recovered table: ``47种切分中唯一满足勾稽的1种``."""
        if self.cells is None:
            return self.reason
        if self.candidates == 1:
            return "数字串只有1种切分"
        return f"{_ways(self.candidates)}切分中唯一满足勾稽的1种"


def _ways(n: int) -> str:
    """A number of splits for a message: exact while a reader can take it in, else its magnitude."""
    return f"{n}种" if n < 10**9 else f"超过10^{len(str(n)) - 1}种"


class _OutOfSteps(Exception):
    """The search used its budget: the caller reports the table as not assessable."""


@dataclass
class _Budget:
    limit: int
    used: int = 0

    def tick(self, n: int = 1) -> None:
        self.used += n
        if self.used > self.limit:
            raise _OutOfSteps


@dataclass
class _Linear:
    """One identity instance as ``Σ coef·cell == 0`` (the total has −1, each part its sign)."""

    ident: str
    coefs: dict[Cell, int]


@dataclass
class _Segment:
    """One run (a row, or the whole table) and the cells it covers, in print order."""

    key: str
    label: str
    cells: tuple[Cell, ...]
    run: str | None
    """The digit run; None when the caller gave the row as numbers already (``known``)."""
    known: tuple[int, ...] | None = None
    splits: int = 0
    intra: list[_Linear] = field(default_factory=list)
    candidates: list[tuple[int, ...]] | None = None
    """Splits satisfying the identities inside the run; None when not enumerated (an independent
    run with several splits is ambiguous whatever they are)."""


# --- splitting ---------------------------------------------------------------------------------

_DIGITS = re.compile(r"[0-9]*")


def _check_run(run: str) -> None:
    if not _DIGITS.fullmatch(run):
        raise ValueError(f"数字串只能含有 0-9：{run!r}")


def split_counts(run: str, n: int) -> Iterator[tuple[int, ...]]:
    """Every split of ``run`` into ``n`` non-negative integers, in order of the first cell's length.

    A cell never starts with ``0`` unless it is ``0``: tables print ``0`` and ``12``, never ``012``,
    so a ``0`` always ends its cell. That is both true of real tables and the main pruning. Raises
    ValueError when ``run`` holds anything but ASCII digits.
    """
    _check_run(run)
    size = len(run)

    def rest(pos: int, left: int) -> Iterator[tuple[int, ...]]:
        remaining = size - pos
        if left == 1:
            if remaining >= 1 and (run[pos] != "0" or remaining == 1):
                yield (int(run[pos:]),)
            return
        if remaining < left:
            return
        longest = 1 if run[pos] == "0" else remaining - (left - 1)
        for length in range(1, longest + 1):
            head = int(run[pos : pos + length])
            for tail in rest(pos + length, left - 1):
                yield (head, *tail)

    if n <= 0:
        if n == 0 and size == 0:
            yield ()
        return
    yield from rest(0, n)


def count_splits(run: str, n: int) -> int:
    """How many splits :func:`split_counts` yields, counted without listing them (a run of 60 digits
    has billions): ``ways[i][k]`` splits of ``run[i:]`` into ``k`` cells, with suffix sums."""
    _check_run(run)
    size = len(run)
    if n <= 0:
        return int(n == 0 and size == 0)
    # ways[k][i]: splits of run[i:] into k cells; tail[k][i] = Σ_{j>i} ways[k][j] (cells starting after i).
    prev = [0] * size + [1]  # k = 0: only the empty suffix
    for _ in range(n):
        tail = [0] * (size + 2)
        for j in range(size, -1, -1):
            tail[j] = tail[j + 1] + prev[j]
        cur = [0] * (size + 1)
        for i in range(size):
            cur[i] = prev[i + 1] if run[i] == "0" else tail[i + 1]
        prev = cur
    return prev[0]


def _enumerate(seg: _Segment, budget: _Budget) -> list[tuple[int, ...]]:
    """The splits of one run that satisfy the identities inside it, by depth-first search.

    An identity whose parts are consecutive cells followed by their total (I1 of a table 三 row,
    each group's I4 in table 四) fixes the total once the parts are chosen, so the total is compared
    with the next digits instead of being searched; and the digits left must still hold the total,
    which bounds how long the parts can be. When such a group ends the run (I1 ends every row of
    table 三), its total is a suffix of the run instead: each length of it is tried and the digits
    before it are split into parts that add up to it exactly, which prunes far harder (a row of
    four-digit counts takes a few thousand nodes, not a hundred thousand). Any other identity is
    checked when its last cell is set.
    """
    assert seg.run is not None
    run, size, n = seg.run, len(seg.run), len(seg.cells)
    position = {c: i for i, c in enumerate(seg.cells)}
    group_start: dict[int, int] = {}  # total position → first part position
    part_total: dict[int, int] = {}  # part position → its total's position
    checks: dict[int, list[list[tuple[int, int]]]] = {}
    for lin in seg.intra:
        at = sorted((position[c], k) for c, k in lin.coefs.items() if k)
        total = [p for p, k in at if k == -1]
        parts = [p for p, k in at if k != -1]
        if (
            len(total) == 1
            and parts
            and all(k == 1 for p, k in at if k != -1)
            and parts == list(range(parts[0], total[0]))
            and total[0] not in group_start
            and not any(p in part_total for p in parts)
        ):
            group_start[total[0]] = parts[0]
            part_total.update((p, total[0]) for p in parts)
        else:
            checks.setdefault(max(p for p, _ in at), []).append(at)
    out: list[tuple[int, ...]] = []
    values: list[int] = []

    def holds(i: int) -> bool:
        return all(sum(values[p] * k for p, k in at) == 0 for at in checks.get(i, ()))

    def walk(i: int, off: int) -> None:
        budget.tick()
        if i == n:
            if off == size:
                out.append(tuple(values))
            return
        remaining = size - off
        if remaining < n - i:
            return
        if i in trailing:
            ends_with_total(i, off)
            return
        if i in group_start:
            value = sum(values[group_start[i] : i])
            text = str(value)
            if run.startswith(text, off):
                values.append(value)
                if holds(i):
                    walk(i + 1, off + len(text))
                values.pop()
            return
        longest = 1 if run[off] == "0" else remaining - (n - i - 1)
        total_at = part_total.get(i)
        partial = sum(values[group_start[total_at] : i]) if total_at is not None else 0
        for length in range(1, longest + 1):
            value = int(run[off : off + length])
            if total_at is not None:
                # The total is at least this partial sum: its digits must still fit after the parts.
                parts_left = total_at - i - 1
                need = parts_left + len(str(partial + value)) + (n - total_at - 1)
                if size - off - length < need:
                    break  # a longer cell only makes the sum longer and the rest shorter
            values.append(value)
            if holds(i):
                walk(i + 1, off + length)
            values.pop()

    def ends_with_total(first: int, off: int) -> None:
        """A group whose total ends the run: the total is a suffix, so try each length of it and
        split the digits before it into parts that add up to it exactly. Every part is at most what
        is left of the total, which bounds both its length and how many digits the rest may take."""
        last = n - 1
        for length in range(1, size - off - (last - first) + 1):
            start = size - length
            if length > 1 and run[start] == "0":
                continue
            digits, count = start - off, last - first
            if digits > count * length:
                continue  # the parts would need more digits than the total has, each
            total = int(run[start:])
            if not _can_reach(total, digits, count):
                break  # longer totals are only larger, and fewer digits are left for the parts
            fill(first, off, total, start)

    def fill(i: int, off: int, left: int, end: int) -> None:
        budget.tick()
        last = n - 1
        if i == last:
            values.append(sum(values[trailing_start:]))
            if holds(i):
                walk(n, size)
            values.pop()
            return
        if i == last - 1:  # the final part is what is left of the digits, and of the total
            text = str(left)
            if run[off:end] == text:
                values.append(left)
                if holds(i):
                    fill(last, end, 0, end)
                values.pop()
            return
        longest = 1 if run[off] == "0" else min(len(str(left)), end - off - (last - 1 - i))
        for length in range(1, longest + 1):
            value = int(run[off : off + length])
            if value > left:
                break
            rest, after = end - off - length, last - 1 - i
            if not after <= rest <= after * len(str(left - value)) or not _can_reach(left - value, rest, after):
                continue
            values.append(value)
            if holds(i):
                fill(i + 1, off + length, left - value, end)
            values.pop()

    trailing_start = group_start.get(n - 1, -1)
    trailing = {trailing_start} if trailing_start >= 0 else set()
    walk(0, 0)
    return out


def _can_reach(total: int, digits: int, count: int) -> bool:
    """Whether ``count`` cells written with ``digits`` digits can add up to ``total`` at most: the
    largest such sum gives one cell every digit but one per other cell, each other cell a 9."""
    return total <= 10 ** (digits - count + 1) - 1 + 9 * (count - 1)


# --- combining rows ----------------------------------------------------------------------------


def _combine(segs: list[_Segment], cross: list[_Linear], budget: _Budget) -> tuple[int, list[set[int]]]:
    """How many choices of one candidate per run satisfy every identity across runs, and which
    candidates of each run take part in some solution.

    A forward pass keeps, after each run, the distinct vectors of partial sums (residuals) with how
    many choices reach them; residuals that the remaining runs cannot bring back to zero (their
    smallest and largest contributions, summed) are dropped. Choices that leave the same residuals
    merge, so the work is the number of distinct partial sums, not the product of the candidates.
    A backward pass from the zero vector marks the candidates on some solution's path.
    """
    width = len(cross)
    cell_at: dict[Cell, list[tuple[int, int]]] = {}
    for ci, lin in enumerate(cross):
        for cell, k in lin.coefs.items():
            cell_at.setdefault(cell, []).append((ci, k))
    contribs: list[list[tuple[int, ...]]] = []
    touched: list[tuple[int, ...]] = []
    for seg in segs:
        assert seg.candidates is not None
        rows: list[tuple[int, ...]] = []
        hit = sorted({ci for cell in seg.cells for ci, _ in cell_at.get(cell, ())})
        for cand in seg.candidates:
            acc = [0] * width
            for cell, value in zip(seg.cells, cand, strict=True):
                for ci, k in cell_at.get(cell, ()):
                    acc[ci] += k * value
            rows.append(tuple(acc))
        contribs.append(rows)
        touched.append(tuple(hit))
    # low[i][c], high[i][c]: the least and most runs i.. can still add to constraint c.
    low = [[0] * width for _ in range(len(segs) + 1)]
    high = [[0] * width for _ in range(len(segs) + 1)]
    for i in range(len(segs) - 1, -1, -1):
        for c in range(width):
            column = [vec[c] for vec in contribs[i]]
            low[i][c] = low[i + 1][c] + min(column)
            high[i][c] = high[i + 1][c] + max(column)
    layers: list[dict[tuple[int, ...], int]] = [{(0,) * width: 1}]
    for i, rows in enumerate(contribs):
        nxt: dict[tuple[int, ...], int] = {}
        lo, hi = low[i + 1], high[i + 1]
        for state, ways in layers[-1].items():
            budget.tick(len(rows))
            for vec in rows:
                new = tuple(a + b for a, b in zip(state, vec, strict=True))
                if all(lo[c] <= -new[c] <= hi[c] for c in touched[i]):
                    nxt[new] = nxt.get(new, 0) + ways
        layers.append(nxt)
    zero = (0,) * width
    total = layers[-1].get(zero, 0)
    used: list[set[int]] = [set() for _ in segs]
    if total:
        alive = {zero}
        for i in range(len(segs) - 1, -1, -1):
            before: set[tuple[int, ...]] = set()
            for state in layers[i]:
                budget.tick(len(contribs[i]))
                for j, vec in enumerate(contribs[i]):
                    if tuple(a + b for a, b in zip(state, vec, strict=True)) in alive:
                        used[i].add(j)
                        before.add(state)
            alive = before
    return total, used


# --- the table ---------------------------------------------------------------------------------


def _find(node: Header, key: str) -> Header | None:
    for child in node.children:
        if child.key == key:
            return child
        found = _find(child, key)
        if found is not None:
            return found
    return None


def _row_label(version: FormatVersion, table: str, row: str) -> str:
    """How a message names a row: its label in table 二 and 三, its column group in table 四."""
    if row == WHOLE:
        return version.table_title(table)
    if table == "t4":
        node = _find(version.t4_columns, row)
        return node.label if node is not None else row
    cols = version.layout[table][row]
    return version.cell(table, row, cols[0]).row_label or row


def _ident_text(ident: str) -> str:
    rule = rules().get(ident)
    return f"{ident}（{rule.text}）" if rule else ident


def _fail(reason: str, candidates: int, budget: _Budget, solutions: int = 0) -> Recovery:
    return Recovery(None, solutions, candidates, reason, steps=budget.used)


def recover(
    version: FormatVersion,
    table: str,
    runs: Mapping[str, str | Sequence[int]],
    *,
    max_steps: int = MAX_STEPS,
) -> Recovery:
    """The cells of ``table`` that the digit runs of its rows determine, if exactly one split fits.

    ``runs`` maps a row key to the digits printed for that row (ASCII digits only: the caller has
    removed spaces, see :func:`digits_of`), or to the row's numbers when they were read already
    (space separated, :func:`spaced_numbers`): those are fixed and still constrain the others. The
    key :data:`WHOLE` stands for one run of every cell of the table (then it must be the only key).
    Rows missing from ``runs`` are unknown, and an identity that names one of their cells is not
    used. Raises ValueError for a key, table or row length that is not the format's (a caller's
    bug, not the report's).
    """
    budget = _Budget(max_steps)
    if table not in version.layout:
        raise ValueError(f"unknown table {table!r}")
    layout = version.layout[table]
    segs: list[_Segment] = []
    if WHOLE in runs:
        if len(runs) != 1:
            raise ValueError(f"{WHOLE!r} covers the whole table: give no other row")
        cells = tuple((r, c) for r, cols in layout.items() for c in cols)
        whole = runs[WHOLE]
        if not isinstance(whole, str):
            raise ValueError("the whole-table run must be a digit string")
        segs.append(_Segment(WHOLE, _row_label(version, table, WHOLE), cells, whole))
    else:
        unknown = [k for k in runs if k not in layout]
        if unknown:
            raise ValueError(f"rows not in {table} of version {version.id}: {unknown}")
        for row, cols in layout.items():
            if row not in runs:
                continue
            given = runs[row]
            cells = tuple((row, c) for c in cols)
            label = _row_label(version, table, row)
            if isinstance(given, str):
                segs.append(_Segment(row, label, cells, given))
            else:
                if len(given) != len(cols):
                    raise ValueError(f"row {row!r} has {len(cols)} cells, {len(given)} numbers given")
                segs.append(_Segment(row, label, cells, None, known=tuple(given), splits=1))
    for seg in segs:
        if seg.run is not None and not _DIGITS.fullmatch(seg.run):
            return _fail(f"「{seg.label}」的内容不是纯数字：“{seg.run}”", 0, budget)
        if seg.run is not None:
            seg.splits = count_splits(seg.run, len(seg.cells))
    candidates = 1
    for seg in segs:
        candidates *= seg.splits
    for seg in segs:
        if seg.splits == 0:
            assert seg.run is not None
            return _fail(
                f"「{seg.label}」的数字串“{seg.run}”（{len(seg.run)}位）无法切分为{len(seg.cells)}个数"
                "（每个数至少一位，除0以外不以0开头）",
                candidates,
                budget,
            )

    # Identity instances, by the runs they touch; those naming an unknown row are left out.
    where = {cell: i for i, seg in enumerate(segs) for cell in seg.cells}
    cross: list[_Linear] = []
    for ident in version.identities:
        if ident.table != table:
            continue
        for inst in version.sums(ident):
            lin = _linear(inst)
            if any(cell not in where for cell in lin.coefs):
                continue
            touched = {where[cell] for cell in lin.coefs}
            if len(touched) == 1:
                segs[touched.pop()].intra.append(lin)
            else:
                cross.append(lin)
    in_cross = {where[cell] for lin in cross for cell in lin.coefs}

    try:
        for i, seg in enumerate(segs):
            if seg.known is not None:
                seg.candidates = [seg.known] if all(_holds(lin, seg.cells, seg.known) for lin in seg.intra) else []
            elif seg.intra or i in in_cross or seg.splits == 1:
                seg.candidates = _enumerate(seg, budget)
            # else: no identity can choose among its splits; it is ambiguous as it stands.
        for seg in segs:
            if seg.candidates is not None and not seg.candidates:
                idents = "、".join(dict.fromkeys(_ident_text(lin.ident) for lin in seg.intra))
                what = "给出的数字" if seg.known is not None else f"数字串“{seg.run}”的{_ways(seg.splits)}切分"
                return _fail(f"「{seg.label}」{what}都不满足{idents}", candidates, budget)
        order = sorted((i for i in range(len(segs)) if i in in_cross), key=lambda i: len(segs[i].candidates or ()))
        joined, used = _combine([segs[i] for i in order], cross, budget)
    except _OutOfSteps:
        return Recovery(
            None,
            0,
            candidates,
            f"数字串的切分组合过多（{_ways(candidates)}），计算{budget.limit}步后仍无法确定是否唯一，无法还原",
            steps=budget.used,
            aborted=True,
        )

    if cross and joined == 0:
        idents = "、".join(dict.fromkeys(lin.ident for lin in cross))
        return _fail(f"各行的切分没有一种组合同时满足{idents}", candidates, budget)
    solutions = joined if cross else 1
    ambiguous: list[str] = []
    for i, seg in enumerate(segs):
        if i in in_cross:
            ways = len(used[order.index(i)])
            if ways > 1:
                ambiguous.append(f"「{seg.label}」")
        else:
            ways = len(seg.candidates) if seg.candidates is not None else seg.splits
            solutions *= ways
            if ways > 1:
                ambiguous.append(f"「{seg.label}」（{ways}种切分）")
    if solutions > 1:
        shown = min(solutions, SOLUTION_CAP)
        count = f"至少{shown}种" if solutions >= SOLUTION_CAP else f"{shown}种"
        return _fail(
            f"满足勾稽关系的切分不唯一（{count}），以下行无法确定：{'、'.join(ambiguous)}",
            candidates,
            budget,
            solutions=shown,
        )

    values: dict[Cell, int] = {}
    recovered: set[Cell] = set()
    for i, seg in enumerate(segs):
        assert seg.candidates is not None
        pick = seg.candidates[next(iter(used[order.index(i)]))] if i in in_cross else seg.candidates[0]
        values.update(zip(seg.cells, pick, strict=True))
        if seg.run is not None:
            recovered.update(seg.cells)
    return Recovery(values, 1, candidates, "", recovered=frozenset(recovered), steps=budget.used)


def _linear(inst: Sum) -> _Linear:
    coefs: dict[Cell, int] = {inst.total: -1}
    for sign, cell in inst.parts:
        coefs[cell] = coefs.get(cell, 0) + sign
    return _Linear(inst.identity.id, coefs)


def _holds(lin: _Linear, cells: tuple[Cell, ...], values: tuple[int, ...]) -> bool:
    got = dict(zip(cells, values, strict=True))
    return sum(k * got[c] for c, k in lin.coefs.items()) == 0


# --- reading a line ----------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")
_TRAILING = re.compile(r"[\d\s,，\u00a0\u3000]+$")


def _norm(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


def digits_of(text: str) -> str | None:
    """The digit run of a line's text after its label: full-width digits made ASCII (NFKC), spaces
    and thousands separators removed. None if the text holds anything else (``/``, ``-``, a word,
    a decimal point) or no digit at all: such a row is no flattened run of counts and must not be
    solved as one."""
    flat = _norm(text).replace(",", "")
    return flat if flat and _DIGITS.fullmatch(flat) else None


def spaced_numbers(text: str) -> list[int] | None:
    """The numbers of a line's text after its label when spaces separate them (``12 3 0 1 0 1 13``):
    then the cells are read, not solved. None when there are fewer than two numbers (one token may
    be several cells glued), when a token has a leading zero (``012`` is never printed, so it is
    glued cells) or when a token is not a number. ``1,520`` is one number."""
    tokens = unicodedata.normalize("NFKC", text).split()
    if len(tokens) < 2:
        return None
    out: list[int] = []
    for token in tokens:
        if not _GROUPED.fullmatch(token) or (len(token) > 1 and token[0] == "0"):
            return None
        out.append(int(token.replace(",", "")))
    return out


def split_line(text: str, labels: Sequence[str]) -> tuple[str, str] | None:
    """A text line as (label part, number part): ``1.某项标签0000000`` → (``1.某项标签``, ``0000000``).

    Labels carry digits of their own (the ordinal ``1.``), so the numbers are not simply the digits
    of the line. The longest of ``labels`` the line starts with (compared without spaces, NFKC) is
    taken first; failing that, the numbers are the trailing run of digits, spaces and separators,
    which cannot swallow a leading ordinal because the label's words follow it (no label of the
    format ends in a digit). None when the line has no such trailing numbers or no label before them.
    """
    norm_labels = sorted({_norm(label) for label in labels if _norm(label)}, key=len, reverse=True)
    flat = _norm(text)
    for label in norm_labels:
        if flat.startswith(label):
            cut = next((i for i in range(len(text) + 1) if _norm(text[:i]) == label), None)
            if cut is None:
                break
            rest = text[cut:].strip()
            if digits_of(rest) is not None:
                return text[:cut].strip(), rest
            break
    m = _TRAILING.search(text)
    if m is None:
        return None
    head, tail = text[: m.start()].strip(), m.group().strip()
    if not head or not re.search(r"\d", tail):
        return None
    return head, tail
