"""Stable person ids: the anchor rule."""

from __future__ import annotations

import pandas as pd

from resolution.ids import assign_person_ids, mint_person_id


def _records(keys: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"record_key": keys, "anchor_rank": range(len(keys))})


def _run(keys: list[str], groups: list[list[str]], prev: pd.DataFrame | None = None):
    labels = pd.Series({k: i for i, g in enumerate(groups) for k in g})
    return assign_person_ids(_records(keys), labels, previous_anchors=prev)


def test_new_ids_are_minted_from_the_earliest_record() -> None:
    assignment, anchors = _run(["s:1", "s:2", "s:3"], [["s:2", "s:1"], ["s:3"]])
    ids = assignment.set_index("record_key")["person_id"]
    assert ids["s:1"] == ids["s:2"] == mint_person_id("s:1")
    assert ids["s:3"] == mint_person_id("s:3")
    assert set(anchors["anchor_record"]) == {"s:1", "s:3"}


def test_ids_survive_added_records_and_new_earlier_sources() -> None:
    _, anchors = _run(["s:1", "s:2", "s:3"], [["s:1", "s:2"], ["s:3"]])
    # a new source ingested earlier in rank order adds a record to the first person
    keys = ["t:9", "s:1", "s:2", "s:3"]
    assignment, _ = _run(keys, [["t:9", "s:1", "s:2"], ["s:3"]], anchors)
    ids = assignment.set_index("record_key")["person_id"]
    assert ids["t:9"] == ids["s:1"] == mint_person_id("s:1")
    assert ids["s:3"] == mint_person_id("s:3")


def test_merge_keeps_the_earliest_anchor_and_reports_retired_id() -> None:
    _, anchors = _run(["s:1", "s:2"], [["s:1"], ["s:2"]])
    assignment, merged = _run(["s:1", "s:2"], [["s:1", "s:2"]], anchors)
    assert set(assignment["person_id"]) == {mint_person_id("s:1")}
    assert list(merged["previous_ids"].iloc[0]) == [mint_person_id("s:2")]


def test_split_gives_the_anchor_its_id_and_the_rest_a_new_one() -> None:
    _, anchors = _run(["s:1", "s:2"], [["s:1", "s:2"]])
    assignment, _ = _run(["s:1", "s:2"], [["s:2"], ["s:1"]], anchors)
    ids = assignment.set_index("record_key")["person_id"]
    assert ids["s:1"] == mint_person_id("s:1")
    assert ids["s:2"] == mint_person_id("s:2")


def test_independent_of_cluster_numbering() -> None:
    a, _ = _run(["s:1", "s:2", "s:3"], [["s:1"], ["s:2", "s:3"]])
    b, _ = _run(["s:1", "s:2", "s:3"], [["s:2", "s:3"], ["s:1"]])
    pd.testing.assert_frame_equal(a, b)
