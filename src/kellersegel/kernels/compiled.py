"""Compiled (numba) radial profiles φ(r²), ψ(r²) of every interaction kernel.

The profile code and parameter layout are those of :class:`~kellersegel.kernels.interaction.CompiledSpec`.
Special functions are implemented here so that the compiled code can be cached on disk:
K_0, K_1 by their power series for x ≤ 2 and by Chebyshev series of e^x √x K_ν(x) in 2/x for
x > 2; E_1 by the series of Ein for x < 2 and a Chebyshev series of x e^x E_1(x) in 2/x beyond.
The Chebyshev coefficients are computed at import from SciPy's scaled functions; the tests
compare every function with SciPy.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy import special

from kellersegel.kernels.interaction import (
    EPS,
    EPS2,
    PANEL_WIDTH,
    SCALE,
    SQRT_LAM,
    U_NEAR,
    KernelKind,
)

__all__ = ["GRADIENT_PROFILES", "POTENTIAL_PROFILES", "bessel_k0", "bessel_k1", "exp1"]

_EULER_GAMMA = 0.5772156649015329
_TWO_PI = 2.0 * math.pi
_FOUR_PI = 4.0 * math.pi


def _chebyshev_fit_tail(g, x0: float, degree: int) -> np.ndarray:
    """Chebyshev coefficients of g(x), x ∈ [x0, ∞), in the variable t = 2 x0/x − 1."""
    k = np.arange(degree + 1)
    t = np.cos(np.pi * (k + 0.5) / (degree + 1))
    basis = np.cos(np.pi * np.outer(k, k + 0.5) / (degree + 1)) * (2.0 / (degree + 1))
    basis[0] *= 0.5
    return basis @ g(2.0 * x0 / (t + 1.0))


def _scaled_exp1(x: np.ndarray) -> np.ndarray:
    """x e^x E_1(x), by SciPy below 500 and by the asymptotic series beyond."""
    small = np.minimum(x, 500.0)
    out = small * np.exp(small) * special.exp1(small)
    big = np.maximum(x, 500.0)
    series = np.zeros_like(big)
    term = np.ones_like(big)
    for k in range(12):
        series += term
        term = term * (-(k + 1)) / big
    return np.where(x > 500.0, series, out)


_K0_TAIL = _chebyshev_fit_tail(lambda x: special.k0e(x) * np.sqrt(x), 2.0, 30)
_K1_TAIL = _chebyshev_fit_tail(lambda x: special.k1e(x) * np.sqrt(x), 2.0, 30)
_E1_TAIL = _chebyshev_fit_tail(_scaled_exp1, 2.0, 36)
# series constants for x ≤ 2 (index k = 0..19): 1/k², 1/(k(k+1)), H_k, H_k + H_{k+1} − 2γ
_K = np.arange(20, dtype=np.float64)
_INV_K2 = np.concatenate([[0.0], 1.0 / _K[1:] ** 2])
_INV_KK1 = np.concatenate([[0.0], 1.0 / (_K[1:] * (_K[1:] + 1.0))])
_HARMONIC = np.concatenate([[0.0], np.cumsum(1.0 / _K[1:])])
_HARMONIC_NEXT = np.concatenate([_HARMONIC[1:], [_HARMONIC[-1] + 1.0 / 20]])
_K1_SERIES = _HARMONIC + _HARMONIC_NEXT - 2 * 0.5772156649015329


@numba.njit(cache=True, inline="always")
def _clenshaw(coef, t):
    b1 = 0.0
    b2 = 0.0
    for j in range(coef.shape[0] - 1, 0, -1):
        b1, b2 = 2.0 * t * b1 - b2 + coef[j], b1
    return t * b1 - b2 + coef[0]


@numba.njit(cache=True)
def bessel_k0(x):
    """Modified Bessel function K_0(x), x > 0."""
    if x <= 2.0:
        q = 0.25 * x * x
        term = 1.0
        i0 = 1.0
        rest = 0.0
        for k in range(1, 20):
            term *= q * _INV_K2[k]
            i0 += term
            rest += term * _HARMONIC[k]
            if term < 1e-17 * i0:
                break
        return -(math.log(0.5 * x) + _EULER_GAMMA) * i0 + rest
    return math.exp(-x) / math.sqrt(x) * _clenshaw(_K0_TAIL, 4.0 / x - 1.0)


@numba.njit(cache=True)
def bessel_k1(x):
    """Modified Bessel function K_1(x), x > 0."""
    if x <= 2.0:
        q = 0.25 * x * x
        term = 1.0  # q^k / (k! (k+1)!)
        i1_sum = 1.0
        rest = _K1_SERIES[0]
        for k in range(1, 20):
            term *= q * _INV_KK1[k]
            i1_sum += term
            rest += term * _K1_SERIES[k]
            if term < 1e-17 * i1_sum:
                break
        i1 = 0.5 * x * i1_sum
        return 1.0 / x + math.log(0.5 * x) * i1 - 0.25 * x * rest
    return math.exp(-x) / math.sqrt(x) * _clenshaw(_K1_TAIL, 4.0 / x - 1.0)


@numba.njit(cache=True)
def _ein(x):
    """Ein(x) = Σ_{k≥1} (−1)^{k+1} x^k/(k k!) = E_1(x) + γ + log x."""
    term = 1.0
    total = 0.0
    for k in range(1, 32):
        term *= -x / k
        total -= term / k
    return total


@numba.njit(cache=True)
def exp1(x):
    """Exponential integral E_1(x), x > 0."""
    if x < 2.0:
        return _ein(x) - _EULER_GAMMA - math.log(x)
    return math.exp(-x) / x * _clenshaw(_E1_TAIL, 4.0 / x - 1.0)


@numba.njit(cache=True, inline="always")
def _table_value(table, which, u, panel_width):
    panel = min(int(u / panel_width), table.shape[1] - 1)
    t = 2.0 * (u / panel_width - panel) - 1.0
    return _clenshaw(table[which, panel], t)


# One branch-free pair of profiles per kernel kind, f(params, table, r2), so that the engines'
# inner loops can be specialised (and vectorised) per kind.
# params: read by name, params[EPS2] (the indices of interaction.PROFILE_PARAMS)


@numba.njit(cache=True, inline="always")
def _phi_exact_log(params, table, r2):
    return -math.log(r2) / _FOUR_PI


@numba.njit(cache=True, inline="always")
def _psi_exact_log(params, table, r2):
    return 1.0 / (_TWO_PI * r2)


@numba.njit(cache=True)
def _phi_exact_bessel(params, table, r2):
    return bessel_k0(params[SQRT_LAM] * math.sqrt(r2)) / _TWO_PI


@numba.njit(cache=True)
def _psi_exact_bessel(params, table, r2):
    r = math.sqrt(r2)
    return params[SQRT_LAM] * bessel_k1(params[SQRT_LAM] * r) / (_TWO_PI * r)


@numba.njit(cache=True)
def _phi_mollified_log(params, table, r2):
    u = r2 / (2.0 * params[EPS2])
    if u < 2.0:
        return -(math.log(2.0 * params[EPS2]) - _EULER_GAMMA + _ein(u)) / _FOUR_PI
    return -(math.log(r2) + exp1(u)) / _FOUR_PI


@numba.njit(cache=True, inline="always")
def _psi_mollified_log(params, table, r2):
    if r2 == 0.0:
        return 1.0 / (_FOUR_PI * params[EPS2])
    return -math.expm1(-r2 / (2.0 * params[EPS2])) / (_TWO_PI * r2)


@numba.njit(cache=True)
def _phi_mollified_bessel(params, table, r2):
    u = r2 / (2.0 * params[EPS2])
    if u < params[U_NEAR]:
        return params[SCALE] * _table_value(table, 0, u, params[PANEL_WIDTH]) / _FOUR_PI
    return params[SCALE] * bessel_k0(params[SQRT_LAM] * math.sqrt(r2)) / _TWO_PI


@numba.njit(cache=True)
def _psi_mollified_bessel(params, table, r2):
    u = r2 / (2.0 * params[EPS2])
    if u < params[U_NEAR]:
        return params[SCALE] * _table_value(table, 1, u, params[PANEL_WIDTH]) / (_FOUR_PI * params[EPS2])
    r = math.sqrt(r2)
    return params[SCALE] * params[SQRT_LAM] * bessel_k1(params[SQRT_LAM] * r) / (_TWO_PI * r)


@numba.njit(cache=True, inline="always")
def _phi_cutoff_log(params, table, r2):
    if r2 >= params[EPS2]:
        return -math.log(r2) / _FOUR_PI
    return -(math.log(params[EPS2]) + r2 / params[EPS2] - 1.0) / _FOUR_PI


@numba.njit(cache=True, inline="always")
def _psi_cutoff_log(params, table, r2):
    return 1.0 / (_TWO_PI * max(r2, params[EPS2]))


@numba.njit(cache=True)
def _phi_cutoff_bessel(params, table, r2):
    if r2 >= params[EPS2]:
        return bessel_k0(params[SQRT_LAM] * math.sqrt(r2)) / _TWO_PI
    eps = params[EPS]
    psi_eps = params[SQRT_LAM] * bessel_k1(params[SQRT_LAM] * eps) / (_TWO_PI * eps)
    return bessel_k0(params[SQRT_LAM] * eps) / _TWO_PI + 0.5 * psi_eps * (params[EPS2] - r2)


@numba.njit(cache=True)
def _psi_cutoff_bessel(params, table, r2):
    rho = math.sqrt(max(r2, params[EPS2]))
    return params[SQRT_LAM] * bessel_k1(params[SQRT_LAM] * rho) / (_TWO_PI * rho)


#: φ(params, table, r²) by kernel kind
POTENTIAL_PROFILES = {
    KernelKind.EXACT_LOG: _phi_exact_log,
    KernelKind.EXACT_BESSEL: _phi_exact_bessel,
    KernelKind.MOLLIFIED_LOG: _phi_mollified_log,
    KernelKind.MOLLIFIED_BESSEL: _phi_mollified_bessel,
    KernelKind.CUTOFF_LOG: _phi_cutoff_log,
    KernelKind.CUTOFF_BESSEL: _phi_cutoff_bessel,
}
#: ψ(params, table, r²) by kernel kind, ∇K(x) = −ψ(|x|²) x
GRADIENT_PROFILES = {
    KernelKind.EXACT_LOG: _psi_exact_log,
    KernelKind.EXACT_BESSEL: _psi_exact_bessel,
    KernelKind.MOLLIFIED_LOG: _psi_mollified_log,
    KernelKind.MOLLIFIED_BESSEL: _psi_mollified_bessel,
    KernelKind.CUTOFF_LOG: _psi_cutoff_log,
    KernelKind.CUTOFF_BESSEL: _psi_cutoff_bessel,
}
