"""A small, seeded, vectorised generator of call records with planted blackouts and hand-offs.

Test helper only (the product's generator is ``graphkit simulate``); the detectors never import
it. The world: people in communities (some are organised groups), each with a heavy-tailed
activity level, a personal hour-of-week rhythm (chronotype shift, weekend level, some keep office
hours only), day-to-day over-dispersion (gamma multipliers), weighted contact lists and home/work
cells. Planted: individual blackouts (some never resume), group blackouts (most members silent
with jittered starts), group-wide burner hand-offs (old numbers stop, new ones start within a
day, contacts drift, same cells and rhythm; optional IMEI reuse), natural churn (numbers that
start late or stop early) and decoy numbers that start at hand-off times with unrelated contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

EPOCH = pd.Timestamp("2026-01-05", tz="UTC")  # a Monday
_DIURNAL = np.array(
    [
        0.10,
        0.05,
        0.03,
        0.03,
        0.03,
        0.08,
        0.30,
        0.70,
        1.00,
        1.20,
        1.30,
        1.30,
        1.40,
        1.30,
        1.30,
        1.30,
        1.40,
        1.50,
        1.60,
        1.60,
        1.50,
        1.20,
        0.80,
        0.40,
    ]
)


@dataclass(frozen=True)
class SimConfig:
    n_people: int = 2000
    days: int = 42
    n_groups: int = 24
    n_individual_blackouts: int = 40
    n_group_blackouts: int = 6
    n_handoff_groups: int = 6
    decoys_per_handoff_group: int = 3
    churn_fraction: float = 0.04
    dispersion: float = 0.25  # 1/k of the gamma day multiplier
    contact_drift: float = 0.3  # share of contact slots replaced on a new number
    min_blackout_rate: float = 3.0  # originations/day of people chosen for blackouts
    blackout_days: tuple[float, float] = (3.0, 8.0)  # length of individual blackouts
    imei: bool = False
    # hand-off groups that later go silent together on their new numbers (own random stream)
    group_blackouts_after_handoff: int = 0
    seed: int = 0


@dataclass(frozen=True)
class SimCase:
    events: pd.DataFrame  # caller, callee, start, duration_s, event_type, cell_id, imei
    silences: pd.DataFrame  # phone, start, end, resumed, cause (blackout|group|handoff|churn)
    group_blackouts: pd.DataFrame  # community, phones, start, end
    handoffs: pd.DataFrame  # old, new, community, time
    phone_to_person: dict[str, str]
    person_to_community: dict[str, str]
    phone_to_community: dict[str, str]


def simulate(config: SimConfig = SimConfig()) -> SimCase:
    """Generate one case; same config, same output."""
    c = config
    rng = np.random.default_rng(c.seed)
    n_hours = c.days * 24
    n = c.n_people
    n_decoys = c.n_handoff_groups * c.decoys_per_handoff_group
    total = n + n_decoys  # decoys are extra people, appended at the end

    # communities: organised groups first (5-10), then background communities (8-20)
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(
            int(rng.integers(5, 11)) if len(sizes) < c.n_groups else int(rng.integers(8, 21))
        )
    community = np.repeat(np.arange(len(sizes)), sizes)[:n]
    community = np.concatenate([community, len(sizes) + np.arange(n_decoys)])

    # activity: originations per day, hour-of-week rhythm, home/work/other cells
    rate = np.clip(rng.lognormal(np.log(4.0), 0.6, total), 0.7, 40.0)
    shift = rng.integers(-2, 3, total)
    hours = (np.arange(24)[None, :] - shift[:, None]) % 24
    daily = _DIURNAL[hours]
    weekend = rng.uniform(0.4, 1.2, total)
    office = rng.random(total) < 0.12
    profile = np.tile(daily, (1, 7))  # (total, 168)
    profile[:, 120:] *= weekend[:, None]
    office_mask = np.zeros(168, bool)
    for d in range(5):
        office_mask[d * 24 + 9 : d * 24 + 18] = True
    profile[office] = np.where(office_mask, 1.0, 0.0)[None, :]
    profile /= profile.mean(axis=1, keepdims=True)
    # cells: home and a third place in the community's neighbourhood (6 cells), work anywhere
    hood = rng.integers(0, 400 - 6, community.max() + 1)[community]
    cells = np.stack(
        [
            hood + rng.integers(0, 6, total),
            rng.integers(0, 400, total),
            hood + rng.integers(0, 6, total),
        ],
        axis=1,
    )

    # contacts: 10 weighted slots, 70% within the community
    k_slots = 10
    mates = _community_mates(community, rng, total, k_slots)
    random_people = rng.integers(0, n, (total, k_slots))
    contacts = np.where(rng.random((total, k_slots)) < 0.7, mates, random_people)
    contacts = np.where(contacts == np.arange(total)[:, None], random_people, contacts)
    slot_w = 1.0 / (1.0 + np.arange(k_slots))
    slot_cum = np.cumsum(slot_w / slot_w.sum())

    # lives (hours from EPOCH): churn starts late / stops early
    start_h = np.zeros(total)
    end_h = np.full(total, float(n_hours))
    churn = rng.random(n) < c.churn_fraction
    late = churn & (rng.random(n) < 0.5)
    start_h[:n][late] = rng.uniform(7 * 24, n_hours - 7 * 24, int(late.sum()))
    early = churn & ~late
    end_h[:n][early] = rng.uniform(10 * 24, n_hours - 3 * 24, int(early.sum()))

    # hand-offs: whole groups swap around a group time
    groups = np.arange(c.n_groups)
    order = rng.permutation(groups)
    handoff_groups = order[: c.n_handoff_groups]
    blackout_groups = order[c.n_handoff_groups : c.n_handoff_groups + c.n_group_blackouts]
    old_end = np.full(total, np.nan)
    new_start = np.full(total, np.nan)
    contacts_after = contacts.copy()
    handoff_rows = []
    for gi, g in enumerate(handoff_groups):
        members = np.flatnonzero(community[:n] == g)
        t_swap = rng.uniform(14 * 24, n_hours - 10 * 24)
        old_end[members] = t_swap + rng.uniform(-12, 12, len(members))
        new_start[members] = old_end[members] + rng.uniform(1, 20, len(members))
        start_h[members], end_h[members] = 0.0, float(n_hours)
        decoys = n + gi * c.decoys_per_handoff_group + np.arange(c.decoys_per_handoff_group)
        start_h[decoys] = t_swap + rng.uniform(-12, 12, len(decoys))
        for m in members:
            handoff_rows.append((int(m), int(g), float(old_end[m])))
    drift = rng.random((total, k_slots)) < c.contact_drift
    contacts_after = np.where(drift, rng.integers(0, n, (total, k_slots)), contacts_after)
    swapped = ~np.isnan(old_end)

    # blackouts: individual (20% never resume) and group-wide
    bo_lo = np.full(total, np.nan)
    bo_hi = np.full(total, np.nan)
    bo_cause = np.full(total, "", dtype=object)
    eligible = np.flatnonzero((rate[:n] >= c.min_blackout_rate) & ~churn & ~swapped[:n])
    group_rows = []
    for g in blackout_groups:
        members = np.flatnonzero(community[:n] == g)
        members = members[~churn[members] & ~swapped[members]]
        k = max(2, int(np.ceil(0.7 * len(members))))
        chosen = rng.choice(members, size=min(k, len(members)), replace=False)
        t0 = rng.uniform(7 * 24, n_hours - 10 * 24)
        length = rng.uniform(3, 6) * 24
        bo_lo[chosen] = t0 + rng.uniform(-6, 6, len(chosen))
        bo_hi[chosen] = t0 + length + rng.uniform(-6, 6, len(chosen))
        bo_cause[chosen] = "group"
        group_rows.append((int(g), chosen, float(bo_lo[chosen].max()), float(bo_hi[chosen].min())))
    after_rng = np.random.default_rng([c.seed, 1])
    for g in handoff_groups[: c.group_blackouts_after_handoff]:
        members = np.flatnonzero((community[:n] == g) & swapped[:n] & ~churn)
        k = max(2, int(np.ceil(0.7 * len(members))))
        chosen = after_rng.choice(members, size=min(k, len(members)), replace=False)
        t0 = after_rng.uniform(np.nanmax(new_start[members]) + 48, n_hours - 5 * 24)
        length = after_rng.uniform(3, 5) * 24
        bo_lo[chosen] = t0 + after_rng.uniform(-6, 6, len(chosen))
        bo_hi[chosen] = t0 + length + after_rng.uniform(-6, 6, len(chosen))
        bo_cause[chosen] = "group"
        group_rows.append((int(g), chosen, float(bo_lo[chosen].max()), float(bo_hi[chosen].min())))
    free = eligible[np.isnan(bo_lo[eligible])]
    chosen = rng.choice(free, size=min(c.n_individual_blackouts, len(free)), replace=False)
    bo_lo[chosen] = rng.uniform(7 * 24, n_hours - 9 * 24, len(chosen))
    bo_hi[chosen] = bo_lo[chosen] + rng.uniform(*c.blackout_days, len(chosen)) * 24
    never = rng.random(len(chosen)) < 0.2
    bo_hi[chosen[never]] = np.inf
    bo_cause[chosen] = "blackout"

    # events: Poisson per person-hour with gamma day multipliers
    k_shape = 1.0 / c.dispersion
    day_mult = rng.gamma(k_shape, 1.0 / k_shape, (total, c.days))
    how = np.arange(n_hours) % 168
    lam = (rate[:, None] / 24.0) * profile[:, how] * np.repeat(day_mult, 24, axis=1)
    counts = rng.poisson(lam)
    who, hour = np.nonzero(counts)
    reps = counts[who, hour]
    who, hour = np.repeat(who, reps), np.repeat(hour, reps)
    t = hour + rng.random(len(who))
    after = t >= np.nan_to_num(new_start[who], nan=np.inf)
    slot = np.searchsorted(slot_cum, rng.random(len(who)) * slot_cum[-1])
    slot = np.minimum(slot, k_slots - 1)
    other = np.where(after, contacts_after[who, slot], contacts[who, slot])
    ok = _available(who, t, start_h, end_h, bo_lo, bo_hi, old_end, new_start)
    # a contact who cannot be reached is replaced by someone else (one retry)
    away = ~_available(other, t, start_h, end_h, bo_lo, bo_hi, old_end, new_start)
    other = np.where(away, rng.integers(0, n, len(who)), other)
    ok &= _available(other, t, start_h, end_h, bo_lo, bo_hi, old_end, new_start)
    ok &= other != who
    who, other, t, hour = who[ok], other[ok], t[ok], hour[ok]

    phones_old = np.array([f"+4477{i:08d}" for i in range(total)], dtype=object)
    phones_new = np.array([f"+4478{i:08d}" for i in range(total)], dtype=object)
    caller = _phone_at(who, t, phones_old, phones_new, new_start)
    callee = _phone_at(other, t, phones_old, phones_new, new_start)
    hod = hour % 24
    weekday = (hour // 24) % 7 < 5
    at_work = weekday & (hod >= 9) & (hod < 18)
    u = rng.random(len(who))
    cell_slot = np.where(
        at_work, np.where(u < 0.7, 1, np.where(u < 0.9, 0, 2)), np.where(u < 0.75, 0, 2)
    )
    cell = np.array([f"C{v:04d}" for v in range(400)], dtype=object)[cells[who, cell_slot]]
    sms = rng.random(len(who)) < 0.3
    imei_old = np.array([f"35{i:013d}" for i in range(total)], dtype=object)
    imei_new = np.array([f"86{i:013d}" for i in range(total)], dtype=object)
    reuse = rng.random(total) < 0.5
    imei_new = np.where(reuse, imei_old, imei_new)
    imei = _phone_at(who, t, imei_old, imei_new, new_start) if c.imei else None
    events = pd.DataFrame(
        {
            "caller": caller,
            "callee": callee,
            "start": EPOCH + pd.to_timedelta(np.round(t * 3600), unit="s"),
            "duration_s": np.where(sms, 0, rng.integers(5, 600, len(who))),
            "event_type": np.where(sms, "sms", "call"),
            "cell_id": cell,
            "imei": imei,
        }
    )
    events = events.sort_values(["start", "caller"], kind="stable").reset_index(drop=True)

    def ts(h: float) -> pd.Timestamp:
        return EPOCH + pd.Timedelta(hours=min(h, n_hours))

    def phone_at(p: int, h: float) -> str:
        return str(_phone_at(np.array([p]), np.array([h]), phones_old, phones_new, new_start)[0])

    silences = []
    for p in np.flatnonzero(~np.isnan(bo_lo)):
        silences.append(
            (
                phone_at(p, bo_lo[p]),
                ts(bo_lo[p]),
                ts(bo_hi[p]),
                bool(np.isfinite(bo_hi[p])),
                bo_cause[p],
            )
        )
    for p in np.flatnonzero(swapped):
        silences.append((phones_old[p], ts(old_end[p]), ts(n_hours), False, "handoff"))
    for p in np.flatnonzero(end_h < n_hours):
        silences.append((phones_old[p], ts(end_h[p]), ts(n_hours), False, "churn"))
    handoffs = pd.DataFrame(
        [(phones_old[m], phones_new[m], str(g), ts(te)) for m, g, te in handoff_rows],
        columns=["old", "new", "community", "time"],
    )
    groups_df = pd.DataFrame(
        [
            (str(g), sorted(phone_at(p, lo) for p in m), ts(lo), ts(hi))
            for g, m, lo, hi in group_rows
        ],
        columns=["community", "phones", "start", "end"],
    )
    person = {str(ph): f"P{i}" for i, ph in enumerate(phones_old)}
    person.update({str(phones_new[i]): f"P{i}" for i in np.flatnonzero(swapped)})
    person_comm = {f"P{i}": str(community[i]) for i in range(total)}
    phone_comm = {ph: person_comm[p] for ph, p in person.items()}
    return SimCase(
        events,
        pd.DataFrame(silences, columns=["phone", "start", "end", "resumed", "cause"]),
        groups_df,
        handoffs,
        person,
        person_comm,
        phone_comm,
    )


def _community_mates(
    community: np.ndarray, rng: np.random.Generator, total: int, k_slots: int
) -> np.ndarray:
    """k random members of each person's own community (vectorised over sorted blocks)."""
    order = np.argsort(community, kind="stable")
    comm_sorted = community[order]
    first = np.searchsorted(comm_sorted, community, side="left")
    size = np.searchsorted(comm_sorted, community, side="right") - first
    pick = first[:, None] + (rng.random((total, k_slots)) * size[:, None]).astype(np.int64)
    return order[pick]


