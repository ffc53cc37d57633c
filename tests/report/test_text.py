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
    assert text == "contact overlap: 0.7; shared contacts: a, b, c; cell overlap: 0.8"
    # numbers through the one formatter: a score just under 1 never reads as 1
    assert evidence_text({"activity_ratio": 0.99999999}) == "activity ratio: 1-1.0e-08"
    assert evidence_text(None) == "" and evidence_text("free text") == "free text"


def test_labels_name_and_id() -> None:
    assert label_of(pd.Series({"actor_id": "P1", "name": "Ann Lee"})) == "Ann Lee (P1)"
    assert label_of(pd.Series({"actor_id": "+4477", "name": None})) == "+4477"


def test_labels_show_the_phones_beside_name_and_id() -> None:
    import numpy as np

    row = {"actor_id": "P1", "name": "Ann Lee", "phones": np.array(["+4477001", "+4477002"])}
    assert label_of(row) == "Ann Lee (P1; +4477001, +4477002)"
    three = {**row, "phones": ["+4477001", "+4477002", "+4477003"]}
    assert label_of(three) == "Ann Lee (P1; +4477001, +4477002 and 1 more)"
    # a phone actor is named by its number; its other phones follow it
    assert label_of({"actor_id": "+4477", "name": None, "phones": ["+4477"]}) == "+4477"
    assert label_of({"actor_id": "+4477", "name": "", "phones": ["+4477", "+4488"]}) == (
        "+4477 (+4488)"
    )
    assert label_of({"actor_id": "P2", "name": "Bo", "phones": float("nan")}) == "Bo (P2)"


def test_evidence_text_names_contacts_and_paths_and_counts_the_rest() -> None:
    names = {"P1": "Ann Lee (P1)", "P2": "Bo Chan (P2)", "+447700900123": "+447700900123 (Ann Lee)"}
    ev = {
        "shared_contacts": ["P1", "P2", "+447700900123", "P4", "P5"],
        "paths": [["P1", "P2", "P9"]],
    }
    text = evidence_text(ev, names=names)
    assert "shared contacts: Ann Lee (P1), Bo Chan (P2), +447700900123 (Ann Lee) and 2 more" in text
    assert "paths: Ann Lee (P1) → Bo Chan (P2) → P9" in text


def test_report_numbers_go_through_the_one_formatter() -> None:
    from graphkit.report.text import fmt
    from graphkit.views import format_number

    for v in (1.0, 0.9996, 0.99999999, 0.5, 0.123456, 3.0e-7, 1234.5, 12.345):
        assert fmt(v) == format_number(v)
    assert fmt(1.0) == "1" and fmt(0.9996) == "0.9996" and fmt(0.25) == "0.25"


def test_methods_section_prints_an_exact_overlap_as_1_and_never_rounds_up_to_1() -> None:
    from types import SimpleNamespace

    from graphkit.report.sections_methods import _sensitivity_blocks

    ranks = pd.DataFrame(
        {
            "ranking": ["leaders"] * 2,
            "actor_id": ["P1", "P2"],
            "rank": [1, 2],
            "rank_loose": [1, 2],
            "rank_strict": [2, 1],
            "survives": [True, True],
        }
    )
    agreement = {
        "leaders": {
            "loose": {"top_k_overlap": 1.0, "kendall_tau": 1.0},
            "strict": {"top_k_overlap": 0.9996, "kendall_tau": 0.81818},
        }
    }
    facts = SimpleNamespace(
        actors=pd.DataFrame(),
        sensitivity=ranks,
        sensitivity_info={
            "thresholds": {"base": 0.9, "loose": 0.8, "strict": 0.95},
            "top_k": 10,
            "agreement": agreement,
        },
    )
    text = " ".join(b.text for b in _sensitivity_blocks(facts) if hasattr(b, "text"))
    assert "loose: top-10 overlap 1, Kendall tau 1;" in text
    assert "strict: top-10 overlap 0.9996, Kendall tau 0.818." in text
    assert "1.00" not in text


def test_fmt_writes_missing_values_as_a_dash_and_three_digits() -> None:
    """The report's one number writer: pd.NA (a missing level) is a dash, never '<NA>', and
    scores keep three significant digits as the CLI shows them."""
    import pandas as pd

    from graphkit.report.text import fmt

    assert fmt(pd.NA) == "–" and fmt(None) == "–" and fmt(float("nan")) == "–"
    assert fmt(0.9483) == "0.948" and fmt(0.0434) == "0.0434"


def test_short_labels_drop_whole_parts_never_half_words() -> None:
    """Pictures' labels: a long name loses its "registered as" part, then whole words; a
    phone's label keeps its holder's name (the reviewer saw "Lucia Griffiths, regist…")."""
    from graphkit.report.text import short_label

    def label(name: str, size: int) -> str:
        return short_label({"name": name, "actor_id": "P1"}, max_chars=size)

    assert label("Lucia Griffiths, registered as Jose Rahman", 22) == "Lucia Griffiths"
    assert label("+447243546093 (Lucia Griffiths, registered as X)", 36) == (
        "+447243546093 (Lucia Griffiths)"
    )
    assert label("+447243546093 (Lucia Griffiths, registered as X)", 22) == "Lucia Griffiths"
    assert label("Maximilian Alexander Konstantinopoulos", 22) == "Maximilian Alexander…"
    assert label("Bob", 22) == "Bob"


def test_a_phone_in_a_table_names_its_holder_as_the_command_line_does() -> None:
    """A false registration stays visible in the report's tables: the hand-off table named
    the phone's holder ``Matt Knight`` where `show handoffs` said ``Matt Knight, registered
    as Donna Hall`` (the picture's shortening was used for tables too)."""
    from types import SimpleNamespace

    from graphkit.report.text import display_names

    actors = pd.DataFrame(
        {
            "actor_id": ["P50ff1041a4177d39", "+447700900009"],
            "name": ["Matt Knight, registered as Donna Hall", None],
            "phones": [["+447318617357"], ["+447700900009"]],
        }
    )
    names = display_names(SimpleNamespace(actors=actors))  # type: ignore[arg-type]
    assert names["+447318617357"] == "+447318617357 (Matt Knight, registered as Donna Hall)"
    assert names["P50ff1041a4177d39"].startswith("Matt Knight, registered as Donna Hall (")
    assert names["+447700900009"] == "+447700900009"
