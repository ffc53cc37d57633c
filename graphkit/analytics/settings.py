"""Settings of the network analysis (:class:`AnalysisSpec`), light to import: the CLI reads
its defaults for its options' defaults, so they live here and nowhere else."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from graphkit.settings import StageSettings

__all__ = ["AnalysisSpec", "default_workers"]


def default_workers() -> int:
    """Processes the analysis uses by default: the machine's cores, at most 4 (the results do
    not depend on it; beyond 4 the consensus's runs gain little)."""
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class AnalysisSpec(StageSettings):
    """Settings of the network analysis, saved with each run.

    ``directed_tokens``: a ``contact:*`` layer whose name contains one of these is a directed
    communication (its rows keep their direction); other contact layers (meetings,
    sightings, kinship ...) are symmetric ties and are mirrored. ``calls``, ``sms`` and
    ``money`` are always directed. Layers with fewer than ``min_layer_edges`` ties are pooled
    into ``contact:other`` so that multiplex communities see no near-empty layers.
    ``money_tokens``: a directed layer whose name contains one of these (or the ``money`` layer)
    moves money, not words: the ordering test reads only the directed *communication* layers,
    since orders travel as calls and messages while money flows both ways along a chain
    (tribute up, wages down, loans across); on the demo case, reading the money layer too left
    3 of the 4 planted hierarchies unstated (docs/analytics.md, "The ordering test").
    ``rank_direction``: who ranks higher in a directed tie, ``caller`` (default; best on the
    real Montagna data) or ``callee`` (the simulator's assumption); see docs/analytics.md.
    ``relay_window_s``: how soon after a contact ends a callee's own contact counts as relaying
    it (:mod:`graphkit.analytics.relays`; used only when time-stamped contacts are given).
    ``multiplex_iterations``: passes of each multiplex Leiden run of the consensus (2; -1 until
    no pass improves, 4x the time on the demo case for the same group recovery).
    ``consensus_stop_disagreement``: each round of the consensus makes its Leiden runs three
    first, then two at a time, and stops once the runs so far agree, for all but this share
    of the ties, on whether its two ends share a community (at most ``n_runs``; 0: always
    ``n_runs``;
    :func:`graphkit.analytics.communities.consensus_communities`).
    ``workers``: processes for the consensus's Leiden runs and the parts run beside them
    (results do not depend on it; default :func:`default_workers`). Workers come from a
    forkserver, never forked from the caller, so a caller that runs threads (torch, a JVM, a
    test runner) cannot hang them (:mod:`graphkit.analytics.parallel`).
    ``hierarchy_null_draws``, ``hierarchy_significance``, ``hierarchy_min_effect``,
    ``hierarchy_null``: the ordering test (:mod:`graphkit.analytics.ordering`): at most this
    many null draws per community, the false discovery rate across communities, the least
    excess share of contacts running down the ordering for a "chain of command" to be stated,
    and the null (``tie-lean``, or the stricter ``lead-degree``).
    ``hierarchy_min_relay_ratio``: where time-stamped calls exist, the second route to a chain
    of command, the relayed-orders test (:mod:`graphkit.analytics.relay_test`), needs its best
    source's onward contacts after its contacts to be at least this many times those before
    them (1.5, fixed before measuring; the q-value shares the ordering tests' FDR family).
    ``blackout_fdr``: the false discovery rate at which blackouts are reported (see
    :data:`graphkit.signals.stage.BLACKOUT_FDR`).
    """

    n_runs: int = 10
    consensus_stop_disagreement: float = 0.005
    multiplex_iterations: int = 2
    consensus_threshold: float = 0.5
    resolution: float = 1.0
    exact_betweenness_max: int = 5000
    betweenness_pivots: int = 256
    hierarchy_null_draws: int = 999
    hierarchy_significance: float = 0.05
    hierarchy_min_effect: float = 0.01
    hierarchy_null: str = "tie-lean"
    hierarchy_min_relay_ratio: float = 1.5
    broker_candidates: int = 2000
    key_player_set: int = 3
    min_layer_edges: int = 10
    directed_tokens: tuple[str, ...] = (
        "call",
        "phone",
        "sms",
        "text",
        "message",
        "wiretap",
        "transfer",
        "payment",
        "money",
    )
    money_tokens: tuple[str, ...] = ("transfer", "payment", "money")
    layer_weights: dict[str, float] = field(default_factory=dict)
    rank_direction: str = "caller"
    relay_window_s: float = 1800.0
    workers: int = field(default_factory=default_workers)
    blackout_fdr: float = 0.01

    def validate(self) -> None:
        self.require(self.n_runs >= 1, "n_runs", "must be at least 1")
        self.require(
            0 <= self.consensus_stop_disagreement < 1,
            "consensus_stop_disagreement",
            "must be in [0, 1)",
        )
        self.require(
            self.multiplex_iterations == -1 or self.multiplex_iterations >= 1,
            "multiplex_iterations",
            "-1 (until no pass improves) or at least 1",
        )
        self.require(0 < self.consensus_threshold <= 1, "consensus_threshold", "must be in (0, 1]")
        self.require(self.resolution > 0, "resolution", "must be positive")
        self.require(
            self.rank_direction in ("caller", "callee"), "rank_direction", "caller or callee"
        )
        self.require(self.workers >= 1, "workers", "must be at least 1")
        self.require(self.betweenness_pivots >= 1, "betweenness_pivots", "must be at least 1")
        self.require(self.hierarchy_null_draws >= 1, "hierarchy_null_draws", "at least 1")
        self.require(
            0 < self.hierarchy_significance < 1, "hierarchy_significance", "must be in (0, 1)"
        )
        self.require(
            0 <= self.hierarchy_min_effect < 1, "hierarchy_min_effect", "must be in [0, 1)"
        )
        self.require(
            self.hierarchy_null in ("tie-lean", "lead-degree"),
            "hierarchy_null",
            "tie-lean or lead-degree",
        )
        self.require(
            self.hierarchy_min_relay_ratio >= 1,
            "hierarchy_min_relay_ratio",
            "must be at least 1",
        )
        self.require(0 < self.blackout_fdr < 1, "blackout_fdr", "must lie strictly in (0, 1)")
