"""Orders relayed down the chain of command: the calls a subordinate places after an order.

A contact from a superior to a direct subordinate (boss -> lieutenant, lieutenant -> soldier
of his crew) is, with probability ``spec.relay_share``, an order that the subordinate passes
on: after the contact ends and a log-normal delay (median ``spec.relay_delay_median_s``), he
contacts each of his own subordinates with probability ``spec.relay_reach`` (at least one).
Relayed contacts are themselves contacts down the hierarchy, so they can be relayed again
(soldiers have nobody below them, so chains end there). This is the pattern analysts chart as
"call sequences" (a call in, then calls out within minutes); it is what
:mod:`graphkit.analytics.relays` looks for.

Relays use only ties that exist and are active at that moment (never a hidden tie) and only
phones in use (a silent member relays nothing, so blackouts stay silent); relays that would
fall after the end of the order's day are dropped. They are drawn from their own random
stream, so every other event of the day is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphkit.simulate.events import DayEvents, EventModel, caller_cells, lookup_phone
from graphkit.simulate.groups import Groups
from graphkit.simulate.plan import DAY_S, Plan
from graphkit.simulate.spec import SimulationSpec

__all__ = ["RELAY_COLUMNS", "RelayModel", "relay_events"]

RELAY_COLUMNS = ["time", "relayer", "recipient", "order_from", "order_time", "delay_s", "depth"]
_MAX_DEPTH = 3


@dataclass(frozen=True)
class RelayModel:
    """Who is whose direct superior, who is below whom, and the ties that can carry relays."""

    superior: np.ndarray  # per node (persons and landlines): direct superior, -1 none
    sub_ptr: np.ndarray  # CSR of direct subordinates per person
    sub_idx: np.ndarray
    tie_key: np.ndarray  # sorted unordered pair keys of plan.ties
    tie_from: np.ndarray
    tie_to: np.ndarray
    nodes: int

    @staticmethod
    def build(plan: Plan, groups: Groups) -> RelayModel:
        n = groups.group.shape[0]
        nodes = n + plan.house_landline.shape[0]
        superior = np.full(nodes, -1, dtype=np.int64)
        for g in range(groups.count):
            boss = groups.boss(g)
            superior[groups.lieutenants(g)] = boss
        soldiers = np.flatnonzero((groups.crew >= 0) & (groups.crew != np.arange(n)))
        superior[soldiers] = groups.crew[soldiers]
        below = np.flatnonzero(superior >= 0)
        order = below[np.argsort(superior[below], kind="stable")]
        counts = np.bincount(superior[order], minlength=nodes)
        ties = plan.ties
        key = np.minimum(ties.a, ties.b) * nodes + np.maximum(ties.a, ties.b)
        by_key = np.argsort(key, kind="stable")
        return RelayModel(
            superior=superior,
            sub_ptr=np.r_[0, np.cumsum(counts)],
            sub_idx=order,
            tie_key=key[by_key],
            tie_from=ties.from_s[by_key],
            tie_to=ties.to_s[by_key],
            nodes=nodes,
        )

    def tie_active(self, a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Whether some tie between ``a`` and ``b`` is active at ``t``."""
        key = np.minimum(a, b) * self.nodes + np.maximum(a, b)
        lo = np.searchsorted(self.tie_key, key, side="left")
        hi = np.searchsorted(self.tie_key, key, side="right")
        active = np.zeros(key.shape[0], dtype=bool)
        for k in range(int((hi - lo).max()) if key.size else 0):
            i = np.minimum(lo + k, self.tie_key.shape[0] - 1)
            ok = (lo + k < hi) & (self.tie_from[i] <= t) & (t < self.tie_to[i])
            active |= ok
        return active


def relay_events(
    model: EventModel,
    relays: RelayModel,
    events: DayEvents,
    day: int,
    spec: SimulationSpec,
    rng: np.random.Generator,
) -> tuple[DayEvents, np.ndarray]:
    """The day's events with the relayed contacts added (time order), and one truth row per
    relayed contact (columns :data:`RELAY_COLUMNS`, node indices and seconds)."""
    end = (day + 1) * DAY_S
    weekend = (model.start_dow + day) % 7 >= 5
    parts = [events]
    truth: list[np.ndarray] = []
    frontier = events
    for depth in range(1, _MAX_DEPTH + 1):
        callee = frontier.callee_node
        is_order = (callee < relays.superior.shape[0]) & (
            relays.superior[np.minimum(callee, relays.superior.shape[0] - 1)]
            == frontier.caller_node
        )
        is_order &= rng.random(frontier.size) < spec.relay_share
        src = np.flatnonzero(is_order)
        relayer = callee[src]
        n_sub = relays.sub_ptr[relayer + 1] - relays.sub_ptr[relayer]
        src, relayer, n_sub = src[n_sub > 0], relayer[n_sub > 0], n_sub[n_sub > 0]
        if src.size == 0:
            break
        pair = np.repeat(np.arange(src.size), n_sub)
        offset = np.arange(pair.size) - np.repeat(np.cumsum(n_sub) - n_sub, n_sub)
        recipient = relays.sub_idx[relays.sub_ptr[relayer][pair] + offset]
        forced = rng.integers(0, n_sub)
        chosen = (rng.random(pair.size) < spec.relay_reach) | (offset == forced[pair])
        ends = frontier.time_s[src] + frontier.duration_s[src]
        delay = np.rint(
            spec.relay_delay_median_s * rng.lognormal(0.0, spec.relay_delay_sigma, pair.size)
        ).astype(np.int64)
        t = ends[pair] + np.maximum(delay, 1)
        sms = rng.random(pair.size) < 0.55
        duration = np.clip(rng.lognormal(4.0, 1.1, pair.size), 1, 7200).astype(np.int64)
        roam = rng.random(pair.size) < 0.15
        roam_pick = rng.integers(0, 3, pair.size)
        caller_node = relayer[pair]
        keep = chosen & (t < end) & relays.tie_active(caller_node, recipient, t)
        phone, imei = lookup_phone(model, caller_node, t)
        callee_phone, _ = lookup_phone(model, recipient, t)
        keep &= (phone >= 0) & (callee_phone >= 0)
        hour = (t - day * DAY_S) // 3600
        cell = caller_cells(model, caller_node, hour, weekend, roam, roam_pick)
        k = np.flatnonzero(keep)
        new = DayEvents(
            time_s=t[k],
            caller=phone[k],
            callee=callee_phone[k],
            sms=sms[k],
            duration_s=np.where(sms, 0, duration)[k],
            cell=cell[k],
            imei=imei[k],
            caller_node=caller_node[k],
            callee_node=recipient[k],
        )
        order_idx = src[pair[k]]
        truth.append(
            np.stack(
                [
                    t[k],
                    caller_node[k],
                    recipient[k],
                    frontier.caller_node[order_idx],
                    frontier.time_s[order_idx],
                    t[k] - ends[pair[k]],
                    np.full(k.size, depth),
                ],
                axis=1,
            )
        )
        parts.append(new)
        frontier = new
    merged = DayEvents.concat(parts)
    order = np.argsort(merged.time_s, kind="stable")
    rows = np.concatenate(truth) if truth else np.zeros((0, len(RELAY_COLUMNS)), np.int64)
    return merged.take(order), rows
