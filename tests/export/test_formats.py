"""Each format read back equals the selection; manifests, audit entries, CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as safe_et
import networkx as nx
import pytest
import typer
from typer.testing import CliRunner

from graphkit.audit import sha256_file
from graphkit.export import Selection, export_case, select_subgraph
from graphkit.export.formats import cypher_literal, edge_type
from graphkit.store import CaseStore

SELECTION = Selection(community="C0", include_hypotheses=True)


def _export(store: CaseStore, fmt: str, out: Path, **kw: object) -> None:
    export_case(
        store,
        fmt=fmt,
        out=out,
        selection=kw.pop("selection", SELECTION),  # type: ignore[arg-type]
        purpose="test",
        recipient="unit tests",
        **kw,
    )  # type: ignore[arg-type]


def _expected(store: CaseStore) -> tuple[set[str], set[tuple[str, str, str]]]:
    sub = select_subgraph(store, SELECTION)
    edges = {(r.src, r.dst, r.layer) for r in sub.edges.itertuples()}
    return set(sub.nodes["id"]), edges


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graphml_and_gexf_read_back_equal_the_selection(
    sim_case: CaseStore, tmp_path: Path, fmt: str
) -> None:
    _export(sim_case, fmt, tmp_path / f"sub.{fmt}")
    reader = nx.read_graphml if fmt == "graphml" else nx.read_gexf
    g = reader(tmp_path / f"sub.{fmt}")
    nodes, edges = _expected(sim_case)
    assert set(g.nodes) == nodes
    assert g.is_directed() and g.is_multigraph()
    got = {(u, v, d["layer"]) for u, v, d in g.edges(data=True)}
    assert got == edges and g.number_of_edges() == len(edges)
    sub = select_subgraph(sim_case, SELECTION)
    row = sub.nodes.iloc[0]
    data = g.nodes[row["id"]]
    assert data["community"] == row["community"]
    assert float(data["pagerank"]) == pytest.approx(row["pagerank"])
    assert data["phones"] == "; ".join(row["phones"])
    hyp = [d for _, _, d in g.edges(data=True) if str(d["hypothesis"]).lower() == "true"]
    assert len(hyp) == sub.hypotheses and all(d["status"] == "hypothesis" for d in hyp)


def test_anx_parsed_with_defusedxml_has_the_selected_entities_and_links(
    sim_case: CaseStore, tmp_path: Path
) -> None:
    _export(sim_case, "anx", tmp_path / "sub.anx")
    raw = (tmp_path / "sub.anx").read_bytes()
    assert raw[:2] == b"\xff\xfe"  # UTF-16 LE with BOM, as i2 Analyst's Notebook expects
    root = safe_et.fromstring(raw.decode("utf-16"))
    entities = {e.get("EntityId"): e.get("Identity") for e in root.iter("Entity")}
    links = [
        (entities[x.get("End1Id")], entities[x.get("End2Id")], x.find("LinkStyle").get("Type"))
        for x in root.iter("Link")
    ]
    nodes, edges = _expected(sim_case)
    assert set(entities.values()) == nodes and len(entities) == len(nodes)
    assert sorted(links) == sorted((s, d, edge_type(layer)) for s, d, layer in edges)
    dashed = [x for x in root.iter("LinkStyle") if x.get("Strength") == "Hypothesis"]
    assert len(dashed) == select_subgraph(sim_case, SELECTION).hypotheses > 0


def test_json_is_cytoscape_elements(sim_case: CaseStore, tmp_path: Path) -> None:
    _export(sim_case, "json", tmp_path / "sub.json")
    doc = json.loads((tmp_path / "sub.json").read_text())
    nodes, edges = _expected(sim_case)
    assert {n["data"]["id"] for n in doc["elements"]["nodes"]} == nodes
    got = {
        (e["data"]["source"], e["data"]["target"], e["data"]["layer"])
        for e in doc["elements"]["edges"]
    }
    assert got == edges
    assert (
        doc["data"]["case_manifest_sha256"]
        == json.loads((tmp_path / "sub.json.manifest.json").read_text())["case_manifest_sha256"]
    )


def _cypher_batches(script: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """(statement, rows) for each ``:param rows`` batch of a script."""
    out = []
    lines = script.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(":param rows => ") and i + 1 < len(lines):
            literal = line.removeprefix(":param rows => ").removesuffix(";")
            rows = json.loads(re.sub(r"`((?:[^`]|``)*)`:", r'"\1":', literal))
            out.append((lines[i + 1], rows))
    return out


def test_cypher_script_passes_every_value_as_a_parameter(
    sim_case: CaseStore, tmp_path: Path
) -> None:
    _export(sim_case, "cypher", tmp_path / "sub.cypher")
    script = (tmp_path / "sub.cypher").read_text()
    statements = [x for x in script.splitlines() if x and not x.startswith(("//", ":param"))]
    nodes, edges = _expected(sim_case)
    for stmt in statements:
        assert not any(n in stmt for n in nodes)  # no identifier spliced into a statement
        assert stmt.startswith(("CREATE INDEX", "UNWIND $rows AS row"))
    batches = _cypher_batches(script)
    assert {r["key"] for stmt, rows in batches if "MERGE (n:" in stmt for r in rows} == nodes
    written = set()
    for stmt, rows in batches:
        rel = re.search(r"\[r:(\w+)", stmt)
        for r in rows if rel else []:
            written.add((r["src"], r["dst"], rel.group(1)))
            if rel.group(1) == "CALLED":  # calls and texts of a pair in one relationship
                assert set(r["props"]) & {"calls", "sms"}
    assert written == {(s, d, edge_type(layer)) for s, d, layer in edges}


def test_cypher_statements_pass_neo4j_linter(sim_case: CaseStore, tmp_path: Path) -> None:
    """Neo4j's own parser (tools/cypherlint, strict: only declared labels, types, keys)."""
    import shutil
    import subprocess

    lint_dir = Path(__file__).resolve().parents[2] / "tools" / "cypherlint"
    node_bin = shutil.which("node")
    if node_bin is None or not (lint_dir / "node_modules" / "@neo4j-cypher").is_dir():
        pytest.skip("Cypher linter not installed (npm ci --prefix tools/cypherlint)")
    from graphkit.publish.properties import lint_schema

    _export(
        sim_case, "cypher", tmp_path / "sub.cypher", selection=Selection(include_hypotheses=True)
    )
    script = (tmp_path / "sub.cypher").read_text()
    texts = sorted({x for x in script.splitlines() if x and not x.startswith(("//", ":param"))})
    # each statement is checked with the one parameter it is sent with
    statements = [
        {"name": f"export/{i}", "text": t, "parameters": {"rows": []}} for i, t in enumerate(texts)
    ]
    assert any("PREDICTED_LINK" in t for t in texts) and any("CALLED" in t for t in texts)
    bad = {
        "name": "negative-control",
        "text": "UNWIND $rows AS row MATCH (n:Phne {msisdn: row.key}) RETURN n",
        "parameters": {"rows": []},
    }
    request = {"schema": lint_schema("CYPHER 5"), "strict": True, "statements": [*statements, bad]}
    done = subprocess.run(
        [node_bin, str(lint_dir / "lint.mjs"), "--stdin"],
        text=True,
        input=json.dumps(request),
        capture_output=True,
        timeout=120,
        check=False,
    )
    findings = [x for x in done.stdout.splitlines() if not x.startswith("cypherlint:")]
    assert any(x.startswith("negative-control:") for x in findings)  # the linter does look
    assert [x for x in findings if not x.startswith("negative-control")] == []


