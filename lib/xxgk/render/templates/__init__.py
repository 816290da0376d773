"""The template files a report is made from, as package data found by name (a wheel carries them).

``notebooks/`` is the repository's own folder of notebook templates (analysts open them there);
the package reaches it through a link, so an installed wheel holds the same files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

ANNUAL = "annual_report"


def _root() -> Path:
    return Path(str(resources.files(__package__)))


def notebook(name: str = ANNUAL) -> Path:
    """A notebook template by name (``annual_report``)."""
    path = _root() / "notebooks" / f"{name}.ipynb"
    if not path.is_file():
        known = sorted(p.stem for p in (_root() / "notebooks").glob("*.ipynb"))
        raise FileNotFoundError(f"no notebook template {name!r}; known: {', '.join(known) or 'none'}")
    return path


def nbconvert_dir() -> Path:
    """The folder holding the nbconvert template ``xxgk`` (it extends the stock ``lab`` template)."""
    return _root()
