"""Benchmark: the relayed-orders test (graphkit.analytics.relays) beside a per-call loop.

Random contacts among ``--actors`` actors (heavy-tailed activity, random times over
``--days`` days, 50 actors per community), then :func:`relay_table` on all of them; the
alternative an analyst would otherwise write (for each call, scan the callee's later calls in
pandas) runs on ``--small`` contacts and is extrapolated linearly. Deterministic for a seed.

    python bench/relays.py                         # 1M contacts
    python bench/relays.py --contacts 10000000 --actors 200000
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def synthetic_contacts(n: int, actors: int, days: int, *, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    activity = rng.pareto(2.1, actors) + 1.0
    p = activity / activity.sum()
    src = rng.choice(actors, size=n, p=p)
    # 80 % of contacts inside the caller's community of 50
    inside = rng.random(n) < 0.8
    dst = np.where(inside, (src // 50) * 50 + rng.integers(0, 50, n), rng.choice(actors, n, p=p))
    dst = np.where(dst == src, (dst + 1) % actors, dst)
    t = np.sort(rng.integers(0, days * 86_400, n))
    return pd.DataFrame(
        {
            "src": pd.Series(src).map("A{:07d}".format),
            "dst": pd.Series(dst).map("A{:07d}".format),
            "start": pd.Timestamp("2024-01-08", tz="UTC") + pd.to_timedelta(t, unit="s"),
            "duration_s": rng.integers(0, 600, n),
        }
    )


def naive_follow_ups(frame: pd.DataFrame, window_s: float) -> np.ndarray:
    """What one would write by hand: per call, the callee's later calls within the window."""
    by_caller = {k: g for k, g in frame.groupby("src")}
    out = np.zeros(len(frame))
    for i, row in enumerate(frame.itertuples(index=False)):
        later = by_caller.get(row.dst)
        if later is None:
            continue
        end = row.start + pd.Timedelta(seconds=int(row.duration_s) + window_s)
        hit = (later["start"] > row.start) & (later["start"] <= end) & (later["dst"] != row.src)
        out[i] = int(hit.sum())
    return out


def main() -> None:
    from graphkit.analytics.relays import relay_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--actors", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    frame = synthetic_contacts(args.contacts, args.actors, args.days, seed=args.seed)
    communities = {f"A{i:07d}": i // 50 for i in range(args.actors)}
    started = time.perf_counter()
    cpu = time.process_time()
    table = relay_table(frame, actor_to_community=communities)
    wall_big, cpu_big = time.perf_counter() - started, time.process_time() - cpu
    heads = int((table["relay_tier"] > 0).sum())

    small = frame.iloc[: args.small].copy()
    started = time.perf_counter()
    relay_table(small)
    wall_small = time.perf_counter() - started
    started = time.perf_counter()
    naive_follow_ups(small, 1800.0)
    wall_naive = time.perf_counter() - started

    rows = [
        ("relay_table, communities given", args.contacts, wall_big, f"{cpu_big:.2f}"),
        ("relay_table (follow-ups, null model, tests)", args.small, wall_small, ""),
        ("per-call pandas loop (follow-up counts only)", args.small, wall_naive, ""),
    ]
    print(f"{'run':<50} {'contacts':>10} {'wall s':>8} {'CPU s':>8}")
    for name, n, wall, cpu_s in rows:
        print(f"{name:<50} {n:>10,} {wall:>8.2f} {cpu_s:>8}")
    ratio = wall_naive / max(wall_small, 1e-9)
    extrapolated = wall_naive * args.contacts / args.small
    print(f"speed-up on {args.small:,} contacts: {ratio:.0f}x; per-call loop extrapolated to")
    print(f"{args.contacts:,} contacts: {extrapolated:,.0f} s against {wall_big:.1f} s")
    print(f"chain heads or middle links found in random contacts (should be 0): {heads}")


if __name__ == "__main__":
    main()
