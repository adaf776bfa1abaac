"""Radial solver of the classical parabolic–elliptic model (θ = 0, λ = 0) in the mass coordinate.

For radially symmetric ρ(r, t) let s = r² and m(s, t) = ∫_{|x|<√s} ρ dx = π ∫_0^s ρ ds' (the area
element is 2πr dr = π ds). Gauss' law gives ∂r c = −m/(2πr), and integrating
∂t ρ = Δρ − χ ∇·(ρ∇c) over the disk of radius r gives ∂t m = 2πr(∂r ρ − χ ρ ∂r c), that is

    ∂t m = 4 s ∂ss m + (χ/π) m ∂s m,      m(0, t) = 0,  m(∞, t) = M,

with ρ = ∂s m / π. The equation is discretised by second-order central differences on a grid
that is uniform in ξ ∈ [0, 1] under the map s = s_core (e^{aξ} − 1), a = log(1 + s_max/s_core):
nearly uniform below s_core, geometric above it, so the core of a collapsing solution stays
resolved. Time: the Radau IIA method of :func:`scipy.integrate.solve_ivp` (order 5, adaptive,
stiff) with the tridiagonal Jacobian. The run stops when the central density ρ(0, t) passes a
threshold: the numerical blow-up time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, sparse

from kellersegel._interrupt import check as check_interrupt
from kellersegel._validation import finite_number
from kellersegel.initial.base import InitialData
from kellersegel.models.classical import ClassicalModel
from kellersegel.pde.solution import save_times

__all__ = ["RadialGrid", "RadialSolution", "RadialSolver", "radial_mass"]

#: CF units of the nondimensional model
_ONE = {"units": "1"}

_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(16)


@dataclass(frozen=True)
class RadialGrid:
    """Grid s_i = s_core (e^{a i/n} − 1), i = 0..n, on [0, s_max] in s = r².

    Parameters
    ----------
    n : int
        Number of intervals.
    s_max : float
        Outer end (squared radius) where m = M is imposed; the mass outside must be negligible.
    s_core : float
        Scale below which the grid is uniform: the smallest resolved core (squared radius).
    """

    n: int = 2000
    s_max: float = 60.0
    s_core: float = 1e-6

    def __post_init__(self) -> None:
        if int(self.n) != self.n or self.n < 8:
            raise ValueError(f"n must be an integer ≥ 8, got {self.n}")
        finite_number("s_max", self.s_max, 0.0, strict=True)
        finite_number("s_core", self.s_core, 0.0, strict=True)
        if self.s_core >= self.s_max:
            raise ValueError(f"s_core ({self.s_core:g}) must be below s_max ({self.s_max:g})")

    @property
    def rate(self) -> float:
        """a = log(1 + s_max/s_core)."""
        return math.log1p(self.s_max / self.s_core)

    @property
    def xi_step(self) -> float:
        return 1.0 / self.n

    @property
    def s(self) -> NDArray[np.float64]:
        """Nodes s_i, shape (n + 1,)."""
        return self.s_core * np.expm1(self.rate * np.linspace(0.0, 1.0, self.n + 1))

    @property
    def ds_dxi(self) -> NDArray[np.float64]:
        """s'(ξ_i) = a (s_i + s_core)."""
        return self.rate * (self.s + self.s_core)


def radial_mass(initial: InitialData, s: ArrayLike, mass: float = 1.0) -> NDArray[np.float64]:
    """m(s) = 2π ∫_0^{√s} ρ(r) r dr for a law radially symmetric about 0 (16-point Gauss per interval).

    Raises ValueError when the law is not radially symmetric about the origin.
    """
    s = np.asarray(s, dtype=np.float64)
    probe = np.array([0.3, 0.9, 1.7])
    angles = np.array([0.0, 0.7, 2.0, 4.1])
    pts = probe[:, None, None] * np.stack([np.cos(angles), np.sin(angles)], axis=-1)[None]
    values = initial.density(pts)
    if not np.allclose(values, values[:, :1], rtol=1e-10, atol=1e-300):
        raise ValueError(
            "the radial solver needs radially symmetric initial data centred at the origin "
            f"({type(initial).__name__} is not); use the 2-D solver"
        )
    left, right = s[:-1], s[1:]
    mid, half = 0.5 * (left + right), 0.5 * (right - left)
    nodes = mid[:, None] + half[:, None] * _GAUSS_NODES[None, :]
    rho = initial.density(np.stack([np.sqrt(nodes), np.zeros_like(nodes)], axis=-1))
    pieces = math.pi * half * (rho @ _GAUSS_WEIGHTS)
    return mass * np.concatenate([[0.0], np.cumsum(pieces)])


