"""Interaction kernels: each profile against an independent formula."""

import numpy as np
import pytest
from scipy import integrate, special

from kellersegel.kernels import (
    CutoffKernel,
    ExactKernel,
    GaussianMollifiedKernel,
    bessel_green,
    log_green,
    make_kernel,
)

ALL_KERNELS = [
    ExactKernel(0.0),
    ExactKernel(1.3),
    GaussianMollifiedKernel(0.2, 0.0),
    GaussianMollifiedKernel(0.2, 1.3),
    GaussianMollifiedKernel(0.05, 40.0),
    CutoffKernel(0.2, 0.0),
    CutoffKernel(0.2, 1.3),
]
R2 = np.concatenate([np.logspace(-6, 0, 30), np.linspace(1.5, 60, 30)])


@pytest.mark.parametrize("kernel", ALL_KERNELS, ids=repr)
def test_gradient_profile_is_minus_twice_the_derivative_of_the_potential_profile(kernel):
    # K(x) = φ(|x|²) ⇒ ∇K = 2φ'(|x|²) x = −ψ x
    h = 1e-5 * np.maximum(R2, (kernel.epsilon or 0.0) ** 2)  # the scale on which φ varies
    dphi = (kernel.potential_profile(R2 + h) - kernel.potential_profile(R2 - h)) / (2 * h)
    np.testing.assert_allclose(kernel.gradient_profile(R2), -2 * dphi, rtol=1e-7, atol=1e-12)


def _gaussian_fourier_radial(eps, lam, r, order):
    """(1/2π)∫ J_ν(kr) k^{1+ν} e^{−ε²k²/2} / (k² + λ) dk: φ (ν = 0) and ψ·r (ν = 1) by Hankel transform."""
    f = lambda k: special.jv(order, k * r) * k ** (1 + order) * np.exp(-0.5 * (eps * k) ** 2) / (k * k + lam)  # noqa: E731
    kmax = 12 / eps
    return integrate.quad(f, 0, kmax, limit=2000, epsabs=1e-15, epsrel=1e-12)[0] / (2 * np.pi)


@pytest.mark.parametrize("lam", [0.5, 4.0])
@pytest.mark.parametrize("r", [0.0, 0.03, 0.2, 0.7, 2.5])
def test_mollified_bessel_kernel_equals_its_fourier_representation(lam, r):
    eps = 0.2
    kernel = GaussianMollifiedKernel(eps, lam)
    phi = _gaussian_fourier_radial(eps, lam, r, 0)
    assert kernel.potential_profile(r * r) == pytest.approx(phi, rel=1e-9)
    if r > 0:
        grad = _gaussian_fourier_radial(eps, lam, r, 1)
        assert kernel.gradient_profile(r * r) * r == pytest.approx(grad, rel=1e-9)


@pytest.mark.parametrize("r", [0.01, 0.1, 0.3, 1.0, 4.0])
def test_mollified_log_gradient_is_newtons_theorem(r):
    # ∇(G0 * V_ε)(x) = −x/(2π|x|²) · (mass of V_ε inside |x|) for a radial V_ε
    eps = 0.3
    density = lambda s: s * np.exp(-s * s / (2 * eps**2)) / eps**2  # 2πs V_ε(s)  # noqa: E731
    inside = integrate.quad(density, 0, r, epsabs=0, epsrel=1e-13)[0]
    kernel = GaussianMollifiedKernel(eps, 0.0)
    x = np.array([r, 0.0])
    np.testing.assert_allclose(kernel.gradient(x), -x / (2 * np.pi * r * r) * inside, rtol=1e-12)
    # and the closed form stated in the issue
    closed = -x / (2 * np.pi * r * r) * (1 - np.exp(-r * r / (2 * eps**2)))
    np.testing.assert_allclose(kernel.gradient(x), closed, rtol=1e-13)


def test_mollified_kernels_tend_to_the_exact_kernel_far_away():
    x = np.array([[3.0, 4.0]])
    np.testing.assert_allclose(GaussianMollifiedKernel(0.1).potential(x), log_green(x), rtol=1e-14)
    np.testing.assert_allclose(
        GaussianMollifiedKernel(0.1, 2.0).potential(x), np.exp(0.01) * bessel_green(x, 2.0), rtol=1e-12
    )


@pytest.mark.parametrize("lam", [0.0, 1.3])
def test_cutoff_kernel_is_green_outside_epsilon_with_a_linear_force_inside(lam):
    eps = 0.3
    kernel, green = CutoffKernel(eps, lam), ExactKernel(lam)
    outside = np.array([[0.3, 0.0], [0.2, -0.5], [3.0, 4.0]])
    np.testing.assert_allclose(kernel.potential(outside), green.potential(outside), rtol=1e-14)
    np.testing.assert_allclose(kernel.gradient(outside), green.gradient(outside), rtol=1e-14)
    inside = np.array([[0.1, -0.2], [1e-9, 0.0], [0.0, 0.0]])
    at_eps = green.gradient(np.array([eps, 0.0]))[0] / eps
    np.testing.assert_allclose(kernel.gradient(inside), at_eps * inside, rtol=1e-14, atol=1e-300)
    # the potential is continuous at ε and its radial derivative is the force
    r = np.array([eps * (1 - 1e-12), eps * (1 + 1e-12)])
    np.testing.assert_allclose(*kernel.potential_profile(r**2), rtol=1e-10)
    h, r0 = 1e-6, 0.17
    slope = (kernel.potential_profile((r0 + h) ** 2) - kernel.potential_profile((r0 - h) ** 2)) / (2 * h)
    np.testing.assert_allclose(slope, -r0 * kernel.gradient_profile(r0**2), rtol=1e-8)


