"""Link prediction with evidence: which unseen ties are likely, and why.

Data (:mod:`gnn.data`), features (:mod:`gnn.features`), splits (:mod:`gnn.splits`) are plain
numpy/scipy; the torch parts (:mod:`gnn.predictor`, :mod:`gnn.train`, :mod:`gnn.predict`,
:mod:`gnn.model_files`) load on first use, so importing this package imports neither torch
nor numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gnn.data import PROHIBITED_ATTRIBUTES, LinkGraph, NodeFeatures, link_graph
    from gnn.splits import cross_layer_split, hidden_tie_split, random_split, temporal_split

__all__ = [
    "PROHIBITED_ATTRIBUTES",
    "LinkGraph",
    "NodeFeatures",
    "TrainConfig",
    "cross_layer_split",
    "hidden_tie_split",
    "link_graph",
    "load_model",
    "predict_links",
    "random_split",
    "save_model",
    "temporal_split",
    "train_link_model",
]

# every name loads on first use: `gnn.settings` (read by the CLI for its defaults) stays light
_LAZY = {
    "PROHIBITED_ATTRIBUTES": "gnn.data",
    "LinkGraph": "gnn.data",
    "NodeFeatures": "gnn.data",
    "link_graph": "gnn.data",
    "cross_layer_split": "gnn.splits",
    "hidden_tie_split": "gnn.splits",
    "random_split": "gnn.splits",
    "temporal_split": "gnn.splits",
    "TrainConfig": "gnn.train",
    "train_link_model": "gnn.train",
    "predict_links": "gnn.predict",
    "save_model": "gnn.model_files",
    "load_model": "gnn.model_files",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gnn' has no attribute {name!r}")
