"""Distances between a particle cloud and a density: Wasserstein (POT), relative entropy, moments.

A density given by cell values on a :class:`~kellersegel.pde.grid.Grid2D` enters optimal transport
as weighted points at the cell centres (:func:`density_support`, coarsened to at most
``max_points`` cells by summing blocks: a quantization of order the block width).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import ot
from numba import prange
from numpy.typing import NDArray

from kellersegel.pde.grid import Grid2D

__all__ = [
    "TransportDistance",
    "density_moments",
    "density_support",
    "relative_entropy",
    "wasserstein",
    "wasserstein_distances",
]

#: ``method="auto"`` solves exactly while the cost matrix has at most this many entries (80 MB)
EXACT_MAX_ENTRIES = 10_000_000


@dataclass(frozen=True)
class TransportDistance:
    """W_p (or its sliced version) and how it was computed.

    Attributes
    ----------
    value : float
        The distance (length units).
    p : int
        Order: 1 or 2.
    method : str
        ``"exact"`` (network simplex on the full cost matrix, ``ot.emd2``) or ``"sliced"`` (the
        sliced distance (E_θ W_p^p(θ#μ, θ#ν))^{1/p} over ``projections`` random directions,
        ``ot.sliced_wasserstein_distance``; for a shift m, SW_2 = |m|/√2, not |m|).
    projections : int
        Directions used by the sliced method (0 for exact).
    """

    value: float
    p: int
    method: str
    projections: int = 0


def wasserstein(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    p: int = 2,
    x_weights: NDArray[np.float64] | None = None,
    y_weights: NDArray[np.float64] | None = None,
    method: str = "auto",
    projections: int = 256,
    seed: int = 0,
) -> TransportDistance:
    """W_p between Σ a_i δ_{x_i} and Σ b_j δ_{y_j} (uniform weights by default; normalised).

    Parameters
    ----------
    x, y : arrays, shapes (n, 2) and (m, 2)
    p : {1, 2}
    x_weights, y_weights : arrays, shapes (n,) and (m,), optional
        Non-negative masses; each set is normalised to total 1.
    method : {"auto", "exact", "sliced"}
        ``auto``: exact while n·m ≤ ``EXACT_MAX_ENTRIES``, sliced above.
    projections, seed : int
        Sliced method: number of random directions and their seed.
    """
    options = {"x_weights": x_weights, "y_weights": y_weights, "method": method}
    return wasserstein_distances(x, y, orders=(p,), **options, projections=projections, seed=seed)[0]


def wasserstein_distances(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    orders: tuple[int, ...] = (1, 2),
    x_weights: NDArray[np.float64] | None = None,
    y_weights: NDArray[np.float64] | None = None,
    method: str = "auto",
    projections: int = 256,
    seed: int = 0,
) -> tuple[TransportDistance, ...]:
    """W_p for each p of ``orders`` (see :func:`wasserstein`); the sliced method sorts each
    projection once for all orders.

    The sliced distance uses POT's random directions (``ot.sliced.get_random_projections``) and a
    compiled merge of the sorted projections, one direction per thread: W_p^p(θ#μ, θ#ν) =
    ∫₀¹ |F_μθ⁻¹(t) − F_νθ⁻¹(t)|^p dt; the same numbers as ``ot.sliced_wasserstein_distance``
    (to 1e-12, tested), which at 2^16 particles, 4096 support points and 256 directions took 10 s
    per order against well under a second here (its sorts and gathers run along the long axis).
    """
    for p in orders:
        if p not in (1, 2):
            raise ValueError(f"p must be 1 or 2, got {p}")
    x, y = _points(x, "x"), _points(y, "y")
    a, b = _weights(x_weights, len(x), "x_weights"), _weights(y_weights, len(y), "y_weights")
    if method == "auto":
        method = "exact" if len(x) * len(y) <= EXACT_MAX_ENTRIES else "sliced"
    if method == "exact":
        out = []
        for p in orders:
            cost = ot.dist(x, y, metric="sqeuclidean" if p == 2 else "euclidean")
            value = float(ot.emd2(a, b, cost, numItermax=10_000_000, check_marginals=False))
            out.append(TransportDistance(value ** (1 / p), p, "exact"))
        return tuple(out)
    if method == "sliced":
        directions = ot.sliced.get_random_projections(x.shape[1], projections, seed)
        powers = _sliced_powers(x, y, a, b, np.ascontiguousarray(directions.T), bool(np.all(a == a[0])))
        means = powers.mean(axis=0)
        return tuple(
            TransportDistance(float(means[p - 1] ** (1 / p)), p, "sliced", projections) for p in orders
        )
    raise ValueError(f"method must be 'auto', 'exact' or 'sliced', got {method!r}")


@numba.njit(cache=True, parallel=True)
def _sliced_powers(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    directions: NDArray[np.float64],
    uniform: bool,
) -> NDArray[np.float64]:
    """(W_1, W_2²) between Σ a_i δ_{θ·x_i} and Σ b_j δ_{θ·y_j} on the line for each direction θ
    (rows of ``directions``, shape (L, 2)), by merging the two sorted projections along their
    cumulative masses (``uniform``: all a_i equal, so x's projection is sorted without its
    permutation)."""
    out = np.empty((directions.shape[0], 2))
    for row in prange(directions.shape[0]):
        theta = directions[row]
        v = y[:, 0] * theta[0] + y[:, 1] * theta[1]
        iv = np.argsort(v)
        vs, wt = v[iv], b[iv]
        u = x[:, 0] * theta[0] + x[:, 1] * theta[1]
        if uniform:
            us, ws = np.sort(u), a
        else:
            iu = np.argsort(u)
            us, ws = u[iu], a[iu]
        i, j, done = 0, 0, 0.0
        cu, cv = ws[0], wt[0]
        w1, w2 = 0.0, 0.0
        while True:
            t = min(cu, cv)
            d = abs(us[i] - vs[j])
            w1 += (t - done) * d
            w2 += (t - done) * d * d
            done = t
            if cu <= t:
                i += 1
                if i == us.shape[0]:
                    break
                cu += ws[i]
            if cv <= t:
                j += 1
                if j == vs.shape[0]:
                    break
                cv += wt[j]
        out[row, 0], out[row, 1] = w1, w2
    return out


def density_support(
    density: NDArray[np.float64], grid: Grid2D, max_points: int | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Cell centres with positive mass and their masses ρ h², coarsened to ≤ ``max_points`` cells.

    Coarsening sums blocks of b × b cells (b the smallest power of two that is enough) and puts
    each block's mass at its centre of mass.
    """
    rho = np.clip(np.asarray(density, dtype=np.float64), 0.0, None)
    n = grid.n
    if rho.shape != (n, n):
        raise ValueError(f"density must have shape {(n, n)}, got {rho.shape}")
    mass = rho * grid.h**2
    px, py = grid.points[..., 0], grid.points[..., 1]
    block = 1
    while max_points is not None and np.count_nonzero(_block_sum(mass, block)) > max_points:
        block *= 2
        if block > n:
            raise ValueError(f"cannot coarsen to {max_points} points")
    m = _block_sum(mass, block)
    cx, cy = _block_sum(mass * px, block), _block_sum(mass * py, block)
    keep = m > 0
    points = np.stack([cx[keep] / m[keep], cy[keep] / m[keep]], axis=1)
    return points, m[keep]


def _block_sum(a: NDArray[np.float64], block: int) -> NDArray[np.float64]:
    if block == 1:
        return a
    n = a.shape[0]
    pad = (-n) % block
    a = np.pad(a, ((0, pad), (0, pad)))
    k = a.shape[0] // block
    return a.reshape(k, block, k, block).sum(axis=(1, 3))


def relative_entropy(
    density: NDArray[np.float64], reference: NDArray[np.float64], grid: Grid2D, floor: float = 1e-300
) -> float:
    """H(ρ | ρ̄) = ∫ ρ log(ρ/ρ̄) dx of two densities of equal mass (cell values on ``grid``).

    Both are normalised to mass 1 first. Cells where ρ > 0 but ρ̄ ≤ ``floor`` make it infinite.
    """
    p = np.clip(np.asarray(density, dtype=np.float64), 0.0, None)
    q = np.clip(np.asarray(reference, dtype=np.float64), 0.0, None)
    p, q = p / grid.integrate(p), q / grid.integrate(q)
    where = p > 0
    if np.any(q[where] <= floor):
        return math.inf
    return float(np.sum(p[where] * np.log(p[where] / q[where])) * grid.h**2)


def density_moments(density: NDArray[np.float64], grid: Grid2D) -> dict[str, NDArray[np.float64] | float]:
    """Mass M = ∫ρ, centre ∫xρ/M, covariance and second moment ∫|x|²ρ/M of cell values on ``grid``.

    Midpoint rule on the cell values: for cell averages of a smooth density the covariance is
    off by about h²/12 per axis.
    """
    rho = np.asarray(density, dtype=np.float64)
    px, py = grid.points[..., 0], grid.points[..., 1]
    mass = float(grid.integrate(rho))
    mean = np.array([grid.integrate(px * rho), grid.integrate(py * rho)]) / mass
    dx, dy = px - mean[0], py - mean[1]
    cov = (
        np.array(
            [
                [grid.integrate(dx * dx * rho), grid.integrate(dx * dy * rho)],
                [grid.integrate(dx * dy * rho), grid.integrate(dy * dy * rho)],
            ]
        )
        / mass
    )
    return {
        "mass": mass,
        "mean": mean,
        "covariance": cov,
        "second_moment": float(np.trace(cov) + mean @ mean),
    }


def _points(x: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2 or len(x) == 0:
        raise ValueError(f"{name} must have shape (n, 2) with n ≥ 1, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} has non-finite coordinates")
    return x


def _weights(w: NDArray[np.float64] | None, n: int, name: str) -> NDArray[np.float64]:
    if w is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (n,) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError(f"{name} must be {n} non-negative masses with a positive sum")
    return w / w.sum()
