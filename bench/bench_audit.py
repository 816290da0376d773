"""How long `xxgk audit` takes over 1,000 published pages, and whether it reads them right.

Generates N portal pages of synthetic agency-years (xxgk.synthetic, varied seeds and sizes, years
2019–2024 so both format versions appear), composed the way tests/test_audit.py composes them (the
report's own blocks inside a page with menus and a footer), and mixes in copies of the hand-made
pitfall pages of tests/published/pages. Generation is not timed. Then it times, best of
``--repeat``:

* the readers only: ``read_file`` of every page (HTML into a document of blocks and raw tables);
* reading into agency-years: ``read_source`` (the above, plus sections, tables, version, values);
* the full audit: ``xxgk.audit.audit`` of the folder (reading plus every check);
* ``xxgk audit DIR --format json`` in a fresh process, the command a user runs.

It fails unless every synthetic page reads back with exactly its tables, year and format, every
copy of a pitfall page gives the same findings, and the command's JSON equals the in-process
audit's byte for byte. ``--profile K`` prints instead the top of a cProfile of the full audit of
the first K pages.

    .venv/bin/python bench/bench_audit.py [--n 1000] [--repeat 3] [--profile 200]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xxgk import audit, formats
from xxgk.audit import output
from xxgk.data import synthetic
from xxgk.data.model import Agency, AgencyYear
from xxgk.exchange.published import read_file, read_source
from xxgk.report import Report

REPO = Path(__file__).resolve().parent.parent
PITFALLS = REPO / "tests" / "published" / "pages"
LEVELS = ("市级", "县级", "乡镇")
YEARS = range(2019, 2025)


def page(ay: AgencyYear, *, pubdate: str = "") -> str:
    """The report as a CMS would show it (copied from tests/test_audit.py, which benches don't import)."""
    r = Report(ay)
    body = "".join([r.title(), r.preface(), *(r.section(k) for k in formats.SECTION_KEYS), r.signature()])
    meta = f'<meta name="PubDate" content="{pubdate}">' if pubdate else ""
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">{meta}<title>{r.title_text}_门户网站</title>'
        "</head><body><nav><ul><li>首页</li><li>政务公开</li><li>政府信息公开年报</li></ul></nav>"
        f'<div class="article"><div id="zoom">{body}</div></div>'
        "<footer>主办单位：某某县人民政府办公室 网站标识码 1234567890</footer></body></html>"
    )


def generate(root: Path, n: int, pitfall_copies: int) -> tuple[dict[Path, AgencyYear], dict[Path, str]]:
    """N synthetic pages and copies of each pitfall page, interleaved in file-name order."""
    expected: dict[Path, AgencyYear] = {}
    for i in range(n):
        agency = Agency(f"body-{i:05d}", f"示例县第{i}局", LEVELS[i % 3], "示例县人民政府")
        year = YEARS[i % len(YEARS)]
        ay = synthetic.agency_year(agency, year, seed=i, scale=5 + (i * 37) % 300)
        pubdate = f"{year + 1}-01-{10 + i % 18:02d} 09:00" if i % 2 else ""
        path = root / f"p{i:05d}.html"
        path.write_text(page(ay, pubdate=pubdate), encoding="utf-8")
        expected[path] = ay
    pitfalls: dict[Path, str] = {}
    originals = sorted(PITFALLS.glob("*.html"))
    total = len(originals) * pitfall_copies
    for k in range(total):
        src = originals[k % len(originals)]
        at = k * n // max(total, 1)
        dst = root / f"p{at:05d}-{k:03d}-{src.stem}.html"
        shutil.copyfile(src, dst)
        pitfalls[dst] = src.stem
    return expected, pitfalls


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def mismatches(audits: list[audit.Audit], expected: dict[Path, AgencyYear], pitfalls: dict[Path, str]) -> list[str]:
    bad: list[str] = []
    by_pitfall: dict[str, list[tuple[str, str]]] = {}
    for a in audits:
        if a.source in expected:
            ay = expected[a.source]
            got = a.reading.agency_year if a.reading else None
            if got is None or (got.tables, got.year, got.format.id) != (ay.tables, ay.year, ay.format.id):
                bad.append(f"{a.source.name}: read back differently ({ay.year}, format {ay.format.id})")
        elif a.source in pitfalls:
            found = [(d.rule, d.message) for d in a.findings]
            first = by_pitfall.setdefault(pitfalls[a.source], found)
            if found != first:
                bad.append(f"{a.source.name}: findings differ from another copy of {pitfalls[a.source]}")
        else:
            bad.append(f"{a.source}: not a generated page")
    seen = {a.source for a in audits}
    bad.extend(f"{p.name}: not audited" for p in [*expected, *pitfalls] if p not in seen)
    return bad


