"""Radial interaction kernels: exact, Gaussian-mollified and cut-off versions of G_λ.

Every kernel K is radial and written through two profiles of the squared distance r² = |x|²:

    K(x) = φ(r²),        ∇K(x) = −ψ(r²) x,        ψ = −2 dφ/d(r²) ≥ 0 (attraction).

The particle signal is c^N(x) = Σ_j w_j K(x − X_j) and its gradient Σ_j w_j ∇K(x − X_j).
Each kernel also describes itself to the compiled engines by a :class:`CompiledSpec`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from kellersegel._registry import Registered
from kellersegel._validation import finite_number
from kellersegel.kernels._mollified_bessel import (
    DEGREE,
    evaluate_table,
    mollified_bessel_table,
)

__all__ = [
    "CompiledSpec",
    "CutoffKernel",
    "ExactKernel",
    "GaussianMollifiedKernel",
    "InteractionKernel",
    "make_kernel",
]

_TWO_PI = 2.0 * np.pi
_FOUR_PI = 4.0 * np.pi


class KernelKind(IntEnum):
    """Integer codes of the compiled radial profiles (see ``kellersegel.kernels.compiled``)."""

    EXACT_LOG = 0
    EXACT_BESSEL = 1
    MOLLIFIED_LOG = 2
    MOLLIFIED_BESSEL = 3
    CUTOFF_LOG = 4
    CUTOFF_BESSEL = 5


@dataclass(frozen=True)
class CompiledSpec:
    """What a compiled engine needs: profile code, scalar parameters and a table.

    ``params``: float64 vector read by name, ``params[EPS2]`` (the indices of
    :data:`PROFILE_PARAMS`: λ, √λ, ε, ε², e^{λε²/2}, the table's u_near and panel width; unused
    entries are 0). A vector rather than a NumPy record: the compiled engines failed to lower a
    record argument (numba 0.68, "Type of #20 arg mismatch").
    ``table`` has shape ``(2, n_panels, degree + 1)`` (a dummy for kernels without one).
    """

    kind: int  # a KernelKind
    params: NDArray[np.float64]
    table: NDArray[np.float64]


#: the names of CompiledSpec.params, in order; the module constants below are their indices
PROFILE_PARAMS = ("lam", "sqrt_lam", "eps", "eps2", "scale", "u_near", "panel_width")
LAM, SQRT_LAM, EPS, EPS2, SCALE, U_NEAR, PANEL_WIDTH = range(len(PROFILE_PARAMS))

_NO_TABLE = np.zeros((2, 1, DEGREE + 1))


class InteractionKernel(Registered, ABC):
    """A radial kernel K(x) = φ(|x|²) approximating the Green's function G_λ of −Δ + λ.

    A subclass with a ``name`` registers itself (:attr:`registry`): ``make_kernel`` and the
    configuration's ``particles.kernel`` then know it.
    """

    #: every kernel by name
    registry: ClassVar[dict[str, type[InteractionKernel]]] = {}
    registry_label = "kernel"
    #: False for the exact kernel: a mollified kernel takes a scale ε (from the scaling law)
    takes_epsilon: ClassVar[bool] = True
    #: True when φ and ψ are infinite at 0 (the self term cannot be included).
    singular: ClassVar[bool] = False

    def __init__(self, lam: float = 0.0, epsilon: float | None = None) -> None:
        self.lam = finite_number("lam", lam, 0.0)
        self.epsilon = None if epsilon is None else finite_number("epsilon", epsilon, 0.0, strict=True)

    @abstractmethod
    def potential_profile(self, r2: ArrayLike) -> NDArray[np.float64]:
        """φ(r²), so that K(x) = φ(|x|²)."""

    @abstractmethod
    def gradient_profile(self, r2: ArrayLike) -> NDArray[np.float64]:
        """ψ(r²), so that ∇K(x) = −ψ(|x|²) x."""

    @abstractmethod
    def compiled_spec(self) -> CompiledSpec:
        """Description of this kernel for the compiled engines."""

    def potential(self, x: ArrayLike) -> NDArray[np.float64]:
        """K(x) at points of shape ``(..., 2)``."""
        x = np.asarray(x, dtype=np.float64)
        return self.potential_profile(np.einsum("...i,...i->...", x, x))

    def gradient(self, x: ArrayLike) -> NDArray[np.float64]:
        """∇K(x) at points of shape ``(..., 2)``; returns shape ``(..., 2)``."""
        x = np.asarray(x, dtype=np.float64)
        return -self.gradient_profile(np.einsum("...i,...i->...", x, x))[..., None] * x

    def _params(self, u_near: float = 0.0, panel_width: float = 0.0) -> NDArray[np.float64]:
        eps = self.epsilon or 0.0
        p = np.zeros(len(PROFILE_PARAMS))
        p[LAM], p[SQRT_LAM], p[EPS], p[EPS2] = self.lam, np.sqrt(self.lam), eps, eps**2
        p[SCALE] = np.exp(0.5 * self.lam * eps**2)
        p[U_NEAR], p[PANEL_WIDTH] = u_near, panel_width
        return p

    def __repr__(self) -> str:
        eps = "" if self.epsilon is None else f", epsilon={self.epsilon:g}"
        return f"{type(self).__name__}(lam={self.lam:g}{eps})"

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and self.lam == other.lam  # type: ignore[attr-defined]
            and self.epsilon == other.epsilon  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.lam, self.epsilon))


class ExactKernel(InteractionKernel):
    """The singular Green's function: G_0 = −(1/2π) log|x| (λ = 0) or G_λ = K_0(√λ|x|)/(2π)."""

    name = "exact"
    singular = True
    takes_epsilon = False

    def __init__(self, lam: float = 0.0) -> None:
        super().__init__(lam, None)

    def potential_profile(self, r2: ArrayLike) -> NDArray[np.float64]:
        r2 = np.asarray(r2, dtype=np.float64)
        if self.lam == 0:
            return -np.log(r2) / _FOUR_PI
        return special.k0(np.sqrt(self.lam * r2)) / _TWO_PI

    def gradient_profile(self, r2: ArrayLike) -> NDArray[np.float64]:
        r2 = np.asarray(r2, dtype=np.float64)
        if self.lam == 0:
            return 1.0 / (_TWO_PI * r2)
        r = np.sqrt(r2)
        return np.sqrt(self.lam) * special.k1(np.sqrt(self.lam) * r) / (_TWO_PI * r)

    def compiled_spec(self) -> CompiledSpec:
        kind = KernelKind.EXACT_LOG if self.lam == 0 else KernelKind.EXACT_BESSEL
        return CompiledSpec(int(kind), self._params(), _NO_TABLE)


