"""Tower-dump intersection across scenes: who was at several scenes, who came once, who went
quiet.

A scene is a set of cells (listed, or the towers within ``radius_m`` of a point) and a time
window. A phone is *present* at a scene when one of its call records was made on one of the
scene's cells within the window (``start <= t <= end``). ``src_cdr`` records one cell per
row, the caller's (``cell_id``), so presence is on the caller side; a ``callee_cell_id``
column, where a case has one, adds the callee side.

Three lists, one DuckDB query each (:func:`scene_lists`):

* **multi-scene**: phones present at two scenes or more, with the first and last time and the
  number of records at each;
* **one-time visitors**: phones present at exactly one scene and never seen on that scene's
  cells outside its window;
* **silent**: phones with no record at all (either side, any cell) during a scene's window,
  though *usually active* in those hours: at least ``min_days`` other days on which they had a
  record in the same window shifted by whole days (24 h in UTC; a shift across a daylight
  saving change is an hour off in local time). For windows over 24 h only shifts that do not
  overlap the window count.

  **The silence test.** A phone *in service* during a scene (records before and after its
  window) is expected to make ``expected`` = its records in the window on its other days in
  service, divided by those days; under a Poisson count with that mean, no record at all has
  probability ``p = exp(-expected)``. Benjamini-Hochberg over every (phone, scene) in service
  (phones with records in the window have p = 1); a silence is *reported* at
  ``q <= fdr``. Where results can vary: calls come in bursts (more quiet hours than a Poisson
  count allows), so p is optimistic for bursty phones; and a window of an hour or two is
  short: a silence reaches q = 0.05 among 2,000 phones only for a phone that makes about ten
  records an hour in those hours. On simulated cases of 2,000 people no silence is reported,
  the planted ones included (expected 1.3 to 2.8 records, p 0.06 to 0.29; docs/cdr.md): the
  list of quiet phones is a lead to rank, not a finding.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from graphkit.errors import CaseError, InputError
from graphkit.people import directory

if TYPE_CHECKING:
    import duckdb

    from graphkit.store import CaseStore

__all__ = ["Scene", "SceneLists", "load_scenes", "resolve_scenes", "scene_lists"]

_DAY_S = 86_400
_EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Scene:
    """One scene as the file states it: ``cells``, or ``lat``/``lon``/``radius_m``; a window
    of time-zone-aware ``start`` <= ``end``. :func:`resolve_scenes` fills ``cells`` from the
    towers for a radius scene."""

    name: str
    start: datetime
    end: datetime
    cells: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InputError(f"scene {self.name!r}: end: {self.end} is before start {self.start}")


@dataclass(frozen=True)
class SceneLists:
    """The three lists, each row a dict with ``phone``, ``actor_id`` and ``name``.
    ``silent``: every quiet phone usually active in the scene's hours, with its test
    (``expected``, ``p_value``, ``q_value``), most surprising first; ``silent_reported`` those
    at ``q_value <= fdr``; ``silent_tested``: the (phone, scene) pairs in the FDR family."""

    scenes: tuple[Scene, ...]
    multi_scene: list[dict[str, Any]]
    one_time: list[dict[str, Any]]
    silent: list[dict[str, Any]]
    min_days: int
    silent_tested: int = 0
    fdr: float = 0.05

    @property
    def silent_reported(self) -> list[dict[str, Any]]:
        """The silences that pass the test: ``q_value <= fdr``."""
        return [r for r in self.silent if r["q_value"] <= self.fdr]


def _time(name: str, field: str, value: object) -> datetime:
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, str):
        try:
            t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"scene {name!r}: {field}: {value!r} is not an ISO time "
                "(e.g. 2024-01-09T14:00:00+00:00)"
            ) from None
    else:
        raise InputError(f"scene {name!r}: {field}: expected an ISO time, got {value!r}")
    if t.tzinfo is None or t.utcoffset() is None:
        raise InputError(
            f"scene {name!r}: {field}: {value!r} has no time zone (add +00:00, Z or an offset)"
        )
    return t


def _number(name: str, field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"scene {name!r}: {field}: expected a number, got {value!r}")
    return float(value)


def _scene(i: int, raw: object) -> Scene:
    if not isinstance(raw, dict):
        raise InputError(f"scene #{i + 1}: expected a table ([[scene]]), got {raw!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"scene #{i + 1}: name: a non-empty name is required")
    unknown = sorted(set(raw) - {"name", "cells", "lat", "lon", "radius_m", "start", "end"})
    if unknown:
        raise InputError(f"scene {name!r}: {unknown[0]}: unknown field")
    for field in ("start", "end"):
        if field not in raw:
            raise InputError(f"scene {name!r}: {field}: required")
    start, end = _time(name, "start", raw["start"]), _time(name, "end", raw["end"])
    cells = raw.get("cells")
    point = [f for f in ("lat", "lon", "radius_m") if f in raw]
    if cells is not None and point:
        raise InputError(f"scene {name!r}: cells: give cells or lat/lon/radius_m, not both")
    if cells is None and not point:
        raise InputError(f"scene {name!r}: cells: give cells or lat/lon/radius_m")
    if cells is not None:
        if not isinstance(cells, list) or not cells or not all(isinstance(c, str) for c in cells):
            raise InputError(f"scene {name!r}: cells: expected a non-empty list of cell ids")
        return Scene(name, start, end, cells=tuple(dict.fromkeys(c.strip() for c in cells)))
    missing = [f for f in ("lat", "lon", "radius_m") if f not in raw]
    if missing:
        raise InputError(f"scene {name!r}: {missing[0]}: required with {', '.join(point)}")
    lat, lon = _number(name, "lat", raw["lat"]), _number(name, "lon", raw["lon"])
    radius_m = _number(name, "radius_m", raw["radius_m"])
    if not (-90 <= lat <= 90) or not (-180 <= lon <= 180):
        raise InputError(f"scene {name!r}: lat: ({lat}, {lon}) is not a position")
    if radius_m <= 0:
        raise InputError(f"scene {name!r}: radius_m: must be positive, got {radius_m}")
    return Scene(name, start, end, lat=lat, lon=lon, radius_m=radius_m)


def load_scenes(path: Path) -> tuple[Scene, ...]:
    """The scenes of a TOML file (``[[scene]]`` tables; read as data, never run)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read scenes file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"scenes file {path}: not valid TOML: {exc}") from None
    raws = data.get("scene")
    if not isinstance(raws, list) or not raws:
        raise InputError(f"scenes file {path}: no [[scene]] tables")
    scenes = tuple(_scene(i, r) for i, r in enumerate(raws))
    names = [s.name for s in scenes]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise InputError(f"scene {dup!r}: name: used by more than one scene")
    return scenes


