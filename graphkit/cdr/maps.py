"""Where phones were: the towers and each actor's trail through them, for maps.

A call record places the phone that made it at the tower of its ``cell_id`` (``src_cdr`` keeps
the caller's cell; ``src_towers`` gives the mast's position and, where known, the sector's
azimuth). A *trail* is an actor's records in time order with consecutive records at the same
tower merged into one *stop* (first and last time, records). A tower serves an area up to
kilometres across: a trail says which masts a phone used, not the street it was in.

Records whose cell has no tower position cannot be placed: they are counted
(``Trail.unplaced``), never dropped silently. Duplicate rows flagged at ingest are left out.

GeoJSON (RFC 7946, longitude first) and KML carry towers as points (with azimuth and records)
and each trail as a line plus its stops; every text in them comes from the case and is written
by the JSON encoder or escaped by the XML writer.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

import pandas as pd

from graphkit.errors import InputError

if TYPE_CHECKING:
    from graphkit.people import Actor
    from graphkit.store import CaseStore

__all__ = ["Trail", "map_geojson", "map_kml", "towers", "trail"]

_TOWERS = """
SELECT t.cell_id, any_value(t.lat) AS lat, any_value(t.lon) AS lon,
       any_value(t.azimuth) AS azimuth, coalesce(any_value(u.records), 0) AS records
FROM src_towers t
LEFT JOIN (SELECT cell_id, count(*) AS records FROM src_cdr
           WHERE NOT coalesce(is_duplicate, false) GROUP BY cell_id) u USING (cell_id)
WHERE t.lat IS NOT NULL AND t.lon IS NOT NULL
GROUP BY t.cell_id
ORDER BY t.cell_id
"""

_TRAIL = """
WITH towers AS (
  SELECT cell_id, any_value(lat) AS lat, any_value(lon) AS lon FROM src_towers
  WHERE lat IS NOT NULL AND lon IS NOT NULL GROUP BY cell_id
), r AS (
  SELECT c.start, c.cell_id, t.lat, t.lon
  FROM src_cdr c LEFT JOIN towers t USING (cell_id)
  WHERE NOT coalesce(c.is_duplicate, false) AND list_contains($phones, c.caller)
    AND c.start IS NOT NULL
    AND ($start IS NULL OR c.start >= $start) AND ($end IS NULL OR c.start < $end)
), placed AS (
  SELECT *, CASE WHEN cell_id IS DISTINCT FROM lag(cell_id) OVER w THEN 1 ELSE 0 END AS moved
  FROM r WHERE lat IS NOT NULL
  WINDOW w AS (ORDER BY start, cell_id)
), runs AS (
  SELECT *, sum(moved) OVER (ORDER BY start, cell_id ROWS UNBOUNDED PRECEDING) AS stop
  FROM placed
)
SELECT stop, min(start) AS first, max(start) AS last, any_value(cell_id) AS cell_id,
       any_value(lat) AS lat, any_value(lon) AS lon, count(*) AS records
FROM runs GROUP BY stop ORDER BY stop
"""

_UNPLACED = """
SELECT count(*) FILTER (WHERE t.cell_id IS NULL) FROM src_cdr c
LEFT JOIN (SELECT DISTINCT cell_id FROM src_towers WHERE lat IS NOT NULL AND lon IS NOT NULL) t
  USING (cell_id)
WHERE NOT coalesce(c.is_duplicate, false) AND list_contains($phones, c.caller)
  AND c.start IS NOT NULL
  AND ($start IS NULL OR c.start >= $start) AND ($end IS NULL OR c.start < $end)
