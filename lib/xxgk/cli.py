"""The ``xxgk`` command: parse arguments, call the library, print, and map outcomes to exit codes.

Exit codes are the same for every subcommand, so cron jobs and CI can rely on them:
0 — done, no error (warnings may be printed); 1 — the data has errors or a report failed;
2 — the input cannot be read or the command line is wrong.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xxgk import __version__, check, formats
from xxgk.data import model, tree
from xxgk.data.atomic import describe
from xxgk.data.diagnostics import Diagnostic, InputError, errors, excerpt, problem

if TYPE_CHECKING:
    from xxgk import batch as build

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def _print_findings(findings: Sequence[Diagnostic]) -> None:
    for f in findings:
        print(f)


def cmd_check(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise InputError([problem(p, "文件或目录不存在") for p in missing])
    root, agencies, files = tree.select(args.paths, Path(args.params))
    loaded, all_findings = check.load_and_check(root, agencies)
    problems = [
        p
        for p in loaded.problems
        if files is None or Path(p.file).name == tree.AGENCY_FILE or Path(p.file).resolve() in files
    ]
    years = loaded.years
    only = None if files is None else {str(ay.path) for ay in years if ay.path.resolve() in files}
    findings = check.locate([f for f in all_findings if only is None or f.file in only])
    n_err = len(errors(findings))
    n_warn = len(findings) - n_err
    checked = len(years) if only is None else len(only)
    if args.format == "json":
        items = [d.to_dict() for d in [*problems, *findings]]
        json.dump(items, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        for p in problems:
            print(p, file=sys.stderr)
        _print_findings(findings)
        summary = f"检查了 {checked} 份年度数据：{n_err} 个错误，{n_warn} 个警告"
        if problems:
            summary += f"，{len(problems)} 处无法读取"
        print(summary + "。", file=sys.stderr)
    if problems:
        return EXIT_INPUT
    return EXIT_FINDINGS if n_err else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    import codecs
    import io

    from xxgk.exchange import tidy

    params = Path(args.params)
    if args.output in (None, "-"):
        out = sys.stdout
        # The BOM promises UTF-8: `xxgk export --bom > all.csv` on Windows would otherwise write
        # the code page (cp936) after it, or fail on the BOM itself.
        if args.bom and isinstance(out, io.TextIOWrapper) and codecs.lookup(out.encoding).name != "utf-8":
            out.reconfigure(encoding="utf-8")
        n = tidy.export_csv(params, out, bom=args.bom)
    else:
        n = tidy.export_file(params, Path(args.output), bom=args.bom)
    print(f"导出了 {n} 行。", file=sys.stderr)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from xxgk.exchange import sources

    try:
        report = sources.import_sources([Path(f) for f in args.files], Path(args.params))
    except OSError as e:  # a full disk, a size limit, a read-only folder while writing
        print(f"导入失败：{describe(e)}", file=sys.stderr)
        print("未写入任何文件，数据文件保持原样。", file=sys.stderr)
        return EXIT_INPUT
    for w in report.warnings:
        print(w, file=sys.stderr)
    for path in report.created:
        print(f"新建 {path}", file=sys.stderr)
    for path in report.updated:
        print(f"更新 {path}", file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    return EXIT_OK


def cmd_form(args: argparse.Namespace) -> int:
    """Write the Excel/WPS entry form of one body, or of every body, for a year."""
    from xxgk.exchange import form

    params = Path(args.params)
    if args.all:
        if args.agency is not None or args.year is None:
            raise InputError([problem("xxgk form", "用法：xxgk form --year YEAR --all [-o DIR]（不要再写机关标识）")])
        year = args.year
        agencies = [
            d.name
            for d in tree.agency_dirs(params)
            if tree.AGENCY_ID.fullmatch(d.name) and tree.agency_file(d).is_file()
        ]
        out = Path(args.output) if args.output else Path("forms")
        written = form.write_forms(params, year, agencies, out)
    else:
        if args.agency is None or (args.year is None and args.year_arg is None):
            raise InputError(
                [problem("xxgk form", "用法：xxgk form AGENCY YEAR [-o FILE.xlsx]，或 xxgk form --year YEAR --all")]
            )
        year = args.year_arg if args.year_arg is not None else args.year
        target = Path(args.output) if args.output else Path(form.form_name(args.agency, year))
        written = form.write_forms(params, year, [args.agency], None, single=target)
    for path in written:
        print(path)
    print(f"写出了 {len(written)} 份填报表。", file=sys.stderr)
    return EXIT_OK


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _build_options(args: argparse.Namespace, **over: object) -> build.Options:
    from xxgk import batch as build
    from xxgk.render import templates

    opts = build.Options(
        params=Path(args.params),
        outputs=Path(args.outputs),
        template=Path(args.template) if args.template else templates.notebook(),
        agencies=[str(a) for a in _listed(over.pop("agencies", None) or getattr(args, "agency", None))],
        years=[int(str(y)) for y in _listed(over.pop("years", None) or getattr(args, "year", None))],
        jobs=getattr(args, "jobs", None) or (os.cpu_count() or 1),
        scheduler=getattr(args, "scheduler", None),
        force=getattr(args, "force", False),
        allow_invalid=getattr(args, "allow_invalid", False),
        timeout=args.timeout,
        lock_timeout=getattr(args, "lock_timeout", 60.0),
        connect_timeout=getattr(args, "connect_timeout", 5.0),
    )
    for k, v in over.items():
        setattr(opts, k, v)
    for a in opts.agencies:
        tree.check_agency_id(a)
    if not opts.template.is_file():
        raise InputError([problem(str(opts.template), "找不到报告模板")])
    return opts


class _Progress:
    """A progress bar on a terminal; one JSON line per report otherwise (cron, CI, Airflow)."""

    def __init__(self, json_lines: bool):
        self.json_lines = json_lines
        self.bar: Any = None

    def plan(self, total: int, stale: int) -> None:
        if not self.json_lines:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="份", desc="生成报告", file=sys.stderr, dynamic_ncols=True)

    def result(self, r: build.Result) -> None:
        if self.json_lines:
            print(json.dumps(r.line(), ensure_ascii=False), flush=True)
            return
        if self.bar is not None:
            self.bar.update(1)
            if r.status in ("failed", "invalid"):
                self.bar.write(f"{r.agency}/{r.year}: {_STATUS[r.status]}：" + "；".join(r.messages[:5]))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


_STATUS = {"built": "已生成", "skipped": "无变化", "failed": "失败", "invalid": "数据有误"}


def _summary_text(summary: build.Summary) -> str:
    parts = [f"{_STATUS[s]} {summary.count(s)} 份" for s in _STATUS if summary.count(s)]
    text = f"共 {len(summary.results)} 份报告（{'，'.join(parts)}），用时 {summary.seconds:.1f} 秒。"
    if summary.count("skipped") == len(summary.results):
        text = f"全部 {len(summary.results)} 份报告都是最新的，无需重新生成（{summary.seconds:.2f} 秒）。"
    return text


def _interruptible() -> None:
    """SIGTERM stops a build the way Ctrl-C does: workers and kernels are ended, nothing half-written."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def cmd_build(args: argparse.Namespace) -> int:
    from xxgk import batch as build

    opts = _build_options(args)
    progress = _Progress(json_lines=args.json or not sys.stderr.isatty())
    _interruptible()
    try:
        summary = build.build(opts, on_result=progress.result, on_plan=progress.plan)
    finally:
        progress.close()
    if progress.json_lines:
        counts = {s: summary.count(s) for s in _STATUS}
        print(json.dumps({"summary": counts, "seconds": round(summary.seconds, 3)}, ensure_ascii=False))
    print(_summary_text(summary), file=sys.stderr)
    print(f"索引：{opts.outputs / 'index.html'}", file=sys.stderr)
    return EXIT_OK if summary.ok else EXIT_FINDINGS


