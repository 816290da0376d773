"""Rules registered by id, the way nbconvert registers exporters: one function and one decorator line.

Every rule id lives in ``formats/national.yaml`` with its severity and meaning; the code that checks
it registers here under that id. The two are matched both ways (tests/test_check.py): an id of
stage ``check`` with no code, or code under an id the format does not know, is a bug. Rules from
other packages are found through the ``xxgk.rules`` entry point group (a module that registers
its rules when imported).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module, metadata
from typing import Literal, TypeVar

from xxgk import formats
from xxgk.data.diagnostics import Diagnostic
from xxgk.data.model import AgencyYear

Scope = Literal["year", "pair"]
YearCheck = Callable[[AgencyYear], Iterable[Diagnostic]]
PairCheck = Callable[[AgencyYear, AgencyYear], Iterable[Diagnostic]]
F = TypeVar("F", YearCheck, PairCheck)

ENTRY_POINTS = "xxgk.rules"
BUILTIN = (
    "xxgk.check.tables",
    "xxgk.check.narrative",
    "xxgk.check.evaluators",
    "xxgk.check.years",
    "xxgk.check.publishing",
)


@dataclass(frozen=True)
class Check:
    """One registered check: the rule ids it can report, what it reads, and the function."""

    ids: tuple[str, ...]
    scope: Scope
    fn: Callable[..., Iterable[Diagnostic]]


_checks: list[Check] = []


def rule(*ids: str, scope: Scope = "year") -> Callable[[F], F]:
    """Register ``fn`` as the check of ``ids`` (it may report only those rules)."""
    known = formats.rules()
    for rid in ids:
        if rid not in known:
            raise KeyError(f"rule {rid!r} is not described in national.yaml; add it there first")

    def register(fn: F) -> F:
        taken = {i for c in _checks for i in c.ids} & set(ids)
        if taken:
            raise KeyError(f"rule(s) {', '.join(sorted(taken))} registered twice")
        _checks.append(Check(tuple(ids), scope, fn))
        return fn

    return register


_loaded = False


def checks() -> list[Check]:
    """Every registered check in registration order (built-in modules first, then entry points)."""
    global _loaded
    if not _loaded:
        _loaded = True
        for name in BUILTIN:
            import_module(name)
        for ep in metadata.entry_points(group=ENTRY_POINTS):
            ep.load()
    return list(_checks)


def registered_ids() -> set[str]:
    return {i for c in checks() for i in c.ids}
