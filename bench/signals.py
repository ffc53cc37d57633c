"""Benchmark: blackouts and hand-offs on simulated cases, beside what an analyst would otherwise do.

For each case size it prints time and accuracy of

- blackouts (graphkit, hour-of-week gamma-Poisson + FDR) vs the usual rule of thumb "a phone
  silent for 3 days or more" (pandas), scored on planted blackouts;
- group blackouts (graphkit: members of one community, silent together and starting together,
  FDR-controlled) vs "3 or more members of a community silent >= 3 days at once for 12 h or
  more" (pandas), scored strictly on planted group blackouts (tests/signals/sim.py
  ``group_scores``: a row is right when half its members were in one planted group blackout);
- hand-offs (graphkit, joint matching, IMEI withheld) vs "the number starting within 2 days
  that shares the most contacts" (pandas), scored on planted group-wide swaps.

Run from the repository root:  PYTHONPATH=. python bench/signals.py [--people 2000 10000]
The generator is the test helper tests/signals/sim.py (seeded, vectorised).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from graphkit.signals.blackouts import detect_blackouts
from graphkit.signals.handoffs import detect_handoffs
from graphkit.signals.silences import detect_silences
from tests.signals.sim import (
    SimCase,
    SimConfig,
    blackout_scores,
    group_scores,
    simulate,
)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def rule_of_thumb_blackouts(events: pd.DataFrame, *, days: float = 3.0) -> pd.DataFrame:
    """Every gap of 3 days or more between a phone's events, and the tail to the end."""
    ends = pd.concat(
        [
            events[["caller", "start"]].rename(columns={"caller": "id"}),
            events[["callee", "start"]].rename(columns={"callee": "id"}),
        ]
    ).dropna()
    ends = ends.sort_values(["id", "start"], kind="stable")
    counts = ends.groupby("id")["start"].transform("size")
    ends = ends[counts >= 20]
    nxt = ends.groupby("id")["start"].shift(-1).fillna(events["start"].max())
    gap = nxt - ends["start"]
    keep = gap >= pd.Timedelta(days=days)
    return pd.DataFrame(
        {"kind": "phone", "id": ends["id"][keep], "start": ends["start"][keep], "end": nxt[keep]}
    )


def rule_of_thumb_groups(
    events: pd.DataFrame,
    phone_to_person: dict[str, str],
    person_to_community: dict[str, str],
    *,
    days: float = 3.0,
    min_members: int = 3,
    min_overlap_hours: float = 12.0,
) -> pd.DataFrame:
    """Windows where ``min_members`` or more people of one community are silent >= ``days``
    at once for ``min_overlap_hours`` or more (a sweep over each community's silences)."""
    silent = rule_of_thumb_blackouts(events, days=days)
    silent = silent.assign(person=silent["id"].map(phone_to_person))
    silent = silent.dropna(subset=["person"])
    silent = silent.assign(community=silent["person"].map(person_to_community))
    rows = []
    for community, part in silent.dropna(subset=["community"]).groupby("community"):
        bounds = sorted(set(part["start"]) | set(part["end"]))
        window: tuple[Any, Any, frozenset[str]] | None = None
        for lo, hi in itertools.pairwise(bounds):
            live = part[(part["start"] <= lo) & (part["end"] >= hi)]
            members = frozenset(live["person"])
            if len(members) >= min_members:
                window = (window[0], hi, window[2] | members) if window else (lo, hi, members)
                continue
            if window and window[1] - window[0] >= pd.Timedelta(hours=min_overlap_hours):
                rows.append((community, *window))
            window = None
        if window and window[1] - window[0] >= pd.Timedelta(hours=min_overlap_hours):
            rows.append((community, *window))
    return pd.DataFrame(
        {
            "kind": "group",
            "id": [r[0] for r in rows],
            "start": [r[1] for r in rows],
            "end": [r[2] for r in rows],
            "members": [sorted(r[3]) for r in rows],
        }
    )


