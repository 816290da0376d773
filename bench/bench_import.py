"""How long tidy CSV import and export take (target: a 100,000-row import in under 10 s wall).

Generates consistent agency-years (xxgk.synthetic, years 2020–2024 so both format versions and
the 2019 amount cell appear) until the CSV has at least ``--rows`` rows, then times, each in a
fresh process as a user would run it:

- import into an empty params folder (every file created);
- re-import of a CSV with different values (every existing file updated in place);
- re-import of the same CSV (every file unchanged, nothing written);
- export of the whole tree.

Each run is checked: the export after an import must equal the imported CSV byte for byte.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xxgk.data import model, paramfile, synthetic
from xxgk.exchange import tidy

LEVELS = ("市级", "县级", "乡镇")
YEARS = range(2020, 2025)

PRELUDE = "import sys; from pathlib import Path; from xxgk.exchange import tidy; a, b = map(Path, sys.argv[1:3]); "
IMPORT = PRELUDE + "print(tidy.import_csv(a, b).summary())"
EXPORT = PRELUDE + "tidy.export_file(a, b)"


def generate(root: Path, rows: int, seed: int) -> int:
    """Write agency-years under ``root`` until their cells reach ``rows``; return the agency-years."""
    n = cells = i = 0
    while cells < rows:
        agency = model.Agency(f"body-{i:05d}", f"示例机关{i}", LEVELS[i % 3], None, Path())
        d = root / agency.id
        d.mkdir(parents=True)
        (d / "agency.yaml").write_text(paramfile.dump_agency(agency), encoding="utf-8")
        for ay in synthetic.series(agency, YEARS, seed + i, 40 + i % 200):
            (d / f"{ay.year}.yaml").write_text(paramfile.dump_year(ay), encoding="utf-8")
            n += 1
            cells += len(ay.format.cells)
        i += 1
    return n


def make_csv(tmp: Path, name: str, rows: int, seed: int) -> tuple[Path, int]:
    src = tmp / f"src-{name}"
    n = generate(src, rows, seed)
    buf = io.StringIO(newline="")
    tidy.export_csv(src, buf)
    path = tmp / f"{name}.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    shutil.rmtree(src)
    return path, n


def run(code: str, *args: Path, expect: str = "") -> float:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0 or expect not in proc.stdout:
        raise SystemExit(f"failed ({proc.returncode}): {proc.stdout[-1000:]}{proc.stderr[-2000:]}")
    return wall


def same_as_export(root: Path, csv_path: Path, tmp: Path) -> None:
    out = tmp / "check.csv"
    tidy.export_file(root, out)
    if out.read_bytes() != csv_path.read_bytes():
        raise SystemExit(f"export of {root} differs from {csv_path}: the import did not do its work")


def fmt(times: list[float]) -> str:
    return f"best {min(times):.2f} s  median {statistics.median(times):.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        first, n = make_csv(tmp, "first", args.rows, seed=1)
        second, _ = make_csv(tmp, "second", args.rows, seed=2)
        rows = first.read_text(encoding="utf-8").count("\n") - 1
        size = first.stat().st_size
        create, update, unchanged, export = [], [], [], []
        for _ in range(args.repeat):
            root = tmp / "params"
            shutil.rmtree(root, ignore_errors=True)
            create.append(run(IMPORT, first, root, expect=f"新建 {n + n // len(YEARS)} 个文件"))
            same_as_export(root, first, tmp)
            update.append(run(IMPORT, second, root, expect=f"更新 {n} 个"))
            same_as_export(root, second, tmp)
            unchanged.append(run(IMPORT, second, root, expect=f"未变 {n} 个"))
            export.append(run(EXPORT, root, tmp / "export.csv"))
        base = [run("import xxgk.exchange.tidy") for _ in range(args.repeat)]
    print(f"CSV: {rows} rows, {n} agency-years, {size / 1e6:.1f} MB")
    print(f"import into empty params       {fmt(create)}  (target < 10 s)")
    print(f"re-import, every file changed  {fmt(update)}")
    print(f"re-import, nothing changed     {fmt(unchanged)}")
    print(f"export                         {fmt(export)}")
    print(f"python + import xxgk only      {fmt(base)}")


if __name__ == "__main__":
    main()
