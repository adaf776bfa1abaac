"""Time-slab integrals of the doubly parabolic kernel: closed forms, quadrature, limits."""

import math

import numpy as np
import pytest
from scipy import integrate

from kellersegel.kernels import ExactKernel, GaussianMollifiedKernel, time_slab_gradient
from kellersegel.kernels.memory import SlabKernel

R2 = np.array([1e-6, 1e-3, 0.01, 0.3, 2.0, 9.0])


def brute_force(r2, a, b, theta, lam, eps):
    """ψ by adaptive quadrature of e^{−λτ/θ}/θ · e^{−r²/(2σ²)}/(2πσ⁴), σ² = 2τ/θ + ε²."""

    def integrand(tau):
        s2 = 2 * tau / theta + eps**2
        return math.exp(-lam * tau / theta) / theta * math.exp(-r2 / (2 * s2)) / (2 * math.pi * s2**2)

    if a > 0:
        return integrate.quad(integrand, a, b, epsabs=0, epsrel=1e-12, limit=200)[0]
    # from 0: τ = e^s turns the peak near τ ≈ θr²/4 into a smooth bump on the s axis
    peak = math.log(theta * r2 / 4 + eps**2 + 1e-300)
    return integrate.quad(
        lambda s: integrand(math.exp(s)) * math.exp(s),
        -80.0,
        math.log(b),
        points=[peak],
        epsabs=0,
        epsrel=1e-12,
        limit=400,
    )[0]


@pytest.mark.parametrize("lam", [0.0, 0.7, 0.2])
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_slab_integral_matches_quadrature(lam, eps):
    """Every branch: a > 0; a = 0 with ε = 0 (the singular first slab, integrated by parts for
    λ > 0); a = 0 with ε > 0."""
    kernel = SlabKernel(0.3, lam, eps)
    for a, b in ((0.05, 0.4), (0.4, 0.41), (1e-3, 3.0), (0.0, 0.4), (0.0, 2.5)):
        expected = np.array([brute_force(v, a, b, 0.3, lam, eps) for v in R2])
        np.testing.assert_allclose(kernel.gradient_profile(R2, a, b), expected, rtol=1e-9)


@pytest.mark.parametrize("lam", [0.0, 0.7, 0.1])
@pytest.mark.parametrize("eps", [None, 0.1])
def test_frozen_configuration_gives_the_elliptic_kernel(lam, eps):
    # ∫_0^∞ ∇(K^{θ,λ}_τ * V_ε) dτ = ∇(G_λ * V_ε), whatever θ (docs/mathematics.md)
    elliptic = ExactKernel(lam) if eps is None else GaussianMollifiedKernel(eps, lam)
    for theta in (0.05, 2.0):
        total = SlabKernel(theta, lam, eps).gradient_profile(R2, 0.0, math.inf)
        np.testing.assert_allclose(total, elliptic.gradient_profile(R2), rtol=2e-9)


@pytest.mark.parametrize("lam", [0.0, 0.7])
def test_slabs_add_up(lam):
    kernel = SlabKernel(0.5, lam, 0.05)
    edges = [0.0, 0.01, 0.02, 0.05, 0.3, 1.0, math.inf]
    pieces = sum(kernel.gradient_profile(R2, a, b) for a, b in zip(edges[:-1], edges[1:], strict=True))
    np.testing.assert_allclose(pieces, kernel.gradient_profile(R2, 0.0, math.inf), rtol=1e-9)


def test_singular_slab_is_the_closed_form_of_design_md():
    x = np.array([[0.3, -0.1], [1.0, 2.0]])
    for a, b in ((0.0, 0.1), (0.1, 0.7)):
        np.testing.assert_allclose(
            SlabKernel(0.8).gradient(x, a, b), time_slab_gradient(x, a, b, 0.8), rtol=1e-13
        )


def test_bad_parameters():
    with pytest.raises(ValueError, match="theta"):
        SlabKernel(0.0)
    with pytest.raises(ValueError, match="a < b"):
        SlabKernel(1.0).gradient_profile(R2, 0.5, 0.5)
