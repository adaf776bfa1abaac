"""The refinable Brownian path: bridges consistent across levels, right variances."""

import numpy as np
import pytest

from kellersegel.dynamics import BrownianTree


def test_fine_increments_sum_to_the_coarse_increment():
    coarse, fine = BrownianTree(5, 0.3, key=11), BrownianTree(5, 0.3, key=11)
    for k in range(3):
        total = sum(fine.increment(k, 6, j) for j in range(64))
        np.testing.assert_allclose(total, coarse.increment(k, 0, 0), atol=1e-12)


def test_value_does_not_depend_on_the_order_of_queries():
    a, b = BrownianTree(3, 1.0, key=5), BrownianTree(3, 1.0, key=5)
    first = a.value(0, 5, 7)
    b.value(0, 3, 5), b.value(0, 1, 1), b.value(0, 5, 9)
    np.testing.assert_array_equal(b.value(0, 5, 7), first)
    b.value(2, 0, 0)  # moving on keeps the path: W(2h) is the same from either route
    np.testing.assert_array_equal(b.value(2, 0, 0), a.value(2, 2, 0))


def test_bridge_variances():
    """Var W(t) = t and Var of a level-3 increment = h/8, each within 4.5 standard errors."""
    r = 4000
    w = np.array([BrownianTree(1, 1.0, key=s).value(0, 2, 1)[0] for s in range(r)]).ravel()
    inc = np.array([BrownianTree(1, 1.0, key=s).increment(1, 3, 5)[0] for s in range(r)]).ravel()
    for sample, var in [(w, 0.25), (inc, 0.125)]:
        se = var * np.sqrt(2 / sample.size)  # standard error of a Gaussian sample variance
        assert abs(sample.var() - var) < 4.5 * se
        assert abs(sample.mean()) < 4.5 * np.sqrt(var / sample.size)


def test_rejects_going_back_and_too_fine_levels():
    tree = BrownianTree(1, 1.0, key=0, max_level=4)
    tree.value(3, 0, 0)
    with pytest.raises(ValueError, match="in order"):
        tree.value(1, 0, 0)
    with pytest.raises(ValueError, match="below level 4"):
        tree.value(3, 5, 1)