def test_cypher_literals_keep_hostile_strings_inside_quotes() -> None:
    hostile = ['"}) DETACH DELETE n //', 'a\\"b', "line\nbreak", "`tick`", "'single'", "\u2028"]
    for text in hostile:
        literal = cypher_literal({"v": text, "l": [text]})
        back = json.loads(re.sub(r"`((?:[^`]|``)*)`:", r'"\1":', literal))
        assert back == {"v": text, "l": [text]}
        assert "\n" not in literal


def test_manifest_and_audit_entry(sim_case: CaseStore, tmp_path: Path) -> None:
    before = sim_case.manifest_sha256()
    _export(sim_case, "csv", tmp_path / "sub.csv")
    manifest = json.loads((tmp_path / "sub.csv.manifest.json").read_text())
    assert manifest["case_manifest_sha256"] == before
    assert manifest["selection"] == SELECTION.to_dict()
    assert manifest["graphkit_version"] and manifest["purpose"] == "test"
    for f in manifest["files"]:
        assert sha256_file(tmp_path / f["name"]) == f["sha256"]
    assert {f["name"] for f in manifest["files"]} == {"sub.nodes.csv", "sub.edges.csv"}
    entry = sim_case.audit.entries()[-1]
    assert entry["operation"] == "disclosure" and entry["outcome"] == "success"
    assert entry["detail"]["purpose"] == "test" and entry["detail"]["recipient"] == "unit tests"
    assert entry["inputs"]["case_manifest"] == before
    assert sim_case.audit.verify().ok


def test_cli_export_and_required_options(sim_case: CaseStore, tmp_path: Path) -> None:
    from graphkit.cli.export import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    runner = CliRunner()
    out = tmp_path / "c.graphml"
    args = [
        "export",
        str(sim_case.path),
        "--format",
        "graphml",
        "--out",
        str(out),
        "--actors",
        str(select_subgraph(sim_case, SELECTION).nodes["id"].iloc[0]),
        "--hops",
        "1",
        "--from",
        "2024-01-01",
        "--to",
        "2030-01-01",
        "--json",
    ]
    missing = runner.invoke(app, args)
    assert missing.exit_code == 2 and "purpose" in missing.output
    result = runner.invoke(app, [*args, "--purpose", "p", "--recipient", "r"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["file"] == str(out) and rows[0]["sha256"] == sha256_file(out)


def test_csv_cells_read_back(sim_case: CaseStore, tmp_path: Path) -> None:
    _export(sim_case, "csv", tmp_path / "sub.csv")
    nodes, edges = _expected(sim_case)
    reader = csv.DictReader(io.StringIO((tmp_path / "sub.nodes.csv").read_text()))
    ids = {row["id"].removeprefix("'") for row in reader}  # phone ids start with '+'
    assert ids == nodes
    reader = csv.DictReader(io.StringIO((tmp_path / "sub.edges.csv").read_text()))
    got = {(r["src"].removeprefix("'"), r["dst"].removeprefix("'"), r["layer"]) for r in reader}
    assert got == edges
