"""Network analytics on the actor graph: communities, centrality, hierarchy, brokers.

Pure functions over igraph graphs built from plain edge frames (:mod:`.graph`); ``analyze``
(:mod:`.run`) applies them to a case and stores the results. Blackouts and hand-offs live in
their own modules of this package.
"""

from __future__ import annotations

from graphkit.analytics.actors import PARTS, ActorAnalysis, AnalysisSpec, analyze_edges
from graphkit.analytics.brokers import bridging, brokerage_roles, key_players
from graphkit.analytics.centrality import betweenness, centrality_table
from graphkit.analytics.communities import consensus_communities, leiden, leiden_multiplex
from graphkit.analytics.graph import collapse, from_edges, normalise_layers
from graphkit.analytics.hierarchy import hierarchy_table
from graphkit.analytics.sensitivity import rank_survival, ranking_agreement

__all__ = [
    "PARTS",
    "ActorAnalysis",
    "AnalysisSpec",
    "analyze_edges",
    "betweenness",
    "bridging",
    "brokerage_roles",
    "centrality_table",
    "collapse",
    "consensus_communities",
    "from_edges",
    "hierarchy_table",
    "key_players",
    "leiden",
    "leiden_multiplex",
    "normalise_layers",
    "rank_survival",
    "ranking_agreement",
]