def test_log_cutoff_kernel_is_green_convolved_with_the_uniform_disk():
    """Newton's theorem: K = G * U_ε, U_ε = 1/(πε²) on the disk of radius ε, inside and outside it."""
    eps = 0.3
    kernel = CutoffKernel(eps)
    for x in (0.1, 0.25, 0.45):

        def integrand(theta, r, x=x):
            d2 = (x - r * np.cos(theta)) ** 2 + (r * np.sin(theta)) ** 2
            return -np.log(d2) / (4 * np.pi) * r / (np.pi * eps**2)

        value = integrate.dblquad(integrand, 0, eps, 0, 2 * np.pi, epsabs=1e-11, epsrel=1e-10)[0]
        np.testing.assert_allclose(kernel.potential_profile(x**2), value, rtol=1e-8)


def test_exact_kernel_is_singular_and_others_are_finite_at_zero():
    assert ExactKernel().singular and ExactKernel(1.0).singular
    for kernel in ALL_KERNELS:
        if not kernel.singular:
            assert np.isfinite(kernel.potential_profile(0.0)) and np.isfinite(kernel.gradient_profile(0.0))


def test_bad_kernel_parameters_fail_with_the_parameter_name():
    with pytest.raises(ValueError, match="epsilon"):
        GaussianMollifiedKernel(-1.0)
    with pytest.raises(ValueError, match="lam"):
        ExactKernel(float("nan"))
    with pytest.raises(ValueError, match="unknown kernel"):
        make_kernel("gaussian")
    with pytest.raises(ValueError, match="needs epsilon"):
        make_kernel("cutoff")


@pytest.mark.parametrize("epsilon", [0.05, 0.2, 1.5])
def test_mollified_log_potential_at_zero_and_across_its_series_switch(epsilon):
    """φ_ε(0) = −(1/4π)(log 2ε² − γ); the series used for U = r²/(2ε²) < 1 and the closed form
    −(1/4π)(log r² + E_1(U)) used above must meet at U = 1."""
    kernel = GaussianMollifiedKernel(epsilon, 0.0)
    expected = -(np.log(2 * epsilon**2) - np.euler_gamma) / (4 * np.pi)
    assert kernel.potential_profile(0.0) == pytest.approx(expected, rel=1e-13)
    assert kernel.gradient_profile(0.0) == pytest.approx(1 / (4 * np.pi * epsilon**2), rel=1e-14)
    switch = 2 * epsilon**2  # U = 1
    below, above = kernel.potential_profile([switch * (1 - 1e-12), switch * (1 + 1e-12)])
    assert below == pytest.approx(above, rel=1e-10)
    closed = -(np.log(0.5 * switch) + special.exp1(0.5)) / (4 * np.pi)  # r² = ε², U = 1/2: series side
    assert kernel.potential_profile(0.5 * switch) == pytest.approx(closed, rel=1e-12)


def test_only_the_exact_kernel_is_singular_and_a_scale_must_be_positive():
    assert ExactKernel(0.0).singular and ExactKernel(1.0).singular
    assert not GaussianMollifiedKernel(0.2).singular and not CutoffKernel(0.2, 1.0).singular
    for kind in (GaussianMollifiedKernel, CutoffKernel):
        with pytest.raises(ValueError, match="epsilon"):
            kind(0.0)


def test_kernels_are_equal_by_kind_and_parameters():
    assert GaussianMollifiedKernel(0.2, 1.0) == GaussianMollifiedKernel(0.2, 1.0)
    assert hash(CutoffKernel(0.2, 1.0)) == hash(CutoffKernel(0.2, 1.0))
    assert GaussianMollifiedKernel(0.2, 1.0) != GaussianMollifiedKernel(0.2, 1.1)
    assert GaussianMollifiedKernel(0.2, 1.0) != GaussianMollifiedKernel(0.3, 1.0)
    assert GaussianMollifiedKernel(0.2, 1.0) != CutoffKernel(0.2, 1.0)
    assert ExactKernel(0.0) == ExactKernel(0.0) and ExactKernel(0.0) != ExactKernel(1.0)


def test_mollified_bessel_kernel_refuses_lambda_epsilon_squared_above_1200():
    assert GaussianMollifiedKernel(1.0, 1200.0).lam == 1200.0
    with pytest.raises(ValueError, match=r"lam \* epsilon\*\*2 = 1201 is too large"):
        GaussianMollifiedKernel(1.0, 1201.0)
    with pytest.raises(ValueError, match=r"lam \* epsilon\*\*2 = 1250 is too large"):
        GaussianMollifiedKernel(0.5, 5000.0)
    assert GaussianMollifiedKernel(40.0, 0.0).epsilon == 40.0  # λ = 0: no bound
    with pytest.raises(ValueError, match="too large"):
        GaussianMollifiedKernel(50.0, 1.0)  # λ ≤ 1 too
