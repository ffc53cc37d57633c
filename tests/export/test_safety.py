"""Pseudonymised exports hold no raw identifier; CSV injection; refused paths; atomic writes."""

from __future__ import annotations

import csv
import json
import os
import stat
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphkit.errors import InputError
from graphkit.export import FORMATS, Selection, export_case, export_paths, select_subgraph
from graphkit.export.files import check_target, neutralise_cell
from graphkit.export.pseudonymise import KEY_FILE, case_key, leaked_identifiers, token
from graphkit.store import CaseStore

EVERYONE = Selection(community="C1")  # default selection of this module: small and quick
COMMUNITY = Selection(community="C0", include_hypotheses=True)


def _export(store: CaseStore, fmt: str, out: Path, **kw: object) -> None:
    export_case(
        store,
        fmt=fmt,
        out=out,
        selection=kw.pop("selection", EVERYONE),  # type: ignore[arg-type]
        purpose="test",
        recipient="unit tests",
        **kw,
    )  # type: ignore[arg-type]


def _raw_identifiers(store: CaseStore) -> set[str]:
    """Every phone, IMEI, IMSI, IBAN and name in the case, read straight from its tables."""
    queries = [
        "SELECT msisdn FROM node_phone",
        "SELECT imei FROM node_device",
        "SELECT imsi FROM src_cdr UNION SELECT imsi FROM src_subscribers",
        "SELECT account_id FROM node_account",
        "SELECT full_name FROM src_subscribers UNION SELECT concat_ws(' ', first_name, "
        "last_name) FROM src_subscribers",
        "SELECT last_name FROM src_subscribers",
        "SELECT actor_id FROM actor",
    ]
    found: set[str] = set()
    with store.connect(read_only=True) as con:
        for q in queries:
            found.update(str(r[0]) for r in con.execute(q).fetchall() if r[0])
    return {v for v in found if len(v) >= 5}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_pseudonymised_export_holds_no_raw_identifier(
    sim_case: CaseStore, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"p.{fmt}"
    _export(sim_case, fmt, out, pseudonymise=True, selection=COMMUNITY)
    raw = _raw_identifiers(sim_case)
    assert len(raw) > 500
    parts, manifest = export_paths(out, fmt)
    for path in [*parts.values(), manifest]:
        data = path.read_bytes()
        text = data.decode("utf-16") if data[:2] == b"\xff\xfe" else data.decode("utf-8")
        leaked = sorted(v for v in raw if v in text)
        assert not leaked, f"{path.name} leaks {leaked[:5]}"
    key = case_key(sim_case)
    assert stat.S_IMODE((sim_case.path / KEY_FILE).stat().st_mode) == 0o600
    sub = select_subgraph(sim_case, COMMUNITY)
    assert sub.hypotheses > 0  # evidence with phone numbers went through the scrubber
    some = str(sub.nodes["id"].iloc[0])
    data = parts[next(iter(parts))].read_bytes()
    text = data.decode("utf-16") if data[:2] == b"\xff\xfe" else data.decode("utf-8")
    assert token(key, some, prefix="PH")[3:] in text  # tokens are the keyed HMAC of the value


def test_tokens_are_stable_within_a_case_and_differ_between_cases(
    sim_case: CaseStore, tmp_path: Path
) -> None:
    _export(sim_case, "json", tmp_path / "a.json", pseudonymise=True)
    _export(sim_case, "json", tmp_path / "b.json", pseudonymise=True)
    ids_a = [
        n["data"]["id"] for n in json.loads((tmp_path / "a.json").read_text())["elements"]["nodes"]
    ]
    ids_b = [
        n["data"]["id"] for n in json.loads((tmp_path / "b.json").read_text())["elements"]["nodes"]
    ]
    assert ids_a == ids_b
    assert token(b"k" * 32, "+447700900123", prefix="PH") != token(
        b"j" * 32, "+447700900123", prefix="PH"
    )


INJECTIONS = [
    '=HYPERLINK("http://x","y")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|'/c notepad'!'A1'",
]


def test_csv_injection_corpus_is_neutralised(sim_case: CaseStore, tmp_path: Path) -> None:
    with sim_case.operation("test fixture", operation="alteration"), sim_case.connect() as con:
        phones = [
            r[0]
            for r in con.execute(
                "SELECT msisdn FROM src_subscribers ORDER BY msisdn LIMIT ?", [len(INJECTIONS)]
            ).fetchall()
        ]
        for phone, bad in zip(phones, INJECTIONS, strict=True):
            con.execute("UPDATE src_subscribers SET full_name = ? WHERE msisdn = ?", [bad, phone])
    _export(sim_case, "csv", tmp_path / "x.csv", selection=Selection())
    cells = []
    for part in ("nodes", "edges"):
        with (tmp_path / f"x.{part}.csv").open(newline="", encoding="utf-8") as fh:
            cells += [c for row in csv.reader(fh) for c in row]
    # every cell is inert: neutralising it again changes nothing (phones keep their "+")
    assert all(neutralise_cell(c) == c for c in cells)
    assert any(c.startswith("+44") for c in cells)
    names = " ".join(cells)
    for bad in INJECTIONS:
        assert "'" + bad in names


@given(st.text())
def test_neutralised_cells_never_start_a_formula(text: str) -> None:
    cell = neutralise_cell(text)
    assert cell == text or cell == "'" + text
    assert neutralise_cell(cell) == cell  # what comes out is inert: a quote, or no formula
    if cell == text:  # left alone: no formula start, or a plain signed number
        folded = unicodedata.normalize("NFKC", text).lstrip()
        assert not folded.startswith(("=", "@", "\t", "\r"))
        if folded.startswith(("+", "-")):
            assert folded[1:2].isdigit()


def test_refused_targets(sim_case: CaseStore, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    (real / "taken.json").write_text("keep me")
    (real / "dangling.json").symlink_to(tmp_path / "elsewhere.json")
    refused = {
        real / ".." / "real" / "x.json": "'..'",
        tmp_path / "link" / "x.json": "symbolic link",
        real / "dangling.json": "symbolic link",
        real / "taken.json": "exists",
        sim_case.path / "x.json": "inside the case",
        real / "missing" / "x.json": "does not exist",
        real: "directory",
    }
    for target, reason in refused.items():
        with pytest.raises(InputError, match=reason):
            _export(sim_case, "json", target)
    assert (real / "taken.json").read_text() == "keep me"
    assert not (tmp_path / "elsewhere.json").exists()
    assert sorted(os.listdir(real)) == ["dangling.json", "taken.json"]
    failures = [e for e in sim_case.audit.entries() if e["outcome"] == "failure"]
    assert len(failures) == len(refused) and all(e["operation"] == "disclosure" for e in failures)
    _export(sim_case, "json", real / "taken.json", force=True)
    assert json.loads((real / "taken.json").read_text())["elements"]["nodes"]


def test_check_target_accepts_a_plain_new_file(tmp_path: Path) -> None:
    assert check_target(tmp_path / "new.graphml") == tmp_path / "new.graphml"


def test_purpose_and_recipient_are_required(sim_case: CaseStore, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="purpose"):
        export_case(
            sim_case,
            fmt="json",
            out=tmp_path / "x.json",
            selection=EVERYONE,
            purpose=" ",
            recipient="r",
        )
    assert not (tmp_path / "x.json").exists()


def test_leak_guard_finds_identifiers_in_utf8_and_utf16() -> None:
    ids = ["+447700900123", "Jane Doe", "GB82WEST12345698765432"]
    clean = "PH-0123456789abcdef; NAME-0123456789abcdef"
    assert leaked_identifiers(clean.encode(), ids) == []
    dirty = '{"a": "Jane Doe", "b": "GB82WEST12345698765432"}'
    assert leaked_identifiers(dirty.encode("utf-16"), ids) == ["GB82WEST12345698765432", "Jane Doe"]
    assert leaked_identifiers(b'"\\u002b447700900999"', ids) == ["+447700900999"]


def test_pseudonymised_manifest_names_the_selected_actors_by_token(
    sim_case: CaseStore, tmp_path: Path
) -> None:
    seed = str(select_subgraph(sim_case, COMMUNITY).nodes["id"].iloc[0])
    selection = Selection(actors=(seed,), hops=1)
    _export(sim_case, "json", tmp_path / "a.json", pseudonymise=True, selection=selection)
    manifest = (tmp_path / "a.json.manifest.json").read_text()
    assert seed not in manifest
    tokens = json.loads(manifest)["selection"]["actors"]
    ids = {
        n["data"]["id"] for n in json.loads((tmp_path / "a.json").read_text())["elements"]["nodes"]
    }
    assert len(tokens) == 1 and tokens[0] in ids
    assert sim_case.audit.entries()[-1]["detail"]["selection"]["actors"] == [seed]
