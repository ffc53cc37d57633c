"""The opt-in harder hand-offs (``SimulationSpec.hard_handoffs``): what the truth says holds
in the records, and a case simulated without them is what it was."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphkit.simulate import SimulationSpec, simulate
from graphkit.simulate.handoff_cases import HARD_CASES, HARD_HANDOFF_COLUMNS

SPEC = dict(seed=3, people=600, days=28, groups=2)


def _records(sim: Path) -> pd.DataFrame:
    """Both operators' records, numbers in E.164 and times in UTC, through ingest."""
    from graphkit.ingest import ingest_file
    from graphkit.ingest.call_records import load_cdr_events
    from graphkit.runfile import load_case_file
    from graphkit.store import CaseStore

    store = CaseStore.init(sim.parent / "case", name="hard")
    for s in load_case_file(sim / "case.toml").sources:
        if s.kind == "cdr":
            ingest_file(store, s.file, kind=s.kind, mapping_path=s.mapping, source_name=s.name)
    return load_cdr_events(store)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    sim = tmp_path_factory.mktemp("hard") / "sim"
    simulate(sim, spec=SimulationSpec(**SPEC, hard_handoffs=True))  # type: ignore[arg-type]
    truth = pd.read_csv(sim / "truth" / "hard_handoffs.csv", dtype=str, keep_default_na=False)
    phones = pd.read_csv(sim / "truth" / "phones.csv", dtype=str, keep_default_na=False)
    spans = phones.drop_duplicates("msisdn").set_index("msisdn")
    for row in truth.itertuples():  # the truth's spans count the use outside the timeline
        if row.case == "reused":
            assert spans.at[row.new_msisdn, "valid_from"] == row.early_start
        if row.case == "kept_alive":
            assert spans.at[row.old_msisdn, "valid_to"] > row.new_start
    return truth, _records(sim)


def test_every_case_is_planted_and_holds_in_the_records(
    planted: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    truth, events = planted
    assert list(truth.columns) == HARD_HANDOFF_COLUMNS
    counts = truth["case"].value_counts()
    assert set(counts.index) == set(HARD_CASES)
    assert all(counts[c] >= 4 for c in HARD_CASES)
    both = pd.concat(
        [
            events[["caller", "start", "imei"]].rename(columns={"caller": "phone"}),
            events[["callee", "start"]].rename(columns={"callee": "phone"}),
        ]
    )
    kept_on, used_early = [], []
    for row in truth.itertuples():
        stop, begin = pd.Timestamp(row.time), pd.Timestamp(row.new_start)
        old = both[both["phone"] == row.old_msisdn]["start"]
        new = both[both["phone"] == row.new_msisdn]["start"]
        first_use = pd.Timestamp(row.early_start) if row.early_start else begin
        assert len(new) and new.min() >= first_use
        if row.case == "reused":  # used in its early span, then not until the hand-off
            early = new[new < stop]
            assert early.empty or early.max() <= pd.Timestamp(row.early_end)
            used_early.append(not early.empty)
        elif row.case == "kept_alive":  # the old number runs on after the hand-off
            kept_on.append((old > begin).sum() >= 1)
        else:
            assert old.max() <= stop
        if row.case == "no_imei":
            made = both[both["phone"].isin([row.old_msisdn, row.new_msisdn])]["imei"]
            assert made.isna().all()
    # a kept tie can be quiet for the rest of the period, and a person can make no call in
    # the 1-3 days of a reused number's early span (40 % of their events move to it): most,
    # not all, carry records
    assert sum(kept_on) >= 0.75 * len(kept_on)
    assert sum(used_early) >= 0.75 * len(used_early)


def test_off_by_default_and_the_case_is_unchanged(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    simulate(a, spec=SimulationSpec(**SPEC))  # type: ignore[arg-type]
    simulate(b, spec=SimulationSpec(**SPEC, hard_handoffs=False))  # type: ignore[arg-type]
    assert not (a / "truth" / "hard_handoffs.csv").exists()
    assert "hard_handoffs" not in (a / "truth" / "parameters.json").read_text(encoding="utf-8")
    for name in ("opA_cdr.csv", "opB_cdr.csv"):
        assert (a / "sources" / name).read_bytes() == (b / "sources" / name).read_bytes()


def test_the_cli_plants_the_harder_hand_offs(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "sim"
    args = ["simulate", str(out), "--people", "300", "--days", "14", "--hard-handoffs"]
    done = subprocess.run(
        [sys.executable, "-m", "graphkit", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    cases = {line.split(",", 1)[0] for line in (out / "truth" / "hard_handoffs.csv").open()}
    assert {"reused", "kept_alive"} <= cases
