"""The manifest of a published report: its key, inputs, versions, file hashes, timings and findings.

``outputs/<agency>/<year>/manifest.json`` is what makes a report skippable (same key: fresh) and
auditable (which inputs, which versions); it is written with the report's files, in the same swap.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xxgk.render import outputs


@dataclass(frozen=True)
class Manifest:
    agency: str
    year: int
    key: str
    inputs: dict[str, str]
    versions: dict[str, str]
    files: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    findings: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    built_at: str | None = None

    def to_bytes(self) -> bytes:
        return json_bytes(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def read(path: Path) -> Manifest | None:
    """The manifest of the report in folder ``path``, if it is there with every artifact."""
    try:
        data = json.loads((path / outputs.MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest.from_dict(data)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return manifest if all((path / a).is_file() for a in outputs.artifacts()) else None
