"""Time wheel (graphkit.cdr.activity) against pandas on the same ``src_cdr`` rows.

A simulated case (100 people, 14 days, built into actors); every matrix, for a phone, an
actor, a group and every actor at once, must equal a pandas crosstab of the same records in
the same time zone, one with a half-hour offset included.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graphkit.cdr.activity import (
    activity_matrix,
    actor_activity,
    case_timezone,
    community_activity,
)
from graphkit.errors import CaseError, GraphkitError, InputError
from graphkit.people import directory
from graphkit.store import CaseStore
from graphkit.views import get_view


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> CaseStore:
    from graphkit.build import build_graph
    from graphkit.ingest import ingest_file
    from graphkit.runfile import load_case_file
    from graphkit.simulate import SimulationSpec, simulate

    base = tmp_path_factory.mktemp("activity")
    result = simulate(base / "sim", spec=SimulationSpec(seed=11, people=100, days=14, groups=2))
    store = CaseStore.init(base / "case", name="activity")
    for s in load_case_file(result.case_toml).sources:
        ingest_file(store, s.file, kind=s.kind, mapping_path=s.mapping, source_name=s.name)
    build_graph(store)
    return store


def _records(store: CaseStore) -> pd.DataFrame:
    with store.connect(read_only=True) as con:
        return con.execute(
            "SELECT source_name, row_number, caller, callee, start FROM src_cdr "
            "WHERE NOT coalesce(is_duplicate, false) AND start IS NOT NULL"
        ).df()


def _pandas_wheel(records: pd.DataFrame, phones: set[str], zone: str) -> np.ndarray:
    """The brute force: records with a caller or callee among ``phones``, each once."""
    mine = records[records["caller"].isin(phones) | records["callee"].isin(phones)]
    local = pd.to_datetime(mine["start"], utc=True).dt.tz_convert(zone)
    out = np.zeros((7, 24), dtype=np.int64)
    np.add.at(out, (local.dt.dayofweek.to_numpy(), local.dt.hour.to_numpy()), 1)
    return out


def _busiest_actor(store: CaseStore, records: pd.DataFrame) -> tuple[str, tuple[str, ...]]:
    people = directory(store)
    counts = pd.concat([records["caller"], records["callee"]]).value_counts()
    for phone in counts.index:
        actor = people.get(phone)
        if actor is not None and len(actor.phones) >= 1 and actor.in_graph:
            return actor.actor_id, actor.phones
    raise AssertionError("no actor with records")


def test_published_hour_of_week_is_the_utc_wheel(case: CaseStore) -> None:
    """Phone.hour_of_week, which the time_wheel query of cypher/queries sums over an actor's
    phones, is the actor's UTC wheel plus the calls between two of its own phones."""
    records = _records(case)
    actor_id, phones = _busiest_actor(case, records)
    wheel = activity_matrix(case, actor_id, kind="actor", timezone="UTC")
    with case.connect(read_only=True) as con:
        profiles = con.execute(
            "SELECT hour_of_week FROM node_phone WHERE list_contains($p::VARCHAR[], msisdn)",
            {"p": list(phones)},
        ).fetchall()
    summed = np.sum([np.asarray(p[0]) for p in profiles], axis=0).reshape(7, 24)
    own = records[records["caller"].isin(phones) & records["callee"].isin(phones)]
    expected = wheel.matrix + _pandas_wheel(own, set(phones), "UTC")
    assert len(profiles) == len(phones)
    np.testing.assert_array_equal(summed.astype(np.int64), expected)
    assert wheel.events > 20


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "Asia/Kolkata"])
def test_actor_and_phone_wheels_equal_pandas(case: CaseStore, zone: str) -> None:
    records = _records(case)
    actor_id, phones = _busiest_actor(case, records)
    found = activity_matrix(case, actor_id, kind="actor", timezone=zone)
    expected = _pandas_wheel(records, set(phones), zone)
    assert found.matrix.shape == (7, 24)
    np.testing.assert_array_equal(found.matrix, expected)
    assert found.events == int(expected.sum()) > 20
    phone = phones[0]
    by_phone = activity_matrix(case, phone, kind="phone", timezone=zone)
    np.testing.assert_array_equal(by_phone.matrix, _pandas_wheel(records, {phone}, zone))


def test_half_hour_zone_moves_records_between_hours(case: CaseStore) -> None:
    records = _records(case)
    actor_id, _ = _busiest_actor(case, records)
    utc = activity_matrix(case, actor_id, timezone="UTC").matrix
    india = activity_matrix(case, actor_id, timezone="Asia/Kolkata").matrix
    assert utc.sum() == india.sum()
    assert not np.array_equal(utc, india)


