"""The tree stays clean, typed and layered: part of the test suite so CI enforces what the README promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

BIN = Path(sys.executable).parent


def _run(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], cwd=REPO, capture_output=True, text=True)


def test_ruff_check_is_clean() -> None:
    proc = _run(BIN / "ruff", "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_clean() -> None:
    proc = _run(BIN / "ruff", "format", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_lib_type_checks() -> None:
    """mypy over lib/ with the settings of pyproject.toml (untyped definitions are errors)."""
    proc = _run(BIN / "mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_blanket_type_ignores() -> None:
    """Every ``type: ignore`` names the error it silences."""
    bare = [
        f"{p.relative_to(REPO)}:{i}"
        for p in sorted((REPO / "lib").rglob("*.py"))
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "type: ignore" in line and "type: ignore[" not in line
    ]
    assert not bare, bare


def test_layers_import_one_way() -> None:
    """The import-linter contract of pyproject.toml: each layer imports only the layers below it."""
    proc = _run(BIN / "lint-imports")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 1 kept, 0 broken." in proc.stdout
