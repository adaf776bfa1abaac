"""Fast multipole engine.

λ = 0: our compiled parallel Laplace FMM (:mod:`~kellersegel.fields.laplace_fmm`) gives
Σ_j q_j log|y − x_j| and its gradient, so c = −(1/2π) Σ_j w_j log|y − x_j|.
λ > 0: our compiled parallel Yukawa FMM (:mod:`~kellersegel.fields.yukawa_fmm`, same tree and
lists) gives Σ_j w_j K_0(√λ |y − x_j|) and its gradient, so c = (1/2π) of it.

Gaussian-mollified kernels K_ε = G_λ * V_ε: the FMM of s G_λ plus the short-range difference
Σ_{r < a} w_j (K_ε − s G_λ), a = ε √(2 log(1/τ)) (:mod:`~kellersegel.fields.near_field`), with
s = e^{λε²/2}: far away K_ε ≈ s G_λ, since (K_ε − s G_λ)^ = s (1 − e^{−ε²(k²+λ)/2})/(k² + λ) is
entire in k²; beyond a the difference is below τ times the pair's own term.
Cut-off kernels equal G_λ beyond ε: the FMM of G_λ plus the difference over pairs closer than ε.

Both are checked against pyfmmlib (FMMLIB2D of Greengard and Gimbutas) in the tests and timed
against it by ``kellersegel bench compare``.
"""

from __future__ import annotations

import math

import numpy as np

from kellersegel.fields.base import DEFAULT_TOLERANCE, EngineError, FieldEngine, FieldValues, as_tolerance
from kellersegel.fields.laplace_fmm import laplace_fmm, order_for_tolerance
from kellersegel.fields.near_field import CellList, difference_sum
from kellersegel.fields.yukawa_fmm import yukawa_fmm
from kellersegel.kernels.fourier import gaussian_reach
from kellersegel.kernels.interaction import CutoffKernel, ExactKernel, GaussianMollifiedKernel

__all__ = ["MultipoleEngine"]

_TWO_PI = 2.0 * math.pi


