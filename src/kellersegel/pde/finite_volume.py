"""2-D finite-volume solver of ∂t ρ = ∇·(D(c)∇ρ − ρ S(c)∇c) with the signal on the whole plane.

Space: the positivity-preserving central-upwind scheme of Chertock & Kurganov (Numer. Math. 111,
2008) on a uniform cell-centred grid. The transport flux through the face between cells i and
i + 1 is u⁺ ρ^E_i − u⁻ ρ^W_{i+1} with the face velocity u = S(c̄) (c_{i+1} − c_i)/h, c̄ the face
average, and ρ^E, ρ^W the face values of the minmod-limited piecewise-linear reconstruction
(which lie in [0, 2ρ]); the diffusion flux is −D(c̄)(ρ_{i+1} − ρ_i)/h. No flux leaves the domain,
so the mass is conserved to round-off.

Time: the two-stage SSP Runge–Kutta (Heun) method, second order; each forward-Euler stage keeps
ρ ≥ 0 when dt (4(a_x + a_y)/h + 4 d/h²) ≤ 1, a = max |u|, d = max D, and the step is chosen
as ``cfl`` times that bound, recomputed every step (so it shrinks as the solution concentrates).
A step whose second stage would still go negative is redone with half the step.
The signal: :class:`~kellersegel.pde.signal.FreeSpaceSignalSolver` (θ = 0) or
:class:`~kellersegel.pde.signal.HeatSignalSolver` (θ > 0, exponential integrator, ρ linear in time).
"""

from __future__ import annotations

import math
import time as wallclock
import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from kellersegel._interrupt import check as check_interrupt
from kellersegel._validation import finite_number
from kellersegel.initial.base import InitialData
from kellersegel.kernels import InteractionKernel
from kellersegel.models.base import KellerSegelModel
from kellersegel.pde.grid import Grid2D, UnderResolvedWarning
from kellersegel.pde.signal import FreeSpaceSignalSolver, FrozenSignalSolver, HeatSignalSolver
from kellersegel.pde.solution import GridSolution, save_times

__all__ = ["FiniteVolumeSolver", "SolveInterrupted"]


def _minmod_slopes(rho: NDArray[np.float64], axis: int) -> NDArray[np.float64]:
    """Minmod-limited differences along ``axis`` (zero in the boundary cells)."""
    forward = np.diff(rho, axis=axis)
    a = np.take(forward, np.arange(forward.shape[axis] - 1), axis=axis)
    b = np.take(forward, np.arange(1, forward.shape[axis]), axis=axis)
    inner = np.where(a * b > 0, np.sign(a) * np.minimum(np.abs(a), np.abs(b)), 0.0)
    pad = [(0, 0), (0, 0)]
    pad[axis] = (1, 1)
    return np.pad(inner, pad)


class SolveInterrupted(KeyboardInterrupt):
    """Ctrl-C during a solve; ``solution`` holds the frames saved before it."""

    def __init__(self, solution: GridSolution) -> None:
        super().__init__(f"interrupted at t = {solution.times[-1]:.6g}")
        self.solution = solution


