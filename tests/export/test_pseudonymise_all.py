"""Pseudonymisation covers everything (issue 16, part 5).

A resolved simulated case (persons with names and ``P…`` ids) with hand-offs and predicted
links whose evidence names actors outside the exported community is exported through the CLI
with ``--include-hypotheses --pseudonymise`` in all six formats. Every raw identifier the case
holds, read straight from its tables here (not through the code under test), is looked for in
every written byte; the tokens must still join the files of one export and two exports.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as safe_et
import pandas as pd
import pytest
from typer.testing import CliRunner

from graphkit.cli.app import app
from graphkit.errors import GraphkitError
from graphkit.export import FORMATS, export_paths
from graphkit.export.pseudonymise import KEY_FILE, Pseudonymiser, case_key, leaked_identifiers
from graphkit.store import CaseStore

COMMUNITY = "C0"  # the predicted links of the fixture lie in it, their evidence reaches beyond
REPO = Path(__file__).resolve().parents[2]

# Every identifying column of the case, table by table (an oracle written apart from
# graphkit.export.pseudonymise.case_identifiers).
_ORACLE = {
    "actor": ["actor_id", "unnest(phones)"],
    "node_person": [
        "person_id",
        "full_name",
        "unnest(names)",
        "unnest(aliases)",
        "unnest(addresses)",
        "unnest(id_numbers)",
    ],
    "node_phone": ["msisdn"],
    "node_device": ["imei"],
    "node_account": ["account_id", "holder_name"],
    "src_subscribers": [
        "msisdn",
        "msisdn_raw",
        "full_name",
        "concat_ws(' ', first_name, last_name)",
        "address",
        "postcode",
        "id_number",
        "passport_number",
        "national_id",
        "driving_licence",
        "imsi",
    ],
    "src_persons": [
        "full_name",
        "concat_ws(' ', first_name, last_name)",
        "unnest(aliases)",
        "address",
        "postcode",
        "id_number",
        "passport_number",
        "national_id",
        "driving_licence",
        "unnest(phones)",
        "unnest(emails)",
        "unnest(accounts)",
    ],
    "src_accounts": [
        "account_id",
        "account_id_raw",
        "holder_name",
        "concat_ws(' ', first_name, last_name)",
        "address",
    ],
    "src_cdr": ["caller", "caller_raw", "callee", "callee_raw", "imei", "imsi"],
    "src_transactions": ["from_account", "from_account_raw", "to_account", "to_account_raw"],
}
_ALNUM = re.compile(r"[0-9A-Za-z]+")
_JSON_ESCAPE = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")


def case_raw_identifiers(store: CaseStore) -> set[str]:
    """Every identifier the case holds (5 characters or more), read from its tables."""
    found: set[str] = set()
    with store.connect(read_only=True) as con:
        for table, columns in _ORACLE.items():
            for col in columns:
                rows = con.execute(f"SELECT DISTINCT {col} FROM {table}").fetchall()
                found.update(str(r[0]).strip() for r in rows if r[0] is not None)
    return {v for v in found if len(v) >= 5}


def _texts(data: bytes) -> list[str]:
    """The text of a file as a reader of its format sees it (JSON and XML escapes resolved)."""
    text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode()
    unescaped = _JSON_ESCAPE.sub(lambda m: json.loads(f'"{m.group(0)}"'), text)
    return [text, unescaped, html.unescape(text)]


def raw_found(data: bytes, raw: set[str]) -> set[str]:
    """Identifiers of ``raw`` standing in ``data`` (not as part of a longer run of letters
    and digits, such as a 9-digit document number inside a float)."""
    found = set()
    for text in _texts(data):
        runs = set(_ALNUM.findall(text))
        for v in raw:
            if not all(r in runs for r in _ALNUM.findall(v)):
                continue
            bounded = re.compile(rf"(?<![0-9A-Za-z]){re.escape(v)}(?![0-9A-Za-z])")
            if bounded.search(text):
                found.add(v)
    return found


def _export(case: Path, fmt: str, out: Path, *extra: str) -> Any:
    args = ["export", str(case), "--format", fmt, "--out", str(out)]
    args += ["--include-hypotheses", "--pseudonymise", "--purpose", "p", "--recipient", "r"]
    return CliRunner().invoke(app, [*args, *extra])


@pytest.fixture(scope="module")
def exported(hypotheses_case_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One copy of the case; each format exported whole and as community C0."""
    root = tmp_path_factory.mktemp("pseudonymised")
    case = root / "case"
    shutil.copytree(hypotheses_case_dir, case)
    files: dict[tuple[str, str], list[Path]] = {}
    for fmt in sorted(FORMATS):
        for scope, extra in (("whole", ()), ("community", ("--community", COMMUNITY))):
            out = root / f"{scope}.{fmt}"
            result = _export(case, fmt, out, *extra)
            assert result.exit_code == 0, (result.output, result.exception)
            parts, manifest = export_paths(out, fmt)
            files[(fmt, scope)] = [*parts.values(), manifest]
    store = CaseStore.open(case)
    return {"store": store, "files": files, "raw": case_raw_identifiers(store), "root": root}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_raw_identifier_of_the_case_in_any_written_byte(
    exported: dict[str, Any], fmt: str
) -> None:
    raw = exported["raw"]
    assert len(raw) > 1000 and any(v.startswith("P") for v in raw)  # persons with P… ids
    for scope in ("whole", "community"):
        for path in exported["files"][(fmt, scope)]:
            leaked = raw_found(path.read_bytes(), raw)
            assert not leaked, f"{path.name} holds {len(leaked)}: {sorted(leaked)[:5]}"


