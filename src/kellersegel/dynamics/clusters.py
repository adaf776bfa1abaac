"""Clusters of particles: connected components of the graph |X_i − X_j| ≤ r (KD-tree, not N²)."""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

__all__ = ["ClusterTracker", "find_clusters"]


def find_clusters(
    x: NDArray[np.float64], radius: float, tree: cKDTree | None = None
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Groups of particles linked by chains of pairs at distance ≤ ``radius``.

    ``tree``: a KD-tree already built on x (saves building it again).

    Returns
    -------
    labels : array, shape (n,)
        Cluster index of each particle.
    sizes : array, shape (number of clusters,)
        Particles per cluster.
    """
    pairs = (tree or cKDTree(x)).query_pairs(radius, output_type="ndarray").astype(np.int64)
    labels = _components(x.shape[0], pairs.reshape(-1, 2))
    return labels, np.bincount(labels)


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
        self.radius = float(radius)
        self.first_time = np.full(n + 1, np.nan)
        self.largest_seen = 0

    def observe(self, x: NDArray[np.float64], t: float, tree: cKDTree | None = None) -> int:
        """Update with the state at time t; returns the largest cluster size now."""
        _, sizes = find_clusters(x, self.radius, tree)
        largest = int(sizes.max())
        if largest > self.largest_seen:
            self.first_time[self.largest_seen + 1 : largest + 1] = t
            self.largest_seen = largest
        return largest

    def cluster_of_closest_pair(self, x: NDArray[np.float64]) -> int:
        """Size of the cluster that holds the closest pair (the cluster an explosion forms in)."""
        if x.shape[0] < 2:
            return x.shape[0]
        tree = cKDTree(x)
        labels, sizes = find_clusters(x, self.radius, tree)
        distances, _ = tree.query(x, k=2)
        return int(sizes[labels[int(np.argmin(distances[:, 1]))]])
