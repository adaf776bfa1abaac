"""Green's functions of the signal equation and their gradients (pure NumPy, vectorised).

Conventions (docs/mathematics/): the signal solves ``0 = Δc − λc + ρ`` (θ = 0) or
``θ ∂t c = Δc − λc + ρ`` (θ > 0) in R². Positions ``x`` have shape ``(..., 2)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "log_green",
    "log_green_gradient",
    "bessel_green",
    "bessel_green_gradient",
    "heat_kernel",
    "heat_kernel_gradient",
    "time_slab_gradient",
]


def _as_points(x: ArrayLike) -> NDArray[np.float64]:
    x = np.asarray(x, dtype=np.float64)
    if x.shape[-1:] != (2,):
        raise ValueError(f"points must have shape (..., 2), got {x.shape}")
    return x


def log_green(x: ArrayLike) -> NDArray[np.float64]:
    """G_0(x) = −(1/2π) log|x|, the Newtonian potential of −Δ in R²."""
    x = _as_points(x)
    return -np.log(np.einsum("...i,...i->...", x, x)) / (4.0 * np.pi)


def log_green_gradient(x: ArrayLike) -> NDArray[np.float64]:
    """∇G_0(x) = −x / (2π|x|²)."""
    x = _as_points(x)
    r2 = np.einsum("...i,...i->...", x, x)
    return -x / (2.0 * np.pi * r2)[..., None]


def bessel_green(x: ArrayLike, lam: float) -> NDArray[np.float64]:
    """G_λ(x) = (1/2π) K_0(√λ |x|), the Green's function of −Δ + λ in R² (λ > 0)."""
    x = _as_points(x)
    r = np.sqrt(np.einsum("...i,...i->...", x, x))
    return special.k0(np.sqrt(lam) * r) / (2.0 * np.pi)


def bessel_green_gradient(x: ArrayLike, lam: float) -> NDArray[np.float64]:
    """∇G_λ(x) = −(√λ/2π) K_1(√λ|x|) x/|x|."""
    x = _as_points(x)
    r = np.sqrt(np.einsum("...i,...i->...", x, x))
    s = np.sqrt(lam)
    return -(s * special.k1(s * r) / (2.0 * np.pi * r))[..., None] * x


def heat_kernel(x: ArrayLike, t: float | ArrayLike, theta: float) -> NDArray[np.float64]:
    """g^θ_t(x) = θ/(4πt) exp(−θ|x|²/(4t)), the kernel of the semigroup e^{tΔ/θ}."""
    x = _as_points(x)
    t = np.asarray(t, dtype=np.float64)
    r2 = np.einsum("...i,...i->...", x, x)
    return theta / (4.0 * np.pi * t) * np.exp(-theta * r2 / (4.0 * t))


def heat_kernel_gradient(
    x: ArrayLike, t: float | ArrayLike, theta: float, lam: float = 0.0
) -> NDArray[np.float64]:
    """∇K^{θ,λ}_t(x) = −θ/(8πt²) e^{−λt/θ} e^{−θ|x|²/(4t)} x, with K^{θ,λ}_t = e^{−λt/θ} g^θ_t / θ."""
    x = _as_points(x)
    t = np.asarray(t, dtype=np.float64)
    r2 = np.einsum("...i,...i->...", x, x)
    f = theta / (8.0 * np.pi * t**2) * np.exp(-lam * t / theta - theta * r2 / (4.0 * t))
    return -f[..., None] * x


def time_slab_gradient(x: ArrayLike, a: float, b: float, theta: float) -> NDArray[np.float64]:
    """∫_a^b ∇K^{θ,0}_τ(x) dτ = −x/(2π|x|²) (e^{−θ|x|²/(4b)} − e^{−θ|x|²/(4a)}), 0 ≤ a < b ≤ ∞.

    Tends to the Coulomb kernel ∇G_0 as a → 0, b → ∞ (the θ → 0 consistency check).
    """
    x = _as_points(x)
    r2 = np.einsum("...i,...i->...", x, x)
    q = theta * r2 / 4.0
    upper = np.exp(-q / b) if np.isfinite(b) else np.ones_like(r2)
    lower = np.exp(-q / a) if a > 0 else np.zeros_like(r2)
    return -(upper - lower)[..., None] * x / (2.0 * np.pi * r2)[..., None]
