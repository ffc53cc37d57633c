"""Readers for the reference datasets used by the tests and the benchmark.

Montagna (Cavallaro et al. 2020, PLOS ONE, doi:10.1371/journal.pone.0236476; CC BY 4.0):
phone-call and meeting ties between suspects of an anti-mafia operation. The files carry a
UTF-8 byte-order mark and CRLF line endings, which pandas' ``utf-8-sig`` reader absorbs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graphkit.errors import InputError

__all__ = ["montagna_layers"]


def montagna_layers(
    montagna_dir: Path, *, layers: tuple[str, ...] = ("phone", "meetings")
) -> pd.DataFrame:
    """Edge frame (src, dst, layer, weight) of the requested Montagna layers."""
    frames = []
    for layer in layers:
        path = Path(montagna_dir) / f"{layer}.csv"
        if not path.is_file():
            raise InputError(f"Montagna layer file not found: {path}")
        raw = pd.read_csv(path, encoding="utf-8-sig", dtype={"source": str, "target": str})
        frames.append(
            pd.DataFrame(
                {
                    "src": raw["source"].str.strip(),
                    "dst": raw["target"].str.strip(),
                    "layer": layer,
                    "weight": pd.to_numeric(raw["weight"], errors="coerce").fillna(1.0),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
