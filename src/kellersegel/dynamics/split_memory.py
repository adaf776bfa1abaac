"""The history-free memory field of the doubly parabolic particle system, exact kernel included.

    ∇c^N(t, x_i) = ∇[e^{−λt/θ} g^θ_t * c0](x_i)
                   + (M/N) Σ_{j ≠ i} ∫_0^t ∇(K^{θ,λ}_{t−s} * V_ε)(x_i − X_j(s)) ds

with the history split at a lag δ (ages τ = t − s):

- ages τ ≥ δ: the heat kernel has spread to variance σ² ≥ 2δ/θ + ε² per coordinate, so this part
  is smooth without any mollifier and lives on a Fourier lattice resolving e^{−σ²|k|²/2} ≥ τ_tol,
  advanced over each step by the exact semigroup, ĉ ← e^{−(|k|²+λ)Δt/θ} ĉ, and fed with the slab
  pieces that age past δ: a slab of positions X_j(t_k) whose ages cover [α, β] (α ≥ δ) adds
  (e^{−(|k|²+λ)α/θ} − e^{−(|k|²+λ)β/θ})/(|k|²+λ) e^{−ε²|k|²/2} Σ_j e^{−ik·X_j(t_k)} (type-1 NUFFT);
  ∇c at the particles is one type-2 NUFFT;
- ages τ < δ: local, ψ(r²; a, b) ≤ e^{−r²/(2σ_δ²)}/(2πr²), σ_δ² = 2δ/θ + ε²: summed exactly over
  the last ⌈δ/Δt⌉ slabs for the pairs within R = σ_δ √(2 log(1/τ_tol)), compiled, with cell lists
  (:mod:`kellersegel.fields.recent_history`);
- the lattice is a field of all particles, so it contains each particle's own past at ages ≥ δ;
  for the j ≠ i system it is subtracted exactly up to the age Δ_s where the rest is below the
  tolerance: |Σ_{τ ≥ Δ_s}| ≤ (M/N) ∫_{Δ_s}^∞ sup_x |∇K_τ(x)| dτ = (M/N) e^{−1/2} √θ / (2√2 π √Δ_s)
  ≤ τ_tol M/(2π), the tolerance relative to the Coulomb field of the whole mass at unit distance.

c itself (for models whose motility or sensitivity depends on it) comes from the same three parts:
ĉ read by the same type-2 NUFFT, the slab integrals φ of the heat kernel over the recent near pairs
(φ has the Gaussian tail of ψ: the same R), and the own past up to Δ_s subtracted. Beyond Δ_s the
own past is not small for c (the heat kernel's integral over ages grows like log t), so for the
j ≠ i system c carries at most (M/N) ∫_{Δ_s}^T e^{−λτ/θ}/(4πτ) dτ of the particle's own old past
(:meth:`SplitMemorySignal.own_past_potential_bound`; 0 when Δ_s ≥ T, i.e. N τ_tol ≤ √(θ/(2eT))):
O(log N / N), the order of the difference between the j ≠ i and the all-particles systems.

Errors are then those of the lattice truncation, the periodic images (e^{−θd²/(4T)} ≤ τ_tol for
the horizon T), the NUFFTs (τ_tol), the cut-off (e^{−R²/(2σ_δ²)} = τ_tol) and the own-past tail
(≤ τ_tol M/(2π)): no other approximation, the singular kernel is not mollified. Cost per step:
O(N + M log M) for M lattice modes, plus the near pairs of the recent slabs and N ⌈Δ_s/Δt⌉ own-past
terms; none of it grows with the number of past steps. δ is chosen by a cost model
(:meth:`SplitMemorySignal.cost`) unless given.
"""

from __future__ import annotations

import math

import finufft
import numpy as np
from numpy.typing import NDArray
from scipy import special

from kellersegel.dynamics.memory import _add_initial_signal, _LatticeBox, _SlabWindow
from kellersegel.dynamics.signal import SignalField
from kellersegel.fields.base import EngineError, FieldValues
from kellersegel.fields.recent_history import CellList, own_past_field, recent_field
from kellersegel.fields.spectral import SpectralGrid, default_max_modes
from kellersegel.kernels.fourier import gaussian_reach
from kellersegel.kernels.memory import SlabKernel

__all__ = ["SplitMemorySignal"]

#: seconds per near-pair term (λ = 0; ×_QUADRATURE for λ > 0) and per lattice mode·log2 of one
#: transform, measured on the development machine (2-core Xeon, AVX-512): the cost model's units
_PAIR_SECONDS = 7e-9
_QUADRATURE = 40.0
_MODE_SECONDS = 7e-10
_POINT_SECONDS = 1.5e-7  # one NUFFT's spreading per point, at 1e-6


