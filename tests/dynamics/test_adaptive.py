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
