"""Blackouts on small hand-built event frames where the answer is known."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.errors import InputError
from graphkit.signals.blackouts import detect_blackouts
from graphkit.signals.events import cumulative_exposure, from_hours, to_hours
from graphkit.signals.groups import detect_group_blackouts, poisson_binomial_tail
from graphkit.signals.silences import BLACKOUT_COLUMNS, detect_silences

MONDAY = pd.Timestamp("2026-03-02", tz="UTC")  # a Monday
WEEKS = 6


def _events(phone: str, hours: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Events of ``phone`` at the given hours from MONDAY, each with a one-off counterpart."""
    others = [f"+4479{int(x):08d}" for x in rng.integers(0, 10**8, len(hours))]
    return pd.DataFrame(
        {
            "caller": phone,
            "callee": others,
            "start": MONDAY + pd.to_timedelta(np.round(hours * 3600), unit="s"),
        }
    )


def _poisson_hours(rate_per_hour: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Event times from an inhomogeneous Poisson process given per hour over the period."""
    counts = rng.poisson(rate_per_hour)
    hours = np.repeat(np.arange(len(rate_per_hour)), counts)
    return np.sort(hours + rng.random(len(hours)))


def _office_rate(per_hour: float) -> np.ndarray:
    """Active 09-18 on weekdays only, for WEEKS weeks."""
    how = np.arange(WEEKS * 168) % 168
    day, hour = how // 24, how % 24
    return np.where((day < 5) & (hour >= 9) & (hour < 18), per_hour, 0.0)


def _background(rng: np.random.Generator, n: int = 40) -> pd.DataFrame:
    """Ordinary phones with a day/night rhythm, so that the population profile is realistic."""
    how = np.arange(WEEKS * 168) % 168
    hour = how % 24
    shape = np.where((hour >= 8) & (hour < 22), 1.0, 0.1)
    frames = [
        _events(f"+4477{i:08d}", _poisson_hours(shape * rng.uniform(0.3, 1.0), rng), rng)
        for i in range(n)
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def office_case() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rate = _office_rate(1.5)
    silent = rate.copy()
    silent[3 * 168 : 3 * 168 + 5 * 24] = 0.0  # week 4, Monday to Friday
    ended = rate.copy()
    ended[4 * 168 :] = 0.0  # stops after four weeks
    frames = [
        _background(rng),
        _events("+447000000001", _poisson_hours(rate, rng), rng),  # weekends off only
        _events("+447000000002", _poisson_hours(silent, rng), rng),  # 5-day blackout
        _events("+447000000003", _poisson_hours(ended, rng), rng),  # never comes back
    ]
    return pd.concat(frames, ignore_index=True)


def test_five_day_silence_of_an_office_phone_is_flagged(office_case: pd.DataFrame) -> None:
    result = detect_silences(office_case)
    rows = result[result["id"] == "+447000000002"]
    assert len(rows) == 1
    row = rows.iloc[0]
    week4 = MONDAY + pd.Timedelta(weeks=3)
    assert row["start"] < week4 + pd.Timedelta(hours=9)  # last call the Friday before
    assert row["end"] >= week4 + pd.Timedelta(days=7)  # first call the Monday after
    assert row["ended"]
    assert row["p_value"] < 1e-10 and row["q_value"] < 0.05
    assert row["evidence"]["expected_events"] > 40  # 5 days x 9 h x 1.5 per hour = 67
    assert row["evidence"]["events_7d_before"] > 20 and row["evidence"]["events_7d_after"] > 20


def test_weekend_silence_of_an_office_phone_is_not_flagged(office_case: pd.DataFrame) -> None:
    result = detect_silences(office_case)
    assert "+447000000001" not in set(result["id"])
    # the weekends of the blacked-out phone are not flagged either: only its one blackout
    assert (result["id"] == "+447000000002").sum() == 1


def test_a_number_that_never_comes_back_is_reported_as_not_ended(
    office_case: pd.DataFrame,
) -> None:
    result = detect_silences(office_case)
    rows = result[result["id"] == "+447000000003"]
    assert len(rows) == 1
    assert not rows.iloc[0]["ended"]
    assert rows.iloc[0]["end"] == office_case["start"].max()
    assert rows.iloc[0]["evidence"]["events_7d_after"] == 0


def test_false_discoveries_on_pure_poisson_noise_are_rare() -> None:
    """500 phones with a rhythm and no blackout: BH at q=0.05 finds (almost) nothing."""
    rng = np.random.default_rng(7)
    how = np.arange(30 * 24) % 168
    hour = how % 24
    shape = np.where((hour >= 8) & (hour < 22), 1.0, 0.15)
    frames = []
    for i in range(500):
        hours = _poisson_hours(shape * rng.uniform(0.2, 1.2), rng)
        frames.append(
            pd.DataFrame(
                {
                    "caller": f"+4477{i:08d}",
                    "callee": None,
                    "start": MONDAY + pd.to_timedelta(np.round(hours * 3600), unit="s"),
                }
            )
        )
    events = pd.concat(frames, ignore_index=True)
    result = detect_silences(events, min_silence_hours=12)
    assert len(result) <= 2
    # the far tail is calibrated: over all gaps (about one per event) p < 1e-4 is about as
    # rare as 1e-4 of them, not many times more (a plug-in Poisson test fails this)
    everything = detect_silences(events, min_silence_hours=12, report_all=True)
    assert len(everything) > 300
    assert (everything["p_value"] < 1e-4).sum() <= 3 * 1e-4 * len(events) + 3


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=0, max_size=8), st.integers(0, 9))
def test_poisson_binomial_tail_matches_enumeration(probs: list[float], k: int) -> None:
    brute = 0.0
    for outcome in itertools.product([0, 1], repeat=len(probs)):
        if sum(outcome) >= k:
            brute += float(
                np.prod([p if o else 1 - p for p, o in zip(probs, outcome, strict=True)])
            )
    assert poisson_binomial_tail(probs, k) == pytest.approx(brute, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.floats(-2000.0, 2000.0), st.floats(0.0, 400.0))
def test_cumulative_exposure_counts_hours_of_week(start_h: float, length_h: float) -> None:
    a, b = np.array([start_h]), np.array([start_h + length_h])
    exposure = (cumulative_exposure(b) - cumulative_exposure(a))[0]
    minutes = start_h + (np.arange(int(length_h * 60)) + 0.5) / 60.0
    brute = np.bincount(np.floor(minutes).astype(np.int64) % 168, minlength=168) / 60.0
    assert exposure.sum() == pytest.approx(length_h, abs=1e-9)
    assert np.allclose(exposure, brute, atol=2.0 / 60.0)  # minute grid: two edges per bin


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**9))
def test_hours_round_trip_to_the_second(seconds: int) -> None:
    ts = pd.Timestamp("2000-01-01", tz="UTC") + pd.Timedelta(seconds=seconds)
    assert from_hours(to_hours([ts])).iloc[0] == ts


def _group_case(together: bool) -> tuple[pd.DataFrame, dict[str, str]]:
    rng = np.random.default_rng(11 if together else 12)
    how = np.arange(WEEKS * 168) % 168
    hour = how % 24
    shape = np.where((hour >= 8) & (hour < 22), 1.0, 0.1)
    frames = [_background(rng)]
    community = {f"+4477{i:08d}": f"bg{i % 4}" for i in range(40)}
    for m in range(5):
        rate = shape * 0.8
        if m < 3:
            start = 20 * 24 + (0 if together else m * 6 * 24)
            rate = rate.copy()
            rate[start + m * 3 : start + 4 * 24] = 0.0
        phone = f"+447100{m:06d}"
        community[phone] = "crew"
        frames.append(_events(phone, _poisson_hours(rate, rng), rng))
    return pd.concat(frames, ignore_index=True), community


def test_members_silent_together_make_a_group_blackout() -> None:
    events, community = _group_case(together=True)
    groups = detect_group_blackouts(events, community)
    crew = groups[groups["id"] == "crew"]
    assert len(crew) == 1
    row = crew.iloc[0]
    assert row["kind"] == "group"
    assert row["members"] == ["+447100000000", "+447100000001", "+447100000002"]
    assert row["p_value"] < 1e-4 and row["ended"]
    # silent (each far below its own rhythm) and together (starts within hours): the row's
    # p-value is the larger of the two tests
    evidence = row["evidence"]
    assert evidence["p_value_silence"] < 1e-10
    assert row["p_value"] == pytest.approx(
        max(evidence["p_value_silence"], evidence["p_value_alignment"]), rel=1e-2
    )
    assert evidence["start_spread_h"] <= 12 and evidence["also_silent"] == []
    assert row["end"] - row["start"] >= pd.Timedelta(hours=60)
    assert set(row["evidence"]["member_p_values"]) == set(row["members"])
    phones = detect_silences(events).set_index("id")
    evidence = phones.loc["+447100000000", "evidence"]
    assert {"+447100000001", "+447100000002"} <= set(evidence["also_silent"])
    assert evidence["also_silent_count"] == len(evidence["also_silent"])


def test_members_silent_at_different_times_make_no_group_blackout() -> None:
    events, community = _group_case(together=False)
    phones = detect_silences(events)
    assert {"+447100000000", "+447100000001", "+447100000002"} <= set(phones["id"])
    groups = detect_group_blackouts(events, community)
    assert "crew" not in set(groups["id"])


def test_actor_is_silent_only_when_all_its_phones_are() -> None:
    rng = np.random.default_rng(5)
    how = np.arange(WEEKS * 168) % 168
    shape = np.where((how % 24 >= 8) & (how % 24 < 22), 1.0, 0.1)
    gap = shape.copy()
    gap[20 * 24 : 25 * 24] = 0.0
    frames = [
        _background(rng),
        _events("+447200000001", _poisson_hours(gap * 0.8, rng), rng),  # A's phone 1: silent
        _events("+447200000002", _poisson_hours(shape * 0.8, rng), rng),  # A's phone 2: active
        _events("+447200000003", _poisson_hours(gap * 0.8, rng), rng),  # B's phones: both
        _events("+447200000004", _poisson_hours(gap * 0.8, rng), rng),  # silent together
    ]
    events = pd.concat(frames, ignore_index=True)
    owners = {
        "+447200000001": "A",
        "+447200000002": "A",
        "+447200000003": "B",
        "+447200000004": "B",
    }
    result = detect_blackouts(events, phone_to_actor=owners)
    assert set(result.loc[result["kind"] == "actor", "id"]) == {"B"}
    assert {"+447200000001", "+447200000003", "+447200000004"} <= set(
        result.loc[result["kind"] == "phone", "id"]
    )
    assert list(result.columns) == list(BLACKOUT_COLUMNS)


def test_deterministic_and_input_untouched(office_case: pd.DataFrame) -> None:
    before = office_case.copy()
    first = detect_silences(office_case)
    second = detect_silences(office_case.sample(frac=1.0, random_state=0))
    pd.testing.assert_frame_equal(office_case, before)
    pd.testing.assert_frame_equal(first, second)


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="start"):
        detect_silences(pd.DataFrame({"caller": ["a"], "callee": ["b"]}))
    with pytest.raises(InputError):
        detect_silences([1, 2, 3])
    with pytest.raises(InputError):
        detect_blackouts(pd.DataFrame(columns=["caller", "callee", "start"]), q_threshold=1.5)
    empty = detect_blackouts(pd.DataFrame(columns=["caller", "callee", "start"]))
    assert empty.empty and list(empty.columns) == list(BLACKOUT_COLUMNS)
