"""How long one report takes end to end, by stage, and how much memory (target: ≤ 5 s wall, ≤ 400 MB).

Writes one fictional body's data (xxgk.synthetic, 2019 to --year) into a temporary params/ folder.
Then, --repeat times, a fresh Python process (cold: interpreter, imports, new kernel) does what
``xxgk render`` does: load and check the data, execute the notebook, render HTML, print PDF, write
the folder. The child reports its stages and its peak memory (``getrusage`` of itself plus the
largest child, i.e. the kernel); the parent measures the wall time of the whole process.

In the same run, for a ratio rather than an absolute claim, it times the naive chain of CLIs the
design notes describe: ``papermill`` + ``jupyter nbconvert --to html`` (stock lab template) +
``weasyprint`` on that HTML (``--to webpdf`` cannot use Debian's Chromium here).
``--batch N`` also renders N more reports in the child after the first, with a new kernel each and
with one warm kernel reused, to show what a batch build pays per report.

    .venv/bin/python bench/bench_render.py [--year 2022] [--repeat 3] [--batch 3] [--no-naive]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from xxgk.data import model, paramfile, synthetic, tree

AGENCY = model.Agency("bench-bureau", "青石县示例局", "县级", None, Path())
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "annual_report.ipynb"

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from xxgk import check as rules
from xxgk import render
from xxgk.data import model, tree
t_import = time.perf_counter()
params_dir, year, out, batch = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
agency = tree.read_agency(params_dir / "bench-bureau")
years = [tree.read_year(p, agency) for p in sorted(agency.path.parent.glob("2*.yaml"))]
years = [y for y in years if y.year <= year]
findings = rules.check_agency(years)
assert not rules.errors(findings), findings
ay, history = years[-1], years[:-1]
parameters = {
    "agency_year": model.to_dict(ay),
    "history": [model.to_dict(h) for h in history],
    "findings": [f.to_dict() for f in findings if f.year == year],
    "options": {},
}
t_load = time.perf_counter()
art = render.build_artifacts(parameters)
t_build = time.perf_counter()
render.write_report(art, out)
t_write = time.perf_counter()


def mb(who):
    return resource.getrusage(who).ru_maxrss / 1024


result = {
    "import": t_import - t0,
    "check/load": t_load - t_import,
    **art.timings,
    "write": t_write - t_build,
    "in-process total": t_write - t0,
    "peak self MB": mb(resource.RUSAGE_SELF),
    "peak kernel MB": mb(resource.RUSAGE_CHILDREN),
    "bytes": {name: len(data) for name, data in art.files.items()},
}
if batch:
    def per_report(**kw):
        times = []
        for _ in range(batch):
            t = time.perf_counter()
            again = render.build_artifacts(parameters, **kw)
            times.append(time.perf_counter() - t)
            assert again.files == art.files, "bytes differ"
        return times

    result["batch, new kernel each (s)"] = per_report()
    from jupyter_client.manager import KernelManager
    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    try:
        kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=60)
        kc.execute_interactive("import xxgk.report, xxgk.report.charts", timeout=60); kc.stop_channels()
        result["batch, one warm kernel (s)"] = per_report(kernel_manager=km)
    finally:
        km.shutdown_kernel(now=True)
print(json.dumps(result))
"""


def write_params(root: Path, year: int) -> None:
    d = root / AGENCY.id
    d.mkdir(parents=True)
    (d / "agency.yaml").write_text(paramfile.dump_agency(AGENCY), encoding="utf-8")
    for ay in synthetic.series(AGENCY, range(2019, year + 1), seed=11, scale=60):
        (d / f"{ay.year}.yaml").write_text(paramfile.dump_year(ay), encoding="utf-8")


def ours(params: Path, year: int, out: Path, batch: int) -> tuple[float, dict]:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(params), str(year), str(out), str(batch)], capture_output=True, text=True
    )
    wall = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"render failed:\n{proc.stderr[-3000:]}")
    return wall, json.loads(proc.stdout.strip().splitlines()[-1])


CHROMIUM_PRINT = r"""
import sys
from pathlib import Path
from playwright.sync_api import sync_playwright
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
    page = browser.new_page()
    page.goto(Path(sys.argv[1]).resolve().as_uri(), wait_until="networkidle")
    page.pdf(path=sys.argv[2])
    browser.close()
"""


