"""The compiled special functions and the mollified Bessel table against SciPy."""

import numpy as np
import pytest
from scipy import integrate, special

from kellersegel.kernels import CutoffKernel, ExactKernel, GaussianMollifiedKernel
from kellersegel.kernels._mollified_bessel import evaluate_table, integrals, mollified_bessel_table
from kellersegel.kernels.compiled import GRADIENT_PROFILES, POTENTIAL_PROFILES, bessel_k0, bessel_k1, exp1
from kellersegel.kernels.interaction import U_NEAR, KernelKind

X = np.concatenate([np.logspace(-10, 0.3, 300), np.linspace(0.01, 60, 600)])


@pytest.mark.parametrize(
    ("ours", "ref"), [(bessel_k0, special.k0), (bessel_k1, special.k1), (exp1, special.exp1)]
)
def test_special_function_matches_scipy(ours, ref):
    values = np.array([ours(x) for x in X])
    np.testing.assert_allclose(values, ref(X), rtol=3e-14)


@pytest.mark.parametrize("c", [1e-4, 0.02, 1.0, 7.0, 40.0])
def test_mollified_bessel_integrals_match_adaptive_quadrature(c):
    for u in [0.0, 0.3, 2.0, 9.0, 40.0]:
        vmax = np.log(800 / c)  # the integrands are below e^{-800} beyond
        f = lambda v: np.exp(-u * np.exp(-v) - c * np.exp(v))  # noqa: E731, B023
        j_ref = integrate.quad(f, 0, vmax, epsabs=0, epsrel=1e-13, limit=200)[0]
        l_ref = integrate.quad(lambda v: np.exp(-v) * f(v), 0, vmax, epsabs=0, epsrel=1e-13, limit=200)[0]
        j, l_ = integrals(np.array([u]), c)
        assert j[0] == pytest.approx(j_ref, rel=1e-12)
        assert l_[0] == pytest.approx(l_ref, rel=1e-12)


def test_mollified_bessel_table_matches_the_integrals():
    lam, eps = 2.0, 0.1
    c = lam * eps**2 / 2
    table = mollified_bessel_table(lam, eps)
    u = np.linspace(0, table.u_near * 0.999, 500)
    j, l_ = integrals(u, c)
    values = evaluate_table(table, u)
    np.testing.assert_allclose(values[0], j, rtol=1e-13)
    np.testing.assert_allclose(values[1], l_, rtol=1e-13)


@pytest.mark.parametrize("c", [0.5, 3.0, 20.0])
def test_mollified_bessel_profiles_switch_to_the_closed_forms_where_they_are_exact(c):
    """φ = e^c J(U, c)/(4π) and ψ = e^c L(U, c)/(4π ε²) by quadrature, on both sides of the table's
    end u_near (beyond it the complete Bessel forms are used): a table that ends too early shows."""
    eps = 0.5
    kernel = GaussianMollifiedKernel(eps, 2 * c / eps**2)
    spec = kernel.compiled_spec()
    phi = POTENTIAL_PROFILES[KernelKind(spec.kind)]
    psi = GRADIENT_PROFILES[KernelKind(spec.kind)]
    u_near = spec.params[U_NEAR]
    u = np.concatenate([np.linspace(0.5, 1.0, 30), np.linspace(1.0, 1.6, 30)]) * u_near
    j, l_ = integrals(u, c)
    r2 = 2 * eps**2 * u
    got_phi = np.array([phi(spec.params, spec.table, v) for v in r2])
    got_psi = np.array([psi(spec.params, spec.table, v) for v in r2])
    np.testing.assert_allclose(got_phi, np.exp(c) * j / (4 * np.pi), rtol=1e-12)
    np.testing.assert_allclose(got_psi, np.exp(c) * l_ / (4 * np.pi * eps**2), rtol=1e-12)


COMPILED_KERNELS = [
    ExactKernel(0.0),
    ExactKernel(1.0),
    ExactKernel(2.5),
    GaussianMollifiedKernel(0.2, 0.0),
    GaussianMollifiedKernel(0.2, 1.0),
    GaussianMollifiedKernel(0.3, 7.0),
    CutoffKernel(0.2, 0.0),
    CutoffKernel(0.2, 1.0),
    CutoffKernel(0.3, 7.0),
]


@pytest.mark.parametrize("kernel", COMPILED_KERNELS, ids=repr)
def test_compiled_profiles_of_every_kernel_equal_its_numpy_profiles(kernel):
    """What the compiled engines evaluate (kind, parameters, table of ``compiled_spec``) is the
    kernel's own φ and ψ, inside and outside ε, λ = 1 included."""
    spec = kernel.compiled_spec()
    phi, psi = POTENTIAL_PROFILES[KernelKind(spec.kind)], GRADIENT_PROFILES[KernelKind(spec.kind)]
    r2 = np.concatenate([np.logspace(-5, 2.6, 40), [0.01, 0.04, 0.09, 0.0401]])  # near and far fields
    if not kernel.singular:
        r2 = np.append(r2, 0.0)
    got_phi = np.array([phi(spec.params, spec.table, v) for v in r2])
    got_psi = np.array([psi(spec.params, spec.table, v) for v in r2])
    np.testing.assert_allclose(got_phi, kernel.potential_profile(r2), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got_psi, kernel.gradient_profile(r2), rtol=1e-9, atol=1e-12)