def resolve_scenes(store: CaseStore, scenes: tuple[Scene, ...]) -> tuple[Scene, ...]:
    """The scenes with their cells: a listed cell must appear in the call records or the
    towers; a radius scene takes every tower within ``radius_m`` (haversine) and needs the
    case's ``towers``."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "src_cdr"):
            raise CaseError("the case has no call records; ingest a cdr source first")
        # every case has the staging view; positions exist only once towers are ingested
        has_towers = store.table_exists(con, "src_towers") and bool(
            con.execute(
                "SELECT count(*) FROM src_towers WHERE lat IS NOT NULL AND lon IS NOT NULL"
            ).fetchone()[0]  # type: ignore[index]
        )
        out = []
        for s in scenes:
            if s.radius_m is None:
                known = _known_cells(con, s.cells, has_towers=has_towers)
                missing = [c for c in s.cells if c not in known]
                if missing:
                    raise InputError(
                        f"scene {s.name!r}: cells: unknown cell {missing[0]!r} "
                        "(not in the call records or the towers)"
                    )
                out.append(s)
                continue
            if not has_towers:
                raise InputError(
                    f"scene {s.name!r}: radius_m: needs tower positions; ingest a towers "
                    "source or list the cells"
                )
            rows = con.execute(
                """
                SELECT DISTINCT cell_id FROM src_towers
                WHERE NOT coalesce(is_duplicate, false) AND cell_id IS NOT NULL
                  AND 2 * $r * asin(sqrt(
                        pow(sin(radians(lat - $lat) / 2), 2)
                        + cos(radians($lat)) * cos(radians(lat))
                          * pow(sin(radians(lon - $lon) / 2), 2))) <= $radius
                ORDER BY cell_id
                """,
                {"r": _EARTH_RADIUS_M, "lat": s.lat, "lon": s.lon, "radius": s.radius_m},
            ).fetchall()
            if not rows:
                raise InputError(
                    f"scene {s.name!r}: radius_m: no tower within {s.radius_m:g} m "
                    f"of ({s.lat}, {s.lon})"
                )
            out.append(
                Scene(s.name, s.start, s.end, tuple(r[0] for r in rows), s.lat, s.lon, s.radius_m)
            )
    return tuple(out)


def _known_cells(
    con: duckdb.DuckDBPyConnection, cells: tuple[str, ...], *, has_towers: bool
) -> set[str]:
    towers = "UNION SELECT cell_id FROM src_towers" if has_towers else ""
    rows = con.execute(
        f"""
        SELECT cell_id FROM (SELECT cell_id FROM src_cdr {towers})
        WHERE cell_id IN (SELECT unnest($cells))
        """,  # the optional union is this module's constant, values are parameters
        {"cells": list(cells)},
    ).fetchall()
    return {r[0] for r in rows}


_SIGHTINGS = """
    sightings AS (
        SELECT caller AS phone, cell_id AS cell, start FROM src_cdr
        WHERE NOT coalesce(is_duplicate, false) AND caller IS NOT NULL AND cell_id IS NOT NULL
        {callee_side}
    ),
    scene_cells AS (
        SELECT unnest($scene) AS scene, unnest($cell) AS cell,
               unnest($t0::TIMESTAMPTZ[]) AS t0, unnest($t1::TIMESTAMPTZ[]) AS t1
    ),
    hits AS (
        SELECT s.phone, c.scene, s.start FROM sightings s
        JOIN scene_cells c ON s.cell = c.cell AND s.start BETWEEN c.t0 AND c.t1
    ),
    per_scene AS (
        SELECT phone, scene, min(start) AS first, max(start) AS last, count(*) AS events
        FROM hits GROUP BY phone, scene
    )
