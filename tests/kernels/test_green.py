"""Green's functions: PDE identities, closed forms, the time-slab integral."""

import numpy as np
import pytest
from scipy import integrate

from kellersegel.kernels import (
    bessel_green,
    bessel_green_gradient,
    heat_kernel,
    heat_kernel_gradient,
    log_green,
    log_green_gradient,
    time_slab_gradient,
)

rng = np.random.default_rng(11)
POINTS = rng.uniform(0.3, 2.0, (20, 2)) * rng.choice([-1, 1], (20, 2))


def fd_gradient(f, x, h=1e-5):
    e = np.eye(2) * h
    return np.stack([(f(x + e[k]) - f(x - e[k])) / (2 * h) for k in range(2)], axis=-1)


def fd_laplacian(f, x, h=1e-3):
    e = np.eye(2) * h
    return sum(f(x + e[k]) + f(x - e[k]) - 2 * f(x) for k in range(2)) / h**2


def test_log_green_gradient_is_its_gradient():
    np.testing.assert_allclose(log_green_gradient(POINTS), fd_gradient(log_green, POINTS), rtol=1e-8)


@pytest.mark.parametrize("lam", [0.5, 3.0])
def test_bessel_green_gradient_is_its_gradient(lam):
    f = lambda x: bessel_green(x, lam)  # noqa: E731
    np.testing.assert_allclose(bessel_green_gradient(POINTS, lam), fd_gradient(f, POINTS), rtol=1e-7)


@pytest.mark.parametrize("lam", [0.0, 0.5, 3.0])
def test_green_functions_solve_the_screened_poisson_equation_away_from_zero(lam):
    f = log_green if lam == 0 else (lambda x: bessel_green(x, lam))
    residual = -fd_laplacian(f, POINTS) + lam * f(POINTS)
    assert np.max(np.abs(residual)) < 1e-5


def test_green_flux_through_a_circle_is_minus_one():
    # ∮ ∇G · n ds = −1: G is the fundamental solution of −Δ (+ λ, the flux then tends to −1 as r → 0)
    phi = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    r = 0.7
    x = r * np.column_stack([np.cos(phi), np.sin(phi)])
    flux = np.mean(np.sum(log_green_gradient(x) * x / r, axis=1)) * 2 * np.pi * r
    assert flux == pytest.approx(-1.0, rel=1e-12)


def test_heat_kernel_has_unit_mass_and_its_gradient():
    theta, t = 2.0, 0.3
    mass, _ = integrate.quad(lambda r: 2 * np.pi * r * heat_kernel(np.array([[r, 0.0]]), t, theta)[0], 0, 20)
    assert mass == pytest.approx(1.0, rel=1e-10)
    f = lambda x: heat_kernel(x, t, theta) / theta  # K^{θ,0}_t = g^θ_t / θ  # noqa: E731
    np.testing.assert_allclose(heat_kernel_gradient(POINTS, t, theta), fd_gradient(f, POINTS), rtol=1e-6)


@pytest.mark.parametrize(("a", "b"), [(0.01, 0.5), (0.2, 3.0)])
def test_time_slab_gradient_equals_quadrature_of_the_heat_kernel(a, b):
    theta = 1.5
    x = POINTS[:5]
    quad = np.array(
        [
            [
                integrate.quad(
                    lambda s: heat_kernel_gradient(p[None], s, theta)[0, k], a, b, epsabs=0, epsrel=1e-12
                )[0]
                for k in range(2)
            ]
            for p in x
        ]
    )
    np.testing.assert_allclose(time_slab_gradient(x, a, b, theta), quad, rtol=1e-9)


def test_time_slab_gradient_tends_to_the_coulomb_kernel():
    np.testing.assert_allclose(
        time_slab_gradient(POINTS, 1e-12, 1e12, 1.0), log_green_gradient(POINTS), rtol=1e-10
    )


@pytest.mark.parametrize(("theta", "lam"), [(1.0, 0.5), (0.3, 2.0)])
def test_heat_kernel_gradient_integrates_in_time_to_the_bessel_gradient(theta, lam):
    """∫_0^∞ ∇K^{θ,λ}_t dt = ∇G_λ: the e^{−λt/θ} factor turns the heat kernel into the Bessel
    kernel (the θ → 0 consistency of the doubly parabolic system, λ > 0)."""
    for x in POINTS[:4]:
        integral = [
            integrate.quad(lambda t: heat_kernel_gradient(x, t, theta, lam)[k], 0, np.inf, limit=200)[0]
            for k in range(2)
        ]
        np.testing.assert_allclose(integral, bessel_green_gradient(x, lam), rtol=1e-7)
    # and the factor itself: K^{θ,λ}_t = e^{−λt/θ} g^θ_t / θ
    ratio = heat_kernel_gradient(POINTS, 0.4, theta, lam) / heat_kernel_gradient(POINTS, 0.4, theta, 0.0)
    np.testing.assert_allclose(ratio, np.exp(-lam * 0.4 / theta), rtol=1e-13)
