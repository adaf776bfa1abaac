"""Synchronous coupling of the particle system with N McKean–Vlasov copies (of the limit, and of
the mollified limit).

The particles X_i, the copies X̄_i of the limit and, optionally, the copies X^ε_i of the
mollified limit (signal G_λ * V_ε * ρ^ε) start at the same points and are driven by the same
Brownian increments; the copies' drift and diffusion use their PDE solution's c and ∇c (through
:class:`~kellersegel.dynamics.signal.GivenSignal`):

    dX_i = b(X, t)_i dt + σ dW_i,   dX̄_i = b̄(X̄_i, t) dt + σ̄ dW_i,   dX^ε_i = b^ε(X^ε_i, t) dt + σ^ε dW_i.

What is recorded (errors of the total and of its two parts, stopping times, stopped errors):
:class:`~kellersegel.dynamics.observers.CouplingErrors`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.euler_maruyama import EulerMaruyama
from kellersegel.dynamics.integrate import GaussianIncrements, Integration, Observer
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
    mollified_mean_field: EulerMaruyama | None = None,
    p: float = 2.0,
    alpha: float = 0.25,
    beta_collision: float | tuple[float, ...] = 1.0,
    distance_constant: float = 1.0,
    observers: tuple[Observer, ...] = (),
) -> Integration:
    """Euler–Maruyama for X, X̄ (and X^ε) stacked, with the same increments ΔW = √Δt ·
    rng.standard_normal((N, 2)), and :class:`CouplingErrors`. Its solution's ``observed`` holds
    the errors (``power_error``, ``max_error`` and their ``fluctuation_`` and ``mollification_``
    parts, ``min_distance``, at the save times), ``stopping_time``, ``power_stopping_time``,
    ``collision_time`` and ``stopped_error`` (one per β'), and what further ``observers`` record;
    ``state.x`` the last X, X̄ (and X^ε).

    Parameters
    ----------
    particles, mean_field : EulerMaruyama
        The particle system and the McKean–Vlasov dynamics (a signal given by the limit).
    x0 : array, shape (N, 2)
        Common initial points.
    mollified_mean_field : EulerMaruyama, optional
        The McKean–Vlasov dynamics of the mollified limit (default: none, X^ε = X̄).
    p : float
        Exponent of the power-mean error (≥ 1).
    alpha : float
        Threshold N^−α of the coupling errors (τ_sup, τ_p).
    beta_collision, distance_constant : float or tuple of floats, float
        Thresholds c N^−β' of the minimum distance (τ_min, one per β').
    """
    errors = CouplingErrors(p, alpha, beta_collision, distance_constant)
    noise = GaussianIncrements(rng, x0.shape[0])
    systems = [particles, mean_field] + ([mollified_mean_field] if mollified_mean_field is not None else [])
    return Integration(systems, x0, grid, noise, observers=[errors, *observers])
