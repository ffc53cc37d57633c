"""Where the Cypher library lives: ``<repo>/cypher``, or ``graphkit/_cypher`` when installed."""

from __future__ import annotations

from pathlib import Path

from graphkit.errors import GraphkitError

__all__ = ["cypher_dir"]


def cypher_dir() -> Path:
    """The ``cypher/`` directory of this checkout or installation."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_cypher", here.parent / "cypher"):
        if (candidate / "queries").is_dir():
            return candidate
    raise GraphkitError(f"the Cypher library was not found beside {here}")
