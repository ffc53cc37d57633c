"""Device swaps and clones in the call records: SIMs moved between handsets, handsets that
took another SIM, and numbers seen in two places too far apart (a cloned SIM or a shared
identity).

Only the caller side of ``src_cdr`` says which handset (``imei``) and cell a number used, so
all three read the records a number made (duplicates flagged at ingest left out). A handset
is its IMEI's first 14 digits (type allocation code and serial number): the 15th is a check
digit, and an IMEISV carries a software version there instead.

* :func:`sim_moves` (**SIM moved to another handset**, an IMEI swap): a number's records, in
  time order, run on handset A and then on handset B, with no record on A after the first on
  B and none on B before the last on A (the change happens once and for good).
* :func:`sim_changes` (**handset took another SIM**, an IMSI swap): the same for a handset's
  numbers: number X, then number Y, once and for good. A dual-SIM handset or a cloned SIM
  alternates, so it is not a swap.
* **clones** (:func:`clones`, a cloned SIM or a shared identity: one number used in two
  places, or in two handsets, at once), from two checks:

  - :func:`impossible_travel`: consecutive records of one number on cells whose distance
    (less ``tolerance_m`` for the area the two cells serve) needs more than
    ``max_speed_kmh`` in the time between them (plus ``resolution_s`` for times recorded to
    the minute);
  - :func:`handset_returns`: the number goes back to a handset it had left (A, B, A): two
    handsets in use at once. Needs IMEIs; catches a clone too quiet or too near for travel.

  One odd hop happens to ordinary phones (a flight, a distant cell answering, a clock off);
  a clone does it again and again, so the score counts the days with either.

Scores (in [0, 1]; counts above 10 count as 10, so a score tops out at 0.999):

* swaps: ``1 - 0.5 ** min(n_before, n_after)``, the records on each side of the change: a
  change seen once on either side may be a recording error (0.5), three records on both sides
  make 0.875; :data:`SWAP_THRESHOLD` (0.75: two records each side) marks the reported ones.
* clones: ``1 - 0.5 ** days``, the distinct days (UTC) with an impossible hop or a handset
  return; :data:`CLONE_THRESHOLD` (0.875: three days) marks the reported ones.

Each finding is a hypothesis (:mod:`graphkit.hypotheses`), stored by
:func:`graphkit.cdr.device_store.store_devices` in its declared table: ``rel_moved_to_handset``
(number -> new IMEI), ``rel_took_sim`` (IMEI -> new number) and ``rel_cloned_sim`` (number ->
itself), with evidence (times, cells, IMEIs) and status ``hypothesis``; re-runs keep rows a
reviewer decided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from graphkit.cdr import device_sql as sql
from graphkit.errors import CaseError
from graphkit.settings import StageSettings

if TYPE_CHECKING:
    import duckdb

    from graphkit.store import CaseStore

__all__ = [
    "CLONE_THRESHOLD",
    "MODEL_VERSION",
    "REL_TYPES",
    "REVIEW_PREFIX",
    "SWAP_THRESHOLD",
    "DeviceFindings",
    "Settings",
    "clones",
    "detect_devices",
    "handset_returns",
    "impossible_travel",
    "sim_changes",
    "sim_moves",
]

MODEL_VERSION = "devices-1"
SWAP_THRESHOLD = 0.75
CLONE_THRESHOLD = 0.875
_EARTH_RADIUS_M = 6_371_008.8
_MAX_SUPPORT = 10  # records or days beyond which a score stops rising (0.999)
_EVIDENCE_HOPS = 10  # hops (the fastest) and returns (the first) listed in a clone's evidence

#: check -> the declared relationship type its hypotheses are stored as
REL_TYPES = {
    "sim_moved": "MOVED_TO_HANDSET",
    "sim_changed": "TOOK_SIM",
    "clones": "CLONED_SIM",
}
#: check -> the review-id prefix of its hypotheses (:data:`graphkit.hypotheses.HYPOTHESIS_KINDS`)
REVIEW_PREFIX = {"sim_moved": "S", "sim_changed": "T", "clones": "C"}


@dataclass(frozen=True)
class Settings(StageSettings):
    """Thresholds of the three checks (see the module docstring)."""

    max_speed_kmh: float = 150.0
    tolerance_m: float = 10_000.0
    resolution_s: float = 60.0
    swap_threshold: float = SWAP_THRESHOLD
    clone_threshold: float = CLONE_THRESHOLD

    def validate(self) -> None:
        self.require(self.max_speed_kmh > 0, "max_speed_kmh", "must be positive")
        self.require(self.tolerance_m >= 0, "tolerance_m", "must not be negative")
        self.require(self.resolution_s >= 0, "resolution_s", "must not be negative")
        self.require(0 <= self.swap_threshold <= 1, "swap_threshold", "must lie in [0, 1]")
        self.require(0 <= self.clone_threshold <= 1, "clone_threshold", "must lie in [0, 1]")


@dataclass(frozen=True)
class DeviceFindings:
    """What :func:`detect_devices` found: each frame one row per hypothesis (every candidate,
    ``reported`` = score at or above its threshold); ``not_checked``: check -> why it could not
    run on this case (no IMEI, no tower positions)."""

    sim_moved: pd.DataFrame
    sim_changed: pd.DataFrame
    clones: pd.DataFrame
    not_checked: dict[str, str] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The three hypothesis frames by check (``clones`` absent when neither of its two
        checks could run)."""
        out = {"sim_moved": self.sim_moved, "sim_changed": self.sim_changed}
        if not {"impossible_travel", "two_handsets"} <= set(self.not_checked):
            out["clones"] = self.clones
        return {k: v for k, v in out.items() if k not in self.not_checked}


