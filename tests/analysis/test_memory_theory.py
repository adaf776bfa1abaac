"""The θ > 0 theory: the key functional inequality and the reconstructed threshold χ*_{θ,p}."""

import math

import numpy as np
import pytest
from scipy import integrate

from kellersegel.analysis.memory_theory import kappa, memory_threshold, pair_bound_constant, threshold_at


def _integral(f, t, power):
    """∫_0^t (s + f(s))^{−power} ds on a grid fine enough for the step functions below."""
    s = np.linspace(0.0, t, 200_001)
    return integrate.trapezoid((s + f(s)) ** -power, s)


def test_the_functional_inequality_holds_for_random_functions(rng):
    """200 random f ≥ 0 (steps of random heights on random pieces, floored at 1e-3), random
    0 < a < b and t: the left side never exceeds κ(a, b) times the right; with κ replaced by 0.9κ
    a few of them would already fail for f = (ε − s)₊, below."""
    worst = 0.0
    for _ in range(200):
        a = rng.uniform(0.05, 1.5)
        b = a + rng.uniform(0.05, 1.5)
        t = rng.uniform(0.1, 3.0)
        cuts = np.sort(rng.uniform(0, t, 6))
        heights = 1e-3 + rng.exponential(0.3, 7)

        def f(s, cuts=cuts, heights=heights):
            return heights[np.searchsorted(cuts, s)]

        ratio = _integral(f, t, 1 + a) / _integral(f, t, 1 + b) ** (a / b)
        worst = max(worst, ratio / kappa(a, b))
    assert worst <= 1.0


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.8), (0.1, 0.75), (1.0, 3.0)])
def test_the_constant_is_reached_along_a_shrinking_ramp(a, b):
    """f(s) = (ε − s)₊: s + f(s) = max(ε, s), both integrals in closed form; the ratio rises to
    κ(a, b) as ε → 0 and stays below it."""
    t = 1.0
    ratios = []
    for eps in (1e-2, 1e-8, 1e-80):
        left = eps**-a + (eps**-a - t**-a) / a
        right = eps**-b + (eps**-b - t**-b) / b
        ratios.append(left / right ** (a / b))
    assert ratios[0] < ratios[1] <= ratios[2] <= kappa(a, b) * (1 + 1e-12)
    assert ratios[2] == pytest.approx(kappa(a, b), rel=1e-3)


def test_kappa_in_closed_form_and_its_domain():
    assert kappa(0.5, 1.0) == pytest.approx(3.0 * math.sqrt(0.5))
    with pytest.raises(ValueError, match="0 < a < b"):
        kappa(1.0, 0.5)


@pytest.mark.parametrize(("theta", "beta"), [(1.0, 0.05), (1e-3, 1e-4), (10.0, 0.2), (1e10, 0.07)])
def test_the_pair_bound_constant_is_the_supremum(theta, beta):
    """A_θ(β) from the root of θβu² − (8β − θ)u − 2 = 0 against the supremum on a fine grid, and
    |∇g^θ_t(x)| ≤ A (t + β|x|²)^{−3/2} at random (t, x) (|x|²/t log-uniform), equality nearly reached."""
    u = np.geomspace(1e-6, 1e6, 400_001) / theta  # θu/4 from 0 to far in the tail
    grid = theta / (8 * math.pi) * np.max(np.sqrt(u) * (1 + beta * u) ** 1.5 * np.exp(-theta * u / 4))
    assert pair_bound_constant(theta, beta) == pytest.approx(grid, rel=1e-8)
    rng = np.random.default_rng(1)
    t = rng.uniform(0.01, 2.0, 4000)
    r = np.sqrt(t * np.exp(rng.uniform(math.log(1e-4), math.log(1e6), 4000)) / theta)  # |x|² = u t
    gradient = theta / (8 * math.pi * t**2) * np.exp(-theta * r**2 / (4 * t)) * r
    ratio = gradient * (t + beta * r**2) ** 1.5 / pair_bound_constant(theta, beta)
    assert ratio.max() <= 1 + 1e-12 and ratio.max() > 0.9


def test_the_reconstructed_threshold_gives_the_published_values():
    """The talk's values: 3.28 at θ = 10⁻⁵, 1.39 at θ = 1, ≈ 1.65/√θ for large θ (the
    reconstruction: 3.276, 1.397, 1.675), and 2πe/(3√3) as θ → 0."""
    assert memory_threshold(1e-5) == pytest.approx(3.276, abs=1e-3)
    assert memory_threshold(1.0) == pytest.approx(1.397, abs=1e-3)
    assert math.sqrt(1e5) * memory_threshold(1e5) == pytest.approx(1.675, abs=1e-3)
    assert math.sqrt(1e10) * memory_threshold(1e10) == pytest.approx(1.675, abs=1e-3)
    assert memory_threshold(1e-10) == pytest.approx(2 * math.pi * math.e / (3 * math.sqrt(3)), abs=2e-3)


def test_the_threshold_is_the_best_point_and_less_integrability_can_lower_it():
    theta = 1.0
    best = memory_threshold(theta)
    rng = np.random.default_rng(2)
    for _ in range(200):
        gamma = rng.uniform(1.5, 2.0)
        beta = math.exp(rng.uniform(-10, math.log(1 / (4 * (gamma - 1)))))
        assert threshold_at(theta, gamma, beta) <= best * (1 + 1e-9)
    assert threshold_at(theta, 1.4, 0.01) == 0.0 and threshold_at(theta, 2.1, 0.01) == 0.0
    edge = 1 / (4 * (1.7 - 1))  # c₁ = (γ−1)(1 − 4β(γ−1)) > 0 iff β < edge
    assert threshold_at(theta, 1.7, 0.99 * edge) > 0 and threshold_at(theta, 1.7, 1.01 * edge) == 0.0
    # c0 ∈ L^p binds only when γ_p = (2p+2)/(p+2) is below the best γ (1.61 at θ = 1): p = 2.5
    # (γ_p = 1.556) lowers the threshold, p = 4 (γ_p = 1.667) does not
    assert memory_threshold(theta, p=2.5) == pytest.approx(1.2759, abs=1e-3)
    assert memory_threshold(theta, p=4.0) == pytest.approx(best, rel=1e-9)
    with pytest.raises(ValueError, match="p must be > 2"):
        memory_threshold(theta, p=2.0)
