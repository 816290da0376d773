"""The tree stays ruff-clean: part of the test suite so CI enforces it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_ruff_check_is_clean() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    proc = subprocess.run([ruff, "check", "."], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
