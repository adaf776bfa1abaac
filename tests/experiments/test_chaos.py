"""Propagation-of-chaos measurements of one replica against the PDE."""

import dataclasses
import math

import numpy as np

from kellersegel.config import config_from_dict
from kellersegel.experiments.chaos import coupling_config, measure_replica
from kellersegel.experiments.pde_run import solve_limit, solve_mollified_limit
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
    assert 0 < a.w1 <= a.w2 < 1 and np.all((0 < a.l1) & (a.l1 < 1))
    assert np.all((0 < a.relative_entropy) & (a.relative_entropy < 1))
    other = measure_replica(plan_run(config), 0, solution)
    assert other.w2 != a.w2  # replicas differ
    # no mollified limit given: the parts of the error are not measured
    assert np.all(np.isnan(a.fluctuation_power_error)) and np.all(np.isnan(a.mollification_max_error))


def _split(epsilon: float, n: int = 300):
    config = coupling_config(
        config_from_dict(
            {
                **CONFIG,
                "particles": {"n": n, "kernel": "mollified", "epsilon": "fixed", "eps0": epsilon},
                "time": {"t_end": 0.3, "dt": 0.01, "save_every": 0.1},
                "pde": {"n": 96},
                "chaos": {"grid_n": 96, "transport_points": 256, "beta_collision": [0.5, 1.0, 2.0]},
            }
        )
    )
    plan = plan_run(config)
    return measure_replica(plan, 0, solve_limit(config), solve_mollified_limit(config, plan.kernel))


def test_the_mollification_part_is_the_bias_of_the_mollified_limit_and_scales_as_epsilon_squared():
    """X^ε − X̄ compares two deterministic flows on the same paths: for a Gaussian mollifier
    K_ε * ρ − G * ρ = O(ε²), so halving ε divides the mollification part by about 4 (measured
    3.8, and 4.2, 3.7 for ε = 0.1, 0.05 below the grid step 0.14; a mollified limit solved with
    the wrong kernel, or no kernel, fails the bounds), and
    the total never exceeds fluctuation + mollification (Minkowski, at every save time)."""
    wide, narrow = _split(0.4), _split(0.2)
    ratio = wide.mollification_power_error[-1] / narrow.mollification_power_error[-1]
    assert 3.0 < ratio < 5.0, ratio
    for m in (wide, narrow):
        parts = m.fluctuation_power_error + m.mollification_power_error
        assert np.all(m.power_error <= parts * (1 + 1e-12))
        assert np.all(m.mollification_power_error[1:] > 0)
        # the particles feel the mollified force: the fluctuation part is the smaller one here
        assert m.fluctuation_power_error[-1] < m.power_error[-1]


def test_stopping_times_per_exponent_and_the_ckp_bound():
    """τ_min(β') grows with β': a larger β' (a smaller distance c N^−β')
    is reached later or never; the stopped error never exceeds the largest error of the run;
    √(2H) bounds the measured L1 at every save time (Csiszár–Kullback–Pinsker)."""
    m = _split(0.3)
    assert m.collision_time.shape == (3,)
    assert m.collision_time[0] == 0.0  # 300^−0.5 ≈ 0.06 exceeds the closest initial pair
    assert np.all(np.diff(m.collision_time) >= 0)
    assert np.all(m.stopped_error <= np.nanmax(m.power_error) * (1 + 1e-12))
    assert m.stopped_error[0] == 0.0  # stopped at t = 0, where the copies are the particles
    assert np.all(m.l1 <= m.ckp_bound) and np.all(m.ckp_bound < 1)


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


def test_the_coupling_configuration_puts_both_limits_on_one_grid():
    """A mollified kernel: ``auto`` becomes the grid solver (the radial one has no mollified form)
    and a ``radial`` named in [pde] is refused; the exact kernel keeps its solver (no mollified
    limit is built)."""
    import pytest

    from kellersegel.config import ConfigError

    mollified = config_from_dict(CONFIG)
    assert mollified.pde.solver == "auto" and coupling_config(mollified).pde.solver == "grid"
    exact = config_from_dict({**CONFIG, "particles": {"n": 300, "kernel": "exact"}})
    assert coupling_config(exact) is exact
    # θ > 0: no mollified limit is built (its split needs θ = 0), so the solver stays as given
    memory = config_from_dict({**CONFIG, "model": {"chi": 4 * math.pi, "theta": 0.5}})
    assert memory.pde.solver == "auto" and coupling_config(memory) is memory
    with pytest.raises(ConfigError, match="'radial' has no mollified form"):
        coupling_config(config_from_dict({**CONFIG, "pde": {"solver": "radial"}}))


def test_the_l1_distance_is_of_the_normalised_densities():
    """(χ, M) and (χ/2, 2M) give the same drifts χ(M/N)Σ∇K, hence the same particles, and limits
    ρ that differ by the factor 2 only: ∫|ρ_KDE − ρ|/M is the same number for both."""
    short = {**CONFIG, "time": {"t_end": 0.1, "dt": 0.01, "save_every": 0.05}}
    config = config_from_dict(short)
    double = config_from_dict({**short, "model": {"chi": 2 * math.pi, "mass": 2.0}})
    one = measure_replica(plan_run(config), 0, solve_limit(config))
    two = measure_replica(plan_run(double), 0, solve_limit(double))
    np.testing.assert_allclose(two.max_error, one.max_error, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(two.l1, one.l1, rtol=1e-6)


def test_the_reference_rates_and_the_fitted_metrics():
    """The report's dotted references are the i.i.d. rates in N: N^{-1/2} for the coupling errors
    of the total and the fluctuation (a central limit) and for W1 and W2 against ρ (up to the
    logarithm of dimension 2), N^{-1/3} for the binned KDE's L1 (measured above); the
    mollification part has no i.i.d. reference. Rates are fitted for every panel metric and for
    the max-norm parts and the stopped error."""
    from kellersegel.experiments.chaos import ChaosMeasurement as C

    rates = {name: C.metadata(name)["reference_rate"] for name in (*C.names("series"), *C.names("scalar"))}
    half = ("power_error", "fluctuation_power_error", "max_error", "w1", "w2")
    assert {name: rates[name] for name in half} == dict.fromkeys(half, 0.5)
    assert rates["l1"] == 1 / 3 and rates["mollification_power_error"] is None
    fitted = {name for name in (*C.names("series"), *C.names("scalar"), *C.names("threshold"))
              if C.metadata(name)["fit"] is True}  # fmt: skip
    with_panel = {n for n in C.names("series") + C.names("scalar") if C.metadata(n)["panel"] is not None}
    assert fitted == with_panel | {"fluctuation_max_error", "mollification_max_error", "stopped_error"}
    assert "min_distance" not in fitted and "stopping_time" not in fitted
