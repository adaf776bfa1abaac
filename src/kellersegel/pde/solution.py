"""A solved PDE on a grid: saved frames of ρ and c, interpolable at any point and time."""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from kellersegel.pde.grid import Grid2D

__all__ = ["GridSolution", "MeanFieldSolution", "save_times"]

#: CF units of the nondimensional model (lengths, times and densities of its equations)
_ONE = {"units": "1"}


@runtime_checkable
class MeanFieldSolution(Protocol):
    """What every PDE solution gives, arguments in the order (t, x): c and ∇c of the limit at any
    points x of shape (..., 2) and time t in its solved interval [times[0], times[-1]]."""

    times: NDArray[np.float64]

    def signal(self, t: float, x: ArrayLike) -> NDArray[np.float64]:
        """c(t, x), shape (...)."""

    def signal_gradient(self, t: float, x: ArrayLike) -> NDArray[np.float64]:
        """∇c(t, x), shape (..., 2)."""


def save_times(t_end: float, save_every: float) -> NDArray[np.float64]:
    """0, Δ, 2Δ, ... up to t_end, with t_end itself always the last time."""
    times = save_every * np.arange(math.ceil(t_end / save_every))
    times = times[times < t_end * (1 - 1e-12)]
    return np.append(times, t_end)


class GridSolution:
    """Frames ρ(t_k), c(t_k) on a :class:`Grid2D`.

    c and ∇c at arbitrary points and times: cubic-spline interpolation in space on each saved frame
    (outside the grid: the nearest edge value) and linear interpolation between saved times, so
    save often enough for the use at hand.
    """

    def __init__(
        self,
        grid: Grid2D,
        model,
        times: NDArray[np.float64],
        density: NDArray[np.float64],
        signal: NDArray[np.float64],
        *,
        blowup_time: float | None = None,
        blowup_threshold: float | None = None,
        steps: int = 0,
        wall_time: float = 0.0,
        interrupted: bool = False,
    ) -> None:
        self.grid = grid
        self.model = model
        self.times = np.asarray(times, dtype=np.float64)
        self.density = np.asarray(density)
        self.signal_frames = np.asarray(signal)
        self.blowup_time = blowup_time
        self.blowup_threshold = blowup_threshold
        self.steps = steps
        self.wall_time = wall_time
        self.interrupted = interrupted
        self._coefficients: dict[tuple[int, str], NDArray[np.float64]] = {}

    # --- frames ---------------------------------------------------------------------------
    def gradient_frame(self, k: int) -> NDArray[np.float64]:
        """∇c on the grid at saved time k (second-order differences), shape (n, n, 2)."""
        return np.stack(np.gradient(self.signal_frames[k], self.grid.h, edge_order=2), axis=-1)

    def mass(self) -> NDArray[np.float64]:
        """∫ρ dx at the saved times."""
        return self.grid.integrate(self.density)

    def second_moment(self) -> NDArray[np.float64]:
        """∫|x|²ρ dx at the saved times."""
        return self.grid.second_moment(self.density)

    # --- interpolation ----------------------------------------------------------------------
    def _spline(self, k: int, what: str) -> NDArray[np.float64]:
        key = (k, what)
        if key not in self._coefficients:
            if what == "c":
                frame = self.signal_frames[k]
            else:
                frame = self.gradient_frame(k)[..., "xy".index(what[-1])]
            self._coefficients[key] = ndimage.spline_filter(frame, order=3, mode="nearest")
        return self._coefficients[key]

    def _at_frame(self, k: int, what: str, points: NDArray[np.float64]) -> NDArray[np.float64]:
        g = self.grid
        lower = np.array(g.center) - g.half_width + 0.5 * g.h
        index = (points - lower) / g.h
        coords = np.moveaxis(index, -1, 0).reshape(2, -1)
        values = ndimage.map_coordinates(
            self._spline(k, what), coords, order=3, mode="nearest", prefilter=False
        )
        return values.reshape(points.shape[:-1])

    def _interpolate(self, t: float, what: str, points: ArrayLike) -> NDArray[np.float64]:
        points = np.asarray(points, dtype=np.float64)
        t = float(t)
        if not self.times[0] - 1e-12 <= t <= self.times[-1] + 1e-12:
            raise ValueError(
                f"t = {t:g} is outside the solved interval [{self.times[0]:g}, {self.times[-1]:g}]"
            )
        k = int(np.clip(np.searchsorted(self.times, t) - 1, 0, max(len(self.times) - 2, 0)))
        if len(self.times) == 1:
            return self._at_frame(0, what, points)
        t0, t1 = self.times[k], self.times[k + 1]
        w = (t - t0) / (t1 - t0)
        return (1 - w) * self._at_frame(k, what, points) + w * self._at_frame(k + 1, what, points)

    def signal(self, t: float, points: ArrayLike) -> NDArray[np.float64]:
        """c(t, x) at points of shape (..., 2)."""
        return self._interpolate(t, "c", points)

    def signal_gradient(self, t: float, points: ArrayLike) -> NDArray[np.float64]:
        """∇c(t, x) at points of shape (..., 2); returns shape (..., 2)."""
        return np.stack([self._interpolate(t, "dx", points), self._interpolate(t, "dy", points)], axis=-1)

    # --- output -------------------------------------------------------------------------------
    def to_dataset(self) -> xr.Dataset:
        """``density(time, x, y)``, ``signal(time, x, y)``, ``second_moment(time)``, ``mass(time)``."""
        g = self.grid
        m = self.model
        return xr.Dataset(
            {
                "density": (("time", "x", "y"), self.density, {"long_name": "ρ (cell averages)", **_ONE}),
                "signal": (("time", "x", "y"), self.signal_frames, {"long_name": "c", **_ONE}),
                "second_moment": ("time", self.second_moment(), {"long_name": "∫|x|²ρ dx", **_ONE}),
                "mass": ("time", self.mass(), {"long_name": "∫ρ dx", **_ONE}),
                "max_density": ("time", self.density.max(axis=(1, 2)), {"long_name": "max ρ", **_ONE}),
            },
            coords={
                "time": ("time", self.times, {"long_name": "time t", **_ONE}),
                "x": ("x", g.x, {"long_name": "cell centre x", **_ONE}),
                "y": ("y", g.y, {"long_name": "cell centre y", **_ONE}),
            },
            attrs={
                "solver": "finite volume (Chertock–Kurganov, SSP-RK2), free-space signal",
                "model": repr(m),
                "grid_n": g.n,
                "grid_half_width": g.half_width,
                "grid_h": g.h,
                "steps": self.steps,
                "wall_time_s": self.wall_time,
                "blowup_threshold": np.nan if self.blowup_threshold is None else self.blowup_threshold,
                "blowup_time": np.nan if self.blowup_time is None else self.blowup_time,
                "interrupted": int(self.interrupted),
            },
        )
