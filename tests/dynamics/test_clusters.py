"""Cluster detection against a brute-force connected-components search."""

import numpy as np
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import pdist, squareform

from kellersegel.dynamics import ClusterTracker, find_clusters
from kellersegel.dynamics.clusters import cluster_of_closest_pair


def test_clusters_match_brute_force(rng):
    for n, radius in [(2, 0.5), (50, 0.1), (400, 0.05)]:
        x = rng.uniform(size=(n, 2))
        labels, sizes = find_clusters(x, radius)
        count, expected = connected_components(squareform(pdist(x)) <= radius, directed=False)
        assert len(sizes) == count and sizes.sum() == n
        # same partition: labels agree up to renaming
        pairs = np.unique(np.stack([labels, expected], axis=1), axis=0)
        assert len(pairs) == count


def test_tracker_first_times_and_closest_pair():
    tracker = ClusterTracker(4, radius=0.1)
    far = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    assert tracker.observe(far, 0.0) == 1
    three = np.array([[0.0, 0.0], [0.05, 0.0], [0.1, 0.0], [3.0, 0.0]])
    assert tracker.observe(three, 0.5) == 3
    np.testing.assert_array_equal(tracker.first_time[1:], [0.0, 0.5, 0.5, np.nan])
    assert cluster_of_closest_pair(np.array([[0, 0], [0.01, 0], [2, 0], [2.05, 0.0]]), tracker.radius) == 2
