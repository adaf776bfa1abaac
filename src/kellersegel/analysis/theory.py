"""What the theory predicts for the classical system (θ = 0, λ = 0, exact kernel).

Conventions: N particles of mass M/N, drift χ∇c_i with ∇c_i = −(M/2πN) Σ_{j≠i} (X_i−X_j)/|X_i−X_j|²
(docs/mathematics/). Fournier and Jourdain's statements are for mass 1; with mass M, χ becomes χM.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

from kellersegel.models import ClassicalModel

__all__ = [
    "collision_dimension",
    "collision_sizes",
    "critical_mass",
    "fit_bessel_dimension",
    "global_existence_threshold",
    "smallest_exploding_cluster",
    "virial_blowup_time",
]


def collision_dimension(k: int, n: int, chi: float, mass: float = 1.0) -> float:
    """δ_k = (k−1)(2 − χMk/(4πN)): the squared Bessel dimension of a k-particle cluster.

    Σ_{i<j in the cluster} |X_i − X_j|² behaves near 0 like a squared Bessel process of this
    dimension: k-collisions happen when δ_k < 2, and a cluster with δ_k ≤ 0 never separates.
    """
    return ClassicalModel(chi=chi, mass=mass).collision_dimension(k, n)


def collision_sizes(n: int, chi: float, mass: float = 1.0) -> dict[str, list[tuple[int, int]]]:
    """The cluster sizes 2 ≤ k ≤ N by what δ_k says of them, as runs (first, last) of consecutive k.

    ``"collide"``: δ_k < 2 (k-collisions happen); ``"left"``: 0 < δ_k < 2 (they happen and are
    left again); ``"explode"``: δ_k ≤ 0 (a cluster that never separates; up to round-off, as
    :func:`smallest_exploding_cluster`). δ_k is concave in k, so each is at most two runs.
    """
    k = np.arange(2, n + 1)
    delta = (k - 1) * (2.0 - chi * mass * k / (4 * math.pi * n))
    explode = delta <= 1e-12
    return {
        "collide": _runs(k[delta < 2]),
        "left": _runs(k[(delta < 2) & ~explode]),
        "explode": _runs(k[explode]),
    }


def _runs(ks: np.ndarray) -> list[tuple[int, int]]:
    """Sorted integers as runs of consecutive values: [2, 3, 4, 9] → [(2, 4), (9, 9)]."""
    if ks.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(ks) > 1)
    starts, ends = np.r_[ks[0], ks[breaks + 1]], np.r_[ks[breaks], ks[-1]]
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def smallest_exploding_cluster(n: int, chi: float, mass: float = 1.0) -> int | None:
    """The smallest k ≤ N with δ_k ≤ 0, i.e. k ≥ 8πN/(χM); None if there is none."""
    k = max(2, math.ceil(8 * math.pi * n / (chi * mass) - 1e-12))
    return k if k <= n else None


def global_existence_threshold(n: int, mass: float = 1.0) -> float:
    """χ* = 8π(N−2)/((N−1)M): the particle system exists for all times iff χ ≤ χ* (N ≥ 2)."""
    return 8 * math.pi * (n - 2) / ((n - 1) * mass)


def critical_mass(chi: float) -> float:
    """8π/χ: above this mass the parabolic–elliptic PDE blows up in finite time."""
    return 8 * math.pi / chi


def virial_blowup_time(second_moment: float, chi: float, mass: float = 1.0) -> float:
    """T* = m₂(0) / (χM²/(2π) − 4M), m₂ = ∫|x|²ρ (not divided by M); inf when χM ≤ 8π.

    d/dt m₂ = 4M − χM²/(2π), so a smooth solution cannot outlive T*.
    """
    rate = chi * mass**2 / (2 * math.pi) - 4 * mass
    return second_moment / rate if rate > 0 else math.inf


def fit_bessel_dimension(hitting_times, start: float, t_max: float) -> tuple[float, float]:
    """Maximum-likelihood dimension δ < 2 of a Bessel process from its hitting times of 0.

    A Bessel process of dimension δ < 2 (δ ≤ 0 included) started at x hits 0 at T = x²/(2G),
    G ~ Gamma(1 − δ/2, 1).
    For two particles, x = |X_1 − X_2|(0)/2 (the process |X_1 − X_2|/2, docs/mathematics/).

    Parameters
    ----------
    hitting_times : array, shape (R,)
        Hitting times of R independent runs, NaN (or > t_max) where the run ended at t_max first
        (right-censored).
    start : float
        x, the starting value of the Bessel process.
    t_max : float
        End of the runs.

    Returns
    -------
    delta, standard_error : float
        The estimate and its asymptotic standard error (observed Fisher information).
    """
    t = np.asarray(hitting_times, dtype=np.float64)
    hit = np.isfinite(t) & (t <= t_max)
    g = start**2 / (2 * t[hit])
    g_max = start**2 / (2 * t_max)
    censored = int(np.sum(~hit))
    if hit.sum() < 2:
        raise ValueError("need at least two hitting times")

    sum_log_g = float(np.sum(np.log(g)))

    def nll(a: float) -> float:
        fit = a * sum_log_g - g.size * special.gammaln(a)  # the a-dependent part of Σ log Gamma(a, 1)
        # log P(G ≤ g_max) of the censored runs (log 0 = −inf where it underflows at large a)
        with np.errstate(divide="ignore"):
            return -(fit + (censored * np.log(special.gammainc(a, g_max)) if censored else 0.0))

    # a = 1 − δ/2 > 0: every δ < 2 hits 0, δ ≤ 0 (a ≥ 1) included; the bound a ≤ 50 is δ ≥ −98
    a = optimize.minimize_scalar(nll, bounds=(1e-3, 50.0), method="bounded", options={"xatol": 1e-9}).x
    h = 1e-4 * a
    curvature = (nll(a + h) - 2 * nll(a) + nll(a - h)) / h**2
    return 2 - 2 * a, 2 / math.sqrt(curvature) if curvature > 0 else math.inf
