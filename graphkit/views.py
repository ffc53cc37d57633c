"""Named read-only views of a case, the one way results are read (`graphkit show`).

A view is a function ``fn(store, *, limit) -> list[dict]`` registered with :func:`view`
(``fn(store, *, limit, query)`` for a view that shows what a query names, like ``actor``).
Modules that define views are listed in :data:`VIEW_MODULES` and imported on first use, so
heavy stages load only when one of their views is asked for.

People are shown by name: a view declares which of its columns hold actors (``actors=``) and
the registry adds each one's display name and phones beside it (:mod:`graphkit.people`),
names the ids in its ``explanation`` and maps those in its ``evidence``. :func:`format_number`
is how numbers are written for people: three significant digits, never rounded to 1.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphkit.errors import InputError
from graphkit.people import directory

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = [
    "LIST_LIMIT",
    "VIEW_MODULES",
    "Page",
    "View",
    "all_views",
    "communities_phrase",
    "community_sizes",
    "format_number",
    "get_view",
    "score_text_sql",
    "view",
]

Row = dict[str, Any]
ViewFn = Callable[..., list[Row]]

VIEW_MODULES: tuple[str, ...] = (
    "graphkit.ingest.views",
    "resolution.views",
    "graphkit.analytics.views",
    "graphkit.analytics.sensitivity_case",
    "graphkit.signals.views",
    "gnn.views",
    "graphkit.actor_card",
    "graphkit.cdr.views",
)

_ALL = 2**62  # a limit no view reaches: every row
#: rows ``graphkit show`` prints of a view that sets no ``default_limit`` of its own
LIST_LIMIT = 25


@dataclass(frozen=True)
class Page:
    """The rows shown and how many the view holds in all."""

    rows: list[Row]
    total: int

    @property
    def not_shown(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True)
class View:
    """A registered view. ``actors``: its columns that hold actor ids or phones (named by the
    registry); ``default_limit``: rows ``graphkit show`` prints without ``--limit``; ``query``:
    the view shows what a query names (``graphkit show CASE actor QUERY``); ``json_only``:
    columns for scripts that a table leaves out (a column in words says the same there)."""

    name: str
    help: str
    fn: ViewFn
    actors: tuple[str, ...] = ()
    default_limit: int | None = None
    query: bool = False
    json_only: tuple[str, ...] = ()

    def _rows(self, store: CaseStore, limit: int | None, query: str | None) -> list[Row]:
        if self.query:
            if not query:
                raise InputError(
                    f"the {self.name} view needs a query: graphkit show CASE {self.name} QUERY"
                )
            return self.fn(store, limit=limit, query=query)
        if query:
            raise InputError(f"the {self.name} view takes no query (got {query!r})")
        return self.fn(store, limit=limit)

    def __call__(
        self, store: CaseStore, *, limit: int | None = None, query: str | None = None
    ) -> list[Row]:
        """The view's rows (``limit``: at most so many; None: the view's own default), each
        actor named beside its id."""
        rows = self._rows(store, limit, query)
        return directory(store).name_rows(rows, self.actors) if rows else rows

    def page(self, store: CaseStore, *, limit: int | None = None, query: str | None = None) -> Page:
        """The rows ``graphkit show`` prints and how many there are in all: ``limit`` None
        means the view's default (:data:`LIST_LIMIT` for a view without one), 0 every row."""
        rows = self._rows(store, _ALL, query)
        default = self.default_limit if self.default_limit is not None else LIST_LIMIT
        keep = default if limit is None else (limit or None)
        shown = rows[:keep] if keep is not None else rows
        named = directory(store).name_rows(shown, self.actors) if shown else shown
        return Page(named, len(rows))


_REGISTRY: dict[str, View] = {}


def view(
    name: str,
    *,
    help: str,
    actors: Sequence[str] = (),
    default_limit: int | None = None,
    query: bool = False,
    json_only: Sequence[str] = (),
) -> Callable[[ViewFn], ViewFn]:
    """Register ``fn`` as the view ``name`` (see :class:`View` for the options)."""

    def register(fn: ViewFn) -> ViewFn:
        _REGISTRY[name] = View(
            name, help, fn, tuple(actors), default_limit, query, tuple(json_only)
        )
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


def community_sizes(store: CaseStore) -> list[int] | None:
    """The size of each community ``graphkit analyze`` stored (one actor alone is a
    community of one there); None before it has run."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "analytics_community"):
            return None
        cols = {r[0] for r in con.execute("DESCRIBE analytics_community").fetchall()}
        if "size" not in cols:
            return None
        rows = con.execute("SELECT size FROM analytics_community").fetchall()
    return [int(n) for (n,) in rows if n is not None]


def communities_phrase(sizes: Iterable[int]) -> str:
    """How many communities there are, as people count them: ``15 communities of 2+ actors,
    28 actors alone`` (an actor with no community of two or more is not a community)."""
    sizes = list(sizes)
    groups = sum(1 for n in sizes if n >= 2)
    alone = sum(1 for n in sizes if n < 2)
    text = f"{groups:,} {'community' if groups == 1 else 'communities'} of 2+ actors"
    return text + (f", {alone:,} {'actor' if alone == 1 else 'actors'} alone" if alone else "")


_SIGNIFICANT = 3
_CLOSE_TO_ONE = 1e-4  # nearer to 1 than this: written as 1-x


def format_number(value: float, *, digits: int = _SIGNIFICANT) -> str:
    """A number for people: ``digits`` significant digits; small values (below 0.001, such
    as p- and q-values) in scientific notation; from 100 on, whole numbers. A value between 0
    and 1 never reads as 0 or 1: 0.9996 is ``0.9996``, 0.99999999 is ``1-1.0e-08``."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == 0:
        return "0"
    size = abs(value)
    sign = "-" if value < 0 else ""
    if size < 1e-3:
        return f"{value:.{digits - 1}e}"
    if size >= 1e15:
        return f"{value:.{digits - 1}e}"
    if size >= 10 ** (digits - 1):
        return f"{value:.0f}"
    text = f"{value:.{digits}g}"
    if size < 1 and abs(float(text)) >= 1:  # rounded up to 1: show how far below it is
        gap = 1 - size
        if gap < _CLOSE_TO_ONE:
            return f"-(1-{gap:.1e})" if sign else f"1-{gap:.1e}"
        for more in range(digits + 1, 8):
            text = f"{value:.{more}g}"
            if abs(float(text)) < 1:
                break
    return text


def score_text_sql(column: str) -> str:
    """DuckDB SQL giving :func:`format_number`'s text of a score in [0, 1] held in
    ``column`` (a trusted column expression, never input), for places that cannot run
    Python, such as the captions Neo4j Browser shows (``score_text``)."""
    x = column
    return (
        f"CASE WHEN {x} IS NULL THEN NULL WHEN {x} = 0 THEN '0' "
        f"WHEN {x} < 1e-3 THEN printf('%.{_SIGNIFICANT - 1}e', {x}) "
        f"WHEN {x} < 1 AND printf('%.{_SIGNIFICANT}g', {x}) = '1' THEN "
        f"CASE WHEN 1 - {x} < {_CLOSE_TO_ONE} THEN '1-' || printf('%.1e', 1 - {x}) "
        f"ELSE printf('%.{_SIGNIFICANT + 1}g', {x}) END "
        f"ELSE printf('%.{_SIGNIFICANT}g', {x}) END"
    )
