"""GNN weights are checked against the hash the case manifest recorded, not only the card."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gnn.data import NodeFeatures, link_graph
from gnn.model_files import load_model, load_recorded_model, save_model
from gnn.splits import random_split
from gnn.train import TrainConfig, train_link_model
from graphkit.errors import InputError
from tests.gnn.conftest import random_edges


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    g = link_graph(random_edges(1, n=50, p=0.12))
    result = train_link_model(
        g,
        NodeFeatures.empty(g.n_nodes),
        random_split(g, seed=0),
        seed=0,
        config=TrainConfig(epochs=5, variants=("gnn",)),
    )
    directory = tmp_path_factory.mktemp("case") / "models"
    weights, card, digest = save_model(result, directory, name="link_predictor", data={})
    return weights, card, digest


def _copy(saved: tuple[Path, Path, str], dest: Path) -> tuple[Path, Path]:
    weights, card, _ = saved
    (dest / "models").mkdir(parents=True)
    shutil.copy2(weights, dest / "models" / weights.name)
    shutil.copy2(card, dest / "models" / card.name)
    return dest / "models" / weights.name, dest / "models" / card.name


def _one_line(info: pytest.ExceptionInfo[InputError]) -> str:
    message = str(info.value)
    assert "\n" not in message and len(message) < 300, message
    return message


def test_recorded_hash_accepts_the_saved_weights(saved: tuple[Path, Path, str]) -> None:
    _, card, digest = saved
    _model, meta = load_model(card, expected_sha256=digest)
    assert meta["weights"]["sha256"] == digest
    load_model(card, expected_sha256=digest.upper())  # hex case does not matter


def test_tampered_weights_with_a_rewritten_card_are_refused(
    saved: tuple[Path, Path, str], tmp_path: Path
) -> None:
    """Whoever swaps the weights can rewrite the card beside them; not the manifest's hash."""
    _, _, recorded = saved
    weights, card = _copy(saved, tmp_path)
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    meta = json.loads(card.read_text())
    meta["weights"]["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    card.write_text(json.dumps(meta))
    load_model(card)  # the card alone is fooled: that is why the manifest's hash is passed
    with pytest.raises(InputError) as info:
        load_model(card, expected_sha256=recorded)
    assert "recorded in the case manifest" in _one_line(info)
    entry = {
        "path": "models/link_predictor.safetensors",
        "sha256": recorded,
        "card": "models/link_predictor.card.json",
    }
    with pytest.raises(InputError, match="recorded in the case manifest"):
        load_recorded_model(tmp_path, entry)


def test_load_recorded_model_checks_the_manifest_entry(
    saved: tuple[Path, Path, str], tmp_path: Path
) -> None:
    _, _, recorded = saved
    case = tmp_path / "case"
    _copy(saved, case)
    entry: dict[str, Any] = {"sha256": recorded, "card": "models/link_predictor.card.json"}
    _model, meta = load_recorded_model(case, entry)
    assert meta["weights"]["sha256"] == recorded
    for bad in ({}, {"card": entry["card"]}, {"sha256": recorded}):
        with pytest.raises(InputError) as info:
            load_recorded_model(case, bad)
        _one_line(info)
    outside = {"sha256": recorded, "card": "../elsewhere/link_predictor.card.json"}
    with pytest.raises(InputError, match="outside the case"):
        load_recorded_model(case, outside)


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["weights"].update(file="../../etc/link_predictor.safetensors"),
        lambda m: m["weights"].update(file="/etc/passwd"),
        lambda m: m.update(weights="link_predictor.safetensors"),
        lambda m: m["architecture"].update(hidden=10**9),
        lambda m: m["architecture"].update(encoder="evil"),
        lambda m: m.pop("architecture"),
    ],
)
def test_hostile_cards_are_one_line_errors(
    edit: Any, saved: tuple[Path, Path, str], tmp_path: Path
) -> None:
    _, card = _copy(saved, tmp_path)
    meta = json.loads(card.read_text())
    edit(meta)
    card.write_text(json.dumps(meta))
    with pytest.raises(InputError) as info:
        load_model(card, expected_sha256=saved[2])
    assert "passwd" not in _one_line(info)
