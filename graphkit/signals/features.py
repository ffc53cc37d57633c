"""Features of a candidate hand-off pair (old number, new number), computed in bulk.

All features lie in [0, 1]:

- ``contacts``: weighted overlap ``sum_c min(p_old(c), p_new(c))`` of the two numbers'
  counterpart distributions (old: its last ``profile_h`` hours; new: its first), after
  relabelling counterparts through already-matched hand-offs (new id -> old id);
- ``cells``: the same overlap over the cells of the events each number made (caller side);
- ``rhythm``: cosine of the two hour-of-day x weekday/weekend profiles, each centred on the
  population profile (so the shared day/night cycle does not count), floored at 0;
- ``timing``: ``1 - gap / window``, the gap between the old number's last event and the new
  one's first in the old number's active hours;
- ``activity``: ``exp(-|log(rate_new / rate_old)|)``;
- ``imei``: 1 when the two numbers were seen in one handset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphkit.signals.events import FloatArray

__all__ = ["PairWindows", "contact_features", "profile_windows", "static_features"]

_LIST_LIMIT = 10


@dataclass(frozen=True)
class PairWindows:
    """The events of each old number before it stopped and each new one after it started,
    labelled by the stop's (start's) key in the ``phone`` column."""

    old: pd.DataFrame
    new: pd.DataFrame


def profile_windows(ends: pd.DataFrame, pairs: pd.DataFrame, *, profile_h: float) -> PairWindows:
    """Events of each distinct old (new) number within ``profile_h`` of its stop (start)."""
    olds = pairs[["old", "old_phone", "old_last"]].rename(
        columns={"old": "key", "old_phone": "phone", "old_last": "anchor"}
    )
    news = pairs[["new", "new_phone", "new_first"]].rename(
        columns={"new": "key", "new_phone": "phone", "new_first": "anchor"}
    )
    return PairWindows(
        _profile_window(ends, olds, profile_h, before=True),
        _profile_window(ends, news, profile_h, before=False),
    )


def static_features(
    frame: pd.DataFrame,
    ends: pd.DataFrame,
    pairs: pd.DataFrame,
    windows: PairWindows,
    *,
    window_hours: float,
    use_imei: bool,
) -> pd.DataFrame:
    """The features that do not change as hand-offs are matched: all but ``contacts``."""
    old_win, new_win = windows.old, windows.new
    out = pd.DataFrame(index=pairs.index)
    cells = _overlap(
        _caller_side(old_win, frame, "cell_id"), _caller_side(new_win, frame, "cell_id"), pairs
    )
    out["cells"], out["shared_cells"] = cells["overlap"], cells["shared"]
    out["rhythm"] = _rhythm(old_win, new_win, ends, pairs)
    gap = pairs["gap_active_h"].abs().to_numpy()
    out["timing"] = np.clip(1.0 - gap / window_hours, 0.0, 1.0)
    ratio = (pairs["new_rate"] / pairs["old_rate"].clip(lower=1e-9)).to_numpy()
    out["activity"] = np.exp(-np.abs(np.log(np.maximum(ratio, 1e-9))))
    if use_imei and "imei" in frame.columns:
        imei = _overlap(
            _caller_side(old_win, frame, "imei"), _caller_side(new_win, frame, "imei"), pairs
        )
        out["imei"] = (imei["overlap"] > 0).astype(np.float64)
        out["shared_imei"] = imei["shared"]
    else:
        out["imei"] = 0.0
        out["shared_imei"] = [[] for _ in range(len(out))]
    return out


def contact_features(
    pairs: pd.DataFrame, windows: PairWindows, *, relabel: Mapping[str, str]
) -> pd.DataFrame:
    """``contacts`` (overlap), ``shared_contacts`` and ``shared_via_handoff`` per pair."""
    return _contact_overlap(windows.old, windows.new, pairs, relabel)


def _profile_window(
    ends: pd.DataFrame, anchors: pd.DataFrame, profile_h: float, *, before: bool
) -> pd.DataFrame:
    """The events of each stop (``key``: its number, ``anchor``: its time) within its window,
    labelled by key in the ``phone`` column."""
    anchors = anchors.drop_duplicates("key")
    rows = ends.merge(anchors, on="phone", how="inner")
    if before:
        keep = (rows["t"] <= rows["anchor"]) & (rows["t"] >= rows["anchor"] - profile_h)
    else:
        keep = (rows["t"] >= rows["anchor"]) & (rows["t"] <= rows["anchor"] + profile_h)
    rows = rows[keep]
    return rows.assign(phone=rows["key"]).drop(columns=["anchor", "key"])


def _caller_side(win: pd.DataFrame, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """(phone, item) for the events a number made, e.g. its cells or handsets."""
    if column not in frame.columns:
        return pd.DataFrame({"phone": pd.Series(dtype=str), "item": pd.Series(dtype=str)})
    mine = win[win["caller_side"]]
    items = frame[column].to_numpy()[mine["row"].to_numpy()]
    out = pd.DataFrame({"phone": mine["phone"].to_numpy(), "item": items})
    out = out[out["item"].notna()]
    out["item"] = out["item"].astype(str)
    return out[out["item"] != ""]


def _weights(items: pd.DataFrame) -> pd.DataFrame:
    counts = items.groupby(["phone", "item"], sort=True).size().rename("w").reset_index()
    counts["w"] = counts["w"] / counts.groupby("phone")["w"].transform("sum")
    return counts


def _overlap(
    old_items: pd.DataFrame,
    new_items: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    flagged: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``sum_item min(w_old, w_new)`` per pair and the shared items, heaviest first."""
    ow = _weights(old_items).rename(columns={"phone": "old", "w": "w_old"})
    nw = _weights(new_items).rename(columns={"phone": "new", "w": "w_new"})
    keyed = pairs[["old", "new", "old_phone", "new_phone"]].reset_index()
    both = keyed.merge(ow, on="old").merge(nw, on=["new", "item"])
    both = both[(both["item"] != both["old_phone"]) & (both["item"] != both["new_phone"])]
    both["m"] = np.minimum(both["w_old"], both["w_new"])
    both = both.sort_values(["index", "m", "item"], ascending=[True, False, True], kind="stable")
    overlap = both.groupby("index")["m"].sum()
    shared = both.groupby("index")["item"].agg(lambda s: list(s)[:_LIST_LIMIT])
    result = pd.DataFrame(index=pairs.index)
    result["overlap"] = overlap.reindex(pairs.index).fillna(0.0).clip(upper=1.0)
    result["shared"] = [v if isinstance(v, list) else [] for v in shared.reindex(pairs.index)]
    return result


