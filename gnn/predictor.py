"""The link predictor: a message-passing encoder and a decoder that also sees pair features.

Encoder: two GraphSAGE layers (Hamilton, Ying & Leskovec 2017) with mean aggregation whose
messages are gated by the edge attributes (volume per layer, recency) -- the default, cheap on
CPU; or two GATv2 layers (Brody, Alon & Yahav 2022) whose attention reads the edge attributes
(about ten times slower on CPU); or plain GraphSAGE which ignores them.

Decoder: an MLP over the Hadamard product of the two end embeddings concatenated with the
standardised pairwise features (common neighbours, Adamic-Adar, resource allocation, distance,
...), plus a linear path from the pairwise features alone. The heuristics are thus inputs the
model can fall back on, in the spirit of SEAL (Zhang & Chen 2018) and NCN (Wang et al. 2023)
which show that pairwise structure is what plain node embeddings miss.

This module imports torch; import it lazily (``gnn.train`` does).
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["ENCODERS", "VARIANTS", "EdgeGatedSAGEConv", "LinkPredictor", "k_hop_subgraph"]

ENCODERS = ("sage", "gatv2", "plain_sage")
_DECODE_CHUNK_PAIRS = 4096  # pairs whose hidden layer is computed at once when scoring
VARIANTS = ("gnn", "pairwise")


class EdgeGatedSAGEConv(nn.Module):
    """GraphSAGE mean aggregation whose messages are gated by the edge attributes.

    ``h_i' = W_r h_i + mean_j sigmoid(g . e_ij) * W_n h_j``: the gate lets tie volume and
    recency weigh each neighbour (edge-wise gating as in Marcheggiani & Titov 2017), at a
    fraction of the cost of attention (one scalar per edge instead of heads x hidden).

    Plain torch, the operations of PyG's ``MessagePassing(aggr="mean")`` in their order
    (gather the sources, ``scatter_add_`` into the targets, divide by the in-degree floored
    at 1), so the weights and scores are PyG's bit for bit, without importing
    ``torch_geometric`` (2.3 s of CPU per command on the demo case).
    """

    def __init__(self, in_dim: int, out_dim: int, edge_dim: int) -> None:
        super().__init__()
        self.lin_neighbour = nn.Linear(in_dim, out_dim)
        self.lin_root = nn.Linear(in_dim, out_dim, bias=False)
        self.gate = nn.Linear(edge_dim, 1)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> Tensor:
        gate = torch.sigmoid(self.gate(edge_attr))
        messages = self.lin_neighbour(x).index_select(0, edge_index[0]) * gate
        n, target = x.shape[0], edge_index[1]
        count = messages.new_zeros(n).scatter_add_(0, target, messages.new_ones(target.numel()))
        summed = messages.new_zeros((n, messages.shape[1])).scatter_add_(
            0, target.view(-1, 1).expand_as(messages), messages
        )
        out: Tensor = summed / count.clamp(min=1).view(-1, 1) + self.lin_root(x)
        return out


class LinkPredictor(nn.Module):
    """Scores node pairs; ``forward`` returns logits (apply a sigmoid for probabilities).

    Standardisation constants for node and pair features are buffers, so they travel with the
    weights in the safetensors file.
    """

    x_mean: Tensor
    x_std: Tensor
    pair_mean: Tensor
    pair_std: Tensor

    def __init__(
        self,
        *,
        in_dim: int,
        edge_dim: int,
        pair_dim: int,
        hidden: int = 64,
        encoder: str = "sage",
        dropout: float = 0.1,
        variant: str = "gnn",
    ) -> None:
        super().__init__()
        if encoder not in ENCODERS:
            raise ValueError(f"unknown encoder {encoder!r}; one of {ENCODERS}")
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; one of {VARIANTS}")
        self.config: dict[str, Any] = {
            "in_dim": in_dim,
            "edge_dim": edge_dim,
            "pair_dim": pair_dim,
            "hidden": hidden,
            "encoder": encoder,
            "dropout": dropout,
            "variant": variant,
        }
        self.register_buffer("x_mean", torch.zeros(in_dim))
        self.register_buffer("x_std", torch.ones(in_dim))
        self.register_buffer("pair_mean", torch.zeros(pair_dim))
        self.register_buffer("pair_std", torch.ones(pair_dim))
        self.dropout = dropout
        #: where dropout draws its masks (None: torch's global generator). Training sets one
        #: per model, so variants trained side by side in threads draw the same masks as
        #: trained one after the other (the global generator would interleave their draws)
        self.generator: torch.Generator | None = None
        self.encoder = encoder
        self.variant = variant
        self.hidden = hidden
        self.convs = nn.ModuleList()
        dims = [in_dim, hidden, hidden]
        for d_in, d_out in itertools.pairwise(dims):
            if encoder == "gatv2":
                from torch_geometric.nn import GATv2Conv

                conv = GATv2Conv(
                    d_in, d_out, heads=2, concat=False, edge_dim=edge_dim, fill_value="mean"
                )
            elif encoder == "sage":
                conv = EdgeGatedSAGEConv(d_in, d_out, edge_dim)
            else:
                from torch_geometric.nn import SAGEConv

                conv = SAGEConv(d_in, d_out)
            self.convs.append(conv)
        self.skip = nn.Linear(in_dim, hidden)
        self.decoder = nn.Sequential(
            nn.Linear(hidden + pair_dim, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, 1),
        )
        self.pair_linear = nn.Linear(pair_dim, 1)

    def set_standardisation(self, x: Tensor, pair_x: Tensor) -> None:
        """Fit the feature standardisation on training inputs (std floored at 1e-6)."""
        with torch.no_grad():
            self.x_mean.copy_(x.mean(dim=0))
            self.x_std.copy_(x.std(dim=0).clamp_min(1e-6).nan_to_num(1.0))
            self.pair_mean.copy_(pair_x.mean(dim=0))
            self.pair_std.copy_(pair_x.std(dim=0).clamp_min(1e-6).nan_to_num(1.0))

    def standardise_x(self, x: Tensor) -> Tensor:
        return (x - self.x_mean) / self.x_std

    def standardise_pairs(self, pair_x: Tensor) -> Tensor:
        return (pair_x - self.pair_mean) / self.pair_std

    def encode_std(self, xs: Tensor, edge_index: Tensor, edge_attr: Tensor) -> Tensor:
        """Node embeddings from already standardised features ``xs`` (zeros for ``pairwise``)."""
        if self.variant == "pairwise":
            return xs.new_zeros((xs.shape[0], self.hidden))
        h = xs
        for i, conv in enumerate(self.convs):
            if self.encoder == "plain_sage":
                h = conv(h, edge_index)
            else:
                h = conv(h, edge_index, edge_attr)
            if i < len(self.convs) - 1:
                h = self._dropout(torch.relu(h))
        out: Tensor = h + self.skip(xs)
        return out

    def encode(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> Tensor:
        return self.encode_std(self.standardise_x(x), edge_index, edge_attr)

    def decode_std(self, h: Tensor, pairs: Tensor, pair_xs: Tensor) -> Tensor:
        """Logits of ``pairs`` (2, k) from embeddings and standardised pair features."""
        first, relu, _, last = self.decoder
        k = pair_xs.shape[0]
        if self.training or torch.is_grad_enabled() or k < 2 * _DECODE_CHUNK_PAIRS:
            z = torch.cat([self._product(h, pairs), pair_xs], dim=1)
            hidden = relu(first(z))
        else:
            # scoring many pairs: the hidden layer in chunks whose inputs and activations stay
            # in cache (about 4x less CPU than whole on the demo's 950k candidates). Each row
            # of a matrix product is its own dot products, so a chunk's rows are the whole
            # product's (checked in tests/gnn/test_train.py); the last chunk takes the rest,
            # so no chunk is small enough for the BLAS to switch kernels (it does below 4
            # rows). The 1-wide output layers still see every row at once: their results
            # depend on how many rows they are given.
            hidden = pair_xs.new_empty((k, self.hidden))
            bounds = [*range(0, k - _DECODE_CHUNK_PAIRS, _DECODE_CHUNK_PAIRS), k]
            for start, stop in itertools.pairwise(bounds):
                z = torch.cat([self._product(h, pairs[:, start:stop]), pair_xs[start:stop]], dim=1)
                hidden[start:stop] = relu(first(z))
        logits: Tensor = last(self._dropout(hidden)).squeeze(-1) + self.pair_linear(
            pair_xs
        ).squeeze(-1)
        return logits

    def _dropout(self, h: Tensor) -> Tensor:
        """Inverted dropout (Srivastava et al. 2014) with masks from :attr:`generator`: in
        training each value is kept with probability ``1 - dropout`` and scaled by its
        inverse; otherwise ``h`` as it is. (The decoder's ``nn.Dropout`` stays in its
        ``Sequential`` so that saved weights keep their names; it is not called.)"""
        if not self.training or self.dropout == 0:
            return h
        keep = torch.rand(h.shape, generator=self.generator) >= self.dropout
        out: Tensor = h * keep * (1.0 / (1.0 - self.dropout))
        return out

    def _product(self, h: Tensor, pairs: Tensor) -> Tensor:
        """The Hadamard product of the two ends' embeddings, one row per pair."""
        if self.variant == "pairwise":  # its embeddings are zeros, and so is their product:
            # skip gathering them for every pair (most of the cost of scoring many pairs)
            return h.new_zeros((pairs.shape[1], self.hidden))
        product: Tensor = h[pairs[0]] * h[pairs[1]]
        return product

    def forward(
        self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, pairs: Tensor, pair_x: Tensor
    ) -> Tensor:
        h = self.encode(x, edge_index, edge_attr)
        return self.decode_std(h, pairs, self.standardise_pairs(pair_x))


def k_hop_subgraph(
    nodes: Tensor, hops: int, edge_index: Tensor, *, num_nodes: int
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The nodes within ``hops`` of ``nodes`` (edges read source to target) and the edges
    among them, relabelled: ``(subset, edge_index, mapping, edge_mask)`` as
    ``torch_geometric.utils.k_hop_subgraph(..., relabel_nodes=True)`` returns them."""
    source, target = edge_index
    node_mask = torch.zeros(num_nodes, dtype=torch.bool)
    subsets = [nodes]
    for _ in range(hops):
        node_mask.fill_(False)
        node_mask[subsets[-1]] = True
        subsets.append(source[node_mask[target]])
    subset, inverse = torch.cat(subsets).unique(return_inverse=True)  # type: ignore[no-untyped-call]
    node_mask.fill_(False)
    node_mask[subset] = True
    edge_mask = node_mask[target] & node_mask[source]
    relabel = torch.full((num_nodes,), -1, dtype=torch.long)
    relabel[subset] = torch.arange(subset.numel())
    return subset, relabel[edge_index[:, edge_mask]], inverse[: nodes.numel()], edge_mask
