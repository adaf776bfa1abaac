"""Time-slab integrals of the doubly parabolic kernel (θ > 0), exact or Gaussian-mollified.

The signal of the doubly parabolic system feels each particle's past through
K^{θ,λ}_τ = e^{−λτ/θ} g^θ_τ / θ, g^θ_τ the heat kernel of variance 2τ/θ per coordinate. With the
Gaussian mollifier V_ε (variance ε²; ε = 0: no mollifier), K_τ * V_ε is a Gaussian of variance
σ²(τ) = 2τ/θ + ε² times e^{−λτ/θ}/θ, and

    ∫_a^b ∇(K_τ * V_ε)(x) dτ = −ψ(r²; a, b) x,      r = |x|.

λ = 0 (exact): with u(τ) = r²/(2σ²(τ)) and Ψ(τ) = e^{−u(τ)}/(2πr²), ψ = Ψ(b) − Ψ(a). As a → 0 and
b → ∞ it tends to the mollified Coulomb kernel (1 − e^{−r²/(2ε²)})/(2πr²), and for ε = 0 to 1/(2πr²).
λ > 0: in the variable s = σ², ψ = ∫_{σ_a²}^{σ_b²} e^{−λ(s − ε²)/2} e^{−r²/(2s)} / (4πs²) ds, by
24-point Gauss–Legendre on the pieces [s, 2s] (b = ∞: up to λs/2 = 45 + √λ r, e^{−45} below the
peak e^{−√λ r}). When σ_a² = 0 (ε = 0 and a = 0, the singular last slab) the integrand is not
integrable at 0 and ψ is written ψ = e^{−λb/θ} Ψ(b) + (λ/θ) ∫_0^b e^{−λτ/θ} Ψ(τ) dτ (by parts;
Ψ(0) = 0), the last integrand bounded and smooth, on pieces [0, θr²/256] (the integrand ≤ e^{−64}
there), then doubling. Over 0 ≤ τ < ∞ the result is the (mollified) Bessel kernel of the
parabolic–elliptic system.

The signal itself: ∫_a^b (K_τ * V_ε)(x) dτ = φ(r²; a, b)
= ∫_{σ_a²}^{σ_b²} e^{−λ(s − ε²)/2} e^{−r²/(2s)} / (4πs) ds.
λ = 0: φ = (E_1(u_b) − E_1(u_a))/(4π), u = r²/(2σ²), written log(σ_b²/σ_a²) + Ein(u_b) − Ein(u_a) when
u_a < 2 (no cancellation as r → 0; Ein(u) = E_1(u) + γ + log u), and E_1(u_b) when σ_a² = 0; it grows
like log b (the two-dimensional heat kernel has no finite integral over all ages), so b = ∞ needs
λ > 0. λ > 0: the same Gauss–Legendre pieces, and for σ_a² = 0 by parts with h(τ) = E_1(θr²/(4τ))/(4π):
φ = e^{−λb/θ} h(b) + (λ/θ) ∫_0^b e^{−λτ/θ} h(τ) dτ. At r = 0, φ is log(σ_b²/σ_a²)/(4π) (λ = 0) or the
same quadrature; a source at distance 0 in the singular last slab (σ_a² = 0, φ = ∞) is left out, as
its gradient is (it has probability 0).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from kellersegel._validation import finite_number
from kellersegel.kernels.compiled import _ein, exp1

__all__ = ["SlabKernel", "phi_at", "psi_at", "slab_phi", "slab_psi", "variance"]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(24)
_TWO_PI = 2.0 * math.pi
_FOUR_PI = 4.0 * math.pi


@numba.njit(cache=True, inline="always")
def _big_psi(r2, sigma2):
    """Ψ = e^{−r²/(2σ²)} / (2π r²), σ² > 0."""
    return math.exp(-r2 / (2.0 * sigma2)) / (_TWO_PI * r2)


@numba.njit(cache=True, inline="always")
def _psi_heat(r2, s_a, s_b):
    """Ψ(b) − Ψ(a) for σ² = s_a, s_b (λ = 0), stable as r → 0; s_b = inf allowed."""
    if math.isinf(s_b):
        if s_a <= 0.0:
            return 1.0 / (_TWO_PI * r2)
        return -math.expm1(-r2 / (2.0 * s_a)) / (_TWO_PI * r2)
    if s_a <= 0.0:
        return math.exp(-r2 / (2.0 * s_b)) / (_TWO_PI * r2)
    q = 0.5 * (1.0 / s_a - 1.0 / s_b)
    return math.exp(-r2 / (2.0 * s_b)) * (-math.expm1(-r2 * q)) / (_TWO_PI * r2)


@numba.njit(cache=True)
def _phi_heat(r2, s_a, s_b):
    """(E_1(r²/(2 s_b)) − E_1(r²/(2 s_a)))/(4π) (λ = 0), s_b finite; s_a = 0 allowed (r² > 0)."""
    if s_a <= 0.0:
        return 0.0 if r2 == 0.0 else exp1(r2 / (2.0 * s_b)) / _FOUR_PI
    u_a = r2 / (2.0 * s_a)
    u_b = r2 / (2.0 * s_b)
    if u_a < 2.0:
        return (math.log(s_b / s_a) + _ein(u_b) - _ein(u_a)) / _FOUR_PI
    return (exp1(u_b) - exp1(u_a)) / _FOUR_PI


@numba.njit(cache=True, inline="always")
def _at_variance(r2, s, potential):
    """The λ = 0 integral from age 0 to the age of variance s: E_1(r²/(2s))/(4π) (c) or Ψ (∇c)."""
    return exp1(r2 / (2.0 * s)) / _FOUR_PI if potential else _big_psi(r2, s)


@numba.njit(cache=True)
def _gauss(lo, hi, nodes, weights, r2, lam, eps2, theta, by_parts, potential):
    half = 0.5 * (hi - lo)
    mid = 0.5 * (hi + lo)
    acc = 0.0
    for q in range(nodes.shape[0]):
        v = mid + half * nodes[q]
        if by_parts:  # v = τ: e^{−λτ/θ} × (E_1(θr²/(4τ))/(4π) or Ψ(τ)), σ² = 2τ/θ
            acc += weights[q] * math.exp(-lam * v / theta) * _at_variance(r2, 2.0 * v / theta, potential)
        else:  # v = σ²: e^{−λ(σ² − ε²)/2} e^{−r²/(2σ²)} / (4π σ²) (c) or / (4π σ⁴) (∇c)
            power = v if potential else v * v
            acc += weights[q] * math.exp(-0.5 * lam * (v - eps2) - r2 / (2.0 * v)) / (_FOUR_PI * power)
    return half * acc


@numba.njit(cache=True)
def _quadrature(r2, s_a, s_b, b, theta, lam, eps2, nodes, weights, potential):
    """φ (``potential``) or ψ for λ > 0 by Gauss–Legendre (module docstring)."""
    if s_a > 0.0:  # in s = σ² on pieces [s, 2s]
        top = s_b if not math.isinf(s_b) else eps2 + (90.0 + 2.0 * math.sqrt(lam * r2)) / lam
        total = 0.0
        lo = s_a
        while lo < top:
            hi = min(top, 2.0 * lo)
            total += _gauss(lo, hi, nodes, weights, r2, lam, eps2, theta, False, potential)
            lo = hi
        return total
    # ε = 0 and a = 0, by parts: e^{−λb/θ} F(b) + (λ/θ) ∫_0^b e^{−λτ/θ} F(τ) dτ, F(0) = 0, on pieces
    # [0, θr²/256], then doubling
    rate = lam / theta
    upper = b if not math.isinf(b) else (45.0 + math.sqrt(lam * r2)) / rate
    ends = 0.0 if math.isinf(b) else math.exp(-rate * b) * _at_variance(r2, s_b, potential)
    total = 0.0
    lo = 0.0
    hi = min(upper, theta * r2 / 256.0)  # e^{−θr²/(4τ)} ≤ e^{−64} below
    while lo < upper:
        total += _gauss(lo, hi, nodes, weights, r2, lam, eps2, theta, True, potential)
        lo = hi
        hi = min(upper, 2.0 * lo)
    return ends + rate * total


@numba.njit(cache=True, inline="always")
def variance(age, theta, eps2):
    """σ²(τ) = 2τ/θ + ε² of the heat kernel of age τ (τ = ∞ allowed)."""
    return math.inf if math.isinf(age) else 2.0 * age / theta + eps2


@numba.njit(cache=True, inline="always")
def psi_at(r2, a, b, s_a, s_b, theta, lam, eps2, nodes, weights):
    """ψ(r²; a, b) with σ_a², σ_b² given (a loop over pairs computes them once per slab)."""
    if lam == 0.0:
        return _psi_heat(r2, s_a, s_b)
    return _quadrature(r2, s_a, s_b, b, theta, lam, eps2, nodes, weights, False)


@numba.njit(cache=True, inline="always")
def phi_at(r2, a, b, s_a, s_b, theta, lam, eps2, nodes, weights):
    """φ(r²; a, b) with σ_a², σ_b² given."""
    if lam == 0.0:
        return _phi_heat(r2, s_a, s_b)
    if s_a == 0.0 and r2 == 0.0:
        return 0.0
    return _quadrature(r2, s_a, s_b, b, theta, lam, eps2, nodes, weights, True)


@numba.njit(cache=True)
def slab_psi(r2, a, b, theta, lam, eps2, nodes, weights):
    """ψ(r²; a, b) (see the module docstring); r² > 0, 0 ≤ a < b ≤ ∞."""
    s_a, s_b = variance(a, theta, eps2), variance(b, theta, eps2)
    return psi_at(r2, a, b, s_a, s_b, theta, lam, eps2, nodes, weights)


@numba.njit(cache=True)
def slab_phi(r2, a, b, theta, lam, eps2, nodes, weights):
    """φ(r²; a, b) = ∫_a^b (K_τ * V_ε)(r) dτ (module docstring); r² ≥ 0, 0 ≤ a < b (b = ∞ needs λ > 0)."""
    s_a, s_b = variance(a, theta, eps2), variance(b, theta, eps2)
    return phi_at(r2, a, b, s_a, s_b, theta, lam, eps2, nodes, weights)


class SlabKernel:
    """ψ(r²; a, b) and φ(r²; a, b) for the doubly parabolic system: ∫_a^b ∇(K^{θ,λ}_τ * V_ε)(x) dτ = −ψ x
    and ∫_a^b (K^{θ,λ}_τ * V_ε)(x) dτ = φ.

    Parameters
    ----------
    theta : float
        θ > 0.
    lam : float
        λ ≥ 0.
    epsilon : float or None
        Gaussian mollification scale (None or 0: the exact, singular kernel).
    """

    #: the interaction kernels whose memory (heat) analogue this is, by registered name
    interaction_kernels: ClassVar[tuple[str, ...]] = ("exact", "mollified")

    def __init__(self, theta: float, lam: float = 0.0, epsilon: float | None = None) -> None:
        self.theta = finite_number("theta", theta, 0.0, strict=True)
        self.lam = finite_number("lam", lam, 0.0)
        self.epsilon = 0.0 if epsilon is None else finite_number("epsilon", epsilon, 0.0)

    @property
    def singular(self) -> bool:
        return self.epsilon == 0.0

    def gradient_profile(self, r2: ArrayLike, a: float, b: float) -> NDArray[np.float64]:
        """ψ(r²; a, b) at every r² (> 0), 0 ≤ a < b ≤ ∞."""
        return self._profile(slab_psi, r2, a, b)

    def _profile(self, profile, r2: ArrayLike, a: float, b: float) -> NDArray[np.float64]:
        if not 0 <= a < b:
            raise ValueError(f"need 0 ≤ a < b, got a = {a}, b = {b}")
        r2 = np.asarray(r2, dtype=np.float64)
        args = (float(a), float(b), self.theta, self.lam, self.epsilon**2, _NODES, _WEIGHTS)
        return np.array([profile(float(v), *args) for v in r2.ravel()]).reshape(r2.shape)

    def gradient(self, x: ArrayLike, a: float, b: float) -> NDArray[np.float64]:
        """∫_a^b ∇(K_τ * V_ε)(x) dτ at points of shape (..., 2)."""
        x = np.asarray(x, dtype=np.float64)
        return -self.gradient_profile(np.einsum("...i,...i->...", x, x), a, b)[..., None] * x

    def potential_profile(self, r2: ArrayLike, a: float, b: float) -> NDArray[np.float64]:
        """φ(r²; a, b) = ∫_a^b (K_τ * V_ε)(r) dτ at every r² (≥ 0), 0 ≤ a < b (b = ∞ needs λ > 0)."""
        if math.isinf(b) and self.lam == 0:
            raise ValueError("the λ = 0 signal of all ages is infinite (the plane's heat kernel); give b < ∞")
        return self._profile(slab_phi, r2, a, b)

    def potential(self, x: ArrayLike, a: float, b: float) -> NDArray[np.float64]:
        """∫_a^b (K_τ * V_ε)(x) dτ at points of shape (..., 2)."""
        x = np.asarray(x, dtype=np.float64)
        return self.potential_profile(np.einsum("...i,...i->...", x, x), a, b)

    @property
    def quadrature(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Gauss–Legendre nodes and weights used for λ > 0."""
        return _NODES, _WEIGHTS

    def __repr__(self) -> str:
        return f"SlabKernel(theta={self.theta:g}, lam={self.lam:g}, epsilon={self.epsilon:g})"
