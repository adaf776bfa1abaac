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


def test_no_point_and_one_point():
    # one point: no other source, so Φ = 0 and ∇Φ = 0, one row each; none: empty results
    phi, grad = yukawa_fmm(np.zeros((1, 2)), np.ones(1), 1.0, potential=True)
    assert phi.shape == (1,) and grad.shape == (1, 2)
    assert phi[0] == 0 and np.all(grad == 0)
    phi, grad = yukawa_fmm(np.zeros((0, 2)), np.ones(0), 1.0, potential=True)
    assert phi.shape == (0,) and grad.shape == (0, 2)


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


@pytest.mark.parametrize("quadrant", range(4))
def test_m2m_gives_the_parents_multipole_of_the_childs_sources(quadrant):
    """The parent's M̃_n (n = 0..p) translated from the multipole of a child box equals the P2M of the
    child's sources about the parent's centre, order by order (relative to each order's size; the
    top orders are 10⁻²⁴ of M̃_0, so that only this comparison sees them)."""
    rng = np.random.default_rng(quadrant)
    p, kappa, h = 17, 1.0, 0.5  # the child's side; the parent's is 2h
    parent = 0.2 + 0.1j
    a = complex(((quadrant >> 1) - 0.5) * h, ((quadrant & 1) - 0.5) * h)
    z = parent + a + h * (rng.uniform(-0.5, 0.5, 40) + 1j * rng.uniform(-0.5, 0.5, 40))
    w = rng.uniform(0.5, 1.5, 40)
    scales = np.array([min(2 * kappa * h, 1.0), min(kappa * h, 1.0)])
    mult = np.zeros((2, p + 1), np.complex128)
    centres = np.array([parent, parent + a])
    Y._p2m(z, w, np.zeros(2, np.int64), np.full(2, 40), np.array([0, 1]), centres, kappa, scales, p, mult)
    ext = np.empty(2 * p + 1, np.complex128)
    Y._extended(mult[1], p, ext)
    translated = Y._m2m_operator(kappa, a, scales[1], scales[0], p) @ ext
    assert np.max(np.abs(translated - mult[0]) / np.abs(mult[0])) < 1e-6


def test_the_pair_sums_beyond_the_series_are_k0_and_k1():
    """The P2P's pair sums where a leaf's pairs reach past z = 6: Σ_k w_k K_0(κ r_k) and
    −Σ_k w_k κ K_1(κ r_k) d_k/r_k without the term k = skip, and the series form of the potential."""
    rng = np.random.default_rng(4)
    kappa, skip = 2.0, 3
    bx, by, bw = rng.uniform(-4, 4, 50), rng.uniform(-4, 4, 50), rng.uniform(0.5, 1.5, 50)
    xi, yi = 0.3, -0.2
    d = np.stack([xi - bx, yi - by])
    r = np.hypot(*d)
    keep = np.arange(50) != skip
    grad = -(bw * kappa * special.k1(kappa * r) / r * d)[:, keep].sum(axis=1)
    assert np.allclose(Y._bessel_gradient(bx, by, bw, xi, yi, skip, kappa), grad, rtol=1e-13, atol=0)
    pot = (bw * special.k0(kappa * r))[keep].sum()
    assert Y._near_potential(bx, by, bw, xi, yi, skip, kappa, False) == pytest.approx(pot, rel=1e-13)
    near = keep & (kappa * r <= 6.0)
    series = Y._near_potential(bx[near], by[near], bw[near], xi, yi, -1, kappa, True)
    assert series == pytest.approx((bw * special.k0(kappa * r))[near].sum(), rel=1e-11)


@pytest.mark.parametrize("m", [0, 1, 5, 17, 40])
def test_the_scaled_i_series_is_m_factorial_times_2_over_x_to_the_m_times_i_m(m):
    x = np.geomspace(1e-3, 12.0, 200)
    exact = special.factorial(m) * (2.0 / x) ** m * special.iv(m, x)
    series = np.array([Y._scaled_i_series(0.25 * v * v, m) for v in x])
    assert np.max(np.abs(series - exact) / exact) < 1e-13


def test_the_near_fields_reach_bounds_every_pair_of_a_leaf_and_its_near_boxes(rng, monkeypatch):
    """The reach that picks the P2P's series is at least the largest distance between a point of a
    leaf and a point of its near boxes, at least the largest between the boxes' corners, and at most
    9 % more than that (√5 against 1 + √2 for side-by-side boxes; leaves of one and of different
    sizes: a Gaussian with a dense cluster)."""
    x = rng.standard_normal((4000, 2))
    x[:1000] = [1.0, 0.5] + 0.01 * rng.standard_normal((1000, 2))
    seen = {}

    def capture(*args):
        seen["args"] = args
        return p2p(*args)

    p2p = Y._p2p
    monkeypatch.setattr(Y, "_p2p", capture)
    yukawa_fmm(x, np.ones(4000), 1.0)
    xs, ys, _, start, end, leaves, first, sources, (centre, side), *_ = seen["args"]
    by_points, by_corners = [], []
    for node in leaves:
        boxes = sources[first[node] : first[node + 1]]
        near = np.concatenate([np.arange(start[s], end[s]) for s in boxes])
        own = np.arange(start[node], end[node])
        reach = Y._near_reach(node, first, sources, centre, side)
        pairs = np.hypot(xs[own, None] - xs[None, near], ys[own, None] - ys[None, near])
        by_points.append(reach / pairs.max())
        half = 0.5 * (side[boxes] + side[node])
        d = centre[boxes] - centre[node]
        by_corners.append(reach / np.hypot(np.abs(d.real) + half, np.abs(d.imag) + half).max())
    assert min(by_points) >= 1.0 and len(set(side[leaves])) > 3
    assert 1.0 - 1e-12 <= min(by_corners) and max(by_corners) < 1.09, (min(by_corners), max(by_corners))
