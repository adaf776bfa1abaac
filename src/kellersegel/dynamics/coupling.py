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

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from kellersegel.dynamics.diagnostics import min_pair_distance
from kellersegel.dynamics.euler_maruyama import EulerMaruyama
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = ["CoupledTrajectory", "simulate_coupled"]


@dataclass
class CoupledTrajectory:
    """Coupling errors at the save times and the stopping times of one coupled run.

    Attributes
    ----------
    times : (T,)
    max_error : (T,)
        max_i |X_i − X̄_i|.
    power_error : (T,)
        ((1/N) Σ |X_i − X̄_i|^p)^{1/p}.
    min_distance : (T,)
        min_{i≠j} |X_i − X_j|.
    stopping_time, collision_time : float
        τ (error ≥ N^−α) and τ_min (distance ≤ N^−β'); ∞ if not reached.
    particles, copies : (N, 2)
        X and X̄ at the final time.
    """

    times: NDArray[np.float64]
    max_error: NDArray[np.float64]
    power_error: NDArray[np.float64]
    min_distance: NDArray[np.float64]
    stopping_time: float
    collision_time: float
    particles: NDArray[np.float64]
    copies: NDArray[np.float64]


def simulate_coupled(
    particles: EulerMaruyama,
    mean_field: EulerMaruyama,
    x0: NDArray[np.float64],
    grid: TimeGrid,
    rng: np.random.Generator,
    *,
    p: float = 2.0,
    alpha: float = 0.25,
    beta_collision: float = 1.0,
) -> CoupledTrajectory:
    """Euler–Maruyama for X and X̄ with the same increments ΔW = √Δt · rng.standard_normal((N, 2)).

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
    if not p >= 1:
        raise ValueError(f"p must be ≥ 1, got {p}")
    x = np.array(x0, dtype=np.float64)
    y = x.copy()
    n = x.shape[0]
    error_bound, distance_bound = n**-alpha, n**-beta_collision
    saves = {int(s): k for k, s in enumerate(grid.save_steps)}
    out = {name: np.full(len(saves), np.nan) for name in ("max_error", "power_error", "min_distance")}
    tau = tau_min = math.inf
    sqrt_dt = math.sqrt(grid.dt)

    def observe(step: int) -> None:
        nonlocal tau, tau_min
        t = step * grid.dt
        gap = x - y
        error = np.sqrt(np.einsum("ij,ij->i", gap, gap))
        if tau == math.inf and error.max() >= error_bound:
            tau = t
        if tau_min == math.inf and cKDTree(x).query_pairs(distance_bound, output_type="ndarray").size:
            tau_min = t
        if step in saves:
            k = saves[step]
            out["max_error"][k] = error.max()
            out["power_error"][k] = float(np.mean(error**p) ** (1 / p))
            out["min_distance"][k] = min_pair_distance(x)

    for step in range(grid.n_steps):
        observe(step)
        dw = sqrt_dt * rng.standard_normal((n, 2))
        t = step * grid.dt
        x, y = particles.step(x, t, grid.dt, dw), mean_field.step(y, t, grid.dt, dw)
    observe(grid.n_steps)
    return CoupledTrajectory(
        grid.save_times, **out, stopping_time=tau, collision_time=tau_min, particles=x, copies=y
    )
