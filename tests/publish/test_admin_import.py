"""CSV files for neo4j-admin: headers, row counts, arrays and the command line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphkit.errors import InputError
from graphkit.publish.admin_import import ARRAY_DELIMITER, export_neo4j_import


@pytest.fixture
def exported(con, tmp_path: Path):
    return export_neo4j_import(con, tmp_path / "imp", case_id="c1", run_id="r1"), tmp_path / "imp"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_one_file_per_step_with_all_rows(exported, con) -> None:
    result, out = exported
    assert set(result.files) == {p.name for p in out.glob("*.csv")}
    for name, rows in result.files.items():
        assert len(_read(out / name)) == rows
    assert result.files["node_person.csv"] == 104
    total = con.execute("SELECT count(*) FROM rel_contact").fetchall()[0][0]
    assert sum(v for k, v in result.files.items() if k.startswith("rel_contact")) == total


def test_headers_declare_ids_ends_and_types(exported) -> None:
    _, out = exported
    phone = _read(out / "node_phone.csv")
    assert list(phone[0])[:3] == ["msisdn:ID(Phone)", "valid_number:boolean", "first_seen:datetime"]
    assert phone[0]["case_id:string"] == "c1" and phone[0]["publish_run:string"] == "r1"
    rel = _read(out / "rel_contact__phone__person.csv")
    assert list(rel[0])[:2] == [":START_ID(Phone)", ":END_ID(Person)"]


def test_arrays_and_datetimes_round_trip(exported, con) -> None:
    _, out = exported
    rows = _read(out / "rel_connected_via.csv")
    row = next(r for r in rows if ARRAY_DELIMITER in r["hours:datetime[]"])
    hours = row["hours:datetime[]"].split(ARRAY_DELIMITER)
    want = con.execute(
        """SELECT list_sort(list_distinct(list(strftime(date_trunc('hour', "start"),
        '%Y-%m-%dT%H:%M:%S.%gZ')))) FROM src_cdr WHERE caller = ? AND cell_id = ?""",
        [row[":START_ID(Phone)"], row[":END_ID(Cell)"]],
    ).fetchall()[0][0]
    assert hours == want
    person = _read(out / "node_person.csv")[0]
    assert person["aliases:string[]"] == ""  # empty list: no property, not [""]
    evidence = _read(out / "rel_same_user_as.csv")[0]["evidence:string"]
    assert '"shared_contacts": 5' in evidence


def test_the_command_names_every_file(exported) -> None:
    result, out = exported
    cmd = result.command_line()
    assert cmd.startswith("neo4j-admin database import full neo4j ")
    for name in result.files:
        assert str(out.resolve() / name) in cmd
    assert "--nodes=Person=" in cmd and "--relationships=CONTACT=" in cmd
    assert "--array-delimiter=U+001F" in result.import_command
    assert (out / result.schema_file).read_text().count("CREATE CONSTRAINT") == 7


def test_import_dir_and_refusing_to_overwrite(con, tmp_path: Path) -> None:
    result = export_neo4j_import(con, tmp_path / "a", case_id="c", run_id="r", import_dir="/import")
    assert "--nodes=Phone=/import/node_phone.csv" in result.import_command
    with pytest.raises(InputError, match="already holds CSV"):
        export_neo4j_import(con, tmp_path / "a", case_id="c", run_id="r")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\x1f"),
            max_size=30,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_text_survives_the_csv(tmp_path_factory, names: list[str]) -> None:
    """Quotes, commas, line breaks and any Unicode come back as written (RFC 4180 quoting)."""
    import duckdb

    from graphkit.model import node, node_ddl

    out = tmp_path_factory.mktemp("csv")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(node_ddl(node("Person")))
    for i, name in enumerate(names):
        con.execute(
            "INSERT INTO node_person (person_id, full_name, aliases) VALUES (?, ?, ?)",
            [f"P{i}", name, [name, "x"]],
        )
    export_neo4j_import(con, out, case_id="c", run_id="r")
    rows = _read(out / "node_person.csv")
    assert [r["full_name:string"] for r in rows] == names
    assert [r["aliases:string[]"].split(ARRAY_DELIMITER) for r in rows] == [[n, "x"] for n in names]
