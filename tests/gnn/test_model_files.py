"""Model files: safetensors round trip, card contents, and refusal of pickled payloads."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from gnn.data import NodeFeatures, build_view, check_feature_names, link_graph
from gnn.model_files import load_model, save_model
from gnn.splits import random_split
from gnn.train import TrainConfig, score_pairs, train_link_model
from graphkit.errors import InputError
from tests.gnn.conftest import random_edges


@pytest.fixture(scope="module")
def trained(tmp_path_factory):  # type: ignore[no-untyped-def]
    g = link_graph(random_edges(0, n=60, p=0.1))
    f = NodeFeatures.empty(g.n_nodes)
    sp = random_split(g, seed=0)
    result = train_link_model(g, f, sp, seed=0, config=TrainConfig(epochs=10, variants=("gnn",)))
    directory = tmp_path_factory.mktemp("model")
    weights, card, digest = save_model(result, directory, name="m", data={"nodes": g.n_nodes})
    return g, f, sp, result, weights, card, digest


class _Boom:
    """Unpickling this object writes a marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.write_text, (self.marker, "pwned"))


def test_round_trip_gives_identical_scores(trained) -> None:  # type: ignore[no-untyped-def]
    g, f, sp, result, _, card, _ = trained
    model, meta = load_model(card)
    view = build_view(g, f, sp.test_records)
    pairs = np.vstack([sp.test_pos, sp.test_neg])
    np.testing.assert_array_equal(
        score_pairs(model, view, pairs), score_pairs(result.model, view, pairs)
    )
    assert meta["architecture"]["variant"] == "gnn"


def test_card_documents_the_model(trained) -> None:  # type: ignore[no-untyped-def]
    *_, card, digest = trained
    meta = json.loads(Path(card).read_text())
    for key in ("data", "features", "metrics", "split", "limitations", "intended_use", "training"):
        assert meta[key], key
    assert meta["weights"]["sha256"] == digest
    assert {"val", "test"} <= set(meta["metrics"])
    assert meta["split"]["kind"] == "random" and meta["training"]["seed"] == 0
    check_feature_names(meta["features"]["node"] + meta["features"]["pair"])


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_loader_refuses_pickled_payload(trained, tmp_path: Path, protocol: int) -> None:  # type: ignore[no-untyped-def]
    *_, card, _ = trained
    marker = tmp_path / "marker.txt"
    evil = tmp_path / "m.safetensors"
    evil.write_bytes(pickle.dumps(_Boom(marker), protocol=protocol))
    meta = json.loads(Path(card).read_text())
    meta["weights"]["sha256"] = __import__("hashlib").sha256(evil.read_bytes()).hexdigest()
    evil_card = tmp_path / "m.card.json"
    evil_card.write_text(json.dumps(meta))
    with pytest.raises(InputError, match=r"pickle|safetensors"):
        load_model(evil_card)
    assert not marker.exists()


def test_loader_refuses_torch_save_and_pt_files(trained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import torch

    _g, _f, _sp, result, _, card, _ = trained
    meta = json.loads(Path(card).read_text())
    zipped = tmp_path / "z.safetensors"
    torch.save(result.model.state_dict(), zipped)
    meta["weights"]["file"] = zipped.name
    (tmp_path / "z.card.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match="pickle"):
        load_model(tmp_path / "z.card.json")
    meta["weights"]["file"] = "weights.pt"
    torch.save(result.model.state_dict(), tmp_path / "weights.pt")
    (tmp_path / "p.card.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match="safetensors"):
        load_model(tmp_path / "p.card.json")


def test_loader_refuses_tampered_weights(trained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    *_, weights, card, _ = trained
    data = bytearray(Path(weights).read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "m.safetensors").write_bytes(bytes(data))
    (tmp_path / "m.card.json").write_text(Path(card).read_text())
    with pytest.raises(InputError, match="SHA-256"):
        load_model(tmp_path / "m.card.json")
