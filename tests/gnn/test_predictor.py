"""The encoder in plain torch equals PyG's message passing, bit for bit (PyG is the oracle)."""

from __future__ import annotations

import os
import subprocess
import sys

import torch
from torch import Tensor, nn

from gnn.predictor import EdgeGatedSAGEConv, LinkPredictor, k_hop_subgraph
from tests.conftest import REPO_ROOT


def _pyg_reference(conv: EdgeGatedSAGEConv) -> nn.Module:
    """The encoder as it was written with ``MessagePassing(aggr="mean")``, same weights."""
    from torch_geometric.nn import MessagePassing

    class Reference(MessagePassing):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(aggr="mean")
            self.lin_neighbour = conv.lin_neighbour
            self.lin_root = conv.lin_root
            self.gate = conv.gate

        def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> Tensor:
            gate = torch.sigmoid(self.gate(edge_attr))
            agg: Tensor = self.propagate(edge_index, x=self.lin_neighbour(x), gate=gate)
            out: Tensor = agg + self.lin_root(x)
            return out

        def message(self, x_j: Tensor, gate: Tensor) -> Tensor:
            return x_j * gate

    return Reference()


def test_edge_gated_sage_equals_pyg_message_passing_exactly() -> None:
    torch.manual_seed(3)
    n, m = 60, 400
    edge_index = torch.randint(0, n, (2, m))
    edge_index[1, :5] = 7  # a node with many messages; some nodes get none
    x, edge_attr = torch.randn(n, 9), torch.randn(m, 4)
    conv = EdgeGatedSAGEConv(9, 16, 4)
    ref = _pyg_reference(conv)
    assert set(ref.state_dict()) == set(conv.state_dict())
    ours, theirs = conv(x, edge_index, edge_attr), ref(x, edge_index, edge_attr)
    assert torch.equal(ours, theirs)
    assert (ours != conv.lin_root(x)).any()  # the aggregation added something
    g1 = torch.autograd.grad(ours.square().sum(), list(conv.parameters()))
    g2 = torch.autograd.grad(ref(x, edge_index, edge_attr).square().sum(), list(conv.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(g1, g2, strict=True))


def test_k_hop_subgraph_equals_pyg() -> None:
    from torch_geometric.utils import k_hop_subgraph as pyg_k_hop

    torch.manual_seed(5)
    n = 80
    edge_index = torch.randint(0, n, (2, 150))
    edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)
    for pair in ([0, 1], [5, 40], [3, 3]):
        nodes = torch.tensor(pair)
        ours = k_hop_subgraph(nodes, 2, edge_index, num_nodes=n)
        theirs = pyg_k_hop(nodes, 2, edge_index, relabel_nodes=True, num_nodes=n)
        for a, b in zip(ours, theirs, strict=True):
            assert torch.equal(a, b)
        assert ours[0].numel() > 2 or pair == [3, 3]


def test_training_and_ranking_import_neither_torch_geometric_nor_dynamo() -> None:
    code = (
        "import sys; from tests.gnn.conftest import random_edges; "
        "from gnn.data import NodeFeatures, link_graph; from gnn.splits import random_split; "
        "from gnn.train import TrainConfig, train_link_model; "
        "from gnn.predict import predict_links; "
        "g = link_graph(random_edges(1)); f = NodeFeatures.empty(g.n_nodes); "
        "r = train_link_model(g, f, random_split(g, seed=0), seed=0, "
        "config=TrainConfig(epochs=3)); "
        "predict_links(r.model, g, f, top_k=3, seed=0); "
        "assert 'torch' in sys.modules and 'torch_geometric' not in sys.modules; "
        "assert 'torch._dynamo' not in sys.modules"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_dropout_draws_from_the_models_generator() -> None:
    """Dropout masks come from the model's own generator: the same seed drops the same
    values; in training about ``dropout`` of them are zeroed and the rest scaled by
    ``1 / (1 - dropout)``; in evaluation nothing is dropped."""
    torch.manual_seed(0)
    model = LinkPredictor(in_dim=3, edge_dim=1, pair_dim=2, hidden=8, dropout=0.25)
    h = torch.ones(400, 50)
    masks = []
    for _ in range(2):
        model.generator = torch.Generator().manual_seed(9)
        model.train()
        masks.append(model._dropout(h))
    assert torch.equal(masks[0], masks[1])
    zeroed = float((masks[0] == 0).float().mean())
    assert 0.23 < zeroed < 0.27
    assert torch.allclose(masks[0][masks[0] != 0], torch.full((1,), 1 / 0.75))
    model.generator = torch.Generator().manual_seed(10)
    assert not torch.equal(model._dropout(h), masks[0])
    model.eval()
    assert model._dropout(h) is h
