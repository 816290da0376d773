"""xxgk — 政府信息公开工作年度报告, checked and rendered from one YAML file per body and year."""

from __future__ import annotations

TYPE_CHECKING = False  # not ``typing.TYPE_CHECKING``: importing typing alone would double the cost of ``import xxgk``
if TYPE_CHECKING:
    from typing import Any

    from xxgk.report.frame import agency_years, frame

__version__ = "0.1.0"
__all__ = ["__version__", "agency_years", "frame"]

_LAZY = {"frame": "xxgk.report.frame", "agency_years": "xxgk.report.frame"}
"""Public names imported on first use: ``import xxgk`` stays as light as it was (no pandas, no checks),
which every command's start-up pays for."""


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
