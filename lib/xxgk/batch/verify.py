"""``xxgk verify``: rebuild the published reports elsewhere and compare them byte for byte."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xxgk.batch import targets
from xxgk.batch.build import BuildError, Options, Result, _check_inputs, build, locked, out_dir, read_manifest
from xxgk.batch.targets import Target
from xxgk.render import outputs


@dataclass
class Difference:
    name: str
    files: list[str]
    reason: str = ""


def verify(opts: Options, on_result: Callable[[Result], None] = lambda r: None) -> tuple[int, list[Difference]]:
    """Rebuild the published reports of the selection elsewhere and compare them byte for byte.

    Each report is rebuilt with the render options its manifest records, into a temporary folder,
    so ``outputs/`` is only read, under the build lock (a build half-way through would look like a
    difference). Returns how many reports were compared and those that differ.
    """
    _check_inputs(opts)
    with locked(opts.outputs, opts.lock_timeout):
        return _verify(opts, on_result)


def _verify(opts: Options, on_result: Callable[[Result], None]) -> tuple[int, list[Difference]]:
    import tempfile

    planned = targets.targets(
        opts.params, opts.template, opts.render_options(), opts.agencies or None, opts.years or None
    )
    if not planned:
        raise BuildError(f"{opts.params} 中没有符合条件的年度数据")
    differences: list[Difference] = []
    groups: dict[str, list[Target]] = {}
    for t in planned:
        manifest = read_manifest(out_dir(opts.outputs, t))
        if manifest is None:
            differences.append(Difference(t.name, [], "没有已发布的报告"))
            continue
        groups.setdefault(json.dumps(manifest.options, sort_keys=True), []).append(t)
    compared = 0
    for options_json, group in groups.items():
        options = json.loads(options_json)
        with tempfile.TemporaryDirectory(prefix="xxgk-verify-") as tmp:
            sub = Options(
                params=opts.params,
                outputs=Path(tmp) / "outputs",
                template=opts.template,
                agencies=sorted({t.agency for t in group}),
                years=sorted({t.year for t in group}),
                jobs=opts.jobs,
                scheduler=opts.scheduler,
                force=True,
                allow_invalid=bool(options.get("allow_invalid", False)),
                timeout=opts.timeout,
                connect_timeout=opts.connect_timeout,
                warm_kernels=opts.warm_kernels,
                executor=opts.executor,
            )
            built = {f"{r.agency}/{r.year}": r for r in build(sub, on_result).results}
            for t in group:
                r = built.get(t.name)
                if (
                    r is None
                    or r.status not in ("built", "invalid")
                    or not (out_dir(sub.outputs, t) / outputs.NOTEBOOK).exists()
                ):
                    differences.append(Difference(t.name, [], "重新生成失败：" + "；".join(r.messages if r else [])))
                    continue
                compared += 1
                differ = [
                    a
                    for a in outputs.artifacts()
                    if (out_dir(sub.outputs, t) / a).read_bytes() != (out_dir(opts.outputs, t) / a).read_bytes()
                ]
                if differ:
                    differences.append(Difference(t.name, differ, "与重新生成的结果不一致"))
    return compared, differences
