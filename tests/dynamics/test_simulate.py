"""Simulation loop: save times, diagnostics, stopping events."""

import dataclasses
import math

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from kellersegel.dynamics import (
    EllipticSignal,
    EulerMaruyama,
    GivenSignal,
    SignalField,
    TimeGrid,
    Trajectory,
    find_clusters,
    fixed_step_integration,
    min_pair_distance,
)
from kellersegel.fields import DirectEngine, FieldValues
from kellersegel.kernels import ExactKernel, GaussianMollifiedKernel
from kellersegel.models import ClassicalModel


def simulate(stepper, x0, grid, rng, **options) -> Trajectory:
    """A fixed-step run, read as a trajectory."""
    return Trajectory.from_solution(fixed_step_integration(stepper, x0, grid, rng, **options).run())


def make_stepper(chi=4 * math.pi):
    return EulerMaruyama(ClassicalModel(chi=chi), EllipticSignal(DirectEngine(ExactKernel())))


def test_time_grid_steps_and_save_times():
    grid = TimeGrid(t_end=1.0, dt=0.01, save_every=0.3)
    assert grid.n_steps == 100
    np.testing.assert_array_equal(grid.save_steps, [0, 30, 60, 90, 100])
    # the count without the array (memory checks of huge runs): save_every dividing t_end or not,
    # one save interval, every step
    for n_steps, stride in [(100, 30), (100, 25), (100, 100), (100, 1), (7, 2), (7, 7), (1, 1), (9, 4)]:
        grid = TimeGrid(t_end=n_steps * 0.5, dt=0.5, save_every=stride * 0.5)
        assert grid.n_saves == len(grid.save_steps), (n_steps, stride)
    for kwargs, message in [
        ({"t_end": 1.0, "dt": 0.0, "save_every": 0.1}, "time.dt: must be a finite number > 0"),
        ({"t_end": 1e-4, "dt": 1e-3, "save_every": 1e-3}, "time.t_end: must be ≥ time.dt"),
        ({"t_end": 1.0, "dt": 0.3, "save_every": 0.3}, "time.t_end: must be a multiple"),
        ({"t_end": 1.0, "dt": 0.1, "save_every": 0.15}, "time.save_every: must be a multiple"),
    ]:
        with pytest.raises(ValueError, match=message):
            TimeGrid(**kwargs)


def test_diagnostics_at_save_times(rng):
    x0 = rng.standard_normal((200, 2))
    grid = TimeGrid(0.05, 0.01, 0.02)
    traj = simulate(make_stepper(), x0, grid, np.random.default_rng(1), save_particles=50)
    assert traj.positions.shape == (4, 50, 2)
    np.testing.assert_array_equal(traj.positions[0], x0[:50])
    assert traj.second_moment[0] == pytest.approx(np.mean(np.sum(x0**2, axis=1)))
    np.testing.assert_allclose(traj.center_of_mass[0], x0.mean(axis=0))
    assert traj.min_distance[0] == pytest.approx(pdist(x0).min())
    assert traj.event == "none" and math.isnan(traj.event_time)
    assert np.all(np.isfinite(traj.positions))


def test_min_pair_distance_matches_all_pairs(rng):
    x = rng.standard_normal((500, 2))
    assert min_pair_distance(x) == pytest.approx(pdist(x).min(), rel=1e-15)


def test_explosion_stops_the_run_and_keeps_the_data_before_it(rng):
    # two particles 1e-4 apart: the drift χ/(2πN r) moves them far more than the cloud's size
    x0 = rng.standard_normal((20, 2))
    x0[1] = x0[0] + 1e-6
    grid = TimeGrid(0.1, 0.01, 0.02)
    traj = simulate(make_stepper(chi=50.0), x0, grid, np.random.default_rng(2))
    assert traj.event == "explosion" and traj.event_time == 0.0
    np.testing.assert_array_equal(traj.positions[0], x0)  # the state at t = 0 is kept
    assert np.all(np.isnan(traj.second_moment[1:]))


class BrokenField(SignalField):
    """A field that returns NaN from its third evaluation on."""

    def __init__(self):
        self.calls = 0

    def at_particles(self, t, x, *, potential):
        self.calls += 1
        grad = np.zeros_like(x) if self.calls < 3 else np.full_like(x, np.nan)
        return FieldValues(None, grad)


def test_nonfinite_drift_is_an_event(rng):
    stepper = EulerMaruyama(ClassicalModel(), BrokenField())
    grid = TimeGrid(0.1, 0.01, 0.01)
    traj = simulate(stepper, rng.standard_normal((10, 2)), grid, np.random.default_rng(0))
    assert traj.event == "nonfinite"
    assert traj.event_time == pytest.approx(0.02)
    assert np.all(np.isfinite(traj.positions[:3])) and np.all(np.isnan(traj.positions[3:]))


