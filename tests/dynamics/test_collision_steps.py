"""The dyadic collision step control, piece by piece: levels, taming, collapses, validation."""

import math

import numpy as np
import pytest

from kellersegel.dynamics import CollisionStepController, EulerMaruyama, GivenSignal, TimeGrid
from kellersegel.dynamics.adaptive import CollisionSteps, _capped_rows
from kellersegel.dynamics.brownian import BrownianTree, BrownianWalk, _node_normals
from kellersegel.dynamics.clusters import close_pairs, cluster_of_closest_pair
from kellersegel.dynamics.integrate import State
from kellersegel.models import ClassicalModel


@pytest.mark.parametrize(
    ("h", "distance", "max_drift"),
    [(0.01, 0.5, 0.0), (0.01, 0.05, 0.3), (0.01, 0.05, 40.0), (0.01, 1e-4, 2.0), (0.01, math.nan, 5.0),
     (10.0, 10.0, 0.9)],  # the last: a drift below 1 that sets the step (b d / |b| = 2.2 < a d² = 3)
)  # fmt: skip
def test_the_level_is_the_coarsest_dyadic_step_below_the_wanted_one(h, distance, max_drift):
    """Δt_wanted = min(h, a d², b d / max|b|); the level m is the smallest with h/2^m ≤ Δt_wanted."""
    c = CollisionStepController(distance_fraction=0.03, drift_fraction=0.2, max_level=30)
    wanted = h
    if math.isfinite(distance):
        wanted = min(wanted, 0.03 * distance**2)
        if max_drift > 0:
            wanted = min(wanted, 0.2 * distance / max_drift)
    m = c.level(h, distance, max_drift)
    assert h / 2**m <= wanted * (1 + 1e-12) and (m == 0 or h / 2 ** (m - 1) > wanted)


def test_taming_caps_each_drift_at_its_speed_and_keeps_its_direction():
    v = np.array([[3.0, 4.0], [0.3, -0.4], [-6.0, 8.0], [0.0, 0.0]])
    capped = _capped_rows(v, 1.0)
    np.testing.assert_allclose(capped, [[0.6, 0.8], [0.3, -0.4], [-0.6, 0.8], [0.0, 0.0]], rtol=1e-15)


def test_at_the_floor_the_drift_is_tamed_and_a_collapse_is_counted():
    """A pair closer than the floor distance: the finest level, |b| Δt_min ≤ b · d, one collapse."""
    control = CollisionSteps(CollisionStepController(0.02, 0.1, max_level=10), explosion_window=20.0)
    grid = TimeGrid(0.1, 0.01, 0.01)
    control.start(grid, 2)
    floor = 0.01 / 2**10
    d = 0.1 * math.sqrt(floor / 0.02)  # a tenth of the floor distance
    x = np.array([[0.0, 0.0], [d, 0.0]])
    stepper = EulerMaruyama(
        ClassicalModel(chi=1.0), GivenSignal(lambda t, x: np.array([[50.0, 0.0], [-50.0, 0.0]]))
    )
    state = State(0.01, [x], [stepper.coefficients(0.01, x)])
    level, event = control.plan(state)
    assert level == 10 and event is None
    speed = np.linalg.norm(state.coefficients[0].drift, axis=1)
    np.testing.assert_allclose(speed * floor, 0.1 * d, rtol=1e-12)
    summary = control.summary()
    assert summary["collapses"] == 1 and summary["floor_time"] == 0.01 and summary["exploding_cluster"] == 0
    # the pair moves apart (wanted step above 2^8 floor steps): the collapse ends, lasting 0.02
    apart = np.array([[0.0, 0.0], [1.0, 0.0]])
    calm = EulerMaruyama(ClassicalModel(chi=1.0), GivenSignal(lambda t, x: np.zeros_like(x)))
    later = State(0.03, [apart], [calm.coefficients(0.03, apart)])
    level, event = control.plan(later)
    assert level == 0 and event is None
    assert control.summary()["collapse_durations"] == [pytest.approx(0.02)]
    assert control.summary()["collapses"] == 1


def test_the_collapse_radius_is_sixteen_floor_distances():
    control = CollisionSteps(CollisionStepController(0.02, 0.1, max_level=20))
    floor = 1e-3 / 2**20
    assert control.collapse_radius(1e-3) == pytest.approx(16 * math.sqrt(floor / 0.02), rel=1e-15)


def test_bad_controls_are_refused():
    CollisionStepController(max_level=60)
    with pytest.raises(ValueError, match="max_level must be in 0 … 60"):
        CollisionStepController(max_level=61)
    with pytest.raises(ValueError, match="must be > 0"):
        CollisionStepController(distance_fraction=0.1, drift_fraction=0.0)
    with pytest.raises(ValueError, match="must be > 0"):
        CollisionStepController(distance_fraction=0.0, drift_fraction=0.1)


def test_a_bridge_midpoint_is_the_documented_function_of_its_neighbours():
    """W((a + b)/2) = (W(a) + W(b))/2 + √((b − a)/4) Z(k, m, j), Z the node's normals."""
    key, h = 99, 0.5
    tree = BrownianTree(3, h, key, max_level=4)
    left, right = tree.value(0, 0, 0), tree.value(0, 0, 1)
    z = _node_normals(3, np.uint64(key & 0xFFFFFFFF), np.uint64(key >> 32), 0, 1, 1)
    np.testing.assert_array_equal(tree.value(0, 1, 1), 0.5 * (left + right) + math.sqrt(h / 4) * z)
    # the base points: W(t_1) = W(0) + √h Z(0, 0, 1), W(0) = 0
    z0 = _node_normals(3, np.uint64(key & 0xFFFFFFFF), np.uint64(key >> 32), 0, 0, 1)
    np.testing.assert_array_equal(right, math.sqrt(h) * z0)


def test_a_walk_refuses_levels_beyond_its_finest():
    walk = BrownianWalk(2, 0.1, key=3, max_level=4)
    with pytest.raises(ValueError, match="level-5 step is not aligned"):
        walk.step(5)
    with pytest.raises(ValueError, match="level--1 step is not aligned"):
        walk.step(-1)


def test_one_particle_has_no_pairs_and_is_its_own_cluster():
    one = np.array([[0.3, 0.4]])
    found = close_pairs(one, 1.0)
    assert math.isnan(found.min_distance) and found.closest == -1 and found.pairs.shape == (0, 2)
    assert cluster_of_closest_pair(one, 1.0) == 1
    # two particles farther apart than the linking distance: the closest pair is two clusters of 1
    assert cluster_of_closest_pair(np.array([[0.0, 0.0], [1.0, 0.0]]), 0.1) == 1
    assert cluster_of_closest_pair(np.array([[0.0, 0.0], [0.05, 0.0]]), 0.1) == 2


def test_two_particles_on_top_of_each_other_ask_for_a_level_beyond_the_floor():
    """d = 0 wants a step of 0: the level is max_level + 1, which the control clamps and tames; a
    controller without refinement (max_level = 0) is allowed."""
    from kellersegel.dynamics import CollisionStepController

    controller = CollisionStepController(0.02, 0.1, 7)
    assert controller.level(0.01, 0.0, 1.0) == 8
    assert CollisionStepController(0.02, 0.1, 0).level(0.01, 0.0, 1.0) == 1
