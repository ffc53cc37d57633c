"""`graphkit map` and graphkit.cdr.maps on a hand-made case whose answer is known: stops are
the records in time order with runs at one tower merged, records on a cell without a position
are counted as unplaced, and the GeoJSON and KML carry towers, trails and stops."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from graphkit.cdr.maps import towers, trail
from graphkit.people import find_actor
from graphkit.store import CaseStore
from tests.cli.test_cli import gk

A, B, C = "+447700900001", "+447700900002", "+447700900003"
# A's calls in time order: T1, T1, T2, (T9: no position), T2, T1  ->  stops T1(2) T2(2) T1(1)
CALLS = [
    (A, B, "2024-01-08T09:00:00Z", "T1"),
    (A, C, "2024-01-08T09:30:00Z", "T1"),
    (A, B, "2024-01-08T12:00:00Z", "T2"),
    (A, B, "2024-01-08T12:10:00Z", "T9"),
    (A, C, "2024-01-08T12:20:00Z", "T2"),
    (A, B, "2024-01-09T08:00:00Z", "T1"),
    (B, A, "2024-01-08T10:00:00Z", "T3"),  # B's record: places B, not A
]
TOWERS = [("T1", 53.48, -2.24, 60), ("T2", 53.50, -2.20, ""), ("T3", 53.46, -2.30, 180)]


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("maps")
    cdr, tw = root / "cdr.csv", root / "towers.csv"
    cdr.write_text(
        "caller,callee,start,cell_id\n" + "".join(f"{a},{b},{t},{c}\n" for a, b, t, c in CALLS)
    )
    tw.write_text(
        "cell_id,lat,lon,azimuth\n" + "".join(f"{c},{y},{x},{z}\n" for c, y, x, z in TOWERS)
    )
    case = root / "case"
    assert gk("init", case).returncode == 0
    for path, kind in ((cdr, "cdr"), (tw, "towers")):
        r = gk("ingest", case, path, "--kind", kind)
        assert r.returncode == 0, r.stderr
    assert gk("build", case).returncode == 0
    return case


def test_stops_merge_runs_at_one_tower_and_count_the_unplaced(case_dir: Path) -> None:
    store = CaseStore.open(case_dir)
    found = trail(store, find_actor(store, A))
    stops = found.stops
    assert stops["cell_id"].tolist() == ["T1", "T2", "T1"]
    assert stops["records"].tolist() == [2, 2, 1]
    assert found.unplaced == 1 and found.records == 5
    assert str(stops["first"].iloc[1]).startswith("2024-01-08 12:00")
    assert str(stops["last"].iloc[1]).startswith("2024-01-08 12:20")
    summary = found.summary()
    assert summary["most_used_tower"] == "T1" and summary["most_used_records"] == 3
    assert summary["towers"] == 2 and summary["stops"] == 3


def test_a_window_keeps_only_its_records(case_dir: Path) -> None:
    store = CaseStore.open(case_dir)
    day = dt.datetime(2024, 1, 9, tzinfo=dt.UTC)
    found = trail(store, find_actor(store, A), start=day, end=day + dt.timedelta(days=1))
    assert found.stops["cell_id"].tolist() == ["T1"] and found.unplaced == 0


def test_towers_carry_position_azimuth_and_records(case_dir: Path) -> None:
    frame = towers(CaseStore.open(case_dir)).set_index("cell_id")
    assert set(frame.index) == {"T1", "T2", "T3"}
    assert frame.loc["T1", "records"] == 3 and frame.loc["T3", "records"] == 1
    assert frame.loc["T1", "azimuth"] == 60 and frame["azimuth"].isna().sum() == 1


def test_cli_writes_geojson_and_kml(case_dir: Path, tmp_path: Path) -> None:
    geojson, kml = tmp_path / "a.geojson", tmp_path / "a.kml"
    r = gk("map", case_dir, "--actor", A, "--geojson", geojson, "--kml", kml, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["towers"] == 3 and out["trails"][0]["records_unplaced"] == 1
    features = json.loads(geojson.read_text())["features"]
    layers = [f["properties"]["layer"] for f in features]
    assert layers.count("tower") == 3 and layers.count("trail") == 1 and layers.count("stop") == 3
    line = next(f for f in features if f["properties"]["layer"] == "trail")
    assert line["geometry"]["coordinates"][0] == [-2.24, 53.48]  # longitude first
    assert line["properties"]["phones"] == [A]
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    root = SafeET.parse(kml).getroot()
    assert len(root.findall(".//k:Placemark", ns)) == 3 + 1 + 3
    assert len(root.findall(".//k:TimeSpan", ns)) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--actor", "Nobody Here"), "unknown actor"),
        (("--from", "2024-02-01", "--to", "2024-01-01"), "--from must be before --to"),
        (("--from", "yesterday"), "not an ISO date"),
    ],
)
def test_bad_input_is_one_line(case_dir: Path, args: tuple[str, ...], message: str) -> None:
    r = gk("map", case_dir, *args)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_no_files_inside_the_case_and_no_towers_is_one_line(case_dir: Path, tmp_path: Path) -> None:
    r = gk("map", case_dir, "--geojson", case_dir / "x.geojson")
    assert r.returncode == 2 and "inside the case directory" in r.stderr
    empty = tmp_path / "empty"
    assert gk("init", empty).returncode == 0
    r = gk("map", empty)
    assert r.returncode == 2 and "--kind cdr" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
