"""Stable person ids across re-runs and added sources.

The rule (documented in docs/resolution.md):

1. Every person has an *anchor record*. A new person's anchor is its earliest record by
   ``anchor_rank`` (source ingest order, then row number); its id is minted from the anchor's
   record key: ``P`` + the first 16 hex digits of SHA-256("person:" + key).
2. On a re-run, a cluster that contains the anchor record of a previous person keeps that
   person's id and anchor. A cluster containing several previous anchors (a merge) keeps the
   id whose anchor ranks earliest; the other ids retire, and the merge is reported.
3. A cluster containing no previous anchor is a new person (rule 1).

So a person keeps its id as long as its anchor record stays in it, whatever records join or
leave, and ids never depend on Splink's cluster numbering or on record order within a run.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from graphkit.errors import InputError

__all__ = ["assign_person_ids", "mint_person_id"]


def mint_person_id(anchor_record: str) -> str:
    """The id a new person gets from its anchor record key."""
    digest = hashlib.sha256(("person:" + anchor_record).encode("utf-8")).hexdigest()
    return "P" + digest[:16]


def assign_person_ids(
    records: pd.DataFrame,
    clusters: pd.Series,
    *,
    previous_anchors: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give each cluster a stable person id.

    ``records``: ``record_key`` and ``anchor_rank`` (lower = earlier). ``clusters``: cluster
    label per record key. ``previous_anchors``: ``person_id``, ``anchor_record`` of the last
    run (or None). Returns ``(assignment, anchors)``: assignment has ``record_key``,
    ``person_id``; anchors has ``person_id``, ``anchor_record``, ``previous_ids`` (ids of the
    last run merged into this person, its own excluded).
    """
    if records["record_key"].duplicated().any():
        raise InputError("record keys must be unique")
    frame = records[["record_key", "anchor_rank"]].copy()
    frame["cluster"] = clusters.reindex(frame["record_key"].to_numpy()).to_numpy()
    if frame["cluster"].isna().any():
        raise InputError("every record needs a cluster label")
    prev = (
        previous_anchors[["person_id", "anchor_record"]]
        if previous_anchors is not None and len(previous_anchors)
        else pd.DataFrame({"person_id": pd.Series(dtype=str), "anchor_record": []})
    )
    frame = frame.merge(prev, how="left", left_on="record_key", right_on="anchor_record")
    # earliest previous anchor per cluster wins; otherwise the earliest record
    frame["_has_prev"] = frame["person_id"].notna()
    ordered = frame.sort_values(
        ["cluster", "_has_prev", "anchor_rank", "record_key"],
        ascending=[True, False, True, True],
        kind="stable",
    )
    head = ordered.drop_duplicates("cluster", keep="first").set_index("cluster")
    new = head["person_id"].isna()
    head.loc[new, "person_id"] = [mint_person_id(k) for k in head.loc[new, "record_key"]]
    merged = (
        frame.loc[frame["_has_prev"]]
        .groupby("cluster")["person_id"]
        .agg(lambda s: sorted(s))
        .reindex(head.index)
    )
    anchors = pd.DataFrame(
        {
            "person_id": head["person_id"].to_numpy(),
            "anchor_record": head["record_key"].to_numpy(),
            "previous_ids": [
                [p for p in (m if isinstance(m, list) else []) if p != pid]
                for m, pid in zip(merged.to_numpy(), head["person_id"].to_numpy(), strict=True)
            ],
        }
    )
    assignment = pd.DataFrame(
        {
            "record_key": frame["record_key"].to_numpy(),
            "person_id": head["person_id"].reindex(frame["cluster"].to_numpy()).to_numpy(),
        }
    )
    return assignment, anchors.sort_values("person_id").reset_index(drop=True)
