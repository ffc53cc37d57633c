"""SpringRank (De Bacco, Larremore & Moore 2018, Science Advances 4:eaar8260) and its test.

Each directed edge ``i -> j`` of weight ``w`` is a spring of rest length 1 pulling ``s_i`` one
unit above ``s_j``; the ranks minimising ``1/2 sum_ij A_ij (s_i - s_j - 1)^2 + alpha/2 sum_i
s_i^2`` solve the sparse system ``(D_out + D_in - A - A^T + alpha I) s = d_out - d_in``. With
``alpha = 0`` ranks are defined up to a shift per connected component; each component's mean
is fixed at 0. The probability that ``i`` is above ``j`` in an interaction is
``1 / (1 + exp(-2 beta (s_i - s_j)))``, ``beta`` fitted by maximum likelihood. Whether a
ranking means anything is tested in :mod:`graphkit.analytics.ordering`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from graphkit.analytics.graph import collapse

if TYPE_CHECKING:
    import igraph as ig
    from scipy import sparse

__all__ = [
    "SpringSolver",
    "fit_beta",
    "springrank",
    "springrank_energy",
    "springrank_matrix",
]

log = logging.getLogger(__name__)

_DIRECT_SOLVE_MAX = 50_000


def _adjacency(g: ig.Graph) -> sparse.csr_matrix:
    from scipy import sparse

    d = collapse(g, directed=True)
    n = d.vcount()
    if d.ecount() == 0:
        return sparse.csr_matrix((n, n))
    el = np.asarray(d.get_edgelist(), dtype=np.int64)
    w = np.asarray(d.es["weight"], dtype=float)
    return sparse.csr_matrix((w, (el[:, 0], el[:, 1])), shape=(n, n))


class SpringSolver:
    """SpringRank's linear system for one symmetric tie structure, factorised once.

    The matrix ``D_out + D_in - A - A^T (+ alpha I)`` depends only on ``A + A^T``, which
    re-drawing edge directions leaves unchanged; only the right-hand side ``d_out - d_in``
    changes. So the observed ranking and every null draw share one factorisation. With
    ``alpha = 0`` one vertex per connected component is grounded (the reduced Laplacian of a
    connected graph is non-singular) and each component is then centred on 0. Sparse LU when
    the largest component has at most 50,000 vertices, Jacobi-preconditioned conjugate
    gradients beyond.
    """

    def __init__(self, sym: sparse.spmatrix, *, alpha: float = 0.0) -> None:
        from scipy import sparse
        from scipy.sparse import csgraph
        from scipy.sparse import linalg as splinalg

        sym = sparse.csr_matrix(sym, dtype=float)
        n = sym.shape[0]
        self.n = n
        self.alpha = alpha
        lap = (sparse.diags(np.asarray(sym.sum(axis=1)).ravel()) - sym).tocsr()
        self.n_comp, self.comp = csgraph.connected_components(sym, directed=False)
        self.comp_size = np.bincount(self.comp, minlength=self.n_comp)
        if alpha > 0:
            self.free = np.arange(n)
            system = (lap + alpha * sparse.identity(n)).tocsc()
        else:
            grounded = np.zeros(n, dtype=bool)
            _, first = np.unique(self.comp, return_index=True)
            grounded[first] = True
            self.free = np.flatnonzero(~grounded)
            system = lap[self.free][:, self.free].tocsc()
        self.system = system
        self.lu = None
        if len(self.free) and (self.comp_size.max() if n else 0) <= _DIRECT_SOLVE_MAX:
            # the system is symmetric: a minimum-degree ordering of A + A^T fills about half
            # as much as the default column ordering (COLAMD) and solves faster; the null
            # draws solve it hundreds of times (docs/speed.md, session 18)
            self.lu = splinalg.splu(system, permc_spec="MMD_AT_PLUS_A")

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """Scores for the right-hand side ``d_out - d_in`` (vector, or one column per draw)."""
        from scipy import sparse
        from scipy.sparse import linalg as splinalg

        rhs = np.asarray(rhs, dtype=float)
        scores = np.zeros(rhs.shape)
        if len(self.free):
            sub = rhs[self.free]
            if self.lu is not None:
                scores[self.free] = self.lu.solve(sub)
            else:
                diag = self.system.diagonal()
                precond = sparse.diags(1.0 / np.where(diag > 0, diag, 1.0))
                cols = sub.reshape(len(self.free), -1)
                out = np.empty_like(cols)
                for k in range(cols.shape[1]):
                    x, info = splinalg.cg(
                        self.system, cols[:, k], M=precond, rtol=1e-10, maxiter=10_000
                    )
                    if info != 0:
                        log.warning("SpringRank: CG stopped before tolerance (info=%d)", info)
                    out[:, k] = x
                scores[self.free] = out.reshape(sub.shape)
        if self.alpha > 0:
            return scores
        flat = scores.reshape(self.n, -1)
        for k in range(flat.shape[1]):
            means = np.bincount(self.comp, weights=flat[:, k], minlength=self.n_comp)
            flat[:, k] -= (means / self.comp_size)[self.comp]
        return flat.reshape(scores.shape)


def _clean(adjacency: sparse.spmatrix) -> sparse.csr_matrix:
    from scipy import sparse

    a = sparse.csr_matrix(adjacency, dtype=float)
    a.setdiag(0)
    a.eliminate_zeros()
    return a


def springrank_matrix(adjacency: sparse.spmatrix, *, alpha: float = 0.0) -> np.ndarray:
    """SpringRank scores for a (weighted, directed) sparse adjacency matrix.

    ``adjacency[i, j]`` is the weight of ``i -> j`` (``i`` ranks above ``j``). ``alpha > 0``
    regularises towards 0; ``alpha = 0`` centres each weakly connected component on 0.
    """
    a = _clean(adjacency)
    if a.shape[0] == 0:
        return np.zeros(0)
    rhs = np.asarray(a.sum(axis=1)).ravel() - np.asarray(a.sum(axis=0)).ravel()
    return SpringSolver(a + a.T, alpha=alpha).solve(rhs)


def springrank(g: ig.Graph, *, alpha: float = 0.0, groups: np.ndarray | None = None) -> np.ndarray:
    """SpringRank of the layer-summed directed graph ``g``; with ``groups`` (one label per
    vertex), only edges inside a group count, so each group gets its own ranking."""
    a = _adjacency(g)
    if groups is not None:
        coo = a.tocoo()
        keep = groups[coo.row] == groups[coo.col]
        from scipy import sparse

        a = sparse.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=a.shape)
    return springrank_matrix(a, alpha=alpha)


def fit_beta(adjacency: sparse.spmatrix, scores: np.ndarray) -> float:
    """Inverse temperature of SpringRank's edge-direction model by maximum likelihood.

    Maximises ``sum_ij A_ij log p_ij`` with ``p_ij = 1 / (1 + exp(-2 beta (s_i - s_j)))``
    (De Bacco et al. 2018, the "local accuracy" likelihood).
    """
    from scipy import optimize

    coo = sparse_coo(adjacency)
    if coo.nnz == 0:
        return 1.0
    diff = scores[coo.row] - scores[coo.col]
    w = coo.data

    def loss(beta: float) -> float:
        return float(np.sum(w * np.logaddexp(0.0, -2.0 * beta * diff)))

    res = optimize.minimize_scalar(loss, bounds=(1e-3, 50.0), method="bounded")
    return float(res.x)


def sparse_coo(adjacency: sparse.spmatrix) -> sparse.coo_matrix:
    from scipy import sparse

    return sparse.coo_matrix(adjacency)


def springrank_energy(
    adjacency: sparse.spmatrix, scores: np.ndarray, groups: np.ndarray
) -> np.ndarray:
    """Ground-state energy ``1/2 sum A_ij (s_i - s_j - 1)^2`` per group (edges inside groups)."""
    coo = sparse_coo(adjacency)
    k = int(groups.max()) + 1 if len(groups) else 0
    terms = coo.data * (scores[coo.row] - scores[coo.col] - 1.0) ** 2
    return np.bincount(groups[coo.row], weights=terms, minlength=k) / 2.0