def _available(
    p: np.ndarray,
    t: np.ndarray,
    start_h: np.ndarray,
    end_h: np.ndarray,
    bo_lo: np.ndarray,
    bo_hi: np.ndarray,
    old_end: np.ndarray,
    new_start: np.ndarray,
) -> np.ndarray:
    alive = (t >= start_h[p]) & (t < end_h[p])
    in_blackout = (t >= bo_lo[p]) & (t < bo_hi[p])  # NaN compares False
    between_phones = (t >= old_end[p]) & (t < new_start[p])
    return alive & ~in_blackout & ~between_phones


def _phone_at(
    p: np.ndarray, t: np.ndarray, old: np.ndarray, new: np.ndarray, new_start: np.ndarray
) -> np.ndarray:
    return np.where(t >= np.nan_to_num(new_start[p], nan=np.inf), new[p], old[p])


def overlaps(a_lo: pd.Series, a_hi: pd.Series, b_lo: pd.Timestamp, b_hi: pd.Timestamp) -> pd.Series:
    return (a_lo < b_hi) & (b_lo < a_hi)


def blackout_scores(detected: pd.DataFrame, case: SimCase) -> dict[str, float]:
    """Precision (detected phone silences overlapping a true silence of that phone) and
    recall (planted blackouts, resumed or not, overlapped by a detection)."""
    truth = case.silences
    det = detected[detected["kind"] == "phone"]
    merged = det.merge(truth, left_on="id", right_on="phone", how="left", suffixes=("", "_t"))
    merged["hit"] = overlaps(merged["start"], merged["end"], merged["start_t"], merged["end_t"])
    hits = merged.groupby(["id", "start"])["hit"].any()
    planted = truth[truth["cause"].isin(["blackout", "group"])]
    m2 = planted.merge(det, left_on="phone", right_on="id", how="left", suffixes=("", "_d"))
    m2["hit"] = overlaps(m2["start"], m2["end"], m2["start_d"], m2["end_d"])
    found = m2.groupby(["phone", "start"])["hit"].any()
    return {
        "precision": float(hits.mean()) if len(hits) else 0.0,
        "recall": float(found.mean()) if len(found) else 0.0,
        "detected": float(len(hits)),
        "planted": float(len(found)),
    }


