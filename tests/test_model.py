from __future__ import annotations

import duckdb
import pytest

from graphkit import model


def test_every_declared_table_can_be_created() -> None:
    con = duckdb.connect()
    for n in model.NODES:
        con.execute(model.node_ddl(n))
    for r in model.RELATIONSHIPS:
        con.execute(model.relationship_ddl(r))
        cols = [c[0] for c in con.execute(f"DESCRIBE {r.table}").fetchall()]
        assert cols == ["src", "dst", *r.property_names()]


def test_ends_are_declared_labels_and_names_follow_conventions() -> None:
    labels = {n.label for n in model.NODES} | {model.ACTOR}
    for r in model.RELATIONSHIPS:
        assert r.start in labels and r.end in labels
    assert model.node("Phone").key == "msisdn"
    assert model.relationship("SAME_USER_AS").hypothesis
    with pytest.raises(KeyError):
        model.node("Weapon")


def test_hypothesis_relationships_carry_score_evidence_status() -> None:
    for r in model.RELATIONSHIPS:
        if r.hypothesis:
            assert {"score", "evidence", "status", "model_version"} <= set(r.property_names())


def test_bad_names_are_refused() -> None:
    with pytest.raises(ValueError):
        model.Property("BadName", "VARCHAR")
    with pytest.raises(ValueError):
        model.Property("ok", "TEXT")
    with pytest.raises(ValueError):
        model.RelType("calls", "Phone", "Phone")


def test_schema_markdown_lists_everything() -> None:
    text = model.schema_markdown()
    for n in model.NODES:
        assert f"| {n.label} |" in text
    for r in model.RELATIONSHIPS:
        assert f"| {r.type} |" in text
