"""How long the tidy frame takes for many agency-years (target: 1,000 in under 2 s, reading included).

Generates N consistent agency-years (xxgk.synthetic, 2020–2024 by default, so both format versions
appear) into a temporary params/ folder, then times, best of ``--repeat``, each in a fresh process
(so nothing read is cached in Python between repeats):

- ``xxgk.frame(root)``: read the tree (the pool of ``xxgk check``), then build the frame;
- ``xxgk.agency_years(root)``: the same reading plus the checks, then the companion frame;
- the whole process of the first, start-up and ``import pandas`` included;

and, in one process on a tree read once, the builders alone: ``cell_frame`` and
``agency_year_frame``. Every run is checked: the frame must have Σ cells of every year's format
rows and its 表三 总计 must sum to the generated data's, or the script fails.

    .venv/bin/python bench/bench_frame.py [--agencies 200] [--years 5] [--repeat 3] [--profile]

``--profile`` prints a cProfile of ``cell_frame`` on the tree read once (top 15).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xxgk.data import model, paramfile, synthetic

LEVELS = ("市级", "县级", "乡镇")

CHILD = """
import json, sys, time
t0 = time.perf_counter()
import pandas, xxgk
from xxgk.report import frame as _module  # what the first call would import, before the clock
t1 = time.perf_counter()
df = getattr(xxgk, sys.argv[1])(sys.argv[2])
t2 = time.perf_counter()
cell = (df.table_key == "t3") & (df.row == "total") & (df.column == "total") if "value" in df else None
total = 0 if cell is None else float(df[cell].value.sum())
mb = df.memory_usage(deep=True).sum() / 1e6
print(json.dumps({"seconds": t2 - t1, "startup": t1 - t0, "rows": len(df), "total": total, "mb": mb}))
"""


def generate(root: Path, agencies: int, years: int) -> tuple[int, int, int]:
    """Write the tree; return its agency-years, Σ cells of their formats, and Σ 表三 总计."""
    n = cells = total = 0
    for i in range(agencies):
        agency = model.Agency(f"body-{i:05d}", f"示例机关{i}", LEVELS[i % 3], f"示例政府{i % 7}", Path())
        d = root / agency.id
        d.mkdir(parents=True)
        (d / "agency.yaml").write_text(paramfile.dump_agency(agency), encoding="utf-8")
        for ay in synthetic.series(agency, range(2024 - years + 1, 2025), i, 40 + i % 200):
            (d / f"{ay.year}.yaml").write_text(paramfile.dump_year(ay), encoding="utf-8")
            n += 1
            cells += len(ay.format.cells)
            total += model.count(ay.value("t3", "total", "total"))
    return n, cells, total


def child(what: str, root: Path) -> dict[str, float]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, what, str(root)], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed: {proc.stderr[-2000:]}")
    return {**json.loads(proc.stdout), "wall": wall}


def best(fn: object, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t)
    return min(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agencies", type=int, default=200)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    from xxgk.check import load_and_check
    from xxgk.report.frame import agency_year_frame, cell_frame

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "params"
        n, cells, total = generate(root, args.agencies, args.years)
        size = sum(p.stat().st_size for p in root.rglob("*.yaml"))
        runs = [child("frame", root) for _ in range(args.repeat)]
        for r in runs:
            if r["rows"] != cells or r["total"] != total:
                raise SystemExit(f"wrong frame: {r['rows']} rows, 总计 {r['total']} (expected {cells}, {total})")
        years_runs = [child("agency_years", root) for _ in range(args.repeat)]
        if any(r["rows"] != n for r in years_runs):
            raise SystemExit(f"wrong agency_years: {[r['rows'] for r in years_runs]} rows (expected {n})")
        loaded, findings = load_and_check(root)
        if args.profile:
            import cProfile
            import pstats

            with cProfile.Profile() as prof:
                cell_frame(loaded.years)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(15)
            return
        build = best(lambda: cell_frame(loaded.years), args.repeat)
        companion = best(lambda: agency_year_frame(loaded.years, findings, loaded.problems, root), args.repeat)
    first = min(runs, key=lambda r: r["seconds"])
    print(f"agency-years: {n}  ({size / 1e6:.1f} MB of YAML), frame rows: {cells}, {first['mb']:.1f} MB in memory")
    print(f"xxgk.frame(params)         best {first['seconds']:.2f} s  (read, build; target < 2 s)")
    print(f"xxgk.agency_years(params)  best {min(r['seconds'] for r in years_runs):.2f} s")
    print(f"process, start to frame    best {min(r['wall'] for r in runs):.2f} s  (imports {first['startup']:.2f} s)")
    print(f"cell_frame, tree read once best {build:.3f} s")
    print(f"agency_year_frame, same    best {companion:.3f} s")


if __name__ == "__main__":
    main()
