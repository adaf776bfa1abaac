"""Distance estimators on cases with known answers: shifts, Gaussians, samples of the density itself."""

import math

import numpy as np
import pytest

from kellersegel.analysis import (
    binned_kde,
    density_moments,
    density_support,
    fit_rate,
    l1_distance,
    relative_entropy,
    wasserstein,
)
from kellersegel.pde import Grid2D


def gaussian(grid: Grid2D, mean, sd: float) -> np.ndarray:
    """Exact cell averages of N(mean, sd² I)."""
    from scipy.special import erf

    def axis(centres, m):
        lo, hi = (
            (centres - grid.h / 2 - m) / (sd * math.sqrt(2)),
            (centres + grid.h / 2 - m) / (sd * math.sqrt(2)),
        )
        return 0.5 * (erf(hi) - erf(lo))

    return np.outer(axis(grid.x, mean[0]), axis(grid.y, mean[1])) / grid.h**2


@pytest.mark.parametrize("p", [1, 2])
def test_exact_distance_of_a_shifted_cloud_is_the_shift(rng, p):
    """W_p(μ_N, μ_N shifted by m) = |m| exactly (the shift is optimal, by duality with x·m/|m|)."""
    x = rng.normal(size=(400, 2))
    shift = np.array([0.3, -0.4])
    result = wasserstein(x, x + shift, p=p, method="exact")
    assert result.method == "exact"
    assert result.value == pytest.approx(0.5, rel=1e-9)


def test_sliced_distance_of_a_shift_is_the_shift_over_root_two(rng):
    """SW_2² = E_θ (θ·m)² = |m|²/2; 512 directions: relative s.e. of SW_2 ≈ 0.354/(2·0.5·√512) = 1.6 %."""
    x = rng.normal(size=(3000, 2))
    result = wasserstein(x, x + np.array([0.6, 0.8]), method="sliced", projections=512, seed=3)
    assert result.method == "sliced" and result.projections == 512
    assert result.value == pytest.approx(1 / math.sqrt(2), rel=4 * 0.016)


def test_w2_between_two_gaussian_densities_matches_the_closed_form():
    """W_2² (N(m1, s1² I), N(m2, s2² I)) = |m1 − m2|² + 2 (s1 − s2)², from grid supports."""
    grid = Grid2D(n=128, half_width=6.0)
    a = density_support(gaussian(grid, (0.0, 0.0), 1.0), grid, max_points=4096)
    b = density_support(gaussian(grid, (0.5, 0.3), 0.7), grid, max_points=4096)
    assert len(a[0]) == 4096 and a[1].sum() == pytest.approx(1.0, abs=1e-6)  # 2 × 2 blocks
    w2 = wasserstein(a[0], b[0], x_weights=a[1], y_weights=b[1], method="exact").value
    exact = math.sqrt(0.5**2 + 0.3**2 + 2 * 0.3**2)
    assert w2 == pytest.approx(exact, abs=0.015)  # measured 0.0087 off with blocks of width 0.19
    coarse = density_support(gaussian(grid, (0.0, 0.0), 1.0), grid, max_points=4095)
    assert len(coarse[0]) == 1024  # 4 × 4 blocks


def test_relative_entropy_of_two_gaussians_matches_the_closed_form():
    """H = log(s2²/s1²) + (2 s1² + |m1 − m2|²)/(2 s2²) − 1 in two dimensions."""
    grid = Grid2D(n=256, half_width=8.0)
    p, q = gaussian(grid, (0.0, 0.0), 1.0), gaussian(grid, (0.5, 0.3), 1.5)
    exact = math.log(1.5**2) + (2 + 0.34) / (2 * 1.5**2) - 1
    assert relative_entropy(p, q, grid) == pytest.approx(exact, rel=1e-3)
    assert relative_entropy(p, p, grid) == pytest.approx(0.0, abs=1e-12)
    assert relative_entropy(p, np.where(grid.points[..., 0] > 0, q, 0.0), grid) == math.inf


