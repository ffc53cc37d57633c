"""Relayed contacts: follow-up counting against brute force, the null model, chain tiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.analytics.hierarchy import leadership_with_relays
from graphkit.analytics.relays import (
    _exposure_hours,
    _follow_ups,
    explain_relay,
    relay_table,
)

T0 = pd.Timestamp("2024-01-08T00:00:00Z")  # a Monday


def _frame(rows: list[tuple[str, str, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "src": [r[0] for r in rows],
            "dst": [r[1] for r in rows],
            "start": [T0 + pd.Timedelta(seconds=r[2]) for r in rows],
            "duration_s": [r[3] for r in rows],
        }
    )


def _background(rng: np.random.Generator, people: list[str], days: int, per_day: float) -> list:
    """Independent contacts at random times (a Poisson process per person): no relays."""
    rows = []
    for p in people:
        n = rng.poisson(per_day * days)
        times = rng.uniform(0, days * 86_400, n)
        others = [q for q in people if q != p]
        for t in times:
            rows.append((p, others[rng.integers(len(others))], float(t), int(rng.integers(0, 300))))
    return rows


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 5000), st.integers(0, 50)),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 900),
)
def test_follow_ups_match_brute_force(rows: list[tuple[int, int, int, int]], window: int) -> None:
    rows = [r for r in rows if r[0] != r[1]]
    if not rows:
        return
    a = np.array([r[0] for r in rows], dtype=np.int64)
    x = np.array([r[1] for r in rows], dtype=np.int64)
    t = np.array([r[2] for r in rows], dtype=np.int64)
    d = np.array([r[3] for r in rows], dtype=np.int64)
    got = _follow_ups(a, x, t, t + d + window, max_follow=50)
    for i in range(len(rows)):
        expected = sum(
            1
            for j in range(len(rows))
            if a[j] == x[i] and t[i] < t[j] <= t[i] + d[i] + window and x[j] != a[i]
        )
        assert got[i] == expected


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 400 * 3600), st.integers(0, 600 * 3600))
def test_exposure_hours_match_enumeration(first_s: int, span_s: int) -> None:
    bins = np.arange(48)
    first, last = np.full(48, first_s), np.full(48, first_s + span_s)
    got = _exposure_hours(first, last, bins)
    expected = np.zeros(48)
    for h in range(first_s // 3600, (first_s + span_s) // 3600 + 1):
        weekday = (h // 24 + 3) % 7
        expected[h % 24 + 24 * (weekday >= 5)] += 1
    np.testing.assert_array_equal(got, expected)


def test_a_boss_whose_orders_are_passed_on_heads_the_chain() -> None:
    rng = np.random.default_rng(0)
    people = [f"P{i}" for i in range(12)]
    rows = _background(rng, people, days=21, per_day=6.0)
    # B calls L twice a day; every time L calls two of his crew within ten minutes
    for day in range(21):
        for hour in (10, 16):
            t = day * 86_400 + hour * 3600 + float(rng.integers(0, 1800))
            rows.append(("B", "L", t, 60))
            rows.append(("L", "S1", t + 60 + 240, 30))
            rows.append(("L", "S2", t + 60 + 480, 30))
    rows += [("L", "S1", float(rng.uniform(0, 21 * 86_400)), 40) for _ in range(40)]
    out = relay_table(_frame(rows)).set_index("actor_id")
    assert out.loc["B", "relay_tier"] == 2
    assert out.loc["B", "relay_onward"] >= 84  # both crew calls follow every order
    # L's own rate in those hours includes the relays, so the null expects many (conservative)
    assert out.loc["B", "relay_expected"] < out.loc["B", "relay_onward"] / 1.5
    assert out.loc["L", "relay_tier"] == 0  # L relays: a relayer, not a source
    assert out.loc["L", "relayer_q_value"] < 0.05
    top = out.loc["B", "relay_evidence"]
    assert top["callee"] == "L" and top["calls"] == 42 and top["followed"] == 42
    # the background people relay nothing beyond chance
    assert (out.loc[people, "relay_tier"] == 0).all()


def test_independent_calls_give_no_chain_heads_and_calibrated_p_values() -> None:
    rng = np.random.default_rng(1)
    people = [f"P{i}" for i in range(40)]
    out = relay_table(_frame(_background(rng, people, days=21, per_day=8.0)))
    assert (out["relay_tier"] == 0).all()
    p = out["relay_p_value"].dropna().to_numpy()
    assert len(p) == 40
    # under the null the p-values are not small: few below 0.05, median well above
    assert (p < 0.05).sum() <= 4
    assert np.median(p) > 0.2
    # expected and observed follow-ups agree over everyone (within 10%)
    assert abs(out["relay_onward"].sum() / out["relay_expected"].sum() - 1) < 0.1


def test_community_restriction_ignores_follow_ups_outside_it() -> None:
    rows = []
    for k in range(30):
        t = k * 86_400 / 2 + 36_000
        rows += [("B", "L", t, 60), ("L", "OUT", t + 300, 30), ("L", "S", t + 90_000 / 3, 30)]
    frame = _frame(rows)
    everyone = relay_table(frame).set_index("actor_id")
    assert everyone.loc["B", "relay_onward"] == 30
    inside = relay_table(frame, actor_to_community={"B": 0, "L": 0, "S": 0, "OUT": 1}).set_index(
        "actor_id"
    )
    assert inside.loc["B", "relay_onward"] == 0 and inside.loc["B", "relay_tier"] == 0
    assert "OUT" not in inside.index or inside.loc["OUT", "relay_calls"] == 0


def test_explanation_names_the_counts() -> None:
    row = {
        "relay_calls": 15,
        "relay_onward": 27,
        "relay_expected": 3.14,
        "relay_q_value": 1e-6,
        "relay_tier": 2,
        "relay_evidence": {
            "callee": "X",
            "calls": 15,
            "followed": 12,
            "onward": 27,
            "expected": 3.1,
            "window_min": 30.0,
        },
    }
    evidence, text = explain_relay(row)
    assert evidence["tier"] == 2 and evidence["top_callee"]["followed"] == 12
    assert "head of a relay chain" in text
    assert "12 of 15 contacts to X were followed within 30 min" in text
    assert "expected 3.1" in text
    assert explain_relay({"relay_calls": 0}) == ({}, "")
    _, quiet = explain_relay({**row, "relay_tier": 0})
    assert quiet == ""


def test_leadership_with_relays_puts_tiers_first_and_keeps_order_within() -> None:
    base = np.array([0.9, 0.2, 0.5, 0.99])
    tier = np.array([0, 2, 1, 0])
    out = leadership_with_relays(base, tier)
    assert list(np.argsort(-out)) == [1, 2, 3, 0]
    assert ((out > 0) & (out < 1)).all()
    same = leadership_with_relays(base, np.zeros(4))
    assert list(np.argsort(-same)) == list(np.argsort(-base))


def test_analyze_edges_folds_relays_into_leadership_and_explains_them() -> None:
    from graphkit.analytics.measures import AnalysisSpec, analyze_edges

    rng = np.random.default_rng(3)
    crew = ["L", "S1", "S2", "S3", "S4"]
    rows = _background(rng, crew, days=21, per_day=10.0)
    for day in range(21):
        t = day * 86_400 + 11 * 3600 + float(rng.integers(0, 3600))
        rows += [("B", "L", t, 60), ("L", "S1", t + 400, 30), ("L", "S2", t + 700, 30)]
    contacts = _frame(rows)
    edges = (
        contacts.groupby(["src", "dst"]).size().rename("weight").reset_index().assign(layer="calls")
    )
    spec = AnalysisSpec(n_runs=2, hierarchy_null_draws=19)
    result = analyze_edges(
        edges, actors=["B", *crew], seed=0, spec=spec, only=["hierarchy"], contacts=contacts
    )
    table = result.actors.set_index("actor_id")
    assert table.loc["B", "relay_tier"] == 2
    assert table["leadership"].idxmax() == "B"
    # a chain head has no superior; its level is the top only where an ordering is stated:
    # here the chain of command is stated by relayed orders alone, so no levels are drawn
    assert table["hierarchy_stated"].all() and not table["ordering_stated"].any()
    assert table["level"].isna().all()
    assert result.communities["hierarchy_basis"].tolist() == ["relayed orders"]
    assert table.loc["B", "superior"] is None
    assert "head of a relay chain" in table.loc["B", "explanation"]
    assert table.loc["B", "evidence"]["relay"]["top_callee"]["callee"] == "L"
    assert result.summary["relay_chain_heads"] == 1
    assert result.summary["relay_contacts"] == len(contacts)
    assert result.summary["relay_contacts_read_both_ways"] == 0  # call records: as placed
    # the same contacts as a meeting log (a symmetric layer): each read both ways, and the
    # chain head is still the one found
    logged = analyze_edges(
        edges.assign(layer="contact:meetings"),
        actors=["B", *crew],
        seed=0,
        spec=spec,
        only=["hierarchy"],
        contacts=contacts.assign(layer="contact:meetings"),
    )
    assert logged.summary["relay_contacts_read_both_ways"] == len(contacts)
    tiers = logged.actors.set_index("actor_id")["relay_tier"]
    assert tiers["B"] == 2 and (tiers.drop("B") < 2).all()
    plain = analyze_edges(edges, actors=["B", *crew], seed=0, spec=spec, only=["hierarchy"])
    assert "relay_tier" not in plain.actors.columns  # no time stamps: the score as before
    assert plain.actors.set_index("actor_id")["leadership"].idxmax() != "B"


def test_timed_contacts_sources_are_read_as_contacts_and_symmetric_ones_both_ways(
    tmp_path,
) -> None:
    """A ``contacts`` source row with a start, a weight of 1 or none and a short span is one
    contact in time; a count, a share or a span of sightings is not. A symmetric layer's
    contacts are read both ways, a directed one's as given."""
    from graphkit.analytics.measures import prepare_contacts
    from graphkit.analytics.relays import load_actor_contacts
    from graphkit.analytics.settings import AnalysisSpec
    from graphkit.ingest import ingest_file
    from graphkit.store import CaseStore

    pd.DataFrame(
        {
            "source": ["B", "L", "L", "B", "K1", "B", "K3"],
            "target": ["L", "S1", "S2", "L", "K2", "S9", "K4"],
            "start": [
                "2024-01-08 10:00",
                "2024-01-08 10:05",
                "2024-01-08 10:07",
                "2024-01-08 10:00",  # the first row again: one contact
                "2024-01-08 09:00",
                "2024-01-01 00:00",
                "2024-01-08 12:00",
            ],
            # B-S9: first and last sightings, not a contact
            "end": ["", "", "", "", "", "2024-02-01 00:00", ""],
            "weight": [1, 1, "", 1, 12, 1, 0.5],  # K1-K2 a count, K3-K4 a share: no contacts
        }
    ).to_csv(tmp_path / "log.csv", index=False)
    pd.DataFrame(
        {"source": ["S1"], "target": ["L"], "start": ["2024-01-08 11:00"], "kind": ["wiretap"]}
    ).to_csv(tmp_path / "calls.csv", index=False)
    store = CaseStore.init(tmp_path / "case")
    ingest_file(store, tmp_path / "log.csv", kind="contacts", source_name="meeting_log")
    ingest_file(store, tmp_path / "calls.csv", kind="contacts", source_name="tap")
    events = load_actor_contacts(store)
    assert events is not None
    got = sorted(zip(events["src"], events["dst"], events["layer"], strict=True))
    assert got == [
        ("B", "L", "contact:meeting_log"),
        ("L", "S1", "contact:meeting_log"),
        ("L", "S2", "contact:meeting_log"),
        ("S1", "L", "contact:wiretap"),
    ]
    read = prepare_contacts(events, AnalysisSpec())
    pairs = sorted(zip(read["src"], read["dst"], strict=True))
    # the meetings both ways, the wiretap call (a directed token) as placed
    assert pairs == sorted(
        [("B", "L"), ("L", "B"), ("L", "S1"), ("S1", "L"), ("L", "S2"), ("S2", "L"), ("S1", "L")]
    )
    # without a layer (call records), every contact is read as placed
    assert len(prepare_contacts(events.drop(columns="layer"), AnalysisSpec())) == len(events)
