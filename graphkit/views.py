"""Named read-only views of a case, the one way results are read (`graphkit show`).

A view is a function ``fn(store, *, limit) -> list[dict]`` registered with :func:`view`. Modules
that define views are listed in :data:`VIEW_MODULES` and imported on first use, so heavy stages
load only when one of their views is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphkit.errors import InputError

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["VIEW_MODULES", "View", "all_views", "get_view", "view"]

Row = dict[str, Any]
ViewFn = Callable[..., list[Row]]

VIEW_MODULES: tuple[str, ...] = (
    "graphkit.ingest.views",
    "resolution.views",
    "graphkit.analytics.views",
    "graphkit.analytics.sensitivity_case",
    "graphkit.signals.views",
    "gnn.views",
)


@dataclass(frozen=True)
class View:
    name: str
    help: str
    fn: ViewFn

    def __call__(self, store: CaseStore, *, limit: int | None = None) -> list[Row]:
        return self.fn(store, limit=limit)


_REGISTRY: dict[str, View] = {}


def view(name: str, *, help: str) -> Callable[[ViewFn], ViewFn]:
    """Register ``fn`` as the view ``name``."""

    def register(fn: ViewFn) -> ViewFn:
        _REGISTRY[name] = View(name, help, fn)
        return fn

    return register


def _load() -> None:
    for module in VIEW_MODULES:
        importlib.import_module(module)


def all_views() -> dict[str, View]:
    """Every registered view by name."""
    _load()
    return dict(sorted(_REGISTRY.items()))


def get_view(name: str) -> View:
    views = all_views()
    if name not in views:
        raise InputError(f"unknown view {name!r}; views: {', '.join(views)}")
    return views[name]