def test_density_moments_of_a_gaussian():
    grid = Grid2D(n=128, half_width=8.0)
    m = density_moments(2.0 * gaussian(grid, (0.5, -0.2), 1.2), grid)
    assert m["mass"] == pytest.approx(2.0, rel=1e-9)
    np.testing.assert_allclose(m["mean"], [0.5, -0.2], atol=1e-9)
    np.testing.assert_allclose(m["covariance"], 1.44 * np.eye(2), atol=grid.h**2 / 6)
    assert m["second_moment"] == pytest.approx(2 * 1.44 + 0.29, abs=grid.h**2 / 3)


def test_kde_of_samples_of_the_density_converges_at_the_kde_rate():
    """L1(KDE with Scott's bandwidth, ρ) ∝ N^−1/3 in two dimensions (bias² ∼ variance ∼ h⁴ ∼ 1/(N h²)).

    N = 500 … 128 000, 4 replicas each: the fitted rate lies within ±0.05 of 1/3 (its bootstrap
    interval is about ±0.02 wide).
    """
    grid = Grid2D(n=256, half_width=6.0)
    rho = gaussian(grid, (0.0, 0.0), 1.0)
    sizes = np.array([500, 2000, 8000, 32000, 128000])
    errors = np.empty((len(sizes), 4))
    for i, n in enumerate(sizes):
        for r in range(4):
            points = np.random.default_rng([r, int(n)]).normal(size=(n, 2))
            errors[i, r] = l1_distance(binned_kde(points, grid), rho, grid)
    fit = fit_rate(sizes, errors)
    assert abs(fit.rate - 1 / 3) < 0.05


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        wasserstein(np.zeros((2, 2)), np.zeros((2, 2)), p=3)
    with pytest.raises(ValueError, match="shape"):
        wasserstein(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="non-negative"):
        wasserstein(np.zeros((2, 2)), np.zeros((2, 2)), x_weights=np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="method"):
        wasserstein(np.zeros((2, 2)), np.zeros((2, 2)), method="fast")


def test_auto_transport_is_exact_for_small_sets_and_sliced_for_large():
    rng = np.random.default_rng(8)
    small = wasserstein(rng.normal(size=(30, 2)), rng.normal(size=(40, 2)))
    large = wasserstein(rng.normal(size=(4000, 2)), rng.normal(size=(4000, 2)), projections=16)
    assert small.method == "exact" and large.method == "sliced"


def test_moments_of_a_correlated_gaussian_and_entropy_of_unnormalised_densities():
    grid = Grid2D(n=128, half_width=6.0)
    x, y = np.moveaxis(grid.points, -1, 0)
    cov = np.array([[1.0, 0.6], [0.6, 0.8]])
    inv = np.linalg.inv(cov)
    d = np.stack([x - 0.5, y + 0.3], axis=-1)
    rho = (
        2.0
        * np.exp(-0.5 * np.einsum("...i,ij,...j->...", d, inv, d))
        / (2 * np.pi * np.sqrt(np.linalg.det(cov)))
    )
    moments = density_moments(rho, grid)
    np.testing.assert_allclose(moments["covariance"], cov, atol=2e-3)
    # the same shape with another mass: relative entropy 0 (both are normalised first)
    assert relative_entropy(rho, 3.0 * rho, grid) == pytest.approx(0.0, abs=1e-12)


def test_coarse_support_of_a_grid_whose_size_is_not_a_power_of_the_block():
    grid = Grid2D(n=30, half_width=3.0)
    rho = np.exp(-0.5 * np.sum(grid.points**2, axis=-1)) / (2 * np.pi)
    points, masses = density_support(rho, grid, max_points=100)
    assert len(points) <= 100 and masses.sum() == pytest.approx(grid.integrate(rho), rel=1e-12)
    np.testing.assert_allclose(masses @ points / masses.sum(), [0.0, 0.0], atol=1e-12)


