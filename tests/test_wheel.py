"""An installed wheel, not only a checkout, renders a report: the templates are package data found by name.

The wheel is built from the tracked files alone (what a release would contain), installed without its
dependencies into a fresh virtual environment outside the repository, which borrows the dependencies of
the development environment through a path entry and its data files through JUPYTER_PATH (so the test
needs no network). The report is rendered
from a folder that is not the repository, and the code that ran is the wheel's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO


@pytest.mark.slow
def test_a_wheel_installed_outside_the_repository_renders_a_report(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target, follow_symlinks=False)
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", dist, src], check=True, cwd=tmp_path)
    (wheel,) = dist.glob("xxgk-*.whl")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([*pip, "--python", python, "install", "--no-deps", "--no-index", wheel], check=True)
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "zz_dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    work = tmp_path / "elsewhere"
    shutil.copytree(EXAMPLES, work / "params")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # The borrowed dependencies' data files (nbconvert's stock templates) live under the development prefix.
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    where = subprocess.run(
        [python, "-c", "import xxgk.render.templates as t; print(t.__file__); print(t.notebook())"],
        capture_output=True,
        text=True,
        check=True,
        cwd=work,
        env=env,
    ).stdout.split()
    assert all(Path(p).is_relative_to(site) for p in where), where

    proc = subprocess.run(
        [env_dir / "bin" / "xxgk", "render", "shiqiao-town", "2023", "--outputs", work / "outputs"],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = work / "outputs" / "shiqiao-town" / "2023"
    assert {p.name for p in out.iterdir()} >= {"report.ipynb", "report.html", "report.pdf", "manifest.json"}
    assert "石桥镇人民政府2023年政府信息公开工作年度报告" in (out / "report.html").read_text(encoding="utf-8")
    assert str(REPO) not in (out / "report.ipynb").read_text(encoding="utf-8")
