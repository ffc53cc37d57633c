"""Figures: deterministic layout, reporting-chain order, hour-of-week sums, PNG output."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.report import figures, figures_hierarchy
from graphkit.report.figures import hour_of_week, network_layout
from graphkit.report.figures_hierarchy import _tree_order

PNG = b"\x89PNG\r\n\x1a\n"


def _graph() -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = [f"a{i}" for i in range(12)]
    actors = pd.DataFrame(
        {
            "actor_id": ids,
            "community": [i // 4 for i in range(12)],
            "pagerank": np.linspace(0.01, 0.2, 12),
            "name": ids,
        }
    )
    ties = pd.DataFrame({"a": ids[:8], "b": ids[1:9], "weight": [3.0] * 8})  # a9..a11 isolated
    return actors, ties


def test_layout_is_deterministic_and_keeps_isolated_actors_aside() -> None:
    actors, ties = _graph()
    one = network_layout(actors, ties, seed=5)
    assert one == network_layout(actors, ties, seed=5)
    assert one != network_layout(actors, ties, seed=6)
    xy = np.array(list(one.values()))
    assert (xy >= 0).all() and (xy <= 1).all()
    assert all(one[f"a{i}"][0] <= 0.84 for i in range(9))  # the connected part
    assert all(one[f"a{i}"][0] >= 0.88 for i in (9, 10, 11))  # isolated actors on the right


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-1, max_value=30), min_size=1, max_size=30))
def test_tree_order_puts_each_superior_before_its_reports(parents: list[int]) -> None:
    # a forest: member i may report to an earlier member only (no cycles)
    sup = [f"m{p}" if 0 <= p < i else None for i, p in enumerate(parents)]
    m = pd.DataFrame({"actor_id": [f"m{i}" for i in range(len(parents))], "superior": sup})
    order = _tree_order(m)
    assert sorted(order) == sorted(m["actor_id"])
    where = {a: k for k, a in enumerate(order)}
    for a, s in zip(m["actor_id"], m["superior"], strict=True):
        if s is not None:
            assert where[s] < where[a]


def test_hour_of_week_adds_up() -> None:
    activity = pd.DataFrame(
        {"actor_id": ["a", "a", "b", "c"], "how": [0, 167, 25, 25], "events": [2, 3, 4, 100]}
    )
    grid = hour_of_week(activity, ["a", "b"])
    assert grid.shape == (7, 24) and grid.sum() == 9
    assert grid[0, 0] == 2 and grid[6, 23] == 3 and grid[1, 1] == 4


def test_figures_are_png() -> None:
    actors, ties = _graph()
    pos = network_layout(actors, ties, seed=0)
    assert figures.network_png(actors, ties, pos).startswith(PNG)
    members = actors.assign(
        level=[0] + [1] * 11,
        leadership=np.linspace(1, 0, 12),
        superior=[None] + ["a0"] * 11,
        springrank=np.linspace(1, 0, 12),
    )
    assert figures_hierarchy.hierarchy_png(members, brokers=["a3"]).startswith(PNG)
    grid = np.arange(168, dtype=float).reshape(7, 24)
    assert figures.heatmaps_png([("x", grid), ("y", grid)]).startswith(PNG)
    assert figures.heatmaps_png([("x", grid)], relative_to=grid[::-1]).startswith(PNG)
