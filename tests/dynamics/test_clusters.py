"""Cluster detection against a brute-force connected-components search."""

import numpy as np
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import pdist, squareform

from kellersegel.dynamics import ClusterTracker, find_clusters
from kellersegel.dynamics.clusters import _grid_closest_pair, close_pairs, cluster_of_closest_pair


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


def _brute_closest(x):
    d = squareform(pdist(x))
    np.fill_diagonal(d, np.inf)
    best = d.min()
    return best, int(np.argwhere(d == best).min())


def test_closest_pair_matches_brute_force(rng):
    lattice = np.stack(np.meshgrid(np.arange(12.0), np.arange(12.0)), axis=-1).reshape(-1, 2)
    duplicates = rng.standard_normal((300, 2))
    duplicates[[70, 90]] = duplicates[[5, 3]]  # two pairs at distance 0: the smallest index is 3
    clustered = np.concatenate([1e-7 * rng.standard_normal((195, 2)), 50 * rng.uniform(size=(5, 2))])
    cases = {
        "gaussian": (rng.standard_normal((2000, 2)), True),
        "uniform": (rng.uniform(size=(3000, 2)), True),
        "duplicates": (duplicates, True),
        "lattice": (lattice, False),  # every pair farther apart than a cell: the KD-tree answers
        "clustered": (clustered, False),  # one crowded cell: the KD-tree answers
    }
    for name, (x, by_grid) in cases.items():
        expected = _brute_closest(x)
        found = close_pairs(x, 0.0)
        assert (found.min_distance, found.closest) == expected, name
        grid = _grid_closest_pair(np.ascontiguousarray(x))
        assert (grid == expected) if by_grid else np.isnan(grid[0]), name
    assert close_pairs(duplicates, 0.0)[:2] == (0.0, 3)


def test_pairs_within_a_radius_around_the_smallest_distance(rng):
    x = rng.standard_normal((500, 2))
    d, _ = _brute_closest(x)
    assert len(close_pairs(x, 0.999 * d).pairs) == 0
    assert len(close_pairs(x, d).pairs) == 1
    within = close_pairs(x, 0.1).pairs
    expected = np.argwhere(np.triu(squareform(pdist(x)) <= 0.1, k=1))
    np.testing.assert_array_equal(np.unique(within, axis=0), expected)


def test_grid_finds_a_pair_across_a_cell_corner(rng):
    """The closest pair straddles a cell corner on the anti-diagonal: only the (−1, +1)
    neighbour of the lower cell holds the other point."""
    n = 3002
    h = 1.0 / np.sqrt(n)  # the cell side of _cells over the unit square with n points
    corner, delta = 20 * h, 1e-9
    x = np.concatenate([[[0.0, 0.0], [1.0, 1.0]], rng.uniform(0.1, 0.9, (n - 4, 2))])
    x = np.concatenate([x, [[corner + delta, corner - delta], [corner - delta, corner + delta]]])
    assert _grid_closest_pair(x) == _brute_closest(x)
