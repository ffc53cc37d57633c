"""Read the Montagna dataset (Cavallaro et al. 2020, CC BY 4.0) as plain frames for tests.

The files keep their quirks: UTF-8 byte-order marks, bare CR line endings and other column
names in sightings.csv, and "-77" as a missing family code.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

MISSING_FAMILY = {"", "-77"}
LEADER_TITLES = {"boss", "underboss"}


def _read(path: Path) -> pd.DataFrame:
    # newline=None in the csv engine copes with bare CR; utf-8-sig drops the BOM.
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    from io import StringIO

    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)


def edges(montagna_dir: Path, layers: tuple[str, ...] = ("phone", "meetings")) -> pd.DataFrame:
    """Edge frame (src, dst, weight, layer) of the chosen layers; phone calls are directed,
    meeting co-attendance and sightings are symmetric ties listed once."""
    frames = []
    for layer in layers:
        df = _read(montagna_dir / f"{layer}.csv")
        if layer == "sightings":
            df = df.rename(columns={"i": "source", "j": "target"})
        frame = pd.DataFrame(
            {
                "src": df["source"].str.strip(),
                "dst": df["target"].str.strip(),
                "weight": pd.to_numeric(df["weight"]).astype(float),
                "layer": layer,
            }
        )
        if layer != "phone":
            frame = pd.concat(
                [frame, frame.rename(columns={"src": "dst", "dst": "src"})], ignore_index=True
            )
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def attributes(montagna_dir: Path) -> pd.DataFrame:
    """attributes.csv with ``family`` (None where unknown or -77) and ``leader`` (bool)."""
    df = _read(montagna_dir / "attributes.csv")
    df["family"] = df["familia"].str.strip().where(~df["familia"].str.strip().isin(MISSING_FAMILY))
    df["leader"] = df["title"].str.strip().isin(LEADER_TITLES)
    return df.set_index("node")
