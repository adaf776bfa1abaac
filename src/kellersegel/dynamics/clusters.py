"""Close pairs and clusters of particles: connected components of the graph |X_i − X_j| ≤ r.

The closest pair comes from a compiled cell grid (O(N): about one particle per cell, a pair closer
than the cell side lies in one cell or two neighbouring ones), with scipy's KD-tree where the grid
cannot answer (a pair farther apart than a cell, or cells so crowded that the grid would do more
than 64 N distance evaluations); at 2^18 Gaussian points the grid takes ~0.03 s (2 threads) and the
KD-tree's build and query ~0.6 s. The pairs within a radius come from the KD-tree (none are searched for a
radius below the smallest distance); below 64 particles one compiled pass over all pairs is faster
and gives the same pairs.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from numba import prange
from numpy.typing import NDArray
from scipy.spatial import cKDTree

__all__ = [
    "ClosePairs",
    "ClusterTracker",
    "close_pairs",
    "cluster_of_closest_pair",
    "find_clusters",
    "members_of_closest_pair",
]

#: below this many particles the all-pairs pass beats building a KD-tree
_ALL_PAIRS_BELOW = 64


class ClosePairs(NamedTuple):
    """The closest pair and all pairs within a radius, of one state."""

    min_distance: float  #: min_{i≠j} |X_i − X_j| (NaN for one particle)
    closest: int  #: a particle of the closest pair (−1 for one particle)
    pairs: NDArray[np.int64]  #: shape (P, 2), i < j, the pairs at distance ≤ radius


def close_pairs(x: NDArray[np.float64], radius: float) -> ClosePairs:
    """The closest pair of x, shape (n, 2), and the pairs at distance ≤ ``radius``."""
    n = x.shape[0]
    if n < 2:
        return ClosePairs(float("nan"), -1, np.empty((0, 2), dtype=np.int64))
    x = np.ascontiguousarray(x, dtype=np.float64)
    if n < _ALL_PAIRS_BELOW:
        distance, closest, pairs = _all_pairs(x, radius)
        return ClosePairs(distance, closest, pairs)
    tree = None
    distance, closest = _grid_closest_pair(x) if np.isfinite(x).all() else (np.nan, -1)
    if not distance >= 0:  # the grid could not answer
        tree = cKDTree(x)
        distances, _ = tree.query(x, k=2)
        closest = int(np.argmin(distances[:, 1]))
        distance = float(distances[closest, 1])
    if radius < distance:
        return ClosePairs(distance, closest, np.empty((0, 2), dtype=np.int64))
    tree = cKDTree(x) if tree is None else tree
    pairs = tree.query_pairs(radius, output_type="ndarray").astype(np.int64).reshape(-1, 2)
    return ClosePairs(distance, closest, pairs)


@numba.njit(cache=True)
def _cells(x: NDArray[np.float64]) -> tuple[int, int, float, NDArray[np.int64], NDArray[np.int64]]:
    """About n square cells, kx × ky, over the bounding box: (kx, ky, their side h, first, order)
    with cell c = kx·row + column holding the indices order[first[c]:first[c + 1]], ascending (a
    counting sort)."""
    n = x.shape[0]
    x0, y0 = x[:, 0].min(), x[:, 1].min()
    wx, wy = x[:, 0].max() - x0, x[:, 1].max() - y0
    h = max(np.sqrt(wx * wy / n), max(wx, wy) / n, 1e-300)
    kx, ky = min(int(wx / h) + 1, n), min(int(wy / h) + 1, n)
    cells = np.empty(n, dtype=np.int64)
    count = np.zeros(kx * ky + 1, dtype=np.int64)
    for i in range(n):
        cx = min(int((x[i, 0] - x0) / h), kx - 1)
        cy = min(int((x[i, 1] - y0) / h), ky - 1)
        cells[i] = cy * kx + cx
        count[cells[i] + 1] += 1
    first = np.cumsum(count)
    fill = first[:-1].copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        order[fill[cells[i]]] = i
        fill[cells[i]] += 1
    return kx, ky, h, first, order


@numba.njit(cache=True, parallel=True)
def _grid_closest_pair(x: NDArray[np.float64]) -> tuple[float, int]:
    """(min_{i≠j} |x_i − x_j|, the smallest index of a pair at that distance) from the cells of
    :func:`_cells`: each pair of one cell or of two neighbouring cells is compared once, the rows
    of cells in parallel and their results reduced in row order (the same answer for any number
    of threads); (NaN, −1) where the answer may lie outside them (the smallest distance found
    exceeds the cell side) or the cells are too crowded (Σ_c n_c² > 64 n)."""
    kx, ky, h, first, order = _cells(x)
    sizes = np.diff(first)
    if np.sum(sizes * sizes) > 64 * x.shape[0]:
        return np.nan, -1
    xs, ys = x[order, 0], x[order, 1]  # in cell order: the scan reads memory in sequence
    row_best = np.full(ky, np.inf)
    row_closest = np.full(ky, -1)
    for cy in prange(ky):
        row_best[cy], row_closest[cy] = _row_closest_pair(cy, kx, ky, first, order, xs, ys)
    best, closest = np.inf, -1
    for cy in range(ky):
        d2, i = row_best[cy], row_closest[cy]
        if d2 < best or (d2 == best and i < closest):
            best, closest = d2, i
    if not best <= h * h:
        return np.nan, -1
    return np.sqrt(best), closest


@numba.njit(cache=True)
def _row_closest_pair(cy, kx, ky, first, order, xs, ys):
    """(d², smallest index) of the closest pair with a particle in row cy of the cells and the
    other in the same cell or a neighbour after it (each neighbour pair once over all rows)."""
    best, closest = np.inf, -1
    for cx in range(kx):
        c = cy * kx + cx
        for a in range(first[c], first[c + 1]):
            for dxc, dyc in ((0, 0), (1, 0), (-1, 1), (0, 1), (1, 1)):
                ux, uy = cx + dxc, cy + dyc
                if ux < 0 or ux >= kx or uy >= ky:
                    continue
                u = uy * kx + ux
                for b in range(a + 1 if u == c else first[u], first[u + 1]):
                    d2 = (xs[a] - xs[b]) ** 2 + (ys[a] - ys[b]) ** 2
                    if d2 < best or (d2 == best and min(order[a], order[b]) < closest):
                        best, closest = d2, min(order[a], order[b])
    return best, closest


@numba.njit(cache=True)
def _all_pairs(x: NDArray[np.float64], radius: float) -> tuple[float, int, NDArray[np.int64]]:
    n = x.shape[0]
    best, closest = np.inf, 0
    found = np.empty((16, 2), dtype=np.int64)
    count = 0
    r2 = radius * radius
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[i, 0] - x[j, 0], x[i, 1] - x[j, 1]
            d2 = dx * dx + dy * dy
            if d2 < best:
                best, closest = d2, i
            if d2 <= r2:
                if count == found.shape[0]:
                    grown = np.empty((2 * count, 2), dtype=np.int64)
                    grown[:count] = found
                    found = grown
                found[count, 0], found[count, 1] = i, j
                count += 1
    return np.sqrt(best), closest, found[:count].copy()


def cluster_labels(n: int, pairs: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Connected components of n particles linked by ``pairs``: (labels, shape (n,); sizes)."""
    labels = _components(n, pairs)
    return labels, np.bincount(labels, minlength=1)


