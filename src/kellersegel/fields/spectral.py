"""Free-space spectral engine: non-uniform FFTs (finufft) with a truncated Green's function.

For the Gaussian-mollified kernel K = G_λ * V_ε the signal of weighted sources is

    c(y) = Σ_j w_j K(y − x_j) = (1/P²) Σ_m K̂_L(k_m) ρ̂(k_m) e^{i k_m·y},   ρ̂(k) = Σ_j w_j e^{−ik·x_j},

on the lattice k_m = 2π m / P. This is exact (Poisson summation) for the P-periodic images of
K_L = G_{λ,L} * V_ε, whose transform K̂_L = Ĝ_{λ,L} V̂_ε is smooth
(:func:`~kellersegel.kernels.fourier.truncated_green_transform`); with

    L = D + a,    P = w + D + 2a,    a = ε √(2 log(1/τ)),

(D the diameter and w the larger side of the bounding box of sources and targets, τ the
tolerance) no periodic image and no truncation is seen by any target, so the sum is the
free-space one (Vico–Greengard–Ferrando). The lattice is cut at |k_m| ≤ √(2 log(1/τ))/ε, where
V̂_ε has fallen below τ. Cost O(N + M log M) for M lattice modes, memory O(N + M).

ρ̂ is a type-1 NUFFT; c and ∇c = Σ i k_m (…) are one type-2 NUFFT with several vectors.
The self term contributes w_i K(0) to c (subtracted when excluded) and nothing to ∇c.
"""

from __future__ import annotations

import math
import os

import finufft
import numpy as np

from kellersegel.fields.base import (
    DEFAULT_TOLERANCE,
    EngineError,
    FieldEngine,
    FieldValues,
    as_tolerance,
    bounding_box,
)
from kellersegel.kernels.fourier import gaussian_reach, gaussian_transform, truncated_green_transform
from kellersegel.kernels.interaction import GaussianMollifiedKernel

__all__ = ["SpectralEngine", "SpectralGrid"]


def _ladder(value: float) -> float:
    """The smallest 2^(k/64), k an integer, that is ≥ value > 0."""
    k = math.ceil(64.0 * math.log2(value))
    step = 2.0 ** (k / 64.0)
    return step if step >= value else 2.0 ** ((k + 1) / 64.0)