def profile(sources: list[Path], top: int = 25) -> None:
    prof = cProfile.Profile()
    prof.enable()
    for p in sources:
        audit.audit_one(p)
    prof.disable()
    for order in ("cumulative", "tottime"):
        s = io.StringIO()
        pstats.Stats(prof, stream=s).strip_dirs().sort_stats(order).print_stats(top)
        print(f"--- {len(sources)} pages, by {order}")
        print("\n".join(line for line in s.getvalue().splitlines() if line.strip()), "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="synthetic pages (default 1000)")
    ap.add_argument("--pitfall-copies", type=int, default=10, help="copies of each pitfall page (default 10)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each in-process timing, best taken")
    ap.add_argument("--profile", type=int, default=0, metavar="K", help="only profile the audit of K pages")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pages"
        root.mkdir()
        t = time.perf_counter()
        expected, pitfalls = generate(root, args.n, args.pitfall_copies)
        gen = time.perf_counter() - t
        sources = audit.sources([root])
        size = sum(p.stat().st_size for p in sources)
        print(
            f"pages: {len(sources)} ({len(expected)} synthetic, {len(pitfalls)} pitfall copies), "
            f"{size / 1e6:.1f} MB, generated in {gen:.1f} s (not timed)"
        )
        if args.profile:
            profile(sources[: args.profile])
            return
        # Warm up imports and per-format caches once, so no timing pays them.
        audit.audit(sources[:3])
        rows: list[tuple[str, float]] = []
        t_read, _ = best_of(args.repeat, lambda: [read_file(p) for p in sources])
        rows.append(("readers only (read_file)", t_read))
        t_source, _ = best_of(args.repeat, lambda: [read_source(p) for p in sources])
        rows.append(("read into agency-years (read_source)", t_source))
        t_audit, audits = best_of(args.repeat, lambda: audit.audit([root]))
        rows.append(("full audit (audit.audit: read + checks)", t_audit))
        cmd = [sys.executable, "-m", "xxgk.cli", "audit", str(root), "--format", "json"]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8")
        t_cli = time.perf_counter() - t
        rows.append(("`xxgk audit DIR --format json` (process)", t_cli))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import xxgk.cli"], check=True)
        t_start = time.perf_counter() - t

        bad = mismatches(audits, expected, pitfalls)
        if proc.returncode not in (0, 1) or proc.stdout != output.as_json(audits):
            bad.append(f"the command's JSON differs from the in-process audit (exit {proc.returncode})")
    n = len(sources)
    print(f"\n| {n} pages | total | pages/s | ms/page |")
    print("|---|---|---|---|")
    for name, secs in rows:
        print(f"| {name} | {secs:.2f} s | {n / secs:.0f} | {secs / n * 1000:.2f} |")
    print(f"| python + `import xxgk.cli` only | {t_start:.2f} s | | |")
    print(f"\nfull audit / readers only: {t_audit / t_read:.2f}×   full audit / read_source: {t_audit / t_source:.2f}×")
    print(f"findings: {sum(len(a.findings) for a in audits)} over {n} pages; best of {args.repeat} in-process runs")
    print(f"mismatches: {len(bad)}")
    for line in bad[:20]:
        print("  " + line)
    if bad:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
