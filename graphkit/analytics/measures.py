"""All network measures for one actor graph, as plain frames (no case store involved).

:func:`analyze_edges` is the pure core of ``graphkit analyze``: edge frame in, one row per
actor and one per community out, each row with structured evidence and a sentence a person can
check. The sensitivity analysis calls it again on the edges of other entity-resolution
thresholds (:mod:`graphkit.analytics.sensitivity`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from graphkit.analytics.chain_claim import named_leader
from graphkit.analytics.explanations import OrderingGate, explain_actors
from graphkit.analytics.graph import collapse, edge_table, graph_of, normalise_layers
from graphkit.analytics.parallel import (
    PartClock,
    in_background,
    one_thread_each,
    start_workers_early,
)
from graphkit.analytics.projections import Projection, project
from graphkit.analytics.settings import AnalysisSpec

if TYPE_CHECKING:
    import igraph as ig

    from graphkit.analytics.brokers import KeyPlayers
    from graphkit.analytics.centrality import BetweennessEstimate
    from graphkit.analytics.graph import EdgeTable
    from graphkit.analytics.ordering import OrderingTest

__all__ = [
    "PARTS",
    "ActorAnalysis",
    "AnalysisSpec",
    "analyze_edges",
    "prepare_contacts",
    "prepare_edges",
]

log = logging.getLogger(__name__)

PARTS = ("communities", "centrality", "hierarchy", "brokers")
_NEEDS = {
    "communities": set(),
    "centrality": set(),
    "hierarchy": {"communities", "centrality"},
    "brokers": {"communities", "centrality"},
}


@dataclass(frozen=True)
class ActorAnalysis:
    """Result of :func:`analyze_edges`: per-actor rows, per-community rows, key players."""

    actors: pd.DataFrame
    communities: pd.DataFrame
    key_players: pd.DataFrame
    summary: dict[str, object]


def _named_by(layer: str, tokens: Iterable[str]) -> bool:
    """A ``contact:*`` (or other) layer whose name contains one of ``tokens``."""
    name = layer.removeprefix("contact:").lower()
    return any(t.lower() in name for t in tokens)


def _is_directed(layer: str, tokens: Iterable[str]) -> bool:
    return layer in ("calls", "sms", "money") or _named_by(layer, tokens)


def is_money_layer(layer: str, tokens: Iterable[str]) -> bool:
    """A layer that moves money (``money`` or a ``contact:*`` layer named by ``tokens``)."""
    return layer == "money" or (layer.startswith("contact:") and _named_by(layer, tokens))


def prepare_edges(edges: pd.DataFrame, spec: AnalysisSpec) -> tuple[pd.DataFrame, list[str]]:
    """Pool sparse layers, mirror symmetric ones; returns the edges and the directed layers."""
    e = edges[["src", "dst", "weight", "layer"]].copy()
    if isinstance(e["layer"].dtype, pd.CategoricalDtype):  # codes, as the case reads them
        e["layer"] = e["layer"].cat.rename_categories([str(x) for x in e["layer"].cat.categories])
        sizes = e["layer"].value_counts(sort=False)
        sizes = sizes[sizes > 0]
    else:
        e["layer"] = e["layer"].astype(str)
        sizes = e.groupby("layer")["src"].size()
    small = [
        x for x, n in sizes.items() if n < spec.min_layer_edges and str(x).startswith("contact:")
    ]
    if small and len(small) < len(sizes):
        layer = e["layer"]
        if isinstance(layer.dtype, pd.CategoricalDtype) and "contact:other" not in (
            layer.cat.categories
        ):
            e["layer"] = layer.cat.add_categories(["contact:other"])
        e.loc[e["layer"].isin(small), "layer"] = "contact:other"
    present = sorted(str(x) for x in e["layer"].unique())  # a categorical: only those used
    directed = [x for x in present if _is_directed(x, spec.directed_tokens)]
    return _mirrored(e, e["layer"], directed), directed


def _mirrored(frame: pd.DataFrame, layer: pd.Series, directed: list[str]) -> pd.DataFrame:
    """``frame`` with each row of a layer not in ``directed`` also read the other way round
    (``src`` and ``dst`` swapped), after the rows as given; the same rows (index reset)
    when every layer is directed: no copy of a large frame."""
    mirror = frame[~layer.isin(directed)]
    if mirror.empty:
        return frame.reset_index(drop=True)
    flipped = mirror.rename(columns={"src": "dst", "dst": "src"})
    return pd.concat([frame, flipped], ignore_index=True)


def prepare_contacts(contacts: pd.DataFrame, spec: AnalysisSpec) -> pd.DataFrame:
    """Time-stamped contacts as the relayed-orders tests read them: a contact of a symmetric
    layer (the ``layer`` column, named as in :func:`prepare_edges`; none = call records,
    directed) is read both ways, each end in turn the one whose contact may be passed on.

    Relayed orders rest on time, not on who dialled: an order passed from ``A`` through ``X``
    to ``Y`` puts ``X``'s contact with ``Y`` after ``X``'s contact with ``A``, whichever end
    placed either. So a chain head is found in contacts read without direction too (the
    simulated timed cases: bosses in the top 5 % of the leaders view in 19 of 20 groups
    either way, docs/analytics.md "Direction: both readings").
    """
    if "layer" not in contacts.columns:
        return contacts
    layer = contacts["layer"].astype(str)
    directed = [x for x in layer.unique().tolist() if _is_directed(x, spec.directed_tokens)]
    return _mirrored(contacts, layer, directed)


def analyze_edges(
    edges: pd.DataFrame,
    *,
    actors: Iterable[str],
    seed: int,
    spec: AnalysisSpec | None = None,
    only: Iterable[str] | None = None,
    contacts: pd.DataFrame | None = None,
    communities: Mapping[str, int] | None = None,
) -> ActorAnalysis:
    """Communities, centrality, hierarchy and brokers of an actor graph.

    ``edges`` has ``src``, ``dst``, ``weight``, ``layer`` (see :func:`prepare_edges` for how
    layers are treated); ``actors`` lists every actor (isolated ones included). ``only``
    picks parts from :data:`PARTS` (their prerequisites run too). ``contacts``: time-stamped
    contacts between actors (:func:`graphkit.analytics.relays.load_actor_contacts`; those of a
    symmetric ``layer`` are read both ways, :func:`prepare_contacts`); when given,
    the hierarchy part also measures relayed orders and folds them into ``leadership``
    (:func:`graphkit.analytics.hierarchy.leadership_with_relays`). ``communities``: actor id ->
    community label, held as given instead of detected (the ER sensitivity's re-runs hold the
    case's communities, :func:`graphkit.analytics.sensitivity_case.held_communities`); every
    actor must have one. Deterministic for ``seed``. The summary's ``seconds_by_part`` says
    where the time went (``wall`` and ``cpu``). Native thread pools run one thread each
    meanwhile (:func:`one_thread_each`).
    """
    with one_thread_each():
        return _analyze_edges(
            edges,
            actors=actors,
            seed=seed,
            spec=spec,
            only=only,
            contacts=contacts,
            held=communities,
        )


def _analyze_edges(
    edges: pd.DataFrame,
    *,
    actors: Iterable[str],
    seed: int,
    spec: AnalysisSpec | None,
    only: Iterable[str] | None,
    contacts: pd.DataFrame | None,
    held: Mapping[str, int] | None = None,
) -> ActorAnalysis:
    from graphkit.analytics.centrality import pagerank_of
    from graphkit.analytics.communities import consensus_communities, held_partition

    spec = spec or AnalysisSpec()
    wanted = set(PARTS if only is None else only)
    unknown = wanted - set(PARTS)
    if unknown:
        raise ValueError(f"unknown analysis part(s) {sorted(unknown)}")
    for part in list(wanted):
        wanted |= _NEEDS[part]
    clock = PartClock()
    given = 0 if contacts is None else len(contacts)
    if contacts is not None:
        contacts = prepare_contacts(contacts, spec)
    if spec.workers > 1:
        start_workers_early()  # its imports overlap the graph's construction
    with clock("graph"):
        prepared, directed = prepare_edges(edges, spec)
        # the ordering test reads communication only (see AnalysisSpec.money_tokens)
        ordering_layers = [x for x in directed if not is_money_layer(x, spec.money_tokens)]
        table_e = edge_table(prepared, nodes=actors)
        raw = graph_of(table_e)
        g = normalise_layers(raw)
        names = raw.vs["name"]
        ids = np.asarray(names, dtype=object)
        n = len(ids)
        layer_list = sorted(set(raw.es["layer"])) if raw.ecount() else []
        single_layer = len(layer_list) <= 1
        # The two projections every measure shares, built once from edge arrays (reading
        # edges back out of igraph costs as much as building a graph).
        src, dst = table_e.src, table_e.dst  # raw's edges, in its order
        weight = np.asarray(g.es["weight"], dtype=float) if raw.ecount() else np.zeros(0)
        if single_layer:  # raw's edges are already one per (src, dst), in project()'s order
            d = Projection(collapse(g, directed=True), src, dst, weight)
        else:
            d = project(n, src, dst, weight, directed=True, names=names)
        u = project(n, src, dst, weight, directed=False, names=names)
        del src, dst, weight
    table = pd.DataFrame({"actor_id": ids})
    summary: dict[str, object] = {
        "actors": n,
        "edges": raw.ecount(),
        "layers": layer_list,
        "directed_layers": directed,
        "ordering_layers": ordering_layers,
        "parts": sorted(wanted),
    }
    membership = np.zeros(n, dtype=np.int64)
    communities = pd.DataFrame()
    ordering_table: pd.DataFrame | None = None
    kp_frame = pd.DataFrame(columns=["rank", "actor_id", "fragmentation_after"])

    # With workers, centrality (which needs no communities) runs in a worker process beside
    # the consensus, filling the core its Leiden runs leave idle; the hierarchy, which needs
    # only its PageRank, then runs while the worker finishes (betweenness outlasts the
    # consensus on large graphs: at 1M actors it went on alone for 64 s)
    beside = (
        "centrality" in wanted and "communities" in wanted and spec.workers > 1 and held is None
    )
    hierarchy_first = beside and "hierarchy" in wanted
    pagerank = None
    if hierarchy_first:
        with clock("pagerank"):
            pagerank = pagerank_of(d.graph)
    pending = in_background(_centrality, d, u, seed, spec, pagerank) if beside else None
    if "communities" in wanted:
        with clock("communities" + (" (centrality beside)" if beside else "")):
            c = (
                held_partition(u.graph, [held[a] for a in names])
                if held is not None
                else consensus_communities(
                    u.graph if single_layer else g,
                    seed=seed,
                    n_runs=spec.n_runs,
                    threshold=spec.consensus_threshold,
                    resolution=spec.resolution,
                    layer_weights=spec.layer_weights or None,
                    workers=spec.workers,
                    multiplex_iterations=spec.multiplex_iterations,
                    stop_disagreement=spec.consensus_stop_disagreement,
                )
            )
        membership = c.membership
        table["community"] = membership
        table["community_confidence"] = c.confidence
        summary.update(
            communities=c.n_communities,
            community_method=c.method,
            modularity=round(c.modularity, 6),
            consensus_runs=c.n_runs,
            consensus_rounds=c.rounds,
            consensus_converged=c.converged,
        )
    del g
    ordered = (raw, membership, ids, ordering_layers, contacts, table_e, seed, spec)
    h = None
    if pagerank is not None:  # the hierarchy first, beside centrality
        with clock("hierarchy (centrality beside)"):
            h, ordering = _hierarchy_part(*ordered, pagerank=pagerank)
    if "centrality" in wanted:
        with clock("centrality (rest)" if pending else "centrality"):
            cent, between = pending() if pending else _centrality(d, u, seed, spec)
        table = pd.concat([table, cent.drop(columns=["actor_id"])], axis=1)
        summary.update(
            betweenness_exact=between.exact,
            betweenness_pivots=between.pivots,
            betweenness_epsilon=between.epsilon,
            betweenness_delta=between.delta,
            betweenness_error_bound=between.error_bound,
        )
    pending_brokers = None
    beside_h = False
    if "brokers" in wanted:
        betweenness = table["betweenness"].to_numpy()

        # with workers, beside the hierarchy (the brokers need no hierarchy) unless the
        # hierarchy ran beside centrality
        beside_h = spec.workers > 1 and "hierarchy" in wanted and h is None
        pending_brokers = (
            in_background(_broker_frames, d, u, membership, betweenness, spec)
            if beside_h
            else partial(_broker_frames, d, u, membership, betweenness, spec)
        )
    if "hierarchy" in wanted:
        if h is None:
            with clock("hierarchy"):
                h, ordering = _hierarchy_part(*ordered, pagerank=table["pagerank"].to_numpy())
        ordering_table = ordering.table
        summary["hierarchy_test"] = ordering.test
        summary["hierarchies_stated"] = int(ordering.table["stated"].sum())
        summary["orderings_stated"] = int(ordering.table["ordering_stated"].sum())
        summary["hierarchies_stated_by_relays"] = int(ordering.table["relay_test_stated"].sum())
        table = pd.concat([table, h], axis=1)
        if contacts is not None:
            with clock("hierarchy"):
                table = _with_relays(table, contacts, spec)
    if pending_brokers is not None:
        full, bridge, kp, broker_clock = pending_brokers()
        suffix = " (beside hierarchy)" if beside_h else ""
        for part in broker_clock.wall:
            clock.wall[part + suffix] = broker_clock.wall[part]
            clock.cpu[part + suffix] = broker_clock.cpu[part]
        table = pd.concat([table, full, bridge], axis=1)
        table["fragmentation_gain"] = kp.single["fragmentation_gain"].to_numpy()
        table["pieces_if_removed"] = kp.single["pieces"].to_numpy()
        kp_frame = pd.DataFrame(
            {
                "rank": np.arange(1, len(kp.greedy_set) + 1),
                "actor_id": ids[list(kp.greedy_set)] if kp.greedy_set else [],
                "fragmentation_after": list(kp.greedy_fragmentation),
            }
        )
        summary["fragmentation"] = kp.base
    with clock("explanations"):
        if "communities" in wanted:
            communities = _community_rows(u, table, membership, ordering_table)
        gate = (
            OrderingGate(
                effect=ordering_table["effect"].to_numpy(dtype=float)[membership],
                fdr=float(spec.hierarchy_significance),
                min_effect=float(spec.hierarchy_min_effect),
            )
            if ordering_table is not None and len(ordering_table)
            else None
        )
        made = summary.get("consensus_runs")
        runs_made = made if isinstance(made, int) else None
        table["evidence"], table["explanation"] = explain_actors(
            raw, table, directed, ordering=gate, consensus_runs=runs_made
        )
        if "relay_evidence" in table.columns:
            passed = (
                ordering_table["relay_test_stated"].to_numpy(dtype=bool)[membership]
                if ordering_table is not None and "relay_test_stated" in ordering_table
                else np.zeros(len(table), dtype=bool)
            )
            table = _explain_relays(table, passed)
            summary["relay_chain_heads"] = int((table["relay_tier"] == 2).sum())
            summary["relay_middle_links"] = int((table["relay_tier"] == 1).sum())
            # what the relayed-orders tests read: time-stamped contacts, and how many of them
            # (a symmetric layer's) were read both ways
            summary["relay_contacts"] = given
            summary["relay_contacts_read_both_ways"] = (
                0 if contacts is None else len(contacts) - given
            )
    summary["seconds_by_part"] = clock.summary()
    log.info("analysis seconds by part: %s", clock.wall)
    return ActorAnalysis(table, communities, kp_frame, summary)


def _centrality(
    d: Projection,
    u: Projection,
    seed: int,
    spec: AnalysisSpec,
    pagerank: np.ndarray | None = None,
) -> tuple[pd.DataFrame, BetweennessEstimate]:
    from graphkit.analytics.centrality import centrality_table

    return centrality_table(
        d.graph,
        seed=seed,
        exact_max_vertices=spec.exact_betweenness_max,
        max_pivots=spec.betweenness_pivots,
        undirected=u.graph,
        pagerank=pagerank,
    )


def _hierarchy_part(
    raw: ig.Graph,
    membership: np.ndarray,
    ids: np.ndarray,
    ordering_layers: list[str],
    contacts: pd.DataFrame | None,
    table_e: EdgeTable,
    seed: int,
    spec: AnalysisSpec,
    *,
    pagerank: np.ndarray,
) -> tuple[pd.DataFrame, OrderingTest]:
    """The hierarchy's columns (superiors as actor ids, levels) and the ordering test."""
    from graphkit.analytics.hierarchy import hierarchy_analysis

    relay = None
    if contacts is not None:  # the second route to a chain of command
        from graphkit.analytics.relay_test import relay_community_test

        relay = relay_community_test(
            contacts,
            dict(zip(ids.tolist(), membership.tolist(), strict=True)),
            window_s=spec.relay_window_s,
        )
    # hierarchy_table keeps only the ``directed`` layers itself
    h, ordering = hierarchy_analysis(
        raw,
        membership,
        pagerank,
        seed=seed,
        n_null=spec.hierarchy_null_draws,
        significance=spec.hierarchy_significance,
        min_effect=spec.hierarchy_min_effect,
        null=spec.hierarchy_null,
        directed=ordering_layers,
        rank_direction=spec.rank_direction,
        relay=relay,
        min_relay_ratio=spec.hierarchy_min_relay_ratio,
        edges=table_e,
    )
    h["superior"] = np.where(h["superior"] >= 0, ids[np.maximum(h["superior"], 0)], None)
    h["level"] = h["level"].astype("Int64").mask(h["level"] < 0)
    return h, ordering


def _with_relays(table: pd.DataFrame, contacts: pd.DataFrame, spec: AnalysisSpec) -> pd.DataFrame:
    from graphkit.analytics.hierarchy import leadership_with_relays
    from graphkit.analytics.relays import relay_table

    relays = relay_table(
        contacts,
        actor_to_community=dict(zip(table["actor_id"], table["community"], strict=True)),
        window_s=spec.relay_window_s,
        significance=spec.hierarchy_significance,
    )
    cols = ["relay_tier", "relay_calls", "relay_onward", "relay_expected", "relay_q_value"]
    out = table.merge(relays[["actor_id", *cols, "relay_evidence"]], on="actor_id", how="left")
    out["relay_tier"] = out["relay_tier"].fillna(0).astype(np.int64)
    out["leadership"] = leadership_with_relays(out["leadership"].to_numpy(), out["relay_tier"])
    # a chain head passes orders down and relays none: call direction's guess of a superior
    # for it (often one of its own relayers) would contradict that evidence. Its level is
    # the top only where its community's ordering is stated: levels exist only there
    head = (out["relay_tier"] == 2).to_numpy()
    stated = out["ordering_stated"].fillna(False).to_numpy(dtype=bool)
    out["level"] = out["level"].mask(head & stated, 0)
    out["superior"] = out["superior"].where(~head, None)
    out["superior_probability"] = np.where(head, np.nan, out["superior_probability"])
    return out


def _explain_relays(table: pd.DataFrame, confirmed: np.ndarray) -> pd.DataFrame:
    """Each actor's relay sentence and evidence; ``confirmed``: per actor, whether its
    community passed the relayed-orders test (the tier is worded as a chain only there)."""
    from graphkit.analytics.relays import explain_relay

    evidence, texts = [], []
    for ev, text, row, passed in zip(
        table["evidence"],
        table["explanation"],
        table.to_dict("records"),
        confirmed.tolist(),
        strict=True,
    ):
        relay, sentence = explain_relay(row, confirmed=bool(passed))
        evidence.append({**ev, "relay": relay} if relay else ev)
        texts.append(f"{text}; {sentence}" if sentence else text)
    return table.drop(columns=["relay_evidence"]).assign(evidence=evidence, explanation=texts)


def _broker_frames(
    d: Projection,
    u: Projection,
    membership: np.ndarray,
    betweenness: np.ndarray,
    spec: AnalysisSpec,
) -> tuple[pd.DataFrame, pd.DataFrame, KeyPlayers, PartClock]:
    """Brokerage (for the most between actors on large graphs), bridging and key players,
    with their own timings (this may run in a worker process)."""
    from graphkit.analytics.brokers import bridging, brokerage_roles, key_players

    clock = PartClock()
    n = len(membership)
    with clock("brokerage"):
        order = np.argsort(-betweenness, kind="stable")
        cand = (
            np.sort(order[: spec.broker_candidates]).tolist()
            if n > spec.broker_candidates
            else None
        )
        roles = brokerage_roles(d, membership, vertices=cand)
        full = pd.DataFrame({"vertex": np.arange(n)}).merge(roles, on="vertex", how="left")
        full["broker_role"] = full["broker_role"].fillna("none")
        full = full.drop(columns=["vertex"]).fillna({"brokerage": 0})
    with clock("bridging"):
        bridge = bridging(u, membership)
    with clock("key_players"):
        kp = key_players(u, set_size=spec.key_player_set)
    return full, bridge, kp, clock


_RELAY_COLUMNS = (
    "relay_test_p_value",
    "relay_test_q_value",
    "relay_test_stated",
    "relay_test_source",
    "relay_test_onward",
    "relay_test_onward_before",
    "relay_test_ratio",
    "relay_test_sources",
)


def _community_rows(
    u: Projection, table: pd.DataFrame, membership: np.ndarray, ordering: pd.DataFrame | None
) -> pd.DataFrame:
    """Per community: size, ties inside (undirected pairs), density, leader, confidence, and
    the ordering test (:mod:`graphkit.analytics.ordering`) when the hierarchy part ran."""
    a, b = u.src, u.dst
    inside = membership[a] == membership[b] if len(a) else np.zeros(0, bool)
    k = int(membership.max()) + 1 if len(membership) else 0
    size = np.bincount(membership, minlength=k)
    ties = np.bincount(membership[a[inside]], minlength=k) if len(a) else np.zeros(k)
    pairs = size * (size - 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        density = np.where(pairs > 0, ties / np.maximum(pairs, 1), np.nan)
    rows = pd.DataFrame({"community": np.arange(k), "size": size, "ties": ties, "density": density})
    if "leadership" in table.columns:
        # the first member by leadership is named the community's leader only where a test
        # passed for it (chain_claim.named_leader); otherwise it is first in a ranking, which
        # the views show as such (top members), not as a leader
        top = table.sort_values(["community", "leadership"], ascending=[True, False])
        lead = top.groupby("community").head(1).set_index("community")
        relay_ok, ordered = (
            (
                ordering.get("relay_test_stated", pd.Series(False, index=ordering.index)),
                ordering["ordering_stated"],
            )
            if ordering is not None
            else (pd.Series(dtype=bool), pd.Series(dtype=bool))
        )
        tested = [
            named_leader(
                relay_tier=row.get("relay_tier"),
                relay_confirmed=relay_ok.get(c, False),
                ordering_stated=ordered.get(c, False),
                level=row.get("level"),
            )
            for c, row in zip(lead.index, lead.to_dict("records"), strict=True)
        ]
        ids = lead["actor_id"].to_numpy(dtype=object)
        named = pd.Series(np.where(np.asarray(tested, dtype=bool), ids, None), index=lead.index)
        rows["leader"] = named.reindex(rows["community"]).to_numpy(dtype=object)
    if ordering is not None:
        rows["hierarchy_stated"] = ordering["stated"].to_numpy(dtype=bool)
        rows["hierarchy_p_value"] = ordering["p_value"].to_numpy(dtype=float)
        rows["hierarchy_q_value"] = ordering["q_value"].to_numpy(dtype=float)
        rows["hierarchy_effect"] = ordering["effect"].to_numpy(dtype=float)
        rows["downward_share"] = ordering["downward_share"].to_numpy(dtype=float)
        rows["expected_downward_share"] = ordering["null_downward_share"].to_numpy(dtype=float)
        rows["hierarchy_draws"] = ordering["draws"].to_numpy(dtype=np.int64)
        rows["hierarchy_basis"] = ordering["basis"].to_numpy(dtype=object)
        rows["ordering_stated"] = ordering["ordering_stated"].to_numpy(dtype=bool)
        for column in _RELAY_COLUMNS:
            if column in ordering:
                rows[column] = ordering[column].to_numpy()
    if "community_confidence" in table.columns:
        conf = table.groupby("community")["community_confidence"].mean()
        rows["mean_confidence"] = conf.reindex(rows["community"]).to_numpy()
    return rows
