"""The resolution views: numbers that several resolved persons use."""

from __future__ import annotations

from pathlib import Path

from graphkit.store import CaseStore
from graphkit.views import get_view
from resolution.views import shared_phones_view


def _case(tmp_path: Path, *, with_actors: bool) -> CaseStore:
    store = CaseStore.init(tmp_path / "case")
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        con.execute(
            "INSERT INTO node_person BY NAME SELECT * FROM (VALUES "
            "('PA', 'Donna Shaw', 2), ('PB', 'Lucy Parker', 1), ('PC', 'Ann Lee', 1)"
            ") AS t(person_id, full_name, record_count)"
        )
        con.execute(
            "INSERT INTO rel_uses BY NAME SELECT * FROM (VALUES "
            "('PA', '+447700900123', TIMESTAMPTZ '2024-01-02 10:00:00+00', ['police:7']), "
            "('PA', '+447700900456', NULL, ['police:7']), "
            "('PB', '+447700900123', NULL, ['opA_subscribers:AS11']), "
            "('PC', '+447700900789', NULL, ['opA_subscribers:AS12'])"
            ") AS t(src, dst, last, source_records)"
        )
        if with_actors:
            con.execute(
                "CREATE TABLE actor AS SELECT * FROM (VALUES "
                "('PA', 'person', ['+447700900123', '+447700900456']), "
                "('PB', 'person', []::VARCHAR[]), ('PC', 'person', ['+447700900789'])"
                ") AS t(actor_id, kind, phones)"
            )
    return store


def test_a_number_two_persons_use_is_listed_with_both_and_who_holds_it(tmp_path: Path) -> None:
    store = _case(tmp_path, with_actors=True)
    (row,) = shared_phones_view(store)
    assert row["phone"] == "+447700900123"
    assert [p["person_id"] for p in row["persons"]] == ["PA", "PB"]  # dated use first
    assert [p["other_phones"] for p in row["persons"]] == [1, 0]
    assert row["persons"][1]["records"] == ["opA_subscribers:AS11"]
    assert row["attributed_to"] == "PA"
    text = row["explanation"]
    assert text.startswith("+447700900123 is used by 2 resolved persons: Donna Shaw (PA: police:7)")
    assert "Lucy Parker (PB: opA_subscribers:AS11; no other number)" in text
    assert "gives it to PA (latest use)" in text and "hypothesis to review" in text
    assert get_view("shared-phones").fn is shared_phones_view
    assert shared_phones_view(store, limit=0) == []


def test_without_an_actor_graph_the_attribution_is_left_out(tmp_path: Path) -> None:
    (row,) = shared_phones_view(_case(tmp_path, with_actors=False))
    assert row["attributed_to"] is None and "actor graph" not in row["explanation"]


def test_a_case_without_resolution_has_no_rows(tmp_path: Path) -> None:
    assert shared_phones_view(CaseStore.init(tmp_path / "empty")) == []


def test_the_leads_are_scored_against_the_simulated_phones(tmp_path: Path) -> None:
    from resolution.evaluate import _shared_phone_metrics

    store = _case(tmp_path, with_actors=True)
    truth = tmp_path / "truth"
    truth.mkdir()
    (truth / "phones.csv").write_text(
        "msisdn,person_id,registered_as,shared\n"
        "+447700900123,T1,fake,false\n"  # the one listed: a false registration
        "+447700900999,T2,fake,false\n"  # not listed: no second record ties it to anyone
        "+447700900456,T1,real,false\n",
        encoding="utf-8",
    )
    assert _shared_phone_metrics(store, truth) == {
        "shared_phones": 1,
        "false_registrations_listed": 0.5,
        "shared_phones_false_registration": 1.0,
        "shared_phones_explained": 1.0,
    }
    assert _shared_phone_metrics(store, tmp_path / "nothing") == {}