def most_shared_contacts(events: pd.DataFrame, *, window_days: float = 2.0) -> pd.DataFrame:
    """For each number that stops 2+ days before the end, the number starting within 2 days
    of it (2+ days after the data start) with the most contacts in common."""
    calls = events.dropna(subset=["caller", "callee"])
    ends = pd.concat(
        [
            calls[["caller", "callee", "start"]].set_axis(["id", "other", "start"], axis=1),
            calls[["callee", "caller", "start"]].set_axis(["id", "other", "start"], axis=1),
        ]
    )
    span = ends.groupby("id")["start"].agg(["min", "max", "size"])
    span = span[span["size"] >= 10]
    t0, t1 = events["start"].min(), events["start"].max()
    window = pd.Timedelta(days=window_days)
    olds = span[span["max"] <= t1 - window]
    news = span[span["min"] >= t0 + window]
    pairs = olds.reset_index().merge(news.reset_index(), how="cross", suffixes=("_o", "_n"))
    pairs = pairs[(pairs["min_n"] - pairs["max_o"]).abs() <= window]
    pairs = pairs[pairs["id_o"] != pairs["id_n"]]
    contacts = ends[["id", "other"]].drop_duplicates()
    shared = (
        pairs[["id_o", "id_n"]]
        .merge(contacts.rename(columns={"id": "id_o"}), on="id_o")
        .merge(contacts.rename(columns={"id": "id_n"}), on=["id_n", "other"])
        .groupby(["id_o", "id_n"])
        .size()
        .rename("shared")
        .reset_index()
    )
    best = shared.sort_values(["id_o", "shared", "id_n"], ascending=[True, False, True])
    best = best.drop_duplicates("id_o")
    return pd.DataFrame({"old": best["id_o"], "new": best["id_n"], "rank": 1})


def top1(result: pd.DataFrame, case: SimCase) -> float:
    top = result[result["rank"] == 1].set_index("old")["new"]
    return float((case.handoffs["old"].map(top) == case.handoffs["new"]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--blackout-days",
        type=float,
        nargs=2,
        default=[3.0, 8.0],
        metavar=("MIN", "MAX"),
        help="length of planted individual blackouts (days)",
    )
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"python {platform.python_version()}"
    )
    header = (
        f"{'people':>7} {'events':>9} | {'method':<38} {'time_s':>7} "
        f"{'precision':>9} {'recall':>7} {'top1':>6}"
    )
    print(header)
    print("-" * len(header))
    for people in args.people:
        groups = max(24, people // 80)
        config = SimConfig(
            n_people=people,
            days=args.days,
            n_groups=groups,
            n_individual_blackouts=max(40, people // 50),
            n_group_blackouts=max(6, groups // 4),
            n_handoff_groups=max(6, groups // 4),
            blackout_days=(args.blackout_days[0], args.blackout_days[1]),
            seed=args.seed,
        )
        case, sim_s = timed(lambda config=config: simulate(config))
        n = len(case.events)

        def line(
            method: str, seconds: float, scores: dict[str, float], n: int = n, people: int = people
        ) -> None:
            p = f"{scores['precision']:.3f}" if "precision" in scores else "-"
            r = f"{scores['recall']:.3f}" if "recall" in scores else "-"
            t = f"{scores['top1']:.3f}" if "top1" in scores else "-"
            print(f"{people:>7} {n:>9} | {method:<38} {seconds:>7.2f} {p:>9} {r:>7} {t:>6}")

        line("simulate (test helper)", sim_s, {})
        found, s = timed(lambda case=case: detect_silences(case.events))
        line("blackouts: graphkit", s, blackout_scores(found, case))
        for days in (3.0, 1.5):
            naive, s = timed(lambda case=case, d=days: rule_of_thumb_blackouts(case.events, days=d))
            line(f"blackouts: silent >= {days:g} days (pandas)", s, blackout_scores(naive, case))
        grouped, s = timed(
            lambda case=case: detect_blackouts(
                case.events,
                phone_to_actor=case.phone_to_person,
                actor_to_community=case.person_to_community,
            )
        )
        line("group blackouts: graphkit", s, group_scores(grouped, case))
        naive_g, s = timed(
            lambda case=case: rule_of_thumb_groups(
                case.events, case.phone_to_person, case.person_to_community
            )
        )
        line("group blackouts: 3+ silent >= 3 days", s, group_scores(naive_g, case))
        ho, s = timed(lambda case=case: detect_handoffs(case.events, use_imei=False))
        line("hand-offs: graphkit (no IMEI)", s, {"top1": top1(ho, case)})
        naive_ho, s = timed(lambda case=case: most_shared_contacts(case.events))
        line("hand-offs: most shared contacts", s, {"top1": top1(naive_ho, case)})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak_mb:.0f} MB")
    np.set_printoptions()


if __name__ == "__main__":
    main()
