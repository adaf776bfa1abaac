"""Uniform time steps with save times on a multiple of the step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["TimeGrid"]


def _multiple(value: float, unit: float) -> int | None:
    k = round(value / unit)
    return k if k >= 1 and abs(value - k * unit) <= 1e-9 * value else None


@dataclass(frozen=True)
class TimeGrid:
    """Steps of size dt up to t_end; states saved every ``save_every`` and at t_end.

    Parameters
    ----------
    t_end, dt, save_every : float
        Final time, step and save interval; t_end and save_every must be multiples of dt.
    """

    t_end: float
    dt: float
    save_every: float

    def __post_init__(self) -> None:
        for name in ("t_end", "dt", "save_every"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"time.{name}: must be a finite number > 0, got {value}")
        if self.t_end < self.dt:
            raise ValueError(f"time.t_end: must be ≥ time.dt = {self.dt:g}, got {self.t_end:g}")
        if _multiple(self.t_end, self.dt) is None:
            raise ValueError(f"time.t_end: must be a multiple of time.dt = {self.dt:g}")
        if self.save_every < self.dt or _multiple(self.save_every, self.dt) is None:
            raise ValueError(f"time.save_every: must be a multiple of time.dt = {self.dt:g}")

    @property
    def n_steps(self) -> int:
        return _multiple(self.t_end, self.dt)  # type: ignore[return-value]

    @property
    def n_saves(self) -> int:
        """Number of saved states, ``len(save_steps)``, without building the array."""
        stride = _multiple(self.save_every, self.dt)
        return self.n_steps // stride + 1 + (self.n_steps % stride != 0)

    @property
    def save_steps(self) -> NDArray[np.int64]:
        """Step indices whose state is saved: 0, k, 2k, … and the last step."""
        stride = _multiple(self.save_every, self.dt)
        steps = np.arange(0, self.n_steps + 1, stride)
        return steps if steps[-1] == self.n_steps else np.append(steps, self.n_steps)

    @property
    def save_times(self) -> NDArray[np.float64]:
        return self.save_steps * self.dt
