"""Group blackouts: several members of one community silent in an overlapping window.

Candidates come from the members' own silences that pass a loose false-discovery screen
(``q <= screen_q``; members of a community call each other, so their silences are not
independent and a screen on each member's own evidence keeps chance pairs out). At the start
of each such silence, the members silent at that moment define a window: from that start to
the earliest end among them (and, for smaller subsets, to later ends). For a window ``W`` and a
community of ``n`` tested members, each member ``i`` would be silent by chance with probability
``p_i(W)`` (its own gamma-Poisson zero probability, :mod:`graphkit.signals.silences`); the
number silent is then Poisson-binomial and the p-value is ``P(X >= k)`` for the ``k`` members
observed silent over ``W``. As ``W`` is chosen from the data, that p-value is multiplied by the
number of disjoint windows of its length in the span scanned (a Bonferroni bound for the scan
statistic, cf. Naus 1982; Kulldorff 1997 calibrates the same by Monte Carlo). Candidate windows
are then put through Benjamini-Hochberg, counting every community scanned as at least one test,
and overlapping windows of one community are reduced to the most significant one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from graphkit.signals.events import FloatArray, as_event_frame, from_hours
from graphkit.signals.silences import BLACKOUT_COLUMNS, SilenceTests, silence_tests
from graphkit.stats import fdr_qvalues

__all__ = [
    "detect_group_blackouts",
    "neighbours_of",
    "poisson_binomial_tail",
    "with_member_phones",
]

log = logging.getLogger(__name__)

_MAX_START_GAP_H = 24.0  # consecutive starts further apart than this do not form one run


def poisson_binomial_tail(probabilities: Any, k: int) -> float:
    """P(X >= k) for X a sum of independent Bernoulli(p_i) (exact, dynamic programming)."""
    p = np.asarray(probabilities, dtype=np.float64)
    if k <= 0:
        return 1.0
    if k > len(p):
        return 0.0
    dist = np.zeros(len(p) + 1)
    dist[0] = 1.0
    for pi in p:
        dist[1:] = dist[1:] * (1.0 - pi) + dist[:-1] * pi
        dist[0] *= 1.0 - pi
    return float(min(max(dist[k:].sum(), 0.0), 1.0))


def detect_group_blackouts(
    events: Any,
    entity_to_community: Mapping[str, str],
    *,
    phone_to_actor: Mapping[str, str] | None = None,
    q_threshold: float = 0.05,
    min_members: int = 3,
    min_overlap_hours: float = 12.0,
    screen_q: float = 0.2,
    min_silence_hours: float = 24.0,
    min_events: int = 20,
    prior_hours: float = 1.0,
    dispersion: float | None = None,
    fdr_method: Literal["bh", "by"] = "bh",
    window_end: Any = None,
) -> pd.DataFrame:
    """Communities several of whose members went silent together, with a combined p-value.

    ``entity_to_community`` maps actors (when ``phone_to_actor`` is given) or phones to a
    community id. Returns ``kind='group'`` rows (columns of
    :data:`graphkit.signals.silences.BLACKOUT_COLUMNS`): ``id`` the community, ``members``
    those silent over the window ``start``..``end``, ``expected_events`` summed over them,
    ``ended`` False when one of them never came back. Evidence lists each member's own
    silence and probability.
    """
    frame = as_event_frame(events)
    tests = silence_tests(
        frame,
        phone_to_entity=phone_to_actor,
        min_silence_hours=min_silence_hours,
        min_events=min_events,
        prior_hours=prior_hours,
        dispersion=dispersion,
        window_end=window_end,
    )
    if tests is None:
        return _empty()
    return group_blackouts_from_tests(
        tests,
        entity_to_community,
        neighbours=neighbours_of(tests, frame, phone_to_actor),
        q_threshold=q_threshold,
        min_members=min_members,
        min_overlap_hours=min_overlap_hours,
        screen_q=screen_q,
        min_silence_hours=min_silence_hours,
        fdr_method=fdr_method,
    )


def group_blackouts_from_tests(
    tests: SilenceTests,
    entity_to_community: Mapping[str, str],
    *,
    q_threshold: float = 0.05,
    min_members: int = 3,
    min_overlap_hours: float = 12.0,
    screen_q: float = 0.2,
    min_silence_hours: float = 24.0,
    fdr_method: Literal["bh", "by"] = "bh",
    neighbours: list[Any] | None = None,
    ego_min_members: int = 60,
) -> pd.DataFrame:
    """:func:`detect_group_blackouts` over silence tests already computed for the entities.

    ``neighbours[i]``: the entities entity ``i`` exchanged events with (see
    :func:`neighbours_of`). In a community of ``ego_min_members`` tested members or more
    (Leiden at a coarse resolution can hold several groups and hundreds of people), each
    silent member's ego network within the community (the member and its direct contacts)
    is scanned as well, with the same tests against that smaller reference population; every
    member of such a community counts as one more test in the FDR step, silent or not.
    """
    ids = tests.ev.ids.astype(str)
    mapped = pd.Series(ids).map(dict(entity_to_community))
    community = mapped.where(mapped.isna(), mapped.astype(str)).to_numpy()
    tested_mask = np.zeros(len(ids), bool)
    tested_mask[tests.tested] = True
    member_q = fdr_qvalues(tests.p_value, method=fdr_method)
    screened = (member_q <= screen_q) & ((tests.hi_h - tests.lo_h) >= min_silence_hours)
    screened &= pd.notna(community[tests.entity])
    sizes = pd.Series(community[tested_mask]).value_counts()
    n_scanned = int((sizes >= min_members).sum())
    # members and screened silences of each community, grouped once
    tested_ids = np.flatnonzero(tested_mask)
    members_of = pd.Series(tested_ids).groupby(community[tested_ids], sort=False).indices
    screened_idx = np.flatnonzero(screened)
    sel_of = (
        pd.Series(screened_idx).groupby(community[tests.entity[screened_idx]], sort=False).indices
    )
    # units scanned: each community (family 0) and, in large communities, each silent
    # member's ego network (family 1, a second FDR family: its tests count every member of
    # those communities, and it must not dilute the community scans)
    units: list[tuple[int, str, Any, Any]] = []
    n_egos = 0
    for comm in sorted(sel_of):
        members = tested_ids[members_of.get(comm, np.zeros(0, np.int64))]
        if len(members) < min_members:
            continue
        sel = screened_idx[sel_of[comm]]
        units.append((0, comm, members, sel))
        if neighbours is None or len(members) < ego_min_members:
            continue
        n_egos += len(members)  # every member could have been an ego: all are tests
        for ego in np.unique(tests.entity[sel]):
            near = np.intersect1d(members, np.r_[ego, neighbours[ego]])
            if len(near) >= min_members:
                units.append((1, comm, near, sel[np.isin(tests.entity[sel], near)]))
    candidates: dict[tuple[int, str, tuple[str, ...]], dict[str, Any]] = {}
    for family, comm, members, sel in units:
        for cand in _unit_candidates(tests, ids, members, sel, min_members, min_overlap_hours):
            key = (family, comm, tuple(sorted(ids[cand["silent"]])))
            if key not in candidates or cand["p_value"] < candidates[key]["p_value"]:
                candidates[key] = cand
    if not candidates:
        return _empty()
    gaps_of = _gaps_by_entity(tests)
    rows = []
    reported: dict[str, list[tuple[float, float, set[str]]]] = {}
    for family, n_units in ((0, n_scanned), (1, n_egos)):
        keys = sorted(k for k in candidates if k[0] == family)
        for key, p, q in _fdr_selection(keys, candidates, n_units, fdr_method):
            cand, comm, who = candidates[key], key[1], set(key[2])
            lo, hi = cand["lo_h"], cand["hi_h"]
            if q > q_threshold or any(
                lo < b and a < hi and who & w for a, b, w in reported.get(comm, [])
            ):
                continue  # not significant, or the same event found by the community scan
            reported.setdefault(comm, []).append((lo, hi, who))
            rows.append(_row(tests, gaps_of, ids, comm, cand, p, q))
    log.info(
        "group blackouts: %d communities scanned, %d candidate windows, %d reported",
        n_scanned,
        len(candidates),
        len(rows),
    )
    if not rows:
        return _empty()
    return pd.DataFrame(rows, columns=list(BLACKOUT_COLUMNS))


def _unit_candidates(
    tests: SilenceTests,
    ids: Any,
    members: Any,
    sel: Any,
    min_members: int,
    min_overlap_hours: float,
) -> list[dict[str, Any]]:
    """Candidate windows of one unit (community or ego network) with both p-values."""
    out = []
    span_h = tests.end_h - float(tests.base.first_h[members].min())
    for cand in _community_windows(tests, sel, members, min_members, min_overlap_hours):
        # the window was chosen from the data: Bonferroni over the disjoint windows of its
        # length in the span scanned (a bound for the scan statistic)
        n_windows = max(span_h / (cand["hi_h"] - cand["lo_h"]), 1.0)
        cand["p_silence"] = min(cand["p_raw"] * n_windows, 1.0)
        cand.update(_alignment(tests, sel, cand, span_h, min_members))
        if len(cand["aligned"]) < min_members:
            continue
        # both must hold (intersection-union test): silent, and silent together
        cand["p_value"] = max(cand["p_silence"], cand["p_alignment"])
        # the row's members are those who went silent together; others silent over the
        # window (earlier, for reasons of their own, or another group in a coarse community)
        # are listed as also silent
        keep = np.isin(cand["silent"], cand["aligned"])
        cand["also_silent"] = sorted(str(x) for x in ids[cand["silent"][~keep]])
        for name in ("silent", "expected", "p_zero"):
            cand[name] = cand[name][keep]
        out.append(cand)
    return out


def _fdr_selection(
    keys: list[tuple[int, str, tuple[str, ...]]],
    candidates: Mapping[tuple[int, str, tuple[str, ...]], dict[str, Any]],
    n_units: int,
    fdr_method: Literal["bh", "by"],
) -> list[tuple[tuple[int, str, tuple[str, ...]], float, float]]:
    """One event per overlap, then Benjamini-Hochberg with every unit scanned as a test.

    Overlapping windows of one community sharing members are one event: the most
    significant is kept before the FDR step, so that nested subsets do not inflate the ranks
    (two groups silent at once in one coarse community stay two events). Candidates exist
    only where members were already silent: every unit scanned counts as a test (p = 1
    where nothing was found), so the selection is paid for.
    """
    if not keys:
        return []
    p_all = np.array([candidates[k]["p_value"] for k in keys])
    chosen: list[int] = []
    taken: dict[str, list[tuple[float, float, set[str]]]] = {}
    for j in np.lexsort((np.arange(len(keys)), p_all)):
        comm, who = keys[j][1], set(keys[j][2])
        lo, hi = candidates[keys[j]]["lo_h"], candidates[keys[j]]["hi_h"]
        if any(lo < b and a < hi and who & w for a, b, w in taken.get(comm, [])):
            continue
        taken.setdefault(comm, []).append((lo, hi, who))
        chosen.append(int(j))
    p = p_all[chosen]
    n_tests = len(chosen) + max(n_units - len(taken), 0)
    q = fdr_qvalues(np.concatenate([p, np.ones(n_tests - len(p))]), method=fdr_method)[: len(p)]
    return [(keys[j], float(pj), float(qj)) for j, pj, qj in zip(chosen, p, q, strict=True)]


def _alignment(
    tests: SilenceTests, sel: Any, cand: dict[str, Any], span_h: float, min_members: int
) -> dict[str, Any]:
    """How unlikely it is that the members' own silences began that close together.

    Conditional on who has a screened silence (a member may be silent for reasons of their
    own), the start of each such silence is taken as uniform over the member's observed
    life ``T_i``: member ``i`` (with ``s_i`` screened silences) starts one inside a given
    window of width ``w`` with probability ``min(1, s_i w / T_i)``. For every run of ``k``
    consecutive starts (in time order) among the screened members silent over the window,
    ``w`` is the run's spread, at least the members' median time between events (a start is
    only known to that; members who call each other can share their last event); the
    Poisson-binomial tail ``P(X >= k)`` is multiplied by the number of such windows in the
    span (scan bound, as for the silence itself). Runs do not bridge two starts more than
    a day apart. The best run is kept, its p-value multiplied by the number of runs tried;
    its members are the group row's members. Chance pairs of individual blackouts in a
    community rarely start within hours of each other; coordinated ones do.
    """
    lo, hi, ent = tests.lo_h[sel], tests.hi_h[sel], tests.entity[sel]
    cover = (lo <= cand["lo_h"]) & (hi >= cand["hi_h"])
    starts: dict[int, float] = {}
    for e, t in zip(ent[cover], lo[cover], strict=True):
        starts[int(e)] = max(starts.get(int(e), -np.inf), float(t))
    k = len(starts)
    if k < min_members:
        return {"p_alignment": 1.0, "start_spread_h": None, "aligned": np.zeros(0, np.int64)}
    order = sorted(starts, key=lambda e: (starts[e], e))
    values = np.array([starts[e] for e in order])
    aligned_all = np.array(order, dtype=np.int64)
    # a start is known only to within the member's usual time between events
    life_h = np.maximum(tests.end_h - tests.base.first_h[aligned_all], 1.0)
    gaps_h = life_h / np.maximum(tests.ev.counts()[aligned_all], 1)
    screened, n_silences = np.unique(ent, return_counts=True)
    life = tests.end_h - tests.base.first_h[screened]
    # the tightest run of starts: a member silent long before (a number that stopped for
    # good) must not hide the others' alignment; every run tried is paid for (Bonferroni)
    best = (np.inf, 0.0, slice(0, 0))
    n_runs = 0
    # starts more than a day apart do not chain into one run: two groups silent at once in
    # one coarse community are two events, and an older silence does not widen a run
    chained = np.r_[True, np.diff(values) <= _MAX_START_GAP_H]
    for i in range(k):
        for j in range(i + min_members - 1, k):
            if not chained[i + 1 : j + 1].all():
                break
            n_runs += 1
            run = slice(i, j + 1)
            width = max(float(values[j] - values[i]), float(np.median(gaps_h[run])), 1.0)
            chance = np.minimum(n_silences * width / np.maximum(life, width), 1.0)
            p = poisson_binomial_tail(chance, j - i + 1) * max(span_h / width, 1.0)
            if p < best[0]:
                best = (p, width, run)
    p_best, width, run = best
    if n_runs == 0:
        return {"p_alignment": 1.0, "start_spread_h": None, "aligned": np.zeros(0, np.int64)}
    return {
        "p_alignment": min(max(p_best * n_runs, 1e-300), 1.0),
        "start_spread_h": round(width, 2),
        "aligned": np.sort(aligned_all[run]),
    }


def _gaps_by_entity(tests: SilenceTests) -> dict[int, Any]:
    order = np.argsort(tests.entity, kind="stable")
    ent_sorted = tests.entity[order]
    bounds = np.searchsorted(ent_sorted, np.arange(tests.ev.n_entities + 1))
    return {int(e): order[bounds[e] : bounds[e + 1]] for e in np.unique(tests.entity)}


def _community_windows(
    tests: SilenceTests,
    sel: Any,
    members: Any,
    min_members: int,
    min_overlap_hours: float,
) -> list[dict[str, Any]]:
    """Candidate windows of one community: at each member silence's start, nested subsets."""
    out: list[dict[str, Any]] = []
    lo, hi, ent = tests.lo_h[sel], tests.hi_h[sel], tests.entity[sel]
    for s in range(len(sel)):
        active = (lo <= lo[s]) & (hi > lo[s])
        # one silence per member: the one reaching furthest
        best: dict[int, float] = {}
        for e, h in zip(ent[active], hi[active], strict=True):
            best[int(e)] = max(best.get(int(e), -np.inf), float(h))
        if len(best) < min_members:
            continue
        ends = sorted(set(best.values()), reverse=True)
        for end in ends:
            start = float(lo[s])
            if end - start < min_overlap_hours:
                continue
            if sum(1 for h in best.values() if h >= end) < min_members:
                continue
            out.append(_evaluate_window(tests, members, start, end))
    return [c for c in out if len(c["silent"]) >= min_members]


