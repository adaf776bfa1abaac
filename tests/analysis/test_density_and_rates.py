"""KDE on a grid and rate fits: checks with known answers."""

import numpy as np
import pytest

from kellersegel.analysis import binned_kde, fit_rate, l1_distance, scott_bandwidth
from kellersegel.initial.laws import GaussianData
from kellersegel.pde import Grid2D


def test_kde_of_samples_from_a_gaussian_converges_at_the_kde_rate(rng):
    # L1 error of a KDE with Scott's bandwidth falls like N^{−1/3} in 2-D (variance N^{−2/3}·h^{−2}…
    # balanced with the bias h² ∝ N^{−1/3}); the fitted rate must be near 1/3 and the L1 small
    grid = Grid2D(n=160, half_width=6.0)
    exact = grid.cell_averages(GaussianData(1.0))
    sizes = np.array([1000, 4000, 16000, 64000])
    errors = np.array(
        [
            [l1_distance(binned_kde(rng.standard_normal((n, 2)), grid), exact, grid) for _ in range(6)]
            for n in sizes
        ]
    )
    fit = fit_rate(sizes, errors, seed=1)
    assert 0.25 < fit.rate < 0.45 and fit.low < fit.rate < fit.high
    assert errors[-1].mean() < 0.05


def test_kde_keeps_the_mass_and_the_bandwidth_rule(rng):
    grid = Grid2D(n=64, half_width=6.0)
    x = 0.5 * rng.standard_normal((5000, 2))
    assert grid.integrate(binned_kde(x, grid, mass=3.0)) == pytest.approx(3.0, rel=1e-9)
    assert scott_bandwidth(x) == pytest.approx(0.5 * 5000 ** (-1 / 6), rel=0.05)
    with pytest.raises(ValueError, match="bandwidth"):
        binned_kde(x, grid, bandwidth=0.0)


def test_rate_fit_recovers_a_known_power_law(rng):
    sizes = np.array([100, 400, 1600, 6400])
    errors = 3.0 * sizes[:, None] ** -0.5 * np.exp(0.05 * rng.standard_normal((4, 16)))
    fit = fit_rate(sizes, errors)
    assert abs(fit.rate - 0.5) < 0.02 and fit.low < 0.5 < fit.high
    assert fit.constant == pytest.approx(3.0, rel=0.1)
    with pytest.raises(ValueError, match="two distinct sizes"):
        fit_rate([100, 100], errors[:2])


def test_the_binned_kde_counts_exactly_the_points_inside_the_grid():
    """The cells' outer edges are the grid's: a point 0.4 h inside the last cell's outer half is
    counted, one 0.1 h beyond the grid is not (a narrow bandwidth keeps the mass in the grid)."""
    from kellersegel.analysis import binned_kde
    from kellersegel.pde import Grid2D

    grid = Grid2D(n=20, half_width=1.0)
    h = grid.h
    last = grid.x[-1]
    inside = np.array([[last + 0.4 * h, 0.0], [0.0, grid.y[-1] + 0.4 * h]])
    outside = np.array([[last + 0.6 * h, 0.0], [0.0, grid.y[-1] + 0.6 * h]])
    for points, expected in ((inside, 1.0), (outside, 0.0), (np.vstack([inside, outside]), 0.5)):
        kde = binned_kde(points, grid, bandwidth=1e-3 * h)
        assert kde.sum() * h**2 == pytest.approx(expected, abs=1e-12)


def test_rate_fit_refuses_errors_that_are_not_one_row_per_size_and_positive():
    sizes = np.array([100, 400])
    good = np.array([[0.1, 0.12], [0.05, 0.06]])
    assert fit_rate(sizes, good).rate == pytest.approx(0.5 * np.log2(0.11 / 0.055), rel=1e-12)
    for errors, message in [
        (good[0], "shape"),  # one row only, one dimension
        (np.vstack([good, good]), "shape"),  # four rows for two sizes
        (np.array([[0.1, 0.0], [0.05, 0.06]]), "positive"),  # a zero, finite
        (np.array([[0.1, np.inf], [0.05, 0.06]]), "finite"),  # positive, infinite
    ]:
        with pytest.raises(ValueError, match=message):
            fit_rate(sizes, errors)


def test_rate_interval_is_the_percentile_interval_of_the_resampled_slopes():
    """Two sizes, two replicas each: a resample of each row takes its mean from {a, (a+b)/2, b}
    with probabilities ¼, ½, ¼, so the slope has nine values; the 50 % interval's ends are the
    quartiles of that law, which a wrong tail (1 − level)/3 would move."""
    sizes = np.array([100.0, 10_000.0])
    errors = np.array([[1.0, 3.0], [0.1, 0.3]])
    fit = fit_rate(sizes, errors, level=0.5, resamples=20_000, seed=3)
    means_top, means_bottom = np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.2, 0.3])
    p = np.array([0.25, 0.5, 0.25])
    slopes = -np.log(means_bottom[None, :] / means_top[:, None]) / np.log(100.0)
    weights = p[:, None] * p[None, :]
    order = np.argsort(slopes, axis=None)
    cdf = np.cumsum(weights.ravel()[order])
    values = slopes.ravel()[order]
    quartiles = values[np.searchsorted(cdf, [0.25, 0.75])]
    np.testing.assert_allclose([fit.low, fit.high], quartiles, atol=0.02)
    assert fit.rate == pytest.approx(0.5, rel=1e-12)


def test_the_binned_kde_puts_a_point_into_the_cell_that_contains_it():
    """Cell k is [x_k − h/2, x_k + h/2): points 0.4 h below a centre, in the first cell and inside
    the grid, land in the cell of that centre; 0.6 h below the first centre is outside."""
    grid = Grid2D(n=20, half_width=1.0)
    h = grid.h
    for k in (0, 5):
        point = np.array([[grid.x[k] - 0.4 * h, grid.y[k] - 0.4 * h]])
        kde = binned_kde(point, grid, bandwidth=1e-3 * h)
        assert kde[k, k] * h**2 == pytest.approx(1.0, rel=1e-12)
    assert binned_kde(np.array([[grid.x[0] - 0.6 * h, 0.0]]), grid, bandwidth=1e-3 * h).sum() == 0.0
