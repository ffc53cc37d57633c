"""Tower-dump intersection (graphkit.cdr.scenes) against a brute-force set computation.

A simulated case (100 people, 14 days, towers), three scenes cut from real cells and times of
the case; every list must equal what plain Python sets give over the same ``src_cdr`` rows.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from graphkit.cdr.scenes import Scene, load_scenes, resolve_scenes, scene_lists
from graphkit.errors import InputError
from graphkit.people import directory
from graphkit.store import CaseStore

DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[CaseStore, CaseStore]:
    """The built case with towers, and the same call records alone (no tower positions)."""
    from graphkit.build import build_graph
    from graphkit.ingest import ingest_file
    from graphkit.runfile import load_case_file
    from graphkit.simulate import SimulationSpec, simulate

    base = tmp_path_factory.mktemp("scenes")
    # a seed whose three scenes (below) have phones in every list, so that each comparison
    # with brute force compares something (seed 7's lost its silent phones when the
    # simulator's draws moved in session 9)
    result = simulate(base / "sim", spec=SimulationSpec(seed=8, people=100, days=14, groups=2))
    store = CaseStore.init(base / "case", name="scenes")
    no_towers = CaseStore.init(base / "no-towers", name="scenes-no-towers")
    for s in load_case_file(result.case_toml).sources:
        ingest_file(store, s.file, kind=s.kind, mapping_path=s.mapping, source_name=s.name)
        if s.kind == "cdr":
            ingest_file(no_towers, s.file, kind=s.kind, mapping_path=s.mapping, source_name=s.name)
    build_graph(store)
    return store, no_towers


@pytest.fixture(scope="module")
def case(cases: tuple[CaseStore, CaseStore]) -> CaseStore:
    return cases[0]


def _rows(store: CaseStore) -> list[tuple[str, str, datetime, str | None]]:
    with store.connect(read_only=True) as con:
        return con.execute(
            "SELECT caller, callee, start, cell_id FROM src_cdr "
            "WHERE NOT coalesce(is_duplicate, false)"
        ).fetchall()


def _three_scenes(store: CaseStore) -> tuple[Scene, ...]:
    """Scenes around three sightings (on different days) of the phone seen on most cells,
    each with that sighting's cell and the busiest cell of the case; the third scene starts
    at its sighting, so a window taken as half-open would lose it."""
    rows = _rows(store)
    cells_by_phone: dict[str, set[str]] = defaultdict(set)
    for caller, _, _, cell in rows:
        if cell:
            cells_by_phone[caller].add(cell)
    phone = max(sorted(cells_by_phone), key=lambda p: len(cells_by_phone[p]))
    busiest = max(sorted({r[3] for r in rows if r[3]}), key=lambda c: sum(r[3] == c for r in rows))
    picks: dict[Any, tuple[datetime, str]] = {}
    for caller, _, start, cell in sorted(rows, key=lambda r: r[2]):
        if caller == phone and cell and start.date() not in picks and start.day % 3 == 0:
            picks[start.date()] = (start, cell)
    chosen = list(picks.values())[:3]
    assert len(chosen) == 3
    return tuple(
        Scene(
            f"scene-{i}",
            t if i == 2 else t - timedelta(hours=2),  # the last starts on a record: inclusive
            t + timedelta(hours=3),
            cells=tuple(dict.fromkeys((cell, busiest))),
        )
        for i, (t, cell) in enumerate(chosen)
    )


def _brute(store: CaseStore, scenes: tuple[Scene, ...], min_days: int) -> dict[str, Any]:
    rows = _rows(store)
    per: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for caller, _, start, cell in rows:
        for s in scenes:
            if cell in s.cells and s.start <= start <= s.end:
                per[(caller, s.name)].append(start)
    at: dict[str, set[str]] = defaultdict(set)
    for phone, name in per:
        at[phone].add(name)
    multi = {
        (p, tuple(sorted((n, min(per[p, n]), max(per[p, n]), len(per[p, n])) for n in names)))
        for p, names in at.items()
        if len(names) >= 2
    }
    by_name = {s.name: s for s in scenes}
    once = set()
    for p, names in at.items():
        if len(names) != 1:
            continue
        (n,) = names
        s = by_name[n]
        outside = any(
            caller == p and cell in s.cells and not (s.start <= start <= s.end)
            for caller, _, start, cell in rows
        )
        if not outside:
            once.add((p, n, min(per[p, n]), max(per[p, n]), len(per[p, n])))
    times: dict[str, list[datetime]] = defaultdict(list)
    for caller, callee, start, _ in rows:
        times[caller].append(start)
        times[callee].append(start)
    silent = set()
    for s in scenes:
        span = s.end - s.start
        shifts = [k for k in range(-40, 41) if k != 0 and abs(k) * DAY > span]
        for p, ts in times.items():
            if any(s.start <= t <= s.end for t in ts) or not min(ts) <= s.start <= s.end <= max(ts):
                continue  # not quiet, or not in service then (no record before and after)
            days = sum(any(s.start + k * DAY <= t <= s.end + k * DAY for t in ts) for k in shifts)
            if days >= min_days:
                silent.add((p, s.name, days))
    return {"multi": multi, "once": once, "silent": silent}


@pytest.mark.parametrize("min_days", [1, 3, 6])
def test_lists_equal_brute_force(case: CaseStore, min_days: int) -> None:
    scenes = _three_scenes(case)
    got = scene_lists(case, scenes, min_days=min_days)
    want = _brute(case, scenes, min_days)
    multi = {
        (
            r["phone"],
            tuple(sorted((v["scene"], v["first"], v["last"], v["events"]) for v in r["scenes"])),
        )
        for r in got.multi_scene
    }
    assert multi == want["multi"]
    assert len(got.multi_scene) == len(multi)
    assert all(r["n_scenes"] == len(r["scenes"]) for r in got.multi_scene)
    once = {(r["phone"], r["scene"], r["first"], r["last"], r["events"]) for r in got.one_time}
    assert once == want["once"] and len(got.one_time) == len(once)
    silent = {(r["phone"], r["scene"], r["active_days"]) for r in got.silent}
    assert silent == want["silent"] and len(got.silent) == len(silent)
    assert want["multi"] and want["once"] and want["silent"], "something to compare"


def test_rows_carry_actor_and_name(case: CaseStore) -> None:
    got = scene_lists(case, _three_scenes(case))
    people = directory(case)
    for row in [*got.multi_scene, *got.one_time, *got.silent]:
        actor = people.get(row["phone"])
        assert actor is not None, "every phone of the built case is an actor"
        assert (row["actor_id"], row["name"]) == (actor.actor_id, actor.name)


def test_radius_scene_takes_towers_within_distance(case: CaseStore) -> None:
    with case.connect(read_only=True) as con:
        towers = con.execute("SELECT cell_id, lat, lon FROM src_towers").fetchall()
    _, lat0, lon0 = towers[0]
    radius_m = 2_000.0

    def dist(lat: float, lon: float) -> float:
        p1, p2, dl = math.radians(lat0), math.radians(lat), math.radians(lon - lon0)
        h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * 6_371_008.8 * math.asin(math.sqrt(h))

    want = sorted({c for c, lat, lon in towers if dist(lat, lon) <= radius_m})
    t = datetime(2024, 1, 10, tzinfo=UTC)
    (s,) = resolve_scenes(case, (Scene("r", t, t + DAY, lat=lat0, lon=lon0, radius_m=radius_m),))
    assert list(s.cells) == want and want


def _toml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "scenes.toml"
    path.write_text(body, encoding="utf-8")
    return path


GOOD = 'start = "2024-01-10T08:00:00+00:00"\nend = "2024-01-10T12:00:00Z"\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[scene]]\nname = "bank"\ncells = ["X"]\nstart = "yesterday"\nend = "2024-01-10"\n',
            "scene 'bank': start: 'yesterday' is not an ISO time",
        ),
        (
            '[[scene]]\nname = "bank"\ncells = ["X"]\n'
            'start = "2024-01-10T08:00:00"\nend = "2024-01-10T09:00:00Z"\n',
            "scene 'bank': start: '2024-01-10T08:00:00' has no time zone",
        ),
        (
            '[[scene]]\nname = "bank"\ncells = ["X"]\n'
            'start = "2024-01-10T08:00:00Z"\nend = "2024-01-10T07:00:00Z"\n',
            "scene 'bank': end: 2024-01-10 07:00:00+00:00 is before start",
        ),
        ('[[scene]]\nname = "bank"\n' + GOOD, "scene 'bank': cells: give cells or lat/lon"),
        (
            '[[scene]]\nname = "bank"\nlat = 53.4\n' + GOOD,
            "scene 'bank': lon: required with lat",
        ),
        ('[[scene]]\nname = "bank"\ncells = ["X"]\nstart = 3\nend = 4\n', "scene 'bank': start"),
        ("x = 1\n", "no [[scene]] tables"),
        ("[[scene]\n", "not valid TOML"),
    ],
)
def test_bad_file_gives_one_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputError) as exc:
        load_scenes(_toml(tmp_path, body))
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_unknown_cell_and_radius_without_towers(
    cases: tuple[CaseStore, CaseStore], tmp_path: Path
) -> None:
    case, no_towers = cases
    scenes = load_scenes(_toml(tmp_path, '[[scene]]\nname = "bank"\ncells = ["NOPE-1"]\n' + GOOD))
    with pytest.raises(InputError, match=r"^scene 'bank': cells: unknown cell 'NOPE-1'"):
        scene_lists(case, scenes)
    radius = load_scenes(
        _toml(tmp_path, '[[scene]]\nname = "pier"\nlat = 53.4\nlon = -2.2\nradius_m = 500\n' + GOOD)
    )
    with pytest.raises(InputError, match=r"^scene 'pier': radius_m: needs tower positions"):
        scene_lists(no_towers, radius)


def test_cli_prints_three_tables_and_json(case: CaseStore, tmp_path: Path) -> None:
    from graphkit.cli.scenes import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # two commands: typer keeps the command name
    scenes = _three_scenes(case)
    body = "".join(
        f'[[scene]]\nname = "{s.name}"\ncells = {json.dumps(list(s.cells))}\n'
        f'start = "{s.start.isoformat()}"\nend = "{s.end.isoformat()}"\n'
        for s in scenes
    )
    path = _toml(tmp_path, body)
    runner = CliRunner()
    r = runner.invoke(app, ["scenes", str(case.path), str(path), "--json", "--min-days", "3"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    want = scene_lists(case, scenes, min_days=3)
    assert [x["phone"] for x in out["multi_scene"]] == [x["phone"] for x in want.multi_scene]
    assert [x["phone"] for x in out["quiet"]] == [x["phone"] for x in want.silent]
    assert out["silent"] == [] == want.silent_reported and out["silent_tested"] > 0
    assert len(out["one_time"]) == len(want.one_time)
    r = runner.invoke(app, ["scenes", str(case.path), str(path)])
    assert r.exit_code == 0, r.output
    assert "one-time visitors" in r.output and "two scenes or more" in r.output
    assert want.multi_scene[0]["phone"] in r.output
    # the quiet list is not a finding: a count and what it means, the list only on request
    line = (
        f"silent during a scene: 0 of {want.silent_tested} phones in service pass the silence test"
    )
    assert line in " ".join(r.output.split())
    assert "ranked by p" not in r.output and want.silent[0]["phone"] not in r.output
    r = runner.invoke(app, ["scenes", str(case.path), str(path), "--silent", "--limit", "0"])
    assert r.exit_code == 0, r.output
    assert "ranked by p" in r.output and want.silent[0]["phone"] in r.output


def test_silence_test_against_brute_force(case: CaseStore) -> None:
    """expected = the phone's records in the window shifted by whole days, over its other
    days in service; p = exp(-expected); q: Benjamini-Hochberg over every phone in service
    and scene (the quiet ones at their p, the others at 1)."""
    import math

    from graphkit.stats import fdr_qvalues

    scenes = _three_scenes(case)
    got = scene_lists(case, scenes, min_days=1)
    times: dict[str, list[datetime]] = defaultdict(list)
    for caller, callee, start, _ in _rows(case):
        times[caller].append(start)
        times[callee].append(start)
    ps, want = [], {}
    for s in scenes:
        for phone, ts in times.items():
            if not min(ts) <= s.start <= s.end <= max(ts):
                continue
            shifts = [
                k
                for k in range(-40, 41)
                if k != 0 and min(ts) <= s.start + k * DAY and s.end + k * DAY <= max(ts)
            ]
            events = sum(s.start + k * DAY <= t <= s.end + k * DAY for k in shifts for t in ts)
            quiet = not any(s.start <= t <= s.end for t in ts)
            expected = events / max(len(shifts), 1)
            ps.append(math.exp(-expected) if quiet else 1.0)
            if quiet and events:
                want[phone, s.name] = (expected, ps[-1], len(ps) - 1)
    q = fdr_qvalues(ps)
    assert got.silent_tested == len(ps)
    assert len(got.silent) == len(want) > 0
    for r in got.silent:
        expected, p, i = want[r["phone"], r["scene"]]
        assert r["expected"] == pytest.approx(expected)
        assert r["p_value"] == pytest.approx(p) and r["q_value"] == pytest.approx(q[i])
