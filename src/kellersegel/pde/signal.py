"""The signal on a grid, on the whole plane.

θ = 0: c = K * ρ by the discrete convolution c_i = h² Σ_j K(x_i − x_j) ρ_j, computed exactly
with FFTs on a grid zero-padded to 2n (Hockney's free-space method; no periodic images). K is
the Green's function G_λ, or a mollified kernel K_ε (G_λ * V_ε, a cut-off G_λ) for the mollified
limit. The self term uses the average of K over a cell (finite also for the singular G_λ). Second
order in h for smooth ρ; a K_ε with ε below h is still integrated correctly, since K_ε − G_λ,
concentrated within a few ε of 0, enters through the self cell's exact average.

θ > 0: θ ∂t c = Δc − λc + ρ advanced in Fourier space on a larger periodic grid with the exact
semigroup (exponential time differencing with ρ linear over the step). Images of the density
are a distance d = (n_signal − n) h away; ∫_0^t ∇K_s ds decays like e^{−θd²/(4t)}/(2πd), which
:meth:`HeatSignalSolver.image_bound` reports and the constructor keeps below the requested
tolerance.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import fft, integrate, special

from kellersegel.kernels import InteractionKernel
from kellersegel.pde.grid import Grid2D

__all__ = [
    "FreeSpaceSignalSolver",
    "FrozenSignalSolver",
    "HeatSignalSolver",
    "cell_average_green",
    "cell_average_kernel",
]

# ∫∫_{[−½,½]²} log|x| dx dy, in closed form
_LOG_CELL = (math.pi / 2.0 - 3.0 - math.log(2.0)) / 2.0


def cell_average_green(h: float, lam: float) -> float:
    """Average of G_λ over the square cell [−h/2, h/2]²."""
    if lam == 0:
        return -(math.log(h) + _LOG_CELL) / (2.0 * math.pi)
    k = math.sqrt(lam)
    # 8 congruent triangles 0 ≤ y ≤ x ≤ h/2
    value = integrate.dblquad(
        lambda y, x: special.k0(k * math.hypot(x, y)), 0.0, h / 2, 0.0, lambda x: x, epsabs=0, epsrel=1e-12
    )[0]
    return 8.0 * value / (2.0 * math.pi * h * h)


def cell_average_kernel(kernel: InteractionKernel, h: float) -> float:
    """Average of a kernel's potential φ(|x|²) over the square cell [−h/2, h/2]²:

        (1/h²) ∫_0^{h/√2} φ(r²) L(r) dr,   L(r) = 2πr − 8r arccos(min(1, h/(2r))),

    L(r) the length of the circle of radius r inside the cell (adaptive quadrature, with the
    kernel's scale ε among the break points)."""
    half = h / 2.0

    def integrand(r: float) -> float:
        length = 2.0 * math.pi * r - 8.0 * r * math.acos(min(1.0, half / r)) if r > 0 else 0.0
        return float(kernel.potential_profile(r * r)) * length

    eps = kernel.epsilon or 0.0
    breaks = sorted({b for b in (eps, 3 * eps, 10 * eps, half) if 0 < b < half * math.sqrt(2)})
    total = 0.0
    for a, b in zip([0.0, *breaks], [*breaks, half * math.sqrt(2)], strict=True):
        total += integrate.quad(integrand, a, b, epsabs=0, epsrel=1e-12, limit=200)[0]
    return total / (h * h)


class FreeSpaceSignalSolver:
    """c = K * ρ on a :class:`Grid2D`, free space (θ = 0): K = G_λ, or the potential of a
    mollified ``kernel`` (its own λ) for the mollified limit."""

    def __init__(self, grid: Grid2D, lam: float = 0.0, kernel: InteractionKernel | None = None) -> None:
        self.grid = grid
        self.lam = float(lam) if kernel is None else kernel.lam
        self.kernel = kernel
        n, h = grid.n, grid.h
        offsets = np.concatenate([np.arange(n), np.arange(-n, 0)]) * h
        r = np.hypot(offsets[:, None], offsets[None, :])
        with np.errstate(divide="ignore"):
            if kernel is not None:
                values = kernel.potential_profile(r * r)
                values[0, 0] = cell_average_kernel(kernel, h)
            elif self.lam == 0:
                values = -np.log(r) / (2.0 * math.pi)
            else:
                values = special.k0(math.sqrt(self.lam) * r) / (2.0 * math.pi)
        if kernel is None:
            values[0, 0] = cell_average_green(h, self.lam)
        self._kernel_hat = fft.rfft2(h * h * values)

    def potential(self, density: NDArray[np.float64]) -> NDArray[np.float64]:
        """c on the grid, shape (n, n)."""
        n = self.grid.n
        return fft.irfft2(fft.rfft2(density, s=(2 * n, 2 * n)) * self._kernel_hat, s=(2 * n, 2 * n))[:n, :n]


class FrozenSignalSolver:
    """A given signal c on a :class:`Grid2D`, held fixed: the cells follow an attractant they do not make."""

    def __init__(self, grid: Grid2D, c: NDArray[np.float64]) -> None:
        c = np.array(c, dtype=np.float64)
        if c.shape != (grid.n, grid.n) or not np.all(np.isfinite(c)):
            raise ValueError(f"the frozen signal must be finite with shape {(grid.n, grid.n)}, got {c.shape}")
        self.grid, self.c = grid, c

    def potential(self, density: NDArray[np.float64]) -> NDArray[np.float64]:
        """c on the grid, whatever the density."""
        return self.c


class HeatSignalSolver:
    """θ ∂t c = Δc − λc + ρ on a periodic grid of ``n_signal`` cells holding the density grid at its centre.

    Parameters
    ----------
    grid : Grid2D
        The density grid.
    theta, lam : float
        θ > 0, λ ≥ 0.
    t_end : float
        Longest time the signal will be advanced (sets the size needed against images).
    tolerance : float
        Bound on the image term e^{−θd²/(4t)} (times e^{−λt/θ}) relative to the nearest-field one.
    max_cells : int
        Largest signal grid side allowed.
    """

    def __init__(
        self,
        grid: Grid2D,
        theta: float,
        lam: float,
        t_end: float,
        tolerance: float = 1e-8,
        max_cells: int = 4096,
    ) -> None:
        if theta <= 0:
            raise ValueError("HeatSignalSolver needs theta > 0; use FreeSpaceSignalSolver for theta = 0")
        self.grid, self.theta, self.lam, self.t_end = grid, float(theta), float(lam), float(t_end)
        # e^{−θd²/(4t)} e^{−λt/θ}... the decay in λ is ignored (a safe bound)
        d_needed = math.sqrt(4.0 * t_end / theta * math.log(1.0 / tolerance))
        n_needed = grid.n + math.ceil(d_needed / grid.h)
        self.n_signal = int(fft.next_fast_len(max(n_needed, grid.n + 8)))
        if self.n_signal > max_cells:
            raise ValueError(
                f"theta = {theta:g} over t = {t_end:g} needs a signal grid of {self.n_signal} cells "
                f"per side (> max_cells = {max_cells}) to keep periodic images below {tolerance:g}; "
                "use a coarser grid, a shorter time, or theta = 0"
            )
        self.offset = (self.n_signal - grid.n) // 2
        k = 2.0 * math.pi * fft.fftfreq(self.n_signal, grid.h)
        kr = 2.0 * math.pi * fft.rfftfreq(self.n_signal, grid.h)
        self._rate = (k[:, None] ** 2 + kr[None, :] ** 2 + self.lam) / self.theta  # a = (k² + λ)/θ
        self._dt = None
        self.c_hat = np.zeros((self.n_signal, kr.size), dtype=np.complex128)

    def image_bound(self) -> float:
        """e^{−θd²/(4 t_end)}, d the distance from the density grid to its nearest image."""
        d = (self.n_signal - self.grid.n) * self.grid.h
        return math.exp(-self.theta * d * d / (4.0 * self.t_end))

    def set_initial(self, c0: NDArray[np.float64] | None) -> None:
        """Initial signal on the density grid (zero elsewhere); None: c0 = 0."""
        self.c_hat[:] = 0.0
        if c0 is not None:
            self.c_hat = self.transform(c0)

    def _embed(self, field: NDArray[np.float64]) -> NDArray[np.float64]:
        big = np.zeros((self.n_signal, self.n_signal))
        o, n = self.offset, self.grid.n
        big[o : o + n, o : o + n] = field
        return big

    def _factors(self, dt: float):
        if self._dt != dt:
            a = self._rate
            z = a * dt
            e = np.exp(-z)
            with np.errstate(invalid="ignore", divide="ignore"):
                # φ₁ = (1 − e^{−z})/z, φ₂ = (z − 1 + e^{−z})/z²; Taylor series where they cancel
                phi1 = np.where(z > 1e-8, -np.expm1(-z) / z, 1.0 - z / 2)
                series = 0.5 - z / 6 + z * z / 24 - z**3 / 120
                phi2 = np.where(z > 1e-3, (z + np.expm1(-z)) / (z * z), series)
            self._cache = (e, phi1 * dt / self.theta, phi2 * dt / self.theta)
            self._dt = dt
        return self._cache

    def transform(self, rho: NDArray[np.float64]) -> NDArray[np.complex128]:
        """ρ̂ of a density on the density grid (zero on the rest of the signal grid)."""
        return fft.rfft2(self._embed(rho))

    def advance(self, c_hat, rho_hat_now, rho_hat_next, dt: float):
        """ĉ(t + dt) for ρ linear in time between the transforms ``rho_hat_now`` and
        ``rho_hat_next`` (None: ρ constant); see :meth:`transform`."""
        e, w1, w2 = self._factors(dt)
        out = e * c_hat + w1 * rho_hat_now
        if rho_hat_next is not None:
            out += w2 * (rho_hat_next - rho_hat_now)
        return out

    def on_grid(self, c_hat) -> NDArray[np.float64]:
        """c on the density grid, shape (n, n)."""
        o, n = self.offset, self.grid.n
        return fft.irfft2(c_hat, s=(self.n_signal, self.n_signal))[o : o + n, o : o + n]
