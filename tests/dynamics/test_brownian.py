"""The refinable Brownian path: bridges consistent across levels, right variances."""

import math

import numpy as np
import pytest

from kellersegel.dynamics import BrownianTree, BrownianWalk
from kellersegel.dynamics.brownian import philox4x32


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


@pytest.mark.parametrize(
    ("counter", "key", "expected"),
    [  # Random123 known-answer vectors for Philox4x32-10
        ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
        (
            (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
            (0xA4093822, 0x299F31D0),
            (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
        ),
    ],
)
def test_philox_matches_the_random123_known_answers(counter, key, expected):
    assert philox4x32(counter, key) == expected


def test_a_walk_of_mixed_steps_follows_the_tree(rng):
    """Random dyadic steps (aligned on their own grid) give exactly the tree's increments."""
    top = 10
    tree, walk = BrownianTree(3, 0.1, key=5, max_level=top), BrownianWalk(3, 0.1, key=5, max_level=top)
    position = interval = 0
    while interval < 3:
        aligned = top - ((position & -position).bit_length() - 1) if position else 0
        level = max(int(rng.integers(0, top + 1)), aligned)
        span = 1 << (top - level)
        np.testing.assert_array_equal(walk.step(level), tree.increment(interval, level, position // span))
        position += span
        if position == 1 << top:
            interval, position = interval + 1, 0
    assert (walk.interval, walk.position) == (3, 0)
    with pytest.raises(ValueError, match="not aligned"):
        walk.step(top), walk.step(top - 1)


def _reference_normals(n, key, k, m, j):
    """Z of node (k, m, j) as documented, in plain Python: particle i's counter is
    (i, j mod 2³², ⌊j / 2³²⌋ + m·2²⁴, k), two 53-bit uniforms from the four Philox words, Box–Muller."""
    out = np.empty((n, 2))
    for i in range(n):
        w = philox4x32((i, j % 2**32, (j >> 32) | (m << 24), k), (key % 2**32, key >> 32))
        u1 = ((w[0] >> 5) * 2**26 + (w[1] >> 6) + 0.5) / 2**53
        u2 = ((w[2] >> 5) * 2**26 + (w[3] >> 6) + 0.5) / 2**53
        r = math.sqrt(-2 * math.log(u1))
        out[i] = r * math.cos(2 * math.pi * u2), r * math.sin(2 * math.pi * u2)
    return out


@pytest.mark.parametrize(("k", "m", "j"), [(0, 0, 1), (3, 5, 17), (2**31 + 7, 40, 2**33 + 5)])
def test_node_normals_are_the_documented_function_of_their_counter(k, m, j):
    """Every bit of the counter and of the uniform-to-normal map matters: the compiled normals
    equal a plain-Python evaluation of the documented construction."""
    from kellersegel.dynamics.brownian import _node_normals

    key = 0x1234_5678_9ABC_DEF1
    got = _node_normals(5, np.uint64(key & 0xFFFFFFFF), np.uint64(key >> 32), k, m, j)
    np.testing.assert_array_equal(got, _reference_normals(5, key, k, m, j))


def test_the_counter_words_bound_the_levels_and_the_base_intervals():
    """The level and the node index share one 32-bit word (levels ≤ 56), the base interval has one
    (k < 2³²): beyond, counters would repeat, so the path refuses."""
    BrownianWalk(2, 0.1, key=1, max_level=56)
    with pytest.raises(ValueError, match="max_level ≤ 56"):
        BrownianWalk(2, 0.1, key=1, max_level=57)
    tree = BrownianTree(2, 0.1, key=1, max_level=4)
    tree._next_base_value(2**32 - 1, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="base interval 4294967296 outside"):
        tree._next_base_value(2**32, np.zeros((2, 2)))


def test_the_key_is_taken_mod_2_64_and_both_of_its_words_matter():
    """Philox takes the key as two 32-bit words: keys equal mod 2⁶⁴ give one path; keys that
    differ only in bit 32 (the high word) or bit 0 (the low word) give different paths."""
    from kellersegel.dynamics import BrownianTree

    def path(key):
        return BrownianTree(3, 0.1, key, max_level=2).value(1, 2, 1)

    np.testing.assert_array_equal(path(12345), path(12345 + 2**64))
    assert not np.array_equal(path(12345), path(12345 + 2**32))
    assert not np.array_equal(path(12345), path(12344))


def test_paths_refuse_no_particles_and_accept_level_zero_and_the_last_node():
    from kellersegel.dynamics import BrownianTree

    with pytest.raises(ValueError, match="n ≥ 1"):
        BrownianTree(0, 0.1, 1, max_level=2)
    coarse = BrownianTree(2, 0.1, 1, max_level=0)  # base steps only
    np.testing.assert_allclose(coarse.value(0, 0, 1), coarse.value(1, 0, 0))
    tree = BrownianTree(2, 0.1, 1, max_level=3)
    tree.value(0, 3, 8)  # j = 2^m: the next base point
    with pytest.raises(ValueError, match="no dyadic node"):
        tree.value(0, 3, 9)
