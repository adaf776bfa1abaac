"""A solved PDE on a grid: saved frames of ρ and c, interpolable at any point and time."""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import numba
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
    (outside the grid: the spline continued with its edge coefficients, constant two cells out)
    and linear interpolation between saved times, so save often enough for the use at hand.
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
        self._stacks: dict[tuple[tuple[int, ...], tuple[str, ...]], NDArray[np.float64]] = {}

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

    def _interpolate(self, t: float, whats: tuple[str, ...], points: ArrayLike) -> NDArray[np.float64]:
        """The fields ``whats`` ("c", "dx", "dy") at time t and ``points`` (..., 2): shape
        (len(whats), ...)."""
        points = np.asarray(points, dtype=np.float64)
        t = float(t)
        if not self.times[0] - 1e-12 <= t <= self.times[-1] + 1e-12:
            raise ValueError(
                f"t = {t:g} is outside the solved interval [{self.times[0]:g}, {self.times[-1]:g}]"
            )
        k = int(np.clip(np.searchsorted(self.times, t) - 1, 0, max(len(self.times) - 2, 0)))
        frames, w = (0,), 0.0
        if len(self.times) > 1:
            frames, w = (k, k + 1), (t - self.times[k]) / (self.times[k + 1] - self.times[k])
        key = (frames, whats)
        if key not in self._stacks:
            self._stacks[key] = np.stack([self._spline(f, what) for f in frames for what in whats])
        g = self.grid
        lower = np.array(g.center) - g.half_width + 0.5 * g.h
        index = ((points - lower) / g.h).reshape(-1, 2)
        values = _cubic_spline_at(self._stacks[key], np.ascontiguousarray(index))
        if len(frames) == 2:
            values = (1 - w) * values[: len(whats)] + w * values[len(whats) :]
        return values.reshape(len(whats), *points.shape[:-1])

    def signal(self, t: float, points: ArrayLike) -> NDArray[np.float64]:
        """c(t, x) at points of shape (..., 2)."""
        return self._interpolate(t, ("c",), points)[0]

    def signal_gradient(self, t: float, points: ArrayLike) -> NDArray[np.float64]:
        """∇c(t, x) at points of shape (..., 2); returns shape (..., 2)."""
        return np.moveaxis(self._interpolate(t, ("dx", "dy"), points), 0, -1)

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


@numba.njit(cache=True, parallel=True)
def _cubic_spline_at(coefficients: NDArray[np.float64], index: NDArray[np.float64]) -> NDArray[np.float64]:
    """Σ_{a,b} β₃(u − i_a) β₃(v − j_b) C_f[i_a, j_b] for each array C_f of ``coefficients``
    (F, n, n) at the fractional indices (u, v) of ``index`` (P, 2): cubic B-splines on the 4 × 4
    nearest nodes, a node beyond the edge taking the edge's coefficient (so the value is constant
    two cells out; NaN at a NaN point); the same numbers as
    ``scipy.ndimage.map_coordinates(C_f, index.T, order=3, mode="nearest", prefilter=False)``
    (tested), with the weights computed once for all F arrays."""
    nf, n = coefficients.shape[0], coefficients.shape[1]
    out = np.empty((nf, index.shape[0]))
    for q in numba.prange(index.shape[0]):
        u, v = index[q, 0], index[q, 1]
        if not (u == u and v == v):
            out[:, q] = np.nan
            continue
        u, v = min(max(u, -2.0), n + 1.0), min(max(v, -2.0), n + 1.0)
        iu, iv = int(math.floor(u)), int(math.floor(v))
        wu, wv = _cubic_weights(u - iu), _cubic_weights(v - iv)
        for f in range(nf):
            acc = 0.0
            for a in range(4):
                row = min(max(iu - 1 + a, 0), n - 1)
                inner = 0.0
                for b in range(4):
                    inner += wv[b] * coefficients[f, row, min(max(iv - 1 + b, 0), n - 1)]
                acc += wu[a] * inner
            out[f, q] = acc
    return out


@numba.njit(cache=True, inline="always")
def _cubic_weights(t: float) -> tuple[float, float, float, float]:
    """β₃(t + 1), β₃(t), β₃(1 − t), β₃(2 − t) for 0 ≤ t < 1 (cubic B-spline)."""
    s = 1.0 - t
    middle, next_ = (3.0 * t * t * (t - 2.0) + 4.0) / 6.0, (3.0 * s * s * (s - 2.0) + 4.0) / 6.0
    return s * s * s / 6.0, middle, next_, t * t * t / 6.0
