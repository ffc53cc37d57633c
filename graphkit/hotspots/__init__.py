"""Hotspot forecasting: where incidents are likely next, on a grid, scored against baselines.

``stage.run`` forecasts and stores the cells; ``evaluate.evaluate_hotspots`` scores every
method on the same windows; the methods live in ``methods`` and ``sepp``; ``geo`` writes
GeoJSON and KML.
"""

from graphkit.hotspots.stage import CELL_TABLE, Settings, run

__all__ = ["CELL_TABLE", "Settings", "run"]
