"""Signals with memory (θ > 0): the doubly parabolic particle system.

    c^N(t, x) = e^{−λt/θ} (g^θ_t * c0)(x) + (M/N) Σ_j ∫_0^t (K^{θ,λ}_{t−s} * V_ε)(x − X_j(s)) ds.

Between steps the positions are constant (Euler–Maruyama), so the history is a sum over time slabs
[t_k, t_{k+1}) with the slab integrals of :mod:`kellersegel.kernels.memory`. Two fields:

- :class:`ExactHistorySignal` keeps every past position and sums all slabs exactly: the reference,
  O(N² × steps) per step, memory O(N × steps). Exact or mollified kernel.
- :class:`SpectralMemorySignal` keeps ĉ on a Fourier lattice of period P and advances it over each
  slab with the exact semigroup, ĉ ← e^{−(k²+λ)Δt/θ} ĉ + (1 − e^{−(k²+λ)Δt/θ})/(k²+λ) ρ̂_ε, with
  ρ̂_ε(k) = (M/N) Σ_j e^{−ik·X_j} e^{−ε²k²/2} from a type-1 NUFFT; ∇c at the particles is a type-2
  NUFFT. The slab update is the exact integral of the same slabs, so the two fields differ only by
  the lattice truncation (ε k_max = √(2 log 1/τ)) and the periodic images, which are kept below
  the tolerance for the run's horizon (distance d to an image with e^{−θd²/(4T)} ≤ τ).
  Memory and cost per step do not grow with the number of steps: O(N + M log M).

Self term: the exact-history field leaves each particle's own past out by default (j ≠ i, as in
the doubly parabolic particle system as usually written, normalised by N − 1 where we use
M/N; the difference is O(1/N)); ``include_self=True`` keeps it. The spectral field is a field of
all particles and always contains it: it is the exact-history field with ``include_self=True``,
and differs from the j ≠ i system by O(1/N) in the drift.
Both fields give c itself as well as ∇c (for models whose motility or sensitivity depends on c):
the slab integrals φ of the heat kernel in the exact history, the lattice's ĉ read by the same
type-2 NUFFT in the spectral field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import finufft
import numpy as np
from numpy.typing import NDArray

from kellersegel.dynamics.signal import SignalField
from kellersegel.fields.base import EngineError, FieldValues, bounding_box
from kellersegel.fields.history import history_field
from kellersegel.fields.spectral import SpectralGrid
from kellersegel.initial.c0 import GaussianMixtureC0, UniformDiskC0
from kellersegel.kernels.memory import SlabKernel

__all__ = ["ExactHistorySignal", "SpectralMemorySignal"]


@dataclass(frozen=True)
class _LatticeBox:
    """The periodic box of a θ > 0 lattice: the cloud's bounding square widened by a margin on each
    side (the safe region), and one image distance d = √(4T log(1/τ)/θ) more in the period, so that
    the periodic image of a particle's heat kernel is at most e^{−θd²/(4T)} = τ of its own field
    anywhere in the safe region up to the horizon T."""

    center: NDArray[np.float64]
    safe_half_width: float
    image_distance: float

    @classmethod
    def around(cls, x: NDArray[np.float64], horizon: float, theta: float, tolerance: float, margin: float):
        lower, upper = bounding_box(x)
        return cls(
            0.5 * (lower + upper),
            0.5 * float((upper - lower).max()) + margin,
            math.sqrt(4.0 * horizon * math.log(1.0 / tolerance) / theta),
        )

    @property
    def period(self) -> float:
        return 2.0 * self.safe_half_width + self.image_distance

    def check_inside(self, x: NDArray[np.float64], field: str) -> None:
        """EngineError if a particle at x left the safe region."""
        if np.max(np.abs(x - self.center)) > self.safe_half_width:
            raise EngineError(
                f"{field}: a particle left the lattice's safe region (half width "
                f"{self.safe_half_width:.3g} around {self.center}); give a larger margin"
            )


def _add_initial_signal(field, x, t, out, c, potential: bool) -> None:
    """out += ∇[e^{−λt/θ} g^θ_t * c0](x), and c += its value when ``potential`` (c0 of ``field``)."""
    c0, k = field.initial_signal, field.kernel
    if c0 is not None:
        out += c0.gradient(x, t, k.theta, k.lam)
        if potential:
            c += c0.value(x, t, k.theta, k.lam)


class _SlabWindow:
    """The last slabs (positions X(t_k), starts t_k, ends), oldest first, in one array: slices of
    consecutive slabs are views; dropped slabs free their rows when they are half the array."""

    def __init__(self) -> None:
        self.positions = np.empty((0, 0, 2))
        self.starts = np.empty(0)
        self.ends = np.empty(0)
        self.first = 0
        self.stop = 0

    @property
    def count(self) -> int:
        return self.stop - self.first

    def append(self, x: NDArray[np.float64], start: float, end: float) -> None:
        if self.stop == self.positions.shape[0]:
            if self.first >= self.positions.shape[0] // 2 and self.first:  # reuse the dropped rows
                keep = slice(self.first, self.stop)
                self.positions[: self.count] = self.positions[keep]
                self.starts[: self.count] = self.starts[keep]
                self.ends[: self.count] = self.ends[keep]
                self.first, self.stop = 0, self.count
            else:
                rows = max(16, 2 * self.positions.shape[0])
                grown = np.empty((rows, *x.shape))
                if self.count:
                    grown[: self.count] = self.positions[self.first : self.stop]
                self.positions = grown
                self.starts = np.concatenate(
                    [self.starts[self.first : self.stop], np.empty(rows - self.count)]
                )
                self.ends = np.concatenate([self.ends[self.first : self.stop], np.empty(rows - self.count)])
                self.first, self.stop = 0, self.count
        self.positions[self.stop] = x
        self.starts[self.stop] = start
        self.ends[self.stop] = end
        self.stop += 1

    def view(self):
        """(positions, starts, ends) of the slabs kept, oldest first (views)."""
        keep = slice(self.first, self.stop)
        return self.positions[keep], self.starts[keep], self.ends[keep]

    def drop_before(self, time: float) -> None:
        """Forget the slabs that ended at or before ``time``."""
        while self.first < self.stop and self.ends[self.first] <= time:
            self.first += 1

    @property
    def nbytes(self) -> int:
        return self.positions[self.first : self.stop].nbytes


class ExactHistorySignal(SignalField):
    """∇c^N from every past slab (the reference field for θ > 0).

    Parameters
    ----------
    kernel : SlabKernel
        θ, λ and ε (ε = 0: the singular kernel).
    mass : float
        Total mass M (each particle M/N).
    include_self : bool
        Keep the particle's own past in its drift (default False: j ≠ i).
    initial_signal : callable or None
        (x, t) ↦ ∇[e^{−λt/θ} g^θ_t * c0](x), shape (n, 2); None: c0 = 0.
    """

    def __init__(
        self, kernel: SlabKernel, mass: float = 1.0, include_self: bool = False, initial_signal=None
    ):
        self.kernel = kernel
        self.mass = float(mass)
        self.include_self = bool(include_self)
        self.initial_signal = initial_signal
        self.slabs = _SlabWindow()

    def at_particles(self, t, x, *, potential):
        x = np.ascontiguousarray(x, dtype=np.float64)
        out = np.zeros_like(x)
        c = np.zeros(x.shape[0]) if potential else np.empty(0)
        if self.slabs.count:
            positions, starts, ends = self.slabs.view()
            if abs(ends[-1] - t) > 1e-9 * max(1.0, abs(t)):
                raise ValueError(f"history recorded up to t = {ends[-1]:g}, asked at t = {t:g}")
            nodes, weights = self.kernel.quadrature
            history_field(
                x,
                positions,
                t - ends,
                t - starts,
                self.kernel.theta,
                self.kernel.lam,
                self.kernel.epsilon**2,
                self.include_self,
                nodes,
                weights,
                out,
                c,
            )
            out *= self.mass / x.shape[0]
            c *= self.mass / x.shape[0]
        _add_initial_signal(self, x, t, out, c, potential)
        return FieldValues(c if potential else None, out)

    def advance(self, x_old, x_new, t, dt):
        self.slabs.append(x_old, t, t + dt)

    @property
    def memory_bytes(self) -> int:
        """Bytes held for the history (grows with the number of steps)."""
        return self.slabs.nbytes

    def __repr__(self) -> str:
        own = "included" if self.include_self else "excluded"
        return f"ExactHistorySignal({self.kernel!r}, mass={self.mass:g}, own past {own})"


class SpectralMemorySignal(SignalField):
    """∇c^N from ĉ on a Fourier lattice advanced by the exact heat semigroup (no history kept).

    Parameters
    ----------
    kernel : SlabKernel
        θ, λ and ε > 0 (the lattice resolves the mollified field).
    mass : float
    horizon : float
        Longest time of the run T: sets the image distance d with e^{−θd²/(4T)} ≤ tolerance.
    tolerance : float
        Lattice truncation (e^{−ε²k²/2} ≤ τ), images, and the NUFFT accuracy.
    margin : float or None
        Room left around the initial cloud for its spreading (default 5 √(2T) + 2).
    max_modes : int
        Largest number of lattice modes (per side, squared) allowed.
    threads : int
        finufft threads (1: bitwise reproducible).
    initial_signal : GaussianMixtureC0 or None
        c0 (None: 0); its variances must be at least ε² for the lattice to resolve it.
    """

    include_self = True  # a field of all particles: each one's own past is in it

    def __init__(
        self,
        kernel: SlabKernel,
        mass: float = 1.0,
        horizon: float = 1.0,
        tolerance: float = 1e-7,
        margin: float | None = None,
        max_modes: int = 4096**2,
        threads: int = 1,
        initial_signal: GaussianMixtureC0 | None = None,
    ) -> None:
        if kernel.singular:
            raise ValueError("the spectral memory field needs a mollified kernel (epsilon > 0)")
        if isinstance(initial_signal, UniformDiskC0):
            raise ValueError(
                "initial_signal: the disk's sharp edge is not resolved by the spectral lattice; use "
                "the exact-history field (engine = 'direct') or a Gaussian c0"
            )
        if initial_signal is not None and initial_signal.variances.min() < kernel.epsilon**2:
            raise ValueError(
                f"initial_signal: variance {initial_signal.variances.min():g} is below ε² = "
                f"{kernel.epsilon**2:.3g}, finer than the spectral lattice resolves; use the "
                "exact-history field (engine = 'direct') or a wider c0"
            )
        self.kernel = kernel
        self.mass = float(mass)
        self.horizon = float(horizon)
        self.tolerance = float(tolerance)
        self.margin = 5.0 * math.sqrt(2.0 * self.horizon) + 2.0 if margin is None else float(margin)
        self.max_modes = int(max_modes)
        self.threads = int(threads)
        self.initial_signal = initial_signal
        self.c_hat: NDArray[np.complex128] | None = None
        self._factors: dict[float, tuple[NDArray, NDArray]] = {}

    # --- lattice ------------------------------------------------------------------------------
    def check(self, x):
        return {"lattice_modes": self._size(x).modes}

    def _size(self, x: NDArray[np.float64]) -> SpectralGrid:
        """The periodic lattice for particles at x: the cloud, the margin around it and the image
        distance d (e^{−θd²/(4T)} ≤ τ) in one period; EngineError if too many modes."""
        theta, tau = self.kernel.theta, self.tolerance
        self.box = _LatticeBox.around(x, self.horizon, theta, tau, self.margin)
        self.grid = SpectralGrid(self.box.center, self.box.period, self.kernel.epsilon, tau)
        modes = self.grid.modes
        if modes**2 > self.max_modes:
            raise EngineError(
                f"spectral memory field: {modes}² lattice modes (period {self.box.period:.3g}, "
                f"ε = {self.kernel.epsilon:.3g}, images {self.box.image_distance:.3g} away for θ = {theta:g} "
                f"over T = {self.horizon:g}) exceed max_modes = {self.max_modes}; use a larger ε, a "
                "larger θ, a shorter run, or the exact-history field"
            )
        return self.grid

    def _setup(self, x: NDArray[np.float64]) -> None:
        k1 = self._size(x).wavenumbers()
        self.kx, self.ky = k1[:, None], k1[None, :]
        self.k2 = self.kx**2 + self.ky**2
        self.mollifier = np.exp(-0.5 * self.kernel.epsilon**2 * self.k2)
        if self.initial_signal is None:
            self.c_hat = np.zeros((self.grid.modes, self.grid.modes), np.complex128)
        else:
            self.c_hat = self.initial_signal.transform(self.kx, self.ky, self.grid.center)

    def image_bound(self) -> float:
        """e^{−θd²/(4T)}: the size of the nearest periodic image's field relative to its own."""
        return math.exp(-self.kernel.theta * self.box.image_distance**2 / (4.0 * self.horizon))

    def _step_factors(self, dt: float):
        if dt not in self._factors:
            rate = self.k2 + self.kernel.lam
            z = rate * dt / self.kernel.theta
            decay = np.exp(-z)
            with np.errstate(invalid="ignore", divide="ignore"):
                gain = np.where(
                    z > 1e-12, -np.expm1(-z) / np.where(rate > 0, rate, 1.0), dt / self.kernel.theta
                )
            self._factors = {dt: (decay, gain * self.mollifier)}
        return self._factors[dt]

    # --- SignalField ------------------------------------------------------------------------
    def at_particles(self, t, x, *, potential):
        x = np.asarray(x, dtype=np.float64)
        if self.c_hat is None:
            self._setup(x)
        self.box.check_inside(x, "spectral memory field")
        opts = {"nthreads": self.threads, "eps": self.tolerance}
        read = [1j * self.kx * self.c_hat, 1j * self.ky * self.c_hat] + ([self.c_hat] if potential else [])
        gx, gy = self.grid.scaled(x)
        out = finufft.nufft2d2(gx, gy, np.stack(read), isign=1, **opts).real / self.grid.period**2
        return FieldValues(out[2].copy() if potential else None, np.ascontiguousarray(out[:2].T))

    def advance(self, x_old, x_new, t, dt):
        if self.c_hat is None:
            self._setup(x_old)
        self.box.check_inside(x_old, "spectral memory field")
        decay, gain = self._step_factors(float(dt))
        gx, gy = self.grid.scaled(x_old)
        weights = np.full(x_old.shape[0], self.mass / x_old.shape[0], np.complex128)
        opts = {"nthreads": self.threads, "eps": self.tolerance}
        rho_hat = finufft.nufft2d1(gx, gy, weights, self.c_hat.shape, isign=-1, **opts)
        self.c_hat = decay * self.c_hat + gain * rho_hat

    @property
    def memory_bytes(self) -> int:
        """Bytes held for the field (independent of the number of steps)."""
        return 0 if self.c_hat is None else self.c_hat.nbytes

    def __repr__(self) -> str:
        return (
            f"SpectralMemorySignal({self.kernel!r}, mass={self.mass:g}, horizon={self.horizon:g}, "
            f"tolerance={self.tolerance:g}, own past included)"
        )