class SplitMemorySignal(SignalField):
    """∇c^N of the θ > 0 system, exact or mollified kernel, history split at a lag δ (module notes).

    Parameters
    ----------
    kernel : SlabKernel
        θ, λ and ε (ε = 0: the singular kernel).
    mass : float
        Total mass M (each particle M/N).
    horizon : float
        Longest time T of the run: sets the lattice's image distance d (e^{−θd²/(4T)} ≤ τ).
    tolerance : float
        τ: lattice truncation, images, NUFFT accuracy, cut-off, and the own-past tail (≤ τ M/(2π)).
    lag : float or None
        δ; None: chosen at the first step by :meth:`cost` among Δt·2^j.
    step : float or None
        The run's (base) time step: the lag is chosen for it, and :meth:`check` sizes the lattice
        before the first step (None: the first step taken).
    include_self : bool
        Keep each particle's own past in its drift (default False: j ≠ i, as the exact history).
    margin : float or None
        Room left around the initial cloud for its spreading (default 5 √(2T) + 2).
    max_modes : int or None
        Largest lattice allowed (modes per side, squared); default: what half the memory holds.
    initial_signal : GaussianMixtureC0 or UniformDiskC0 or None
        c0 (None: 0), added in closed form.
    """

    def __init__(
        self,
        kernel: SlabKernel,
        mass: float = 1.0,
        horizon: float = 1.0,
        tolerance: float = 1e-5,
        lag: float | None = None,
        step: float | None = None,
        include_self: bool = False,
        margin: float | None = None,
        max_modes: int | None = None,
        initial_signal=None,
    ) -> None:
        if not 0 < tolerance < 1:
            raise ValueError(f"tolerance must lie in (0, 1), got {tolerance}")
        if lag is not None and not lag > 0:
            raise ValueError(f"lag must be > 0, got {lag}")
        self.kernel = kernel
        self.mass = float(mass)
        self.horizon = float(horizon)
        self.tolerance = float(tolerance)
        self.lag = None if lag is None else float(lag)
        self.step = step
        self.include_self = bool(include_self)
        self.margin = 5.0 * math.sqrt(2.0 * self.horizon) + 2.0 if margin is None else float(margin)
        self.max_modes = default_max_modes() if max_modes is None else int(max_modes)
        self.initial_signal = initial_signal
        self.c_hat: NDArray[np.complex128] | None = None
        self.slabs = _SlabWindow()  # X(t_k), t_k, t_k + Δt_k of the slabs still needed
        self.now = 0.0
        self._factors: dict[tuple[float, float], NDArray[np.complex128]] = {}
        self._decay: dict[float, NDArray[np.float64]] = {}

    # --- the split ------------------------------------------------------------------------------
    def spread(self, lag: float) -> float:
        """σ_δ = √(2δ/θ + ε²): the narrowest heat kernel on the lattice (ages ≥ δ)."""
        return math.sqrt(2.0 * lag / self.kernel.theta + self.kernel.epsilon**2)

    def cutoff(self, lag: float) -> float:
        """R = σ_δ √(2 log(1/τ)): pairs of the recent slabs farther apart add less than τ."""
        return self.spread(lag) * gaussian_reach(self.tolerance)

    def own_past_window(self, n: int) -> float:
        """Δ_s: own past subtracted at ages below it; the rest, (M/N) e^{−1/2}√θ/(2√2π√Δ_s), is
        τ M/(2π): Δ_s = θ/(2e N² τ²)."""
        return self.kernel.theta / (2.0 * math.e * (n * self.tolerance) ** 2)

    def own_past_potential_bound(self, n: int) -> float:
        """The most c can differ from the j ≠ i system's: the own past at ages in [Δ_s, T] that the
        lattice holds, (M/N) ∫_{Δ_s}^T e^{−λτ/θ}/(4πτ) dτ (e^{−λτ/θ}/(4πτ) bounds the heat kernel
        of age τ); 0 when the own past is included or Δ_s ≥ T. ∇c is not affected (module notes)."""
        start = max(self.lag or 0.0, self.own_past_window(n))
        if self.include_self or start >= self.horizon:
            return 0.0
        rate = self.kernel.lam / self.kernel.theta
        if rate == 0:
            ages = math.log(self.horizon / start)
        else:
            ages = float(special.exp1(rate * start) - special.exp1(rate * self.horizon))
        return self.mass / n * ages / (4.0 * math.pi)

    def lattice(self, x: NDArray[np.float64], lag: float) -> SpectralGrid:
        """The periodic lattice for the old history of particles at x: the cloud, the margin, and the
        image distance d = √(4T log(1/τ)/θ) in one period, resolving the heat kernel of age δ."""
        box = self.box_around(x)
        return SpectralGrid(box.center, box.period, self.spread(lag), self.tolerance)

    def box_around(self, x: NDArray[np.float64]) -> _LatticeBox:
        """The lattice's periodic box for particles at x (its safe region and image distance)."""
        return _LatticeBox.around(x, self.horizon, self.kernel.theta, self.tolerance, self.margin)

    def cost(self, x: NDArray[np.float64], dt: float, lag: float) -> dict[str, float]:
        """Modelled seconds per step at lag δ for particles at x and steps Δt: the lattice's
        transforms (one type-2, one or two type-1) and the recent slabs' near pairs."""
        n = x.shape[0]
        modes = self.lattice(x, lag).modes ** 2
        type1 = 1 if abs(lag / dt - round(lag / dt)) < 1e-9 else 2
        upsampled = 4.0 * modes
        lattice = (type1 + 2) * (_MODE_SECONDS * upsampled * math.log2(upsampled) + _POINT_SECONDS * n)
        slabs = max(1, math.ceil(lag / dt - 1e-9))
        pairs = slabs * CellList(x[None], x, self.cutoff(lag)).candidate_pairs(x)
        pair_seconds = _PAIR_SECONDS * (1.0 if self.kernel.lam == 0 else _QUADRATURE)
        return {"lag": lag, "modes": modes, "pairs": pairs, "seconds": lattice + pair_seconds * pairs}

    def choose_lag(self, x: NDArray[np.float64], dt: float) -> float:
        """The lag Δt·2^j (j = −12 … 8, δ ≤ T) of the least modelled cost whose lattice fits."""
        options = [dt * 2.0**j for j in range(-12, 9) if dt * 2.0**j <= max(self.horizon, dt)]
        costs = [self.cost(x, dt, lag) for lag in options]
        fitting = [c for c in costs if c["modes"] <= self.max_modes]
        if not fitting:
            raise EngineError(
                f"split memory field: even at the lag {options[-1]:.3g} the lattice needs "
                f"{costs[-1]['modes']} modes (images {self.box_around(x).image_distance:.3g} away for θ = "
                f"{self.kernel.theta:g} over T = {self.horizon:g}), more than max_modes = "
                f"{self.max_modes}; use a larger θ, a shorter run, a larger tolerance or the exact "
                "history (engine = 'direct')"
            )
        self.costs = costs
        return min(fitting, key=lambda c: c["seconds"])["lag"]

    def check(self, x):
        """The lattice at the lag (chosen for ``step``) for particles at x; EngineError if too large."""
        lag = self.lag if self.lag is not None or self.step is None else self.choose_lag(x, self.step)
        return {} if lag is None else {"lattice_modes": self._fitting_lattice(x, lag).modes}

    def _fitting_lattice(self, x: NDArray[np.float64], lag: float) -> SpectralGrid:
        grid = self.lattice(x, lag)
        if grid.modes**2 > self.max_modes:
            raise EngineError(
                f"split memory field: {grid.modes}² lattice modes at the lag {lag:.3g} exceed "
                f"max_modes = {self.max_modes}; give a longer lag or a larger tolerance"
            )
        return grid

    # --- the lattice ---------------------------------------------------------------------------
    def _setup(self, x: NDArray[np.float64], dt: float) -> None:
        if self.lag is None:
            self.lag = self.choose_lag(x, self.step if self.step is not None else dt)
        self.grid = self._fitting_lattice(x, self.lag)
        self.box = self.box_around(x)
        k1 = self.grid.wavenumbers()
        self.kx, self.ky = k1[:, None], k1[None, :]
        self.rate = (self.kx**2 + self.ky**2 + self.kernel.lam) / self.kernel.theta  # (|k|² + λ)/θ
        self.mollifier = np.exp(-0.5 * self.kernel.epsilon**2 * (self.kx**2 + self.ky**2))
        self.c_hat = np.zeros((self.grid.modes, self.grid.modes), np.complex128)
        self.window = max(self.lag, self.own_past_window(x.shape[0]))

    def _age_factor(self, alpha: float, beta: float) -> NDArray[np.complex128]:
        """(1/θ)∫_α^β e^{−(|k|²+λ)τ/θ} dτ · e^{−ε²|k|²/2}, cached for the few (α, β) of fixed steps."""
        key = (round(alpha, 15), round(beta, 15))
        if key not in self._factors:
            if len(self._factors) > 8:
                self._factors.clear()
            z, span = self.rate, beta - alpha
            with np.errstate(invalid="ignore", divide="ignore"):
                length = np.where(z > 0, -np.expm1(-z * span) / np.where(z > 0, z, 1.0), span)
            factor = np.exp(-z * alpha) * length / self.kernel.theta * self.mollifier
            self._factors[key] = factor.astype(np.complex128)
        return self._factors[key]

    def _inject(self, positions: NDArray[np.float64], alpha: float, beta: float) -> None:
        gx, gy = self.grid.scaled(positions)
        ones = np.ones(positions.shape[0], np.complex128)
        rho_hat = finufft.nufft2d1(gx, gy, ones, self.c_hat.shape, isign=-1, eps=self.tolerance, nthreads=1)
        self.c_hat += self._age_factor(alpha, beta) * rho_hat

    # --- SignalField ---------------------------------------------------------------------------
    def advance(self, x_old, x_new, t, dt):
        x_old = np.ascontiguousarray(x_old, dtype=np.float64)
        dt = float(dt)
        if self.c_hat is None:
            self._setup(x_old, dt)
        self.box.check_inside(x_old, "split memory field")
        self.slabs.append(x_old, float(t), float(t) + dt)
        self.now = float(t) + dt
        if dt not in self._decay:
            self._decay = {dt: np.exp(-self.rate * dt)}
        self.c_hat *= self._decay[dt]
        positions, starts, ends = self.slabs.view()
        # the pieces that aged past δ during this step: ages [max(α, δ), min(β, δ + Δt)]
        alpha = np.maximum(self.now - ends, self.lag)
        beta = np.minimum(self.now - starts, self.lag + dt)
        for k in np.flatnonzero(beta - alpha > 1e-9 * dt):
            self._inject(positions[k], float(alpha[k]), float(beta[k]))
        self.slabs.drop_before(self.now - self.window)

    def at_particles(self, t, x, *, potential):
        x = np.ascontiguousarray(x, dtype=np.float64)
        n = x.shape[0]
        out = np.zeros_like(x)
        c = np.zeros(n) if potential else np.empty(0)
        if self.slabs.count:
            if abs(self.now - t) > 1e-9 * max(1.0, abs(t)):
                raise ValueError(f"history recorded up to t = {self.now:g}, asked at t = {t:g}")
            self.box.check_inside(x, "split memory field")
            read = [1j * self.kx * self.c_hat, 1j * self.ky * self.c_hat]
            read += [self.c_hat] if potential else []
            gx, gy = self.grid.scaled(x)
            old = finufft.nufft2d2(gx, gy, np.stack(read), isign=1, eps=self.tolerance, nthreads=1).real
            out += np.ascontiguousarray(old[:2].T) / self.grid.period**2
            if potential:
                c += old[2] / self.grid.period**2
            self._recent(x, out, c)
            if not self.include_self:
                self._own_past(x, out, c)
            out *= self.mass / n
            c *= self.mass / n
        _add_initial_signal(self, x, t, out, c, potential)
        return FieldValues(c if potential else None, out)

    def _ages(self, lower: float, upper: float):
        """The slabs whose ages reach into [lower, upper) (consecutive ones): their positions (a
        view) and their ages clipped to it; None if there are none."""
        positions, starts, ends = self.slabs.view()
        a = np.maximum(self.now - ends, lower)
        b = np.minimum(self.now - starts, upper)
        chosen = np.flatnonzero(b > a)
        if not chosen.size:
            return None
        first, last = chosen[0], chosen[-1] + 1
        return positions[first:last], a[first:last], b[first:last]

    def _recent(self, x: NDArray[np.float64], out: NDArray[np.float64], c: NDArray[np.float64]) -> None:
        found = self._ages(0.0, self.lag)
        if found is None:
            return
        positions, a, b = found
        radius = self.spread(float(b.max())) * gaussian_reach(self.tolerance)
        cells = CellList(positions, x, radius)
        nodes, weights = self.kernel.quadrature
        k = self.kernel
        recent_field(
            x, cells.points, cells.index, cells.starts, cells.lower, cells.side, *cells.shape, a, b,
            radius**2, self.include_self, k.theta, k.lam, k.epsilon**2, nodes, weights, out, c,
        )  # fmt: skip

    def _own_past(self, x: NDArray[np.float64], out: NDArray[np.float64], c: NDArray[np.float64]) -> None:
        found = self._ages(self.lag, self.window)
        if found is None:
            return
        positions, a, b = found
        own, own_c = np.zeros_like(x), np.zeros_like(c)
        nodes, weights = self.kernel.quadrature
        k = self.kernel
        own_past_field(x, positions, a, b, k.theta, k.lam, k.epsilon**2, nodes, weights, own, own_c)
        out -= own
        c -= own_c

    @property
    def memory_bytes(self) -> int:
        """Bytes held: the lattice and the slabs within max(δ, Δ_s) (independent of the run's length)."""
        lattice = 0 if self.c_hat is None else self.c_hat.nbytes
        return lattice + self.slabs.nbytes

    def __repr__(self) -> str:
        own = "included" if self.include_self else "excluded"
        lag = "chosen at the first step" if self.lag is None else f"{self.lag:g}"
        return (
            f"SplitMemorySignal({self.kernel!r}, mass={self.mass:g}, horizon={self.horizon:g}, "
            f"tolerance={self.tolerance:g}, lag {lag}, own past {own})"
        )
