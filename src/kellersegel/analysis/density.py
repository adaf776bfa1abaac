"""Densities of particle clouds on a PDE grid: binned Gaussian kernel density estimates, L1 distances."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from kellersegel.pde.grid import Grid2D

__all__ = ["binned_kde", "l1_distance", "scott_bandwidth"]


def scott_bandwidth(points: NDArray[np.float64]) -> float:
    """Scott's rule in two dimensions: h = σ N^{−1/6}, σ² the mean of the coordinate variances."""
    points = np.asarray(points, dtype=np.float64)
    return float(np.sqrt(np.mean(np.var(points, axis=0))) * len(points) ** (-1.0 / 6.0))


def binned_kde(
    points: NDArray[np.float64], grid: Grid2D, bandwidth: float | None = None, mass: float = 1.0
) -> NDArray[np.float64]:
    """M times the Gaussian KDE of the points, as cell values on ``grid``, shape (n, n).

    The points are binned into the grid's cells and the histogram is convolved with a Gaussian of
    standard deviation ``bandwidth`` (default: :func:`scott_bandwidth`); points outside the grid
    are dropped (their share is lost from the total). Binning adds an O(h²) smoothing of its own.
    """
    points = np.asarray(points, dtype=np.float64)
    h = scott_bandwidth(points) if bandwidth is None else float(bandwidth)
    if not h > 0:
        raise ValueError(f"bandwidth must be positive, got {h}")
    edges_x = np.append(grid.x - grid.h / 2, grid.x[-1] + grid.h / 2)
    edges_y = np.append(grid.y - grid.h / 2, grid.y[-1] + grid.h / 2)
    counts, _, _ = np.histogram2d(points[:, 0], points[:, 1], bins=(edges_x, edges_y))
    density = mass * counts / (len(points) * grid.h**2)
    return ndimage.gaussian_filter(density, h / grid.h, mode="constant", truncate=6.0)


def l1_distance(a: NDArray[np.float64], b: NDArray[np.float64], grid: Grid2D) -> float:
    """∫|a − b| dx for two densities given by cell values on ``grid``."""
    return float(grid.integrate(np.abs(np.asarray(a) - np.asarray(b))))