class SpectralGrid:
    """A Fourier lattice of period P centred at ``center`` resolving a Gaussian mollifier of scale
    ε to ``tolerance`` (|k| ≤ √(2 log(1/τ))/ε): 2⌈k_max P/(2π)⌉ + 1 modes per side.

    ``radius``: the truncation radius L of a free-space Green's function on it (see
    :meth:`free_space`), None for a periodic field (the θ > 0 memory field).
    """

    def __init__(
        self, center, period: float, epsilon: float, tolerance: float, radius: float | None = None
    ) -> None:
        self.center = np.asarray(center, dtype=np.float64)
        self.period = float(period)
        self.radius = radius
        k_max = gaussian_reach(tolerance) / epsilon
        half = math.ceil(k_max * self.period / (2.0 * math.pi))
        self.modes = 2 * half + 1
        self.spacing = 2.0 * math.pi / self.period

    @classmethod
    def free_space(cls, lower, upper, epsilon: float, tolerance: float) -> SpectralGrid:
        """The lattice of one free-space evaluation of points in the box [lower, upper]: the
        Green's function truncated at L ≥ diameter + ε·reach, period P ≥ width + L + ε·reach
        (no image reaches a target). L and P are rounded up to the geometric ladder
        2^(k/64) (at most 1.1 % more per side), so that points that move a little keep the
        lattice and its symbol (cached by the engine)."""
        width = np.asarray(upper, dtype=np.float64) - np.asarray(lower, dtype=np.float64)
        center = 0.5 * (np.asarray(lower) + np.asarray(upper))
        margin = epsilon * gaussian_reach(tolerance)
        radius = _ladder(float(np.hypot(*width)) + margin)
        period = _ladder(float(width.max()) + radius + margin)
        return cls(center, period, epsilon, tolerance, radius=radius)

    def wavenumbers(self) -> np.ndarray:
        """The lattice's 1-D wavenumbers 2π m / P, m = −(modes//2) … modes//2 (finufft's order)."""
        return np.arange(-(self.modes // 2), self.modes // 2 + 1) * self.spacing

    def radial_symbol(self, function) -> np.ndarray:
        """function(|k|) on the lattice, shape (modes, modes), evaluated on one quadrant only."""
        half = self.modes // 2
        kq = np.arange(half + 1) * self.spacing
        quadrant = function(np.sqrt(kq[:, None] ** 2 + kq[None, :] ** 2))
        fold = np.abs(np.arange(-half, half + 1))
        return quadrant[np.ix_(fold, fold)]

    def scaled(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points mapped to finufft's [−π, π): 2π (x − center) / P."""
        scale = 2.0 * math.pi / self.period
        return scale * (points[:, 0] - self.center[0]), scale * (points[:, 1] - self.center[1])


# Peak memory of one evaluation per lattice mode: 58 bytes measured for ∇c (finufft's upsampled
# grid, ρ̂ and the two gradient vectors), 16 more with the potential.
BYTES_PER_MODE = 80


def default_max_modes() -> int:
    """The most lattice modes whose evaluation fits in half of this machine's physical memory."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): assume 8 GB
        memory = 8 * 2**30
    return int(0.5 * memory / BYTES_PER_MODE)


class SpectralEngine(FieldEngine):
    """c and ∇c of the Gaussian-mollified kernel by NUFFTs on a free-space lattice.

    Parameters
    ----------
    kernel : GaussianMollifiedKernel
        λ ≥ 0, ε > 0; the lattice has about (P √(2 log(1/τ)) / (π ε))² modes.
    tolerance : float
        Requested relative accuracy τ of ∇c (max error over targets / max |∇c|).
    threads : int
        finufft threads; the default 1 keeps results bitwise reproducible.
    max_modes : int, optional
        Refuse lattices with more modes than this; default: those whose evaluation would take more
        than half of the machine's physical memory (``BYTES_PER_MODE`` = 80 bytes per mode).
    """

    name = "spectral"

    def __init__(
        self,
        kernel,
        tolerance: float = DEFAULT_TOLERANCE,
        threads: int = 1,
        max_modes: int | None = None,
    ) -> None:
        super().__init__(kernel)
        self.tolerance = as_tolerance(tolerance)
        self.threads = int(threads)
        self.max_modes = default_max_modes() if max_modes is None else int(max_modes)
        self._symbol: tuple[tuple, np.ndarray] | None = None  # the last lattice's, with its key

    def symbol(self, grid: SpectralGrid) -> np.ndarray:
        """Ĝ_{λ,L} V̂_ε / P² on the lattice, shape (modes, modes); the last one is kept."""
        key = (grid.modes, grid.period, grid.radius)
        if self._symbol is None or self._symbol[0] != key:
            lam, eps, scale = self.kernel.lam, self.kernel.epsilon, 1.0 / grid.period**2
            self._symbol = (
                key,
                grid.radial_symbol(
                    lambda k: (
                        truncated_green_transform(k, lam, grid.radius) * gaussian_transform(k, eps) * scale
                    )
                ),
            )
        return self._symbol[1]

    @classmethod
    def unsupported_reason(cls, kernel) -> str | None:
        if not isinstance(kernel, GaussianMollifiedKernel):
            return (
                "it needs a Gaussian-mollified kernel "
                "(the transforms of the exact and cut-off kernels do not decay fast; use fmm)"
            )
        return None

    def grid(self, sources: np.ndarray, targets: np.ndarray) -> SpectralGrid:
        """The lattice for these points (checks its size against ``max_modes``)."""
        lower, upper = bounding_box(sources, targets)
        grid = SpectralGrid.free_space(lower, upper, self.kernel.epsilon, self.tolerance)
        if grid.modes**2 > self.max_modes:
            raise EngineError(
                f"spectral engine: the points span {float((upper - lower).max()):.3g} at ε = "
                f"{self.kernel.epsilon:.3g}, which needs {grid.modes}² lattice modes "
                f"(more than max_modes = {self.max_modes}; about "
                f"{BYTES_PER_MODE * grid.modes**2 / 2**30:.3g} GiB); use the fmm or direct engine"
            )
        return grid

    def check(self, points):
        return {"lattice_modes": self.grid(points, points).modes}

    def _evaluate(self, sources, weights, targets, self_mode, potential, gradient):
        if not (np.all(np.isfinite(sources)) and np.all(np.isfinite(targets))):
            raise EngineError("spectral engine: non-finite positions")
        grid = self.grid(sources, targets)
        opts = {"nthreads": self.threads, "eps": self.tolerance}
        sx, sy = grid.scaled(sources)
        shape = (grid.modes, grid.modes)
        signal_hat = finufft.nufft2d1(sx, sy, weights.astype(np.complex128), shape, isign=-1, **opts)
        signal_hat *= self.symbol(grid)
        vectors = np.empty((int(potential) + 2 * int(gradient), *shape), dtype=np.complex128)
        if potential:
            vectors[0] = signal_hat
        if gradient:
            ik = 1j * grid.wavenumbers()
            np.multiply(signal_hat, ik[:, None], out=vectors[-2])
            np.multiply(signal_hat, ik[None, :], out=vectors[-1])
        del signal_hat
        tx, ty = grid.scaled(targets)
        out = finufft.nufft2d2(tx, ty, vectors, isign=1, **opts).real
        pot = grad = None
        if potential:
            pot = np.ascontiguousarray(out[0])
            if self_mode == 1:
                pot -= weights * float(self.kernel.potential_profile(0.0))
        if gradient:
            grad = np.ascontiguousarray(out[-2:].T)
        return FieldValues(pot, grad)
