"""Synchronous coupling of the particle system with N McKean–Vlasov copies.

The particles X_i and the copies X̄_i start at the same points and are driven by the same
Brownian increments; the copies' drift and diffusion use the limit's signal (the PDE solution's
c and ∇c, through :class:`~kellersegel.dynamics.signal.GivenSignal`):

    dX_i = b(X, t)_i dt + σ dW_i,        dX̄_i = b̄(X̄_i, t) dt + σ̄ dW_i.

Recorded at the save times: the largest error max_i |X_i − X̄_i|, the power mean
((1/N) Σ_i |X_i − X̄_i|^p)^{1/p} and min_{i≠j} |X_i − X_j|; checked at every step: the stopping
times τ = inf{t : max_i |X_i − X̄_i| ≥ N^−α} and τ_min = inf{t : min_{i≠j} |X_i − X_j| ≤ N^−β'}
(∞ when not reached by the final time).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.euler_maruyama import EulerMaruyama
from kellersegel.dynamics.integrate import GaussianIncrements, Integration
from kellersegel.dynamics.observers import CouplingErrors
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = ["coupled_integration"]


def coupled_integration(
    particles: EulerMaruyama,
    mean_field: EulerMaruyama,
    x0: NDArray[np.float64],
    grid: TimeGrid,
    rng: np.random.Generator,
    *,
    p: float = 2.0,
    alpha: float = 0.25,
    beta_collision: float = 1.0,
) -> Integration:
    """Euler–Maruyama for X and X̄ stacked, with the same increments ΔW = √Δt ·
    rng.standard_normal((N, 2)), and :class:`CouplingErrors`. Its solution's ``observed`` holds
    ``max_error``, ``power_error``, ``min_distance`` (at the save times), ``stopping_time`` and
    ``collision_time``; ``state.x`` the last X and X̄.

    Parameters
    ----------
    particles, mean_field : EulerMaruyama
        The particle system and the McKean–Vlasov dynamics (a signal given by the limit).
    x0 : array, shape (N, 2)
        Common initial points.
    p : float
        Exponent of the power-mean error (≥ 1).
    alpha, beta_collision : float
        Thresholds N^−α of the coupling error and N^−β' of the minimum distance.
    """
    errors = CouplingErrors(p, alpha, beta_collision)
    noise = GaussianIncrements(rng, x0.shape[0])
    return Integration([particles, mean_field], x0, grid, noise, observers=[errors])
