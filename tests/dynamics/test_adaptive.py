"""Adaptive steps for the singular system: Bessel collisions, refinement, explosion events."""

import math

import numpy as np
import pytest

from kellersegel.analysis import fit_bessel_dimension
from kellersegel.dynamics import (
    CollisionStepController,
    EllipticSignal,
    EulerMaruyama,
    TimeGrid,
    Trajectory,
    adaptive_integration,
)
from kellersegel.fields import DirectEngine
from kellersegel.kernels import ExactKernel
from kellersegel.models import ClassicalModel


def simulate_adaptive(stepper, x0, grid, key, controller=None, **options) -> Trajectory:
    """An adaptive run, read as a trajectory."""
    return Trajectory.from_solution(adaptive_integration(stepper, x0, grid, key, controller, **options).run())


def stepper(chi: float) -> EulerMaruyama:
    return EulerMaruyama(ClassicalModel(chi=chi), EllipticSignal(DirectEngine(ExactKernel())))


def test_two_particles_collide_like_a_bessel_process_of_dimension_2_minus_chi_over_2piN():
    """|X_1 − X_2|/2 is a Bessel process of dimension δ = 2 − χ/(2πN) (mass 1, N = 2).

    Started at x = r0/2 it hits 0 at x²/(2G), G ~ Gamma(1 − δ/2): from 150 runs (first time
    the pair is within 10⁻³, censored at t = 1) the maximum-likelihood δ must lie within 4 of
    its standard errors of the theory, for δ = 1 (χ = 4π). A drift of the wrong sign or size
    (e.g. a missing factor 2 in the relative drift, δ = 1.5 or 0) is many standard errors off.
    """
    delta, r0, t_max = 1.0, 0.5, 1.0
    chi = (2 - delta) * 2 * math.pi * 2
    grid = TimeGrid(t_max, 0.01, t_max)
    x0 = np.array([[-r0 / 2, 0.0], [r0 / 2, 0.0]])
    times = []
    for key in range(150):
        traj = simulate_adaptive(stepper(chi), x0, grid, key, cluster_radius=1e-3, stop_at_cluster=2)
        assert traj.event in ("cluster", "none")
        times.append(traj.cluster_first_time[2])
    estimate, se = fit_bessel_dimension(np.array(times), start=r0 / 2, t_max=t_max)
    assert se < 0.12
    assert abs(estimate - delta) < 4 * se


def test_finer_steps_follow_the_same_brownian_path(rng):
    """Same key, a 4× stricter controller: final states agree far better than with another key."""
    x0 = rng.normal(size=(6, 2))
    grid = TimeGrid(0.2, 0.01, 0.1)
    coarse = CollisionStepController(distance_fraction=0.02, drift_fraction=0.1)
    fine = CollisionStepController(distance_fraction=0.005, drift_fraction=0.025)
    a = simulate_adaptive(stepper(2 * math.pi), x0, grid, 7, coarse)
    b = simulate_adaptive(stepper(2 * math.pi), x0, grid, 7, fine)
    c = simulate_adaptive(stepper(2 * math.pi), x0, grid, 8, fine)
    assert b.steps > a.steps and b.min_step <= a.min_step
    same = np.abs(a.positions[-1] - b.positions[-1]).max()
    other = np.abs(a.positions[-1] - c.positions[-1]).max()
    assert same < 0.1 * other


def test_a_pair_with_negative_dimension_explodes_and_is_reported():
    """N = 4, χ = 40π: δ_2 = 2 − χ/(2πN) = −3 < 0; a close pair collapses, the far pair does not."""
    x0 = np.array([[0.0, 0.0], [0.05, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    grid = TimeGrid(0.1, 1e-3, 1e-2)
    controller = CollisionStepController(max_level=16)
    traj = simulate_adaptive(stepper(40 * math.pi), x0, grid, 1, controller, explosion_window=0.5)
    assert traj.event == "explosion"
    assert traj.exploding_cluster == 2
    assert traj.floor_time <= traj.event_time < 0.1
    assert traj.min_step == pytest.approx(1e-3 / 2**16)
    assert traj.cluster_first_time[2] <= traj.event_time and np.isnan(traj.cluster_first_time[3])
    detected = traj.event_time + 0.5 * 256 * traj.min_step / 0.02  # the window: 0.5 (16 d_floor)²
    assert np.all(np.isfinite(traj.second_moment[traj.times <= traj.event_time]))
    assert np.all(np.isnan(traj.second_moment[traj.times > detected]))


def test_far_particles_take_base_steps_and_save_on_the_grid():
    x0 = 10.0 * np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 2.0]])
    grid = TimeGrid(0.5, 0.05, 0.1)
    traj = simulate_adaptive(stepper(1.0), x0, grid, 3)
    assert traj.event == "none" and traj.steps == grid.n_steps and traj.min_step == 0.05
    np.testing.assert_array_equal(traj.largest_cluster, np.ones(6))
    assert np.all(np.isfinite(traj.positions))