def test_same_generator_state_gives_the_same_trajectory(rng):
    x0 = rng.standard_normal((100, 2))
    grid = TimeGrid(0.05, 0.01, 0.01)
    a = simulate(make_stepper(), x0, grid, np.random.default_rng(5))
    b = simulate(make_stepper(), x0, grid, np.random.default_rng(5))
    np.testing.assert_array_equal(a.positions, b.positions)


def test_drive_is_step_by_step_with_the_given_increments(rng):
    from kellersegel.dynamics import EllipticSignal, EulerMaruyama
    from kellersegel.fields import DirectEngine
    from kellersegel.kernels import GaussianMollifiedKernel
    from kellersegel.models import ClassicalModel

    stepper = EulerMaruyama(ClassicalModel(), EllipticSignal(DirectEngine(GaussianMollifiedKernel(0.3))))
    x0 = rng.standard_normal((40, 2))
    dws = 0.1 * rng.standard_normal((3, 40, 2))
    x, drifts = stepper.drive(x0, dws, 0.01, t0=0.5)
    y = x0
    for k in range(3):
        c = stepper.coefficients(0.5 + 0.01 * k, y)
        np.testing.assert_array_equal(drifts[k], c.drift)
        y = y + 0.01 * c.drift + np.sqrt(2.0) * dws[k]
    np.testing.assert_allclose(x, y, rtol=1e-15, atol=1e-15)


def test_a_time_dependent_field_is_sampled_at_the_step_times(rng):
    """∇c = (t, 0) everywhere (χ = 1): Euler–Maruyama adds Δt·t_k at t_k = kΔt, so the final
    state is x0 + (Δt² Σ_k k, 0) + √2 Σ_k ΔW_k, ΔW_k drawn from the generator step by step."""
    stepper = EulerMaruyama(
        ClassicalModel(chi=1.0), GivenSignal(lambda t, x: np.column_stack([np.full(len(x), t), 0 * x[:, 0]]))
    )
    x0 = rng.standard_normal((30, 2))
    grid = TimeGrid(0.2, 0.01, 0.1)
    traj = simulate(stepper, x0, grid, np.random.default_rng(4))
    draws = np.random.default_rng(4)
    noise = sum(math.sqrt(grid.dt) * draws.standard_normal((30, 2)) for _ in range(grid.n_steps))
    expected = x0 + [grid.dt**2 * sum(range(grid.n_steps)), 0.0] + math.sqrt(2.0) * noise
    np.testing.assert_allclose(traj.positions[-1], expected, rtol=1e-12, atol=1e-12)
    dws = math.sqrt(grid.dt) * np.random.default_rng(4).standard_normal((grid.n_steps, 30, 2))
    final, drifts = stepper.drive(x0, dws, grid.dt, t0=0.5)
    np.testing.assert_allclose(drifts[:, 0, 0], 0.5 + grid.dt * np.arange(grid.n_steps), rtol=1e-13)


def test_the_explosion_rule_does_not_depend_on_where_the_cloud_is(rng):
    """The RMS radius is taken about the centre of mass: a cloud moved far away explodes at the
    same step, and a cloud without a close pair does not explode wherever it is."""
    x0 = rng.standard_normal((20, 2))
    x0[1] = x0[0] + 1e-6
    grid = TimeGrid(0.1, 0.01, 0.02)
    for shift in ([0.0, 0.0], [300.0, -200.0]):
        traj = simulate(make_stepper(chi=50.0), x0 + shift, grid, np.random.default_rng(2))
        assert traj.event == "explosion" and traj.event_time == 0.0
    wide = rng.standard_normal((20, 2))
    for shift in ([0.0, 0.0], [300.0, -200.0]):
        traj = simulate(make_stepper(chi=1.0), wide + shift, grid, np.random.default_rng(2))
        assert traj.event == "none"


def test_largest_drift_is_the_largest_row_norm(rng):
    x = rng.standard_normal((40, 2))
    for chi in (4 * math.pi, 1e-3):  # drifts above and below 1
        coefficients = make_stepper(chi).coefficients(0.0, x)
        expected = np.max(np.linalg.norm(coefficients.drift, axis=1))
        assert coefficients.max_drift() == pytest.approx(expected, rel=1e-14)


def test_clusters_are_first_seen_at_the_step_time(rng):
    """Fixed steps with a cluster radius: the first time two particles are within it is a step
    time kΔt, the first one where the minimum distance is ≤ the radius."""
    x0 = rng.uniform(-1, 1, (6, 2))
    grid = TimeGrid(0.5, 0.01, 0.01)
    traj = simulate(make_stepper(chi=1.0), x0, grid, np.random.default_rng(3), cluster_radius=0.3)
    first = traj.cluster_first_time[2]
    hits = np.flatnonzero(traj.min_distance <= 0.3)
    assert math.isfinite(first) and first == pytest.approx(traj.times[hits[0]])
    sizes = [np.bincount(find_clusters(x, 0.3)[0]).max() for x in traj.positions]
    np.testing.assert_array_equal(traj.largest_cluster, sizes)
    assert traj.exploding_cluster == 0 and traj.collapses == 0  # fixed steps never collapse


