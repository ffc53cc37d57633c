"""Ranking survival across entity-resolution variants."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphkit.analytics.measures import AnalysisSpec, analyze_edges
from graphkit.analytics.sensitivity import rank_survival, ranking_agreement
from graphkit.analytics.sensitivity_case import held_communities
from graphkit.pipeline import clear_abandoned_scratch
from tests.analytics.planted import planted_edges


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
        "top_k_overlap": 1.0,
        "kendall_tau": pytest.approx(1.0),
    }
    b = a.assign(x=[1.0, 2.0, 3.0, 4.0])
    got = ranking_agreement(a, b, column="x", top_k=2)
    assert got["top_k_overlap"] == 0.0 and got["kendall_tau"] == pytest.approx(-1.0)


def test_ranking_agreement_matches_actors_by_their_phones() -> None:
    """A person re-formed under another id (at another threshold) is the same actor for the
    overlap, as rank_survival counts it: the report's "top-10 overlap" and its table of who
    stays agree (before, 8 of 10 staying read as 0.538)."""
    phones = [["+1"], ["+2", "+22"], ["+3"], ["+4"]]
    x = [4.0, 3.0, 2.0, 1.0]
    a = pd.DataFrame({"actor_id": ["P1", "P2", "P3", "P4"], "x": x, "phones": phones})
    renamed = a.assign(actor_id=["Q1", "Q2", "Q3", "Q4"])
    assert rank_survival(a, {"other": renamed}, column="x", top_k=2)["survives"].all()
    assert ranking_agreement(a, renamed, column="x", top_k=2) == {
        "top_k_overlap": 1.0,
        "kendall_tau": pytest.approx(1.0),
    }
    # P2's second phone a person of its own, last: P2 is still Q2 by its first phone
    split = pd.DataFrame(
        {
            "actor_id": ["Q1", "Q2", "Q3", "Q4", "Q5"],
            "x": [*x, 0.5],
            "phones": [["+1"], ["+2"], ["+3"], ["+4"], ["+22"]],
        }
    )
    got = ranking_agreement(a, split, column="x", top_k=2)
    assert got["top_k_overlap"] == 1.0
    assert 0 < got["kendall_tau"] < 1  # the split-off phone's actor moved to the bottom
    # P2 falls out of the other top 2 and P3 comes in: only P1 and its Q1 (2 of 4) match
    fallen = renamed.assign(x=[4.0, 1.0, 3.0, 2.0])
    assert ranking_agreement(a, fallen, column="x", top_k=2)["top_k_overlap"] == 0.5


def test_held_communities_follow_phones_across_merges_and_splits() -> None:
    case = pd.DataFrame(
        {
            "actor_id": ["P1", "P2", "P3", "P4", "A7"],
            "phones": [["+1", "+11"], ["+2"], ["+3"], ["+4"], []],
            "community": [2, 0, 1, 1, 3],
        }
    )
    variant = pd.DataFrame(
        {
            # looser resolution merged P2 and P3 (one phone each: a tie, the lower label);
            # P4's phone and P1's two phones now sit with one stranger's number (+8)
            "actor_id": ["Q23", "Q14", "A7", "Q9"],
            "phones": [["+3", "+2"], ["+4", "+1", "+11", "+8"], [], ["+9"]],
        }
    )
    held = held_communities(variant, case)
    assert held == {"Q23": 0, "Q14": 2, "A7": 3, "Q9": 4}  # Q9: unknown, a community alone
    # the same whatever order the rows come in
    assert held_communities(variant.iloc[::-1], case.iloc[::-1]) == held


def test_analysis_with_the_detected_communities_held_is_the_analysis() -> None:
    """Holding communities skips only their detection: given the partition the consensus
    found, every other measure comes out exactly as when it is detected."""
    edges = planted_edges(120, 900, groups=4, p_within=0.85, seed=3).assign(layer="call")
    actors = sorted(set(edges["src"]) | set(edges["dst"]))
    spec = AnalysisSpec(n_runs=3, workers=1)
    detected = analyze_edges(edges, actors=actors, seed=5, spec=spec)
    partition = dict(zip(detected.actors["actor_id"], detected.actors["community"], strict=True))
    held = analyze_edges(edges, actors=actors, seed=5, spec=spec, communities=partition)
    assert held.summary["community_method"] == "held"
    assert held.actors["community_confidence"].isna().all()  # no runs behind it
    assert detected.actors["community"].nunique() >= 3
    said = held.actors["explanation"].str.split("; ", n=1)
    assert (
        said.str[0] == "community C" + held.actors["community"].astype(str) + " (held as given)"
    ).all()
    detected_rest = detected.actors["explanation"].str.split("; ", n=1).str[1]
    assert said.str[1].tolist() == detected_rest.tolist()
    skip = {"community_confidence", "evidence", "explanation"}
    columns = [c for c in detected.actors.columns if c not in skip]
    pd.testing.assert_frame_equal(held.actors[columns], detected.actors[columns])
    assert held.communities["mean_confidence"].isna().all()
    pd.testing.assert_frame_equal(
        held.communities.drop(columns="mean_confidence"),
        detected.communities.drop(columns="mean_confidence"),
    )


def test_scratch_of_a_killed_analysis_is_cleared_and_a_running_ones_kept(tmp_path: Path) -> None:
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = tmp_path / f"graphkit-sensitivity-{int(ended.stdout)}-abc123"
    alive = tmp_path / f"graphkit-sensitivity-{os.getpid()}-def456"
    legacy = tmp_path / "graphkit-sensitivity-ghi789"  # no process id in the name: left
    for folder in (dead, alive, legacy):
        (folder / "loose").mkdir(parents=True)
        (folder / "loose" / "case.duckdb").write_bytes(b"x" * 1024)
    assert clear_abandoned_scratch(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and legacy.exists()