def test_the_cluster_dimension_estimate_of_an_exact_squared_bessel_path():
    """Z from the exact transition of BESQ(δ) (Z_{t+h} = h χ'²_δ(Z_t/h)), as a pair ±Y/2 with
    |Y|²/4 = Z, 40 paths of little information each (Σ Δt/Z ≈ 0.85): each estimate within 4
    standard errors of δ, the stated error the spread over paths, and the 40 records pooled
    (information 34) within 3 errors of δ. Z without its ½ doubles the estimate; a wrong weight or
    error formula breaks the spread. (The mean of the 40 short-record estimates, 4.1, shows the
    maximum-likelihood bias O(1/information); pooling removes it.)"""
    from scipy import stats

    from kellersegel.dynamics.adaptive import ClusterDimension

    delta, h, steps, paths = 3.0, 1e-5, 4000, 40
    rng = np.random.default_rng(3)
    z = np.full(paths, 0.01)
    estimates = [ClusterDimension() for _ in range(paths)]
    for j in range(steps):
        for p, estimate in enumerate(estimates):
            y = 2 * math.sqrt(z[p])
            estimate.update(
                np.array([[-y / 2, 0.0], [y / 2, 0.0], [9.0, 9.0]]), j * h, np.array([0, 1]), True
            )
        z = h * stats.ncx2.rvs(delta, z / h, random_state=rng)
    values, errors = np.array([e.estimate() for e in estimates]).T
    assert np.all(np.abs(values - delta) < 4 * errors)
    assert 0.7 < values.std() / np.sqrt(np.mean(errors**2)) < 1.4
    s1, s2 = np.sum([e.sums for e in estimates], axis=0)
    assert abs(s1 / s2 - delta) < 3 * 2 / math.sqrt(s2)


def test_the_estimate_starts_again_with_a_new_membership_and_skips_tamed_steps():
    from kellersegel.dynamics.adaptive import ClusterDimension

    estimate = ClusterDimension()
    pair = lambda d: np.array([[0.0, 0.0], [d, 0.0], [5.0, 0.0]])  # Z = d²/4
    estimate.update(pair(1.0), 0.0, np.array([0, 1]), True)
    estimate.update(pair(2.0), 0.5, np.array([0, 1]), False)  # ΔZ/Z = 3, Δt/Z = 2
    assert estimate.estimate() == pytest.approx((1.5, 2 / math.sqrt(2)))
    estimate.update(pair(3.0), 1.0, np.array([0, 1]), True)  # from a tamed step: not counted
    assert estimate.estimate() == pytest.approx((1.5, 2 / math.sqrt(2)))
    estimate.update(pair(3.0), 1.5, np.array([0, 1, 2]), True)  # a third joins: start again
    assert np.isnan(estimate.estimate()[0]) and estimate.since == 1.5


def test_a_pair_that_theory_lets_separate_is_never_reported_as_the_exploding_cluster():
    """N = 4, χ = 15π: δ_2 = 0.125 > 0 (a pair lingers at the floor, long), δ_3 = −1.625. With a
    short window the pair's collapse lasts a window: on these paths the window rule (every
    cluster read at the first window explodes) reports a 2-cluster; the theory-checked decision
    follows that collapse on (the pair is left again, or the third joins) and reports the triple
    that explodes, not earlier."""
    x0 = np.array([[0.0, 0.0], [0.03, 0.0], [0.3, 0.2], [3.0, -3.0]])
    grid = TimeGrid(0.05, 1e-3, 1e-2)
    controller = CollisionStepController(max_level=12)
    theory = ClassicalModel(chi=15 * math.pi)
    window = 0.5 * 256 * grid.dt / 2**12 / 0.02
    for key in (0, 3, 4):
        run = lambda dimension: simulate_adaptive(  # noqa: E731
            stepper(15 * math.pi), x0, grid, key, controller, explosion_window=0.5, dimension=dimension
        )
        checked = run(lambda k: theory.collision_dimension(k, 4))
        old = run(lambda k: -1.0)
        assert (old.event, old.exploding_cluster) == ("explosion", 2)
        assert (checked.event, checked.exploding_cluster, checked.undecided_cluster) == ("explosion", 3, 0)
        assert checked.event_time >= old.event_time and checked.explosion_wait >= window * (1 - 1e-9)


