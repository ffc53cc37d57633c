"""Co-location (graphkit.cdr.colocate): a hand-built case with known answers, bad input, the
stored hypotheses and the command, and precision / recall against planted meetings on
simulated cases (with the null: no meetings planted, no pair reported).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from graphkit.cdr.colocate import ColocateSettings, colocate, find_colocations, parse_duration
from graphkit.cdr.colocate_groups import MIN_GROUP_OCCASIONS
from graphkit.errors import GraphkitError, InputError
from graphkit.evaluate.colocate import planted_circles, planted_pairs, score_groups, score_pairs
from graphkit.settings import SettingsError
from graphkit.store import CaseStore

A, B, C, D, E = (f"+4477009001{i:02d}" for i in range(5))
FRIEND = "+447700900199"
DAY0 = datetime(2024, 3, 4, tzinfo=UTC)  # a Monday
MEETINGS = {3: "MEET-1", 8: "MEET-2", 13: "MEET-3", 18: "MEET-4"}  # day -> fresh cell

MAPPING = """
kind = "cdr"
source_name = "handmade"
timezone = "UTC"
default_region = "GB"
[read]
delimiter = ","
encoding = "utf-8"
header = true
[columns]
record_id = "id"
start = "start"
caller = "caller"
callee = "callee"
event_type = "type"
duration_s = "duration"
{cell}
[formats]
start = "%Y-%m-%dT%H:%M:%S%z"
duration_s = "s"
"""


def _rows() -> list[tuple[datetime, str, str]]:
    """(time, caller, cell): A and C share a home (HOME-1) and call from it every evening; B
    lives elsewhere; A and B meet on four days, each time at a cell neither is seen on
    otherwise; D and E cross once on a fresh cell."""
    rows = []
    homes = {A: "HOME-1", C: "HOME-1", B: "HOME-2", D: "HOME-3", E: "HOME-4"}
    works = {A: "WORK-1", B: "WORK-2", C: "WORK-3", D: "WORK-4", E: "WORK-5"}
    for day in range(21):
        base = DAY0 + timedelta(days=day)
        for i, phone in enumerate((A, B, C, D, E)):
            rows.append((base + timedelta(hours=21, minutes=3 * i), phone, homes[phone]))
            rows.append((base + timedelta(hours=8, minutes=40 + 7 * i), phone, homes[phone]))
            if day % 7 < 5:
                rows.append((base + timedelta(hours=11, minutes=5 * i), phone, works[phone]))
                rows.append((base + timedelta(hours=15, minutes=9 * i), phone, works[phone]))
        if day in MEETINGS:
            t = base + timedelta(hours=19)
            rows += [
                (t, A, MEETINGS[day]),
                (t + timedelta(minutes=6), B, MEETINGS[day]),
                (t + timedelta(minutes=11), A, MEETINGS[day]),
                (t + timedelta(minutes=14), B, MEETINGS[day]),
            ]
    t = DAY0 + timedelta(days=9, hours=13)
    rows += [(t, D, "PLAZA-9"), (t + timedelta(minutes=4), E, "PLAZA-9")]
    return rows


def _case(root: Path, *, with_cells: bool = True) -> CaseStore:
    from graphkit.ingest import ingest_file

    root.mkdir(parents=True)
    data = root / "calls.csv"
    lines = ["id,start,caller,callee,type,duration" + (",cell" if with_cells else "")]
    for i, (t, phone, cell) in enumerate(sorted(_rows())):
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S+0000")
        lines.append(f"R{i},{stamp},{phone},{FRIEND},voice,60" + (f",{cell}" if with_cells else ""))
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mapping = root / "calls.toml"
    mapping.write_text(
        MAPPING.format(cell='cell_id = "cell"' if with_cells else ""), encoding="utf-8"
    )
    store = CaseStore.init(root / "case", name="handmade")
    ingest_file(store, data, kind="cdr", mapping_path=mapping, source_name="handmade")
    return store


@pytest.fixture(scope="module")
def handmade(tmp_path_factory: pytest.TempPathFactory) -> CaseStore:
    return _case(tmp_path_factory.mktemp("colocate") / "handmade")


def test_meeting_pair_found_household_and_one_crossing_not(handmade: CaseStore) -> None:
    found = find_colocations(handmade, ColocateSettings(window_s=900, min_times=2))
    pairs = {(r["a"], r["b"]): r for r in found.pairs}
    assert list(pairs) == [(A, B)], "only the meeting pair"
    row = pairs[(A, B)]
    assert row["occasions"] == 4
    assert [o["cells"] for o in row["seen"]] == [[MEETINGS[d]] for d in sorted(MEETINGS)]
    assert [o["first"] for o in row["seen"]] == [
        DAY0 + timedelta(days=d, hours=19) for d in sorted(MEETINGS)
    ]
    assert row["expected"] < 0.1 and row["p_value"] < 1e-4 and row["q_value"] <= 0.05
    assert row["p_value"] <= row["q_value"] and row["score"] == pytest.approx(1 - row["q_value"])
    # A and C are together every evening at home: tested, never unusual
    assert found.tested >= 2


def test_min_times_above_the_meetings_reports_nothing(handmade: CaseStore) -> None:
    assert find_colocations(handmade, ColocateSettings(min_times=5)).pairs == []
    assert [(r["a"], r["b"]) for r in find_colocations(handmade).pairs] == [(A, B)]


def test_window_shorter_than_the_gap_between_their_calls(handmade: CaseStore) -> None:
    """Calls 6 and 3 minutes apart: a 2-minute window sees no meeting."""
    assert find_colocations(handmade, ColocateSettings(window_s=120)).pairs == []


def test_colocate_stores_hypotheses_and_keeps_decisions(handmade: CaseStore) -> None:
    colocate(handmade)
    with handmade.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT src, dst, score, threshold, model_version, status, evidence "
            "FROM rel_co_located_with"
        ).fetchall()
    assert len(rows) == 1
    src, dst, score, threshold, version, status, evidence = rows[0]
    assert (src, dst, status, version) == (A, B, "hypothesis", "colocate-1")
    assert threshold == pytest.approx(0.95) and 0.95 <= score <= 1
    ev = json.loads(evidence)
    assert ev["occasions_total"] == 4 and len(ev["occasions"]) == 4
    assert ev["occasions"][0]["cells"] == ["MEET-1"]
    assert handmade.stage("colocate")["summary"]["reported"] == 1  # type: ignore[index]
    with handmade.operation("review", operation="alteration"), handmade.connect() as con:
        con.execute("UPDATE rel_co_located_with SET status = 'rejected', decided_by = 'x'")
    colocate(handmade)  # a re-run replaces hypotheses, keeps what a reviewer decided
    with handmade.connect(read_only=True) as con:
        kept = con.execute("SELECT src, dst, status FROM rel_co_located_with").fetchall()
    assert kept == [(A, B, "rejected")]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("90s", 90), ("2h", 7200), ("1d", 86_400), ("10", 600), (" 7 min ", 420)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["15x", "m15", "", "fifteen", "-5m", "0.2s"])
def test_unknown_window_is_one_line(text: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_duration(text, field="--window")
    assert str(exc.value).startswith("--window: ") and "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("window_s", 0), ("window_s", 86_400), ("min_times", 0), ("fdr", 1.0), ("distance_m", -1.0)],
)
def test_settings_refuse_bad_values(field: str, value: float) -> None:
    with pytest.raises(SettingsError, match=f"^{field}: "):
        ColocateSettings(**{field: value})  # type: ignore[arg-type]


def test_case_without_cell_ids_is_one_line(tmp_path: Path) -> None:
    store = _case(tmp_path / "nocells", with_cells=False)
    with pytest.raises(GraphkitError) as exc:
        find_colocations(store)
    assert "no cell ids" in str(exc.value) and "\n" not in str(exc.value)


def test_distance_without_towers_is_one_line(handmade: CaseStore) -> None:
    with pytest.raises(InputError, match=r"^distance_m: needs tower positions"):
        find_colocations(handmade, ColocateSettings(distance_m=0))


def test_command_prints_table_and_json(handmade: CaseStore) -> None:
    from graphkit.cli.colocate import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # two commands: typer keeps the command name
    runner = CliRunner()
    r = runner.invoke(app, ["colocate", str(handmade.path), "--window", "15m", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert [(p["a"], p["b"]) for p in out["pairs"]] == [(A, B)]
    assert out["settings"]["window_s"] == 900 and out["summary"]["reported"] == 1
    r = runner.invoke(app, ["colocate", str(handmade.path), "--min-times", "3"])
    assert r.exit_code == 0, r.output
    assert "1 pairs reported" in r.output and "MEET-1" in r.output and A in r.output
    r = runner.invoke(app, ["colocate", str(handmade.path), "--window", "15x"])
    assert isinstance(r.exception, InputError)
    assert str(r.exception).startswith("--window: '15x' is not a duration")
    r = runner.invoke(app, ["colocate", str(handmade.path), "--min-times", "0"])
    assert isinstance(r.exception, InputError) and str(r.exception).startswith("--min-times:")


def test_command_defaults_are_the_settings() -> None:
    import inspect

    from graphkit.cli.colocate import colocate as command

    params = inspect.signature(command).parameters
    default = ColocateSettings()
    assert parse_duration(params["window"].default) == default.window_s
    assert params["min_times"].default == default.min_times
    assert params["distance_m"].default == default.distance_m
    assert params["fdr"].default == default.fdr


# ---- accuracy on simulated cases -------------------------------------------------------------

SEEDS = (1, 2, 3, 4, 5)
#: measured on these seeds (docs/cdr.md): precision 1.0 on every seed, recall over the pairs
#: the records show together 0.88 to 0.99 (mean 0.93; over every pair that met 0.91, and 0.79
#: before unseen places counted a fifth of a day instead of half). The issue's target is 0.9
#: for both, on average over the seeds.
MIN_PRECISION, MIN_RECALL, MIN_MEAN_RECALL = 0.9, 0.85, 0.9
#: groups against the planted circles on the same seeds: precision 1.0 on every seed (45
#: groups), recall 0.875 to 1 (mean 0.925); with two occasions instead of three, 15 of 77 false
MIN_GROUP_PRECISION, MIN_GROUP_RECALL, MIN_MEAN_GROUP_RECALL = 0.9, 0.75, 0.85


def _simulated(root: Path, seed: int, *, meetings: bool) -> tuple[CaseStore, Path]:
    from graphkit.ingest import ingest_file
    from graphkit.runfile import load_case_file
    from graphkit.simulate import SimulationSpec, simulate

    spec = SimulationSpec(seed=seed, people=2000, days=28, groups=4, meetings=meetings)
    result = simulate(root / "sim", spec=spec)
    store = CaseStore.init(root / "case", name=f"colocate-{seed}")
    for s in load_case_file(result.case_toml).sources:
        if s.kind in ("cdr", "towers"):
            ingest_file(store, s.file, kind=s.kind, mapping_path=s.mapping, source_name=s.name)
    return store, root / "sim" / "truth"


@pytest.mark.slow
def test_precision_and_recall_on_planted_meetings(tmp_path: Path) -> None:
    from graphkit.evaluate import evaluate_case

    recalls, group_recalls = [], []
    for seed in SEEDS:
        store, truth = _simulated(tmp_path / f"s{seed}", seed, meetings=True)
        found = colocate(store, ColocateSettings(distance_m=0))
        planted = planted_pairs(truth, min_times=2)
        visible = planted_pairs(truth, min_times=2, window_s=900, distance_m=0)
        assert set(visible) <= set(planted) and len(visible) >= len(planted) - 8
        scores = score_pairs(((r["a"], r["b"]) for r in found.pairs), planted, visible=visible)
        assert scores["planted_pairs"] >= 40, "meetings were planted"
        assert scores["precision"] >= MIN_PRECISION, (seed, scores)
        assert scores["recall"] >= MIN_RECALL, (seed, scores)
        recalls.append(scores["recall"])
        circles = planted_circles(truth, min_times=MIN_GROUP_OCCASIONS)
        groups = score_groups((g["phones"] for g in found.groups), circles)
        assert groups["visible_circles"] >= 6, "circles were planted"
        assert groups["precision"] >= MIN_GROUP_PRECISION, (seed, groups)
        assert groups["recall"] >= MIN_GROUP_RECALL, (seed, groups)
        # no giant component: a group is never larger than the most phones at one meeting
        assert groups["largest_group"] <= groups["largest_meeting"], (seed, groups)
        group_recalls.append(groups["recall"])
        evaluated = evaluate_case(store, truth, stages=["colocate"])["colocate"]
        assert evaluated["metrics"]["precision"] == scores["precision"]
        assert evaluated["metrics"]["recall"] == scores["recall"]
    assert sum(recalls) / len(recalls) >= MIN_MEAN_RECALL, recalls
    assert sum(group_recalls) / len(group_recalls) >= MIN_MEAN_GROUP_RECALL, group_recalls


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_no_meetings_planted_no_pair_reported(tmp_path: Path, seed: int) -> None:
    """The null: 2,000 people for four weeks, tens of thousands of pairs seen together twice
    or more at their homes and workplaces; at FDR 0.05 none is reported (measured: none on
    five seeds)."""
    store, truth = _simulated(tmp_path, seed, meetings=False)
    assert planted_pairs(truth, min_times=2) == {}
    found = find_colocations(store, ColocateSettings(distance_m=0))
    assert found.tested > 10_000
    assert len(found.pairs) <= 1, found.pairs[:3]


def test_planted_pairs_the_records_cannot_show_are_not_visible(tmp_path: Path) -> None:
    """A meeting counts for a pair's recall only when a record of each falls within the
    window on a near cell: met, but no record shows it, is not expected of the detector."""
    truth = tmp_path / "truth"
    truth.mkdir()
    rows = ["meeting_id,circle_id,group_id,person_id,msisdn,cell_id,time,start,end"]
    for m, (cell_b, minutes_b) in enumerate([("S1A", 5), ("S1A", 25), ("S1B", 5), ("S2A", 5)]):
        rows.append(f"M{m},C1,G1,P1,{A},S1A,2024-03-0{m + 1}T12:00:00Z,x,y")
        rows.append(f"M{m},C1,G1,P2,{B},{cell_b},2024-03-0{m + 1}T12:{minutes_b:02d}:00Z,x,y")
    (truth / "meetings.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "towers.csv").write_text(
        "cell_id,latitude,longitude,azimuth\nS1A,53.5,-2.2,60\nS1B,53.5,-2.2,180\n"
        "S2A,53.6,-2.2,60\n",
        encoding="utf-8",
    )
    assert planted_pairs(truth, min_times=2) == {(A, B): 4}
    # same cell within 15 minutes: only the first meeting
    assert planted_pairs(truth, min_times=1, window_s=900) == {(A, B): 1}
    # same site: the first and third; a window of 30 minutes adds the second
    assert planted_pairs(truth, min_times=1, window_s=900, distance_m=0) == {(A, B): 2}
    assert planted_pairs(truth, min_times=1, window_s=1800, distance_m=0) == {(A, B): 3}
    assert planted_pairs(truth, min_times=1, window_s=900, distance_m=20_000) == {(A, B): 3}
    scores = score_pairs(
        [(B, A)],
        planted_pairs(truth, min_times=2),
        visible=planted_pairs(truth, min_times=3, window_s=900),
    )
    assert scores["precision"] == 1.0 and scores["recall"] is None
    assert scores["planted_pairs_not_visible"] == 1


# ---- groups (graphkit.cdr.colocate_groups) -----------------------------------------------------


def _pair(a: str, b: str, meets: list[tuple[int, str]], q: float = 1e-4) -> dict[str, object]:
    """A reported pair row as find_colocations makes it: ``meets`` (day, cell) at 19:00 + a
    few minutes."""
    a, b = min(a, b), max(a, b)
    return {
        "a": a,
        "b": b,
        "a_name": f"name {a[-2:]}",
        "b_name": f"name {b[-2:]}",
        "p_value": q / 10,
        "q_value": q,
        "seen": [
            {
                "first": DAY0 + timedelta(days=d, hours=19),
                "last": DAY0 + timedelta(days=d, hours=19, minutes=8),
                "cells": [cell],
            }
            for d, cell in meets
        ],
    }


def test_three_phones_together_twice_are_one_group() -> None:
    from graphkit.cdr.colocate_groups import find_groups

    met = [(3, "MEET-1"), (8, "MEET-2"), (13, "MEET-3"), (18, "MEET-4")]
    pairs = [_pair(A, B, met, 1e-5), _pair(A, C, met[:3], 2e-3), _pair(B, C, met[:3], 1e-4)]
    groups = find_groups(pairs, window_s=900, min_times=2)
    assert len(groups) == 1
    g = groups[0]
    assert g["phones"] == [A, B, C] and g["size"] == 3 and g["pairs"] == 3
    assert g["occasions"] == 3, "all three together three times (A and B alone on the fourth)"
    assert [o["cells"] for o in g["seen"]] == [["MEET-1"], ["MEET-2"], ["MEET-3"]]
    assert g["q_value"] == 2e-3 and g["p_value"] == 2e-4, "the largest of its pairs'"
    assert g["phones_names"] == ["name 00", "name 01", "name 02"]
    assert find_groups(pairs, window_s=900, min_times=4) == []
    # together twice is not a group (MIN_GROUP_OCCASIONS), whatever min_times
    twice = [_pair(A, B, met[:2]), _pair(A, C, met[:2]), _pair(B, C, met[:2])]
    assert find_groups(twice, window_s=900, min_times=1) == []


def test_friends_of_friends_are_not_a_group() -> None:
    """A chain of pairs, each meeting at its own places, and a triangle whose pairs met
    separately: no group (connected components would have made one of five phones)."""
    from graphkit.cdr.colocate_groups import find_groups

    chain = [
        _pair(A, B, [(1, "X1"), (2, "X2"), (3, "X3")]),
        _pair(B, C, [(4, "X4"), (5, "X5"), (6, "X6")]),
        _pair(C, D, [(7, "X7"), (8, "X8"), (9, "X9")]),
        _pair(D, E, [(10, "X10"), (11, "X11"), (12, "X12")]),
        _pair(A, C, [(13, "X13"), (14, "X14"), (15, "X15")]),
    ]
    assert find_groups(chain, window_s=900, min_times=2) == []
    # two pairs on one cell at one time, once: four phones at one gathering, never again
    once = [
        _pair(A, B, [(1, "Y1"), (2, "Y2"), (4, "Y4")]),
        _pair(C, D, [(1, "Y1"), (3, "Y3"), (5, "Y5")]),
    ]
    assert find_groups(once, window_s=900, min_times=2) == []


def test_group_needs_every_pair_and_states_the_largest() -> None:
    """Four phones at the same three meetings; D-A not reported: the two triangles are the
    groups, and a triangle inside a stated four is not stated again."""
    from graphkit.cdr.colocate_groups import find_groups

    met = [(3, "M1"), (8, "M2"), (13, "M3")]
    four = [_pair(x, y, met) for x, y in ((A, B), (A, C), (B, C), (B, D), (C, D), (A, D))]
    assert [g["phones"] for g in find_groups(four, window_s=900, min_times=2)] == [[A, B, C, D]]
    missing = [p for p in four if (p["a"], p["b"]) != (A, D)]
    got = find_groups(missing, window_s=900, min_times=2)
    assert sorted(g["phones"] for g in got) == [[A, B, C], [B, C, D]]


def test_group_table_fits_the_terminal_with_every_member_whole() -> None:
    """The command's group table: a title, sizes and occasions, each member ``name (phone)``
    with the phone never split, and every line within the console's width (eight long names:
    the old table drew members as one unwrapped cell and cut them mid-name)."""
    from graphkit.cdr.colocate_groups import find_groups
    from graphkit.cli._common import console, render
    from graphkit.cli.colocate import _group_row

    phones = [f"+4477009002{i:02d}" for i in range(8)]
    met = [(3, "MEET-1"), (8, "MEET-2"), (13, "MEET-3")]
    pairs = [_pair(a, b, met) for i, a in enumerate(phones) for b in phones[i + 1 :]]
    for r in pairs:
        r["a_name"] = f"Alexandra Featherstonehaugh-{r['a'][-2:]}"  # type: ignore[index]
        r["b_name"] = f"Alexandra Featherstonehaugh-{r['b'][-2:]}"  # type: ignore[index]
    (group,) = find_groups(pairs, window_s=900, min_times=2)
    with console.capture() as cap:
        render([_group_row(1, group)], json_output=False, title="groups: all together")
    out = cap.get()
    assert "groups: all together" in out
    assert all(len(line) <= console.width for line in out.splitlines())
    flat = " ".join(line.strip("│ ") for line in out.splitlines())
    for phone in phones:
        assert f"({phone})" in out, "a phone is never split across lines"
        assert f"Featherstonehaugh-{phone[-2:]}" in flat
