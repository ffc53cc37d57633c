"""Small cases for export and report tests, built once per test process.

``simulated_case``: ``graphkit simulate`` (200 people, 14 days, 2 groups) ingested, built and
analysed, plus hypotheses in the shape the signals and gnn stages store them (a hand-off
between two phones, predicted links between actors) so that exports and reports have
something to show apart from the observed facts.
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
