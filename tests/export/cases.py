"""Small cases for export and report tests, built once per test process.

``simulated_case``: ``graphkit simulate`` (200 people, 14 days, 2 groups) ingested, built and
analysed, plus hypotheses in the shape the signals and gnn stages store them (a hand-off
between two phones, predicted links between actors) so that exports and reports have
something to show apart from the observed facts. ``hypotheses_case``: the resolved case
(persons with names, ``P…`` ids) with predicted links whose evidence reaches outside their
community, one without evidence, and a hand-off whose note names a person.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from graphkit.analytics.measures import AnalysisSpec
from graphkit.build import build_graph
from graphkit.ingest import ingest_file
from graphkit.pipeline import analyze
from graphkit.runfile import load_case_file
from graphkit.signals.stage import detect_blackouts_in_case, detect_handoffs_in_case
from graphkit.simulate import SimulationSpec, simulate
from graphkit.store import CaseStore

_BUILT: dict[str, Path] = {}
FAST = AnalysisSpec(n_runs=2, hierarchy_null_draws=20)


def add_hypotheses(store: CaseStore) -> None:
    """A hand-off and two predicted links inside community 0, as the stages write them."""
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        top = [
            r[0]
            for r in con.execute(
                "SELECT actor_id FROM analytics_actor "
                "WHERE CAST(community AS VARCHAR) IN ('0', 'C0') "
                "ORDER BY pagerank DESC, actor_id LIMIT 6"
            ).fetchall()
        ]
        old, new = top[0], top[5]
        evidence = {
            "contacts": 0.62,
            "shared_contacts": [top[1], top[2]],
            "imei": False,
            "note": f"{old} stopped 3 h before {new} started",
        }
        con.execute(
            "INSERT INTO rel_same_user_as VALUES (?, ?, 0.91, 0.5, 'handoff-logistic-1', ?, "
            "'hypothesis', NULL, NULL)",
            [old, new, json.dumps(evidence)],
        )
        for a, b, score in ((top[1], top[3], 0.87), (top[2], top[4], 0.64)):
            con.execute(
                "INSERT INTO rel_predicted_link VALUES (?, ?, ?, 0.5, 'gnn-link/sage/abc', ?, "
                "'hypothesis', NULL, NULL)",
                [a, b, score, json.dumps({"common_neighbours": 4, "via": [top[0]]})],
            )


def add_predicted_links(store: CaseStore, *, community: str = "C0", n: int = 4) -> None:
    """Predicted links between members of ``community`` in the shape ``gnn.evidence.
    pair_evidence`` stores them (shared contacts and two-hop paths over the actor graph, most
    of them outside the community first), one more link without evidence, and a hand-off
    whose evidence note names a person by full name and by the phone number as the source
    file wrote it."""
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        pairs = con.execute(
            """
            WITH e AS (SELECT src AS a, dst AS b FROM actor_edge
                       UNION SELECT dst, src FROM actor_edge),
                 m AS (SELECT actor_id FROM analytics_actor WHERE community = ?)
            SELECT x.a, y.a AS b, list(DISTINCT x.b ORDER BY x.b) AS shared,
                   count(DISTINCT x.b) FILTER (WHERE x.b NOT IN (SELECT actor_id FROM m))
                       AS outside
            FROM e x JOIN e y ON x.b = y.b AND x.a < y.a
            WHERE x.a IN (SELECT actor_id FROM m) AND y.a IN (SELECT actor_id FROM m)
              AND NOT EXISTS (SELECT 1 FROM e WHERE e.a = x.a AND e.b = y.a)
            GROUP BY ALL ORDER BY outside DESC, x.a, b LIMIT ?
            """,
            [community, n + 1],
        ).fetchall()
        insert = (
            "INSERT INTO rel_predicted_link (src, dst, score, threshold, model_version, "
            "evidence, status) VALUES (?, ?, ?, 0.5, 'gnn-link/sage/test', ?, 'hypothesis')"
        )
        for i, (a, b, shared, _) in enumerate(pairs[:n]):
            evidence = {
                "shared_contacts": shared[:10],
                "n_shared_contacts": len(shared),
                "paths": [[a, w, b] for w in shared[:5]],
                "shortest_path_hops": 2,
                "heuristics": {"common_neighbours": float(len(shared))},
                "top_features": [{"feature": "a:degree", "value": 3.0, "contribution": 0.5}],
            }
            con.execute(insert, [a, b, round(0.9 - i / 10, 2), json.dumps(evidence)])
        a, b, _, _ = pairs[n]
        con.execute(insert, [a, b, 0.55, None])
        row = con.execute(
            """
            SELECT p.full_name, s.msisdn, s.msisdn_raw, p.person_id
            FROM node_person p JOIN actor a ON a.actor_id = p.person_id
            JOIN src_subscribers s ON list_contains(a.phones, s.msisdn)
            WHERE s.msisdn_raw <> s.msisdn AND p.full_name LIKE '% %'
            ORDER BY p.person_id LIMIT 1
            """
        ).fetchone()
        assert row is not None, "the resolved case has a named person with a raw phone form"
        name, phone, raw, person = row
        ends = con.execute(
            "SELECT a.phones[1], b.phones[1] FROM actor a, actor b "
            "WHERE a.actor_id = ? AND b.actor_id = ?",
            [pairs[0][0], pairs[0][1]],
        ).fetchone()
        assert ends is not None
        old, new = ends
        evidence_text = {
            "shared_contacts": [phone],
            "shared_imei": [],
            "note": f"{name} (tel. {raw}, {person}) called both numbers",
        }
        con.execute(
            "INSERT INTO rel_same_user_as (src, dst, score, threshold, model_version, evidence, "
            "status) VALUES (?, ?, 0.8, 0.5, 'handoff-test', ?, 'hypothesis')",
            [old, new, json.dumps(evidence_text)],
        )


def hypotheses_case(root: Path) -> Path:
    """The resolved case with :func:`add_predicted_links` (cached per process)."""
    if "hypotheses" not in _BUILT:
        base = root / "hypotheses-case"
        shutil.copytree(resolved_case(root), base)
        add_predicted_links(CaseStore.open(base))
        _BUILT["hypotheses"] = base
    return _BUILT["hypotheses"]


def simulated_case(root: Path, *, signals: bool = False) -> Path:
    """Path of a built and analysed simulated case, cached per process. With ``signals``
    the blackout and hand-off stages run too (their real output replaces the planted
    hand-off)."""
    name = "signals" if signals else "sim"
    if name in _BUILT:
        return _BUILT[name]
    if signals:
        base = root / "signals-case"
        shutil.copytree(simulated_case(root), base)
        store = CaseStore.open(base)
        with store.operation("test fixture", operation="alteration"), store.connect() as con:
            con.execute("DELETE FROM rel_same_user_as")
        detect_blackouts_in_case(store)
        detect_handoffs_in_case(store)
        _BUILT[name] = base
        return base
    if "sim" not in _BUILT:
        base = root / "sim-base"
        result = simulate(base / "sim", spec=SimulationSpec(seed=7, people=120, days=14, groups=2))
        store = CaseStore.init(base / "case", name="simulated")
        for s in load_case_file(result.case_toml).sources:
            ingest_file(store, s.file, kind=s.kind, mapping_path=s.mapping, source_name=s.name)
        build_graph(store)
        analyze(store, seed=1, spec=FAST)
        add_hypotheses(store)
        _BUILT["sim"] = base / "case"
    return _BUILT["sim"]


def resolved_case(root: Path) -> Path:
    """A simulated case with entity resolution (Splink) before build and analyze."""
    if "resolved" not in _BUILT:
        from resolution.spec import ResolutionSpec
        from resolution.stage import resolve_case

        base = root / "resolved-base"
        result = simulate(base / "sim", spec=SimulationSpec(seed=11, people=150, days=14, groups=2))
        store = CaseStore.init(base / "case", name="resolved")
        for s in load_case_file(result.case_toml).sources:
            ingest_file(store, s.file, kind=s.kind, mapping_path=s.mapping, source_name=s.name)
        resolve_case(store, spec=ResolutionSpec(u_max_pairs=2e5))
        build_graph(store)
        analyze(store, seed=1, spec=FAST)
        _BUILT["resolved"] = base / "case"
    return _BUILT["resolved"]


def montagna_case(root: Path, montagna_dir: Path) -> Path:
    """The demo case: the four Montagna networks as contacts, built and analysed."""
    if "montagna" not in _BUILT:
        store = CaseStore.init(root / "montagna-case", name="montagna-demo")
        for name in ("phone", "meetings", "kinship", "sightings"):
            ingest_file(
                store, montagna_dir / f"{name}.csv", kind="contacts", source_name=f"montagna_{name}"
            )
        build_graph(store)
        analyze(store, seed=0, spec=FAST)
        _BUILT["montagna"] = store.path
    return _BUILT["montagna"]


def copy_case(source: Path, target: Path) -> CaseStore:
    shutil.copytree(source, target)
    return CaseStore.open(target)
