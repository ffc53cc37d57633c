"""Accuracy on the Montagna operation (Cavallaro et al. 2020, CC BY 4.0): real thresholds.

Communities are judged against the mafia family (members with a known family), leadership
against the titles boss / underboss. The pipeline is the one ``analyze`` runs: layers
normalised, multiplex consensus Leiden, PageRank, SpringRank hierarchy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, roc_auc_score

from graphkit.analytics.centrality import centrality_table
from graphkit.analytics.communities import consensus_communities
from graphkit.analytics.graph import collapse, from_edges, normalise_layers
from graphkit.analytics.hierarchy import hierarchy_table
from tests.analytics import montagna


@pytest.fixture(scope="module")
def attrs(montagna_dir: Path):  # type: ignore[no-untyped-def]
    return montagna.attributes(montagna_dir)


def _graph(montagna_dir: Path, attrs, layers: tuple[str, ...]):  # type: ignore[no-untyped-def]
    return from_edges(montagna.edges(montagna_dir, layers), nodes=attrs.index)


def _families(g, attrs, membership: np.ndarray) -> tuple[list[str], np.ndarray]:  # type: ignore[no-untyped-def]
    ids = g.vs["name"]
    known = [i for i, v in enumerate(ids) if isinstance(attrs.at[v, "family"], str)]
    return [attrs.at[ids[i], "family"] for i in known], membership[known]


def test_reader_keeps_the_quirks(montagna_dir: Path, attrs) -> None:  # type: ignore[no-untyped-def]
    assert "node" not in attrs.columns and attrs.index[0] == "N0"  # BOM stripped
    assert attrs["family"].notna().sum() == 40  # "-77" is missing, not a family
    assert attrs["leader"].sum() == 10
    sight = montagna.edges(montagna_dir, ("sightings",))
    assert len(sight) > 2 and set(sight.columns) == {"src", "dst", "weight", "layer"}


def test_community_recovery_phones_and_meetings(montagna_dir: Path, attrs) -> None:  # type: ignore[no-untyped-def]
    both = normalise_layers(_graph(montagna_dir, attrs, ("phone", "meetings")))
    phone = _graph(montagna_dir, attrs, ("phone",))
    c = consensus_communities(both, seed=0)
    assert c.method == "leiden-multiplex-consensus"
    truth, found = _families(both, attrs, c.membership)
    nmi = normalized_mutual_info_score(truth, found)
    ari = adjusted_rand_score(truth, found)
    truth_p, found_p = _families(phone, attrs, consensus_communities(phone, seed=0).membership)
    ari_phone = adjusted_rand_score(truth_p, found_p)
    # measured: NMI 0.598, ARI 0.556 (phone layer alone: NMI 0.695, ARI 0.479)
    assert nmi >= 0.58
    assert ari >= 0.53
    assert ari > ari_phone + 0.05  # the second layer adds agreement beyond chance
    assert consensus_communities(both, seed=0).membership.tolist() == c.membership.tolist()


@pytest.mark.xfail(strict=True, reason="issue 5 target NMI >= 0.70 not reached: 0.60 measured; "
                   "see docs/analytics.md")
def test_community_nmi_issue_target(montagna_dir: Path, attrs) -> None:  # type: ignore[no-untyped-def]
    both = normalise_layers(_graph(montagna_dir, attrs, ("phone", "meetings")))
    truth, found = _families(both, attrs, consensus_communities(both, seed=0).membership)
    assert normalized_mutual_info_score(truth, found) >= 0.70


def test_leadership_auc(montagna_dir: Path, attrs) -> None:  # type: ignore[no-untyped-def]
    raw = _graph(montagna_dir, attrs, ("phone", "meetings"))
    g = normalise_layers(raw)
    c = consensus_communities(g, seed=0)
    table, _ = centrality_table(g, seed=0)
    h = hierarchy_table(raw, c.membership, table["pagerank"].to_numpy(), seed=0)
    leader = np.array([attrs.at[v, "leader"] for v in g.vs["name"]])
    auc = roc_auc_score(leader, h["leadership"])
    auc_pagerank = roc_auc_score(leader, table["pagerank"])
    undirected = collapse(g, directed=False)
    undirected_pr = np.asarray(undirected.pagerank(weights="weight"))
    # measured: leadership 0.825; directed PageRank 0.762; undirected PageRank 0.679
    assert auc >= 0.75
    assert auc > auc_pagerank
    assert roc_auc_score(leader, undirected_pr) < 0.72
