"""Hand-offs on small hand-built cases where the answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphkit.errors import InputError
from graphkit.signals.handoffs import HANDOFF_COLUMNS, HandoffWeights, detect_handoffs

T0 = pd.Timestamp("2026-03-02", tz="UTC")  # a Monday
DAYS = 28
SWAP_H = 14 * 24 + 10.0  # old numbers stop on day 14 at 10:00


class _Calls:
    """Accumulates call records; times are hours from T0 drawn in daytime hours."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.rows: list[tuple[str, str, float, str, str | None]] = []

    def add(
        self,
        caller: str,
        callees: list[str],
        weights: list[float],
        n: int,
        lo_h: float,
        hi_h: float,
        cells: list[str],
        imei: str | None = None,
    ) -> None:
        w = np.asarray(weights, dtype=float) / np.sum(weights)
        who = self.rng.choice(len(callees), size=n, p=w)
        days = self.rng.uniform(lo_h, hi_h, n) // 24
        t = np.clip(days * 24 + self.rng.uniform(8, 21, n), lo_h, hi_h)
        cell = self.rng.choice(cells, size=n)
        for k in range(n):
            self.rows.append((caller, callees[who[k]], float(t[k]), str(cell[k]), imei))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=["caller", "callee", "t", "cell_id", "imei"])
        df["start"] = T0 + pd.to_timedelta(np.round(df.pop("t") * 3600), unit="s")
        return df.sort_values(["start", "caller"], kind="stable").reset_index(drop=True)


def _crew_swap(seed: int = 0, *, outside_friends: int = 6) -> pd.DataFrame:
    """Five crew members swap numbers together; contacts drift; a decoy starts at once."""
    calls = _Calls(seed)
    rng = calls.rng
    end_h = DAYS * 24.0
    crew = range(5)
    old = [f"+4477000000{i:02d}" for i in crew]
    new = [f"+4478000000{i:02d}" for i in crew]
    friends = {i: [f"+4475{i:03d}{j:05d}" for j in range(outside_friends + 2)] for i in crew}
    for i in crew:
        cells = [f"C{i}H", f"C{i}W", f"C{i}X"]
        mates_old = [old[j] for j in crew if j != i]
        mates_new = [new[j] for j in crew if j != i]
        before = friends[i][:outside_friends]
        after = friends[i][2 : outside_friends + 2]  # two friends dropped, two new ones
        fw = list(1.0 / (1.0 + np.arange(outside_friends)))
        stop = SWAP_H + rng.uniform(-6, 0)
        start = SWAP_H + rng.uniform(4, 16)
        calls.add(old[i], mates_old + before, [1.0] * 4 + fw, 160, 0.0, stop, cells)
        calls.add(new[i], mates_new + after, [1.0] * 4 + fw, 160, start, end_h, cells)
    for i in crew:  # friends have lives of their own, so they neither stop nor start
        for f in friends[i]:
            others = [f"+4476{int(x):08d}" for x in rng.integers(0, 10**8, 5)]
            calls.add(f, others, [1.0] * 5, 30, 0.0, end_h, [f"F{f[-3:]}"])
    decoy_friends = [f"+4474{j:08d}" for j in range(8)]
    calls.add("+447900000000", decoy_friends, [1.0] * 8, 160, SWAP_H + 8, end_h, ["D1", "D2"])
    return calls.frame()


@pytest.fixture(scope="module")
def crew_events() -> pd.DataFrame:
    return _crew_swap()


def test_a_crew_swapping_numbers_together_is_matched_top1(crew_events: pd.DataFrame) -> None:
    result = detect_handoffs(crew_events, use_imei=False)
    top = result[result["rank"] == 1].set_index("old")
    for i in range(5):
        row = top.loc[f"+4477000000{i:02d}"]
        assert row["new"] == f"+4478000000{i:02d}"
        assert row["assigned"] and row["score"] > 0.5
        assert row["status"] == "hypothesis"
    assert list(result.columns) == list(HANDOFF_COLUMNS)


def test_a_decoy_starting_at_the_same_time_ranks_lower(crew_events: pd.DataFrame) -> None:
    result = detect_handoffs(crew_events, use_imei=False, top_k=50, min_score=0.0)
    decoy = result[result["new"] == "+447900000000"].set_index("old")["score"]
    true = result[result["new"].str.startswith("+4478")]
    true = true[true["old"].str[-2:] == true["new"].str[-2:]].set_index("old")["score"]
    assert len(decoy) >= 5  # the decoy is a candidate for every crew number...
    assert (decoy.reindex(true.index) < true - 0.5).all()  # ...and far behind
    assert not result.loc[result["new"] == "+447900000000", "assigned"].any()


