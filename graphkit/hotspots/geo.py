"""The forecast grid as files a GIS opens: GeoJSON (QGIS) and KML (Google Earth).

Cells are squares in the grid's metric CRS, written as their corners in longitude/latitude
(WGS 84, RFC 7946 order: longitude first). Values are written as numbers (GeoJSON) or in the
placemark's description and extended data (KML); every text comes from the case and is
escaped by the XML writer.
"""

from __future__ import annotations

import json
import math
from typing import Any
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from graphkit.hotspots.grid import Grid

__all__ = ["cells_geojson", "cells_kml"]

_PROPS = ("rank", "expected_incidents", "train_incidents", "place", "phone_records")


def _props(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"cell_id": int(row.cell_id)}
    for key in _PROPS:
        if not hasattr(row, key):  # phone_records: only when the forecast put phones on it
            continue
        value = getattr(row, key)
        if isinstance(value, (np.integer, int)):
            out[key] = int(value)
        elif isinstance(value, (np.floating, float)):
            out[key] = None if math.isnan(value) else float(value)
        else:
            out[key] = None if value is None else str(value)
    return out


def cells_geojson(cells: pd.DataFrame, grid: Grid, *, meta: dict[str, Any]) -> bytes:
    """A FeatureCollection of ``cells`` (rows of ``hotspot_cell``), one polygon each; ``meta``
    (method, windows, sources) goes in the collection's ``graphkit`` member."""
    rings = grid.corners_lonlat(cells["cell_id"].to_numpy(np.int64))
    features = [
        {
            "type": "Feature",
            "id": int(row.cell_id),
            "geometry": {"type": "Polygon", "coordinates": [np.round(ring, 7).tolist()]},
            "properties": _props(row),
        }
        for row, ring in zip(cells.itertuples(index=False), rings, strict=True)
    ]
    doc = {"type": "FeatureCollection", "graphkit": meta, "features": features}
    return (json.dumps(doc, separators=(",", ":")) + "\n").encode("utf-8")


def _kml_colour(level: float) -> str:
    """KML colour (aabbggrr) from pale yellow (0) to dark red (1), half transparent."""
    r = 255
    g = round(230 * (1 - level))
    b = round(120 * (1 - level))
    if level > 0.75:
        r = round(255 - 120 * (level - 0.75) / 0.25)
    return f"b0{b:02x}{g:02x}{r:02x}"


def cells_kml(cells: pd.DataFrame, grid: Grid, *, title: str) -> bytes:
    """A KML document with one shaded polygon per cell of ``cells``, darkest for the riskiest."""
    kml = ET.Element("kml", xmlns="http://www.opengis.net/kml/2.2")
    doc = ET.SubElement(kml, "Document")
    ET.SubElement(doc, "name").text = title
    rings = grid.corners_lonlat(cells["cell_id"].to_numpy(np.int64))
    risk = cells["expected_incidents"].to_numpy(float)
    top = float(risk.max()) if len(risk) and risk.max() > 0 else 1.0
    for row, ring, value in zip(cells.itertuples(index=False), rings, risk, strict=True):
        mark = ET.SubElement(doc, "Placemark")
        ET.SubElement(mark, "name").text = f"#{int(row.rank)}"
        place = getattr(row, "place", None)
        ET.SubElement(mark, "description").text = (
            f"rank {int(row.rank)}: {value:.3g} incidents expected"
            + (f"; {place}" if isinstance(place, str) else "")
        )
        data = ET.SubElement(mark, "ExtendedData")
        for key, val in _props(row).items():
            item = ET.SubElement(data, "Data", name=key)
            ET.SubElement(item, "value").text = "" if val is None else str(val)
        style = ET.SubElement(mark, "Style")
        poly_style = ET.SubElement(style, "PolyStyle")
        ET.SubElement(poly_style, "color").text = _kml_colour(min(value / top, 1.0))
        line = ET.SubElement(style, "LineStyle")
        ET.SubElement(line, "width").text = "0"
        polygon = ET.SubElement(mark, "Polygon")
        outer = ET.SubElement(ET.SubElement(polygon, "outerBoundaryIs"), "LinearRing")
        ET.SubElement(outer, "coordinates").text = " ".join(
            f"{lon:.7f},{lat:.7f}" for lon, lat in ring
        )
    text: bytes = ET.tostring(kml, encoding="utf-8", xml_declaration=True)
    return text + b"\n"