def _evaluate_window(tests: SilenceTests, members: Any, lo_h: float, hi_h: float) -> dict[str, Any]:
    """Which members are silent over (lo, hi), each one's chance of that, and the tail."""
    n = len(members)
    lo = np.full(n, lo_h)
    hi = np.full(n, hi_h)
    eps = 1e-4  # hours (0.36 s): the events bounding the window are not in it
    counts = tests.ev.count_between(members, lo + eps, hi - eps)
    observed = tests.base.first_h[members] < lo_h  # only members already active can go silent
    members, counts, lo, hi = members[observed], counts[observed], lo[observed], hi[observed]
    expected, p_zero = tests.zero_probability(members, lo, hi)
    silent = counts == 0
    p_value = poisson_binomial_tail(p_zero, int(silent.sum()))
    return {
        "lo_h": lo_h,
        "hi_h": hi_h,
        "silent": members[silent],
        "expected": expected[silent],
        "p_zero": p_zero[silent],
        "n_members": len(members),
        "p_raw": max(p_value, 1e-300),
    }


def _row(
    tests: SilenceTests,
    gaps_of: Mapping[int, Any],
    ids: Any,
    comm: str,
    cand: dict[str, Any],
    p: float,
    q: float,
) -> dict[str, Any]:
    silent = cand["silent"]
    names = ids[silent]
    order = np.argsort(names, kind="stable")
    own: dict[str, list[str]] = {}
    never_back: list[str] = []
    for e in silent[order]:
        g = gaps_of.get(int(e), np.zeros(0, np.int64))
        k = g[(tests.lo_h[g] <= cand["lo_h"]) & (tests.hi_h[g] >= cand["hi_h"])]
        if len(k):
            ts = from_hours(np.array([tests.lo_h[k[0]], tests.hi_h[k[0]]]))
            own[str(ids[e])] = [t.isoformat() for t in ts]
            if not tests.resumed[k[0]]:
                never_back.append(str(ids[e]))
    bounds = from_hours(np.array([cand["lo_h"], cand["hi_h"]]))
    expected: FloatArray = cand["expected"]
    evidence = {
        "community": comm,
        "community_members_tested": cand["n_members"],
        "p_value_unadjusted": float(f"{cand['p_raw']:.3g}"),
        "scan_adjustment": "p x (span scanned / window length)",
        "p_value_silence": float(f"{cand['p_silence']:.3g}"),
        "p_value_alignment": float(f"{cand['p_alignment']:.3g}"),
        "start_spread_h": cand["start_spread_h"],
        "also_silent": cand["also_silent"],
        "silent_members": len(silent),
        "member_p_values": {
            str(ids[e]): float(f"{pz:.3g}") for e, pz in zip(silent, cand["p_zero"], strict=True)
        },
        "member_expected_events": {
            str(ids[e]): round(float(x), 2) for e, x in zip(silent, expected, strict=True)
        },
        "member_silences": own,
        "never_came_back": never_back,
        "method": "Poisson-binomial tail over members' gamma-Poisson silence probabilities",
    }
    return {
        "kind": "group",
        "id": comm,
        "members": sorted(str(x) for x in names),
        "start": bounds.iloc[0],
        "end": bounds.iloc[1],
        "duration_h": round(cand["hi_h"] - cand["lo_h"], 2),
        "expected_events": float(expected.sum()),
        "p_value": p,
        "q_value": q,
        "ended": not never_back,
        "evidence": evidence,
    }