def cmd_audit(args: argparse.Namespace) -> int:
    from xxgk import audit
    from xxgk.audit import output

    audits = audit.audit([Path(p) for p in args.sources])
    if args.format == "json":
        sys.stdout.write(output.as_json(audits))
    elif args.format == "html":
        index = output.html_pages(audits, Path(args.output or "audit"))
        print(output.summary(audits), file=sys.stderr)
        print(f"审核页面：{index}", file=sys.stderr)
    else:
        sys.stdout.write(output.text(audits))
    n_err, _, bad = output.counts(audits)
    if bad:
        return EXIT_INPUT
    return EXIT_FINDINGS if n_err else EXIT_OK


def cmd_import_report(args: argparse.Namespace) -> int:
    from xxgk.exchange.published import report_import

    report, found = report_import.import_report(
        Path(args.source), Path(args.params), args.agency, args.year, replace=args.replace
    )
    for d in [*found, *report.warnings]:
        print(d, file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from xxgk import batch as build

    tree.check_agency_id(args.agency)
    opts = _build_options(args, agencies=[args.agency], years=[args.year], force=True, jobs=1)
    data_file = tree.year_path(opts.params, args.agency, args.year)
    if not data_file.is_file():
        raise InputError([problem(str(data_file), "数据文件不存在")])
    _interruptible()
    seen: list[build.Result] = []
    try:
        summary = build.build(opts, on_result=seen.append)
    except OSError:  # the index could not be written: say first what became of the report
        for r in seen:
            for m in r.messages if r.status == "failed" else []:
                print(m, file=sys.stderr)
        raise
    (r,) = summary.results
    if r.status == "invalid":
        _print_findings([Diagnostic(**f) for f in r.findings])
    if r.status == "invalid" and r.built_at is None:  # refused; with --allow-invalid it is built, banner and all
        print(
            f"{args.agency} {args.year}：数据有错误，未生成报告（可用 --allow-invalid 强制生成，报告首页将列出问题）。",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    if r.status == "failed":
        for m in r.messages:
            print(m, file=sys.stderr)
        print(f"{args.agency} {args.year}：生成失败，原有报告保持不变。", file=sys.stderr)
        return EXIT_FINDINGS
    from xxgk.render import outputs

    out = outputs.report_dir(opts.outputs, args.agency, args.year)
    for name in outputs.artifacts():
        print(out / name)
    printed = {f["message"] for f in r.findings} if r.status == "invalid" else set()
    for m in r.messages:  # published, with something to tell (an old report that would not go)
        if m not in printed:
            print(f"警告 {m}", file=sys.stderr)
    print(
        f"用时 {r.seconds:.1f} 秒（" + "，".join(f"{k} {v:.2f} 秒" for k, v in r.timings.items()) + "）。",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from xxgk import batch as build

    opts = _build_options(args)
    _interruptible()
    compared, differences = build.verify(opts)
    for d in differences:
        print(f"{d.name}: {d.reason}" + (f"：{', '.join(d.files)}" if d.files else ""))
    print(f"比对了 {compared} 份报告，{len(differences)} 份不一致。", file=sys.stderr)
    return EXIT_FINDINGS if differences else EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    """Start a year's data file (and, for a new body, its agency.yaml), or change nothing.

    Everything is checked and both texts are made before the first byte is written, so a refusal
    (a bad name, an unreadable last year, a symbolic link on the way) leaves ``params/`` as it was.
    """
    from xxgk.data import atomic, paramfile

    tree.check_agency_id(args.agency)
    params = Path(args.params)
    directory = tree.agency_dir(params, args.agency)
    path = tree.year_path(params, args.agency, args.year)
    agency_path = tree.agency_file(directory)
    linked = paramfile.link_problem(params, path)
    if linked:
        raise InputError([linked])
    if directory.exists() and not directory.is_dir():
        raise InputError([problem(str(directory), "已存在且不是目录，未作改动")])
    if path.exists():
        raise InputError([problem(str(path), "数据文件已存在，未作改动")])
    options = {"name": args.name, "level": args.level, "parent": args.parent}
    agency_text = None
    if agency_path.exists():
        agency = tree.read_agency(directory)
        given = [f"--{k}" for k, v in options.items() if v is not None]
        if given:
            print(f"警告 {agency_path} 已存在：{'、'.join(given)} 未使用（机关信息请在该文件中修改）", file=sys.stderr)
    elif args.name is not None:
        linked = paramfile.link_problem(params, agency_path)
        if linked:
            raise InputError([linked])
        info = model.agency_info(str(agency_path), options, {k: f"--{k}" for k in options})
        agency = model.Agency(args.agency, info.name, info.level, info.parent, agency_path)
        agency_text = paramfile.dump_agency(agency)
    else:
        raise InputError([problem(str(agency_path), "新机关需要 --name（以及 --level、--parent）")])
    previous = None
    last = tree.year_path(params, args.agency, args.year - 1)
    if args.year - 1 in formats.report_years() and last.is_file():
        previous = tree.read_year(last, agency)
    text = paramfile.blank_year(agency, args.year, previous)
    if agency_text is not None:
        atomic.write_atomic(agency_path, agency_text)
        print(agency_path)
    atomic.write_atomic(path, text)
    print(path)
    print("逐项填写（没有的填 0），然后运行 xxgk check。", file=sys.stderr)
    return EXIT_OK


def cmd_parameters(args: argparse.Namespace) -> int:
    """Write one report's papermill parameters exactly as a build injects them (findings included), so
    ``papermill notebooks/annual_report.ipynb out.ipynb -f FILE`` executes the notebook ``xxgk render`` does."""
    from xxgk import batch as build
    from xxgk import render
    from xxgk.batch.build import plan_tasks
    from xxgk.data import atomic

    tree.check_agency_id(args.agency)
    opts = build.Options(
        params=Path(args.params), agencies=[args.agency], years=[args.year], allow_invalid=args.allow_invalid
    )
    path = tree.year_path(opts.params, args.agency, args.year)
    if not path.is_file():
        raise InputError([problem(str(path), "数据文件不存在")])
    tasks, refused = plan_tasks(opts)
    for r in refused:
        if r.status == "invalid":
            _print_findings([Diagnostic(**f) for f in r.findings])
            print(
                f"{args.agency} {args.year}：数据有错误，未写出参数"
                "（可用 --allow-invalid 强制写出，报告首页将列出问题）。",
                file=sys.stderr,
            )
            return EXIT_FINDINGS
        for m in r.messages:
            print(m, file=sys.stderr)
        print(f"{args.agency} {args.year}：数据无法读取，未写出参数。", file=sys.stderr)
        return EXIT_INPUT
    (task,) = tasks
    text = _parameters_yaml(render.check_parameters(task.parameters), f"{args.agency} {args.year}")
    if args.output in (None, "-"):
        sys.stdout.write(text)
        target = "FILE"
    else:
        atomic.write_atomic(Path(args.output), text)
        print(args.output)
        target = args.output
    print(f"执行模板：papermill notebooks/annual_report.ipynb out.ipynb -f {target}", file=sys.stderr)
    return EXIT_OK


def _parameters_yaml(parameters: dict[str, Any], name: str) -> str:
    """The parameters as papermill's ``-f`` reads them: UTF-8 text, multi-line narrative as ``|`` blocks.

    Read back with papermill's own loader before it is returned: a value YAML would turn into
    something else (a date, a number) must not make a notebook that differs from a build's.
    """
    import yaml
    from papermill.iorw import NoDatesSafeLoader

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)

    Dumper.add_representer(str, text)
    body = yaml.dump(parameters, Dumper=Dumper, allow_unicode=True, sort_keys=False, width=100)
    if yaml.load(body, Loader=NoDatesSafeLoader) != parameters:  # papermill's own (safe) loader
        raise RuntimeError(f"parameters of {name} do not survive YAML: please report this")
    return (
        f"# papermill parameters of {name}, as `xxgk build` injects them (xxgk parameters).\n"
        f"# papermill notebooks/annual_report.ipynb out.ipynb -f THIS_FILE\n{body}"
    )


def cmd_placeholders(args: argparse.Namespace) -> int:
    from xxgk.data.placeholders import PLACEHOLDERS

    width = max(map(len, PLACEHOLDERS))
    for name, meaning in PLACEHOLDERS.items():
        print(f"{{{{ {name} }}}}".ljust(width + 6), meaning)
    return EXIT_OK


def _report_year(text: str) -> int:
    """A report year on the command line, in the range the format versions cover (else exit 2)."""
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"年份应为四位数字，如 2024（值：{excerpt(text)}）") from None
    try:
        formats.check_report_year(year)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return year


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"应为正整数：{text}")
    return n