def test_time_grid_multiples_are_relative_to_the_value():
    assert TimeGrid(1000.0, 1e-3, 1.0).n_steps == 10**6
    with pytest.raises(ValueError, match="time.t_end: must be a multiple"):
        TimeGrid(0.0010005, 1e-6, 1e-6)
    np.testing.assert_array_equal(TimeGrid(1.0, 0.1, 0.5).save_steps, [0, 5, 10])
    np.testing.assert_array_equal(TimeGrid(1.0, 0.1, 0.4).save_steps, [0, 4, 8, 10])
    np.testing.assert_allclose(TimeGrid(1.0, 0.1, 0.4).save_times, [0.0, 0.4, 0.8, 1.0], rtol=1e-15)
    with pytest.raises(dataclasses.FrozenInstanceError):
        TimeGrid(1.0, 0.1, 0.5).dt = 0.2


def test_explosion_threshold_is_a_fraction_of_the_centred_rms_radius(rng):
    """At t = 0, χ = 50, N = 20: a pair 1e-3 apart moves max|b|Δt ≈ 4 > 0.5 R (R ≈ 1.8, the RMS
    radius about the centre of mass, wherever the cloud is); a pair 8e-3 apart moves ≈ 0.5 < 0.5 R.
    A cloud smaller than a Brownian step, R ≈ 0.09 < 2√Δt = 0.2, is measured against 2√Δt: at
    χ = 0.05 a pair 2e-5 apart moves ≈ 0.2 > 0.1, one 6e-5 apart ≈ 0.067 (> 0.5 R, < 0.1) does
    not explode."""
    x0 = rng.standard_normal((20, 2))
    grid = TimeGrid(0.01, 0.01, 0.01)

    def explodes_at_once(x, chi):
        traj = simulate(make_stepper(chi=chi), x, grid, np.random.default_rng(2))
        return traj.event == "explosion" and traj.event_time == 0.0

    for gap, expected in ((1e-3, True), (8e-3, False)):
        x = x0.copy()
        x[1] = x[0] + [gap, 0.0]
        for shift in ([0.0, 0.0], [300.0, -200.0]):
            assert explodes_at_once(x + shift, 50.0) == expected, (gap, shift)
    for gap, expected in ((2e-5, True), (6e-5, False)):
        tiny = 0.05 * x0
        tiny[1] = tiny[0] + [gap, 0.0]
        assert explodes_at_once(tiny, 0.05) == expected, gap


def test_a_cloud_at_one_point_is_not_an_explosion():
    """Particles within 1e-12 of one point (as a point mass through a spectral engine's
    round-off): the drift step, about 2e-12, is far above half the cloud's radius but far below
    the Brownian step 2√Δt = 0.2; the cloud spreads by the noise instead of stopping at t = 0."""
    kernel = GaussianMollifiedKernel(0.1)
    stepper = EulerMaruyama(ClassicalModel(chi=4 * math.pi), EllipticSignal(DirectEngine(kernel)))
    x0 = 1e-12 * np.random.default_rng(1).standard_normal((20, 2))
    traj = simulate(stepper, x0, TimeGrid(0.05, 0.01, 0.01), np.random.default_rng(2))
    assert traj.event == "none" and traj.second_moment[-1] > 1e-3


def test_a_memory_field_is_advanced_at_the_step_times(rng):
    from kellersegel.dynamics.memory import ExactHistorySignal
    from kellersegel.kernels.memory import SlabKernel

    x0 = rng.standard_normal((30, 2))
    grid = TimeGrid(0.05, 0.01, 0.05)

    def stepper():
        return EulerMaruyama(ClassicalModel(chi=5.0), ExactHistorySignal(SlabKernel(1.0, 0.0, 0.2)))

    traj = simulate(stepper(), x0, grid, np.random.default_rng(6))
    dws = math.sqrt(grid.dt) * np.random.default_rng(6).standard_normal((grid.n_steps, 30, 2))
    final, _ = stepper().drive(x0, dws, grid.dt)
    assert traj.event == "none"
    np.testing.assert_allclose(traj.positions[-1], final, rtol=1e-13)


def test_the_elliptic_field_leaves_each_particle_out_of_its_own_drift():
    signal = EllipticSignal(DirectEngine(ExactKernel()))
    assert signal.include_self is False
    lone = signal.at_particles(0.0, np.array([[0.3, -0.2], [5.0, 5.0]]), potential=False).gradient
    np.testing.assert_allclose(np.linalg.norm(lone, axis=1), 1 / (2 * np.pi * np.hypot(4.7, 5.2)) / 2)
