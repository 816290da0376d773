"""``outputs/index.html`` for reviewers and ``outputs/index.json`` for machines.

One row per body × year: status, error and warning counts with the findings one click away
(a ``<details>`` element), links to the HTML, PDF and executed notebook, and when it was built.
Filtering by status uses radio buttons and CSS sibling selectors, so the page needs no script and
no network resource: it works offline, opened straight from disk.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from xxgk.data.atomic import named, write_all
from xxgk.render import outputs

STATUSES = {"built": "已生成", "invalid": "数据有误", "failed": "失败"}


def render_html(entries: list[dict[str, Any]]) -> str:
    env = Environment(loader=PackageLoader("xxgk.batch", "."), autoescape=select_autoescape(default=True))
    counts = {s: sum(e["status"] == s for e in entries) for s in STATUSES}
    return env.get_template("index.html.j2").render(
        entries=entries, statuses=STATUSES, counts=counts, kinds=outputs.artifact_labels()
    )


def write(outputs_dir: Path, entries: list[dict[str, Any]]) -> None:
    """Write both index files atomically and together (a reviewer never opens half a page, and the
    page never disagrees with index.json): a full disk or a size limit leaves both as they were and
    raises an :class:`OSError` naming the file."""
    try:
        outputs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise named(e, outputs_dir) from e
    data = {"reports": entries}
    write_all(
        {
            outputs_dir / outputs.INDEX_JSON: json.dumps(data, ensure_ascii=False, indent=2) + "\n",
            outputs_dir / outputs.INDEX_HTML: render_html(entries),
        }
    )
