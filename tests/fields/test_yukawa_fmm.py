"""The compiled Yukawa FMM against direct sums (SciPy's K_0, K_1) and against pyfmmlib's Helmholtz
FMM at imaginary wavenumber: accuracy by order and across κ, awkward point sets, threads, and the
pieces a wrong formula would break (the vectorised logarithm, the near-field series)."""

import numba
import numpy as np
import pytest
from scipy import special

from kellersegel.experiments.bench import pyfmmlib_field
from kellersegel.fields import yukawa_fmm as Y
from kellersegel.fields.laplace_fmm import laplace_fmm
from kellersegel.fields.yukawa_fmm import _log_positive, _series_coefficients, yukawa_fmm


def direct(points, weights, kappa):
    """Σ_{j≠i} w_j K_0(κ r_ij) and its gradient at every point."""
    d = points[:, None, :] - points[None, :, :]
    r = np.hypot(d[..., 0], d[..., 1])
    np.fill_diagonal(r, 1.0)
    phi = special.k0(kappa * r) * weights[None, :]
    f = -kappa * special.k1(kappa * r) / r * weights[None, :]
    np.fill_diagonal(phi, 0.0)
    np.fill_diagonal(f, 0.0)
    return phi.sum(axis=1), np.stack([(f * d[..., 0]).sum(axis=1), (f * d[..., 1]).sum(axis=1)], axis=1)


