"""People by name: display names, finding actors by name, phone (any format) or id."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import phonenumbers
import pytest

from graphkit.cdr.device_store import store_devices
from graphkit.cdr.devices import detect_devices
from graphkit.errors import InputError
from graphkit.people import Actor, Directory, _fold, directory, find_actor, find_actors, short_id
from graphkit.store import CaseStore
from tests.export.cases import add_hypotheses, resolved_case

_BUILT: dict[str, Path] = {}


def people_case(root: Path) -> Path:
    """The resolved simulated case (persons with names, phone actors, blackouts, hand-offs)
    plus planted predicted links, one with evidence as the gnn stage writes it (shared
    contacts, paths). Built once per test process."""
    if "people" not in _BUILT:
        base = root / "people-case"
        shutil.copytree(resolved_case(root), base)
        store = CaseStore.open(base)
        add_hypotheses(store)
        store_devices(store, detect_devices(store))  # rows for the devices view
        with store.operation("test fixture", operation="alteration"), store.connect() as con:
            a, x, y, b = (
                r[0]
                for r in con.execute(
                    "SELECT actor_id FROM analytics_actor WHERE kind = 'person' "
                    "ORDER BY betweenness DESC, actor_id LIMIT 4"
                ).fetchall()
            )
            evidence = {
                "shared_contacts": [x, y],
                "n_shared_contacts": 2,
                "paths": [[a, x, b], [a, y, b]],
                "shortest_path_hops": 2,
                "heuristics": {"adamic_adar": 1.2, "jaccard": 0.3},
            }
            con.execute(
                "INSERT INTO rel_predicted_link VALUES (?, ?, 0.99996, 0.5, 'gnn-link/sage/abc', "
                "?, 'hypothesis', NULL, NULL)",
                [a, b, json.dumps(evidence)],
            )
        _BUILT["people"] = base
    return _BUILT["people"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> CaseStore:
    return CaseStore.open(people_case(tmp_path_factory.mktemp("people")))


@pytest.fixture(scope="module")
def people(store: CaseStore) -> Directory:
    return directory(store)


def unique_person(people: Directory) -> Actor:
    """A person actor with a phone whose name no other actor shares, in part or whole."""
    words = Counter(
        w for a in people.actors for w in {w for n in (a.name, *a.names) for w in _fold(n).split()}
    )
    for a in people.actors:
        usable = a.kind == "person" and a.phones and a.in_graph and a.named
        if usable and all(words[w] == 1 for w in _fold(a.name).split()):
            return a
    raise AssertionError("the simulated case has no uniquely named person")


def test_persons_are_named_by_their_resolved_name_and_phones_by_themselves(
    store: CaseStore, people: Directory
) -> None:
    with store.connect(read_only=True) as con:
        names = dict(con.execute("SELECT person_id, full_name FROM node_person").fetchall())
        actors = con.execute("SELECT actor_id, kind, phones FROM actor").fetchall()
    assert {a.actor_id for a in people.actors if a.in_graph} == {r[0] for r in actors}
    for actor_id, kind, phones in actors:
        a = people.by_id[actor_id]
        assert a.phones == tuple(phones)
        if kind == "person" and ", registered as " in a.name:  # see the test below
            assert a.name.endswith(f", registered as {names[actor_id].strip()}")
        elif kind == "person":
            assert a.name == names[actor_id].strip() and a.label() == f"{a.name} ({actor_id})"
        else:
            assert a.name == actor_id and not a.named and a.label() == actor_id
        for p in phones:
            assert people.get(p) is a


def test_found_by_name_in_any_case_by_id_and_by_its_first_characters(
    store: CaseStore, people: Directory
) -> None:
    a = unique_person(people)
    for query in (a.name, a.name.upper(), f"  {a.name.lower()} ", a.actor_id, a.actor_id.lower()):
        assert find_actors(store, query) == [a], query
    assert find_actor(store, a.actor_id[:7]) == a
    assert find_actor(store, short_id(a.actor_id)) == a  # as the tables print it: "P93c67e4…"
    surname = a.name.split()[-1]
    assert find_actor(store, surname.lower()) == a  # a word of the name


def test_found_by_phone_in_national_international_and_bare_formats(
    store: CaseStore, people: Directory
) -> None:
    a = unique_person(people)
    phone = a.phones[0]
    parsed = phonenumbers.parse(phone)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    spaced = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    assert " " in national and national.startswith("0")
    for query in (phone, national, spaced, "00" + phone[1:], phone[1:], national[-8:]):
        assert find_actor(store, query) == a, query


def test_a_typo_suggests_the_right_name_in_one_line(store: CaseStore, people: Directory) -> None:
    a = unique_person(people)
    first, *rest = a.name.split()
    surname = rest[-1]
    typo = f"{first} {surname[0]}{surname[2:]}"  # one letter dropped
    assert people.find(typo) == []
    with pytest.raises(InputError) as err:
        find_actor(store, typo)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"unknown actor {typo!r}")
    assert f"did you mean {a.name} ({a.actor_id})" in message
    with pytest.raises(InputError, match="did you mean"):
        find_actors(store, typo)


def test_an_ambiguous_query_lists_the_candidates(store: CaseStore, people: Directory) -> None:
    shared = next(
        w
        for a in people.actors
        if a.kind == "person"
        for w in a.name.split()
        if len(people.find(w)) > 1
    )
    hits = people.find(shared)
    with pytest.raises(InputError) as err:
        find_actor(store, shared)
    message = str(err.value)
    assert message.startswith(f"{shared!r} matches {len(hits)} actors: {hits[0].name} (")
    assert "\n" not in message and message.endswith("give more of the name, a phone or the id")
    prefix = people.actors[0].actor_id[:3]
    assert people.find(prefix) == sorted(
        (a for a in people.actors if a.in_graph and a.actor_id.startswith(prefix)),
        key=lambda a: (a.name.casefold(), a.actor_id),
    )


def test_text_names_ids_once_and_phones_beside_their_holder(people: Directory) -> None:
    a = unique_person(people)
    phone_actor = next(x for x in people.actors if x.kind == "phone")
    text = (
        f"{a.actor_id} (numbers joined) called {phone_actor.actor_id} 12 times; {a.actor_id} again"
    )
    named = people.name_text(text)
    # the first mention: name, id and the person's phones (two, then how many more)
    more = f" and {len(a.phones) - 2} more" if len(a.phones) > 2 else ""
    phones = ", ".join(a.phones[:2]) + more
    assert named == (
        f"{a.name} ({a.actor_id}; {phones}; numbers joined) called {phone_actor.actor_id} "
        f"12 times; {a.name} again"
    )
    assert people.name_text(f"{a.phones[0]} stopped") == f"{a.phones[0]} ({a.name}) stopped"
    already = f"{a.name} ({a.actor_id}) is named"
    assert people.name_text(already) == already
    assert people.names_in({"paths": [[a.actor_id, phone_actor.actor_id]]}) == {a.actor_id: a.name}


def test_text_already_labelled_is_kept_and_later_mentions_are_named() -> None:
    """The shared-phones explanation (issue B3): a list of persons as ``Name (id: records)``,
    then a sentence naming one by id alone. The list is left as written (no display name in
    place of an id, no name inside its own label) and the sentence names the person as the
    list does."""
    oliver = Actor("P523d91b1f9c1d109", "person", "Oliver Ellis", ("+447127900551",))
    other = Actor("P1111111111111111", "person", "Ann Other", ())
    jose = Actor(
        "P90a2290aaaaaaaaa",
        "person",
        "Patricia Iqbal, registered as Jose Rahman",
        ("+447203562042",),
        ("Jose Rahman",),
    )
    patricia = Actor("P9bb545be9684fdfe", "person", "Patricia Iqbal", ())
    people = Directory([oliver, other, jose, patricia])
    text = (
        "+447127900551 is used by 2 resolved persons: Oliver Ellis (P523d91b1f9c1d109: "
        "opA:AS1); Ann Other (P1111111111111111: police:PNC1). The actor graph gives it to "
        "P523d91b1f9c1d109 (no use dated: smallest id)."
    )
    assert people.name_text(text) == (
        "+447127900551 is used by 2 resolved persons: Oliver Ellis (P523d91b1f9c1d109: "
        "opA:AS1); Ann Other (P1111111111111111: police:PNC1). The actor graph gives it to "
        "Oliver Ellis (no use dated: smallest id)."
    )
    text = (
        "+447203562042 is used by 2 resolved persons: Jose Rahman (P90a2290aaaaaaaaa: "
        "opB_subscribers:BS0000928; no other number); Patricia Iqbal (P9bb545be9684fdfe: "
        "police_persons:PNC000219). The actor graph gives it to P90a2290aaaaaaaaa (no use "
        "dated: smallest id)."
    )
    assert people.name_text(text) == (
        "+447203562042 (Patricia Iqbal, registered as Jose Rahman) is used by 2 resolved "
        "persons: Jose Rahman (P90a2290aaaaaaaaa: opB_subscribers:BS0000928; no other number); "
        "Patricia Iqbal (P9bb545be9684fdfe: police_persons:PNC000219). The actor graph gives "
        "it to Jose Rahman (no use dated: smallest id)."
    )
    labelled = "+447203562042 (Patricia Iqbal, registered as Jose Rahman) stopped"
    assert people.name_text(labelled) == labelled


def test_each_phone_of_one_person_says_whose_it_is() -> None:
    """A hand-off between two numbers of one person (issue B3): the new number is named too,
    each number once."""
    sandra = Actor("Pa1", "person", "Sandra Walker", ("+447287961148", "+447760021711"))
    people = Directory([sandra])
    text = "Hbf8: hand-off +447287961148 -> +447760021711 confirmed; +447760021711 started"
    assert people.name_text(text) == (
        "Hbf8: hand-off +447287961148 (Sandra Walker) -> +447760021711 (Sandra Walker) "
        "confirmed; +447760021711 started"
    )


def test_rows_get_name_and_phones_beside_each_actor_column(people: Directory) -> None:
    a = unique_person(people)
    phone_actor = next(x for x in people.actors if x.kind == "phone")
    rows = [
        {
            "actor_id": a.actor_id,
            "superior": None,
            "members": [a.actor_id, phone_actor.actor_id],
            "old": a.phones[0],
            "explanation": f"above {a.actor_id}",
            "evidence": {"via": [a.actor_id]},
        }
    ]
    (row,) = people.name_rows(rows, ("actor_id", "superior", "members", "old"))
    assert list(row)[:3] == ["actor_id", "name", "phones"]
    assert row["name"] == a.name and row["phones"] == list(a.phones)
    assert row["superior_name"] is None and row["superior_phones"] == []
    assert row["members_names"] == [a.name, phone_actor.actor_id]
    assert row["members_phones"] == [list(a.phones), list(phone_actor.phones)]
    assert row["old_name"] == a.name and row["old_actor"] == a.actor_id
    assert row["explanation"] == f"above {a.name} ({a.actor_id}; {', '.join(a.phones[:2])})"
    assert row["evidence_names"] == {a.actor_id: a.name}


def _truth(store: CaseStore) -> Path:
    files = [Path(s["file"]) for s in store.manifest["sources"].values()]
    return files[0].parent.parent / "truth"


def test_a_false_registration_another_record_contradicts_is_shown_as_registered_as(
    store: CaseStore, people: Directory
) -> None:
    """The simulator registers some phones under invented names (truth/phones.csv
    ``registered_as = fake``) while police records list the true user's numbers: such an
    actor is named after the other record, ``registered as`` the subscriber name."""
    import csv

    from graphkit.simulate.names import NICKNAMES

    truth = _truth(store)
    with (truth / "persons.csv").open(encoding="utf-8") as f:
        names = {r["person_id"]: f"{r['first_name']} {r['last_name']}" for r in csv.DictReader(f)}
    with (truth / "phones.csv").open(encoding="utf-8") as f:
        phones = {r["msisdn"]: r for r in csv.DictReader(f)}
    with store.connect(read_only=True) as con:
        full = dict(con.execute("SELECT person_id, full_name FROM node_person").fetchall())
    flagged = [a for a in people.actors if ", registered as " in a.name]
    assert flagged, "the simulated case has no contradicted registration"
    for a in flagged:
        other, registered = a.name.split(", registered as ")
        assert registered == full[a.actor_id].strip() and registered in a.names
        held = [phones[p] for p in a.phones if p in phones]
        assert any(h["registered_as"] == "fake" for h in held), a
        # the other record names the number's true user (up to the records' typos and the
        # simulator's nicknames: Hal for Harry)
        owners = {_fold(names[h["person_id"]]) for h in held}
        owners |= {
            _fold(f"{nick} {last}")
            for o in owners
            for first, last in [o.split(" ", 1)]
            for full, nicks in NICKNAMES.items()
            if _fold(full) == first
            for nick in nicks
        }
        assert _fold(other) in owners or any(
            sum(x != y for x, y in zip(_fold(other), o, strict=False)) <= 2 for o in owners
        ), (a, owners)
    # the rest keep their resolved name
    for a in people.actors:
        if a.kind == "person" and a not in flagged and a.actor_id in full and full[a.actor_id]:
            assert a.name == full[a.actor_id].strip()
    # found by either name: the subscriber name leads to the actor holding the phone
    a = flagged[0]
    registered = a.name.split(", registered as ")[1]
    assert a in people.find(registered)


def test_the_report_names_a_contradicted_registration_as_the_directory_does(
    store: CaseStore,
) -> None:
    from graphkit.report.collect import collect

    report_case = store
    facts = collect(report_case)
    people = directory(report_case)
    with report_case.connect(read_only=True) as con:
        subscribed = {  # the registrations, as ingested
            m: n
            for m, n in con.execute(
                "SELECT msisdn, coalesce(full_name, concat_ws(' ', first_name, last_name)) "
                "FROM src_subscribers"
            ).fetchall()
        }
    named = dict(zip(facts.actors["actor_id"], facts.actors["name"], strict=True))
    contradicted = [a for a in people.actors if ", registered as " in a.name and a.in_graph]
    assert contradicted, "the simulated case has no contradicted registration"
    for a in contradicted:  # the other record's name first, the registration after
        assert named[a.actor_id] == a.name
        registration = a.name.split(", registered as ")[1]
        assert registration in {subscribed.get(p) for p in a.phones}
    # a person whose records agree keeps the resolved name alone
    plain = [a for a in people.actors if a.kind == "person" and a.in_graph and a.named]
    assert any(named.get(a.actor_id) == a.name and "registered" not in a.name for a in plain)
