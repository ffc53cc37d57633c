"""Is a community's ordering more than its members' call volumes? The hierarchy test.

A "chain of command" is claimed for a community only when this test passes or, with
time-stamped calls, the relayed-orders test does (:mod:`graphkit.analytics.relay_test`; the
two share one FDR family, :mod:`graphkit.analytics.chain_claim`); levels are drawn only where
this one passes. It asks whether the directed ties inside a community line up along one
ordering better than ties that keep every member's own volume would.

* **Statistic**: SpringRank's ground-state energy per unit of in-community directed weight,
  ``1/2 sum A_ij (s_i - s_j - 1)^2 / sum A_ij`` with ``s`` the community's own SpringRank fit
  (:mod:`graphkit.analytics.springrank`): 0 when every tie points exactly one level down, high
  when ties run both ways or skip levels.
* **Null** (two, both degree-preserving: every member keeps its ties and every tie its
  volume and how one-sided it is; :class:`_Rewiring`):

  - ``tie-lean`` (default): each tie's lean is re-drawn, i.e. the member who places more of
    its contacts is either end with probability 1/2. What it destroys is whether the leans
    line up into one ordering. (The older null re-drew every single contact's direction, so
    every tie came out evenly split: ties that are one-sided for any reason then looked
    ordered, and every community of the demo case passed at the floor, p = 1/201.)
  - ``lead-degree`` (stricter): also keeps how many of its ties each member leads and how
    many it follows (a directed configuration model of who leads each tie; receivers are
    shuffled among the community's ties). A member who simply calls more than he is called
    then stays so in every draw, and only the layering beyond that counts. It guards
    against habitual callers (people who call more than they are called whoever the other
    is), which the simulator does not model, at a large cost in power: on the demo case it
    states an ordering for 2 of the 4 planted groups, on a clean 21-member three-level tree
    for none (docs/analytics.md).

  Self-loops a ``lead-degree`` shuffle creates are dropped and repeated pairs summed; both
  make the null's fit easier, so the test errs towards "no clear ordering".
* **p-value**: Monte Carlo with sequential stopping (Besag & Clifford 1991, Biometrika 78:301):
  a community stops drawing once ``h`` draws fit at least as well as the observed ties
  (``p = h / draws``); one that never does is drawn ``max_draws`` times
  (``p = (1 + at_most) / (1 + max_draws)``, floor 1/1000 by default). Valid p-values, at a
  fraction of the cost for communities with nothing to find.
* **Multiple testing**: Benjamini-Hochberg q-values across the communities tested
  (:func:`graphkit.stats.fdr_qvalues`).
* **Effect size**: the share of directed weight that runs down the fitted ordering, observed,
  minus the mean of the same share in the null draws (each draw fitted on its own). A large
  community can be significant with a trivial effect; a claim needs both.

The test is the same whichever end of a call is read as the higher one (reversing every tie
negates the ranks and leaves energy and shares unchanged), so ``rank_direction`` decides
only who is drawn at the top, never whether an ordering is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from graphkit.analytics.springrank import SpringSolver, _clean
from graphkit.stats import fdr_qvalues

if TYPE_CHECKING:
    from scipy import sparse

__all__ = ["MIN_MEMBERS", "MIN_TIES", "NULLS", "OrderingTest", "ordering_test"]

MIN_MEMBERS = 3  # fewer members: no ordering to speak of
MIN_TIES = 4  # fewer directed ties: too few arrangements for a small p-value
NULLS = ("tie-lean", "lead-degree")


def _test_name(null: str) -> str:
    return (
        f"ordering test: SpringRank energy against the {null} null (degree-preserving), "
        "Besag-Clifford p-value, Benjamini-Hochberg across communities"
    )


@dataclass(frozen=True)
class OrderingTest:
    """Per community (index = community label): the test's inputs and outcome.

    Columns: ``tested`` (enough members and directed ties), ``energy`` (observed, per unit of
    weight), ``null_energy`` (mean over draws), ``downward_share`` and ``null_downward_share``,
    ``effect`` (their difference), ``draws``, ``p_value``, ``q_value`` (BH over the tested),
    ``stated`` (q <= fdr and effect >= min_effect). ``test`` names the procedure. As
    :func:`~graphkit.analytics.hierarchy.hierarchy_analysis` returns it, the table holds the
    claim instead (:func:`~graphkit.analytics.chain_claim.joint_claims`: ``q_value`` in the
    family shared with the relayed-orders tests, ``stated`` by either test,
    ``ordering_stated`` by this one).
    """

    table: pd.DataFrame
    fdr: float
    min_effect: float
    test: str


def _fit(
    src: np.ndarray,
    dst: np.ndarray,
    w: np.ndarray,
    n: int,
    alpha: float,
    solver: SpringSolver | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, SpringSolver]:
    """SpringRank of the ties ``src -> dst`` on ``n`` vertices; the cleaned ties with it, and
    the factorised system, which ``solver`` gives when the caller knows that ``A + A^T`` is
    the one it was built for (only the right-hand side then changes)."""
    from scipy import sparse

    keep = (src != dst) & (w != 0)  # what _clean drops: self-loops and zero weights
    a = sparse.csr_matrix((w[keep], (src[keep], dst[keep])), shape=(n, n))
    a.sum_duplicates()
    a.sort_indices()
    coo = a.tocoo()
    rhs = np.asarray(a.sum(axis=1)).ravel() - np.asarray(a.sum(axis=0)).ravel()
    if solver is None:
        solver = SpringSolver(a + a.T, alpha=alpha)
    scores = solver.solve(rhs)
    return scores, coo.row, coo.col, coo.data, solver


def _per_group(
    scores: np.ndarray, i: np.ndarray, j: np.ndarray, w: np.ndarray, group: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Energy per unit weight and downward share per group (ties inside groups)."""
    g = group[i]
    weight = np.bincount(g, weights=w, minlength=k)
    diff = scores[i] - scores[j]
    energy = np.bincount(g, weights=w * (diff - 1.0) ** 2, minlength=k) / 2.0
    down = np.bincount(g, weights=w * ((diff > 1e-9) + 0.5 * (np.abs(diff) <= 1e-9)), minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return energy / weight, down / weight


class _Rewiring:
    """The null draws: ties that keep their members, volume and one-sidedness.

    Every in-group pair is oriented from the member who places more of its contacts (its
    lead; a balanced pair either way, at random) to the other, and keeps both weights
    (``lead -> follower`` and back). ``tie-lean``: each pair's orientation is re-drawn with
    probability 1/2. ``lead-degree``: receivers are shuffled among the group's pairs, so each
    member also keeps the number of pairs it leads and follows.
    """

    def __init__(
        self,
        i: np.ndarray,
        j: np.ndarray,
        w: np.ndarray,
        groups: np.ndarray,
        null: str = "tie-lean",
    ) -> None:
        if null not in NULLS:
            raise ValueError(f"null must be one of {NULLS}")
        self.null = null
        n = len(groups)
        # as int64: scipy gives int32 indices, and lo * n overflows int32 beyond 46,340
        # vertices (the pairs then came out as other vertices, the null was not this graph's)
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        key, inv = np.unique(lo * n + hi, return_inverse=True)
        a, b = key // n, key % n
        w_ab = np.bincount(inv, weights=np.where(i < j, w, 0.0), minlength=len(key))
        w_ba = np.bincount(inv, weights=np.where(i > j, w, 0.0), minlength=len(key))
        self.lead = np.where(w_ab >= w_ba, a, b)
        self.follow = np.where(w_ab >= w_ba, b, a)
        self.w_lf = np.maximum(w_ab, w_ba)
        self.w_fl = np.minimum(w_ab, w_ba)
        self.balanced = w_ab == w_ba
        self.g = groups[a]

    def draw(
        self, active: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        on = active[self.g]
        lead, follow, g = self.lead[on], self.follow[on], self.g[on]
        w_lf, w_fl = self.w_lf[on], self.w_fl[on]
        flip = rng.random(len(lead)) < 0.5
        if self.null == "lead-degree":
            flip &= self.balanced[on]
        lead, follow = np.where(flip, follow, lead), np.where(flip, lead, follow)
        if self.null == "lead-degree":
            shuffled = follow[np.lexsort((rng.random(len(follow)), g))]
            follow = shuffled[np.argsort(np.argsort(g, kind="stable"))]
        return np.r_[lead, follow], np.r_[follow, lead], np.r_[w_lf, w_fl]


def ordering_test(
    adjacency: sparse.spmatrix,
    groups: np.ndarray,
    *,
    seed: int,
    max_draws: int = 999,
    stop_after: int = 10,
    alpha: float = 0.0,
    fdr: float = 0.05,
    min_effect: float = 0.01,
    null: str = "tie-lean",
) -> OrderingTest:
    """The hierarchy test of every community (module docstring).

    ``adjacency[i, j]``: directed weight ``i -> j`` read as "``i`` above ``j``" (only ties
    inside a group count); ``groups``: community label per vertex (0..k-1). ``stop_after``
    is Besag-Clifford's ``h``; ``null`` one of :data:`NULLS`. Deterministic for ``seed``.
    """
    groups = np.asarray(groups, dtype=np.int64)
    n = len(groups)
    k = int(groups.max()) + 1 if n else 0
    coo = _clean(adjacency).tocoo()
    inside = groups[coo.row] == groups[coo.col]
    src, dst, w = coo.row[inside], coo.col[inside], coo.data[inside]
    edge_group = groups[src]
    members = np.bincount(groups, minlength=k)
    ties = np.bincount(edge_group, minlength=k)
    tested = (members >= MIN_MEMBERS) & (ties >= MIN_TIES)

    scores, i, j, wc, _ = _fit(src, dst, w, n, alpha)
    energy, down = _per_group(scores, i, j, wc, groups, k)

    rng = np.random.default_rng(seed)
    at_most = np.zeros(k, dtype=np.int64)
    draws = np.zeros(k, dtype=np.int64)
    null_energy = np.zeros(k)
    null_down = np.zeros(k)
    active = tested.copy()
    rewiring = _Rewiring(i, j, wc, groups, null)
    draw_all = _draw_tie_lean if null == "tie-lean" else _draw_rewired
    draw_all(
        rewiring,
        groups,
        energy,
        active,
        rng,
        max_draws=max_draws,
        stop_after=stop_after,
        alpha=alpha,
        tallies=(draws, at_most, null_energy, null_down),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(
            at_most >= stop_after,
            at_most / np.maximum(draws, 1),
            (at_most + 1.0) / (draws + 1.0),
        )
        null_energy = null_energy / draws
        null_down = null_down / draws
    p = np.where(tested, p, np.nan)
    q = np.full(k, np.nan)
    if tested.any():
        q[tested] = fdr_qvalues(p[tested])
    effect = np.where(tested, down - null_down, np.nan)
    table = pd.DataFrame(
        {
            "tested": tested,
            "members": members,
            "directed_ties": ties,
            "energy": np.where(tested, energy, np.nan),
            "null_energy": np.where(tested, null_energy, np.nan),
            "downward_share": np.where(tested, down, np.nan),
            "null_downward_share": np.where(tested, null_down, np.nan),
            "effect": effect,
            "draws": draws,
            "p_value": p,
            "q_value": q,
        }
    )
    table["stated"] = tested & (q <= fdr) & (effect >= min_effect)
    return OrderingTest(table, fdr, min_effect, _test_name(null))


_Tallies = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _tally(
    tallies: _Tallies,
    active: np.ndarray,
    energy: np.ndarray,
    e: np.ndarray,
    dn: np.ndarray,
    stop_after: int,
) -> None:
    """Count one draw for the active communities (``e``, ``dn``: the draw's energy and
    downward share per community) and stop those with ``stop_after`` draws fitting as well."""
    draws, at_most, null_energy, null_down = tallies
    draws[active] += 1
    at_most[active] += e[active] <= energy[active] + 1e-12
    null_energy[active] += e[active]
    null_down[active] += dn[active]
    active &= at_most < stop_after


def _draw_rewired(
    rewiring: _Rewiring,
    groups: np.ndarray,
    energy: np.ndarray,
    active: np.ndarray,
    rng: np.random.Generator,
    *,
    max_draws: int,
    stop_after: int,
    alpha: float,
    tallies: _Tallies,
) -> None:
    """The null draws of any null, each rebuilt as a graph and fitted (``active`` and the
    ``tallies`` are updated in place)."""
    n, k = len(groups), len(energy)
    # The tie-lean null only re-orients ties: A + A^T, hence SpringRank's factorised system,
    # stays the same from draw to draw until a community stops drawing (about 2/3 of the
    # test's time on the demo case went into factorising it again for every draw).
    solver: SpringSolver | None = None
    solver_active = np.zeros(0, dtype=bool)
    verts = number = np.zeros(0, dtype=np.int64)
    for _ in range(max_draws):
        if not active.any():
            break
        s_new, d_new, w_new = rewiring.draw(active, rng)
        ends = np.r_[s_new, d_new]
        reuse = rewiring.null == "tie-lean" and np.array_equal(active, solver_active)
        if not reuse:  # the vertices of the active communities' ties, numbered in order
            verts = np.unique(ends)
            number = np.full(n, -1, dtype=np.int64)
            number[verts] = np.arange(len(verts))
        inv = number[ends]
        m = len(s_new)
        sc, ii, jj, ww, solver = _fit(
            inv[:m], inv[m:], w_new, len(verts), alpha, solver if reuse else None
        )
        solver_active = active.copy()
        e, dn = _per_group(sc, ii, jj, ww, groups[verts], k)
        e = np.nan_to_num(e, nan=0.0)  # a draw whose ties all became self-loops fits perfectly
        dn = np.nan_to_num(dn, nan=1.0)
        _tally(tallies, active, energy, e, dn, stop_after)


def _draw_tie_lean(
    rewiring: _Rewiring,
    groups: np.ndarray,
    energy: np.ndarray,
    active: np.ndarray,
    rng: np.random.Generator,
    *,
    max_draws: int,
    stop_after: int,
    alpha: float,
    tallies: _Tallies,
) -> None:
    """The tie-lean null's draws, as :func:`_draw_rewired` makes them (the same random numbers,
    the same fits) at a cost that follows the communities still drawing.

    A draw only re-orients the active communities' pairs, so no graph is built: the
    right-hand side ``d_out - d_in`` and each tie's energy come straight from the pair
    arrays. The pairs of the active communities are selected once each time a community stops
    (on a million actors, selecting them again at every draw cost as much as the draw while a
    few large communities drew to the limit). SpringRank's system is block-diagonal by
    community, so a factorisation of a superset of the active communities serves until the
    active pairs are fewer than half of those factorised (then it is refactorised on them).
    """
    from scipy import sparse

    n, k = len(groups), len(energy)
    active_then = np.zeros(0, dtype=bool)
    solver: SpringSolver | None = None
    factorised = 0
    number = np.zeros(0, dtype=np.int64)
    verts = np.zeros(0, dtype=np.int64)
    lead = follow = g = np.zeros(0, dtype=np.int64)
    w_lf = w_fl = np.zeros(0)
    weight: np.ndarray = np.zeros(k)
    for _ in range(max_draws):
        if not active.any():
            break
        if not np.array_equal(active, active_then):
            on = np.flatnonzero(active[rewiring.g])
            if solver is None or 2 * len(on) < factorised:
                verts = np.unique(np.r_[rewiring.lead[on], rewiring.follow[on]])
                number = np.full(n, -1, dtype=np.int64)
                number[verts] = np.arange(len(verts))
                a, b = number[rewiring.lead[on]], number[rewiring.follow[on]]
                both = rewiring.w_lf[on] + rewiring.w_fl[on]
                sym = sparse.csr_matrix(
                    (np.r_[both, both], (np.r_[a, b], np.r_[b, a])), shape=(len(verts),) * 2
                )
                solver = None  # the old factorisation is freed before the new one is made
                solver = SpringSolver(sym, alpha=alpha)
                factorised = len(on)
            lead, follow = number[rewiring.lead[on]], number[rewiring.follow[on]]
            w_lf, w_fl, g = rewiring.w_lf[on], rewiring.w_fl[on], rewiring.g[on]
            weight = np.bincount(g, weights=w_lf + w_fl, minlength=k)
            active_then = active.copy()
        flip = rng.random(len(lead)) < 0.5
        up, down_end = np.where(flip, follow, lead), np.where(flip, lead, follow)
        lean = w_lf - w_fl  # up -> down_end carries w_lf, down_end -> up carries w_fl
        rhs = np.bincount(up, weights=lean, minlength=len(verts)) - np.bincount(
            down_end, weights=lean, minlength=len(verts)
        )
        assert solver is not None
        sc = solver.solve(rhs)
        diff = sc[up] - sc[down_end]
        terms = w_lf * (diff - 1.0) ** 2 + w_fl * (diff + 1.0) ** 2
        flat = np.abs(diff) <= 1e-9
        below = w_lf * ((diff > 1e-9) + 0.5 * flat) + w_fl * ((diff < -1e-9) + 0.5 * flat)
        with np.errstate(invalid="ignore", divide="ignore"):
            e = np.bincount(g, weights=terms, minlength=k) / 2.0 / weight
            dn = np.bincount(g, weights=below, minlength=k) / weight
        _tally(tallies, active, energy, e, dn, stop_after)
