"""Hand-off recall on the harder cases (issue 19, item 8) of the project simulator.

Cases simulated with ``hard_handoffs`` (graphkit/simulate/handoff_cases.py): a successor used
briefly before (reused), an old number kept alive at low volume, weak contact overlap, no IMEI
in the records, and one group relabelling at once with most ties outside the group ended.
Each case is ingested and its hand-offs found by the stage function and scored by the
evaluator, IMEI withheld. Five seeds of 600 people over 28 days: 20 hand-offs of each
individual case, 61 in the relabelled groups. Measured (docs/signals.md): top-1 0.90-1.00
and top-3 0.90-1.00 per case; every assigned pair right. Without the new candidates (a number
taken up again, contact moves) the reused and kept-alive hand-offs get almost no candidate.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphkit.signals.evaluate import evaluate_handoffs, score_handoff_cases
from graphkit.signals.handoffs import detect_handoffs
from graphkit.signals.stage import _phone_silences, detect_handoffs_in_case
from graphkit.store import CaseStore

SEEDS = (1, 2, 3, 4, 5)
TOP1, TOP3 = 0.8, 0.9  # the targets, per case over the five seeds
CASES = ("group_relabel", "kept_alive", "no_imei", "reused", "weak_overlap")


def simulated_case(root: Path, seed: int) -> tuple[CaseStore, Path]:
    """A 600-person, 28-day case with the harder hand-offs, its call records ingested."""
    from graphkit.ingest import ingest_file
    from graphkit.runfile import load_case_file
    from graphkit.simulate import SimulationSpec, simulate

    spec = SimulationSpec(seed=seed, people=600, days=28, groups=2, hard_handoffs=True)
    result = simulate(root / "sim", spec=spec)
    store = CaseStore.init(root / "case", name=f"handoff-cases-{seed}")
    for s in load_case_file(result.case_toml).sources:
        if s.kind == "cdr":
            ingest_file(store, s.file, kind=s.kind, mapping_path=s.mapping, source_name=s.name)
    return store, root / "sim" / "truth"


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[CaseStore, Path]]:
    root = tmp_path_factory.mktemp("handoff_cases")
    return [simulated_case(root / f"s{seed}", seed) for seed in SEEDS]


def test_top1_and_top3_per_harder_case_meet_the_targets(
    cases: list[tuple[CaseStore, Path]],
) -> None:
    hits: dict[str, list[float]] = {c: [0.0, 0.0, 0.0] for c in CASES}  # planted, top1, top3
    assigned = right = 0.0
    for store, truth in cases:
        detect_handoffs_in_case(store, use_imei=False)
        evaluated = evaluate_handoffs(store, truth)
        assert evaluated is not None
        metrics = evaluated["metrics"]
        by_case = {r["case"]: r for r in evaluated["rows"]}
        assert set(by_case) == set(CASES)
        for case, m in by_case.items():
            hits[case][0] += m["planted"]
            hits[case][1] += m["top1_accuracy"] * m["planted"]
            hits[case][2] += m["top3_accuracy"] * m["planted"]
        assigned += metrics["assigned"]
        right += metrics["assigned_precision"] * metrics["assigned"]
        assert metrics["top1_accuracy"] >= 0.9  # the ordinary group hand-offs
    # false proposals stay rare: what is assigned is one user's numbers
    assert right / assigned >= 0.97, (right, assigned)
    for case, (planted, top1, top3) in hits.items():
        assert planted >= 20, case
        assert top1 / planted >= TOP1, (case, top1 / planted)
        assert top3 / planted >= TOP3, (case, top3 / planted)


def test_without_the_new_candidates_reused_and_kept_alive_are_missed(
    cases: list[tuple[CaseStore, Path]],
) -> None:
    """The same records with only numbers that stop and brand-new numbers as candidates."""
    from graphkit.ingest.call_records import load_cdr_events

    store, truth = cases[0]
    events = load_cdr_events(store)
    hard = pd.read_csv(truth / "hard_handoffs.csv", dtype=str, keep_default_na=False)
    silences = _phone_silences(events, min_events=20)
    before = detect_handoffs(events, silences=silences, use_imei=False, moves=False)
    after = detect_handoffs(events, silences=silences, use_imei=False)
    old, new = score_handoff_cases(before, hard), score_handoff_cases(after, hard)
    assert old["reused"]["top3_accuracy"] <= 0.25 < 0.9 <= new["reused"]["top3_accuracy"]
    assert old["kept_alive"]["top3_accuracy"] < new["kept_alive"]["top3_accuracy"]
    evidence = [e for e in after["evidence"] if e["moved_contacts"] > 0]
    assert evidence and all(e["moved_share"] > 0 for e in evidence)
    assert {e["start"] for e in after["evidence"]} >= {"new", "restarted"}


def test_without_cells_the_group_structure_carries_the_swaps(
    cases: list[tuple[CaseStore, Path]],
) -> None:
    """Records without cells or IMEI, hand-offs as the stage keeps them (its min_score,
    top_k): a group swapping at once is matched by its structure (weak mutual choices relabel
    the mates' numbers) and a successor with mostly new contacts by the few it kept, scored
    by how unlikely they are to be shared by chance. Measured on these five cases before
    the simulator drew hidden ties thin first and added tie meetings: the relabelled groups
    top-1 0.97, weak overlap 0.80 / 0.80, 175 of 178 assigned pairs right. After it (session
    9), 0.88 / 0.94, 0.65 / 0.70 and 169 of 175; now (a stop or restart read off 10 events
    or more, no fixed lines, the chance term's weight 7; docs/signals.md): the relabelled
    groups 0.90 / 0.94 (0.82 without the weak seeds, 0.72 without the chance term), weak
    overlap 0.80 / 0.85 (0.40 / 0.40 without the chance term), the ordinary group hand-offs
    top-1 0.95 (0.83); 173 of 175 assigned pairs right."""
    from graphkit.ingest.call_records import load_cdr_events
    from graphkit.signals.evaluate import score_handoffs
    from graphkit.signals.handoffs import HandoffWeights
    from graphkit.signals.stage import HandoffSettings

    stage = HandoffSettings()
    blanked = [
        (load_cdr_events(store).assign(cell_id=None, imei=None), truth) for store, truth in cases
    ]

    def pooled(seed_score: float, weights: HandoffWeights) -> tuple[dict[str, float], float]:
        hits: dict[str, list[float]] = {}
        assigned = right = 0.0
        for events, truth in blanked:
            silences = _phone_silences(events, min_events=20)
            found = detect_handoffs(
                events,
                silences=silences,
                seed_score=seed_score,
                weights=weights,
                min_score=stage.min_score,
                top_k=stage.top_k,
                match_score=stage.match_score,
            )
            hard = pd.read_csv(truth / "hard_handoffs.csv", dtype=str, keep_default_na=False)
            m = score_handoffs(
                found,
                pd.read_csv(truth / "handoffs.csv", dtype=str),
                swaps=pd.read_csv(truth / "swaps.csv", dtype=str),
                hard=hard,
            )
            assigned += m["assigned"]
            right += m["assigned_precision"] * m["assigned"]
            parts = {**m["cases"], "default": m}
            for case, c in parts.items():
                h = hits.setdefault(case, [0.0, 0.0, 0.0])
                h[0] += c["planted"]
                h[1] += c["top1_accuracy"] * c["planted"]
                h[2] += c["top3_accuracy"] * c["planted"]
        shares = {f"{c}_top{k}": h[i] / h[0] for c, h in hits.items() for i, k in ((1, 1), (2, 3))}
        return shares, right / assigned

    both, precision = pooled(0.02, HandoffWeights())
    strict, _ = pooled(2.0, HandoffWeights())  # no pair scores 2: confident and clear seeds
    no_chance, _ = pooled(0.02, HandoffWeights(beyond_chance=0.0))
    # the targets (top-1 0.8, top-3 0.9); the weak mutual seeds add to the clear ones
    # (the clear-seeds-only matching stayed below the target until the chance term's weight
    # rose from 5 to 7: 0.82 then)
    assert both["group_relabel_top1"] >= TOP1, both
    assert both["group_relabel_top1"] > strict["group_relabel_top1"], (both, strict)
    assert both["group_relabel_top3"] >= 0.9 > no_chance["group_relabel_top3"], (both, no_chance)
    assert both["weak_overlap_top1"] > 0.5 > no_chance["weak_overlap_top1"], both
    assert both["default_top1"] >= 0.9 > no_chance["default_top1"], (both, no_chance)
    assert precision >= 0.95
    met = both["weak_overlap_top1"] >= TOP1 and both["weak_overlap_top3"] >= TOP3
    if not met or precision < 0.97:  # top-3 not met since session 9 (docs/signals.md)
        pytest.xfail(
            f"without cells or IMEI: weak overlap top-1 {both['weak_overlap_top1']:.2f}, "
            f"top-3 {both['weak_overlap_top3']:.2f} (issue 19's thresholds {TOP1} / {TOP3}, "
            "here on a stricter variant than its cases: cell ids blanked too), "
            f"assigned pairs right {precision:.3f} (0.97); measured: of the 3 weak-overlap "
            "hand-offs not in the top 3, 2 share no contact with the successor's first two "
            "weeks and 1 shares one that 3 numbers starting beside it share too "
            "(docs/signals.md)"
        )
