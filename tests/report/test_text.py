"""Text helpers: community keys, evidence summaries, actor labels."""

from __future__ import annotations

import math

import pandas as pd

from graphkit.report.text import community_index, community_key, evidence_text, label_of


def test_community_keys_from_numbers_and_keys() -> None:
    assert community_key(3) == community_key("3") == community_key("C3") == "C3"
    assert community_key(3.0) == "C3" and community_index("C12") == 12
    assert community_key(None) is None and community_key(math.nan) is None
    assert community_index(None) is None


def test_evidence_text_puts_the_telling_fields_first() -> None:
    ev = {
        "activity_ratio": 1.3,
        "cells_overlap": 0.8,
        "contacts_overlap": 0.7,
        "shared_contacts": ["a", "b", "c"],
        "weights": {"x": 1},
    }
    text = evidence_text(ev, limit=3)
    assert text == "contacts_overlap: 0.7; shared_contacts: a, b, c; cells_overlap: 0.8"
    assert evidence_text(None) == "" and evidence_text("free text") == "free text"


def test_labels_name_and_id() -> None:
    assert label_of(pd.Series({"actor_id": "P1", "name": "Ann Lee"})) == "Ann Lee (P1)"
    assert label_of(pd.Series({"actor_id": "+4477", "name": None})) == "+4477"


def test_evidence_text_names_contacts_and_paths_and_counts_the_rest() -> None:
    names = {"P1": "Ann Lee (P1)", "P2": "Bo Chan (P2)", "+447700900123": "+447700900123 (Ann Lee)"}
    ev = {
        "shared_contacts": ["P1", "P2", "+447700900123", "P4", "P5"],
        "paths": [["P1", "P2", "P9"]],
    }
    text = evidence_text(ev, names=names)
    assert "shared_contacts: Ann Lee (P1), Bo Chan (P2), +447700900123 (Ann Lee) and 2 more" in text
    assert "paths: Ann Lee (P1) → Bo Chan (P2) → P9" in text
