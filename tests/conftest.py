"""Shared fixtures: a private copy of the bundled examples, and a way to run the CLI."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from xxgk import cli

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "params"


@pytest.fixture
def params(tmp_path: Path) -> Path:
    """A copy of params/ that a test may change freely."""
    dst = tmp_path / "params"
    shutil.copytree(EXAMPLES, dst)
    return dst


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root with its hash: compare before and after to prove nothing changed."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]):
    """Run ``xxgk`` in-process; return (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def set_cell(path: Path, row: str, column: str, value: object) -> int:
    """Change one cell of a data file as an analyst would, in place; return its old value.

    The first ``<row>:`` key (tables 二 and 三 have unique row keys), then its ``<column>:``.
    """
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\n    {row}:") + 1
    cell = text.index(f"\n      {column}: ", start) + len(f"\n      {column}: ")
    end = text.index("  #", cell)
    path.write_text(text[:cell] + str(value) + text[end:], encoding="utf-8")
    return int(text[cell:end])


def small_params(tmp_path: Path, agencies: dict[str, list[int]]) -> Path:
    """A params tree with only some bodies and years of the examples (builds stay short)."""
    dst = tmp_path / "params"
    for agency, years in agencies.items():
        src = REPO / "params" / agency
        (dst / agency).mkdir(parents=True)
        shutil.copy(src / "agency.yaml", dst / agency / "agency.yaml")
        for y in years:
            shutil.copy(src / f"{y}.yaml", dst / agency / f"{y}.yaml")
    return dst
