"""The generated Cypher: equal to the checked-in files, complete for the model, values-free."""

from __future__ import annotations

import re

from graphkit.model import ACTOR, NODES, RELATIONSHIPS
from graphkit.publish.generate import differences, generated_files, write
from graphkit.publish.paths import cypher_dir
from graphkit.publish.properties import MERGE_DISCRIMINATORS
from graphkit.publish.statements import (
    all_statements,
    node_write,
    relationship_writes,
    schema_statements,
)

_LABEL_RE = re.compile(r"\(\w*:(\w+)")
_TYPE_RE = re.compile(r"\[\w*:(\w+)")


def test_checked_in_files_equal_the_model() -> None:
    assert differences(cypher_dir()) == []


def test_drift_is_detected(tmp_path) -> None:
    write(tmp_path)
    assert differences(tmp_path) == []
    node_file = tmp_path / "write" / "node_phone.cypher"
    node_file.write_text(node_file.read_text().replace("msisdn", "number"))
    (tmp_path / "write" / "node_old.cypher").write_text("RETURN 1")
    (tmp_path / "schema" / "constraint_person_key.cypher").unlink()
    assert differences(tmp_path) == [
        "missing schema/constraint_person_key.cypher",
        "changed write/node_phone.cypher",
        "extra write/node_old.cypher",
    ]


def test_every_key_merged_on_has_a_uniqueness_constraint() -> None:
    schema = "\n".join(s.text for s in schema_statements())
    for n in NODES:
        assert f"FOR (n:{n.label}) REQUIRE (n.case_id, n.{n.key}) IS UNIQUE" in schema
        assert f"MERGE (n:{n.label} {{case_id: $case_id, {n.key}: row.key}})" in node_write(n).text


def test_every_relationship_type_and_actor_end_has_a_write() -> None:
    for r in RELATIONSHIPS:
        writes = relationship_writes(r)
        ends = [len(("Person", "Phone")) if e == ACTOR else 1 for e in (r.start, r.end)]
        assert len(writes) == ends[0] * ends[1]
        for w in writes:
            assert f"MERGE (a)-[r:{r.type}" in w.text
            for d in MERGE_DISCRIMINATORS.get(r.type, ()):
                assert f"{d}: row.props.{d}" in w.text


def test_labels_and_types_come_only_from_the_model() -> None:
    labels = {n.label for n in NODES}
    types = {r.type for r in RELATIONSHIPS}
    for s in all_statements():
        assert set(_LABEL_RE.findall(s.text)) <= labels, s.name
        assert set(_TYPE_RE.findall(s.text)) <= types, s.name


def test_no_value_is_written_into_statement_text() -> None:
    for s in all_statements():
        if s.name.startswith("schema/"):
            continue
        assert "'" not in s.text and '"' not in s.text, s.name
        assert not re.search(r"(?<![\w$])\d", s.text), s.name


def test_file_names_are_unique_and_carry_a_header() -> None:
    files = generated_files()
    assert len(files) == len(all_statements())
    for text in files.values():
        assert text.startswith("// Generated from graphkit/model.py")