class RadialSolution:
    """m(s, t) on the grid at the saved times, with the derived fields.

    Attributes
    ----------
    times : ndarray, shape (T,)
    mass_profile : ndarray, shape (T, n + 1)
        m(s_i, t_k).
    blowup_time : float or None
        First time the central density passed the threshold (None if it did not).
    """

    def __init__(self, grid, model, times, mass_profile, blowup_time, threshold, dense):
        self.grid = grid
        self.model = model
        self.times = np.asarray(times)
        self.mass_profile = np.asarray(mass_profile)
        self.blowup_time = blowup_time
        self.threshold = threshold
        self._dense = dense

    def _m(self, t: float) -> NDArray[np.float64]:
        t = float(t)
        if not self.times[0] <= t <= self.times[-1]:
            raise ValueError(
                f"t = {t:g} is outside the solved interval [{self.times[0]:g}, {self.times[-1]:g}]"
            )
        return np.concatenate([[0.0], self._dense(t), [self.model.mass]])

    def cumulative_mass(self, t: float, r: ArrayLike) -> NDArray[np.float64]:
        """Mass within radius r at time t (piecewise-cubic interpolation in s)."""
        from scipy.interpolate import CubicSpline

        spline = CubicSpline(self.grid.s, self._m(t))
        s = np.asarray(r, dtype=np.float64) ** 2
        return np.where(s >= self.grid.s[-1], self.model.mass, spline(np.minimum(s, self.grid.s[-1])))

    def density(self, t: float, r: ArrayLike) -> NDArray[np.float64]:
        """ρ(r, t) = ∂s m / π (derivative of the cubic interpolant; 0 beyond s_max)."""
        from scipy.interpolate import CubicSpline

        spline = CubicSpline(self.grid.s, self._m(t))
        s = np.asarray(r, dtype=np.float64) ** 2
        return np.where(s >= self.grid.s[-1], 0.0, spline(np.minimum(s, self.grid.s[-1]), 1) / math.pi)

    def signal_gradient(self, t: float, x: ArrayLike) -> NDArray[np.float64]:
        """∇c(x, t) = −m(|x|², t) x / (2π|x|²), shape (..., 2) (0 at x = 0)."""
        x = np.asarray(x, dtype=np.float64)
        r2 = np.einsum("...i,...i->...", x, x)
        m = self.cumulative_mass(t, np.sqrt(r2))
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = np.where(r2 > 0, -m / (2 * math.pi * r2), 0.0)
        return factor[..., None] * x

    def signal(self, t: float, x: ArrayLike) -> NDArray[np.float64]:
        """c(t, x) at points of shape (..., 2) (the radial profile at |x|)."""
        x = np.asarray(x, dtype=np.float64)
        return self._signal_at(t, np.einsum("...i,...i->...", x, x))

    def signal_profile(self, t: float, r: ArrayLike) -> NDArray[np.float64]:
        """c = G_0 * ρ at radius r. Newton's theorem and an integration by parts give
        c = −(M/4π) log s_max + (1/4π) ∫_s^{s_max} m(s')/s' ds' (s = r² ≤ s_max; −(M/4π) log s beyond)."""
        return self._signal_at(t, np.asarray(r, dtype=np.float64) ** 2)

    def _signal_at(self, t: float, s: NDArray[np.float64]) -> NDArray[np.float64]:
        """c at s = r² (see :meth:`signal_profile`)."""
        from scipy.interpolate import CubicSpline

        s_grid = self.grid.s
        m = self._m(t)
        ratio = np.empty_like(m)
        ratio[1:] = m[1:] / s_grid[1:]
        ratio[0] = math.pi * _central_density(m, self.grid)
        primitive = CubicSpline(s_grid, ratio).antiderivative()
        inside = np.minimum(s, s_grid[-1])
        mass = self.model.mass
        c_in = -mass * math.log(s_grid[-1]) / (4 * math.pi) + (primitive(s_grid[-1]) - primitive(inside)) / (
            4 * math.pi
        )
        with np.errstate(divide="ignore"):
            c_out = -mass * np.log(s) / (4 * math.pi)
        return np.where(s > s_grid[-1], c_out, c_in)

    def second_moment(self) -> NDArray[np.float64]:
        """m₂(t) = ∫|x|²ρ dx = ∫_0^∞ (M − m) ds at the saved times (trapezoid rule)."""
        return integrate.trapezoid(self.model.mass - self.mass_profile, self.grid.s, axis=1)

    def central_density(self) -> NDArray[np.float64]:
        """ρ(0, t) at the saved times (second-order one-sided difference)."""
        return _central_density(self.mass_profile, self.grid)

    def to_dataset(self, radii: ArrayLike | None = None) -> xr.Dataset:
        """``density``, ``cumulative_mass``, ``signal`` (time, r); ``second_moment``, ``mass``,
        ``central_density`` (time)."""
        r = np.sqrt(self.grid.s) if radii is None else np.asarray(radii, dtype=np.float64)
        density = np.stack([self.density(t, r) for t in self.times])
        cumulative = np.stack([self.cumulative_mass(t, r) for t in self.times])
        signal = np.stack([self.signal_profile(t, r) for t in self.times])
        data = xr.Dataset(
            {
                "density": (("time", "r"), density, {"long_name": "ρ(r, t)", **_ONE}),
                "cumulative_mass": (("time", "r"), cumulative, {"long_name": "mass within radius r", **_ONE}),
                "signal": (("time", "r"), signal, {"long_name": "c = G_0 * ρ", **_ONE}),
                "second_moment": ("time", self.second_moment(), {"long_name": "∫|x|²ρ dx", **_ONE}),
                "mass": ("time", self.mass_profile[:, -1], {"long_name": "∫ρ dx", **_ONE}),
                "central_density": ("time", self.central_density(), {"long_name": "ρ(0, t)", **_ONE}),
            },
            coords={
                "time": ("time", self.times, {"long_name": "time t", **_ONE}),
                "r": ("r", r, {"long_name": "radius r = |x|", **_ONE}),
            },
            attrs={
                "solver": "radial (mass coordinate s = r², Radau IIA)",
                "chi": self.model.chi,
                "grid_n": self.grid.n,
                "s_max": self.grid.s_max,
                "s_core": self.grid.s_core,
                "blowup_threshold": self.threshold,
                "blowup_time": np.nan if self.blowup_time is None else self.blowup_time,
            },
        )
        return data