_HOP_COLUMNS = [
    "phone",
    "prev_start",
    "start",
    "prev_cell",
    "cell_id",
    "prev_imei",
    "imei",
    "dt_s",
    "distance_m",
    "speed_kmh",
]
_RETURN_COLUMNS = ["phone", "prev_start", "start", "prev_imei", "imei"]


def _has(con: duckdb.DuckDBPyConnection, sql: str) -> bool:
    row = con.execute(sql).fetchone()
    return bool(row and row[0])


def _require_imei(con: duckdb.DuckDBPyConnection) -> None:
    if not _has(con, "SELECT count(imei) FROM src_cdr"):
        raise CaseError(
            "the call records carry no IMEI: handset and SIM swaps cannot be checked "
            "(map an imei column at ingest)"
        )


def _has_positions(store: CaseStore, con: duckdb.DuckDBPyConnection) -> bool:
    return store.table_exists(con, "src_towers") and _has(
        con, "SELECT count(*) FROM src_towers WHERE lat IS NOT NULL AND lon IS NOT NULL"
    )


def _require_positions(store: CaseStore, con: duckdb.DuckDBPyConnection) -> None:
    if not _has_positions(store, con):
        raise CaseError(
            "the case has no tower positions: impossible travel cannot be checked "
            "(ingest a towers source with lat/lon)"
        )
    if not _has(con, "SELECT count(cell_id) FROM src_cdr"):
        raise CaseError("the call records carry no cell ids: impossible travel cannot be checked")


@contextmanager
def _sequence(store: CaseStore) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection holding ``device_seq`` (:data:`device_sql.SEQUENCE`)."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "src_cdr"):
            raise CaseError("the case has no call records; ingest a cdr source first")
        towers = sql.TOWERS if _has_positions(store, con) else sql.NO_TOWERS
        con.execute(sql.SEQUENCE.format(towers=towers))  # this module's constants only
        yield con


def _swap_score(n_before: pd.Series, n_after: pd.Series) -> pd.Series:
    support = pd.concat([n_before, n_after], axis=1).min(axis=1).clip(upper=_MAX_SUPPORT)
    return 1.0 - 0.5 ** support.astype(float)


def _scored(frame: pd.DataFrame, threshold: float) -> pd.DataFrame:
    frame["score"] = _swap_score(frame["n_old"], frame["n_new"]) if len(frame) else []
    frame["reported"] = frame["score"] >= threshold if len(frame) else []
    return frame


def _moves(con: duckdb.DuckDBPyConnection, threshold: float) -> pd.DataFrame:
    _require_imei(con)
    return _scored(con.execute(sql.PHONE_SWAPS).df(), threshold).drop(columns=["old", "new"])