def _contact_overlap(
    old_win: pd.DataFrame, new_win: pd.DataFrame, pairs: pd.DataFrame, relabel: Mapping[str, str]
) -> pd.DataFrame:
    """Contact overlap with swapped contacts relabelled to their old numbers."""

    def items(win: pd.DataFrame) -> tuple[pd.DataFrame, set[str]]:
        cp = win[win["counterpart"].notna()]
        raw = cp["counterpart"].astype(str)
        mapped = raw.map(dict(relabel)).fillna(raw) if relabel else raw
        moved = set(mapped[mapped != raw])
        return pd.DataFrame({"phone": cp["phone"].to_numpy(), "item": mapped.to_numpy()}), moved

    old_items, _ = items(old_win)
    new_items, moved = items(new_win)
    res = _overlap(old_items, new_items, pairs)
    out = pd.DataFrame(index=pairs.index)
    out["contacts"] = res["overlap"]
    out["shared_contacts"] = res["shared"]
    out["shared_via_handoff"] = [[c for c in s if c in moved] for s in res["shared"]]
    return out


def _rhythm(
    old_win: pd.DataFrame, new_win: pd.DataFrame, ends: pd.DataFrame, pairs: pd.DataFrame
) -> FloatArray:
    """Centred cosine of 48-bin (hour of day x weekend) profiles, floored at 0."""

    def bins(tt: Any) -> Any:
        hour = np.floor(np.asarray(tt, dtype=np.float64)).astype(np.int64)
        weekend = (hour // 24) % 7 >= 5
        return hour % 24 + 24 * weekend

    population = np.bincount(bins(ends["t"]), minlength=48).astype(np.float64)
    population /= max(population.sum(), 1.0)

    def profiles(win: pd.DataFrame) -> dict[str, FloatArray]:
        codes, phones = pd.factorize(win["phone"], sort=True)
        mat = np.zeros((len(phones), 48))
        np.add.at(mat, (codes, bins(win["t"])), 1.0)
        mat /= np.maximum(mat.sum(axis=1, keepdims=True), 1.0)
        mat -= population[None, :]
        return {str(p): mat[i] for i, p in enumerate(phones)}

    po, pn = profiles(old_win), profiles(new_win)
    zero = np.zeros(48)
    a = np.array([po.get(o, zero) for o in pairs["old"]]).reshape(len(pairs), 48)
    b = np.array([pn.get(n, zero) for n in pairs["new"]]).reshape(len(pairs), 48)
    norm = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    cos = np.einsum("ij,ij->i", a, b) / np.maximum(norm, 1e-12)
    return np.asarray(np.clip(cos, 0.0, 1.0))