def find_clusters(x: NDArray[np.float64], radius: float) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Groups of particles linked by chains of pairs at distance ≤ ``radius``.

    Returns
    -------
    labels : array, shape (n,)
        Cluster index of each particle.
    sizes : array, shape (number of clusters,)
        Particles per cluster.
    """
    return cluster_labels(x.shape[0], close_pairs(x, radius).pairs)


@numba.njit(cache=True)
def _components(n: int, pairs: NDArray[np.int64]) -> NDArray[np.int64]:
    """Connected components by union–find; labels numbered in order of first particle."""
    parent = np.arange(n)
    for e in range(pairs.shape[0]):
        a, b = pairs[e, 0], pairs[e, 1]
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a != b:
            parent[max(a, b)] = min(a, b)
    labels = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        root = i
        while parent[root] != root:
            root = parent[root]
        if root == i:
            labels[i] = count
            count += 1
        else:
            labels[i] = labels[root]
    return labels


class ClusterTracker:
    """Largest cluster over time and the first time a cluster of each size appears.

    Parameters
    ----------
    n : int
        Number of particles.
    radius : float
        Linking distance r.

    Attributes
    ----------
    first_time : array, shape (n + 1,)
        ``first_time[k]``: first observed time with a cluster of ≥ k particles (NaN: never;
        ``first_time[1] = t0``, ``first_time[0]`` unused, NaN).
    """

    def __init__(self, n: int, radius: float) -> None:
        if not radius > 0:
            raise ValueError(f"cluster radius must be > 0, got {radius}")
        self.n = int(n)
        self.radius = float(radius)
        self.first_time = np.full(n + 1, np.nan)
        self.largest_seen = 0

    def pairs(self, x: NDArray[np.float64]) -> ClosePairs:
        """The close pairs of x at the linking distance."""
        return close_pairs(x, self.radius)

    def observe(self, x: NDArray[np.float64], t: float, pairs: ClosePairs | None = None) -> int:
        """Update with the state at time t (``pairs``: its close pairs); the largest cluster size."""
        found = (self.pairs(x) if pairs is None else pairs).pairs
        largest = 1 if len(found) == 0 else int(cluster_labels(self.n, found)[1].max())
        if largest > self.largest_seen:
            self.first_time[self.largest_seen + 1 : largest + 1] = t
            self.largest_seen = largest
        return largest


def cluster_of_closest_pair(x: NDArray[np.float64], radius: float) -> int:
    """Size of the cluster of x, shape (n, 2), that holds the closest pair, linked at ``radius``."""
    return len(members_of_closest_pair(x.shape[0], close_pairs(x, radius)))


def members_of_closest_pair(n: int, found: ClosePairs) -> NDArray[np.int64]:
    """The particles (sorted) of the cluster that holds the closest pair of ``found`` (n particles)."""
    if n < 2:
        return np.arange(n)
    labels = _components(n, found.pairs)
    return np.flatnonzero(labels == labels[found.closest])