def _seconds(text: str, *, zero: bool = False) -> float:
    """A duration in seconds, fractions allowed (``0.5``); finite and > 0 (>= 0 with ``zero``)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        bound = "不小于 0 的" if zero else "大于 0 的"
        raise argparse.ArgumentTypeError(f"应为{bound}秒数，如 0.5 或 180（值：{excerpt(text)}）")
    return value


def _wait_seconds(text: str) -> float:
    return _seconds(text, zero=True)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--params", default="params", metavar="DIR", help="data folder (default: params)")
    parser = argparse.ArgumentParser(
        prog="xxgk",
        description="政府信息公开工作年度报告：检查数据，生成报告。",
    )
    parser.add_argument("--version", action="version", version=f"xxgk {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", parents=[common], help="check every number of the data files")
    p.add_argument("paths", nargs="*", metavar="PATH", help="data files or folders (default: the whole params/)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("export", parents=[common], help="write every agency-year as a tidy CSV")
    p.add_argument("-o", "--output", metavar="FILE.csv", help="output file (default: standard output)")
    p.add_argument(
        "--bom",
        action="store_true",
        help="start with a UTF-8 byte order mark, so Excel and WPS on Windows show the Chinese (import reads both)",
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "import",
        parents=[common],
        help="create or update data files from tidy CSVs or filled-in Excel forms (all or nothing)",
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="tidy CSV (UTF-8 or GB18030) or .xlsx form; several at once"
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("form", parents=[common], help="write the Excel/WPS entry form of a body, or of all bodies")
    p.add_argument("agency", nargs="?", metavar="AGENCY", help="the body's id (its folder in params/)")
    p.add_argument("year_arg", nargs="?", type=_report_year, metavar="YEAR", help="report year")
    p.add_argument("--year", type=_report_year, help="report year (with --all)")
    p.add_argument("--all", action="store_true", help="one form for every body in params/")
    p.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="the form's file (default AGENCY-YEAR.xlsx), or with --all its folder (default forms/)",
    )
    p.set_defaults(func=cmd_form)

    p = sub.add_parser(
        "audit", help="check published reports (saved web pages, .docx, PDF with text) as an evaluator would"
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE", help=".html/.htm, .docx or .pdf files, or folders of them")
    p.add_argument("--format", choices=("text", "json", "html"), default="text", help="output (default: text)")
    p.add_argument("-o", "--output", metavar="DIR", help="with --format html: folder of the pages (default: audit)")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser(
        "import-report",
        parents=[common],
        help="start a body's data from its published report (a page, .docx or PDF), with its provenance",
    )
    p.add_argument("source", metavar="SOURCE", help="the published report")
    p.add_argument("--agency", required=True, metavar="ID", help="the body's id (its folder in params/)")
    p.add_argument("--year", type=_report_year, metavar="Y", help="report year (default: as the report states it)")
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace that year's existing data file, or take a report whose body's name differs from agency.yaml",
    )
    p.set_defaults(func=cmd_import_report)

    outputs = argparse.ArgumentParser(add_help=False)
    outputs.add_argument("--outputs", default="outputs", metavar="DIR", help="where reports go (default: outputs)")
    outputs.add_argument("--template", metavar="NOTEBOOK", help="report template (default: the annual report)")
    outputs.add_argument(
        "--timeout", type=_seconds, default=180.0, metavar="SECONDS", help="per report, e.g. 0.5 (default: 180)"
    )
    selection = argparse.ArgumentParser(add_help=False)
    selection.add_argument("--agency", action="append", metavar="A", help="only this body (repeatable)")
    selection.add_argument(
        "--year", action="append", type=_report_year, metavar="Y", help="only this year (repeatable)"
    )
    selection.add_argument(
        "--jobs", type=_positive, metavar="N", help="parallel reports (default: the number of cores)"
    )
    selection.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786")
    selection.add_argument(
        "--connect-timeout",
        type=_seconds,
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for the Dask scheduler (default: 5)",
    )

    p = sub.add_parser("render", parents=[common, outputs], help="render one report to HTML and PDF")
    p.add_argument("agency", metavar="AGENCY")
    p.add_argument("year", type=_report_year, metavar="YEAR")
    p.add_argument("--allow-invalid", action="store_true", help="render despite errors, with a red banner")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("build", parents=[common, outputs, selection], help="build every report that changed")
    p.add_argument("--force", action="store_true", help="rebuild even what is fresh")
    p.add_argument("--allow-invalid", action="store_true", help="render despite errors, with a red banner")
    p.add_argument("--json", action="store_true", help="JSON lines even on a terminal")
    p.add_argument(
        "--lock-timeout",
        type=_wait_seconds,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for another build on the same outputs (default: 60)",
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("verify", parents=[common, outputs, selection], help="rebuild and compare with outputs/")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("new", parents=[common], help="start a year's data file, every cell to fill in")
    p.add_argument("agency", metavar="AGENCY")
    p.add_argument("year", type=_report_year, metavar="YEAR")
    p.add_argument("--name", help="official name, for a new body")
    p.add_argument("--level", help=f"{'、'.join(formats.levels())}, for a new body")
    p.add_argument("--parent", help="parent government, for a new body")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("parameters", parents=[common], help="write one report's papermill parameters (YAML)")
    p.add_argument("agency", metavar="AGENCY")
    p.add_argument("year", type=_report_year, metavar="YEAR")
    p.add_argument("-o", "--output", metavar="FILE.yaml", help="output file (default: standard output)")
    p.add_argument("--allow-invalid", action="store_true", help="write them despite errors, as render would")
    p.set_defaults(func=cmd_parameters)

    p = sub.add_parser("placeholders", help="list the figures a narrative may cite as {{ name }}")
    p.set_defaults(func=cmd_placeholders)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        print(f"未写入任何文件：{len(e.problems)} 处问题。", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:  # `xxgk export | head`: the reader left; that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("已中断：未完成的报告没有写入，原有报告保持不变。", file=sys.stderr)
        return 130
    except OSError as e:
        # Refused by the machine, not a bug: no permission, a full disk, a size limit, a name too
        # long, a folder where a file was expected. Whatever xxgk writes, it writes whole.
        print(f"操作未完成：{describe(e)}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as e:
        from xxgk.batch import BuildError

        if isinstance(e, BuildError):
            print(str(e), file=sys.stderr)
            return EXIT_INPUT
        raise


if __name__ == "__main__":
    sys.exit(main())
