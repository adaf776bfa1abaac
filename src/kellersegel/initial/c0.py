"""Initial signals c0 of the doubly parabolic system (θ > 0) and their heat-semigroup evolution.

The part of the signal that the particles did not make, e^{−λt/θ}(g^θ_t * c0), g^θ_t the heat kernel
of e^{(t/θ)Δ}, in closed form: its value and gradient at any points (for the exact-history and split
fields) and its Fourier transform (for the spectral field).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from kellersegel.initial.laws import GaussianBumps, UniformDisk

__all__ = ["GaussianMixtureC0", "UniformDiskC0"]


class GaussianMixtureC0:
    """An initial signal c0 = A Σ_k w_k N(c_k, v_k I) (Σ w_k = 1) and its heat-semigroup evolution.

    e^{−λt/θ} (g^θ_t * c0) = A e^{−λt/θ} Σ_k w_k N(c_k, (v_k + 2t/θ) I): closed forms for the gradient
    (exact-history field) and the transform ĉ0(k) = A Σ_k w_k e^{−ik·(c_k − x_c)} e^{−v_k|k|²/2}
    (spectral field, about the lattice centre x_c).
    """

    def __init__(self, mass: float, centers, variances, weights=None) -> None:
        self.mass = float(mass)
        #: the normalised mixture as initial data (validates; cell averages on a PDE grid)
        self.law = GaussianBumps(np.atleast_2d(centers), variances, weights)
        self.centers, self.variances, self.weights = self.law.centers, self.law.variances, self.law.weights

    def value(self, x: NDArray[np.float64], t: float, theta: float, lam: float) -> NDArray[np.float64]:
        """e^{−λt/θ} (g^θ_t * c0)(x), shape (n,)."""
        out = np.zeros(x.shape[0])
        for c, v, w in zip(self.centers, self.variances, self.weights, strict=True):
            var = v + 2.0 * t / theta
            d = x - c
            out += w * np.exp(-np.einsum("ij,ij->i", d, d) / (2 * var)) / (2 * math.pi * var)
        return self.mass * math.exp(-lam * t / theta) * out

    def gradient(self, x: NDArray[np.float64], t: float, theta: float, lam: float) -> NDArray[np.float64]:
        """∇[e^{−λt/θ} g^θ_t * c0](x), shape (n, 2)."""
        out = np.zeros_like(x)
        for c, v, w in zip(self.centers, self.variances, self.weights, strict=True):
            var = v + 2.0 * t / theta
            d = x - c
            density = np.exp(-np.einsum("ij,ij->i", d, d) / (2 * var)) / (2 * math.pi * var)
            out -= (w * density / var)[:, None] * d
        return self.mass * math.exp(-lam * t / theta) * out

    def transform(self, kx, ky, center) -> NDArray[np.complex128]:
        """ĉ0 on the lattice kx (m, 1), ky (1, m), about ``center``."""
        out = np.zeros(np.broadcast_shapes(kx.shape, ky.shape), np.complex128)
        for c, v, w in zip(self.centers, self.variances, self.weights, strict=True):
            shift = c - center
            out += w * np.exp(-1j * (kx * shift[0] + ky * shift[1]) - 0.5 * v * (kx**2 + ky**2))
        return self.mass * out


class UniformDiskC0:
    """An initial signal c0 = A/(πR²) on the disk of radius R about ``center`` (0 outside).

    g^θ_t * c0 at distance ρ from the centre is A/(πR²) P(|Z| ≤ R) for Z ~ N(x, s² I), s² = 2t/θ,
    i.e. A/(πR²)(1 − Q_1(ρ/s, R/s)) with Marcum's Q; its gradient is
    −A/(πR²) (R/s²) e^{−(ρ−R)²/(2s²)} Ĩ_1(ρR/s²) x̂, Ĩ_1 = e^{−z} I_1(z) (closed form, no overflow).
    At t = 0 the gradient is a measure on the circle and is taken as 0 (no particle lies on it a.s.).
    For the exact-history field only: the spectral lattice cannot resolve the disk's edge.
    """

    def __init__(self, mass: float, radius: float, center=(0.0, 0.0)) -> None:
        self.mass = float(mass)
        #: the normalised disk as initial data (validates; cell averages on a PDE grid)
        self.law = UniformDisk(radius, center)
        self.radius, self.center = self.law.radius, self.law.center

    def value(self, x: NDArray[np.float64], t: float, theta: float, lam: float) -> NDArray[np.float64]:
        """e^{−λt/θ} (g^θ_t * c0)(x), shape (n,): A/(πR²) P(|Z|² ≤ R²), |Z|²/s² a non-central χ² with
        2 degrees of freedom and non-centrality ρ²/s²; at t = 0 the disk's indicator."""
        from scipy import stats

        d = x - self.center
        rho2 = np.einsum("ij,ij->i", d, d)
        s2 = 2.0 * t / theta
        inside = (
            (rho2 < self.radius**2).astype(np.float64)
            if s2 == 0.0
            else stats.ncx2.cdf(self.radius**2 / s2, 2, rho2 / s2)
        )
        return self.mass / (math.pi * self.radius**2) * math.exp(-lam * t / theta) * inside

    def gradient(self, x: NDArray[np.float64], t: float, theta: float, lam: float) -> NDArray[np.float64]:
        """∇[e^{−λt/θ} g^θ_t * c0](x), shape (n, 2)."""
        from scipy import special

        s2 = 2.0 * t / theta
        if s2 == 0.0:
            return np.zeros_like(x)
        d = x - self.center
        rho = np.sqrt(np.einsum("ij,ij->i", d, d))
        big_r = self.radius
        radial = -(big_r / s2) * np.exp(-((rho - big_r) ** 2) / (2 * s2)) * special.i1e(rho * big_r / s2)
        with np.errstate(invalid="ignore", divide="ignore"):
            unit = np.where(rho[:, None] > 0, d / rho[:, None], 0.0)
        amplitude = self.mass / (math.pi * big_r**2) * math.exp(-lam * t / theta)
        return amplitude * radial[:, None] * unit