def test_phone_in_another_format_and_case_time_zone(case: CaseStore) -> None:
    records = _records(case)
    phone = str(records["caller"].value_counts().index[0])
    national = "0" + phone.removeprefix("+44")  # 07700 900123 as typed in the UK
    a = activity_matrix(case, phone, kind="phone")
    b = activity_matrix(case, national, kind="phone")
    assert a.subject == b.subject == phone
    assert a.timezone == case_timezone(case) == "Europe/London"
    np.testing.assert_array_equal(a.matrix, b.matrix)


def test_group_wheel_counts_each_record_once(case: CaseStore) -> None:
    records = _records(case)
    people = directory(case)
    members = [a for a in people.actors if a.in_graph and a.phones][:6]
    with case.operation("test fixture", operation="alteration"), case.connect() as con:
        con.execute("DELETE FROM rel_member_of")
        for a in members:
            con.execute(
                "INSERT INTO rel_member_of (src, dst, confidence) VALUES (?, 'C-test', 1.0)",
                [a.actor_id],
            )
    phones = {p for a in members for p in a.phones}
    found = activity_matrix(case, "C-test", kind="group", timezone="UTC")
    np.testing.assert_array_equal(found.matrix, _pandas_wheel(records, phones, "UTC"))
    both = records["caller"].isin(phones) & records["callee"].isin(phones)
    single = sum(activity_matrix(case, p, kind="phone", timezone="UTC").events for p in phones)
    assert found.events == single - int(both.sum())  # a call inside the group counts once
    assert "6 members" in found.name
    (row,) = community_activity(case, timezone="UTC")  # the one community, same records
    assert row["community_id"] == "C-test"
    np.testing.assert_array_equal(np.array(row["matrix"]), found.matrix)


def test_every_actor_at_once_equals_pandas(case: CaseStore) -> None:
    records = _records(case)
    people = directory(case)
    rows = actor_activity(case, timezone="UTC")
    assert rows and [r["events"] for r in rows] == sorted((r["events"] for r in rows), reverse=True)
    for row in rows[:15] + rows[-5:]:
        actor = people.by_id[row["actor_id"]]
        expected = _pandas_wheel(records, set(actor.phones), "UTC")
        np.testing.assert_array_equal(np.array(row["matrix"]), expected)
        assert row["by_hour"] == expected.sum(axis=0).tolist()
        assert row["by_day"] == expected.sum(axis=1).tolist()
        total = expected.sum()
        assert row["night_share"] == pytest.approx(expected[:, :6].sum() / total)
        assert row["weekend_share"] == pytest.approx(expected[5:].sum() / total)
    seen = set(records["caller"]) | set(records["callee"])
    expected_actors = {a.actor_id for a in people.actors if a.in_graph and set(a.phones) & seen}
    assert {r["actor_id"] for r in rows} == expected_actors


def test_show_activity_names_actors(case: CaseStore) -> None:
    rows = get_view("activity")(case, limit=5)
    assert len(rows) == 5
    people = directory(case)
    for row in rows:
        assert row["name"] == people.by_id[row["actor_id"]].name
        assert row["phones"] == list(people.by_id[row["actor_id"]].phones)
        assert list(row["matrix"]) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        assert sum(map(sum, row["matrix"].values())) == row["events"]
        assert [sum(h) for h in row["matrix"].values()] == list(row["by_day"].values())
        assert f"{row['events']} records, busiest {row['peak']}" in row["explanation"]


@pytest.mark.parametrize(
    ("query", "kind", "zone", "error", "words"),
    [
        ("Nobody Atall Zzyzx", "actor", None, InputError, "unknown actor"),
        ("+447000000001", "phone", None, InputError, "unknown phone"),
        ("C-nope", "group", None, InputError, "unknown group"),
        ("+447000000001", "phone", "Mars/Olympus", InputError, "unknown time zone"),
        ("x", "household", None, InputError, "kind"),
    ],
)
def test_bad_input_is_one_line(
    case: CaseStore, query: str, kind: str, zone: str | None, error: type, words: str
) -> None:
    with pytest.raises(error) as exc:
        activity_matrix(case, query, kind=kind, timezone=zone)  # type: ignore[arg-type]
    assert isinstance(exc.value, GraphkitError)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_case_without_call_records(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "empty", name="empty")
    with pytest.raises(CaseError, match="no call records"):
        activity_matrix(store, "+447700900123", kind="phone")