def group_scores(
    detected: pd.DataFrame, case: SimCase, *, same_community: bool = True
) -> dict[str, float]:
    """Group blackouts, strictly: recall of planted ones (a group row of that community
    whose members hold at least half of the planted numbers, overlapping the window) and
    precision (group rows at least half of whose members were silent in a planted *group*
    blackout overlapping the row; a member silent by chance or at a hand-off does not count).
    Members' phones are those the row's evidence lists (``member_phones``), else the
    person's phones in the case. ``same_community=False`` accepts a row of any community id
    (for runs on communities other than the generator's)."""
    groups = detected[detected["kind"] == "group"]
    person_phones: dict[str, set[str]] = {}
    for phone, person in case.phone_to_person.items():
        person_phones.setdefault(person, set()).add(phone)
    planted = case.silences[case.silences["cause"] == "group"]

    def phones_of(row: object) -> list[set[str]]:
        listed = getattr(row, "evidence", {}).get("member_phones", {})
        return [set(listed.get(m, [])) | person_phones.get(m, {m}) for m in row.members]

    correct = []
    for row in groups.itertuples():
        live = planted[overlaps(planted["start"], planted["end"], row.start, row.end)]
        silent = sum(bool(ph & set(live["phone"])) for ph in phones_of(row))
        correct.append(silent >= len(row.members) / 2)
    found = []
    for g in case.group_blackouts.itertuples():
        rows = groups[(groups["id"] == g.community)] if same_community else groups
        rows = rows[overlaps(rows["start"], rows["end"], g.start, g.end)]
        held = [set().union(*phones_of(r)) for r in rows.itertuples()]
        found.append(any(len(set(g.phones) & h) >= len(g.phones) / 2 for h in held))
    return {
        "precision": float(np.mean(correct)) if correct else 0.0,
        "recall": float(np.mean(found)) if found else 0.0,
        "detected": float(len(correct)),
        "planted": float(len(found)),
    }