def test_matched_pairs_relabel_the_contacts_of_the_others() -> None:
    """With few contacts outside the crew, the overlap comes from already-matched mates."""
    events = _crew_swap(seed=1, outside_friends=2)
    once = detect_handoffs(events, use_imei=False, max_iterations=1, top_k=50, min_score=0.0)
    joint = detect_handoffs(events, use_imei=False, top_k=50, min_score=0.0)

    def true_scores(result: pd.DataFrame) -> pd.Series:
        true = result[result["old"].str[-2:] == result["new"].str[-2:]]
        return true[true["new"].str.startswith("+4478")].set_index("old")["score"]

    before = true_scores(once).sort_index()
    after = true_scores(joint).reindex(before.index)
    assert (after >= before - 1e-9).all() and after.mean() > before.mean() + 0.1
    rank1 = joint[joint["rank"] == 1]
    assert (rank1["old"].str[-2:] == rank1["new"].str[-2:]).all()
    via = [e["shared_via_handoff"] for e in rank1["evidence"]]
    assert all(len(v) >= 2 for v in via)  # crew mates counted through their new numbers


def test_a_shared_handset_is_decisive_when_used() -> None:
    calls = _Calls(5)
    end_h = DAYS * 24.0
    pals = [f"+4475{j:08d}" for j in range(6)]
    strangers = [f"+4474{j:08d}" for j in range(6)]
    calls.add("+447700000001", pals, [1.0] * 6, 150, 0.0, SWAP_H, ["A", "B"], imei="3500001")
    # the successor keeps the handset but nothing else; another number copies the contacts
    calls.add("+447800000001", strangers, [1.0] * 6, 150, SWAP_H + 5, end_h, ["Y"], "3500001")
    calls.add("+447800000002", pals, [1.0] * 6, 150, SWAP_H + 6, end_h, ["A", "B"], "3599999")
    for f in pals + strangers:
        calls.add(f, [f"+4476{f[-4:]}0000"], [1.0], 30, 0.0, end_h, ["F"])
    events = calls.frame()
    with_imei = detect_handoffs(events, use_imei=True)
    without = detect_handoffs(events, use_imei=False)
    pick = with_imei[with_imei["rank"] == 1].set_index("old")["new"]
    assert pick["+447700000001"] == "+447800000001"
    first = with_imei[with_imei["rank"] == 1].iloc[0]
    assert first["evidence"]["shared_imei"] == ["3500001"]
    pick = without[without["rank"] == 1].set_index("old")["new"]
    assert pick["+447700000001"] == "+447800000002"
    no_column = detect_handoffs(events.drop(columns=["imei"]))
    pd.testing.assert_frame_equal(
        no_column.drop(columns="evidence"), without.drop(columns="evidence")
    )


def test_one_new_number_is_assigned_to_one_old_number_at_most() -> None:
    calls = _Calls(9)
    end_h = DAYS * 24.0
    pals = [f"+4475{j:08d}" for j in range(6)]
    for old in ("+447700000001", "+447700000002"):  # two numbers with the same contacts
        calls.add(old, pals, [1.0] * 6, 150, 0.0, SWAP_H, ["A"])
    calls.add("+447800000001", pals, [1.0] * 6, 150, SWAP_H + 5, end_h, ["A"])
    for f in pals:
        calls.add(f, [f"+4476{f[-4:]}0000"], [1.0], 30, 0.0, end_h, ["F"])
    result = detect_handoffs(calls.frame(), use_imei=False)
    assigned = result[result["assigned"]]
    assert len(assigned) == 1 and assigned.iloc[0]["new"] == "+447800000001"
    assert set(result["old"]) == {"+447700000001", "+447700000002"}


def test_weights_are_documented_and_shift_scores(crew_events: pd.DataFrame) -> None:
    strict = HandoffWeights(intercept=-12.0)
    loose = detect_handoffs(crew_events, use_imei=False, top_k=1, min_score=0.0)
    tight = detect_handoffs(crew_events, use_imei=False, top_k=1, min_score=0.0, weights=strict)
    assert tight["score"].max() < loose["score"].max()
    assert loose.iloc[0]["evidence"]["weights"]["contacts"] == HandoffWeights().contacts


