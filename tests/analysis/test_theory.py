"""Theory utilities: collision dimensions, thresholds, virial time, Bessel dimension estimator."""

import math

import numpy as np
import pytest

from kellersegel.analysis import (
    collision_dimension,
    critical_mass,
    fit_bessel_dimension,
    global_existence_threshold,
    smallest_exploding_cluster,
    virial_blowup_time,
)
from kellersegel.models import ClassicalModel


def test_collision_dimensions():
    # a pair is a Bessel process of dimension 2 − χM/(2πN)
    assert collision_dimension(2, 10, 3.0, mass=2.0) == pytest.approx(2 - 3.0 * 2 / (2 * math.pi * 10))
    # the whole system: (N−1)(2 − χM/(4π)), zero at the critical mass 8π/χ
    assert collision_dimension(7, 7, 8 * math.pi) == pytest.approx(0.0)
    n, chi = 20, 45 * math.pi
    k = smallest_exploding_cluster(n, chi)
    assert k == 4 and collision_dimension(4, n, chi) <= 0 < collision_dimension(3, n, chi)
    assert smallest_exploding_cluster(20, 6 * math.pi) is None  # 8πN/χ > N
    with pytest.raises(ValueError):
        collision_dimension(1, 5, 1.0)


def test_thresholds_and_virial_time():
    assert global_existence_threshold(2) == 0.0
    assert global_existence_threshold(10**9) == pytest.approx(8 * math.pi)
    assert critical_mass(8 * math.pi) == 1.0
    model = ClassicalModel(chi=12 * math.pi, mass=1.5)
    m2 = 0.8
    t_star = virial_blowup_time(m2, model.chi, model.mass)
    # m₂(t) = m₂(0) + M·slope·t reaches 0 at T*
    assert m2 + model.mass * model.virial_slope() * t_star == pytest.approx(0.0, abs=1e-12)
    assert virial_blowup_time(m2, 4 * math.pi, 1.0) == math.inf


def test_bessel_dimension_estimator_on_exact_samples():
    """Hitting times drawn from the exact law: the estimate lies within 4 standard errors."""
    rng = np.random.default_rng(3)
    for delta in (0.4, 1.0, 1.6):
        t = 0.25**2 / (2 * rng.gamma(1 - delta / 2, size=400))
        t[t > 1.0] = np.nan  # censored at t_max = 1
        estimate, se = fit_bessel_dimension(t, start=0.25, t_max=1.0)
        assert 0 < se < 0.3
        assert abs(estimate - delta) < 4 * se


def test_thresholds_with_a_mass_and_at_their_edges():
    """χ enters as χM everywhere: the same cluster size for (χ, M) and (χM, 1), k = 2 when even a
    pair explodes, and the ceiling of 8πN/(χM) decides (39 particles at χ = 80π: 3.9 → 4)."""
    assert smallest_exploding_cluster(20, 45 * math.pi / 2, mass=2.0) == 4
    assert smallest_exploding_cluster(10, 50 * math.pi) == 2
    assert smallest_exploding_cluster(39, 80 * math.pi) == 4
    assert global_existence_threshold(10, mass=2.0) == pytest.approx(4 * math.pi * 8 / 9)
    # a slope just below zero: rate χM²/(2π) − 4M = 0.5, T* = m₂/0.5
    assert virial_blowup_time(0.8, 9 * math.pi, 1.0) == pytest.approx(1.6)


def test_bessel_estimator_with_a_short_window_and_two_hits():
    rng = np.random.default_rng(5)
    t = 0.25**2 / (2 * rng.gamma(1 - 0.8 / 2, size=400))
    t[t > 0.05] = np.nan  # censored at t_max = 0.05: most runs
    estimate, se = fit_bessel_dimension(t, start=0.25, t_max=0.05)
    assert abs(estimate - 0.8) < 4 * se
    fit_bessel_dimension([0.01, 0.02, np.nan], start=0.25, t_max=0.05)  # two hits suffice
    with pytest.raises(ValueError, match="two hitting times"):
        fit_bessel_dimension([0.01, np.nan], start=0.25, t_max=0.05)


