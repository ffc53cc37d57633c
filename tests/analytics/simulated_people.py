"""A simulated case as a person-level call graph, fast: the simulator's own people, groups and
ties (graphkit.simulate), calls drawn per tie, no records, no resolution.

The full pipeline (simulate -> ingest -> resolve -> build -> analyze) takes minutes per case;
the claims about groups (is a hierarchy stated, is the boss near the top) depend on who calls
whom, which the simulator decides in its tie plan. Drawing each tie's calls from its rate and
caller share (Poisson count over the days it is valid, binomial split) gives the same graph
the CDRs would, without the records: enough seeds and sizes for a test to be a measurement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphkit.simulate.groups import BOSS
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.stage import _build_world

DAY_S = 86_400


@dataclass(frozen=True)
class PeopleCase:
    edges: pd.DataFrame  # src, dst, weight, layer (calls: a directed count)
    people: list[str]
    group: pd.Series  # person -> planted group (-1 none)
    boss: pd.Series  # planted group -> its boss


def _relayed(
    world: object,
    spec: SimulationSpec,
    ties: object,
    a_calls: np.ndarray,
    calls: np.ndarray,
    ids: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The contacts the simulator adds for orders relayed down the chain
    (graphkit.simulate.relays): each contact from a boss to one of his lieutenants is an
    order with probability ``relay_share``; the lieutenant then contacts each soldier of his
    crew with probability ``relay_reach`` (at least one). Soldiers have nobody below them."""
    g = world.groups  # type: ignore[attr-defined]
    rows: list[tuple[int, int]] = []
    down = {}
    for a, b, ab, total in zip(ties.a, ties.b, a_calls, calls, strict=True):  # type: ignore[attr-defined]
        down[(int(a), int(b))] = int(ab)
        down[(int(b), int(a))] = int(total - ab)
    for k in range(g.count):
        boss = g.boss(k)
        for lt in g.lieutenants(k):
            crew = np.flatnonzero((g.crew == lt) & (np.arange(len(g.crew)) != lt))
            if crew.size == 0:
                continue
            orders = rng.binomial(down.get((boss, int(lt)), 0), spec.relay_share)
            for _ in range(orders):
                reach = rng.random(crew.size) < spec.relay_reach
                reach[rng.integers(0, crew.size)] = True
                rows += [(int(lt), int(s)) for s in crew[reach]]
    if not rows:
        return pd.DataFrame(columns=["src", "dst", "weight"])
    src, dst = np.array(rows).T
    return pd.DataFrame({"src": ids[src], "dst": ids[dst], "weight": 1.0})


def people_case(seed: int, people: int, groups: int, days: int = 30) -> PeopleCase:
    spec = SimulationSpec(seed=seed, people=people, groups=groups, days=days)
    world = _build_world(spec)
    ties = world.plan.ties
    rng = np.random.default_rng(seed + 1_000)
    active_days = np.clip((ties.to_s - ties.from_s) / DAY_S, 0, days)
    calls = rng.poisson(ties.rate_per_day * active_days)
    a_calls = rng.binomial(calls, ties.p_a_calls)
    n = world.pop.size  # nodes past the people are household landlines (phone actors)
    top = int(max(ties.a.max(), ties.b.max())) + 1 if ties.size else n
    ids = np.array([f"P{i:06d}" if i < n else f"L{i - n:06d}" for i in range(max(top, n))])
    edges = pd.DataFrame(
        {
            "src": np.r_[ids[ties.a], ids[ties.b]],
            "dst": np.r_[ids[ties.b], ids[ties.a]],
            "weight": np.r_[a_calls, calls - a_calls].astype(float),
        }
    )
    edges = pd.concat([edges, _relayed(world, spec, ties, a_calls, calls, ids, rng)])
    edges = edges[edges["weight"] > 0].groupby(["src", "dst"], as_index=False)["weight"].sum()
    g = world.groups
    group = pd.Series(np.r_[g.group, np.full(len(ids) - n, -1)], index=ids)
    boss = pd.Series({k: ids[g.boss(k)] for k in range(groups)})
    assert (g.rank[[g.boss(k) for k in range(groups)]] == BOSS).all()
    return PeopleCase(edges.assign(layer="calls"), list(ids), group, boss)


def timed_people_case(
    seed: int, people: int, groups: int, days: int = 30
) -> tuple[PeopleCase, pd.DataFrame]:
    """The same world with the simulator's own day-by-day contacts and relayed orders
    (graphkit.simulate.events and .relays), people as the ends instead of their phones: the
    call graph and the time-stamped contacts the relayed-orders test reads."""
    from graphkit.simulate.events import EventModel, day_events
    from graphkit.simulate.relays import RelayModel, relay_events
    from graphkit.simulate.stage import _rng

    spec = SimulationSpec(seed=seed, people=people, groups=groups, days=days)
    world = _build_world(spec)
    model = EventModel.build(world.plan, world.pop, world.towers, spec, _rng(seed, "places"))
    chain = RelayModel.build(world.plan, world.groups)
    parts = []
    for day in range(days):
        events = day_events(model, day, _rng(seed, "cdr", day))
        events, _ = relay_events(model, chain, events, day, spec, _rng(seed, "relays", day))
        parts.append((events.caller_node, events.callee_node, events.time_s, events.duration_s))
    a, b, t, duration = (np.concatenate(x) for x in zip(*parts, strict=True))
    n = world.pop.size
    top = int(max(a.max(), b.max(), n - 1)) + 1
    ids = np.array([f"P{i:06d}" if i < n else f"L{i - n:06d}" for i in range(top)])
    contacts = pd.DataFrame(
        {
            "src": ids[a],
            "dst": ids[b],
            "start": pd.to_datetime(spec.start_epoch_s + t, unit="s", utc=True),
            "duration_s": duration,
        }
    )
    edges = contacts.groupby(["src", "dst"], as_index=False).size()
    edges = edges.rename(columns={"size": "weight"}).astype({"weight": float})
    g = world.groups
    group = pd.Series(np.r_[g.group, np.full(len(ids) - n, -1)], index=ids)
    boss = pd.Series({k: ids[g.boss(k)] for k in range(groups)})
    return PeopleCase(edges.assign(layer="calls"), list(ids), group, boss), contacts
