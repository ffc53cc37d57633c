"""`graphkit hotspots` and `evaluate-hotspots` as a user runs them: stored result with its
settings and source hashes, GeoJSON and KML that re-open, JSON in the documented shape, and a
one-line error for each kind of bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pandas as pd
import pytest

from graphkit.store import CaseStore
from tests.cli.test_cli import gk
from tests.hotspots.conftest import police_file

WINDOWS = ("--train", "2016-07..2017-07", "--forecast", "2018-07")


@pytest.fixture(scope="module")
def case_dir(police_case: CaseStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("cli") / "case"
    shutil.copytree(police_case.path, target)
    return target


def test_hotspots_stores_the_forecast_and_writes_gis_files(case_dir: Path, tmp_path: Path) -> None:
    geojson, kml = tmp_path / "b.geojson", tmp_path / "b.kml"
    r = gk(
        "hotspots",
        case_dir,
        *WINDOWS,
        "--types",
        "Burglary",
        "--geojson",
        geojson,
        "--kml",
        kml,
        "--top",
        "5",
    )
    assert r.returncode == 0, r.stderr
    assert "Method: auto ->" in r.stdout and "never people" in r.stdout
    assert r.stderr == ""
    store = CaseStore.open(case_dir)
    stage = store.manifest["stages"]["hotspots"]
    assert stage["settings"]["types"] == ["Burglary"]
    assert set(stage["summary"]["sources"]) == {
        f"{m}-west-yorkshire-street" for m in ("2016-07", "2017-07", "2018-07")
    }
    assert all(len(h) == 64 for h in stage["summary"]["sources"].values())
    with store.connect() as con:
        n, top_rank, places = con.execute(
            "SELECT count(*), min(rank), count(place) FROM hotspot_cell"
        ).fetchone()
    assert n == stage["summary"]["area_cells"] and top_rank == 1 and places > 0
    doc = json.loads(geojson.read_text())
    assert doc["type"] == "FeatureCollection" and doc["features"]
    ring = doc["features"][0]["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    lon, lat = ring[0]
    assert -2.2 < lon < -1.2 and 53.5 < lat < 54.0  # West Yorkshire, longitude first
    assert doc["features"][0]["properties"]["rank"] == 1
    root = SafeET.parse(kml).getroot()
    marks = root.findall(".//{http://www.opengis.net/kml/2.2}Placemark")
    assert len(marks) == round(0.05 * n)
    audit = [json.loads(line) for line in (case_dir / "audit.jsonl").read_text().splitlines()]
    assert any(e.get("command") == "hotspots" for e in audit)


def test_evaluate_json_has_the_documented_shape(case_dir: Path) -> None:
    r = gk("evaluate-hotspots", case_dir, *WINDOWS, "--types", "burglary", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["default"] == "auto"
    for name in ("auto", "counts", "kde", "promap"):
        scores = out["methods"][name]
        for key in ("pai_1", "pai_5", "pai_10", "hit_rate_1", "hit_rate_5", "hit_rate_10"):
            assert isinstance(scores[key], float)
    assert len(out["capture_curve"]["area_share"]) == len(out["capture_curve"]["auto"]) == 101


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--train", "2016-07..2017-07", "--forecast", "2017-06"), "starts before"),
        (("--train", "2016-07..2017-07", "--forecast", "2018-14"), "--forecast"),
        (("--train", "2016-07..2017-07", "--forecast", "2018-07", "--cell", "wide"), "--cell"),
        (("--train", "2016-07..2017-07", "--forecast", "2018-07", "--types", "Arson"), "Arson"),
        (
            ("--train", "2016-07..2017-07", "--forecast", "2018-07", "--method", "sepp"),
            "finer than a month",
        ),
        (("--train", "2016-07..2017-07", "--forecast", "2018-07", "--method", "magic"), "--method"),
    ],
)
def test_bad_input_is_one_line(case_dir: Path, args: tuple[str, ...], message: str) -> None:
    r = gk("hotspots", case_dir, *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_cell_finer_than_the_coordinates_is_one_line(tmp_path: Path) -> None:
    rows = ["occurred,longitude,latitude"] + [
        f"2024-01-{d:02d}T12:00:00Z,-1.{540 + d:03d},53.{800 + d:03d}" for d in range(1, 29)
    ]
    path = tmp_path / "coarse.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    case = tmp_path / "case"
    assert gk("init", case).returncode == 0
    assert gk("ingest", case, path, "--kind", "incidents").returncode == 0
    r = gk(
        "hotspots",
        case,
        "--train",
        "2024-01-01..2024-01-20",
        "--forecast",
        "2024-01-21",
        "--cell",
        "20m",
    )
    assert r.returncode == 2 and "precision" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_no_incidents_is_one_line(tmp_path: Path) -> None:
    case = tmp_path / "case"
    assert gk("init", case).returncode == 0
    r = gk("hotspots", case, *WINDOWS)
    assert r.returncode == 2 and "--kind incidents" in r.stderr
    assert police_file("2018-07").exists()


def test_simulated_incidents_land_where_and_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "inc"
    r = gk(
        "simulate-incidents",
        out,
        "--days",
        "14",
        "--centre",
        "53.48,-2.24",
        "--start",
        "2024-01-08",
    )
    assert r.returncode == 0, r.stderr
    rows = pd.read_csv(out / "incidents.csv")
    # a 20 km square around Manchester, over the fourteen days asked for
    assert abs(rows["latitude"].median() - 53.48) < 0.1
    assert abs(rows["longitude"].median() - -2.24) < 0.15
    when = pd.to_datetime(rows["occurred"])
    assert when.min() >= pd.Timestamp("2024-01-08", tz="UTC")
    assert when.max() < pd.Timestamp("2024-01-22", tz="UTC")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--centre", "Leeds"), "LAT,LON"),
        (("--centre", "40.7,-74.0"), "UTM zone 30N"),
        (("--start", "January"), "--start"),
    ],
)
def test_simulate_incidents_bad_input_is_one_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    r = gk("simulate-incidents", tmp_path / "inc", *args)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