def naive(params: Path, year: int, work: Path) -> dict[str, float]:
    """papermill CLI, then nbconvert CLI (stock template), then the weasyprint CLI.

    Also a Chromium print of the same HTML (what ``--to webpdf`` does, with Debian's Chromium via
    Playwright, since webpdf itself cannot use it), reported apart from the total.
    """
    years = [tree.read_year(params / AGENCY.id / f"{y}.yaml", AGENCY) for y in range(2019, year + 1)]
    values = {"agency_year": model.to_dict(years[-1]), "history": [model.to_dict(y) for y in years[:-1]]}
    (work / "p.yaml").write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
    bin_ = Path(sys.executable).parent
    steps = {
        "papermill": [bin_ / "papermill", NOTEBOOK, work / "out.ipynb", "-f", work / "p.yaml", "--no-progress-bar"],
        "nbconvert html": [bin_ / "jupyter", "nbconvert", "--to", "html", "--no-input", work / "out.ipynb"],
        "weasyprint": [bin_ / "weasyprint", work / "out.html", work / "out.pdf"],
        "chromium print": [sys.executable, "-c", CHROMIUM_PRINT, work / "out.html", work / "out-chromium.pdf"],
    }
    out = {}
    for name, cmd in steps.items():
        t = time.perf_counter()
        subprocess.run([str(c) for c in cmd], check=True, capture_output=True)
        out[name] = time.perf_counter() - t
    out["total"] = sum(v for k, v in out.items() if k != "chromium print")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--year", type=int, default=2022)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch", type=int, default=0, help="further reports rendered in the child, per mode")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive CLI chain")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_params(root / "params", args.year)
        runs = [
            ours(root / "params", args.year, root / f"out{i}", args.batch if i == 0 else 0) for i in range(args.repeat)
        ]
        first = {name: (root / "out0" / name).read_bytes() for name in ("report.ipynb", "report.html", "report.pdf")}
        for i in range(1, args.repeat):
            same = all((root / f"out{i}" / n).read_bytes() == b for n, b in first.items())
            assert same, f"run {i} differs from run 0: same inputs must give the same bytes"
        baseline = [] if args.no_naive else [naive(root / "params", args.year, root) for _ in range(args.repeat)]

    walls = [w for w, _ in runs]
    stages = [s for _, s in runs]
    print(
        f"one report, {args.year} (format {'2021' if args.year >= 2021 else '2019'}), cold process, {args.repeat} runs"
    )
    print(f"  wall (process start to files written): best {min(walls):.2f} s, median {statistics.median(walls):.2f} s")
    keys = ["import", "check/load", "execute", "html", "pdf", "write"]
    for k in keys:
        vals = [s[k] for s in stages]
        print(f"  {k:<11} best {min(vals):.3f} s  median {statistics.median(vals):.3f} s")
    peak = [s["peak self MB"] + s["peak kernel MB"] for s in stages]
    parent, kernel = max(s["peak self MB"] for s in stages), max(s["peak kernel MB"] for s in stages)
    print(f"  peak memory: parent {parent:.0f} MB + kernel {kernel:.0f} MB = {max(peak):.0f} MB (upper bound)")
    print(f"  sizes: {stages[0]['bytes']}; bytes identical across the {args.repeat} runs")
    for mode in ("batch, new kernel each (s)", "batch, one warm kernel (s)"):
        if mode in stages[0]:
            vals = stages[0][mode]
            print(f"  {mode[:-4]}: median {statistics.median(vals):.2f} s per report ({len(vals)} reports)")
    if baseline:
        totals = [b["total"] for b in baseline]
        steps = [k for k in baseline[0] if k not in ("total", "chromium print")]
        parts = ", ".join(f"{k} {statistics.median([b[k] for b in baseline]):.2f} s" for k in steps)
        print(
            f"naive CLI chain (papermill + nbconvert + weasyprint): median {statistics.median(totals):.2f} s ({parts})"
        )
        webpdf = statistics.median([b["total"] - b["weasyprint"] + b["chromium print"] for b in baseline])
        chromium = statistics.median([b["chromium print"] for b in baseline])
        print(f"same chain printing with Chromium instead (as --to webpdf would): median {webpdf:.2f} s", end="")
        print(f" (Chromium print {chromium:.2f} s)")
        print(f"ratio naive / ours (medians, same run): {statistics.median(totals) / statistics.median(walls):.1f}×")


if __name__ == "__main__":
    main()
