"""Where the network meets the map: `graphkit hotspots --phones-of` places a community's or an
actor's phones (their calls' towers) on the forecast grid, counts them against the flagged
cells, writes them into the GeoJSON and hands them to the report's map."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from graphkit.report.collect import collect
from graphkit.simulate.world import CITY_LAT, CITY_LON
from graphkit.store import CaseStore
from tests.cli.test_cli import gk
from tests.export.cases import simulated_case

TRAIN, FORECAST = "2024-01-08..2024-01-17", "2024-01-18..2024-01-21"


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small simulated case (calls over Manchester's towers, analysed) with simulated
    burglaries over the same city and fortnight."""
    root = tmp_path_factory.mktemp("phones")
    target = root / "case"
    shutil.copytree(simulated_case(root), target)
    r = gk(
        "simulate-incidents",
        root / "inc",
        "--days",
        "14",
        "--start",
        "2024-01-08",
        "--centre",
        f"{CITY_LAT},{CITY_LON}",
    )
    assert r.returncode == 0, r.stderr
    r = gk("ingest", target, root / "inc" / "incidents.csv", "--kind", "incidents")
    assert r.returncode == 0, r.stderr
    return target


def _records_by(store: CaseStore, community: str) -> int:
    """Call records made by the community's phones on a cell with a tower position
    (duplicate rows left out)."""
    with store.connect(read_only=True) as con:
        row = con.execute(
            """
            SELECT count(*) FROM src_cdr c
            WHERE c.caller IN (SELECT unnest(a.phones) FROM actor a JOIN analytics_actor m
                               USING (actor_id) WHERE CAST(m.community AS VARCHAR) IN (?, ?))
              AND c.cell_id IN (SELECT cell_id FROM src_towers WHERE lat IS NOT NULL)
              AND NOT c.is_duplicate
            """,
            [community.removeprefix("C"), community],
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_community_goes_on_the_map(case_dir: Path, tmp_path: Path) -> None:
    geojson = tmp_path / "grid.geojson"
    r = gk(
        "hotspots",
        case_dir,
        "--train",
        TRAIN,
        "--forecast",
        FORECAST,
        "--phones-of",
        "C0",
        "--geojson",
        geojson,
        "--json",
    )
    assert r.returncode == 0, r.stderr
    found = json.loads(r.stdout)["phones_of"]
    store = CaseStore.open(case_dir)
    assert found["records"] == _records_by(store, "C0") > 0
    assert found["label"].startswith("community C0 (")
    assert found["cells"] >= 1
    features = json.loads(geojson.read_text())["features"]
    in_file = sum(f["properties"]["phone_records"] for f in features)
    # every record is counted: in a study-area cell (the file), in a grid cell outside the
    # study area, or at a tower beyond the grid
    on_grid = found["records"] - found["records_beyond_grid"]
    assert in_file <= on_grid
    assert (in_file == on_grid) == (found["cells_outside_study_area"] == 0)
    flagged = {f["properties"]["rank"] for f in features if f["properties"]["phone_records"]}
    assert set(found["flagged_cells_with_records"]) <= flagged
    # the report draws the same phones, with the same label
    spots = collect(store).hotspots
    assert spots["overlay_label"] == found["label"]
    assert int(spots["overlay"].sum()) == on_grid


def test_the_table_says_where_the_phones_were(case_dir: Path) -> None:
    with CaseStore.open(case_dir).connect(read_only=True) as con:
        row = con.execute(
            "SELECT a.phones[1] FROM actor a JOIN analytics_actor m USING (actor_id) "
            "ORDER BY m.pagerank DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    r = gk("hotspots", case_dir, "--train", TRAIN, "--forecast", FORECAST, "--phones-of", row[0])
    assert r.returncode == 0, r.stderr
    assert f"Phones of {row[0]}" in r.stdout and "call records" in r.stdout
    assert "not evidence" in r.stdout


@pytest.mark.parametrize(
    ("who", "message"), [("C999", "no community C999"), ("Nobody Atall", "Nobody Atall")]
)
def test_unknown_phones_of_is_one_line(case_dir: Path, who: str, message: str) -> None:
    r = gk("hotspots", case_dir, "--train", TRAIN, "--forecast", FORECAST, "--phones-of", who)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