def test_bessel_estimator_standard_error_is_the_fisher_information_and_censoring_by_value():
    """Without censoring, G = x²/(2T) ~ Gamma(a, 1) and the observed information of a is n ψ′(â):
    se(δ) = 2/√(n ψ′(â)). Runs censored by a time beyond t_max count like runs marked NaN."""
    from scipy import special

    rng = np.random.default_rng(11)
    for delta in (1.95, -3.0, 0.6):  # a = 0.025 (steep ψ′), 2.5, 0.7
        t = 0.25**2 / (2 * rng.gamma(1 - delta / 2, size=500))  # up to 1e100 at δ = 1.95
        estimate, se = fit_bessel_dimension(t, start=0.25, t_max=math.inf)
        a = 1 - estimate / 2
        assert se == pytest.approx(2 / math.sqrt(500 * special.polygamma(1, a)), rel=1e-4)
        assert abs(estimate - delta) < 4 * se
    censored = np.where(t > 0.5, np.nan, t)
    by_value = np.where(t > 0.5, 0.5 + t, t)  # ended after t_max = 0.5: not a hit
    assert fit_bessel_dimension(by_value, 0.25, 0.5) == pytest.approx(
        fit_bessel_dimension(censored, 0.25, 0.5)
    )


def test_a_cluster_with_dimension_exactly_zero_is_the_smallest_exploding_one():
    """8πN/(χM) = 5 exactly (N = 10, χ = 16π): δ_5 = 0, so k = 5 explodes (δ ≤ 0), not 6."""
    assert collision_dimension(5, 10, 16 * math.pi) == pytest.approx(0.0, abs=1e-12)
    assert smallest_exploding_cluster(10, 16 * math.pi) == 5
    assert smallest_exploding_cluster(30, 16 * math.pi, mass=3.0) == 5


def test_bessel_estimator_reaches_dimensions_at_and_below_zero():
    """Every δ < 2 hits 0 at x²/(2G), G ~ Gamma(1 − δ/2): the estimator covers δ ≤ 0 (an exploding
    cluster) as well; with two hits of a strongly negative δ its information n ψ′(a) is below 1 and
    the standard error is still finite."""
    from scipy import special

    rng = np.random.default_rng(7)
    for delta in (-0.5, -3.0):
        t = 0.25**2 / (2 * rng.gamma(1 - delta / 2, size=400))
        estimate, se = fit_bessel_dimension(t, start=0.25, t_max=1e12)
        assert abs(estimate - delta) < 4 * se and 0 < se < 0.5
    t = 0.25**2 / (2 * np.array([2.6, 3.4]))  # two hits, G ≈ 3: a ≈ 3, 2 ψ′(3) ≈ 0.79
    estimate, se = fit_bessel_dimension(t, start=0.25, t_max=1e12)
    assert estimate < -3 and se == pytest.approx(
        2 / math.sqrt(2 * special.polygamma(1, 1 - estimate / 2)), rel=1e-3
    )


@pytest.mark.parametrize(
    ("n", "chi"), [(20, 45 * math.pi), (10_000, 50.0), (50, 4 * math.pi), (20, 40 * math.pi), (7, 300.0)]
)
def test_collision_sizes_are_the_runs_of_k_by_delta_k(n, chi):
    """Every k from 2 to N, one by one, against the runs (δ_k = 0 counts as exploding)."""
    from kellersegel.analysis.theory import collision_sizes

    sizes = collision_sizes(n, chi)
    members = {name: {k for a, b in runs for k in range(a, b + 1)} for name, runs in sizes.items()}
    for k in range(2, n + 1):
        delta = collision_dimension(k, n, chi)
        assert (k in members["collide"]) == (delta < 2), k
        assert (k in members["left"]) == (1e-12 < delta < 2), k
        assert (k in members["explode"]) == (delta <= 1e-12), k
    assert all(len(runs) <= 2 for runs in sizes.values())  # δ_k is concave in k
    k_star = smallest_exploding_cluster(n, chi)
    assert sizes["explode"] == ([(k_star, n)] if k_star else [])