class MultipoleEngine(FieldEngine):
    """c and ∇c by the fast multipole method, O(N) work and memory.

    Parameters
    ----------
    kernel : ExactKernel, GaussianMollifiedKernel or CutoffKernel
        Any λ ≥ 0.
    tolerance : float
        Requested relative accuracy τ (sets the expansion order and the near-field radius).
    """

    name = "fmm"

    def __init__(self, kernel, tolerance: float = DEFAULT_TOLERANCE) -> None:
        super().__init__(kernel)
        self.tolerance = as_tolerance(tolerance)
        self.singular_part = ExactKernel(kernel.lam)

    @classmethod
    def unsupported_reason(cls, kernel) -> str | None:
        if not isinstance(kernel, (ExactKernel, GaussianMollifiedKernel, CutoffKernel)):
            return f"unknown kernel type {type(kernel).__name__}"
        return None

    @property
    def near_radius(self) -> float:
        """Radius a of the short-range correction (0 for the exact kernel, ε for the cut-off)."""
        if isinstance(self.kernel, GaussianMollifiedKernel):
            return self.kernel.epsilon * gaussian_reach(self.tolerance)
        return self.kernel.epsilon or 0.0

    @property
    def far_scale(self) -> float:
        """s such that K ≈ s G_λ beyond the near radius (e^{λε²/2} for the Gaussian mollifier)."""
        if isinstance(self.kernel, GaussianMollifiedKernel):
            return math.exp(0.5 * self.kernel.lam * self.kernel.epsilon**2)
        return 1.0

    @staticmethod
    def _precision(tolerance: float) -> int:
        """The FMMs' expansion order for a tolerance."""
        return order_for_tolerance(tolerance)

    def _fmm(self, sources, weights, targets, on_sources, potential, gradient, tolerance):
        """Σ_j w_j G_λ(y − x_j) and its gradient (self term excluded when ``on_sources``)."""
        if self.kernel.lam == 0:
            return self._laplace(sources, weights, targets, on_sources, potential, gradient, tolerance)
        return self._yukawa(
            self.kernel.lam, sources, weights, targets, on_sources, potential, gradient, tolerance
        )

    @staticmethod
    def _laplace(sources, weights, targets, on_sources, potential, gradient, tolerance):
        n = sources.shape[0]
        points, w = sources, weights
        if not on_sources:  # targets join the tree with weight 0
            points = np.concatenate([sources, targets])
            w = np.concatenate([weights, np.zeros(targets.shape[0])])
        f, df = laplace_fmm(points, w, order=order_for_tolerance(tolerance), potential=potential)
        part = slice(None) if on_sources else slice(n, None)
        c = None if f is None else -f[part] / _TWO_PI
        grad = np.stack([-df.real[part], df.imag[part]], axis=1) / _TWO_PI if gradient else None
        return c, grad

    @staticmethod
    def _yukawa(lam, sources, weights, targets, on_sources, potential, gradient, tolerance):
        n = sources.shape[0]
        points, w = sources, weights
        if not on_sources:  # targets join the tree with weight 0
            points = np.concatenate([sources, targets])
            w = np.concatenate([weights, np.zeros(targets.shape[0])])
        phi, grad = yukawa_fmm(
            points, w, math.sqrt(lam), order=order_for_tolerance(tolerance), potential=potential,
            tolerance=tolerance,
        )  # fmt: skip
        part = slice(None) if on_sources else slice(n, None)
        c = None if phi is None else phi[part] / _TWO_PI
        return c, (grad[part] / _TWO_PI if gradient else None)

    def _evaluate(self, sources, weights, targets, self_mode, potential, gradient):
        on_sources = self_mode != 0
        eps = self.kernel.epsilon
        far_scale = self.far_scale
        fmm_args = (sources, far_scale * weights, targets, on_sources, potential, gradient)
        pot, grad = self._fmm(*fmm_args, self.tolerance)
        if eps is None:
            return FieldValues(pot, grad)
        radius = self.near_radius
        cells = CellList(sources, radius)
        args = (cells, weights, targets, radius, self.kernel, self.singular_part)
        near = {"skip_self": on_sources, "scale_b": far_scale}
        near_pot = difference_sum(*args, potential=True, **near) if potential else None
        near_grad = difference_sum(*args, potential=False, **near) if gradient else None
        # Points much closer than ε make the singular field far larger than the mollified one, and
        # the FMM's error is relative to the former: refine its precision by the cancellation ratio.
        ratio = 1.0
        for far, close in ((pot, near_pot), (grad, near_grad)):
            if far is not None and np.all(np.isfinite(far)):
                total = np.max(np.abs(far + close))
                ratio = max(ratio, np.max(np.abs(far)) / total if total > 0 else 1.0)
        if ratio > 10 and self._precision(self.tolerance / ratio) > self._precision(self.tolerance):
            pot, grad = self._fmm(*fmm_args, max(self.tolerance / ratio, 1e-15))
        pot = None if pot is None else pot + near_pot
        grad = None if grad is None else grad + near_grad
        if not np.all(np.isfinite(pot if potential else grad)):
            if not on_sources or not np.all(np.isfinite(sources)):
                raise EngineError(
                    "fmm engine: a target coincides with a source (or a point is not finite); the "
                    "kernel is finite there but the multipole expansion of G_λ is not: use the "
                    "spectral or direct engine"
                )
            pot, grad = self._merged(sources, weights, potential, gradient)
        if self_mode == 2 and potential:
            pot = pot + weights * float(self.kernel.potential_profile(0.0))
        return FieldValues(pot, grad)

    def _merged(self, sources, weights, potential, gradient):
        """Σ_{j≠i} over sources with coincident points: the FMM over distinct points (merged
        weights), plus K(0) times the weight of the other points at the same place (∇K(0) = 0)."""
        unique, inverse = np.unique(sources, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        merged = np.bincount(inverse, weights=weights, minlength=unique.shape[0])
        values = self._evaluate(unique, merged, unique, 1, potential, gradient)
        pot = grad = None
        if potential:
            partners = merged[inverse] - weights
            pot = values.potential[inverse] + partners * float(self.kernel.potential_profile(0.0))
        if gradient:
            grad = values.gradient[inverse]
        return pot, grad
