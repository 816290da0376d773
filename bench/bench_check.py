"""How long `xxgk check` takes over many agency-years (target: 1,000 in under 2 s wall).

Generates N consistent agency-years (xxgk.synthetic) into a temporary params/ folder, then runs
the real command in a fresh process several times and reports the best and median wall time,
and — measured in the same run, since these machines are noisy — the ratio to a process that
only imports xxgk (the fixed start-up cost every command pays).

    .venv/bin/python bench/bench_check.py [--agencies 200] [--years 5] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xxgk.data import model, paramfile, synthetic

LEVELS = ("市级", "县级", "乡镇")


def generate(root: Path, agencies: int, years: int) -> int:
    n = 0
    for i in range(agencies):
        agency = model.Agency(f"body-{i:05d}", f"示例机关{i}", LEVELS[i % 3], None, Path())
        d = root / agency.id
        d.mkdir(parents=True)
        (d / "agency.yaml").write_text(paramfile.dump_agency(agency), encoding="utf-8")
        for ay in synthetic.series(agency, range(2024 - years + 1, 2025), i, 40 + i % 200):
            (d / f"{ay.year}.yaml").write_text(paramfile.dump_year(ay), encoding="utf-8")
            n += 1
    return n


def timed(cmd: list[str], repeat: int, expect: str = "") -> list[float]:
    """Wall times of a command that must succeed (and print ``expect``, proving it did the work)."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        out.append(time.perf_counter() - t)
        if proc.returncode != 0 or expect not in proc.stderr:
            raise SystemExit(f"{cmd} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agencies", type=int, default=200)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "params"
        n = generate(root, args.agencies, args.years)
        size = sum(p.stat().st_size for p in root.rglob("*.yaml"))
        cmd = [sys.executable, "-m", "xxgk.cli", "check", "--params", str(root)]
        check = timed(cmd, args.repeat, expect=f"检查了 {n} 份年度数据：0 个错误，0 个警告")
        base = timed([sys.executable, "-c", "import xxgk.cli"], args.repeat)
    print(f"agency-years: {n}  ({size / 1e6:.1f} MB of YAML)")
    print(f"xxgk check   best {min(check):.2f} s  median {statistics.median(check):.2f} s  (target < 2 s)")
    print(f"import only  best {min(base):.2f} s  median {statistics.median(base):.2f} s")
    print(f"per agency-year (best, minus start-up): {(min(check) - min(base)) / n * 1000:.2f} ms")


if __name__ == "__main__":
    main()