def _json_edges(path: Path) -> list[dict[str, Any]]:
    return [e["data"] for e in json.loads(path.read_text())["elements"]["edges"]]


def test_evidence_beyond_the_selection_is_tokenised(exported: dict[str, Any]) -> None:
    store: CaseStore = exported["store"]
    with store.connect(read_only=True) as con:
        members = {
            r[0]
            for r in con.execute(
                "SELECT actor_id FROM analytics_actor WHERE community = ?", [COMMUNITY]
            ).fetchall()
        }
        evidence = [
            json.loads(r[0])
            for r in con.execute(
                "SELECT evidence FROM rel_predicted_link WHERE evidence IS NOT NULL"
            ).fetchall()
        ]
    outside = {c for e in evidence for c in e["shared_contacts"] if c not in members}
    assert outside  # the fixture reaches beyond the community: the case this test is about
    pseudo = Pseudonymiser(case_key(store), {})
    edges = _json_edges(exported["root"] / "community.json")
    links = [e for e in edges if e["relationship"] == "PREDICTED_LINK"]
    assert len(links) == len(evidence) + 1  # and the link without evidence
    assert sum("evidence" not in e for e in links) == 1
    shared = {c for e in links if "evidence" in e for c in e["evidence"]["shared_contacts"]}
    # an actor outside the selection has the token it has in any export: the same value, key
    prefixed = {pseudo.of(c, "id")[2:] for c in outside}
    assert prefixed <= {t.split("-", 1)[1] for t in shared}
    for e in links:
        for path in e.get("evidence", {}).get("paths", []):
            assert [path[0], path[-1]] == [e["source"], e["target"]]


def test_free_text_evidence_is_scrubbed(exported: dict[str, Any]) -> None:
    store: CaseStore = exported["store"]
    with store.connect(read_only=True) as con:
        row = con.execute(
            """
            SELECT p.full_name, s.msisdn FROM node_person p JOIN actor a ON a.actor_id = p.person_id
            JOIN src_subscribers s ON list_contains(a.phones, s.msisdn)
            WHERE s.msisdn_raw <> s.msisdn AND p.full_name LIKE '% %'
            ORDER BY p.person_id LIMIT 1
            """
        ).fetchone()
    assert row is not None
    name, phone = row
    edges = _json_edges(exported["root"] / "whole.json")
    notes = [e["evidence"]["note"] for e in edges if "note" in e.get("evidence", {})]
    assert len(notes) == 1
    pseudo = Pseudonymiser(case_key(store), {})
    digits = pseudo.of(phone, "phones").split("-", 1)[1]
    # the raw form "07… …" gets the token of the number it stands for: the note joins
    assert f"PH-{digits}" in notes[0] and pseudo.of(name, "names") in notes[0]


def _node_ids(fmt: str, paths: list[Path]) -> set[str]:
    data = paths[0].read_bytes()
    if fmt == "json":
        return {n["data"]["id"] for n in json.loads(data)["elements"]["nodes"]}
    if fmt == "csv":
        with paths[0].open(newline="", encoding="utf-8") as fh:
            return {row["id"] for row in csv.DictReader(fh)}
    if fmt == "cypher":
        return set(re.findall(r'`key`: "((?:PH|A)-[0-9a-f]{16})"', data.decode()))
    root = safe_et.fromstring(data.decode("utf-16") if fmt == "anx" else data)
    if fmt == "anx":
        return {e.get("Identity", "") for e in root.iter() if e.tag == "Entity"}
    return {e.get("id", "") for e in root.iter() if e.tag.endswith("node")}


