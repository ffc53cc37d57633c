"""ER metrics against brute force."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.errors import InputError
from resolution.evaluate import er_metrics


def _brute(pred: list[int], true: list[int]) -> tuple[float, float, float, float]:
    n = len(pred)
    pp = {(i, j) for i, j in itertools.combinations(range(n), 2) if pred[i] == pred[j]}
    tp = {(i, j) for i, j in itertools.combinations(range(n), 2) if true[i] == true[j]}
    p = len(pp & tp) / len(pp) if pp else 1.0
    r = len(pp & tp) / len(tp) if tp else 1.0
    bp = (
        sum(
            sum(1 for j in range(n) if pred[j] == pred[i] and true[j] == true[i])
            / sum(1 for j in range(n) if pred[j] == pred[i])
            for i in range(n)
        )
        / n
    )
    br = (
        sum(
            sum(1 for j in range(n) if pred[j] == pred[i] and true[j] == true[i])
            / sum(1 for j in range(n) if true[j] == true[i])
            for i in range(n)
        )
        / n
    )
    return p, r, bp, br


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=25))
def test_against_brute_force(labels: list[tuple[int, int]]) -> None:
    pred = [a for a, _ in labels]
    true = [b for _, b in labels]
    m = er_metrics(pred, true)
    p, r, bp, br = _brute(pred, true)
    assert m.pair_precision == pytest.approx(p)
    assert m.pair_recall == pytest.approx(r)
    assert m.bcubed_precision == pytest.approx(bp)
    assert m.bcubed_recall == pytest.approx(br)
    assert 0.0 <= m.pair_f1 <= 1.0


def test_perfect_and_all_merged() -> None:
    perfect = er_metrics(["a", "a", "b"], [1, 1, 2])
    assert perfect.pair_f1 == perfect.bcubed_f1 == 1.0
    merged = er_metrics(["x", "x", "x"], [1, 1, 2])
    assert merged.pair_precision == pytest.approx(1 / 3)
    assert merged.pair_recall == 1.0


def test_length_mismatch_is_input_error() -> None:
    with pytest.raises(InputError):
        er_metrics([1, 2], [1])
