"""Safe model files: safetensors weights and a JSON model card beside them.

Weights are written with safetensors, a format that holds tensors and a JSON header only, so
loading cannot run code. The loader checks the file is safetensors before handing it to the
library (a pickle or a ``torch.save`` zip is refused with an error, never unpickled) and that
its SHA-256 matches the card. The card (Mitchell et al. 2019, "Model cards for model
reporting") records the data, the features, the metrics with their splits, the limitations
and the intended use.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.errors import InputError

if TYPE_CHECKING:
    from gnn.predictor import LinkPredictor
    from gnn.train import TrainResult

__all__ = [
    "INTENDED_USE",
    "LIMITATIONS",
    "load_model",
    "load_recorded_model",
    "model_card",
    "save_model",
    "sha256_file",
]

FORMAT = "graphkit-gnn-link-predictor"
FORMAT_VERSION = 1
_MAX_HEADER_BYTES = 100 * 1024 * 1024
_MAX_DIM = 1 << 16

INTENDED_USE = (
    "Rank unobserved ties between actors of one investigation for an analyst to check. Each "
    "prediction is a hypothesis with its evidence, to be confirmed or rejected by a person "
    "(graphkit review); never a finding of fact, never grounds for action on its own."
)
LIMITATIONS = [
    "Trained on one case's own graph; scores are not comparable across cases.",
    "Scores reflect the structure and activity patterns of the observed data, including its "
    "collection biases (who was intercepted, which numbers were requested).",
    "Actors with no observed tie cannot be placed (no cold start).",
    "Temporal splits use tie volumes aggregated over the whole period (the actor graph keeps "
    "totals), which can make temporal metrics slightly optimistic.",
    "Validation asks for observed ties hidden at random; ties never observed (no event at "
    "all) may differ from them, so the selection and the calibration are estimates for them.",
    "When ranking.falls_back_to_baseline is true the stored list is ranked by that baseline, "
    "not by the learned model, because the model did not beat it on validation by more than "
    "chance (a paired sign-flip test over the validation ties).",
    "Small graphs give noisy metrics: read the validation and test counts with the scores.",
    "Feature contributions are gradient x input, first-order and seed-dependent.",
]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_card(result: TrainResult, *, data: dict[str, Any]) -> dict[str, Any]:
    """The model card as a JSON-ready dict (weights hash added by :func:`save_model`)."""
    from gnn.data import PROHIBITED_ATTRIBUTES

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "architecture": dict(result.model.config),
        "training": result.card_config(),
        "train_seconds": round(result.train_seconds, 3),
        "data": data,
        "features": {
            "node": list(result.x_names),
            "pair": list(result.pair_names),
            "edge": list(result.edge_attr_names),
            "prohibited_attributes": sorted(PROHIBITED_ATTRIBUTES),
        },
        "split": result.split,
        "metrics": result.metrics,
        "selected_variant": result.variant,
        "ranking": {
            "ranked_by": result.ranked_by,
            "falls_back_to_baseline": result.falls_back,
            "selection": result.selection,
            "calibration": result.calibration_report,
        },
        "intended_use": INTENDED_USE,
        "limitations": LIMITATIONS,
    }


def save_model(
    result: TrainResult, directory: Path, *, name: str, data: dict[str, Any]
) -> tuple[Path, Path, str]:
    """Write ``<name>.safetensors`` and ``<name>.card.json``; return paths and weights hash."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    weights = directory / f"{name}.safetensors"
    state = {k: v.detach().contiguous() for k, v in result.model.state_dict().items()}
    save_file(state, str(weights), metadata={"format": FORMAT})
    digest = sha256_file(weights)
    card = model_card(result, data=data)
    card["weights"] = {"file": weights.name, "sha256": digest}
    card_path = directory / f"{name}.card.json"
    card_path.write_text(json.dumps(card, indent=2, sort_keys=True, default=str) + "\n")
    return weights, card_path, digest


