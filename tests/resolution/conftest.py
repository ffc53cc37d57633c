"""Cases built from fake_1000 split across sources, with a model trained once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from graphkit.ingest.stage import ingest_file
from graphkit.store import CaseStore


def _phone(cluster: str) -> str:
    return f"+39 333 {1000000 + int(cluster)}"


def write_sources(er_dir: Path, out: Path) -> dict[str, Path]:
    """fake_1000 as three sources: persons (0-599), subscribers (600-899), late (900-999).

    Subscribers carry the person's phone; a third of the person records list it too, so
    shared phones are graph evidence, as in real cases.
    """
    d = pd.read_csv(er_dir / "fake_1000.csv", dtype=str)
    uid = d["unique_id"].astype(int)
    persons, subs, late = d[uid < 600], d[(uid >= 600) & (uid < 900)], d[uid >= 900]
    out.mkdir(parents=True, exist_ok=True)
    paths = {"persons": out / "persons.csv", "subs": out / "subs.csv", "late": out / "late.csv"}
    pd.DataFrame(
        {
            "id": persons["unique_id"],
            "first_name": persons["first_name"],
            "surname": persons["surname"],
            "dob": persons["dob"],
            "address": persons["city"],
            "email": persons["email"],
            "phones": [
                _phone(c) if int(u) % 3 == 0 else None
                for u, c in zip(persons["unique_id"], persons["cluster"], strict=True)
            ],
        }
    ).to_csv(paths["persons"], index=False)
    for frame, path in ((subs, paths["subs"]), (late, paths["late"])):
        pd.DataFrame(
            {
                "id": frame["unique_id"],
                "msisdn": [_phone(c) for c in frame["cluster"]],
                "first_name": frame["first_name"],
                "last_name": frame["surname"],
                "dob": frame["dob"],
                "address": frame["city"],
            }
        ).to_csv(path, index=False)
    return paths


def truth_by_record_key(er_dir: Path) -> dict[str, str]:
    d = pd.read_csv(er_dir / "fake_1000.csv", dtype=str)
    out = {}
    for u, c in zip(d["unique_id"], d["cluster"], strict=True):
        source = "persons" if int(u) < 600 else "subs" if int(u) < 900 else "late"
        out[f"{source}:{u}"] = c
    return out


def new_case(path: Path, sources: dict[str, Path], names: tuple[str, ...]) -> CaseStore:
    store = CaseStore.init(path)
    for name in names:
        kind = "persons" if name == "persons" else "subscribers"
        ingest_file(store, sources[name], kind=kind, source_name=name)
    return store


@pytest.fixture(scope="session")
def fake_sources(er_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_sources(er_dir, tmp_path_factory.mktemp("fake_sources"))


@pytest.fixture(scope="session")
def trained_model(fake_sources: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on the persons + subscribers case, saved as JSON (trained once)."""
    from resolution.spec import ResolutionSpec
    from resolution.stage import MODEL_FILE, resolve_case

    case = tmp_path_factory.mktemp("train") / "case"
    store = new_case(case, fake_sources, ("persons", "subs"))
    resolve_case(store, spec=ResolutionSpec(u_max_pairs=3e5))
    model = json.loads((store.path / MODEL_FILE).read_text())
    assert model["comparisons"], "the trained model has comparisons"
    return store.path / MODEL_FILE
