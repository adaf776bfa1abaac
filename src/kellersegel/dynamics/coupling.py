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

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.euler_maruyama import EulerMaruyama
from kellersegel.dynamics.integrate import GaussianIncrements, integrate
from kellersegel.dynamics.observers import CouplingErrors
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
        X and X̄ at the final time (or at the event).
    event : str
        "none", or "nonfinite" when a position or a drift stopped being finite.
    """

    times: NDArray[np.float64]
    max_error: NDArray[np.float64]
    power_error: NDArray[np.float64]
    min_distance: NDArray[np.float64]
    stopping_time: float
    collision_time: float
    particles: NDArray[np.float64]
    copies: NDArray[np.float64]
    event: str = "none"


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
    """Euler–Maruyama for X and X̄ stacked, with the same increments ΔW = √Δt ·
    rng.standard_normal((N, 2)): :func:`integrate` with :class:`CouplingErrors`.

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
    solution = integrate([particles, mean_field], x0, grid, noise, observers=[errors])
    o = solution.observed
    return CoupledTrajectory(
        grid.save_times,
        max_error=o["max_error"],
        power_error=o["power_error"],
        min_distance=o["min_distance"],
        stopping_time=o["stopping_time"],
        collision_time=o["collision_time"],
        particles=solution.state.x[0],
        copies=solution.state.x[1],
        event=solution.event,
    )