"""
_CALLEE_SIDE = """
        UNION ALL SELECT callee, callee_cell_id, start FROM src_cdr
        WHERE NOT coalesce(is_duplicate, false) AND callee IS NOT NULL
          AND callee_cell_id IS NOT NULL
"""

_MULTI = """
    SELECT phone, count(*) AS n_scenes,
           list({'scene': scene, 'first': first, 'last': last, 'events': events}
                ORDER BY first, scene) AS scenes
    FROM per_scene GROUP BY phone HAVING count(*) >= 2
    ORDER BY n_scenes DESC, phone
"""

_ONE_TIME = """
    , once AS (
        SELECT phone, any_value(scene) AS scene, any_value(first) AS first,
               any_value(last) AS last, any_value(events) AS events
        FROM per_scene GROUP BY phone HAVING count(*) = 1
    )
    SELECT o.phone, o.scene, o.first, o.last, o.events FROM once o
    WHERE NOT EXISTS (
        SELECT 1 FROM sightings s JOIN scene_cells c ON s.cell = c.cell
        WHERE c.scene = o.scene AND s.phone = o.phone AND s.start NOT BETWEEN c.t0 AND c.t1
    )
    ORDER BY o.scene, o.first, o.phone
"""

_SILENT = """
    WITH windows AS (
        SELECT unnest($scene) AS scene, epoch(unnest($t0::TIMESTAMPTZ[])) AS s0,
               epoch(unnest($t1::TIMESTAMPTZ[])) AS s1
    ),
    activity AS (
        SELECT caller AS phone, epoch(start) AS t FROM src_cdr
        WHERE NOT coalesce(is_duplicate, false) AND caller IS NOT NULL
        UNION ALL
        SELECT callee, epoch(start) FROM src_cdr
        WHERE NOT coalesce(is_duplicate, false) AND callee IS NOT NULL
    ),
    span AS (SELECT phone, min(t) AS first, max(t) AS last FROM activity GROUP BY phone),
    shifted AS (  -- the whole-day shifts k for which t lies in [s0 + k d, s1 + k d]
        SELECT a.phone, w.scene, w.s0, w.s1, sp.first, sp.last,
               unnest(range(CAST(ceil((a.t - w.s1) / $day) AS BIGINT),
                            CAST(floor((a.t - w.s0) / $day) AS BIGINT) + 1)) AS k
        FROM activity a JOIN span sp USING (phone) CROSS JOIN windows w
    ),
    per AS (
        SELECT phone, scene, count(*) FILTER (WHERE k = 0) AS in_window,
               count(*) FILTER (  -- on the other days counted below: windows in its span
                   WHERE k <> 0 AND abs(k) * $day > s1 - s0
                     AND s0 + k * $day >= first AND s1 + k * $day <= last) AS events_other,
               count(DISTINCT k) FILTER (WHERE k <> 0 AND abs(k) * $day > s1 - s0)
                   AS active_days
        FROM shifted GROUP BY phone, scene
    ),
    in_service AS (  -- phones seen before and after the window; the other days in their span
        SELECT sp.phone, w.scene, w.s0, w.s1,
               floor((sp.last - w.s1) / $day) - ceil((sp.first - w.s0) / $day) AS days
        FROM span sp CROSS JOIN windows w
        WHERE sp.first <= w.s0 AND sp.last >= w.s1
    )
    SELECT i.phone, i.scene, coalesce(p.in_window, 0) AS in_window,
           coalesce(p.events_other, 0) AS events_other,
           coalesce(p.active_days, 0) AS active_days,
           -- other days in service whose window does not overlap the scene's
           greatest(i.days - 2 * CAST(floor((i.s1 - i.s0) / $day) AS BIGINT), 1) AS days
    FROM in_service i LEFT JOIN per p USING (phone, scene)
