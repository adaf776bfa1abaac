"""Transforms of the truncated Green's functions against numerical Hankel transforms."""

import numpy as np
import pytest
from scipy import integrate, special

from kellersegel.kernels.fourier import gaussian_reach, gaussian_transform, truncated_green_transform


def hankel_quadrature(lam, radius, k):
    """2π ∫_0^L G_λ(r) J_0(kr) r dr by adaptive quadrature."""
    if lam == 0:
        green = lambda r: -np.log(r) / (2 * np.pi)
    else:
        green = lambda r: special.k0(np.sqrt(lam) * r) / (2 * np.pi)
    value, _ = integrate.quad(
        lambda r: 2 * np.pi * green(r) * special.j0(k * r) * r,
        0,
        radius,
        limit=2000,
        points=[1e-8, 1e-4, 1e-2],
        epsabs=1e-13,
        epsrel=1e-12,
    )
    return value


@pytest.mark.parametrize("lam", [0.0, 0.5, 4.0])
@pytest.mark.parametrize("radius", [0.7, 3.0, 12.0])
def test_truncated_green_transform_matches_quadrature(lam, radius):
    ks = np.array([0.0, 1e-4, 5e-3, 0.3, 2.0, 17.0])
    ours = truncated_green_transform(ks, lam, radius)
    ref = np.array([hankel_quadrature(lam, radius, k) for k in ks])
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-11)


def test_large_radius_recovers_the_untruncated_bessel_transform():
    k = np.linspace(0.5, 10, 7)
    np.testing.assert_allclose(truncated_green_transform(k, 2.0, 60.0), 1 / (k**2 + 2.0), rtol=1e-12)


def test_gaussian_transform_is_the_characteristic_function():
    # E[e^{−ik·X}] for X ~ N(0, ε² I), by Monte Carlo within 5 standard errors
    rng = np.random.default_rng(1)
    eps, k = 0.3, np.array([2.0, -1.0])
    x = eps * rng.standard_normal((200_000, 2))
    values = np.cos(x @ k)
    assert abs(values.mean() - gaussian_transform(np.hypot(*k), eps)) < 5 * values.std() / np.sqrt(x.shape[0])


def test_small_argument_series_match_the_bessel_series():
    """Below kL = 1e-2 the transform uses the series of (1 − J0(x))/x² and J1(x)/x; both must
    agree with the full power series Σ_m (−1)^m (x/2)^{2m}/(m!)² to round-off."""
    x = np.array([1e-4, 3e-3, 9.9e-3])
    m = np.arange(12)[:, None]
    terms = (-1.0) ** m * (x / 2) ** (2 * m) / special.factorial(m) ** 2
    one_minus_j0 = -terms[1:].sum(axis=0) / x**2
    j1_over = (terms * (1 / (2 * (m + 1)))).sum(axis=0)  # J1(x)/x = Σ (−1)^m (x/2)^{2m} / (2 m!(m+1)!)
    for radius in (0.5, 2.0):
        expected = radius**2 * (one_minus_j0 - np.log(radius) * j1_over)
        np.testing.assert_allclose(truncated_green_transform(x / radius, 0.0, radius), expected, rtol=1e-14)


def test_gaussian_reach_is_where_the_tail_falls_to_the_tolerance():
    for tolerance in (1e-4, 1e-7, 1e-12):
        assert np.exp(-0.5 * gaussian_reach(tolerance) ** 2) == pytest.approx(tolerance, rel=1e-12)