class FiniteVolumeSolver:
    """Chertock–Kurganov scheme for any :class:`~kellersegel.models.base.KellerSegelModel`.

    Parameters
    ----------
    model : KellerSegelModel
        Any D(c), S(c), λ ≥ 0, θ ≥ 0.
    grid : Grid2D
    cfl : float
        Fraction (0, 1] of the positivity bound on the step.
    blowup_density : float or None
        Stop when max ρ passes this (default: 10⁴ × the initial maximum); the time is reported.
    kernel : InteractionKernel or None
        θ = 0: the signal c = K_ε * ρ of a mollified kernel (the mollified limit, whose
        McKean–Vlasov process sits between the particles and the limit); default G_λ * ρ.
    """

    def __init__(
        self,
        model: KellerSegelModel,
        grid: Grid2D,
        cfl: float = 0.8,
        blowup_density: float | None = None,
        kernel: InteractionKernel | None = None,
    ) -> None:
        if kernel is not None and model.theta > 0:
            raise ValueError("a mollified signal kernel is for theta = 0 (the elliptic signal) only")
        if kernel is not None and kernel.lam != model.lam:
            raise ValueError(f"the kernel's lam = {kernel.lam:g} is not the model's lam = {model.lam:g}")
        self.model = model
        self.grid = grid
        self.kernel = kernel
        self.cfl = finite_number("cfl", cfl, 0.0, strict=True)
        if self.cfl > 1:
            raise ValueError(f"cfl must be in (0, 1], got {cfl}")
        self.blowup_density = blowup_density

    # --- the semi-discrete operator -------------------------------------------------------
    def _faces(self, c):
        """Face averages of c and face differences, x and y faces."""
        h = self.grid.h
        cx = 0.5 * (c[1:, :] + c[:-1, :])
        cy = 0.5 * (c[:, 1:] + c[:, :-1])
        return cx, cy, np.diff(c, axis=0) / h, np.diff(c, axis=1) / h

    def _velocities(self, c):
        cx, cy, gx, gy = self._faces(c)
        s = self.model.sensitivity
        d = self.model.motility
        return s(cx) * gx, s(cy) * gy, np.maximum(d(cx), 0.0), np.maximum(d(cy), 0.0)

    def _rhs(self, rho, faces):
        """dρ/dt, shape (n, n), for frozen face velocities and diffusivities."""
        ux, uy, dx, dy = faces
        h = self.grid.h
        out = np.zeros_like(rho)
        for axis, u, d in ((0, ux, dx), (1, uy, dy)):
            slope = 0.5 * _minmod_slopes(rho, axis)
            east = np.take(rho + slope, np.arange(self.grid.n - 1), axis=axis)
            west = np.take(rho - slope, np.arange(1, self.grid.n), axis=axis)
            low = np.take(rho, np.arange(self.grid.n - 1), axis=axis)
            high = np.take(rho, np.arange(1, self.grid.n), axis=axis)
            flux = np.maximum(u, 0.0) * east - np.maximum(-u, 0.0) * west - d * (high - low) / h
            pad = [(0, 0), (0, 0)]
            pad[axis] = (1, 1)
            flux = np.pad(flux, pad)  # zero flux through the domain boundary
            out -= np.diff(flux, axis=axis) / h
        return out

    def _bound(self, faces) -> float:
        ux, uy, dx, dy = faces
        h = self.grid.h
        a = 4.0 * (np.max(np.abs(ux), initial=0.0) + np.max(np.abs(uy), initial=0.0)) / h
        d = 4.0 * max(np.max(dx, initial=0.0), np.max(dy, initial=0.0)) / h**2
        return 1.0 / (a + d) if a + d > 0 else math.inf

    # --- time stepping ----------------------------------------------------------------------
    def _step(self, rho, c_hat, faces, field, dt):
        """One SSP-RK2 step from ρ with the face velocities of the current c; halves dt until the
        result is non-negative.

        Returns (ρ, ĉ or None, dt taken). θ > 0: the first stage advances ĉ with ρ constant,
        the final ĉ with ρ linear between the two ends of the step.
        """
        rho_hat = None if c_hat is None else field.transform(rho)
        while True:
            rho1 = rho + dt * self._rhs(rho, faces)
            c1 = (
                field.potential(rho1)
                if c_hat is None
                else field.on_grid(field.advance(c_hat, rho_hat, None, dt))
            )
            rho2 = 0.5 * (rho + rho1 + dt * self._rhs(rho1, self._velocities(c1)))
            if np.all(rho2 >= 0):
                break
            dt *= 0.5
            if dt < 1e-300:
                raise RuntimeError("pde: no step size keeps the density non-negative")
        if c_hat is not None:
            c_hat = field.advance(c_hat, rho_hat, field.transform(rho2), dt)
        return rho2, c_hat, dt

    def _warn_if_unresolved(self, rho, t, warned: set[str]) -> None:
        """Warnings (once each): mass at the walls, a collapse that one cell holds."""
        grid, mass = self.grid, self.model.mass
        share = float(rho.max()) * grid.h**2 / mass
        if "collapse" not in warned and share > 0.05:
            warned.add("collapse")
            warnings.warn(
                f"one cell holds {share:.0%} of the mass at t = {t:.3g}: the grid no longer resolves "
                "the concentration (the scheme spreads it over cells); refine n",
                UnderResolvedWarning,
                stacklevel=3,
            )
        outer = grid.boundary_mass(rho)
        if "walls" not in warned and outer > 1e-6 * mass:
            warned.add("walls")
            warnings.warn(
                f"mass {outer:.2g} reached the outer cells at t = {t:.3g}: the domain is too small "
                "(zero-flux walls hold it in); increase half_width",
                UnderResolvedWarning,
                stacklevel=3,
            )

    def solve(
        self,
        initial: InitialData | NDArray[np.float64],
        t_end: float,
        save_every: float,
        initial_signal: NDArray[np.float64] | None = None,
        progress: Callable[[float], None] | None = None,
        max_steps: int = 10_000_000,
        frozen_signal: NDArray[np.float64] | None = None,
    ) -> GridSolution:
        """Solve up to ``t_end`` (or the numerical blow-up), saving every ``save_every``.

        ``initial``: a law (cell averages times M are taken) or an (n, n) array of densities.
        ``initial_signal``: c(0) on the grid for θ > 0 (default 0).
        ``frozen_signal``: a given c on the grid, held fixed instead of solving for it (θ, λ unused).
        ``progress``: called with the time reached after every step.
        Interrupted (Ctrl-C), it raises :class:`SolveInterrupted` (a ``KeyboardInterrupt``, so
        callers stop as well) holding the frames saved so far (``interrupted = True``).
        """
        t_end = finite_number("t_end", t_end, 0.0, strict=True)
        save_every = finite_number("save_every", save_every, 0.0, strict=True)
        rho = self._initial_density(initial)
        threshold = self.blowup_density or 1e4 * float(rho.max())
        field, c_hat = self._signal_field(t_end, initial_signal, frozen_signal)
        c = field.potential(rho) if c_hat is None else field.on_grid(c_hat)
        times = save_times(t_end, save_every)
        frames: list[tuple[float, NDArray, NDArray]] = []
        t, steps, blowup_time = 0.0, 0, None
        warned: set[str] = set()
        started = wallclock.perf_counter()
        try:
            while True:
                if len(frames) < len(times) and t >= times[len(frames)] - 1e-12 * max(t_end, 1.0):
                    frames.append((t, rho.copy(), c.copy()))
                    self._warn_if_unresolved(rho, t, warned)
                if len(frames) == len(times):
                    break
                if float(rho.max()) > threshold:
                    blowup_time = t
                    frames.append((t, rho.copy(), c.copy()))
                    break
                faces = self._velocities(c)
                dt = min(self.cfl * self._bound(faces), times[len(frames)] - t)
                rho, c_hat, dt = self._step(rho, c_hat, faces, field, dt)
                c = field.potential(rho) if c_hat is None else field.on_grid(c_hat)
                t += dt
                steps += 1
                if steps >= max_steps:
                    raise RuntimeError(f"more than {max_steps} steps before t = {t_end:g} (t = {t:.3g})")
                check_interrupt()
                if progress is not None:
                    progress(t)
        except KeyboardInterrupt:  # Ctrl-C stops the caller too; the frames saved so far go with it
            raise SolveInterrupted(
                self._solution(frames, blowup_time, threshold, steps, started, True)
            ) from None
        return self._solution(frames, blowup_time, threshold, steps, started, False)

    def _signal_field(self, t_end, initial_signal, frozen_signal):
        """The signal's solver and, for θ > 0, its Fourier state (else None)."""
        grid, model = self.grid, self.model
        if frozen_signal is not None:
            return FrozenSignalSolver(grid, frozen_signal), None
        if model.theta == 0:
            return FreeSpaceSignalSolver(grid, model.lam, self.kernel), None
        field = HeatSignalSolver(grid, model.theta, model.lam, t_end)
        field.set_initial(initial_signal)
        return field, field.c_hat

    def _solution(self, frames, blowup_time, threshold, steps, started, interrupted) -> GridSolution:
        return GridSolution(
            self.grid,
            self.model,
            np.array([f[0] for f in frames]),
            np.stack([f[1] for f in frames]),
            np.stack([f[2] for f in frames]),
            blowup_time=blowup_time,
            blowup_threshold=threshold,
            steps=steps,
            wall_time=wallclock.perf_counter() - started,
            interrupted=interrupted,
        )

    def _initial_density(self, initial) -> NDArray[np.float64]:
        grid = self.grid
        if isinstance(initial, InitialData):
            return grid.cell_averages(initial, self.model.mass)
        rho = np.array(initial, dtype=np.float64)
        if rho.shape != (grid.n, grid.n):
            raise ValueError(f"initial density must have shape {(grid.n, grid.n)}, got {rho.shape}")
        if not np.all(np.isfinite(rho)) or np.any(rho < 0) or not rho.sum() > 0:
            raise ValueError("initial density must be finite, non-negative and not all zero")
        return rho