def _changes(con: duckdb.DuckDBPyConnection, threshold: float) -> pd.DataFrame:
    _require_imei(con)
    frame = _scored(con.execute(sql.HANDSET_SWAPS).df(), threshold)
    frame["imei"] = frame["new_imei"]
    return frame


def _returns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    _require_imei(con)
    return con.execute(sql.RETURNS).df()


def _travel(store: CaseStore, con: duckdb.DuckDBPyConnection, s: Settings) -> pd.DataFrame:
    _require_positions(store, con)
    return con.execute(
        sql.TRAVEL,
        {
            "r": _EARTH_RADIUS_M,
            "tolerance": s.tolerance_m,
            "resolution": s.resolution_s,
            "max_mps": s.max_speed_kmh / 3.6,
        },
    ).df()


def sim_moves(store: CaseStore, *, threshold: float = SWAP_THRESHOLD) -> pd.DataFrame:
    """SIMs moved to another handset: one row per number and change, ``phone``, ``old_imei``
    and ``new_imei`` (as recorded), ``old_imsi`` / ``new_imsi``, ``last_old`` / ``first_new``
    (the records either side of the change) with their cells, ``n_old`` / ``n_new`` (the
    number's records on each handset), ``score`` and ``reported``. CaseError (one line) when
    the records carry no IMEI."""
    with _sequence(store) as con:
        return _moves(con, threshold)


def sim_changes(store: CaseStore, *, threshold: float = SWAP_THRESHOLD) -> pd.DataFrame:
    """Handsets that took another SIM: one row per handset and change, ``handset`` (the
    IMEI's first 14 digits), ``imei`` (as recorded), ``old_phone`` / ``new_phone``,
    ``old_imsi`` / ``new_imsi``, ``last_old`` / ``first_new`` with their cells, ``n_old`` /
    ``n_new`` (records of each number in this handset), ``score`` and ``reported``. CaseError
    when the records carry no IMEI."""
    with _sequence(store) as con:
        return _changes(con, threshold)


def impossible_travel(
    store: CaseStore,
    *,
    max_speed_kmh: float = 150.0,
    tolerance_m: float = 10_000.0,
    resolution_s: float = 60.0,
) -> pd.DataFrame:
    """Every impossible hop: consecutive records of one number on two cells whose distance,
    less ``tolerance_m``, needs more than ``max_speed_kmh`` in the time between (plus
    ``resolution_s``); records on cells without a position are skipped. Columns ``phone``,
    ``prev_start``, ``start``, ``prev_cell``, ``cell_id``, ``prev_imei``, ``imei``, ``dt_s``,
    ``distance_m``, ``speed_kmh``. CaseError (one line) without tower positions or cell ids."""
    s = Settings(max_speed_kmh=max_speed_kmh, tolerance_m=tolerance_m, resolution_s=resolution_s)
    with _sequence(store) as con:
        return _travel(store, con, s)


def handset_returns(store: CaseStore) -> pd.DataFrame:
    """Every return of a number to a handset it had left (handset A, then B, then A again):
    two handsets in use at once. Columns ``phone``, ``prev_start``, ``start``, ``prev_imei``,
    ``imei``. A clean swap has none. CaseError (one line) without IMEIs."""
    with _sequence(store) as con:
        return _returns(con)


def _days(frame: pd.DataFrame) -> pd.Series:
    if frame.empty:
        return pd.Series(dtype=object)
    return pd.to_datetime(frame["start"], utc=True).dt.date