class GaussianMollifiedKernel(InteractionKernel):
    """G_λ * V_ε with V_ε the centred Gaussian of variance ε² per coordinate.

    λ = 0 (closed form, U = r²/(2ε²)):
        φ = −(1/4π) (log r² + E_1(U)),         ψ = (1 − e^{−U}) / (2π r²),
    with φ(0) = −(1/4π)(log 2ε² − γ) and ψ(0) = 1/(4πε²).
    λ > 0: φ = e^{c} J(U, c)/(4π), ψ = e^{c} L(U, c)/(4πε²), c = λε²/2 (see ``_mollified_bessel``).
    """

    name = "mollified"

    def __init__(self, epsilon: float, lam: float = 0.0) -> None:
        super().__init__(lam, epsilon)
        if self.lam > 0 and 0.5 * self.lam * self.epsilon**2 > 600:
            raise ValueError(
                f"lam * epsilon**2 = {self.lam * self.epsilon**2:g} is too large for the "
                "mollified Bessel kernel (must be ≤ 1200)"
            )

    def _u(self, r2: NDArray[np.float64]) -> NDArray[np.float64]:
        return r2 / (2.0 * self.epsilon**2)

    def potential_profile(self, r2: ArrayLike) -> NDArray[np.float64]:
        r2 = np.asarray(r2, dtype=np.float64)
        u = self._u(r2)
        if self.lam == 0:
            small = u < 1.0
            us = np.where(small, u, 0.0)
            # log r² + E_1(U) = log 2ε² − γ + Ein(U), Ein(U) = Σ_k (−1)^{k+1} U^k/(k k!)
            ein = np.zeros_like(us)
            term = np.ones_like(us)
            for k in range(1, 25):
                term = term * (-us) / k
                ein -= term / k
            near = np.log(2.0 * self.epsilon**2) - np.euler_gamma + ein
            with np.errstate(divide="ignore"):
                far = np.log(np.where(small, 1.0, r2)) + special.exp1(np.where(small, 1.0, u))
            return -np.where(small, near, far) / _FOUR_PI
        j_val = self._bessel_integrals(r2, u)[0]
        return np.exp(0.5 * self.lam * self.epsilon**2) * j_val / _FOUR_PI

    def gradient_profile(self, r2: ArrayLike) -> NDArray[np.float64]:
        r2 = np.asarray(r2, dtype=np.float64)
        u = self._u(r2)
        if self.lam == 0:
            safe = np.where(u > 0, u, 1.0)
            return np.where(u > 0, -np.expm1(-safe) / safe, 1.0) / (_FOUR_PI * self.epsilon**2)
        l_val = self._bessel_integrals(r2, u)[1]
        return np.exp(0.5 * self.lam * self.epsilon**2) * l_val / (_FOUR_PI * self.epsilon**2)

    def _bessel_integrals(self, r2: NDArray[np.float64], u: NDArray[np.float64]):
        table = mollified_bessel_table(self.lam, self.epsilon)
        near = u < table.u_near
        j_val, l_val = evaluate_table(table, np.where(near, u, 0.0))
        sr = np.sqrt(self.lam * r2)
        far_u = np.where(near, 1.0, u)
        far_sr = np.where(near, 1.0, sr)
        j_far = 2.0 * special.k0(far_sr)
        l_far = far_sr * special.k1(far_sr) / far_u
        return np.where(near, j_val, j_far), np.where(near, l_val, l_far)

    def compiled_spec(self) -> CompiledSpec:
        if self.lam == 0:
            return CompiledSpec(int(KernelKind.MOLLIFIED_LOG), self._params(), _NO_TABLE)
        table = mollified_bessel_table(self.lam, self.epsilon)
        params = self._params(u_near=table.u_near, panel_width=table.panel_width)
        return CompiledSpec(int(KernelKind.MOLLIFIED_BESSEL), params, table.coefficients)


