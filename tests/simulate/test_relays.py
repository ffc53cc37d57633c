"""Orders relayed down the chain of command: visible in the CDR files, and nothing else moves."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from graphkit.errors import InputError
from graphkit.simulate import SimulationSpec, simulate
from tests.simulate.conftest import SMALL, ParsedCdr, parse_cdr


def _phones_of(truth: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    mobile = truth["phones"][truth["phones"]["kind"] == "mobile"]
    return mobile.groupby("person_id")["msisdn"].agg(set).to_dict()


def test_relays_follow_orders_down_the_hierarchy(
    parsed_cdr: ParsedCdr, truth: dict[str, pd.DataFrame]
) -> None:
    relays = truth["relays"]
    assert list(relays.columns) == [
        "time",
        "relayer",
        "recipient",
        "order_from",
        "order_time",
        "delay_s",
        "depth",
    ]
    assert len(relays) >= 20
    groups = truth["groups"][truth["groups"]["role"] == "member"].set_index("person_id")
    boss = groups[groups["rank"] == "boss"].reset_index().set_index("group_id")["person_id"]
    superior = {
        p: (boss[g] if rank == "lieutenant" else crew)
        for p, g, rank, crew in zip(
            groups.index, groups["group_id"], groups["rank"], groups["crew_lieutenant"], strict=True
        )
        if rank != "boss"
    }
    pairs = zip(relays["relayer"], relays["order_from"], relays["recipient"], strict=True)
    assert all(superior[r] == f and superior[c] == r for r, f, c in pairs)
    t, order_t = pd.to_datetime(relays["time"]), pd.to_datetime(relays["order_time"])
    delay = relays["delay_s"].astype(int)
    assert (delay >= 1).all() and ((t - order_t).dt.total_seconds() >= delay).all()
    assert (t.dt.floor("D") == order_t.dt.floor("D")).all()  # kept within the order's day
    assert delay.median() < 3 * SMALL.relay_delay_median_s


def test_each_relay_and_its_order_are_in_the_cdr_files(
    parsed_cdr: ParsedCdr, truth: dict[str, pd.DataFrame]
) -> None:
    ev = parsed_cdr.events
    phones = _phones_of(truth)
    minute = ev["time"].dt.floor("min")
    index = set(zip(minute, ev["caller"], ev["callee"], strict=True))
    found = orders = 0
    for r in truth["relays"].itertuples():
        when = pd.Timestamp(r.time).floor("min")
        found += any((when, a, b) in index for a in phones[r.relayer] for b in phones[r.recipient])
        order = pd.Timestamp(r.order_time).floor("min")
        orders += any(
            (order, a, b) in index for a in phones[r.order_from] for b in phones[r.relayer]
        )
    n = len(truth["relays"])
    # every relay was written; a few rows are malformed on purpose (0.1%) and not parsed
    assert found >= n - 2 and orders >= n - 2


def _noisy_cdr_rows(truth: dict[str, pd.DataFrame]) -> int:
    """CDR rows the simulator made malformed or duplicated (truth/malformed.csv, noise.csv)."""
    malformed = truth["malformed"]["source"].str.endswith("_cdr").sum()
    noise = truth["noise"]
    duplicated = noise.loc[noise["noise"] == "cdr_duplicate", "count"].astype(int).sum()
    return int(malformed + duplicated)


def test_relays_change_nothing_else(tmp_path: Path, parsed_cdr: ParsedCdr, truth: dict) -> None:
    out = tmp_path / "no_relays"
    simulate(out, spec=dataclasses.replace(SMALL, relay_share=0.0))
    assert pd.read_csv(out / "truth" / "relays.csv").empty
    plain = parse_cdr(out).events
    phones = _phones_of(truth)
    key = ["time", "caller", "callee"]
    with_relays = parsed_cdr.events.assign(time=parsed_cdr.events["time"].dt.floor("min"))
    relayed = set()
    for r in truth["relays"].itertuples():
        for a in phones[r.relayer]:
            for b in phones[r.recipient]:
                relayed.add((pd.Timestamp(r.time).floor("min"), a, b))
    rows = with_relays[key].itertuples(index=False, name=None)
    kept = pd.DataFrame([k for k in rows if k not in relayed], columns=key)
    plain_rows = plain.assign(time=plain["time"].dt.floor("min"))[key]
    a = kept.value_counts()
    b = plain_rows.value_counts()
    diff = a.subtract(b, fill_value=0)
    # the only differences: rows made malformed (unparsed) or duplicated in one file and not
    # in the other; each such row changes one count by one
    plain_truth = {
        n: pd.read_csv(out / "truth" / f"{n}.csv", dtype=str, keep_default_na=False)
        for n in ("malformed", "noise")
    }
    assert diff.abs().sum() <= _noisy_cdr_rows(truth) + _noisy_cdr_rows(plain_truth)
    for name in ("groups", "phones", "blackouts", "handoffs", "hidden_ties", "ties"):
        again = pd.read_csv(out / "truth" / f"{name}.csv", dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(again, truth[name])


def test_relay_parameters_validate() -> None:
    with pytest.raises(InputError):
        SimulationSpec(relay_share=1.5)
    with pytest.raises(InputError):
        SimulationSpec(relay_delay_median_s=0)
