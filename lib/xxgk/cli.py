"""The ``xxgk`` command: parse arguments, call the library, print, and map outcomes to exit codes.

Exit codes are the same for every subcommand, so cron jobs and CI can rely on them:
0 — done, no error (warnings may be printed); 1 — the data has errors or a report failed;
2 — the input cannot be read or the command line is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from xxgk import __version__, model, rules

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def _problem_dict(p: model.Problem) -> dict[str, object]:
    """Unreadable input in the shape of a finding (rule P0), so JSON consumers see one list."""
    return {
        "rule": "P0",
        "severity": "error",
        "file": p.file,
        "agency": "",
        "year": None,
        "table": "",
        "row": "",
        "column": p.label,
        "expected": None,
        "found": p.value,
        "message": str(p),
        "field": p.field,
        "line": p.line,
    }


def _print_findings(findings: Sequence[rules.Finding], out: object = sys.stdout) -> None:
    for f in findings:
        where = f"{f.file}:{f.line}" if f.line else f.file
        level = "错误" if f.severity == "error" else "警告"
        print(f"{where}: {level} {f.rule} {f.message}", file=out)  # type: ignore[arg-type]


def _select(paths: Sequence[str], params: Path) -> tuple[Path, set[str] | None, set[Path] | None]:
    """The data folder to read, the agencies in it to load, and the files to report on.

    A selected year is checked together with its body's other years (for the cross-year rules),
    but only the selected files' findings are reported.
    """
    if not paths:
        return params, None, None
    roots: set[Path] = set()
    agencies: set[str] = set()
    files: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir() and (p / "agency.yaml").is_file():
            roots.add(p.parent)
            agencies.add(p.name)
            files.update(q.resolve() for q in p.glob("*.yaml"))
        elif p.is_dir():
            roots.add(p)
            agencies.update(d.name for d in model.agency_dirs(p))
            files.update(q.resolve() for q in p.glob("*/*.yaml"))
        else:
            roots.add(p.parent.parent)
            agencies.add(p.parent.name)
            files.add(p.resolve())
    if len({r.resolve() for r in roots}) > 1:
        raise model.InputError([model.Problem(", ".join(paths), "所给路径不在同一个数据目录下")])
    return roots.pop(), agencies, files


def cmd_check(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise model.InputError([model.Problem(p, "文件或目录不存在") for p in missing])
    root, agencies, files = _select(args.paths, Path(args.params))
    tree = model.load_tree(root, agencies)
    problems = [
        p
        for p in tree.problems
        if files is None or Path(p.file).name == "agency.yaml" or Path(p.file).resolve() in files
    ]
    years = tree.years
    only = None if files is None else {str(ay.path) for ay in years if ay.path.resolve() in files}
    findings = rules.check_tree(years, only)
    n_err = len(rules.errors(findings))
    n_warn = len(findings) - n_err
    checked = len(years) if only is None else len(only)
    if args.format == "json":
        items = [_problem_dict(p) for p in problems] + [f.to_dict() for f in findings]
        json.dump(items, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        for p in problems:
            print(f"{p}", file=sys.stderr)
        _print_findings(findings)
        summary = f"检查了 {checked} 份年度数据：{n_err} 个错误，{n_warn} 个警告"
        if problems:
            summary += f"，{len(problems)} 处无法读取"
        print(summary + "。", file=sys.stderr)
    if problems:
        return EXIT_INPUT
    return EXIT_FINDINGS if n_err else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from xxgk import tidy

    params = Path(args.params)
    if args.output in (None, "-"):
        n = tidy.export_csv(params, sys.stdout)
    else:
        import io

        buf = io.StringIO()
        n = tidy.export_csv(params, buf)
        from xxgk.paramfile import write_atomic

        write_atomic(Path(args.output), buf.getvalue())
    print(f"导出了 {n} 行。", file=sys.stderr)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from xxgk import tidy

    report = tidy.import_csv(Path(args.file), Path(args.params))
    for w in report.warnings:
        print(f"警告 {w}", file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    return EXIT_OK


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
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", parents=[common], help="create or update data files from a tidy CSV")
    p.add_argument("file", metavar="FILE.csv")
    p.set_defaults(func=cmd_import)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except model.InputError as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        print(f"未写入任何文件：{len(e.problems)} 处问题。", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
