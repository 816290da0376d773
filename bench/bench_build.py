"""xxgk build against the loop a user would write, measured in the same run on this machine.

For N consistent agency-years (xxgk.synthetic; bodies of 5 years each, so trends and cross-year
checks are real) it measures:

* ``xxgk build --jobs J`` from a cold start (fresh outputs/), reports per minute;
* the naive loop, per report: ``papermill`` CLI, then ``jupyter nbconvert --to html --no-input``,
  then ``jupyter nbconvert --to <pdf exporter>`` (``webpdf`` needs a Playwright browser download and
  ``pdf`` needs LaTeX, neither of which this machine has, so the PDF step uses our WeasyPrint
  exporter through the same CLI, which is faster than either: the ratio is conservative);
* the no-op rebuild of M agency-years (everything fresh);
* peak resident memory of the build's worker processes (kernels included).

The naive loop is strictly sequential and each report costs the same, so for large N it is timed
on a sample of ``--naive-sample`` reports and scaled; the output says when it did that.

    .venv/bin/python bench/bench_build.py                 # N=20 and N=100, no-op over 1,000
    .venv/bin/python bench/bench_build.py --sizes 20 --noop 200 --naive-sample 5
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from xxgk.data import model, paramfile, synthetic, tree
from xxgk.render import outputs as layout

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "notebooks" / "annual_report.ipynb"
BIN = Path(sys.executable).parent
LEVELS = ("市级", "县级", "乡镇")


def generate(root: Path, n: int, years_per_body: int = 5) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    i = 0
    while len(out) < n:
        agency = model.Agency(f"body-{i:05d}", f"示例机关{i}", LEVELS[i % 3], "示例市人民政府", Path())
        d = root / agency.id
        d.mkdir(parents=True)
        (d / "agency.yaml").write_text(paramfile.dump_agency(agency), encoding="utf-8")
        count = min(years_per_body, n - len(out))
        for ay in synthetic.series(agency, range(2024 - count + 1, 2025), i, 20 + (i * 37) % 120):
            (d / f"{ay.year}.yaml").write_text(paramfile.dump_year(ay), encoding="utf-8")
            out.append((agency.id, ay.year))
        i += 1
    return out


class PeakMemory:
    """Samples the RSS of every descendant process; reports the largest worker (with its kernel)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_tree = 0
        self.peak_worker = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = psutil.Process(self.pid).children(recursive=True)
                rss = {p.pid: p.memory_info().rss for p in procs if p.is_running()}
                self.peak_tree = max(self.peak_tree, sum(rss.values()))
                # A worker is a process that runs kernels: count it together with them.
                for p in procs:
                    kernels = [k for k in p.children() if "ipykernel" in " ".join(k.cmdline())]
                    if kernels:
                        total = rss.get(p.pid, 0) + sum(rss.get(k.pid, 0) for k in kernels)
                        self.peak_worker = max(self.peak_worker, total)
            except psutil.Error:
                pass
            time.sleep(0.1)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def build_cmd(params: Path, outputs: Path, *extra: str) -> list[str]:
    return [
        str(BIN / "xxgk"),
        "build",
        "--params",
        str(params),
        "--outputs",
        str(outputs),
        "--template",
        str(TEMPLATE),
        "--json",
        *extra,
    ]


def run_build(params: Path, outputs: Path, jobs: int) -> tuple[float, float, dict[str, int]]:
    cmd = build_cmd(params, outputs, "--jobs", str(jobs))
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    with PeakMemory(proc.pid) as mem:
        out, err = proc.communicate()
    seconds = time.perf_counter() - t
    summary = json.loads(out.strip().splitlines()[-1])["summary"]
    if proc.returncode != 0:
        raise SystemExit(f"xxgk build failed ({proc.returncode}): {err[-3000:]}")
    return seconds, mem.peak_worker / 2**20, summary


def naive_pdf_step(work: Path) -> tuple[list[str], dict[str, str]]:
    """``--to webpdf``, the stock HTML-to-PDF exporter, with Debian's Chromium standing in for the
    browser Playwright would download (this machine cannot download it); if that fails, our own
    WeasyPrint exporter through the same CLI (faster than webpdf, so the ratio stays conservative)."""
    import os

    browsers = work / "playwright-browsers"
    for sub in (
        "chromium_headless_shell-*/chrome-headless-shell-linux64/chrome-headless-shell",
        "chromium-*/chrome-linux64/chrome",
    ):
        revision = _playwright_revision()
        link = browsers / sub.replace("*", revision)
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to("/usr/bin/chromium")
    env = {**os.environ, "PLAYWRIGHT_BROWSERS_PATH": str(browsers)}
    return ["--to", "webpdf", "--no-input", "--WebPDFExporter.disable_sandbox=True"], env


def _playwright_revision() -> str:
    out = subprocess.run(
        [sys.executable, "-m", "playwright", "install", "--dry-run", "chromium"], capture_output=True, text=True
    ).stdout
    import re

    m = re.search(r"chromium-(\d+)", out)
    return m.group(1) if m else "0"