class CutoffKernel(InteractionKernel):
    """G_λ outside the radius ε; inside, the force continues linearly (ψ frozen at its value at ε).

    ψ(r²) = ψ_G(max(r², ε²)), and φ = φ_G(r²) for r ≥ ε, φ_G(ε²) + ψ_G(ε²)(ε² − r²)/2 for r < ε
    (φ and ∇K continuous). λ = 0: ∇K = −x / (2π max(|x|, ε)²), and K = G * U_ε with U_ε the
    uniform density on the disk of radius ε (Newton's theorem: equal to G outside the disk,
    −ΔK = 1/(πε²) inside). Since K − G_λ vanishes for r ≥ ε, fast engines need a near-field
    correction over pairs closer than ε only.
    """

    name = "cutoff"

    def __init__(self, epsilon: float, lam: float = 0.0) -> None:
        super().__init__(lam, epsilon)
        self._green = ExactKernel(lam)

    def potential_profile(self, r2: ArrayLike) -> NDArray[np.float64]:
        r2 = np.asarray(r2, dtype=np.float64)
        eps2 = self.epsilon**2
        outside = self._green.potential_profile(np.maximum(r2, eps2))
        inside = 0.5 * self._green.gradient_profile(eps2) * np.maximum(eps2 - r2, 0.0)
        return outside + inside

    def gradient_profile(self, r2: ArrayLike) -> NDArray[np.float64]:
        r2 = np.asarray(r2, dtype=np.float64)
        return self._green.gradient_profile(np.maximum(r2, self.epsilon**2))

    def compiled_spec(self) -> CompiledSpec:
        kind = KernelKind.CUTOFF_LOG if self.lam == 0 else KernelKind.CUTOFF_BESSEL
        return CompiledSpec(int(kind), self._params(), _NO_TABLE)


def make_kernel(name: str, lam: float = 0.0, epsilon: float | None = None) -> InteractionKernel:
    """Kernel by name (:attr:`InteractionKernel.registry`: ``"exact"``, ``"mollified"`` (Gaussian),
    ``"cutoff"``, ...), at scale ``epsilon`` unless it is exact."""
    cls = InteractionKernel.named(name)
    if not cls.takes_epsilon:
        return cls(lam=lam)
    if epsilon is None:
        raise ValueError(f"the {name} kernel needs epsilon")
    return cls(epsilon=epsilon, lam=lam)
