"""The compiled special functions and the mollified Bessel table against SciPy."""

import numpy as np
import pytest
from scipy import integrate, special

from kellersegel.kernels._mollified_bessel import evaluate_table, integrals, mollified_bessel_table
from kellersegel.kernels.compiled import bessel_k0, bessel_k1, exp1

X = np.concatenate([np.logspace(-10, 0.3, 300), np.linspace(0.01, 60, 600)])


@pytest.mark.parametrize(
    ("ours", "ref"), [(bessel_k0, special.k0), (bessel_k1, special.k1), (exp1, special.exp1)]
)
def test_special_function_matches_scipy(ours, ref):
    values = np.array([ours(x) for x in X])
    np.testing.assert_allclose(values, ref(X), rtol=3e-14)


@pytest.mark.parametrize("c", [1e-4, 0.02, 1.0, 7.0])
def test_mollified_bessel_integrals_match_adaptive_quadrature(c):
    for u in [0.0, 0.3, 2.0, 9.0]:
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