def run_naive(params: Path, targets: list[tuple[str, int]], work: Path) -> tuple[float, dict[str, float]]:
    """The loop a user would write around the stock command-line tools; seconds for all targets."""
    pdf_args, env = naive_pdf_step(work)
    probe = _probe_webpdf(work, env)
    if not probe:
        pdf_args = ["--to", "xxgk_pdf"]
    steps = {"papermill": 0.0, "html": 0.0, "pdf": 0.0}
    t = time.perf_counter()
    for agency, year in targets:
        ay = tree.read_year(params / agency / f"{year}.yaml", tree.read_agency(params / agency))
        history = [
            tree.read_year(p, ay.agency)
            for p in sorted((params / agency).glob("*.yaml"))
            if p.stem.isdigit() and int(p.stem) < year
        ]
        pfile = work / f"{agency}-{year}.json"
        pfile.write_text(
            json.dumps(
                {"agency_year": model.to_dict(ay), "history": [model.to_dict(h) for h in history]}, ensure_ascii=False
            )
        )
        nb = work / f"{agency}-{year}.ipynb"
        for step, cmd in (
            ("papermill", [str(BIN / "papermill"), str(TEMPLATE), str(nb), "-f", str(pfile), "--no-progress-bar"]),
            ("html", [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)]),
            ("pdf", [str(BIN / "jupyter"), "nbconvert", *pdf_args, str(nb)]),
        ):
            s0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=work, env=env)
            steps[step] += time.perf_counter() - s0
            if proc.returncode != 0:
                raise SystemExit(f"naive step failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - t, steps


def _probe_webpdf(work: Path, env: dict[str, str]) -> bool:
    import nbformat

    nb = work / "probe.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("试")]), nb)
    proc = subprocess.run(
        [str(BIN / "jupyter"), "nbconvert", "--to", "webpdf", "--WebPDFExporter.disable_sandbox=True", str(nb)],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
    )
    print(f"    naive PDF step: {'webpdf (Debian Chromium)' if proc.returncode == 0 else 'xxgk_pdf (webpdf failed)'}")
    return proc.returncode == 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 100])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--noop", type=int, default=1000, help="agency-years for the no-op rebuild")
    ap.add_argument("--naive-sample", type=int, default=20, help="naive reports actually run per size (at most)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="xxgk-bench-") as tmp:
        for n in args.sizes:
            base = Path(tmp) / f"n{n}"
            params = base / "params"
            targets = generate(params, n)
            seconds, worker_mb, summary = run_build(params, base / "outputs", args.jobs)
            assert summary["built"] == n, summary
            sample = targets[:: max(1, len(targets) // args.naive_sample)][: args.naive_sample]
            work = base / "naive"
            work.mkdir()
            naive_sample, steps = run_naive(params, sample, work)
            naive = naive_sample * len(targets) / len(sample)
            per = {k: v / len(sample) for k, v in steps.items()}
            rows.append((n, seconds, naive, worker_mb, len(sample)))
            shutil.rmtree(base)
            print(
                f"N={n}: xxgk build --jobs {args.jobs} {seconds:.1f} s ({n / seconds * 60:.0f} reports/min); "
                f"naive loop {naive:.1f} s ({n / naive * 60:.1f} reports/min"
                f"{'' if len(sample) == n else f', timed on {len(sample)} and scaled'}); "
                f"ratio {naive / seconds:.1f}x; peak memory per worker (with its kernel) {worker_mb:.0f} MB",
                flush=True,
            )
            print("    naive loop per report: " + ", ".join(f"{k} {v:.2f} s" for k, v in per.items()), flush=True)
        params = Path(tmp) / "noop" / "params"
        generate(params, args.noop)
        outputs = Path(tmp) / "noop" / "outputs"
        fake_fresh(params, outputs)
        t = time.perf_counter()
        proc = subprocess.run(
            build_cmd(params, outputs),
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        noop = time.perf_counter() - t
        summary = json.loads(proc.stdout.strip().splitlines()[-1])["summary"]
        assert summary["skipped"] == args.noop, (summary, proc.stderr[-2000:])
        print(f"no-op rebuild of {args.noop} agency-years: {noop:.2f} s (target <= 2 s)")


def fake_fresh(params: Path, outputs: Path) -> None:
    """Publish placeholder artifacts with the right keys, so the no-op build finds them fresh.

    Rendering 1,000 real reports first would take most of an hour and measure nothing more: the
    no-op path reads only the inputs and the manifests, never the artifacts' content.
    """
    from xxgk import batch as build
    from xxgk.batch import targets as plan

    opts = build.Options(params=params, outputs=outputs, template=TEMPLATE)
    for t in plan.targets(params, TEMPLATE, opts.render_options()):
        d = build.out_dir(outputs, t)
        d.mkdir(parents=True)
        for a in layout.artifacts():
            (d / a).write_bytes(b"bench placeholder")
        (d / layout.MANIFEST).write_text(json.dumps({"key": t.key, "findings": []}), encoding="utf-8")


if __name__ == "__main__":
    main()
