"""Euler–Maruyama steps of the particle SDE dX = b(X) dt + σ(X) dW (Itô)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.signal import SignalField
from kellersegel.models.base import KellerSegelModel

__all__ = ["Coefficients", "EulerMaruyama"]


@dataclass(frozen=True)
class Coefficients:
    """Drift b, shape (n, 2), and noise amplitude σ (scalar or shape (n,)) at one state."""

    drift: NDArray[np.float64]
    noise: NDArray[np.float64] | float

    def max_drift(self) -> float:
        """max_i |b_i| (NaN if any drift is not finite)."""
        largest = _max_row_norm(self.drift)
        return largest if math.isfinite(largest) else float("nan")


@numba.njit(cache=True)
def _max_row_norm(v: NDArray[np.float64]) -> float:
    """max_i |v_i| (NaN if any entry is NaN)."""
    largest = 0.0
    for i in range(v.shape[0]):
        norm2 = v[i, 0] * v[i, 0] + v[i, 1] * v[i, 1]
        if not norm2 <= largest:  # larger, or NaN
            largest = norm2
    return math.sqrt(largest)


class EulerMaruyama:
    """X(t+Δt) = X + b(X, t) Δt + σ(X, t) ΔW, with b = (D'(c) + S(c))∇c, σ = √(2D(c)).

    The step is a deterministic function of the state and the Brownian increments ΔW, so that
    coupled systems (McKean–Vlasov copies) can be driven by the same noise.
    """

    def __init__(self, model: KellerSegelModel, signal: SignalField) -> None:
        self.model = model
        self.signal = signal

    def coefficients(self, t: float, x: NDArray[np.float64]) -> Coefficients:
        """b and σ at the state x, time t."""
        values = self.signal.at_particles(t, x, potential=self.model.needs_potential)
        drift = self.model.drift(values.potential, values.gradient)
        return Coefficients(drift, self.model.noise_amplitude(values.potential))

    def step(
        self,
        x: NDArray[np.float64],
        t: float,
        dt: float,
        dw: NDArray[np.float64],
        coefficients: Coefficients | None = None,
    ) -> NDArray[np.float64]:
        """The state at t + dt given the increments dw ~ N(0, dt I), shape (n, 2)."""
        c = self.coefficients(t, x) if coefficients is None else coefficients
        noise = c.noise[:, None] if isinstance(c.noise, np.ndarray) and c.noise.ndim else c.noise
        x_new = x + c.drift * dt + noise * dw
        self.signal.advance(x, x_new, t, dt)
        return x_new

    def drive(
        self, x0: NDArray[np.float64], increments: NDArray[np.float64], dt: float, t0: float = 0.0
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Steps driven by given Brownian increments, shape (steps, n, 2).

        Returns the final state and the drift at every step, shape (steps, n, 2): two steppers
        driven by the same increments are synchronously coupled.
        """
        x, drifts = np.array(x0, dtype=np.float64), []
        for k, dw in enumerate(increments):
            t = t0 + k * dt
            c = self.coefficients(t, x)
            drifts.append(c.drift)
            x = self.step(x, t, dt, dw, c)
        return x, np.array(drifts)