def write_truth(case: SimCase, truth_dir: Path, *, days: int) -> Path:
    """The planted truth in the layout of ``graphkit simulate``'s truth folder (the files the
    signal evaluators read: blackouts.csv, phones.csv, handoffs.csv)."""
    truth_dir.mkdir(parents=True, exist_ok=True)
    iso = "%Y-%m-%dT%H:%M:%SZ"
    end = EPOCH + pd.Timedelta(days=days)
    planted = case.silences[case.silences["cause"].isin(["blackout", "group"])]
    pd.DataFrame(
        {
            "blackout_id": [f"B{i:04d}" for i in range(len(planted))],
            "scope": np.where(planted["cause"] == "group", "group", "person"),
            "group_id": [case.phone_to_community[p] for p in planted["phone"]],
            "person_id": [case.phone_to_person[p] for p in planted["phone"]],
            "msisdns": planted["phone"].to_numpy(),
            "start": planted["start"].dt.strftime(iso).to_numpy(),
            "end": planted["end"].dt.strftime(iso).to_numpy(),
            "resumed": planted["resumed"].map({True: "true", False: "false"}).to_numpy(),
        }
    ).to_csv(truth_dir / "blackouts.csv", index=False)
    stops = case.silences[case.silences["cause"].isin(["handoff", "churn"])]
    valid_to = dict(zip(stops["phone"], stops["start"], strict=True))
    phones = sorted(set(case.events["caller"]) | set(case.events["callee"]))
    pd.DataFrame(
        {
            "msisdn": phones,
            "person_id": [case.phone_to_person.get(p, "") for p in phones],
            "valid_to": [valid_to.get(p, end).strftime(iso) for p in phones],
            "kind": "mobile",
        }
    ).to_csv(truth_dir / "phones.csv", index=False)
    pd.DataFrame({"old_msisdn": case.handoffs["old"], "new_msisdn": case.handoffs["new"]}).to_csv(
        truth_dir / "handoffs.csv", index=False
    )
    return truth_dir
