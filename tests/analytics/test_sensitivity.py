"""Ranking survival across entity-resolution variants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphkit.analytics.sensitivity import rank_survival, ranking_agreement


def test_survival_follows_phones_across_merges() -> None:
    base = pd.DataFrame(
        {
            "actor_id": ["P1", "P2", "P3", "+3"],
            "phones": [["+1"], ["+2"], [], ["+3"]],
            "leadership": [0.9, 0.8, 0.7, 0.1],
        }
    )
    # stricter resolution: P1 split into two actors; P2 dropped out of the top 2
    strict = pd.DataFrame(
        {
            "actor_id": ["Q1", "Q9", "P2", "P3"],
            "phones": [["+1"], ["+9"], ["+2"], []],
            "leadership": [0.95, 0.9, 0.1, 0.85],
        }
    )
    out = rank_survival(base, {"strict": strict}, column="leadership", top_k=3)
    assert out["actor_id"].tolist() == ["P1", "P2", "P3"]
    assert out["rank_strict"].tolist()[0] == 1  # P1 found through its phone +1 as Q1
    assert np.isnan(out["rank_strict"].tolist()[1])
    assert out["rank_strict"].tolist()[2] == 3  # P3 has no phones: matched by id
    assert out["survives"].tolist() == [True, False, True]


def test_ranking_agreement() -> None:
    a = pd.DataFrame({"actor_id": list("abcd"), "x": [4.0, 3.0, 2.0, 1.0]})
    assert ranking_agreement(a, a, column="x", top_k=2) == {
        "jaccard_top_k": 1.0,
        "kendall_tau": pytest.approx(1.0),
    }
    b = a.assign(x=[1.0, 2.0, 3.0, 4.0])
    got = ranking_agreement(a, b, column="x", top_k=2)
    assert got["jaccard_top_k"] == 0.0 and got["kendall_tau"] == pytest.approx(-1.0)
