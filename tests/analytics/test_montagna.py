"""Accuracy on the Montagna operation (Cavallaro et al. 2020, CC BY 4.0): real thresholds.

Communities are judged against the mafia family (members with a known family), leadership
against the titles boss / underboss, through ``evaluate_montagna`` (what ``graphkit evaluate``
prints), which runs the ``analyze`` pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, roc_auc_score

from graphkit.analytics.evaluate import (
    adjusted_rand_index,
    evaluate_montagna,
    montagna_attributes,
    montagna_edges,
    normalized_mutual_information,
    roc_auc,
)
from graphkit.analytics.evaluate_baselines import BASELINES, DEFAULT_METHOD, TASK


@pytest.fixture(scope="module")
def rows(montagna_dir: Path) -> list[dict[str, Any]]:
    return evaluate_montagna(montagna_dir, seed=0)


@pytest.fixture(scope="module")
def results(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The seed-0 rows by method (ARI rows as "<method> ARI")."""
    seed0 = [r for r in rows if r["task"] != TASK]
    out = {r["method"]: r for r in seed0 if r["metric"] != "ARI"}
    return out | {f"{r['method']} ARI": r for r in seed0 if r["metric"] == "ARI"}


@pytest.fixture(scope="module")
def like(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The like-with-like rows (10 seeds, phone + meetings) by (method, metric)."""
    return {(r["method"], r["metric"]): r for r in rows if r["task"] == TASK}


def test_reader_keeps_the_quirks(montagna_dir: Path) -> None:
    attrs = montagna_attributes(montagna_dir)
    assert attrs.index[0] == "N0"  # BOM stripped from the header
    assert attrs["family"].notna().sum() == 40  # "-77" is missing, not a family
    assert attrs["leader"].sum() == 10
    sight = montagna_edges(montagna_dir, ("sightings",))  # bare CR, columns i,j,weight
    assert len(sight) == 2 * 41 and sight["src"].str.match(r"^N\d+$").all()
    phone = montagna_edges(montagna_dir, ("phone",))
    assert len(phone) == 150 and phone["weight"].sum() == 276


def test_community_recovery(results: dict[str, dict[str, Any]]) -> None:
    both = results["multiplex consensus Leiden (phone+meetings)"]["value"]
    # measured 0.602 at seed 0, 0.598-0.602 over seeds 0-9 (the phone layer alone scores
    # 0.695, its singletons flatter NMI)
    assert both >= 0.58
    # chance-corrected, the second layer helps: ARI measured 0.558 vs 0.479 for phone only
    ari_both = results["multiplex consensus Leiden (phone+meetings) ARI"]["value"]
    ari_phone = results["consensus Leiden, phone layer only ARI"]["value"]
    assert ari_both >= 0.53
    assert ari_both > ari_phone + 0.05


@pytest.mark.xfail(
    strict=True,
    reason="issue 5 target NMI >= 0.70 not reached: 0.602 measured at seed 0; the variants "
    "that reach it do so by leaving one-off meeting attendees alone, found by looking at the "
    "labels, or break simulated group recovery (docs/analytics.md)",
)
def test_community_nmi_issue_target(results: dict[str, dict[str, Any]]) -> None:
    assert results["multiplex consensus Leiden (phone+meetings)"]["passes"]


def test_like_with_like_baselines_run_in_the_same_evaluation(
    like: dict[tuple[str, str], dict[str, Any]],
) -> None:
    # measured (seeds 0-9, mean / s.d.): plain Leiden NMI 0.574 / 0.020, ARI 0.490 / 0.050;
    # Louvain 0.588 / 0.019, 0.522 / 0.048; Infomap 0.599 / 0.011, 0.470 / 0.034
    bands = {
        (BASELINES[0], "NMI"): (0.54, 0.61),
        (BASELINES[0], "ARI"): (0.42, 0.56),
        (BASELINES[1], "NMI"): (0.55, 0.62),
        (BASELINES[1], "ARI"): (0.45, 0.59),
        (BASELINES[2], "NMI"): (0.57, 0.63),
        (BASELINES[2], "ARI"): (0.42, 0.53),
    }
    for key, (low, high) in bands.items():
        row = like[key]
        assert low <= row["value"] <= high, (key, row["value"])
        # the seeds really differ: each baseline moves with its seed
        assert 0.005 <= row["sd"] <= 0.08, (key, row["sd"])
        assert row["over"].startswith("mean of 10 seeds (s.d. 0.0")
        assert row["target"] is None and row["passes"] is None
    # the default is as steady as the issue asks (s.d. <= 0.02): measured 0.002 / 0.001
    for metric in ("NMI", "ARI"):
        assert like[(DEFAULT_METHOD, metric)]["sd"] <= 0.02
    # the default's target is the best baseline's mean: Infomap on NMI, Louvain on ARI
    assert like[(DEFAULT_METHOD, "NMI")]["target"] == like[(BASELINES[2], "NMI")]["value"]
    assert like[(DEFAULT_METHOD, "ARI")]["target"] == like[(BASELINES[1], "ARI")]["value"]


def test_default_above_the_best_baseline_on_the_same_layers(
    like: dict[tuple[str, str], dict[str, Any]],
) -> None:
    # issue 16 part 6: ARI and NMI each above the best of Leiden, Louvain and Infomap (means
    # of 10 seeds). Measured: NMI 0.600 against Infomap's 0.599 (a tie: the margin is below
    # the standard error of Infomap's mean, 0.004), ARI 0.557 against Louvain's 0.522
    nmi, ari = like[(DEFAULT_METHOD, "NMI")], like[(DEFAULT_METHOD, "ARI")]
    assert nmi["passes"] is True and nmi["value"] > nmi["target"]
    assert ari["passes"] is True and ari["value"] > ari["target"] + 0.02
    # s.d. 0.002 / 0.001: seed 0 is representative of the mean
    assert nmi["value"] == pytest.approx(0.600, abs=0.01)
    assert ari["value"] == pytest.approx(0.557, abs=0.01)


@pytest.mark.xfail(
    strict=True,
    reason="issue 16 part 6 goal NMI >= 0.65 and ARI >= 0.60 not reached: 0.600 / 0.557 "
    "(mean of 10 seeds, s.d. 0.002 / 0.001); no label-free variant in docs/analytics.md "
    "reaches both while keeping simulated group recovery >= 0.90",
)
def test_community_goal_beyond_the_baselines(
    like: dict[tuple[str, str], dict[str, Any]],
) -> None:
    nmi, ari = like[(DEFAULT_METHOD, "NMI")], like[(DEFAULT_METHOD, "ARI")]
    assert nmi["value"] >= 0.65 and ari["value"] >= 0.60


@pytest.mark.xfail(
    strict=True,
    reason="issue 16 part 6: leadership AUC >= 0.80 not reached: 0.762 (PageRank alone: no "
    "Montagna community's phone ordering passes the ordering test; docs/analytics.md)",
)
def test_leadership_auc_issue_target(results: dict[str, dict[str, Any]]) -> None:
    assert results["leadership score"]["value"] >= 0.80


def test_leadership_auc(results: dict[str, dict[str, Any]]) -> None:
    lead = results["leadership score"]["value"]
    # measured 0.762 = directed PageRank; undirected PageRank 0.679. No Montagna community's
    # phone ordering passes the ordering test (q >= 0.29), so no rank term is added: the
    # 0.825 measured before came from the old null's spurious significance (docs/analytics.md)
    assert lead >= 0.75
    assert lead == pytest.approx(results["PageRank, directed"]["value"])
    assert lead > results["PageRank, undirected"]["value"] + 0.05
    assert results["leadership score"]["passes"] is True


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6)), min_size=1, max_size=60),
)
def test_adjusted_rand_index_matches_sklearn(labels: list[tuple[int, int]]) -> None:
    t = np.asarray([a for a, _ in labels])
    f = np.asarray([b for _, b in labels])
    assert adjusted_rand_index(t, f) == pytest.approx(adjusted_rand_score(t, f), abs=1e-12)
    # singletons score 0 against any truth with a pair in one class, whatever NMI says
    if len(set(t.tolist())) < len(t):
        assert adjusted_rand_index(t, np.arange(len(t))) == pytest.approx(0.0, abs=1e-12)


def test_metrics_match_sklearn() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        t, f = rng.integers(0, 4, 50), rng.integers(0, 6, 50)
        assert normalized_mutual_information(t, f) == pytest.approx(
            normalized_mutual_info_score(t, f)
        )
        y = rng.random(40) < 0.3
        s = rng.integers(0, 5, 40).astype(float)  # with ties
        if y.any() and not y.all():
            assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s))