def _check_safetensors(path: Path) -> None:
    """Refuse anything that is not a safetensors file, before any library reads it."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise InputError(f"{path.name}: not a safetensors file (too short)")
        if head[:1] == b"\x80" or head[:2] == b"PK":
            raise InputError(f"{path.name}: pickle or torch.save payload refused; only safetensors")
        (n,) = struct.unpack("<Q", head)
        if n < 2 or n > min(_MAX_HEADER_BYTES, size - 8):
            raise InputError(f"{path.name}: not a safetensors file (bad header length)")
        header = fh.read(n)
    try:
        parsed = json.loads(header.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{path.name}: not a safetensors file (header is not JSON)") from None
    if not isinstance(parsed, dict):
        raise InputError(f"{path.name}: not a safetensors file (header is not an object)")


def load_model(
    card_path: Path, *, expected_sha256: str | None = None
) -> tuple[LinkPredictor, dict[str, Any]]:
    """Load a model from its card: verifies format, hash and architecture; never unpickles.

    ``expected_sha256``: the weights' hash recorded elsewhere (the case manifest's
    ``models.link_prediction.sha256``); weights with another hash are refused, even when the
    card beside them was rewritten to match. Every refusal is one
    :class:`~graphkit.errors.InputError` line.
    """
    from safetensors.torch import load_file

    from gnn.predictor import LinkPredictor

    card_path = Path(card_path)
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise InputError(
            f"cannot read model card {card_path.name}: not a readable JSON file"
        ) from None
    if not isinstance(card, dict) or card.get("format") != FORMAT:
        raise InputError(f"{card_path.name}: not a graphkit link-predictor model card")
    entry = card.get("weights")
    if not isinstance(entry, dict):
        raise InputError(f"{card_path.name}: the card records no weights file")
    name = entry.get("file")
    # a bare file name beside the card: never a path that leaves the model directory
    if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
        raise InputError(f"{card_path.name}: weights must be a file name beside the card")
    weights = card_path.parent / name
    if weights.suffix != ".safetensors" or not weights.is_file():
        raise InputError(f"{card_path.name}: weights must be an existing .safetensors file")
    _check_safetensors(weights)
    digest = sha256_file(weights)
    if expected_sha256 is not None and digest != expected_sha256.strip().lower():
        raise InputError(
            f"{weights.name}: SHA-256 differs from the one recorded in the case manifest"
        )
    if digest != entry.get("sha256"):
        raise InputError(f"{weights.name}: SHA-256 does not match the model card")
    try:
        arch = card["architecture"]
        dims = {k: int(arch[k]) for k in ("in_dim", "edge_dim", "pair_dim", "hidden")}
        # the card is not hashed: bound the sizes before allocating (strict loading then
        # refuses any shape the weights do not have)
        if not all(0 <= v <= _MAX_DIM for v in dims.values()):
            raise ValueError("dimension out of range")
        model = LinkPredictor(
            **dims,
            encoder=str(arch["encoder"]),
            dropout=float(arch["dropout"]),
            variant=str(arch.get("variant", "gnn")),
        )
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError):
        raise InputError(f"{card_path.name}: architecture is not one graphkit builds") from None
    try:
        model.load_state_dict(load_file(str(weights)), strict=True)
    except (RuntimeError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{weights.name}: weights do not fit the card: {first}") from None
    model.eval()
    return model, card


def load_recorded_model(
    case_dir: Path, entry: dict[str, Any]
) -> tuple[LinkPredictor, dict[str, Any]]:
    """Load the model a case manifest records (``manifest["models"]["link_prediction"]``):
    its card must lie inside ``case_dir`` and its weights must have the recorded SHA-256."""
    card = entry.get("card") if isinstance(entry, dict) else None
    sha = entry.get("sha256") if isinstance(entry, dict) else None
    if not isinstance(card, str) or not isinstance(sha, str) or not sha:
        raise InputError("the case manifest records no link-prediction model card and hash")
    root = Path(case_dir).resolve()
    card_path = (root / card).resolve()
    if not card_path.is_relative_to(root):
        raise InputError("the case manifest's model card lies outside the case directory")
    return load_model(card_path, expected_sha256=sha)
