"""Network analytics on the actor graph: communities, centrality, hierarchy, brokers.

Pure functions over igraph graphs built from plain edge frames (:mod:`.graph`); ``analyze``
(:mod:`.stage`) applies them to a case and stores the results. Blackouts and hand-offs are in
:mod:`graphkit.signals`. Names are imported on first use, so importing a submodule (e.g. the
views) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphkit.analytics.brokers import bridging, brokerage_roles, key_players
    from graphkit.analytics.centrality import betweenness, centrality_table
    from graphkit.analytics.communities import consensus_communities, leiden, leiden_multiplex
    from graphkit.analytics.graph import collapse, from_edges, normalise_layers
    from graphkit.analytics.hierarchy import hierarchy_table
    from graphkit.analytics.measures import PARTS, ActorAnalysis, analyze_edges
    from graphkit.analytics.sensitivity import rank_survival, ranking_agreement
    from graphkit.analytics.settings import AnalysisSpec

_EXPORTS = {
    "PARTS": "measures",
    "ActorAnalysis": "measures",
    "AnalysisSpec": "settings",
    "analyze_edges": "measures",
    "betweenness": "centrality",
    "bridging": "brokers",
    "brokerage_roles": "brokers",
    "centrality_table": "centrality",
    "collapse": "graph",
    "consensus_communities": "communities",
    "from_edges": "graph",
    "hierarchy_table": "hierarchy",
    "key_players": "brokers",
    "leiden": "communities",
    "leiden_multiplex": "communities",
    "normalise_layers": "graph",
    "rank_survival": "sensitivity",
    "ranking_agreement": "sensitivity",
}

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


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"graphkit.analytics.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'graphkit.analytics' has no attribute {name!r}")
