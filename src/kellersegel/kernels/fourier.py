"""Fourier transforms of truncated Green's functions, for free-space spectral methods.

With the convention f̂(k) = ∫ f(x) e^{−ik·x} dx, the Green's function G_λ of −Δ + λ cut off at
radius L (G_{λ,L} = G_λ 1_{|x|<L}) has a smooth transform (Vico, Greengard, Ferrando 2016):

    λ = 0:  Ĝ_{0,L}(k) = (1 − J_0(kL))/k² − L log L · J_1(kL)/k,   Ĝ_{0,L}(0) = L²(1 − 2 log L)/4,
    λ > 0:  Ĝ_{λ,L}(k) = [1 + kL J_1(kL) K_0(κL) − κL J_0(kL) K_1(κL)] / (k² + κ²),   κ = √λ,

k = |k|. A convolution G_λ * f with f supported in a set of diameter D equals G_{λ,L} * f on that
set whenever L ≥ D, and the transform of G_{λ,L} has no singularity at k = 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = ["gaussian_reach", "gaussian_transform", "truncated_green_transform"]


def truncated_green_transform(k: ArrayLike, lam: float, radius: float) -> NDArray[np.float64]:
    """Ĝ_{λ,L}(|k|) for the Green's function truncated at ``radius`` L; k ≥ 0 (any shape)."""
    k = np.asarray(k, dtype=np.float64)
    big_l = float(radius)
    x = k * big_l
    if lam == 0:
        small = x < 1e-2
        xs = np.where(small, 1.0, x)
        # (1 − J0(x))/x² and J1(x)/x by their series below 1e-2 (no cancellation)
        one_minus_j0 = np.where(small, 0.25 - x**2 / 64 + x**4 / 2304, (1.0 - special.j0(xs)) / xs**2)
        j1_over = np.where(small, 0.5 - x**2 / 16 + x**4 / 384, special.j1(xs) / xs)
        return big_l**2 * (one_minus_j0 - np.log(big_l) * j1_over)
    kappa = np.sqrt(lam)
    kl = kappa * big_l
    # K0, K1 scaled by e^{κL} to avoid underflow; the boundary terms carry e^{−κL}
    decay = np.exp(-kl)
    boundary = x * special.j1(x) * special.k0e(kl) - kl * special.j0(x) * special.k1e(kl)
    return (1.0 + decay * boundary) / (k**2 + lam)


def gaussian_transform(k: ArrayLike, epsilon: float) -> NDArray[np.float64]:
    """V̂_ε(|k|) = e^{−ε²k²/2}, the transform of the Gaussian of variance ε² per coordinate."""
    k = np.asarray(k, dtype=np.float64)
    return np.exp(-0.5 * (epsilon * k) ** 2)


def gaussian_reach(tolerance: float) -> float:
    """√(2 log(1/τ)): where the Gaussian tail e^{−x²/2} falls to τ (x = ε|k| or |x|/ε)."""
    return float(np.sqrt(2.0 * np.log(1.0 / tolerance)))