def clones(
    hops: pd.DataFrame | None,
    returns: pd.DataFrame | None,
    *,
    threshold: float = CLONE_THRESHOLD,
) -> pd.DataFrame:
    """One row per number with impossible hops or handset returns (either frame may be None:
    not checked): ``hops``, ``returns``, ``days`` (distinct UTC days with either),
    ``max_distance_m``, ``imeis`` (handsets on either side), ``evidence_hops`` (the fastest
    ten), ``evidence_returns`` (the first ten), ``score`` = ``1 - 0.5 ** days`` and
    ``reported``."""
    columns = [
        "phone",
        "hops",
        "returns",
        "days",
        "max_distance_m",
        "imeis",
        "evidence_hops",
        "evidence_returns",
        "score",
        "reported",
    ]
    hops = hops if hops is not None else pd.DataFrame(columns=_HOP_COLUMNS)
    returns = returns if returns is not None else pd.DataFrame(columns=_RETURN_COLUMNS)
    phones = sorted(set(hops["phone"]) | set(returns["phone"]))
    if not phones:
        return pd.DataFrame(columns=columns)
    hop_days, return_days = _days(hops), _days(returns)
    by_hop = {p: part for p, part in hops.assign(day=hop_days).groupby("phone")}
    by_return = {p: part for p, part in returns.assign(day=return_days).groupby("phone")}
    empty_h, empty_r = hops.iloc[:0].assign(day=None), returns.iloc[:0].assign(day=None)
    rows = []
    for phone in phones:
        h = by_hop.get(phone, empty_h)
        r = by_return.get(phone, empty_r)
        days = len(set(h["day"]) | set(r["day"]))
        seen = pd.concat([h["prev_imei"], h["imei"], r["prev_imei"], r["imei"]]).dropna()
        fastest = h.sort_values("speed_kmh", ascending=False).head(_EVIDENCE_HOPS)
        rows.append(
            {
                "phone": str(phone),
                "hops": len(h),
                "returns": len(r),
                "days": days,
                "max_distance_m": float(h["distance_m"].max()) if len(h) else None,
                "imeis": sorted({str(x) for x in seen}),
                "evidence_hops": [
                    {
                        "from_time": x.prev_start.isoformat(),
                        "to_time": x.start.isoformat(),
                        "from_cell": x.prev_cell,
                        "to_cell": x.cell_id,
                        "minutes": round(float(x.dt_s) / 60, 1),
                        "distance_km": round(float(x.distance_m) / 1000, 1),
                        # the speed the check compares with its limit: the distance less the
                        # coverage allowance, over the time plus the clock's resolution
                        "needed_kmh": round(float(x.speed_kmh), 1),
                        "from_imei": x.prev_imei,
                        "to_imei": x.imei,
                    }
                    for x in fastest.sort_values("start").itertuples()
                ],
                "evidence_returns": [
                    {
                        "from_time": x.prev_start.isoformat(),
                        "to_time": x.start.isoformat(),
                        "from_imei": x.prev_imei,
                        "to_imei": x.imei,
                    }
                    for x in r.sort_values("start").head(_EVIDENCE_HOPS).itertuples()
                ],
                "score": 1.0 - 0.5 ** min(days, _MAX_SUPPORT),
            }
        )
    out = pd.DataFrame(rows, columns=columns[:-1])
    out["reported"] = out["score"] >= threshold
    return out.sort_values(["score", "hops", "phone"], ascending=[False, False, True])


def detect_devices(store: CaseStore, settings: Settings | None = None) -> DeviceFindings:
    """Every check the case's data allow: without IMEIs the swaps and handset returns,
    without tower positions (or cell ids) impossible travel are left out and ``not_checked``
    says why; clones are scored on what was checked. CaseError when the case has no call
    records at all."""
    s = settings or Settings()
    frames: dict[str, pd.DataFrame | None] = {}
    not_checked: dict[str, str] = {}
    with _sequence(store) as con:
        checks: dict[str, Callable[[], pd.DataFrame]] = {
            "sim_moved": lambda: _moves(con, s.swap_threshold),
            "sim_changed": lambda: _changes(con, s.swap_threshold),
            "impossible_travel": lambda: _travel(store, con, s),
            "two_handsets": lambda: _returns(con),
        }
        for name, check in checks.items():
            try:
                frames[name] = check()
            except CaseError as exc:
                not_checked[name] = str(exc)
                frames[name] = None
    both_missing = frames["impossible_travel"] is None and frames["two_handsets"] is None
    return DeviceFindings(
        sim_moved=frames["sim_moved"] if frames["sim_moved"] is not None else pd.DataFrame(),
        sim_changed=frames["sim_changed"] if frames["sim_changed"] is not None else pd.DataFrame(),
        clones=pd.DataFrame()
        if both_missing
        else clones(
            frames["impossible_travel"], frames["two_handsets"], threshold=s.clone_threshold
        ),
        not_checked=not_checked,
        settings=s,
    )
