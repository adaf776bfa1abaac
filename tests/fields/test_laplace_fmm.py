"""The compiled Laplace FMM against direct sums: accuracy by order, awkward point sets, threads."""

import numba
import numpy as np
import pytest

from kellersegel.fields.laplace_fmm import laplace_fmm, order_for_tolerance


def direct(points, weights):
    z = points[:, 0] + 1j * points[:, 1]
    d = z[:, None] - z[None, :]
    np.fill_diagonal(d, 1.0)
    inv = weights[None, :] / d
    logs = weights[None, :] * np.log(np.abs(d))
    np.fill_diagonal(inv, 0.0)
    np.fill_diagonal(logs, 0.0)
    return logs.sum(axis=1), inv.sum(axis=1)


def rel(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


@pytest.fixture
def cloud(rng):
    x = rng.standard_normal((3000, 2))
    x[:500] = [2.0, 1.0] + 1e-6 * rng.standard_normal((500, 2))  # a cluster 20 levels down
    x[500:505] = rng.uniform(-1e3, 1e3, (5, 2))  # far outliers
    return x, rng.uniform(0.5, 1.5, 3000)


def test_error_falls_geometrically_with_the_order(cloud):
    # measured on the points outside the tight cluster, relative to their own largest field
    # (the cluster's field is 10⁶ times larger and would hide the error of the others)
    x, w = cloud
    ref_f, ref_df = direct(x, w)
    rest = slice(505, None)
    errors = []
    for p in (8, 12, 16, 20):
        f, df = laplace_fmm(x, w, order=p, leaf_size=32, potential=True)
        errors.append(rel(df[rest], ref_df[rest]))
    assert all(b < 0.05 * a for a, b in zip(errors, errors[1:], strict=False)), errors
    assert errors[-1] < 1e-8
    assert rel(f, ref_f) < 1e-10  # p = 20


@pytest.mark.parametrize("tolerance", [1e-4, 1e-7, 1e-10])
def test_order_for_tolerance_meets_the_tolerance(cloud, tolerance):
    x, w = cloud
    _, df = laplace_fmm(x, w, order=order_for_tolerance(tolerance))
    assert rel(df, direct(x, w)[1]) < tolerance


def test_degenerate_sets(rng):
    # one point; points on a line; two coincident groups far apart from each other
    f, df = laplace_fmm(np.zeros((1, 2)), np.ones(1), potential=True)
    assert f[0] == 0 and df[0] == 0
    line = np.stack([np.linspace(0, 1, 400), np.zeros(400)], axis=1)
    w = rng.uniform(size=400)
    f, df = laplace_fmm(line, w, potential=True)
    ref_f, ref_df = direct(line, w)
    assert rel(df, ref_df) < 1e-7 and rel(f, ref_f) < 1e-7


def test_results_do_not_depend_on_the_number_of_threads(cloud):
    x, w = cloud
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = laplace_fmm(x, w, potential=True)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = laplace_fmm(x, w, potential=True)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(one[0], many[0]) and np.array_equal(one[1], many[1])


def test_sorted_keys_is_a_stable_argsort_and_drops_the_finest_levels_only_where_bits_run_out(rng):
    from kellersegel.fields.laplace_fmm import _LEVELS, _sorted_keys

    keys = rng.integers(0, 1 << 10, 5000) << 32  # many ties: stability shows
    got, perm, levels = _sorted_keys(keys)
    expected = np.argsort(keys, kind="stable")
    assert levels == _LEVELS and np.array_equal(perm, expected) and np.array_equal(got, keys[expected])
    # 2²¹ + 1 points need 22 index bits: 42 + 22 > 63, so one level (two bits) goes
    many = rng.integers(0, 1 << (2 * _LEVELS), (1 << 21) + 1)
    got, perm, levels = _sorted_keys(many)
    coarse = (many >> 2) << 2
    expected = np.argsort(coarse, kind="stable")
    assert levels == _LEVELS - 1 and np.array_equal(perm, expected) and np.array_equal(got, coarse[expected])
