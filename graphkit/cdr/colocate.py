"""Co-location: phones repeatedly on the same (or a nearby) cell at the same time, at places
neither usually is, more often than chance; stored as CO_LOCATED_WITH hypotheses.

**Sightings.** A call record puts its caller on ``cell_id`` at ``start`` (and the callee on
``callee_cell_id`` where a case has that column); duplicates flagged at ingest are left out.

**Together.** Two phones are together when one is seen on cell ``c`` at ``t`` and the other
on a cell near ``c`` within ``window_s`` of ``t``. Near means the same cell, or with
``distance_m`` any cell whose tower (``src_towers``) lies within that distance (great-circle;
0 takes the other sectors of the same site).

**Chances and opportunities.** For a pair, two sightings within ``window_s`` of each other,
on whatever cells, are a *chance* to be seen together; chances less than ``occasion_gap_s``
apart form one *opportunity*; the pairs tested (the FDR family) are those together in
``min_times`` opportunities or more.

**Usual places (the null model).** Under the null the two phones move independently, each
following its own routine. ``P(A on c)`` at a chance is the share of A's *other days* on
which A was seen on ``c`` in the same part of the week (weekday / weekend x 3-hour block of
the day, UTC), shrunk towards the share of all its other days seen on ``c``
(pseudo-count :data:`PRIOR_DAYS`), itself with a fifth of a day added (:data:`UNSEEN_DAYS`)
so that no place is impossible. Days, not records: a burst of calls is one visit. Leaving
the chance's own day out keeps a meeting from making its own place usual.

**Occasions.** An opportunity is an *occasion* when the two were together there on cells
``(c, c')`` with ``P(A on c) x P(B on c') <= UNUSUAL`` (1 in 1,000): together at a place
neither usually is. Its null probability is the same product summed over every such pair of
their cells (each side's cells, and the other's near them); an opportunity spanning several
``window_s`` slots gives each slot a draw (``1 - (1 - q)^slots``, an upper bound when the
slots are correlated). A shared home or workplace is usual for both and never makes an
occasion, however often they are there together.

**Test.** The number of occasions is a sum of independent Bernoulli trials with mean
``expected``; its tail is bounded by the binomial with the same mean over the opportunities
(Hoeffding 1956, Theorem 4, for counts at least ``expected + 1``), which gives the p-value.
Benjamini-Hochberg q-values over the tested pairs (those below ``min_times`` occasions have
p = 1); a pair is reported with ``min_times`` occasions or more at ``q <= fdr`` and stored
with ``score = 1 - q``, ``threshold = 1 - fdr``. The family is chosen by how often the pairs
were together, not by the test: pairs never together ``min_times`` times are not tested.
Where results can vary: a phone seen on few days has broad usual places (each unseen place
then gets more of the half day), so its meetings need more occasions to stand out.

**Groups** (:mod:`graphkit.cdr.colocate_groups`). Three phones or more of which every two are
a reported pair and all were together at one place none usually is on ``min_times`` occasions
or more; the group's q is the largest of its pairs' (an intersection-union test). Pairs are
never chained into components: friends of friends are not a group.

Everything from the sightings to one row per pair is DuckDB SQL on integer ids (hash joins on
cell and time bucket, window functions); numpy and scipy see one row per pair with occasions.
Only the pairs whose co-present sightings alone make ``min_times`` unusual occasions have
their chances enumerated and scored: the others cannot be reported (p = 1), and are counted
in the family all the same.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from graphkit.cdr import colocate_sql as queries
from graphkit.cdr.colocate_groups import find_groups
from graphkit.errors import CaseError, InputError
from graphkit.model import relationship, relationship_ddl
from graphkit.people import directory
from graphkit.settings import StageSettings
from graphkit.stats import fdr_qvalues
from graphkit.store import writes
from graphkit.views import format_number

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from graphkit.store import CaseStore

__all__ = [
    "MODEL_VERSION",
    "ColocateSettings",
    "Colocations",
    "colocate",
    "find_colocations",
    "parse_duration",
]

log = logging.getLogger(__name__)

MODEL_VERSION = "colocate-1"
UNUSUAL = 0.001
"""an occasion counts when the null chance of finding both on its cells then is at most this"""
PRIOR_DAYS = 4.0
"""weight (in days) of a phone's all-hours share in its share for one part of the week"""
UNSEEN_DAYS = 0.2
"""days added to every cell's count of a phone's days there, so that no place is impossible:
a place never seen counts as a fifth of a day (half a day, as first set, made a fresh cell
as likely as 1 in 50 for a phone seen on 25 days, so a meeting there was often not unusual
and recall on planted meetings was 0.79; a fifth gave 0.91, precision 1.0, docs/cdr.md)"""
_EARTH_RADIUS_M = 6_371_008.8
_REL = relationship("CO_LOCATED_WITH")
_MAX_OCCASIONS_IN_EVIDENCE = 20
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
_UNIT_S = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86_400}