def _central_density(m: NDArray[np.float64], grid: RadialGrid) -> NDArray[np.float64]:
    dm_dxi = (-3.0 * m[..., 0] + 4.0 * m[..., 1] - m[..., 2]) / (2.0 * grid.xi_step)
    return dm_dxi / grid.ds_dxi[0] / math.pi


class RadialSolver:
    """∂t m = 4s ∂ss m + (χ/π) m ∂s m for the classical model with θ = 0, λ = 0.

    Parameters
    ----------
    model : ClassicalModel
        With θ = 0 and λ = 0.
    grid : RadialGrid
    rtol, atol : float
        Radau tolerances (relative; absolute in units of the mass M).
    """

    def __init__(
        self, model: ClassicalModel, grid: RadialGrid | None = None, rtol: float = 1e-9, atol: float = 1e-12
    ):
        if not isinstance(model, ClassicalModel) or model.theta != 0 or model.lam != 0:
            raise ValueError(
                f"the radial solver covers the classical model with theta = 0 and lam = 0, got {model!r}; "
                "use the 2-D solver"
            )
        self.model = model
        self.grid = grid or RadialGrid()
        self.rtol = finite_number("rtol", rtol, 0.0, strict=True)
        self.atol = finite_number("atol", atol, 0.0, strict=True)
        s = self.grid.s
        d1 = self.grid.ds_dxi  # s'(ξ)
        d2 = self.grid.rate * d1  # s''(ξ)
        h = self.grid.xi_step
        inner = slice(1, -1)
        # m_s = m_ξ / s',  m_ss = m_ξξ / s'² − s'' m_ξ / s'³ (central differences in ξ)
        self._diff_coef = (4.0 * s / d1**2)[inner] / h**2
        self._drift_coef = (-4.0 * s * d2 / d1**3)[inner] / (2 * h)
        self._transport_coef = (model.chi / math.pi / d1)[inner] / (2 * h)

    def _full(self, y):
        return np.concatenate([[0.0], y, [self.model.mass]])

    def _rhs(self, t, y):
        m = self._full(y)
        central = m[2:] - m[:-2]
        second = m[2:] - 2.0 * m[1:-1] + m[:-2]
        return self._diff_coef * second + (self._drift_coef + self._transport_coef * m[1:-1]) * central

    def _jacobian(self, t, y):
        m = self._full(y)
        central = m[2:] - m[:-2]
        a = self._drift_coef + self._transport_coef * m[1:-1]
        main = -2.0 * self._diff_coef + self._transport_coef * central
        upper = (self._diff_coef + a)[:-1]
        lower = (self._diff_coef - a)[1:]
        return sparse.diags([lower, main, upper], [-1, 0, 1], format="csc")

    def solve(
        self,
        initial: InitialData,
        t_end: float,
        save_every: float,
        blowup_density: float | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> RadialSolution:
        """Solve from the law ``initial`` (times M) up to ``t_end`` or the numerical blow-up.

        ``blowup_density``: the central density at which the run stops (default 10⁴ × its
        initial value); the time it is reached is ``solution.blowup_time``. ``progress``: called
        with the time reached (the largest time the integrator has evaluated).
        """
        t_end = finite_number("t_end", t_end, 0.0, strict=True)
        save_every = finite_number("save_every", save_every, 0.0, strict=True)
        m0 = radial_mass(initial, self.grid.s, self.model.mass)
        outside = self.model.mass - m0[-1]
        if outside > 1e-8 * self.model.mass:
            raise ValueError(
                f"the initial data put mass {outside:.2g} beyond s_max = {self.grid.s_max:g} "
                f"(r = {math.sqrt(self.grid.s_max):.3g}); increase s_max"
            )
        m0[-1] = self.model.mass
        rho0 = float(_central_density(m0, self.grid))
        if not rho0 > 0:
            raise ValueError("the initial central density must be positive for the radial solver")
        threshold = (
            1e4 * rho0
            if blowup_density is None
            else finite_number("blowup_density", blowup_density, rho0, strict=True)
        )
        coef = 1.0 / (2.0 * self.grid.xi_step * self.grid.ds_dxi[0] * math.pi)

        def blowup(t, y):
            return coef * (4.0 * y[0] - y[1]) - threshold

        blowup.terminal = True
        blowup.direction = 1
        times = save_times(t_end, save_every)
        reached = [0.0]

        def rhs(t, y):
            check_interrupt()
            if progress is not None and t > reached[0]:
                reached[0] = t
                progress(t)
            return self._rhs(t, y)

        result = integrate.solve_ivp(
            rhs,
            (0.0, t_end),
            m0[1:-1],
            method="Radau",
            t_eval=times,
            jac=self._jacobian,
            events=blowup,
            rtol=self.rtol,
            atol=self.atol * self.model.mass,
            dense_output=True,
        )
        if result.status == -1:
            raise RuntimeError(f"radial solver failed: {result.message}")
        blowup_time = float(result.t_events[0][0]) if result.t_events[0].size else None
        times = result.t
        profiles = np.stack([self._full(y) for y in result.y.T])
        if blowup_time is not None:
            times = np.append(times, blowup_time)
            profiles = np.vstack([profiles, self._full(result.y_events[0][0])])
        return RadialSolution(self.grid, self.model, times, profiles, blowup_time, threshold, result.sol)