def neighbours_of(
    tests: SilenceTests, frame: pd.DataFrame, phone_to_entity: Mapping[str, str] | None
) -> list[Any]:
    """For each entity of ``tests``, the entities it exchanged events with (index arrays)."""
    ids = pd.Index(tests.ev.ids.astype(str))
    owners = dict(phone_to_entity or {})

    def index(column: str) -> Any:
        ends = frame[column].astype(str)
        mapped = ends.map(owners) if owners else ends
        return ids.get_indexer(mapped.where(mapped.notna(), ends))

    a, b = index("caller"), index("callee")
    ok = (a >= 0) & (b >= 0) & (a != b)
    pairs = np.unique(np.r_[a[ok] * len(ids) + b[ok], b[ok] * len(ids) + a[ok]])
    src, dst = pairs // len(ids), pairs % len(ids)
    bounds = np.searchsorted(src, np.arange(len(ids) + 1))
    return [dst[bounds[i] : bounds[i + 1]] for i in range(len(ids))]


def with_member_phones(rows: pd.DataFrame, phone_to_entity: Mapping[str, str]) -> pd.DataFrame:
    """Group rows with each member's phones (``member_phones``) added to their evidence."""
    if rows.empty:
        return rows
    phones_of: dict[str, list[str]] = {}
    for phone, entity in sorted(phone_to_entity.items()):
        phones_of.setdefault(entity, []).append(phone)
    evidence = [
        {**e, "member_phones": {m: phones_of.get(m, [m]) for m in members}}
        for e, members in zip(rows["evidence"], rows["members"], strict=True)
    ]
    return rows.assign(evidence=evidence)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in BLACKOUT_COLUMNS})
