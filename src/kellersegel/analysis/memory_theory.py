"""What the theory says of the singular doubly parabolic particle system (θ > 0, λ = 0).

The particles X^i_t = X^i_0 + √2 W^i_t + χ ∫_0^t ∇ĉ_s(X^i_s) ds
+ (χ/(N−1)) Σ_{j≠i} ∫_0^t ∫_0^s ∇K_{s−u}(X^i_s − X^j_u) du ds, ∇K_t(x) = −θ/(8πt²) e^{−θ|x|²/(4t)} x,
exist and their empirical measures are tight, with limit points solving the mean-field martingale
problem, when χ < χ*_{θ,p} (mass 1; c0 ∈ L^p, p > 2). The proof controls the path-dependent pair
interaction D^{1,2}_s = ∫_0^s ∇K_{s−u}(X^1_s − X^2_u) du through E ∫|D^{1,2}|^{2(γ−1)} ≤
C E ∫|X^1 − X^2|^{−2(γ−1)} (γ ∈ (3/2, 2)), with three ingredients: a time–space Itô formula,
F(t, x) = −(t + β|x|²)^{1−γ}, and the functional inequality of :func:`kappa`.

:func:`memory_threshold` is a *reconstruction* of χ*_{θ,p} (the published threshold is stated by
its values only: 1.39 at θ = 1, 3.28 at θ = 10⁻⁵, ≈ 1.65/√θ as θ → ∞): taking the best constant
at each step of that proof, with S = t + β|x|²,

- |∇g_t(x)| ≤ A_θ(β) S^{−3/2}, A_θ(β) = (θ/8π) sup_{u>0} √u (1+βu)^{3/2} e^{−θu/4}
  (|x|² = ut; the supremum in closed form: θβu² − (8β − θ)u − 2 = 0);
- ∂_tF + ΔF ≥ c₁ S^{−γ}, c₁ = (γ−1)(1 − 4β(γ−1)) (β < 1/(4(γ−1))), since
  ΔF = 4β(γ−1)S^{−γ}(1 − γβ|x|²/S); |∇F| ≤ c₂ S^{1/2−γ}, c₂ = 2(γ−1)√β;
- κ₁ = κ(½, γ−1), κ₂ = κ(γ − 3/2, γ − 1), α = 4 − 2γ;

χ*_{θ,p} is the supremum over γ ∈ (3/2, γ_p) and β of the largest χ with χ c₂ A κ₁ κ₂ < c₁ and
(χ A κ₁)^{2γ−2} β^{1−γ} < α^{2γ−2}(c₁ − χ c₂ A κ₁ κ₂), γ_p = (2p+2)/(p+2) (p = ∞ or c0 ≡ 0:
γ_p = 2; this p-dependence is a hypothesis of the reconstruction). It gives 3.276 at θ = 10⁻⁵,
1.397 at θ = 1, √θ χ* → 1.675 as θ → ∞ and 2πe/(3√3) as θ → 0.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

__all__ = ["kappa", "memory_threshold", "pair_bound_constant", "threshold_at"]


def kappa(a: float, b: float) -> float:
    """κ(a, b) = ((a+1)/a) (b/(b+1))^{a/b}, 0 < a < b: the optimal constant of

        ∫_0^t (s + f(s))^{−1−a} ds ≤ κ(a, b) (∫_0^t (s + f(s))^{−1−b} ds)^{a/b}

    for every measurable f ≥ 0 and t > 0 (approached by f(s) = (ε − s)₊ as ε → 0)."""
    if not 0 < a < b:
        raise ValueError(f"need 0 < a < b, got a = {a}, b = {b}")
    return (a + 1) / a * (b / (b + 1)) ** (a / b)


def pair_bound_constant(theta: float, beta: float) -> float:
    """A_θ(β) = (θ/8π) sup_{u>0} √u (1+βu)^{3/2} e^{−θu/4}: |∇g^θ_t(x)| ≤ A (t + β|x|²)^{−3/2}."""
    q = 8.0 * beta - theta
    root = math.sqrt(q * q + 8.0 * theta * beta)
    # the positive root of θβu² − qu − 2 = 0, in the form without cancellation
    u = (q + root) / (2.0 * theta * beta) if q > 0 else 4.0 / (root - q)
    return theta / (8.0 * math.pi) * math.sqrt(u) * (1.0 + beta * u) ** 1.5 * math.exp(-theta * u / 4.0)


def threshold_at(theta: float, gamma: float, beta: float) -> float:
    """The largest χ the reconstructed proof allows at (γ, β) (module notes); 0 outside the range."""
    if not (1.5 < gamma < 2.0 and 0.0 < beta < 1.0 / (4.0 * (gamma - 1.0))):
        return 0.0
    a = pair_bound_constant(theta, beta)
    c1 = (gamma - 1.0) * (1.0 - 4.0 * beta * (gamma - 1.0))
    c2 = 2.0 * (gamma - 1.0) * math.sqrt(beta)
    k1, k2 = kappa(0.5, gamma - 1.0), kappa(gamma - 1.5, gamma - 1.0)
    alpha = 4.0 - 2.0 * gamma
    top = c1 / (c2 * a * k1 * k2)  # the first condition is χ < top

    def excess(chi: float) -> float:  # the second condition is excess(χ) < 0; it grows with χ
        return (chi * a * k1) ** (2 * gamma - 2) * beta ** (1 - gamma) - alpha ** (2 * gamma - 2) * (
            c1 - chi * c2 * a * k1 * k2
        )

    # excess < 0 at χ → 0 (c₁ > 0) and > 0 at top: the root lies between (and below top, so the
    # first condition holds there too)
    return optimize.brentq(excess, top * 1e-12, top, xtol=1e-15, rtol=1e-13)


def memory_threshold(theta: float, p: float = math.inf) -> float:
    """χ*_{θ,p} as reconstructed (module notes): sup over γ ∈ (3/2, γ_p), β of :func:`threshold_at`.

    A grid of 60 × 60 (γ, log β), then Nelder–Mead from its best point.
    """
    if not theta > 0:
        raise ValueError(f"theta must be > 0, got {theta}")
    if not p > 2:
        raise ValueError(f"p must be > 2 (c0 ∈ L^p), got {p}")
    gamma_p = 2.0 if math.isinf(p) else (2 * p + 2) / (p + 2)
    best, start = 0.0, None
    for gamma in np.linspace(1.5, gamma_p, 62)[1:-1]:
        for log_beta in np.linspace(-20.0, math.log(1.0 / (4.0 * (gamma - 1.0))), 62)[:-1]:
            value = threshold_at(theta, gamma, math.exp(log_beta))
            if value > best:
                best, start = value, (gamma, log_beta)

    def negative(z):
        return -threshold_at(theta, min(z[0], gamma_p - 1e-12), math.exp(z[1]))

    found = optimize.minimize(negative, start, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-13})
    return max(best, -float(found.fun))