def test_tokens_join_across_formats_and_exports(exported: dict[str, Any]) -> None:
    ids = {fmt: _node_ids(fmt, exported["files"][(fmt, "whole")]) for fmt in sorted(FORMATS)}
    reference = ids["json"]
    assert len(reference) > 100 and all(re.fullmatch(r"(PH|A)-[0-9a-f]{16}", t) for t in reference)
    for fmt, found in ids.items():
        assert found == reference, fmt
    community = _node_ids("json", exported["files"][("json", "community")])
    assert community and community < reference  # the community export joins the whole one
    edges = exported["files"][("csv", "whole")][1]
    with edges.open(newline="", encoding="utf-8") as fh:
        ends = {v for row in csv.DictReader(fh) for v in (row["src"], row["dst"])}
    assert ends <= reference


def test_combined_flags_with_missing_evidence_under_pandas_string_inference(
    hypotheses_case_dir: Path, tmp_path: Path
) -> None:
    """pandas 3 keeps a missing string as NaN: the pseudonymiser must take it as no evidence
    (it raised ``TypeError: the JSON object must be str ... not float`` in every format)."""
    case = tmp_path / "case"
    shutil.copytree(hypotheses_case_dir, case)
    with pd.option_context("future.infer_string", True):
        for fmt in ("json", "csv"):
            result = _export(case, fmt, tmp_path / f"x.{fmt}", "--community", COMMUNITY)
            assert result.exit_code == 0, (fmt, result.output, result.exception)
    links = [e for e in _json_edges(tmp_path / "x.json") if e["relationship"] != "CALLED"]
    assert any(e.get("hypothesis") and "evidence" not in e for e in links)
    pseudo = Pseudonymiser(b"k" * 32, {})
    assert [pseudo.evidence(v) for v in (None, float("nan"), pd.NA)] == [None] * 3


def test_leak_left_in_a_written_name_refuses_the_export(
    hypotheses_case_dir: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    shutil.copytree(hypotheses_case_dir, case)
    store = CaseStore.open(case)
    with store.connect(read_only=True) as con:
        row = con.execute(
            "SELECT full_name FROM node_person WHERE full_name LIKE '% %' ORDER BY 1 LIMIT 1"
        ).fetchone()
    assert row is not None
    name = row[0]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = _export(case, "json", out_dir / f"{name}.json")  # the file name discloses
    assert isinstance(result.exception, GraphkitError), result.output
    message = str(result.exception)
    assert "\n" not in message and "nothing was written" in message and name not in message
    assert os.listdir(out_dir) == []
    assert store.audit.entries()[-1]["outcome"] == "failure"


def test_leak_scan_reads_escaped_text() -> None:
    ids = ["Łucja Nowak", "Smith & Sons Ltd"]
    assert leaked_identifiers(b'{"n": "\\u0141ucja Nowak"}', ids) == ["Łucja Nowak"]
    assert leaked_identifiers(b"<d>Smith &amp; Sons Ltd</d>", ids) == ["Smith & Sons Ltd"]
    assert leaked_identifiers(b'{"n": "NAME-0123456789abcdef"}', ids) == []


_KILLED_WHILE_WRITING = """
import resource, signal, sys
from pathlib import Path
from graphkit.export.pseudonymise import case_key
from graphkit.store import CaseStore
store = CaseStore.open(Path(sys.argv[1]))
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; a real limit kills
resource.setrlimit(resource.RLIMIT_FSIZE, (16, 16))  # the key's write stops half-way
case_key(store)
"""


def test_a_kill_while_the_key_is_written_leaves_no_short_key(
    hypotheses_case_dir: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    shutil.copytree(hypotheses_case_dir, case)
    (case / KEY_FILE).unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.run(
        [sys.executable, "-c", _KILLED_WHILE_WRITING, str(case)], env=env, check=False
    )
    assert child.returncode == -signal.SIGXFSZ
    assert not (case / KEY_FILE).exists()  # only a temporary file was cut short
    key = case_key(CaseStore.open(case))
    assert len(key) == 32 and (case / KEY_FILE).read_bytes() == key
    assert stat.S_IMODE((case / KEY_FILE).stat().st_mode) == 0o600


_FIRST_USE = """
import sys
from pathlib import Path
from graphkit.export.pseudonymise import case_key
from graphkit.store import CaseStore
print(case_key(CaseStore.open(Path(sys.argv[1]))).hex())
"""


def test_concurrent_first_uses_agree_on_one_key(hypotheses_case_dir: Path, tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(hypotheses_case_dir, case)
    (case / KEY_FILE).unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _FIRST_USE, str(case)], env=env, stdout=subprocess.PIPE
        )
        for _ in range(4)
    ]
    keys = {p.communicate(timeout=120)[0].decode().strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(keys) == 1 and (case / KEY_FILE).read_bytes().hex() in keys
    assert os.listdir(case / KEY_FILE.parent) == [KEY_FILE.name]  # no temporary file left
