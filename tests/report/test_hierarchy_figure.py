"""The hierarchy diagram: leader at the top, brokers drawn, every drawn member named, and no
two texts (or a text and a node) overlapping, however crowded the community (issue 18)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from graphkit.report.figures_hierarchy import hierarchy_figure

LONG = "Bartolomeo Alessandro Cavallaro"


def _community(n: int, *, spread: float, seed: int) -> pd.DataFrame:
    """``n`` members in three levels under one boss, SpringRank scores packed within
    ``spread`` of each other per level (crowded when small), long names."""
    rng = np.random.default_rng(seed)
    level = np.array([0] + [1] * 3 + [2] * (n - 4))
    springrank = 2.0 - level + rng.uniform(0, spread, n)
    superior = [None] + ["m0"] * 3 + [f"m{1 + i % 3}" for i in range(n - 4)]
    return pd.DataFrame(
        {
            "actor_id": [f"m{i}" for i in range(n)],
            "name": [f"{LONG} {i}" for i in range(n)],
            "community": 3,
            "leadership": np.linspace(1, 0, n),
            "level": level,
            "superior": superior,
            "springrank": springrank,
        }
    )


def _close(fig: object) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)  # type: ignore[arg-type]


@pytest.mark.parametrize(("n", "spread", "seed"), [(12, 0.3, 0), (18, 0.05, 1), (18, 0.6, 2)])
def test_no_text_overlaps_another_or_a_node(n: int, spread: float, seed: int) -> None:
    members = _community(n, spread=spread, seed=seed)
    brokers = [f"m{n - 1}", f"m{n - 2}"]  # the two least-led members broker
    fig, labels, nodes = hierarchy_figure(members, brokers=brokers, most=18)
    try:
        named = [lb.actor_id for lb in labels]
        drawn = min(n, 18)
        assert sorted(named) == sorted(set(named)) and len(named) == drawn  # each named once
        assert set(brokers) <= set(named)  # brokers drawn although they lead least
        for a, b in itertools.combinations(labels, 2):
            assert not a.box.overlaps(b.box), (a.text, b.text)
        for label, node in itertools.product(labels, nodes.values()):
            assert not label.box.overlaps(node)
    finally:
        _close(fig)


def test_leader_is_drawn_at_the_top() -> None:
    members = _community(10, spread=0.3, seed=3)
    fig, _labels, nodes = hierarchy_figure(members)
    try:
        top = max(nodes, key=lambda a: nodes[a].y1)
        assert top == "m0"  # the boss, highest SpringRank, at the top
        assert nodes["m0"].y1 > max(b.y1 for a, b in nodes.items() if a != "m0")
        assert all(nodes[f"m{i}"].y1 > nodes[f"m{j}"].y1 for i in (1, 2, 3) for j in range(4, 10))
    finally:
        _close(fig)


def test_names_that_fit_nowhere_get_a_number_and_a_key() -> None:
    members = _community(30, spread=0.0, seed=4)  # 26 members at one height, long names
    fig, labels, _nodes = hierarchy_figure(members, most=30)
    try:
        numbered = [lb for lb in labels if lb.numbered]
        assert numbered, "a crowded level should need the key"
        key = "\n".join(t.get_text() for t in fig.texts)
        for lb in numbered:  # "7  Bartolomeo Alessandro Cavallaro 12": number, then name
            assert f"{lb.text}  {LONG} {lb.actor_id[1:]}" in key.splitlines()
        for a, b in itertools.combinations(labels, 2):
            assert not a.box.overlaps(b.box)
    finally:
        _close(fig)


def test_a_burner_is_labelled_as_likely_its_carrier() -> None:
    """The note `same_as` gives (the report: the carrier of a hand-off at or above its
    threshold, graphkit.analytics.views.burner_carriers) stands under the burner's name."""
    fig, labels, _ = hierarchy_figure(
        _community(6, spread=0.3, seed=5), same_as={"m2": "≈ Bartolomeo, hand-off 0.83"}
    )
    try:
        (note,) = [lb for lb in labels if lb.actor_id == "m2"]
        assert note.text.endswith("\n≈ Bartolomeo, hand-off 0.83")
    finally:
        _close(fig)
