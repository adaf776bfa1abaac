"""Synchronous coupling of the particle system with N McKean–Vlasov copies (of the limit, and of
the mollified limit).

The particles X_i, the copies X̄_i of the limit and, optionally, the copies X^ε_i of the
mollified limit (signal G_λ * V_ε * ρ^ε) start at the same points and are driven by the same
Brownian increments; the copies' drift and diffusion use their PDE solution's c and ∇c (through
:class:`~kellersegel.dynamics.signal.GivenSignal`):

    dX_i = b(X, t)_i dt + σ dW_i,   dX̄_i = b̄(X̄_i, t) dt + σ̄ dW_i,   dX^ε_i = b^ε(X^ε_i, t) dt + σ^ε dW_i.

What is recorded (errors of the total and of its two parts, stopping times, stopped errors):
:class:`CouplingErrors`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.euler_maruyama import EulerMaruyama
from kellersegel.dynamics.integrate import GaussianIncrements, Integration, Observer, State
from kellersegel.dynamics.time_grid import TimeGrid

__all__ = ["COUPLING_PARTS", "CouplingErrors", "coupled_integration"]

#: the parts of the coupling error: (name prefix, system a, system b) for |X^(a) − X^(b)|; the
#: systems are 0 the particles X, 1 the limit's McKean–Vlasov copies X̄, 2 those of the
#: mollified limit X^ε (when stacked; without them X^ε = X̄)
COUPLING_PARTS = (("", 0, 1), ("fluctuation_", 0, 2), ("mollification_", 2, 1))


class CouplingErrors(Observer):
    """The particles X (system 0) coupled with the limit's copies X̄ (system 1) and, when a third
    system is stacked, the mollified limit's copies X^ε (system 2), which split the error:

        |X_i − X̄_i| ≤ |X_i − X^ε_i| (fluctuation) + |X^ε_i − X̄_i| (mollification).

    At the save times, for the total and each part: max_i |·| and the power mean
    ((1/N) Σ_i |·|^p)^{1/p}; and min_{i≠j}|X_i − X_j|. At every step the stopping times

        τ_sup = inf{t : max_i |X_i − X̄_i| ≥ N^−α},   τ_p = inf{t : power mean of X − X̄ ≥ N^−α},
        τ_min(β') = inf{t : min_{i≠j} |X_i − X_j| ≤ c N^−β'}  for each β' of ``beta_collision``,

    (∞ when not reached by the final time) and the stopped errors sup_{t ≤ T ∧ τ_min(β')} of the
    total power mean. Without a third system X^ε = X̄: the fluctuation is the total, the
    mollification 0.
    """

    def __init__(
        self,
        p: float = 2.0,
        alpha: float = 0.25,
        beta_collision: float | tuple[float, ...] = 1.0,
        distance_constant: float = 1.0,
    ) -> None:
        if not p >= 1:
            raise ValueError(f"p must be ≥ 1, got {p}")
        if not distance_constant > 0:
            raise ValueError(f"distance_constant must be > 0, got {distance_constant}")
        self.p, self.alpha = p, alpha
        self.beta_collision = np.atleast_1d(np.asarray(beta_collision, dtype=np.float64))
        self.distance_constant = float(distance_constant)

    def start(self, grid: TimeGrid, n: int) -> None:
        self.error_bound = n**-self.alpha
        self.distance_bounds = self.distance_constant * float(n) ** -self.beta_collision
        t = len(grid.save_times)
        names = [f"{part}{kind}" for part, _, _ in COUPLING_PARTS for kind in ("max_error", "power_error")]
        self.data = {name: np.full(t, np.nan) for name in (*names, "min_distance")}
        self.tau = self.tau_power = math.inf
        self.step_times: list[float] = []
        self.step_distances: list[float] = []
        self.step_power_errors: list[float] = []
        self.errors: dict[str, np.ndarray] = {}

    def _power_mean(self, error: np.ndarray) -> float:
        return float(np.mean(error**self.p) ** (1 / self.p))

    def step(self, state: State) -> None:
        x = state.x
        parts = COUPLING_PARTS if len(x) > 2 else COUPLING_PARTS[:1]
        for part, a, b in parts:
            gap = x[a] - x[b]
            self.errors[part] = np.sqrt(np.einsum("ij,ij->i", gap, gap))
        total = self.errors[""]
        if len(x) == 2:  # X^ε is X̄: the fluctuation is the total, the mollification 0
            self.errors["fluctuation_"], self.errors["mollification_"] = total, np.zeros_like(total)
        power = self._power_mean(total)
        if self.tau == math.inf and total.max() >= self.error_bound:
            self.tau = state.t
        if self.tau_power == math.inf and power >= self.error_bound:
            self.tau_power = state.t
        self.step_times.append(state.t)
        self.step_distances.append(state.min_distance())
        self.step_power_errors.append(power)

    def save(self, k: int, state: State) -> None:
        for part, error in self.errors.items():
            self.data[f"{part}max_error"][k] = error.max()
            self.data[f"{part}power_error"][k] = self._power_mean(error)
        self.data["min_distance"][k] = state.min_distance()

    def result(self):
        times = np.asarray(self.step_times)
        distances = np.asarray(self.step_distances)
        power = np.asarray(self.step_power_errors)
        collision = np.full(self.beta_collision.size, math.inf)
        stopped = np.full(self.beta_collision.size, np.nan)
        for j, bound in enumerate(self.distance_bounds):
            hit = np.flatnonzero(distances <= bound)
            last = hit[0] if hit.size else len(times) - 1  # the stopped path ends at τ_min or T
            if hit.size:
                collision[j] = times[hit[0]]
            stopped[j] = power[: last + 1].max()
        return {
            **self.data,
            "stopping_time": self.tau,
            "power_stopping_time": self.tau_power,
            "collision_time": collision,
            "stopped_error": stopped,
        }


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