def rel(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


@pytest.fixture
def gaussian(rng):
    return rng.standard_normal((3000, 2)), rng.uniform(0.5, 1.5, 3000)


@pytest.mark.parametrize("kappa", [0.05, 0.3, 1.0, 3.0, 10.0, 100.0])
def test_potential_and_gradient_match_direct_sums_across_kappa(gaussian, kappa):
    # κ = 0.05: boxes far below 1/κ (the Laplace-like regime of the scaled expansions); κ = 3:
    # coarse boxes without expansions; κ = 100: most pairs beyond the drop distance
    x, w = gaussian
    ref_phi, ref_grad = direct(x, w, kappa)
    phi, grad = yukawa_fmm(x, w, kappa, potential=True)
    assert rel(grad, ref_grad) < 2e-8 and rel(phi, ref_phi) < 2e-8


def test_error_falls_geometrically_with_the_order(gaussian):
    x, w = gaussian
    _, ref = direct(x, w, 1.0)
    errors = [rel(yukawa_fmm(x, w, 1.0, order=p)[1], ref) for p in (8, 12, 16, 24)]
    assert all(b < a / 5 for a, b in zip(errors, errors[1:], strict=False)), errors
    assert errors[-1] < 1e-10


def test_agrees_with_pyfmmlib_for_yukawa_and_with_the_laplace_fmm_in_the_laplace_oracle(rng):
    x = rng.standard_normal((20000, 2))
    w = np.full(20000, 1.0 / 20000)
    c, grad = pyfmmlib_field(x, w, 1.0, 1e-9, potential=True)  # c = Σ w K_0(r)/(2π)
    phi, ours = yukawa_fmm(x, w, 1.0, potential=True)
    assert rel(ours / (2 * np.pi), grad) < 1e-7 and rel(phi / (2 * np.pi), c) < 1e-7
    _, lap = pyfmmlib_field(x, w, 0.0, 1e-9)  # ∇c = −(1/2π) ∇ Σ w log r
    _, df = laplace_fmm(x, w)
    assert rel(-np.stack([df.real, -df.imag], axis=1) / (2 * np.pi), lap) < 1e-7


def test_clusters_and_outliers(rng):
    x = rng.standard_normal((3000, 2))
    x[:500] = [2.0, 1.0] + 1e-6 * rng.standard_normal((500, 2))  # a cluster 20 levels down
    x[500:505] = rng.uniform(-50, 50, (5, 2))  # outliers: coarse sparse boxes
    w = rng.uniform(0.5, 1.5, 3000)
    _, ref = direct(x, w, 1.0)
    rest = slice(500, None)  # the cluster's field is 10⁶ times larger
    _, grad = yukawa_fmm(x, w, 1.0)
    assert rel(grad[rest], ref[rest]) < 1e-7 and rel(grad, ref) < 1e-7


def test_results_do_not_depend_on_the_number_of_threads(gaussian):
    x, w = gaussian
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = yukawa_fmm(x, w, 1.0, potential=True)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = yukawa_fmm(x, w, 1.0, potential=True)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(one[0], many[0]) and np.array_equal(one[1], many[1])


def test_vectorised_log_matches_numpy_over_the_near_field_range():
    @numba.njit
    def logs(x):
        out = np.empty_like(x)
        for i in range(x.shape[0]):
            out[i] = _log_positive(x[i])
        return out

    x = np.geomspace(1e-300, 16.0, 20001)
    exact = np.log(x)
    assert np.max(np.abs(logs(x) - exact) / np.maximum(1.0, np.abs(exact))) < 4e-15


def test_near_field_series_equal_the_bessel_functions_up_to_z_6():
    s0, r0, s1, r1 = _series_coefficients()
    z = np.linspace(1e-3, 6.0, 500)
    q = z * z / 4
    zk1 = 1.0 + q * (np.log(q) * np.polyval(s1[::-1], q) - np.polyval(r1[::-1], q))
    k0 = (
        -0.5 * np.log(q) * np.polyval(s0[::-1], q)
        + np.polyval(r0[::-1], q)
        - np.euler_gamma * np.polyval(s0[::-1], q)
    )
    assert np.max(np.abs(zk1 - z * special.k1(z))) < 1e-12
    assert np.max(np.abs(k0 - special.k0(z))) < 1e-12


@pytest.mark.parametrize(
    ("reach", "series", "bound"),
    [(0.5, "SHORT", 1e-11), (2.0, "MID", 3e-12), (6.0, "", 1e-10)],  # at z = 6, relative to z K_1 ≈ 0.008
)
def test_the_near_fields_series_give_z_k1_where_the_p2p_uses_them(reach, series, bound):
    """The compiled pair sum at κ = 1 with one source: ∇K_0 = −(d/r²) z K_1(z), z = r, through the
    truncated series and logarithm the P2P uses where every pair of a leaf has z ≤ reach."""
    suffix = f"_{series}" if series else ""
    s1, r1, atanh = (getattr(Y, f"_{name}{suffix}") for name in ("S1", "R1", "ATANH"))

    @numba.njit
    def z_k1(z):
        out = np.empty_like(z)
        source = np.zeros(1)
        for i in range(z.shape[0]):
            gx, _ = Y._series_gradient(source, source, np.ones(1), z[i], 0.0, -1, 0.25, s1, r1, atanh)
            out[i] = -gx * z[i]
        return out

    z = np.geomspace(1e-6, reach, 20001)
    exact = z * special.k1(z)
    assert np.max(np.abs(z_k1(z) - exact) / exact) < bound


def test_refuses_a_non_positive_kappa(gaussian):
    with pytest.raises(ValueError, match="kappa must be > 0"):
        yukawa_fmm(*gaussian, 0.0)


@pytest.mark.parametrize(
    ("d", "kappa", "scales"),
    [(0.3 - 0.2j, 1.0, (0.1, 0.1)), (0.5 + 0.7j, 2.0, (0.3, 0.7)), (-4 + 1j, 0.5, (1.0, 0.5))],
)
def test_the_m2l_matrix_is_the_translation_entry_by_entry(d, kappa, scales):
    """The M2L tables' real matrix applied to (Re M̃, Im M̃) gives the L̃ of the translation done
    term by term (``_translate``), for random coefficients."""
    p = 17
    matrix = np.zeros((2 * p + 2, 2 * p + 2))
    Y._translation_matrix(d, kappa, *scales, p, matrix)
    coef = np.random.default_rng(1).standard_normal(p + 1) + 1j * np.random.default_rng(2).standard_normal(
        p + 1
    )
    expected = np.zeros(p + 1, np.complex128)
    Y._translate(coef, d, kappa, *scales, p, expected)
    got = matrix @ np.concatenate([coef.real, coef.imag])
    assert np.max(np.abs(got[: p + 1] + 1j * got[p + 1 :] - expected)) < 1e-14 * np.max(np.abs(expected))
