"""Link prediction with evidence: which unseen ties are likely, and why.

Data (:mod:`gnn.data`), features (:mod:`gnn.features`), splits (:mod:`gnn.splits`) are plain
numpy/scipy; the torch parts (:mod:`gnn.model`, :mod:`gnn.train`, :mod:`gnn.predict`,
:mod:`gnn.io`) load on first use, so importing this package does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

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

_LAZY = {
    "TrainConfig": "gnn.train",
    "train_link_model": "gnn.train",
    "predict_links": "gnn.predict",
    "save_model": "gnn.io",
    "load_model": "gnn.io",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gnn' has no attribute {name!r}")