def test_weights_are_masses_up_to_a_factor():
    """Weights are normalised: three times the masses give the same distance, by either method
    (POT's sliced distance takes the weights as they are)."""
    from kellersegel.analysis import wasserstein

    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((40, 2)), rng.standard_normal((30, 2)) + 0.5
    w = rng.uniform(0.5, 1.5, 30)
    for method in ("exact", "sliced"):
        one = wasserstein(x, y, p=2, y_weights=w / w.sum(), method=method, projections=50).value
        three = wasserstein(x, y, p=2, y_weights=3 * w / w.sum(), method=method, projections=50).value
        assert three == pytest.approx(one, rel=1e-12)


def test_point_sets_and_weights_are_checked_one_condition_at_a_time():
    one = np.zeros((1, 2))
    assert wasserstein(one, one + [0.3, 0.4], method="exact").value == pytest.approx(0.5, rel=1e-12)
    for x, message in [(np.zeros((3, 3)), "shape"), (np.zeros((0, 2)), "n ≥ 1"), (np.zeros(4), "shape")]:
        with pytest.raises(ValueError, match=message):
            wasserstein(x, np.zeros((2, 2)))
    for w in (np.ones(3), np.array([2.0, -1.0])):  # wrong length; a negative entry, positive sum
        with pytest.raises(ValueError, match="non-negative masses"):
            wasserstein(np.zeros((2, 2)), np.ones((2, 2)), x_weights=w)
    exact = wasserstein(np.zeros((2, 2)), np.ones((2, 2)), x_weights=np.array([2.0, 6.0]), method="exact")
    assert exact.projections == 0 and exact.value == pytest.approx(math.sqrt(2), rel=1e-12)


def test_support_without_a_cap_is_every_cell_and_a_cap_coarsens_odd_grids():
    """No cap: every cell with mass, at its centre. A 45-cell grid coarsened by blocks of 4 or 8
    (45 is neither's multiple) keeps the mass and the centre of mass."""
    grid = Grid2D(n=45, half_width=3.0)
    rho = np.exp(-0.5 * np.sum((grid.points - [0.3, -0.2]) ** 2, axis=-1)) / (2 * np.pi)
    points, masses = density_support(rho, grid)
    assert len(points) == 45**2
    np.testing.assert_allclose(points, grid.points.reshape(-1, 2), atol=1e-12)
    for cap in (200, 40):
        points, masses = density_support(rho, grid, max_points=cap)
        assert len(points) <= cap and masses.sum() == pytest.approx(grid.integrate(rho), rel=1e-12)
        np.testing.assert_allclose(
            masses @ points, rho.ravel() * grid.h**2 @ grid.points.reshape(-1, 2), atol=1e-12
        )


def test_sliced_distances_are_pots_with_its_directions():
    """The compiled merge gives POT's sliced W_1 and W_2 (same random directions) for uniform and
    weighted sets, ties and one point; W_2 ≥ W_1 on every direction, so on their means too."""
    import ot

    from kellersegel.analysis.distances import wasserstein_distances

    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((700, 2)), 0.7 * rng.standard_normal((300, 2)) + [0.4, -0.2]
    a, b = rng.uniform(0.1, 2.0, 700), rng.uniform(0.1, 2.0, 300)
    ties = np.round(x[:50], 1)
    cases = [(x, y, None, None), (x, y, a, b), (ties, ties[::-1] + 0.1, None, a[:50]), (x[:1], y, None, b)]
    for u, v, wu, wv in cases:
        weights = {"x_weights": wu, "y_weights": wv}
        w1, w2 = wasserstein_distances(u, v, method="sliced", projections=64, seed=5, **weights)
        for found, p in ((w1, 1), (w2, 2)):
            a_ = None if wu is None else wu / wu.sum()
            b_ = None if wv is None else wv / wv.sum()
            expected = ot.sliced_wasserstein_distance(u, v, a_, b_, n_projections=64, p=p, seed=5)
            assert found.value == pytest.approx(expected, rel=1e-12) and found.p == p
        assert w2.value >= w1.value
