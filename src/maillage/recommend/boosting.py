"""Small gradient-boosted decision trees for binary labels, in numpy.

Friedman (2001), "Greedy function approximation: a gradient boosting machine", with
the second-order (Newton) leaf values and histogram split search popularised by
XGBoost (Chen & Guestrin 2016) and LightGBM (Ke et al. 2017). Features are binned
once into at most ``bins`` quantile bins; every tree is a complete tree of ``depth``
levels (a node that cannot split sends all rows to its left child), so prediction is
``depth`` vectorised lookups per tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

Float = npt.NDArray[np.float64]


@dataclass
class Tree:
    """A complete binary tree: split feature and bin per inner node, value per leaf."""

    feature: npt.NDArray[np.int64]
    threshold: npt.NDArray[np.int64]
    leaf: Float


@dataclass
class BoostedTrees:
    """Logistic-loss gradient boosting; ``fit`` then ``decision`` (log-odds)."""

    n_trees: int = 80
    depth: int = 4
    learning_rate: float = 0.15
    bins: int = 32
    min_leaf: float = 20.0
    l2: float = 1.0
    subsample: float = 0.5  # rows drawn per tree (stochastic gradient boosting, Friedman 2002)
    seed: int = 0
    edges: list[Float] = field(default_factory=list)
    trees: list[Tree] = field(default_factory=list)
    base: float = 0.0
    _ones: Float = field(default_factory=lambda: np.ones(0), repr=False)

    def binned(self, x: Float) -> npt.NDArray[np.uint8]:
        """Bin index of every value, features x rows (``x`` is rows x features): the
        number of the feature's edges at or below the value, a NaN past the last (what
        ``np.searchsorted(edges, value, side="right")`` gives), counted by one vectorised
        comparison per edge (at most ``bins - 1`` edges: cheaper than a binary search
        per value)."""
        columns = np.ascontiguousarray(x.T)
        out = np.zeros(columns.shape, dtype=np.uint8)
        above = np.empty(columns.shape[1], dtype=bool)
        for j, edges in enumerate(self.edges):
            for edge in edges:
                np.greater_equal(columns[j], edge, out=above)
                out[j] += above
            out[j][np.isnan(columns[j])] = len(edges)
        return out

    def fit(self, x: Float, y: Float, weight: Float | None = None) -> BoostedTrees:
        """Fit on rows ``x`` with 0/1 labels ``y`` and optional sample weights."""
        rng = np.random.default_rng(self.seed)
        qs = np.linspace(0, 1, self.bins + 1)[1:-1]
        self.edges = [np.unique(np.quantile(x[:, j], qs)) for j in range(x.shape[1])]
        columns = self.binned(x)
        b = np.ascontiguousarray(columns.T)
        column_major = columns.ravel()
        flat = b.astype(np.int32) + np.arange(b.shape[1], dtype=np.int32) * (self.bins + 1)
        w = np.ones(len(y)) if weight is None else weight
        p0 = float(np.clip(np.average(y, weights=w), 1e-6, 1 - 1e-6))
        self.base = float(np.log(p0 / (1 - p0)))
        f = np.full(len(y), self.base)
        self.trees = []
        for _ in range(self.n_trees):
            p = 1.0 / (1.0 + np.exp(-f))
            rows = np.flatnonzero(rng.random(len(y)) < self.subsample)
            g = (p[rows] - y[rows]) * w[rows]
            h = np.maximum(p[rows] * (1 - p[rows]), 1e-6) * w[rows]
            tree = self._grow(b[rows], flat[rows], g, h, w[rows])
            self.trees.append(tree)
            f += self.learning_rate * self._leaves(tree, column_major, len(y))
        return self

    def _histograms(
        self, flat: npt.NDArray[np.int32], slot: npt.NDArray[np.int64], k: int, v: Float
    ) -> list[Float]:
        """Per node slot, feature and bin: the sums of each column of ``v`` (``k`` slots).

        One sparse one-hot product (rows x slots*features*bins, transposed, times ``v``)
        adds the three statistics in a single pass.
        """
        d, stride = flat.shape[1], self.bins + 1
        r = len(slot)
        key = (flat + (slot * (d * stride)).astype(np.int32)[:, None]).ravel()
        if len(self._ones) < r * d:
            self._ones = np.ones(r * d)
        onehot = sp.csr_matrix(
            (self._ones[: r * d], key, np.arange(0, r * d + 1, d)), shape=(r, k * d * stride)
        )
        sums = np.asarray(onehot.T @ v)
        return [sums[:, i].reshape(k, d, stride) for i in range(v.shape[1])]

    def _grow(
        self, b: npt.NDArray[np.uint8], flat: npt.NDArray[np.int32], g: Float, h: Float, c: Float
    ) -> Tree:
        """One tree, level by level; a right child's histograms are its parent's minus its
        left sibling's (the subtraction trick of LightGBM, Ke et al. 2017)."""
        n_inner = 2**self.depth - 1
        feature = np.zeros(n_inner, dtype=np.int64)
        threshold = np.full(n_inner, self.bins, dtype=np.int64)
        node = np.zeros(len(g), dtype=np.int64)
        rows = np.arange(len(g))
        ghc = np.column_stack([g, h, c])  # the three statistics, one row per row
        hist = self._histograms(flat, node, 1, ghc)
        for level in range(self.depth):
            first, width = 2**level - 1, 2**level
            if level:
                left = (node - first) % 2 == 0
                part = self._histograms(
                    flat[left], (node[left] - first) // 2, width // 2, ghc[left]
                )
                hist = [
                    np.stack([lh, ph - lh], axis=1).reshape(width, *ph.shape[1:])
                    for lh, ph in zip(part, hist, strict=True)
                ]
            for k in range(width):
                fj, tb = self._best_split(hist[0][k], hist[1][k], hist[2][k])
                feature[first + k], threshold[first + k] = fj, tb
            node = 2 * node + 1 + (b[rows, feature[node]] > threshold[node])
        leaf_index = node - n_inner
        gl = np.bincount(leaf_index, weights=g, minlength=n_inner + 1)
        hl = np.bincount(leaf_index, weights=h, minlength=n_inner + 1)
        return Tree(feature, threshold, -gl / (hl + self.l2))

    def _best_split(self, g: Float, h: Float, c: Float) -> tuple[int, int]:
        gl, hl, cl = (np.cumsum(a, axis=1)[:, :-1] for a in (g, h, c))
        gt, ht, ct = g.sum(axis=1)[:, None], h.sum(axis=1)[:, None], c.sum(axis=1)[:, None]
        gain = gl**2 / (hl + self.l2) + (gt - gl) ** 2 / (ht - hl + self.l2)
        gain -= gt**2 / (ht + self.l2)
        gain[(cl < self.min_leaf) | (ct - cl < self.min_leaf)] = -np.inf
        j, t = np.unravel_index(int(np.argmax(gain)), gain.shape)
        if not np.isfinite(gain[j, t]) or gain[j, t] <= 0:
            return 0, self.bins
        return int(j), int(t)

    def _leaves(self, tree: Tree, column_major: npt.NDArray[np.uint8], n: int) -> Float:
        node = np.zeros(n, dtype=np.int64)
        rows = np.arange(n, dtype=np.int64)
        for _ in range(self.depth):
            value = column_major[tree.feature[node] * n + rows]
            node = 2 * node + 1 + (value > tree.threshold[node])
        return np.asarray(tree.leaf[node - (2**self.depth - 1)], dtype=np.float64)

    def decision(self, x: Float) -> Float:
        """Log-odds for every row of ``x``."""
        out = np.full(len(x), self.base)
        for start in range(0, len(x), 1 << 18):
            part = x[start : start + (1 << 18)]
            column_major = self.binned(part).ravel()
            for tree in self.trees:
                out[start : start + len(part)] += self.learning_rate * self._leaves(
                    tree, column_major, len(part)
                )
        return out
