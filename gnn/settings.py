"""Settings of the predict-links stage, light to import (the CLI reads its defaults)."""

from __future__ import annotations

from dataclasses import dataclass

from graphkit.settings import StageSettings

__all__ = ["PredictSettings"]


@dataclass(frozen=True)
class PredictSettings(StageSettings):
    """Options of ``graphkit predict-links`` (saved with the stage in the manifest)."""

    top_k: int = 50
    seed: int = 0
    epochs: int = 100
    split: str = "auto"  # auto (random, thin ties first) | temporal | random (uniform)
    target_layers: tuple[str, ...] = ()  # layers to predict (default: every layer)
    source_layers: tuple[str, ...] = ()  # only these layers visible: a cross-layer question

    def validate(self) -> None:
        self.require(self.top_k >= 1, "top_k", "must be at least 1")
        self.require(self.epochs >= 1, "epochs", "must be at least 1")
        self.require(
            self.split in ("auto", "temporal", "random"), "split", "auto, temporal or random"
        )
        self.require(
            not self.source_layers or bool(self.target_layers),
            "source_layers",
            "need target_layers (which layers to predict from them)",
        )