def parse_duration(text: str, *, field: str = "window") -> int:
    """Seconds in ``15m``, ``90s``, ``2h``, ``1d`` (a bare number is minutes); a one-line
    InputError naming ``field`` otherwise."""
    m = _DURATION.match(str(text))
    if not m:
        raise InputError(f"{field}: {text!r} is not a duration (e.g. 15m, 90s, 2h)")
    seconds = float(m.group(1)) * _UNIT_S[(m.group(2) or "m").lower()]
    if seconds < 1:
        raise InputError(f"{field}: {text!r} is under a second")
    return round(seconds)


@dataclass(frozen=True)
class ColocateSettings(StageSettings):
    """What counts as together, how often, and at which false discovery rate."""

    window_s: int = 900
    min_times: int = 2
    distance_m: float | None = None
    occasion_gap_s: int = 7200
    fdr: float = 0.05

    def validate(self) -> None:
        self.require(1 <= self.window_s <= 21_600, "window_s", "must lie in [1 s, 6 h]")
        self.require(self.min_times >= 1, "min_times", "must be at least 1")
        self.require(
            self.distance_m is None or (math.isfinite(self.distance_m) and self.distance_m >= 0),
            "distance_m",
            "must be a distance in metres, 0 or more",
        )
        self.require(
            self.occasion_gap_s >= self.window_s, "occasion_gap_s", "must be at least the window"
        )
        self.require(0 < self.fdr < 1, "fdr", "must lie strictly in (0, 1)")


@dataclass(frozen=True)
class Colocations:
    """The reported pairs (each a dict, best first) and groups; ``tested``: pairs together in
    ``min_times`` opportunities or more (the FDR family); ``with_occasions``: those with
    ``min_times`` occasions (together at places neither usually is) or more."""

    settings: ColocateSettings
    pairs: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    tested: int
    with_occasions: int

    def summary(self) -> dict[str, int]:
        return {
            "tested": self.tested,
            "with_occasions": self.with_occasions,
            "reported": len(self.pairs),
            "groups": len(self.groups),
        }


def _tail(k: np.ndarray, n: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """P(X >= k) for X binomial(n, expected / n): Hoeffding's (1956) bound on the tail of a
    count of n independent Bernoulli trials with that mean, for k >= expected + 1."""
    from scipy.stats import binom

    p = np.clip(expected / np.maximum(n, 1), 0.0, 1.0)
    out: np.ndarray = binom.sf(k - 1, n, p)
    return np.where(k <= 0, 1.0, out)


def _check_case(con: duckdb.DuckDBPyConnection, store: CaseStore, s: ColocateSettings) -> bool:
    """Whether the case has a callee cell column; one-line errors for what cannot work."""
    if not store.table_exists(con, "src_cdr"):
        raise CaseError("the case has no call records; ingest a cdr source first")
    cols = {r[0] for r in con.execute("DESCRIBE src_cdr").fetchall()}
    callee = "callee_cell_id" in cols
    with_cells = con.execute(
        "SELECT count(*) FROM src_cdr WHERE cell_id IS NOT NULL"
        + (" OR callee_cell_id IS NOT NULL" if callee else "")
    ).fetchone()
    if not with_cells or not with_cells[0]:
        raise InputError(
            "the call records have no cell ids: co-location needs the cell of each record "
            "(map a cell_id column at ingest)"
        )
    if s.distance_m is not None:
        towers = (
            store.table_exists(con, "src_towers")
            and (
                con.execute(
                    "SELECT count(*) FROM src_towers WHERE lat IS NOT NULL AND lon IS NOT NULL"
                ).fetchone()
                or (0,)
            )[0]
        )
        if not towers:
            raise InputError(
                "distance_m: needs tower positions; ingest a towers source or leave it out "
                "(same cell only)"
            )
    return callee


def _candidates(
    con: duckdb.DuckDBPyConnection, store: CaseStore, s: ColocateSettings
) -> tuple[pd.DataFrame, int]:
    """Candidate pairs with their chances scored, and the size of the tested family."""
    params = {"w": s.window_s}
    callee = _check_case(con, store, s)
    sightings = queries.SIGHTINGS.format(
        day=queries.DAY_S, callee_side=queries.CALLEE_SIDE if callee else ""
    )
    for statement in filter(str.strip, sightings.split(";")):
        con.execute(statement, _used(statement, params))
    if s.distance_m is None:
        con.execute(queries.NEAR_SAME_CELL)
    else:
        con.execute(
            queries.NEAR_TOWERS,
            {
                "r": _EARTH_RADIUS_M,
                "dist": s.distance_m,
                "dlat": math.degrees(s.distance_m / _EARTH_RADIUS_M) + 1e-9,
            },
        )
    for statement in filter(str.strip, queries.HITS.split(";")):
        con.execute(statement, _used(statement, {**params, "gap": s.occasion_gap_s}))
    values = {
        **params,
        "gap": s.occasion_gap_s,
        "min_times": s.min_times,
        "prior": PRIOR_DAYS,
        "unseen": UNSEEN_DAYS,
        "rare": UNUSUAL,
    }
    for name, sql in (
        *queries.PREFILTER,
        *queries.CHANCE_STEPS,
    ):  # names and SQL: this module's constants
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}", _used(sql, values))
    row = con.execute(
        "SELECT count(*) FROM colo_hit_pairs WHERE occasions >= $m", {"m": s.min_times}
    ).fetchone()
    tested = int(row[0]) if row else 0
    frame = con.execute(queries.CHANCES, _used(queries.CHANCES, values)).df()
    cells = dict(con.execute("SELECT id, name FROM colo_cell").fetchall())
    if len(frame):
        frame["seen"] = [
            [{**o, "cells": sorted(cells[c] for c in o["cells"])} for o in seen]
            for seen in frame["seen"]
        ]
    return frame, tested