"""


@dataclass(frozen=True)
class Trail:
    """One actor's stops in time order (columns ``stop``, ``first``, ``last``, ``cell_id``,
    ``lat``, ``lon``, ``records``) and the records that could not be placed."""

    actor: Actor
    stops: pd.DataFrame
    unplaced: int

    @property
    def records(self) -> int:
        return int(self.stops["records"].sum()) if len(self.stops) else 0

    def summary(self) -> dict[str, Any]:
        """Plain figures: placed and unplaced records, towers used, first and last time, and
        the tower used most (cell id, position, records)."""
        out: dict[str, Any] = {
            "actor_id": self.actor.actor_id,
            "name": self.actor.name,
            "phones": list(self.actor.phones),
            "records_placed": self.records,
            "records_unplaced": self.unplaced,
            "towers": int(self.stops["cell_id"].nunique()) if len(self.stops) else 0,
            "stops": len(self.stops),
        }
        if len(self.stops):
            by_tower = self.stops.groupby(["cell_id", "lat", "lon"], as_index=False)["records"]
            top = by_tower.sum().sort_values(["records", "cell_id"], ascending=[False, True])
            best = top.iloc[0]
            out |= {
                "first": self.stops["first"].min().isoformat(),
                "last": self.stops["last"].max().isoformat(),
                "most_used_tower": str(best["cell_id"]),
                "most_used_lat": float(best["lat"]),
                "most_used_lon": float(best["lon"]),
                "most_used_records": int(best["records"]),
            }
        return out


def _require(store: CaseStore) -> None:
    with store.connect(read_only=True) as con:
        for table, hint in (("src_cdr", "cdr"), ("src_towers", "towers")):
            if not store.table_exists(con, table):
                raise InputError(
                    f"the case has no {hint} records: ingest a {hint} file first "
                    f"(graphkit ingest CASE FILE --kind {hint})"
                )


def towers(store: CaseStore) -> pd.DataFrame:
    """Every tower with a position: cell id, lat, lon, azimuth (NaN when unknown) and the call
    records made through it."""
    _require(store)
    with store.connect(read_only=True) as con:
        return con.execute(_TOWERS).df()


def trail(
    store: CaseStore, actor: Actor, *, start: datetime | None = None, end: datetime | None = None
) -> Trail:
    """The actor's trail (its phones' records in ``[start, end)``, all when None)."""
    _require(store)
    params = {"phones": list(actor.phones), "start": start, "end": end}
    with store.connect(read_only=True) as con:
        stops = con.execute(_TRAIL, params).df()
        row = con.execute(_UNPLACED, params).fetchone()
    return Trail(actor, stops, int(row[0]) if row else 0)


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def map_geojson(tower_frame: pd.DataFrame, trails: list[Trail], *, meta: dict[str, Any]) -> bytes:
    """A FeatureCollection: a point per tower, and per trail a line and a point per stop."""
    features: list[dict[str, Any]] = []
    for t in tower_frame.itertuples(index=False):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(t.lon), float(t.lat)]},
                "properties": {
                    "layer": "tower",
                    "cell_id": str(t.cell_id),
                    "azimuth": _num(t.azimuth),
                    "records": int(t.records),
                },
            }
        )
    for tr in trails:
        who = {"actor_id": tr.actor.actor_id, "name": tr.actor.name, "phones": tr.actor.phones}
        coords = [[float(s.lon), float(s.lat)] for s in tr.stops.itertuples(index=False)]
        if len(coords) >= 2:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": coords},
                    "properties": {"layer": "trail", **who, "stops": len(coords)},
                }
            )
        for s in tr.stops.itertuples(index=False):
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [float(s.lon), float(s.lat)]},
                    "properties": {
                        "layer": "stop",
                        **who,
                        "stop": int(s.stop),
                        "cell_id": str(s.cell_id),
                        "first": s.first.isoformat(),
                        "last": s.last.isoformat(),
                        "records": int(s.records),
                    },
                }
            )
    doc = {"type": "FeatureCollection", "graphkit": meta, "features": features}
    return (json.dumps(doc, indent=1, default=str) + "\n").encode("utf-8")


def _placemark(parent: ET.Element, name: str, description: str) -> ET.Element:
    mark = ET.SubElement(parent, "Placemark")
    ET.SubElement(mark, "name").text = name
    ET.SubElement(mark, "description").text = description
    return mark


def map_kml(tower_frame: pd.DataFrame, trails: list[Trail], *, title: str) -> bytes:
    """KML with a folder of towers and a folder per trail (its line and its stops, with
    TimeSpans so Google Earth's time slider plays the trail)."""
    kml = ET.Element("kml", xmlns="http://www.opengis.net/kml/2.2")
    doc = ET.SubElement(kml, "Document")
    ET.SubElement(doc, "name").text = title
    folder = ET.SubElement(doc, "Folder")
    ET.SubElement(folder, "name").text = "towers"
    for t in tower_frame.itertuples(index=False):
        azimuth = _num(t.azimuth)
        text = f"{int(t.records):,} records" + (
            f"; sector azimuth {azimuth:g}°" if azimuth is not None else ""
        )
        mark = _placemark(folder, str(t.cell_id), text)
        point = ET.SubElement(mark, "Point")
        ET.SubElement(point, "coordinates").text = f"{float(t.lon)},{float(t.lat)}"
    for tr in trails:
        label = tr.actor.label()
        phones = ", ".join(tr.actor.phones)
        folder = ET.SubElement(doc, "Folder")
        ET.SubElement(folder, "name").text = f"{label} ({phones})" if phones else label
        if len(tr.stops) >= 2:
            mark = _placemark(folder, f"trail of {label}", f"{len(tr.stops)} stops")
            line = ET.SubElement(mark, "LineString")
            ET.SubElement(line, "coordinates").text = " ".join(
                f"{float(s.lon)},{float(s.lat)}" for s in tr.stops.itertuples(index=False)
            )
        for s in tr.stops.itertuples(index=False):
            mark = _placemark(
                folder,
                f"{label} #{int(s.stop)}",
                f"{int(s.records)} records at {s.cell_id}, {s.first:%Y-%m-%d %H:%M} to "
                f"{s.last:%Y-%m-%d %H:%M} UTC",
            )
            span = ET.SubElement(mark, "TimeSpan")
            ET.SubElement(span, "begin").text = s.first.isoformat()
            ET.SubElement(span, "end").text = s.last.isoformat()
            point = ET.SubElement(mark, "Point")
            ET.SubElement(point, "coordinates").text = f"{float(s.lon)},{float(s.lat)}"
    out: bytes = ET.tostring(kml, encoding="utf-8", xml_declaration=True)
    return out
