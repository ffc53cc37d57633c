"""Hit rate and PAI on hand-built grids, ties shared, and the windows' reading."""

from __future__ import annotations

import numpy as np
import pytest

from graphkit.errors import InputError
from graphkit.hotspots.scoring import capture_curve, hit_rate, score
from graphkit.hotspots.windows import parse_window


def test_hit_rate_counts_the_riskiest_cells() -> None:
    risk = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    observed = np.array([3, 1, 0, 0, 0, 0, 0, 0, 0, 1], dtype=float)
    assert hit_rate(risk, observed, 0.1) == pytest.approx(3 / 5)
    assert hit_rate(risk, observed, 0.2) == pytest.approx(4 / 5)
    scores = score(risk, observed)
    assert scores["pai_10"] == pytest.approx((3 / 5) / 0.1)
    assert scores["pai_5"] == pytest.approx((3 / 5) * 0.5 / 0.05)
    assert scores["hit_rate_1"] == pytest.approx((3 / 5) * 0.1)  # a tenth of the top cell


def test_ties_are_shared_not_ordered() -> None:
    observed = np.array([4, 0, 0, 0], dtype=float)
    flat = np.zeros(4)
    # a surface that cannot tell cells apart catches the share of the area flagged
    assert hit_rate(flat, observed, 0.25) == pytest.approx(0.25)
    assert hit_rate(flat[::-1], observed, 0.25) == pytest.approx(0.25)


def test_incidents_outside_the_area_are_misses() -> None:
    risk, observed = np.array([1.0, 0.0]), np.array([2.0, 0.0])
    assert hit_rate(risk, observed, 0.5, total=4) == pytest.approx(0.5)


def test_random_risk_has_pai_near_one() -> None:
    rng = np.random.default_rng(3)
    observed = rng.poisson(1.0, 20_000).astype(float)
    pai = [score(rng.random(20_000), observed)["pai_5"] for _ in range(20)]
    assert abs(float(np.mean(pai)) - 1.0) < 0.05


def test_capture_curve_runs_from_zero_to_one() -> None:
    shares, rates = capture_curve(np.arange(10.0), np.ones(10))
    assert shares[0] == 0 and shares[-1] == 1
    assert rates[0] == 0 and rates[-1] == pytest.approx(1.0)
    assert np.all(np.diff(rates) >= -1e-12)


def test_windows_read_months_days_and_instants() -> None:
    july = parse_window("2018-07", what="forecast")
    assert july.days == 31 and july.label() == "2018-07-01 .. 2018-07-31"
    two = parse_window("2016-07..2017-07", what="train")
    assert two.days == 366 + 30  # 2016-07-01 up to 2017-08-01 (2016 a leap year)
    day = parse_window("2024-04-01", what="forecast")
    assert day.days == 1
    instant = parse_window("2024-04-01T06:00+01:00..2024-04-01T18:00+01:00", what="forecast")
    assert instant.days == pytest.approx(0.5)
    for bad in ("2018-13", "july", "2018-07..2018-06", ".."):
        with pytest.raises(InputError) as exc:
            parse_window(bad, what="forecast")
        assert str(exc.value).startswith("forecast:")


def test_capture_curve_equals_hit_rate_at_every_share() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        risk = rng.integers(0, 5, n).astype(float)  # many ties
        observed = rng.poisson(1.0, n).astype(float)
        if observed.sum() == 0:
            continue
        shares, rates = capture_curve(risk, observed, total=observed.sum() + 1)
        expected = [hit_rate(risk, observed, float(s), total=observed.sum() + 1) for s in shares]
        np.testing.assert_allclose(rates, expected, atol=1e-12)