def test_deterministic_and_input_untouched(crew_events: pd.DataFrame) -> None:
    before = crew_events.copy()
    first = detect_handoffs(crew_events)
    second = detect_handoffs(crew_events.sample(frac=1.0, random_state=1))
    pd.testing.assert_frame_equal(crew_events, before)
    pd.testing.assert_frame_equal(first, second)


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="callee"):
        detect_handoffs(pd.DataFrame({"caller": ["a"], "start": [T0]}))
    with pytest.raises(InputError):
        detect_handoffs(pd.DataFrame(columns=["caller", "callee", "start"]), window_hours=0)
    empty = detect_handoffs(pd.DataFrame(columns=["caller", "callee", "start"]))
    assert empty.empty and list(empty.columns) == list(HANDOFF_COLUMNS)


def test_a_number_that_goes_silent_and_its_stand_in_are_paired_given_the_silences() -> None:
    from graphkit.signals.silences import detect_silences

    calls = _Calls(21)
    end_h = DAYS * 24.0
    pals = [f"+4475{j:08d}" for j in range(8)]
    w = list(1.0 / (1.0 + np.arange(8)))
    off, back = SWAP_H, SWAP_H + 6 * 24.0  # six days on a stand-in number, then back
    calls.add("+447700000001", pals, w, 150, 0.0, off, ["A", "B"])
    calls.add("+447700000001", pals, w, 80, back, end_h, ["A", "B"])
    calls.add("+447800000009", pals[:6], w[:6], 70, off + 6, back - 6, ["A", "B"])
    for f in pals:
        calls.add(f, [f"+4476{f[-4:]}0000"], [1.0], 40, 0.0, end_h, ["F"])
    events = calls.frame()
    silences = detect_silences(events)
    assert "+447700000001" in set(silences["id"])
    plain = detect_handoffs(events, use_imei=False)
    assert "+447700000001" not in set(plain["old"])  # the number did not end
    found = detect_handoffs(events, use_imei=False, silences=silences)
    row = found[(found["old"] == "+447700000001") & (found["rank"] == 1)].iloc[0]
    assert row["new"] == "+447800000009" and row["assigned"]
    assert row["evidence"]["stop"] == "silent"


def test_a_silence_after_a_few_events_is_no_stop() -> None:
    """What a number was is read off its use before it stopped: the same stand-in as above,
    but the number goes silent after its first few events, and nothing is proposed."""
    from graphkit.signals.silences import detect_silences

    calls = _Calls(21)
    end_h = DAYS * 24.0
    pals = [f"+4475{j:08d}" for j in range(8)]
    w = list(1.0 / (1.0 + np.arange(8)))
    first, off, back = SWAP_H - 30.0, SWAP_H, SWAP_H + 6 * 24.0
    calls.add("+447700000001", pals[:2], w[:2], 4, first, off, ["A"])
    calls.add("+447700000001", pals, w, 200, back, end_h, ["A", "B"])
    calls.add("+447800000009", pals[:6], w[:6], 70, off + 6, back - 6, ["A", "B"])
    for f in pals:
        calls.add(f, [f"+4476{f[-4:]}0000"], [1.0], 40, 0.0, end_h, ["F"])
    events = calls.frame()
    silences = detect_silences(events, min_events=20)
    found = detect_handoffs(events, use_imei=False, silences=silences, min_score=0.0)
    assert "+447700000001" not in set(found["old"])
    more = detect_handoffs(events, use_imei=False, silences=silences, min_events=4)
    assert "+447800000009" in set(more.loc[more["old"] == "+447700000001", "new"])


def test_a_fixed_line_is_no_successor() -> None:
    """A household's line starting as a member's mobile stops shares its contacts; it is
    proposed only when fixed lines are let in."""
    calls = _Calls(5)
    end_h = DAYS * 24.0
    pals = [f"+4475{j:08d}" for j in range(8)]
    w = list(1.0 / (1.0 + np.arange(8)))
    calls.add("+447700000001", pals, w, 150, 0.0, SWAP_H, ["A", "B"])
    calls.add("+441612345678", pals, w, 150, SWAP_H + 6, end_h, ["L"])  # Manchester fixed line
    for f in pals:
        calls.add(f, [f"+4476{f[-4:]}0000"], [1.0], 40, 0.0, end_h, ["F"])
    events = calls.frame()
    assert detect_handoffs(events, use_imei=False, min_score=0.0).empty
    let_in = detect_handoffs(events, use_imei=False, fixed_lines=True)
    assert let_in.iloc[0][["old", "new"]].tolist() == ["+447700000001", "+441612345678"]
    assert bool(let_in.iloc[0]["assigned"])
