"""Diagnostics of a particle state: moments, centre of mass, minimum pair distance."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.clusters import close_pairs

__all__ = ["center_of_mass", "min_pair_distance", "second_moment"]


def second_moment(x: NDArray[np.float64]) -> float:
    """(1/N) Σ_i |X_i|²."""
    return float(np.einsum("ij,ij->", x, x) / x.shape[0])


def center_of_mass(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """(1/N) Σ_i X_i, shape (2,)."""
    return x.mean(axis=0)


def min_pair_distance(x: NDArray[np.float64]) -> float:
    """min_{i≠j} |X_i − X_j| (KD-tree, O(N log N); NaN for one particle)."""
    return close_pairs(x, 0.0).min_distance
