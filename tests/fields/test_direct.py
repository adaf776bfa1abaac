"""The compiled direct engine against the plain NumPy evaluation, for every kernel."""

import numba
import numpy as np
import pytest

from kellersegel.fields import DirectEngine, NumpyEngine, make_engine
from kellersegel.kernels import ExactKernel, GaussianMollifiedKernel
from tests.conftest import KERNELS


def rel_error(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


CASES = [
    pytest.param(kernel, mode, id=f"{kernel!r}-{mode}")
    for kernel in KERNELS
    for mode in ("exclude_self", "include_self", "other_targets")
    if not (kernel.singular and mode == "include_self")  # infinite: refused, tested below
]


@pytest.mark.parametrize(("kernel", "mode"), CASES)
def test_direct_engine_agrees_with_numpy(kernel, mode, rng):
    n = 700
    x = rng.standard_normal((n, 2))
    x[:50] = 0.01 * rng.standard_normal((50, 2))  # a tight cluster: near-field values matter
    w = rng.uniform(0.5, 1.5, n) / n
    kwargs = {"potential": True, "gradient": True}
    if mode == "include_self":
        kwargs["include_self"] = True
    if mode == "other_targets":
        kwargs["targets"] = rng.uniform(-3, 3, (300, 2))
    ours = DirectEngine(kernel).evaluate(x, w, **kwargs)
    ref = NumpyEngine(kernel).evaluate(x, w, **kwargs)
    assert rel_error(ours.gradient, ref.gradient) < 1e-12
    assert rel_error(ours.potential, ref.potential) < 1e-12


def test_self_term_changes_the_result_by_exactly_the_kernel_at_zero(rng):
    kernel = GaussianMollifiedKernel(0.1, 0.5)
    x = rng.standard_normal((200, 2))
    engine = DirectEngine(kernel)
    without = engine.evaluate(x, 0.01, potential=True)
    with_self = engine.evaluate(x, 0.01, potential=True, include_self=True)
    np.testing.assert_allclose(
        with_self.potential - without.potential, 0.01 * kernel.potential_profile(0.0), rtol=1e-10
    )
    np.testing.assert_allclose(with_self.gradient, without.gradient, rtol=0, atol=0)


def test_result_does_not_depend_on_the_number_of_threads(rng):
    x = rng.standard_normal((3000, 2))
    engine = DirectEngine(ExactKernel())
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = engine.evaluate(x, 1 / 3000).gradient
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = engine.evaluate(x, 1 / 3000).gradient
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(one, many)


def test_singular_self_term_and_bad_shapes_are_refused(rng):
    engine = DirectEngine(ExactKernel())
    with pytest.raises(ValueError, match="singular"):
        engine.evaluate(rng.standard_normal((5, 2)), 1.0, include_self=True)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        engine.evaluate(rng.standard_normal((5, 3)), 1.0)
    with pytest.raises(ValueError, match="weights"):
        engine.evaluate(rng.standard_normal((5, 2)), np.ones(4))


def test_engine_by_name():
    assert isinstance(make_engine("auto", ExactKernel(), 100), DirectEngine)
    with pytest.raises(
        ValueError, match="unknown engine .tree.; allowed: auto, direct, fmm, numpy, spectral"
    ):
        make_engine("tree", ExactKernel())
