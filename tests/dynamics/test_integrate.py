"""The one time loop: composition of steppers, noise, step control, observers and events."""

import math

import numpy as np
import pytest

from kellersegel.dynamics import EulerMaruyama, GivenSignal, TimeGrid
from kellersegel.dynamics.brownian import BrownianWalk
from kellersegel.dynamics.integrate import (
    BrownianIncrements,
    Event,
    GaussianIncrements,
    Observer,
    StepControl,
    integrate,
)
from kellersegel.dynamics.observers import SavedStates
from kellersegel.models import ClassicalModel


def ornstein_uhlenbeck(k=1.0):
    """dX = −k X dt + √2 dW: the classical model (D = 1) in the signal c = −k|x|²/(2χ)."""
    model = ClassicalModel(chi=1.0)
    return EulerMaruyama(model, GivenSignal(lambda t, x: -k * x))


class MeanAbscissa(Observer):
    """A user's observer: the mean of the first coordinate at the save times, and the times seen."""

    def start(self, grid, n):
        self.values = np.full(len(grid.save_times), np.nan)
        self.seen = []

    def step(self, state):
        self.seen.append(state.t)

    def save(self, k, state):
        self.values[k] = state.x[0][:, 0].mean()

    def result(self):
        return {"mean_abscissa": self.values, "seen": np.array(self.seen)}


class SecondMomentAbove(Event):
    name = "spread"
    stage = "before_save"  # the state that triggers it is not saved

    def __init__(self, level):
        self.level = level

    def check(self, state):
        return state.t if np.mean(np.sum(state.x[0] ** 2, axis=1)) > self.level else None


def test_a_user_observer_sees_every_state_and_the_save_times():
    grid = TimeGrid(0.1, 0.01, 0.05)
    x0 = np.zeros((100, 2))
    sol = integrate(
        ornstein_uhlenbeck(), x0, grid, GaussianIncrements(np.random.default_rng(0), 100),
        observers=[MeanAbscissa(), SavedStates()],
    )  # fmt: skip
    np.testing.assert_allclose(sol.observed["seen"], np.arange(11) * 0.01, atol=1e-15)
    np.testing.assert_array_equal(
        sol.observed["mean_abscissa"], sol.observed["positions"][:, :, 0].mean(axis=1)
    )
    assert sol.event == "none" and sol.steps == 10 and sol.min_step == 0.01


def test_an_event_stops_the_run_and_the_states_after_it_are_not_saved():
    # from 0, pure diffusion (k = 0) has E|X|² = 4t: the second moment passes 0.2 near t = 0.05
    grid = TimeGrid(0.2, 0.001, 0.01)
    sol = integrate(
        ornstein_uhlenbeck(0.0), np.zeros((2000, 2)), grid,
        GaussianIncrements(np.random.default_rng(1), 2000),
        observers=[SavedStates()], events=[SecondMomentAbove(0.2)],
    )  # fmt: skip
    assert sol.event == "spread"
    # |X_i|² is exponential with mean 4t: the sample mean has relative spread 1/√N = 2 %, 0.001 in t
    assert sol.event_time == pytest.approx(0.05, abs=0.006)
    saved = np.isfinite(sol.observed["second_moment"])
    np.testing.assert_array_equal(saved, sol.times < sol.event_time - 1e-12)
    assert np.all(sol.observed["second_moment"][saved] <= 0.2)
    assert sol.steps == round(sol.event_time / 0.001)


def test_stacked_systems_are_driven_by_the_same_increments():
    """X and X̄ with drifts −X and −2X̄ from the same points: each follows its own Euler recursion
    with the one sequence of increments √Δt Z_k of the generator."""
    grid = TimeGrid(0.05, 0.01, 0.01)
    x0 = np.random.default_rng(2).standard_normal((50, 2))
    sol = integrate(
        [ornstein_uhlenbeck(1.0), ornstein_uhlenbeck(2.0)], x0, grid,
        GaussianIncrements(np.random.default_rng(3), 50),
    )  # fmt: skip
    rng = np.random.default_rng(3)
    x, y = x0.copy(), x0.copy()
    for _ in range(5):
        dw = math.sqrt(0.01) * rng.standard_normal((50, 2))
        x, y = x - 0.01 * x + math.sqrt(2) * dw, y - 0.02 * y + math.sqrt(2) * dw
    np.testing.assert_allclose(sol.state.x[0], x, rtol=1e-14)
    np.testing.assert_allclose(sol.state.x[1], y, rtol=1e-14)


def test_a_nonfinite_copy_stops_a_stacked_run():
    grid = TimeGrid(0.05, 0.01, 0.01)
    broken = EulerMaruyama(ClassicalModel(chi=1.0), GivenSignal(lambda t, x: x / (t - 0.03 + 0 * x)))
    with np.errstate(divide="ignore", invalid="ignore"):
        sol = integrate(
            [ornstein_uhlenbeck(), broken],
            np.ones((10, 2)),
            grid,
            GaussianIncrements(np.random.default_rng(0), 10),
        )
    # the copy's drift is infinite at t = 0.03: its position is, one step later
    assert sol.event == "nonfinite" and sol.event_time == pytest.approx(0.04)


class HalvingSteps(StepControl):
    """Steps h/2, h/4, … down to the finest level, then stays there."""

    max_level = 3

    def start(self, grid, n):
        self.level = 0

    def plan(self, state):
        self.level = min(self.level + 1, self.max_level)
        return self.level, None


def test_dyadic_steps_land_on_the_save_times_and_follow_one_brownian_path():
    grid = TimeGrid(0.4, 0.1, 0.1)
    x0 = np.zeros((5, 2))
    walk = BrownianWalk(5, 0.1, key=11, max_level=3)
    sol = integrate(
        ornstein_uhlenbeck(0.0), x0, grid, BrownianIncrements(walk), HalvingSteps(),
        observers=[MeanAbscissa(), SavedStates()],
    )  # fmt: skip
    times = sol.observed["seen"]
    # 0.05, 0.075, then steps of h/8 (the coarsest aligned level never exceeds the planned one)
    np.testing.assert_allclose(times[:4], [0.0, 0.05, 0.075, 0.0875], atol=1e-15)
    assert sol.min_step == pytest.approx(0.1 / 8) and sol.steps == len(times) - 1
    # pure diffusion: X(t) = √2 W(t); the base-grid values of W do not depend on the steps
    coarse = BrownianWalk(5, 0.1, key=11, max_level=3)
    w = np.cumsum([coarse.step(0) for _ in range(4)], axis=0)
    np.testing.assert_allclose(sol.observed["positions"][1:], math.sqrt(2) * w, atol=1e-12)


def test_fixed_gaussian_increments_refuse_a_refined_step():
    with pytest.raises(ValueError, match="fixed steps only"):
        GaussianIncrements(np.random.default_rng(0), 3).increment(0.05, 1)


def test_progress_is_called_with_the_time_at_every_base_grid_point():
    grid = TimeGrid(0.03, 0.01, 0.01)
    reached = []
    integrate(
        ornstein_uhlenbeck(), np.zeros((3, 2)), grid, GaussianIncrements(np.random.default_rng(0), 3),
        progress=reached.append,
    )  # fmt: skip
    np.testing.assert_allclose(reached, [0.0, 0.01, 0.02, 0.03], atol=1e-15)
