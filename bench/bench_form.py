"""How long the Excel/WPS entry form takes for every body of a year, against the tidy CSV.

Generates N consistent bodies with one agency-year each (xxgk.synthetic) into a temporary params
folder, then times, each in a fresh process (so nothing is cached between repeats that a user's
next command would not have to redo), the very code ``xxgk`` runs (``xxgk.cli.main``):

- ``xxgk form --year Y --all -o forms/``: N forms written;
- ``xxgk import forms/*.xlsx`` into the same tree: every form read and planned, nothing to write;
- ``xxgk import forms/*.xlsx`` into a tree holding only the agency.yaml files: N files created;

and, in the same run, since these machines are noisy, the same three steps with the tidy CSV as
the reference: ``xxgk export -o all.csv``, ``xxgk import all.csv`` into the same tree and into an
agency-only tree. Times are of the command inside its process (after ``import xxgk``); the
start-up every command pays is printed once. Each run is checked: every command must succeed and
say it did the work, and the agency-years the forms created must equal the generated ones.

    .venv/bin/python bench/bench_form.py [--n 500] [--year 2024] [--repeat 3] [--profile]

``--profile`` runs one form write and one form import under cProfile and prints the top 10.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from xxgk.data import model, paramfile, synthetic, tree

LEVELS = ("市级", "县级", "乡镇")

CHILD = """
import contextlib, io, json, sys, time
t0 = time.perf_counter()
from xxgk import cli
from xxgk.exchange import form, sources, tidy  # what the commands import lazily, before the clock
t1 = time.perf_counter()
argv = json.loads(sys.argv[1])
if argv[0] == "import" and argv[-1].endswith("/*.xlsx"):  # the shell's glob, as `xxgk import forms/*.xlsx`
    import glob
    argv = [*argv[:-1], *sorted(glob.glob(argv[-1]))]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    t2 = time.perf_counter()
    rc = cli.main(argv)
    t3 = time.perf_counter()
print(json.dumps({"rc": rc, "seconds": t3 - t2, "startup": t1 - t0}))
"""

PROFILE = """
import contextlib, cProfile, glob, io, json, pstats, sys
from xxgk import cli
from xxgk.exchange import form, sources, tidy
for argv in json.loads(sys.argv[1]):
    if argv[0] == "import":
        argv = [*argv[:-1], *sorted(glob.glob(argv[-1]))]
    prof = cProfile.Profile()
    with contextlib.redirect_stdout(io.StringIO()):
        prof.enable()
        rc = cli.main(argv)
        prof.disable()
    assert rc == 0, rc
    print(f"\\n--- cProfile: xxgk {argv[0]} ({len(argv)} arguments), top 10 by internal time")
    pstats.Stats(prof, stream=sys.stdout).strip_dirs().sort_stats("tottime").print_stats(10)
    print("--- top 10 by cumulative time")
    pstats.Stats(prof, stream=sys.stdout).strip_dirs().sort_stats("cumulative").print_stats(10)