def test_the_decision_records_the_estimated_dimension_of_the_exploding_pair():
    """N = 4, χ = 40π: δ_2 = −3; the pair's estimated dimension is negative and within 4 errors."""
    x0 = np.array([[0.0, 0.0], [0.05, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    grid = TimeGrid(0.1, 1e-3, 1e-2)
    controller = CollisionStepController(max_level=16)
    traj = simulate_adaptive(stepper(40 * math.pi), x0, grid, 1, controller, explosion_window=0.5)
    assert traj.event == "explosion" and traj.undecided_cluster == 0
    assert traj.cluster_dimension < 0 and abs(traj.cluster_dimension + 3) < 4 * traj.cluster_dimension_error
    assert traj.explosion_wait == pytest.approx(0.5 * 256 * traj.min_step / 0.02)


def test_without_a_theory_the_estimated_dimension_decides():
    """The δ_2 = −3 pair again, no collision dimension given: its estimate, far below 0, decides
    the same explosion on the same path; a δ_2 = 1.5 pair (χ = 4π, N = 4) never explodes."""
    x0 = np.array([[0.0, 0.0], [0.05, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    grid = TimeGrid(0.1, 1e-3, 1e-2)
    controller = CollisionStepController(max_level=16)
    model = ClassicalModel(chi=40 * math.pi)
    theory = simulate_adaptive(stepper(40 * math.pi), x0, grid, 1, controller, explosion_window=0.5,
                               dimension=lambda k: model.collision_dimension(k, 4))  # fmt: skip
    measured = simulate_adaptive(stepper(40 * math.pi), x0, grid, 1, controller, explosion_window=0.5)
    assert measured.event == theory.event == "explosion" and measured.event_time == theory.event_time
    assert measured.exploding_cluster == 2
    calm = simulate_adaptive(stepper(4 * math.pi), x0, TimeGrid(0.05, 1e-3, 1e-2), 1, controller,
                             explosion_window=0.5)  # fmt: skip
    assert calm.event == "none"


def test_without_a_theory_a_cluster_explodes_only_two_errors_below_zero():
    """The rule δ̂ + 2·se < 0, at its edges: δ̂ = −2.1, se = 1 explodes; −1.9 does not, nor −2
    exactly (the boundary is not an explosion). One error, three errors, or δ̂ − 2·se would each
    move one of the three decisions."""
    from kellersegel.dynamics.adaptive import ClusterDimension, CollisionSteps

    decisions = {}
    for estimate in (-2.1, -1.9, -2.0):
        control = CollisionSteps(explosion_window=1.0)
        control.start(TimeGrid(1.0, 0.01, 1.0), 3)
        cluster = ClusterDimension()
        cluster.members = np.array([0, 1])
        cluster._sums = [4 * estimate, 4.0]  # δ̂ = Σ ΔZ/Z ÷ Σ Δt/Z, se = 2/√4 = 1
        control._cluster = cluster
        decisions[estimate] = control._explodes()
        assert control.undecided_cluster == (0 if decisions[estimate] else 2)
    assert decisions == {-2.1: True, -1.9: False, -2.0: False}


def test_the_clusters_link_is_the_relative_brownian_displacement_over_a_window():
    """Two independent particles of dX = √2 dW move apart by a Gaussian of variance 4w per
    coordinate over a window w: the link 2√w is one standard deviation of it."""
    from kellersegel.dynamics.adaptive import CollisionSteps

    control = CollisionSteps(explosion_window=3.0)
    control.start(TimeGrid(1.0, 0.01, 1.0), 3)
    assert control.window == pytest.approx(3.0 * control.collapse_radius(0.01) ** 2)
    assert control.link == pytest.approx(2 * math.sqrt(control.window))


def test_a_run_that_ends_in_a_followed_collapse_reports_it_undecided():
    """The δ_2 = −3 pair with a theory that says δ = 1 (no explosion): it collapses and stays at
    the floor to the end; the run has no event, reports an undecided 2-cluster, and the wait is
    the whole windows it was followed (the time from the collapse to the end, rounded down)."""
    x0 = np.array([[0.0, 0.0], [0.05, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    grid = TimeGrid(0.02, 1e-3, 1e-2)
    controller = CollisionStepController(max_level=10)
    traj = simulate_adaptive(stepper(40 * math.pi), x0, grid, 1, controller, explosion_window=0.5,
                             dimension=lambda k: 1.0)  # fmt: skip
    window = 0.5 * 256 * traj.min_step / 0.02
    assert traj.event == "none" and traj.exploding_cluster == 0 and traj.undecided_cluster == 2
    windows = traj.explosion_wait / window
    assert windows >= 1 and windows == pytest.approx(round(windows))
    assert traj.explosion_wait <= 0.02 - traj.floor_time < traj.explosion_wait + window
    assert np.isfinite(traj.cluster_dimension) and traj.cluster_dimension < 0
