"""Propagation-of-chaos measurements of one replica against the PDE."""

import dataclasses
import math

import numpy as np

from kellersegel.config import config_from_dict
from kellersegel.experiments.chaos import measure_replica
from kellersegel.experiments.pde_run import solve_limit
from kellersegel.experiments.plan import plan_run

CONFIG = {
    "model": {"chi": 4 * math.pi},
    "initial": {"kind": "gaussian", "variance": 1.0},
    "particles": {"n": 300, "kernel": "mollified", "beta": 0.2},
    "time": {"t_end": 0.2, "dt": 0.01, "save_every": 0.1},
    "run": {"replicas": 2, "seed": 3},
    "chaos": {"grid_n": 128, "transport_points": 1024},
}


def test_without_interaction_particles_and_copies_coincide():
    """χ = 1e-300 (drifts below rounding): both are Brownian motions from the same points, same ΔW."""
    config = config_from_dict({**CONFIG, "model": {"chi": 1e-300}})
    result = measure_replica(plan_run(config), 0, solve_limit(config))
    np.testing.assert_array_equal(result.max_error, 0.0)
    assert result.stopping_time == math.inf


def test_measurements_are_reproducible_and_sensible():
    config = config_from_dict(CONFIG)
    solution = solve_limit(config)
    a, b = measure_replica(plan_run(config), 1, solution), measure_replica(plan_run(config), 1, solution)
    for key, value in dataclasses.asdict(a).items():
        np.testing.assert_array_equal(value, getattr(b, key))
    assert a.transport_method == "exact"  # 300 × 1024 entries
    assert 0 < a.power_error[-1] <= a.max_error[-1] < 0.5
    assert 0 < a.w1 <= a.w2 < 1 and 0 < a.l1 < 1 and 0 < a.relative_entropy < 1
    other = measure_replica(plan_run(config), 0, solution)
    assert other.w2 != a.w2  # replicas differ


def test_the_reports_reference_slope_for_l1_is_the_kde_rate_on_exact_samples():
    """The dotted reference of the L1 panel is the rate the binned KDE (Scott's bandwidth) has on
    exact samples of the limit: measured here on N(0, I), it lies within 0.1 of the metadata."""
    from kellersegel.analysis import binned_kde, fit_rate, l1_distance
    from kellersegel.experiments.chaos import ChaosMeasurement
    from kellersegel.initial.laws import GaussianData
    from kellersegel.pde import Grid2D

    rng = np.random.default_rng(12)
    grid = Grid2D(n=128, half_width=6.0)
    exact = grid.cell_averages(GaussianData(1.0))
    sizes = np.array([1000, 4000, 16000, 64000])
    errors = [
        [l1_distance(binned_kde(rng.standard_normal((n, 2)), grid), exact, grid) for _ in range(4)]
        for n in sizes
    ]
    measured = fit_rate(sizes, np.array(errors)).rate
    assert abs(measured - ChaosMeasurement.metadata("l1")["reference_rate"]) < 0.1, measured