"""


def generate(root: Path, n: int, year: int) -> None:
    for i in range(n):
        agency = model.Agency(f"body-{i:05d}", f"示例机关{i}", LEVELS[i % 3], None, Path())
        d = root / agency.id
        d.mkdir(parents=True)
        (d / "agency.yaml").write_text(paramfile.dump_agency(agency), encoding="utf-8")
        ay = synthetic.agency_year(agency, year, i, 40 + i % 200)
        (d / f"{year}.yaml").write_text(paramfile.dump_year(ay), encoding="utf-8")


def agencies_only(src: Path, dst: Path) -> None:
    """A params tree with the bodies of ``src`` and none of their years."""
    for d in sorted(src.iterdir()):
        (dst / d.name).mkdir(parents=True)
        shutil.copyfile(d / "agency.yaml", dst / d.name / "agency.yaml")


def run(argv: list[str], expect: str) -> tuple[float, float, str]:
    """(seconds inside the command, start-up, its summary line) of one ``xxgk`` command in a fresh
    process; it must exit 0 and print ``expect``, proving it did the work."""
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(argv)], capture_output=True, text=True)
    last = proc.stdout.strip().splitlines()[-1:] or ["{}"]
    result = json.loads(last[0]) if last[0].startswith("{") else {}
    if proc.returncode != 0 or result.get("rc") != 0 or not re.search(expect, proc.stderr):
        raise SystemExit(
            f"xxgk {' '.join(argv)} failed ({proc.returncode}): {proc.stdout[-1000:]}{proc.stderr[-3000:]}"
        )
    return result["seconds"], result["startup"], proc.stderr.strip().splitlines()[-1]


def same_data(expected: Path, got: Path, n: int) -> None:
    """The agency-years under ``got`` must equal those under ``expected`` (tables, date, narrative, facts)."""
    a, b = tree.load_tree(expected), tree.load_tree(got)
    if a.problems or b.problems:
        raise SystemExit(f"unreadable data after import: {[str(p) for p in (a.problems + b.problems)][:5]}")
    want = {(ay.agency.id, ay.year): ay for ay in a.years}
    have = {(ay.agency.id, ay.year): ay for ay in b.years}
    if len(want) != n or want.keys() != have.keys():
        raise SystemExit(f"import created {len(have)} agency-years, expected {len(want)} (= {n})")
    wrong = [k for k in want if want[k] != have[k]]
    if wrong:
        k = wrong[0]
        diff = [
            f
            for f in ("tables", "published", "facts", "narrative", "format")
            if getattr(want[k], f) != getattr(have[k], f)
        ]
        raise SystemExit(f"{len(wrong)} agency-years differ after the form import, e.g. {k}: {', '.join(diff)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500, help="bodies, one form each (default 500)")
    ap.add_argument("--year", type=int, default=2024, help="report year (default 2024: the 2021 format)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="also profile one form write and one form import")
    args = ap.parse_args()
    n, year = args.n, args.year
    labels = {
        "form": "xxgk form --all: write N forms",
        "form_same": "xxgk import forms/*.xlsx, same tree",
        "form_new": "xxgk import forms/*.xlsx, N files created",
        "csv": "xxgk export -o all.csv (reference)",
        "csv_same": "xxgk import all.csv, same tree",
        "csv_new": "xxgk import all.csv, N files created",
    }
    times: dict[str, list[float]] = {k: [] for k in labels}
    startup: list[float] = []
    summaries: dict[str, str] = {}
    reproducible = True
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        source, bodies = tmp / "source", tmp / "bodies"
        generate(source, n, year)
        agencies_only(source, bodies)
        size = sum(p.stat().st_size for p in source.glob(f"*/{year}.yaml"))
        params, forms, csv = tmp / "params", tmp / "forms", tmp / "all.csv"
        previous: dict[str, bytes] = {}
        for _ in range(args.repeat):
            # Every repeat starts from the generated data: an import that rewrote a file must not
            # make the next repeat's work smaller.
            for d, src in ((params, source), (tmp / "empty-form", bodies), (tmp / "empty-csv", bodies)):
                shutil.rmtree(d, ignore_errors=True)
                shutil.copytree(src, d)
            shutil.rmtree(forms, ignore_errors=True)
            csv.unlink(missing_ok=True)
            on = ["--params", str(params)]
            same = r"新建 0 个文件，更新 (\d+) 个，未变 (\d+) 个"
            steps = [
                ("form", ["form", *on, "--year", str(year), "--all", "-o", str(forms)], f"写出了 {n} 份填报表"),
                ("form_same", ["import", *on, f"{forms}/*.xlsx"], same),
                ("form_new", ["import", "--params", str(tmp / "empty-form"), f"{forms}/*.xlsx"], f"新建 {n} 个文件"),
                ("csv", ["export", *on, "-o", str(csv)], "导出了"),
                ("csv_same", ["import", *on, str(csv)], same),
                ("csv_new", ["import", "--params", str(tmp / "empty-csv"), str(csv)], f"新建 {n} 个文件"),
            ]
            for key, argv, expect in steps:
                seconds, start, summaries[key] = run(argv, expect)
                times[key].append(seconds)
                startup.append(start)
                if key == "form":
                    now = {f.name: f.read_bytes() for f in forms.glob("*.xlsx")}
                    reproducible = reproducible and (not previous or now == previous)
                    previous = now
                if key in ("form_same", "csv_same"):
                    m = re.search(same, summaries[key])
                    if m is None or int(m[1]) + int(m[2]) != n or (key == "csv_same" and int(m[1])):
                        raise SystemExit(f"xxgk {' '.join(argv)}: expected {n} files unchanged, got: {summaries[key]}")
                if key == "form_same":
                    # The same tree is imported into by the CSV too: back to the generated data.
                    shutil.rmtree(params)
                    shutil.copytree(source, params)
            same_data(source, tmp / "empty-form", n)
            identical = sum(
                (tmp / "empty-form" / d.name / f"{year}.yaml").read_bytes() == (d / f"{year}.yaml").read_bytes()
                for d in source.iterdir()
            )
        form_bytes = sum(len(b) for b in previous.values())
        csv_rows = csv.read_text(encoding="utf-8").count("\n") - 1
        if args.profile:
            profiled = [
                ["form", "--params", str(source), "--year", str(year), "--all", "-o", str(tmp / "forms-profile")],
                ["import", "--params", str(params), f"{forms}/*.xlsx"],
            ]
            subprocess.run([sys.executable, "-c", PROFILE, json.dumps(profiled)], check=True)

    best = {k: min(v) for k, v in times.items()}
    version = "2021" if year >= 2021 else "2019"
    print(
        f"\n{n} bodies × {year} ({version} format): {size / 1e6:.1f} MB of YAML, {n} forms ({form_bytes / 1e6:.1f} MB),"
    )
    print(
        f"a tidy CSV of {csv_rows} rows. Best of {args.repeat}, each command in a fresh process, start-up excluded.\n"
    )
    print(f"| {'step':<42} | {'total s':>7} | {'per form ms':>11} |")
    print(f"|{'-' * 44}|{'-' * 9}|{'-' * 13}|")
    for key, label in labels.items():
        print(f"| {label:<42} | {best[key]:>7.2f} | {best[key] / n * 1000:>11.2f} |")
    print(f"\nstart-up of every command (python, import xxgk and openpyxl): {min(startup):.2f} s")
    print("ratio form / tidy CSV, same run:")
    print(f"  write (form --all / export)      {best['form'] / best['csv']:6.1f}x")
    print(f"  import into the same tree        {best['form_same'] / best['csv_same']:6.1f}x")
    print(f"  import creating N files          {best['form_new'] / best['csv_new']:6.1f}x")
    print(f"checked: the forms imported into an agency-only tree equal all {n} generated agency-years (load_tree)")
    print(f"  of which {identical} files byte-identical to the generated ones")
    print(f"  same tree, forms: {summaries['form_same']}")
    print(f"  same tree, CSV:   {summaries['csv_same']}")
    shown = "n/a (one repeat)" if args.repeat < 2 else "yes" if reproducible else "NO"
    print(f"forms byte-identical across repeats: {shown}")


if __name__ == "__main__":
    main()
