"""People are names, not ids: every view, table and JSON object names each actor it shows;
`show CASE actor QUERY` and `export --actors` find actors by name, phone or id; tables say
how many rows their limit left out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from typer.testing import CliRunner

from graphkit.cli._common import console, render
from graphkit.cli.app import app
from graphkit.errors import InputError
from graphkit.people import Actor, Directory, directory, short_id
from graphkit.store import CaseStore
from graphkit.views import all_views
from tests.test_people import people_case, unique_person

_TOKEN = re.compile(r"\+?\w[\w.:\-]*\w")
# rejects show the source's raw lines: evidence as it was read, not actors to name
_RAW = {"rejects", "sources"}


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return people_case(tmp_path_factory.mktemp("names"))


@pytest.fixture(scope="module")
def store(case_dir: Path) -> CaseStore:
    return CaseStore.open(case_dir)


@pytest.fixture(scope="module")
def people(store: CaseStore) -> Directory:
    return directory(store)


@pytest.fixture(scope="module")
def pages(store: CaseStore, people: Directory) -> dict[str, list[dict[str, Any]]]:
    """Every view's rows, all of them (the actor view: the card of a well-connected person)."""
    out = {}
    for name, v in all_views().items():
        if name in _RAW:
            continue
        query = unique_person(people).actor_id if v.query else None
        out[name] = v.page(store, limit=0, query=query).rows
    return out


def _named_actors(text: str, people: Directory) -> Iterator[Actor]:
    """The named actors whose id or phone appears as a token of ``text``."""
    for token in _TOKEN.findall(text):
        actor = people.get(token)
        if actor is not None and actor.named:
            yield actor


