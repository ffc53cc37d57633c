"""The actor graph as link-prediction data: edge records, node features, message-passing views.

A :class:`LinkGraph` holds undirected edge *records*, one per (pair, layer), with volume and
first/last time. A :class:`NodeFeatures` holds the per-actor features computed from the case
(activity rhythm, roles, community); it refuses identity attributes (see
:data:`PROHIBITED_ATTRIBUTES`). A :class:`View` is the graph the model sees at one moment of
training or prediction: a subset of the records, structural node features computed on it, the
edge attributes (volume per layer, recency) and the pairwise features of any pair.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gnn.features import (
    PAIR_FEATURE_NAMES,
    activity_features,
    adjacency,
    pair_feature_columns,
    profile_cosine,
    structural_features,
)
from gnn.view_activity import PairActivity
from graphkit.errors import InputError
from graphkit.setops import unique

if TYPE_CHECKING:
    from torch_geometric.data import Data

    from gnn.colocation import Colocation

__all__ = [
    "MONEY_LAYERS",
    "PROHIBITED_ATTRIBUTES",
    "SIDE_SIGNALS",
    "LinkGraph",
    "NodeFeatures",
    "View",
    "build_view",
    "check_feature_names",
    "link_graph",
    "to_pyg",
]

#: Identity attributes that must never become model features: a model that ranks ties by name,
#: birth date, address or raw identifiers would encode who people are, not how they behave.
PROHIBITED_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "name",
        "names",
        "full_name",
        "first_name",
        "last_name",
        "surname",
        "given_name",
        "alias",
        "aliases",
        "holder_name",
        "dob",
        "dob_raw",
        "date_of_birth",
        "birth",
        "age",
        "address",
        "addresses",
        "postcode",
        "zip",
        "id_number",
        "id_numbers",
        "passport",
        "email",
        "emails",
        "msisdn",
        "phone_number",
        "phones",
        "imei",
        "imsi",
        "account_id",
        "iban",
        "gender",
        "sex",
        "ethnicity",
        "nationality",
        "religion",
    }
)
_DAY_S = 86_400.0
_RECENCY_SCALE_DAYS = 30.0
#: layers whose ties are payments: ends that share a counterparty there are a pair signal
MONEY_LAYERS: tuple[str, ...] = ("money",)
#: pair signals beyond the tie graph, in the order they follow the pairwise features:
#: days seen together away from both ends' busiest cells (:mod:`gnn.colocation`) and
#: counterparties shared in the money layers
SIDE_SIGNALS: tuple[str, ...] = ("colocation", "shared_money")


def check_feature_names(names: Iterable[str]) -> None:
    """Raise :class:`InputError` if any feature name is or contains a prohibited attribute.

    Names are split on non-alphanumeric characters; a prohibited attribute matches a whole
    name or a run of its tokens (``full_name``, ``dob_year``, ``src_address_len`` all fail).
    """
    for name in names:
        tokens = [t for t in re.split(r"[^a-z0-9]+", str(name).lower()) if t]
        runs = {
            "_".join(tokens[i:j]) for i in range(len(tokens)) for j in range(i + 1, len(tokens) + 1)
        }
        hit = sorted(runs & PROHIBITED_ATTRIBUTES)
        if hit:
            raise InputError(
                f"feature {name!r} carries the identity attribute {hit[0]!r}; "
                "identity attributes are not allowed as model features"
            )


@dataclass(frozen=True, eq=False)
class LinkGraph:
    """Undirected edge records over sorted node ids; record i joins ``u[i] < v[i]`` in a layer."""

    node_ids: np.ndarray
    u: np.ndarray
    v: np.ndarray
    layer: np.ndarray
    layers: tuple[str, ...]
    weight: np.ndarray
    first_s: np.ndarray
    last_s: np.ndarray

    @property
    def n_nodes(self) -> int:
        return int(self.node_ids.size)

    @property
    def n_records(self) -> int:
        return int(self.u.size)

    def layer_mask(self, names: Sequence[str]) -> np.ndarray:
        """Boolean mask of the records in the given layers."""
        unknown = set(names) - set(self.layers)
        if unknown:
            raise InputError(f"unknown layer {sorted(unknown)[0]!r}; layers: {list(self.layers)}")
        idx = [self.layers.index(n) for n in names]
        return np.isin(self.layer, idx)


def _epoch_s(col: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(col):
        values: np.ndarray = col.to_numpy(dtype=np.float64)
        return values
    ts = pd.to_datetime(col, utc=True, errors="coerce")
    out = (ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    seconds: np.ndarray = out.to_numpy(dtype=np.float64, na_value=np.nan)
    return seconds


def link_graph(
    edges: pd.DataFrame,
    *,
    nodes: Iterable[str] | None = None,
    default_layer: str = "tie",
) -> LinkGraph:
    """Build a :class:`LinkGraph` from an edge frame (does not modify it).

    Columns: ``src``, ``dst`` (required), optional ``layer``, ``weight`` (default 1), ``first``,
    ``last`` (timestamps or epoch seconds). Directions are collapsed: records of one pair and
    layer are merged, weights summed, first = min, last = max. Self-loops are dropped. ``nodes``
    adds isolated actors. Node ids are sorted, so indices are deterministic.
    """
    missing = {"src", "dst"} - set(edges.columns)
    if missing:
        raise InputError(f"edge frame lacks column {sorted(missing)[0]!r}")
    frame = pd.DataFrame(
        {
            "a": edges["src"].astype(str).to_numpy(),
            "b": edges["dst"].astype(str).to_numpy(),
            "layer": (edges["layer"].astype(str).to_numpy() if "layer" in edges else default_layer),
            "weight": (
                pd.to_numeric(edges["weight"], errors="coerce").fillna(1.0).to_numpy()
                if "weight" in edges
                else 1.0
            ),
            "first": _epoch_s(edges["first"]) if "first" in edges else np.nan,
            "last": _epoch_s(edges["last"]) if "last" in edges else np.nan,
        }
    )
    frame = frame[frame["a"] != frame["b"]]
    ids = set(frame["a"]) | set(frame["b"]) | {str(n) for n in (() if nodes is None else nodes)}
    node_ids = np.array(sorted(ids), dtype=object)
    a = np.searchsorted(node_ids, frame["a"].to_numpy())
    b = np.searchsorted(node_ids, frame["b"].to_numpy())
    frame = frame.assign(u=np.minimum(a, b), v=np.maximum(a, b))
    agg = (
        frame.groupby(["u", "v", "layer"], sort=True)
        .agg(weight=("weight", "sum"), first=("first", "min"), last=("last", "max"))
        .reset_index()
    )
    layers = tuple(sorted(agg["layer"].unique()))
    return LinkGraph(
        node_ids=node_ids,
        u=agg["u"].to_numpy(np.int64),
        v=agg["v"].to_numpy(np.int64),
        layer=np.searchsorted(np.array(layers, dtype=object), agg["layer"].to_numpy()),
        layers=layers,
        weight=agg["weight"].to_numpy(np.float64),
        first_s=agg["first"].to_numpy(np.float64),
        last_s=agg["last"].to_numpy(np.float64),
    )


@dataclass(frozen=True, eq=False)
class NodeFeatures:
    """Per-node features from the case, aligned with ``LinkGraph.node_ids``.

    ``profile`` (optional, n x k) is compared between the two ends of a pair (cosine);
    ``community`` (optional, int, -1 = unknown) gives the pairwise ``same_community`` flag.
    ``activity`` (optional) holds the events per tie: the rhythm columns (the first ones) and
    the profile are then recomputed for each view from the ties it shows
    (:meth:`for_view`). ``colocation`` (optional) holds the co-present sightings, also per
    tie, from which each view counts its pairs' days together. Construction fails on any
    prohibited (identity) feature name.
    """

    names: tuple[str, ...]
    values: np.ndarray
    profile: np.ndarray | None = None
    community: np.ndarray | None = None
    activity: PairActivity | None = None
    colocation: Colocation | None = None

    def __post_init__(self) -> None:
        check_feature_names(self.names)
        if self.values.ndim != 2 or self.values.shape[1] != len(self.names):
            raise InputError("node feature matrix does not match its names")

    @classmethod
    def empty(cls, n_nodes: int) -> NodeFeatures:
        return cls((), np.zeros((n_nodes, 0)))

    @classmethod
    def from_activity(
        cls, hour_of_week: np.ndarray, *, community: np.ndarray | None = None
    ) -> NodeFeatures:
        """Rhythm features (:func:`gnn.features.activity_features`) with the 168-hour shares
        as the profile compared between the two ends of a pair."""
        names, values = activity_features(hour_of_week)
        how = np.asarray(hour_of_week, dtype=np.float64)
        total = how.sum(axis=1, keepdims=True)
        profile = np.divide(how, total, out=np.zeros_like(how), where=total > 0)
        return cls(tuple(names), values, profile, community)

    @classmethod
    def from_pair_activity(cls, activity: PairActivity) -> NodeFeatures:
        """Rhythm features over every tie; each view recomputes them over the ties it shows."""
        base = cls.from_activity(activity.hour_of_week())
        return cls(base.names, base.values, base.profile, None, activity)

    def with_colocation(self, colocation: Colocation | None) -> NodeFeatures:
        """These features with co-present sightings attached (a pair signal per view)."""
        return NodeFeatures(
            self.names, self.values, self.profile, self.community, self.activity, colocation
        )

    def for_view(self, visible_keys: np.ndarray) -> NodeFeatures:
        """The features a view over the ties ``visible_keys`` (sorted pair keys) may show:
        rhythm columns and profile recomputed without the events of hidden ties."""
        if self.activity is None:
            return self
        rhythm = NodeFeatures.from_activity(self.activity.hour_of_week(visible_keys))
        k = len(rhythm.names)
        values = np.hstack([rhythm.values, self.values[:, k:]])
        return NodeFeatures(
            self.names, values, rhythm.profile, self.community, self.activity, self.colocation
        )

    def join(self, other: NodeFeatures) -> NodeFeatures:
        """Both feature sets side by side (profile and community from whichever has them;
        the one with per-tie activity first, its rhythm columns lead)."""
        if other.activity is not None and self.activity is None:
            return other.join(self)
        return NodeFeatures(
            self.names + other.names,
            np.hstack([self.values, other.values]),
            self.profile if self.profile is not None else other.profile,
            self.community if self.community is not None else other.community,
            self.activity,
            self.colocation if self.colocation is not None else other.colocation,
        )

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, node_ids: np.ndarray, *, community: str | None = None
    ) -> NodeFeatures:
        """Numeric columns of ``frame`` (indexed by actor id) as features; missing rows -> 0.

        Non-numeric columns are ignored except ``community``; prohibited names raise even when
        they are not numeric, so an identity column cannot slip in by accident.
        """
        check_feature_names(c for c in frame.columns if c != community)
        aligned = frame.reindex(pd.Index(node_ids.astype(str)))
        numeric = [
            c
            for c in aligned.columns
            if c != community and pd.api.types.is_numeric_dtype(aligned[c])
        ]
        values = aligned[numeric].to_numpy(dtype=np.float64, na_value=0.0)
        comm = None
        if community is not None:
            codes, _ = pd.factorize(aligned[community])
            comm = codes.astype(np.int64)  # NaN -> -1
        return cls(tuple(str(c) for c in numeric), np.nan_to_num(values), None, comm)


@dataclass(frozen=True, eq=False)
class View:
    """The graph the model sees: a subset of records, node features, edge attributes."""

    n_nodes: int
    adj: sp.csr_matrix
    x: np.ndarray
    x_names: tuple[str, ...]
    edge_index: np.ndarray
    edge_attr: np.ndarray
    edge_attr_names: tuple[str, ...]
    tie: np.ndarray = field(repr=False)  # (pairs, layers) log weight, aligned with pair_keys
    pair_keys: np.ndarray = field(repr=False)
    features: NodeFeatures = field(repr=False)
    #: :data:`SIDE_SIGNALS` this view has: sorted pair keys (lo*n+hi) and their counts
    side: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    #: what scorers computed once for this view and reuse (e.g. the whole PPR matrix)
    memo: dict[str, Any] = field(default_factory=dict, repr=False)
    #: pair features from the cached dense pair matrices where the graph is small enough
    #: (False: from sparse rows, the same values; for views asked about few pairs once)
    dense_pairs: bool = True

    @property
    def pair_names(self) -> tuple[str, ...]:
        names = list(PAIR_FEATURE_NAMES) + [
            "tie_" + n.split(":")[-1] for n in self.edge_attr_names[:-1]
        ]
        if self.features.profile is not None:
            names.append("profile_cosine")
        if self.features.community is not None:
            names.append("same_community")
        names += list(self.side)
        return tuple(names)

    def side_score(self, name: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The raw count of side signal ``name`` for pairs ``(u[i], v[i])`` (0 if absent)."""
        keys, values = self.side[name]
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        want = np.asarray(lo, dtype=np.int64) * self.n_nodes + hi
        out = np.zeros(want.size)
        if keys.size:
            pos = np.minimum(np.searchsorted(keys, want), keys.size - 1)
            found = keys[pos] == want
            out[found] = values[pos[found]]
        return out

    def side_keys(self) -> np.ndarray:
        """Pair keys with any side signal between two actors with a visible tie."""
        if not self.side:
            return np.zeros(0, dtype=np.int64)
        keys = unique(np.concatenate([k for k, _ in self.side.values()]))
        active = np.diff(self.adj.indptr) > 0
        keep: np.ndarray = keys[active[keys // self.n_nodes] & active[keys % self.n_nodes]]
        return keep

    def pair_x(
        self, u: np.ndarray, v: np.ndarray, *, dtype: type[np.floating[Any]] = np.float64
    ) -> np.ndarray:
        """Pairwise features of ``(u[i], v[i])``, columns named by :attr:`pair_names`.

        ``dtype`` (float32 for the model) is the matrix's: each column is computed in float64
        and rounded once as it is written, as ``astype`` would round the float64 matrix,
        without holding that matrix (1.4M candidates x 17 features on the demo case).
        """
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        cols = pair_feature_columns(self.adj, u, v, dense=self.dense_pairs)
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        keys = lo * self.n_nodes + hi
        pos = np.searchsorted(self.pair_keys, keys)
        pos = np.minimum(pos, max(self.pair_keys.size - 1, 0))
        found = (self.pair_keys.size > 0) & (self.pair_keys[pos] == keys) if keys.size else keys > 0
        tie = np.zeros((u.size, self.tie.shape[1]))
        if self.pair_keys.size:
            tie[found] = self.tie[pos[found]]
        cols += list(tie.T)
        if self.features.profile is not None:
            cols.append(profile_cosine(self.features.profile, u, v))
        if self.features.community is not None:
            c = self.features.community
            cols.append(((c[u] == c[v]) & (c[u] >= 0)).astype(np.float64))
        for name in self.side:
            cols.append(np.log1p(self.side_score(name, u, v)))
        out = np.empty((u.size, len(cols)), dtype=dtype)
        for i, col in enumerate(cols):
            out[:, i] = col
        return out


def build_view(
    graph: LinkGraph,
    features: NodeFeatures,
    records: np.ndarray,
    *,
    until_s: float | None = None,
    dense_pairs: bool = True,
) -> View:
    """The view made of the records selected by the boolean mask ``records``.

    Structural node features are computed on those records only, so a held-out tie leaves no
    trace in what the model sees. Edge attributes per pair: log1p volume per layer and a
    recency in (0, 1] (exp of minus the days between the tie's last event and the view's
    latest event over 30 days; 0 when unknown). ``until_s`` (a temporal split's cut) caps the
    last-event times, so recency does not reveal activity after the cut. Node features with
    per-tie activity are recomputed over the visible ties (:meth:`NodeFeatures.for_view`),
    and so are the side signals (:data:`SIDE_SIGNALS`): co-location days from the sightings
    of the visible ties' events, shared counterparties from the visible money records.
    ``dense_pairs=False``: its pair features from sparse rows (:attr:`View.dense_pairs`).
    """
    n = graph.n_nodes
    u, v = graph.u[records], graph.v[records]
    w, lay, last = graph.weight[records], graph.layer[records], graph.last_s[records]
    if until_s is not None:
        last = np.minimum(last, until_s)
    keys = u * n + v
    pair_keys, inv = np.unique(keys, return_inverse=True)
    features = features.for_view(pair_keys)
    n_layers = len(graph.layers)
    tie = np.zeros((pair_keys.size, n_layers))
    np.add.at(tie, (inv, lay), w)
    tie = np.log1p(tie)
    t_ref = np.nanmax(last) if np.isfinite(last).any() else np.nan
    age_days = (t_ref - last) / _DAY_S
    rec = np.where(
        np.isfinite(age_days), np.exp(-np.nan_to_num(age_days) / _RECENCY_SCALE_DAYS), 0.0
    )
    recency = np.zeros(pair_keys.size)
    np.maximum.at(recency, inv, rec)
    pu, pv = pair_keys // n, pair_keys % n
    adj = adjacency(n, pu, pv)
    strength = np.bincount(u, weights=w, minlength=n) + np.bincount(v, weights=w, minlength=n)
    s_names, s_values = structural_features(adj, strength)
    x = np.hstack([features.values, s_values]).astype(np.float32)
    x_names = tuple(features.names) + tuple(s_names)
    check_feature_names(x_names)
    attr = np.hstack([tie, recency[:, None]]).astype(np.float32)
    attr_names = (*tuple(f"volume:{name}" for name in graph.layers), "recency")
    edge_index = np.vstack([np.concatenate([pu, pv]), np.concatenate([pv, pu])]).astype(np.int64)
    side = _side_signals(graph, features, records, pair_keys)
    return View(
        n_nodes=n,
        adj=adj,
        x=x,
        x_names=x_names,
        edge_index=edge_index,
        edge_attr=np.vstack([attr, attr]),
        edge_attr_names=attr_names,
        tie=tie,
        pair_keys=pair_keys,
        features=features,
        side=side,
        dense_pairs=dense_pairs,
    )


def _upper_pairs(mat: sp.csr_matrix, n: int) -> tuple[np.ndarray, np.ndarray]:
    coo = sp.triu(mat, k=1).tocoo()
    keys = coo.row.astype(np.int64) * n + coo.col
    order = np.argsort(keys)
    return keys[order], coo.data[order].astype(np.float64)


def _side_signals(
    graph: LinkGraph, features: NodeFeatures, records: np.ndarray, pair_keys: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The view's :data:`SIDE_SIGNALS` that the data carries (none without sightings or a
    money layer), each computed from the visible records only."""
    n = graph.n_nodes
    side: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if features.colocation is not None:
        side["colocation"] = _upper_pairs(features.colocation.days(pair_keys), n)
    money = [i for i, name in enumerate(graph.layers) if name in MONEY_LAYERS]
    if money:
        paid = records & np.isin(graph.layer, money)
        m = adjacency(n, graph.u[paid], graph.v[paid])
        side["shared_money"] = _upper_pairs((m @ m).tocsr(), n)
    return side


def to_pyg(view: View, **extra: Any) -> Data:
    """The view as a PyG ``Data`` (x, edge_index, edge_attr); feature names are re-checked."""
    import torch
    from torch_geometric.data import Data

    check_feature_names(view.x_names)
    return Data(
        x=torch.from_numpy(view.x),
        edge_index=torch.from_numpy(view.edge_index),
        edge_attr=torch.from_numpy(view.edge_attr),
        num_nodes=view.n_nodes,
        **extra,
    )