def _used(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """The parameters ``sql`` names (DuckDB refuses unused ones)."""
    return {k: v for k, v in values.items() if f"${k}" in sql}


def find_colocations(store: CaseStore, settings: ColocateSettings | None = None) -> Colocations:
    """Pairs and groups of phones seen together more often than chance (see the module
    docstring), best first; nothing is stored (:func:`colocate` stores them). Each pair row
    names both phones' actors and display names where the case has been built."""
    s = settings or ColocateSettings()
    with store.connect(read_only=True) as con:
        try:
            frame, tested = _candidates(con, store, s)
        finally:
            for t in (
                *queries.TEMP_TABLES,
                *(n for n, _ in (*queries.PREFILTER, *queries.CHANCE_STEPS)),
            ):
                con.execute(f"DROP TABLE IF EXISTS {t}")  # this module's own temp tables
    pairs = _score(frame, tested, s)
    _name(pairs, store)
    groups = find_groups(pairs, window_s=s.window_s, min_times=s.min_times)
    for g in groups:
        g["explanation"] = _explain_group(g)
    return Colocations(s, pairs, groups, tested, len(frame))


def _score(frame: pd.DataFrame, tested: int, s: ColocateSettings) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    k = frame["occasions"].to_numpy(np.int64)
    n = frame["opportunities"].to_numpy(np.int64)
    expected = frame["expected"].to_numpy(np.float64)
    p = _tail(k, n, expected)
    q = fdr_qvalues(np.concatenate([p, np.ones(max(tested - len(p), 0))]))[: len(p)]
    rows = []
    for i in np.flatnonzero(q <= s.fdr):
        seen = [o for o in frame["seen"].iat[i] if o["unusual"]]
        rows.append(
            {
                "a": str(frame["pa"].iat[i]),
                "b": str(frame["pb"].iat[i]),
                "occasions": int(k[i]),
                "expected": float(expected[i]),
                "together": int(frame["together"].iat[i]),
                "opportunities": int(n[i]),
                "p_value": float(p[i]),
                "q_value": float(q[i]),
                "score": float(1.0 - q[i]),
                "first": _utc(seen[0]["first"]),
                "last": _utc(max(o["last"] for o in seen)),
                "seen": [
                    {
                        "first": _utc(o["first"]),
                        "last": _utc(o["last"]),
                        "cells": o["cells"],
                        "records": int(o["records"]),
                        "chance": float(o["chance"]),
                    }
                    for o in seen
                ],
            }
        )
    rows.sort(key=_rank)
    return rows


def _rank(row: dict[str, Any]) -> tuple[float, float, int, str, str]:
    return (row["q_value"], row["p_value"], -row["occasions"], row["a"], row["b"])


def _utc(epoch_s: Any) -> datetime:
    return datetime.fromtimestamp(int(epoch_s), tz=UTC)


def _name(pairs: list[dict[str, Any]], store: CaseStore) -> None:
    if not pairs:
        return
    people = directory(store)
    for row in pairs:
        for side in ("a", "b"):
            actor = people.get(row[side])
            row[f"{side}_name"] = actor.name if actor else None
            row[f"{side}_actor"] = actor.actor_id if actor else None
        row["explanation"] = _explain(row)


def _who(row: dict[str, Any], side: str) -> str:
    name = row.get(f"{side}_name")
    return f"{name} ({row[side]})" if name and name != row[side] else str(row[side])


def _explain(row: dict[str, Any]) -> str:
    return (
        f"{_who(row, 'a')} and {_who(row, 'b')} together at places neither usually is on "
        f"{row['occasions']} occasions ({_when(row['seen'])}); "
        f"{format_number(row['expected'])} such occasions expected by chance from their usual "
        f"cells in the {row['opportunities']} times both were active "
        f"(p = {format_number(row['p_value'])}, q = {format_number(row['q_value'])})"
    )


def _when(seen: list[dict[str, Any]], *, shown: int = 3) -> str:
    """The first few occasions (time and cells), and "..." when there are more."""
    text = "; ".join(
        f"{o['first']:%Y-%m-%d %H:%M} on {', '.join(o['cells'])}" for o in seen[:shown]
    )
    return text + ("; ..." if len(seen) > shown else "")


def _explain_group(group: dict[str, Any]) -> str:
    names = group["phones_names"]
    who = ", ".join(
        f"{n} ({p})" if n and n != p else p for p, n in zip(group["phones"], names, strict=True)
    )
    return (
        f"{who}: all {group['size']} together at places none usually is on "
        f"{group['occasions']} occasions ({_when(group['seen'])}); each of their "
        f"{group['pairs']} pairs passed the co-location test (largest p = "
        f"{format_number(group['p_value'])}, q = {format_number(group['q_value'])})"
    )


@writes("colocate", operation="combination")
def colocate(store: CaseStore, settings: ColocateSettings | None = None) -> Colocations:
    """Find co-located pairs (:func:`find_colocations`) and store them as CO_LOCATED_WITH
    hypotheses (``src`` < ``dst``, score ``1 - q``, threshold ``1 - fdr``, evidence: the
    occasions with their times and cells, expected occasions, p and q). Earlier hypotheses of
    this method are replaced; pairs a reviewer confirmed or rejected are kept as decided.
    Records the stage ``colocate`` with its settings and summary."""
    import pandas as pd

    s = settings or ColocateSettings()
    found = find_colocations(store, s)
    evidence = [
        json.dumps(
            {
                "occasions": [
                    {**o, "first": o["first"].isoformat(), "last": o["last"].isoformat()}
                    for o in r["seen"][:_MAX_OCCASIONS_IN_EVIDENCE]
                ],
                "occasions_total": r["occasions"],
                "expected": r["expected"],
                "chances": r["opportunities"],
                "p_value": r["p_value"],
                "q_value": r["q_value"],
                "window_s": s.window_s,
                "distance_m": s.distance_m,
                "explanation": r["explanation"],
            },
            sort_keys=True,
        )
        for r in found.pairs
    ]
    with store.connect() as con:
        con.execute(relationship_ddl(_REL))  # cases made before the type was declared
        con.execute(
            f"DELETE FROM {_REL.table} WHERE status = 'hypothesis' AND model_version LIKE ?",
            ["colocate-%"],
        )
        rows = pd.DataFrame(
            {
                "src": [r["a"] for r in found.pairs],
                "dst": [r["b"] for r in found.pairs],
                "score": [r["score"] for r in found.pairs],
                "evidence": evidence,
            },
            columns=["src", "dst", "score", "evidence"],
        )
        con.register("colocate_frame", rows)
        con.execute(
            f"""
            INSERT INTO {_REL.table} (src, dst, score, threshold, model_version, evidence, status)
            SELECT f.src, f.dst, f.score, ?, ?, CAST(f.evidence AS JSON), 'hypothesis'
            FROM colocate_frame f
            WHERE NOT EXISTS (SELECT 1 FROM {_REL.table} d WHERE d.src = f.src AND d.dst = f.dst)
            ORDER BY f.score DESC, f.src, f.dst
            """,
            [1.0 - s.fdr, MODEL_VERSION],
        )
        con.unregister("colocate_frame")
    store.record_stage(
        "colocate",
        settings={**s.to_dict(), "model_version": MODEL_VERSION},
        summary=found.summary(),
    )
    log.info("co-locations stored: %s", found.summary())
    return found