def _shown(value: Any, key: str = "") -> Iterator[str]:
    """The text of a JSON value, but for phone lists: a row's ``phones`` are its own actor's
    (a person's number the actor graph gives to another holder is still the person's)."""
    if key == "phones" or key.endswith("_phones"):
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _shown(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _shown(v, key)
    elif value is not None:
        yield str(value)


def test_every_view_has_rows_to_check(pages: dict[str, list[dict[str, Any]]]) -> None:
    empty = [name for name, rows in pages.items() if not rows]
    assert empty == [], "the test case should give every view rows"


def test_no_json_object_shows_an_actor_without_its_name(
    pages: dict[str, list[dict[str, Any]]], people: Directory, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, rows in pages.items():
        render(rows, json_output=True, title=name)
        for row in json.loads(capsys.readouterr().out):
            text = json.dumps(row, ensure_ascii=False)
            for actor in _named_actors(" ".join(_shown(row)), people):
                assert actor.name in text, (name, actor.actor_id, text[:300])


def test_no_table_shows_an_actor_without_its_name(
    pages: dict[str, list[dict[str, Any]]], people: Directory
) -> None:
    short = {short_id(a.actor_id): a for a in people.actors if a.named}
    width = console.width
    console.width = 20_000  # one table row (or explanation paragraph) per line
    try:
        for name, rows in pages.items():
            with console.capture() as cap:
                render(rows, json_output=False, title=name, record=name == "actor")
            lines = cap.get().splitlines()
            if name == "actor":  # a card: the record's fields (id, name, ...) read together
                end = next(i for i, line in enumerate(lines) if line.startswith("└")) + 1
                lines = [" ".join(lines[:end]), *lines[end:]]
            for line in lines:
                # ids, whole or cut short (phones: see the JSON test)
                shown = [a for a in _named_actors(line, people) if a.actor_id in line]
                shown += [a for s, a in short.items() if s in line]
                for actor in shown:
                    assert actor.name in line, (name, actor.actor_id, line[:300])
    finally:
        console.width = width


def test_tables_show_name_and_short_id_and_json_the_fields(
    pages: dict[str, list[dict[str, Any]]], people: Directory
) -> None:
    top = pages["leaders"][0]
    actor = people.by_id[top["actor_id"]]
    assert top["name"] == actor.name and top["phones"] == list(actor.phones)
    with console.capture() as cap:
        render(pages["leaders"][:3], json_output=False, title="leaders")
    assert f"{actor.name} ({short_id(actor.actor_id)})" in cap.get().replace("\n", " ") or (
        not actor.named
    )
    links = pages["predicted-links"]
    planted = next(r for r in links if r["evidence"].get("paths"))
    a, x = people.by_id[planted["a"]], people.by_id[planted["evidence"]["paths"][0][1]]
    assert planted["a_name"] == a.name and planted["b_name"] == people.by_id[planted["b"]].name
    assert planted["evidence_names"][x.actor_id] == x.name
    # evidence in words: the contacts and paths by name, not the lengths of lists
    # a person's first mention: name, id and phones (people are names with their phones)
    said = f"via {x.name} ({x.actor_id}" + (f"; {x.phones[0]}" if x.phones else ")")
    assert said in planted["explanation"]
    assert "2 shared contact(s): " in planted["explanation"]
    assert "score 1-4.0e-05" in planted["explanation"]  # 0.99996, not "1.00"
    handoff = pages["handoffs"][0]
    for side in ("old", "new"):
        holder = people.get(handoff[side])
        assert holder is not None and handoff[f"{side}_name"] == holder.name
    group = next(r for r in pages["blackouts"] if r["kind"] == "group")
    assert group["members_names"] == [people.by_id[m].name for m in group["members"]]


def _cli(*args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)


def test_show_actor_prints_the_card_found_by_a_national_format_phone(
    case_dir: Path, people: Directory
) -> None:
    actor = unique_person(people)
    parsed = phonenumbers.parse(actor.phones[0])
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    result = _cli("show", case_dir, "actor", national, "--json")
    assert result.exit_code == 0, result.output
    (card,) = json.loads(result.stdout)
    assert (card["actor_id"], card["name"], card["phones"]) == (
        actor.actor_id,
        actor.name,
        list(actor.phones),
    )
    assert {"community", "leadership", "leadership_rank", "hypotheses", "blackouts"} <= set(card)
    table = _cli("show", case_dir, "actor", actor.name.upper())
    assert table.exit_code == 0, table.output
    for text in (actor.actor_id, actor.name, actor.phones[0], str(card["community"])):
        assert text in table.stdout


def test_show_actor_with_a_typo_or_without_a_query_is_a_one_line_error(
    case_dir: Path, people: Directory
) -> None:
    actor = unique_person(people)
    first, *rest = actor.name.split()
    typo = f"{first} {rest[-1][0]}{rest[-1][2:]}"  # one letter dropped
    result = _cli("show", case_dir, "actor", typo)
    assert isinstance(result.exception, InputError)
    assert f"did you mean {actor.name}" in str(result.exception)
    missing = _cli("show", case_dir, "actor")
    assert isinstance(missing.exception, InputError) and "needs a query" in str(missing.exception)
    extra = _cli("show", case_dir, "leaders", "someone")
    assert isinstance(extra.exception, InputError) and "takes no query" in str(extra.exception)


def test_tables_say_what_the_limit_left_out_and_limit_0_shows_all(
    case_dir: Path, store: CaseStore
) -> None:
    total = len(all_views()["actors"].page(store, limit=0).rows)
    result = _cli("show", case_dir, "actors", "--limit", "3")
    assert result.exit_code == 0
    assert f"actors (3 of {total})" in result.stdout
    assert f"… {total - 3} more not shown (--limit 0 shows all)" in result.stdout
    leaders = all_views()["leaders"]
    # every actor is ranked on its own leadership (a likely burner is marked, not folded)
    assert len(leaders.page(store).rows) == 20 and leaders.page(store).total == total
    every = _cli("show", case_dir, "actors", "--limit", "0", "--json")
    assert len(json.loads(every.stdout)) == total


def test_export_actors_by_name_and_by_phone_in_another_format(
    case_dir: Path, people: Directory, tmp_path: Path
) -> None:
    actor = unique_person(people)
    other = next(a for a in people.actors if a.in_graph and a.phones and a is not actor)
    spaced = phonenumbers.format_number(
        phonenumbers.parse(other.phones[0]), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    case = tmp_path / "case"
    import shutil

    shutil.copytree(case_dir, case)
    out = tmp_path / "ego.json"
    result = _cli(
        "export", case, "-f", "json", "-o", out, "--purpose", "test", "--recipient", "test",
        "--hops", "0", "--actors", f"{actor.name.lower()},{spaced}",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads(next(tmp_path.glob("ego.json*manifest*")).read_text())
    assert sorted(manifest["selection"]["actors"]) == sorted([actor.actor_id, other.actor_id])
