"""Analytic initial laws: Gaussian, uniform disk, Gaussian bumps, point mass."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kellersegel._validation import finite_number
from kellersegel.initial.base import InitialData

__all__ = ["GaussianBumps", "GaussianData", "PointMass", "UniformDisk"]


def _point(name: str, value: ArrayLike) -> NDArray[np.float64]:
    p = np.asarray(value, dtype=np.float64)
    if p.shape != (2,) or not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be two finite numbers [x, y], got {value!r}")
    return p


class GaussianData(InitialData):
    """Isotropic Gaussian N(center, variance·I): variance per coordinate."""

    name = "gaussian"

    def __init__(self, variance: float = 1.0, center: ArrayLike = (0.0, 0.0)) -> None:
        self.variance = finite_number("variance", variance, 0.0, strict=True)
        self.center = _point("center", center)

    def sample(self, n, rng):
        n = self._check_n(n)
        return self.center + np.sqrt(self.variance) * rng.standard_normal((n, 2))

    def density(self, x):
        d = np.asarray(x, dtype=np.float64) - self.center
        r2 = np.einsum("...i,...i->...", d, d)
        return np.exp(-r2 / (2 * self.variance)) / (2 * np.pi * self.variance)

    def second_moment(self):
        return 2 * self.variance + float(self.center @ self.center)

    def mean(self):
        return self.center.copy()


class UniformDisk(InitialData):
    """Uniform law on the disk of given radius and center."""

    name = "disk"

    def __init__(self, radius: float = 1.0, center: ArrayLike = (0.0, 0.0)) -> None:
        self.radius = finite_number("radius", radius, 0.0, strict=True)
        self.center = _point("center", center)

    def sample(self, n, rng):
        n = self._check_n(n)
        r = self.radius * np.sqrt(rng.random(n))
        phi = 2 * np.pi * rng.random(n)
        return self.center + np.column_stack([r * np.cos(phi), r * np.sin(phi)])

    def density(self, x):
        d = np.asarray(x, dtype=np.float64) - self.center
        inside = np.einsum("...i,...i->...", d, d) <= self.radius**2
        return np.where(inside, 1.0 / (np.pi * self.radius**2), 0.0)

    def second_moment(self):
        return 0.5 * self.radius**2 + float(self.center @ self.center)

    def mean(self):
        return self.center.copy()


class GaussianBumps(InitialData):
    """Mixture Σ_k w_k N(c_k, v_k I) with weights normalised to sum 1."""

    name = "bumps"

    def __init__(
        self,
        centers: ArrayLike,
        variances: float | Sequence[float] = 1.0,
        weights: Sequence[float] | None = None,
    ) -> None:
        centers = np.asarray(centers, dtype=np.float64)
        if centers.ndim != 2 or centers.shape[1] != 2 or len(centers) == 0:
            raise ValueError(f"centers must be a list of [x, y] pairs, got shape {centers.shape}")
        if not np.all(np.isfinite(centers)):
            raise ValueError("centers must be finite")
        k = len(centers)
        variances = np.broadcast_to(np.asarray(variances, dtype=np.float64), (k,)).copy()
        if not np.all(np.isfinite(variances)) or np.any(variances <= 0):
            raise ValueError(f"variances must be finite numbers > 0, got {variances.tolist()}")
        w = np.ones(k) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (k,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"weights must be {k} finite numbers ≥ 0 with a positive sum")
        self.centers, self.variances, self.weights = centers, variances, w / w.sum()

    def sample(self, n, rng):
        n = self._check_n(n)
        which = rng.choice(len(self.weights), size=n, p=self.weights)
        z = rng.standard_normal((n, 2))
        return self.centers[which] + np.sqrt(self.variances[which])[:, None] * z

    def density(self, x):
        x = np.asarray(x, dtype=np.float64)
        out = np.zeros(x.shape[:-1])
        for c, v, w in zip(self.centers, self.variances, self.weights, strict=True):
            d = x - c
            out += w * np.exp(-np.einsum("...i,...i->...", d, d) / (2 * v)) / (2 * np.pi * v)
        return out

    def second_moment(self):
        return float(np.sum(self.weights * (2 * self.variances + np.sum(self.centers**2, axis=1))))

    def mean(self):
        return self.weights @ self.centers


class PointMass(InitialData):
    """A Dirac mass at one point: every particle starts there (density: +∞ at the point, else 0).

    Only non-singular kernels can start from it (the exact kernel is infinite at distance 0).
    """

    name = "point"

    has_density = False

    def __init__(self, at: ArrayLike = (0.0, 0.0)) -> None:
        self.at = _point("at", at)

    def sample(self, n, rng):
        return np.tile(self.at, (self._check_n(n), 1))

    def density(self, x):
        x = np.asarray(x, dtype=np.float64)
        return np.where(np.all(x == self.at, axis=-1), np.inf, 0.0)

    def second_moment(self):
        return float(self.at @ self.at)

    def mean(self):
        return self.at.copy()