"""


def _named(rows: list[dict[str, Any]], store: CaseStore) -> list[dict[str, Any]]:
    people = directory(store)
    out = []
    for row in rows:
        actor = people.get(row["phone"])
        out.append(
            {
                "phone": row["phone"],
                "actor_id": actor.actor_id if actor else None,
                "name": actor.name if actor else None,
                **{k: v for k, v in row.items() if k != "phone"},
            }
        )
    return out


def _dicts(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _silences(
    con: duckdb.DuckDBPyConnection, params: dict[str, Any], min_days: int
) -> tuple[list[dict[str, Any]], int]:
    """Quiet phones usually active in the scene's hours, each with the Poisson test of its
    silence; and the size of the family (every phone in service during a scene)."""
    from graphkit.stats import fdr_qvalues

    rows = _dicts(con, _SILENT, params)
    expected = np.array([r["events_other"] / r["days"] for r in rows], dtype=np.float64)
    quiet = np.array([r["in_window"] == 0 for r in rows], dtype=bool)
    p = np.where(quiet, np.exp(-expected), 1.0)
    q = fdr_qvalues(p)
    out = [
        {
            "phone": r["phone"],
            "scene": r["scene"],
            "active_days": int(r["active_days"]),
            "expected": float(expected[i]),
            "p_value": float(p[i]),
            "q_value": float(q[i]),
        }
        for i, r in enumerate(rows)
        if quiet[i] and r["active_days"] >= min_days
    ]
    out.sort(key=lambda r: (r["scene"], r["p_value"], -r["active_days"], r["phone"]))
    return out, len(rows)


def scene_lists(
    store: CaseStore, scenes: tuple[Scene, ...], *, min_days: int = 3, fdr: float = 0.05
) -> SceneLists:
    """The multi-scene phones, one-time visitors and silent phones of ``scenes`` (see the
    module docstring for the definitions). ``scenes`` are resolved first
    (:func:`resolve_scenes`); each row carries the phone's actor id and display name where
    the case has actors. Exact: no sampling, no score."""
    if min_days < 1:
        raise InputError(f"min_days: must be at least 1, got {min_days}")
    if not 0 < fdr < 1:
        raise InputError(f"fdr: must lie strictly in (0, 1), got {fdr}")
    resolved = resolve_scenes(store, scenes)
    pairs = [(s, c) for s in resolved for c in s.cells]
    cell_params = {
        "scene": [s.name for s, _ in pairs],
        "cell": [c for _, c in pairs],
        "t0": [s.start for s, _ in pairs],
        "t1": [s.end for s, _ in pairs],
    }
    window_params = {
        "scene": [s.name for s in resolved],
        "t0": [s.start for s in resolved],
        "t1": [s.end for s in resolved],
        "day": _DAY_S,
    }
    with store.connect(read_only=True) as con:
        cols = {r[0] for r in con.execute("DESCRIBE src_cdr").fetchall()}
        callee_side = _CALLEE_SIDE if "callee_cell_id" in cols else ""
        head = "WITH " + _SIGHTINGS.format(callee_side=callee_side)  # module constants only
        multi = _dicts(con, head + _MULTI, cell_params)
        once = _dicts(con, head + _ONE_TIME, cell_params)
        silent, tested = _silences(con, window_params, min_days)
    return SceneLists(
        resolved,
        _named(multi, store),
        _named(once, store),
        _named(silent, store),
        min_days,
        silent_tested=tested,
        fdr=fdr,
    )
