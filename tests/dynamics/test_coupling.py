"""Synchronous coupling: a mean-field interaction whose limit is known exactly."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from kellersegel.dynamics import EulerMaruyama, GivenSignal, TimeGrid, coupled_integration
from kellersegel.models import ClassicalModel


def simulate_coupled(*args, **options) -> SimpleNamespace:
    """A coupled run: what its observers measured, with the last X and X̄, as attributes."""
    solution = coupled_integration(*args, **options).run()
    x, copies = solution.state.x
    return SimpleNamespace(**solution.observed, particles=x, copies=copies, event=solution.event)


MODEL = ClassicalModel(chi=1.0)


def harmonic_pair() -> tuple[EulerMaruyama, EulerMaruyama]:
    """Particles attracted to their empirical mean, ∇c = −(x − x̄_N); the limit: ∇c̄ = −x (law mean 0)."""
    particles = EulerMaruyama(MODEL, GivenSignal(lambda t, x: -(x - x.mean(axis=0))))
    copies = EulerMaruyama(MODEL, GivenSignal(lambda t, x: -x))
    return particles, copies


def harmonic_error_variance(steps: int, dt: float) -> float:
    """N·E|e_K|² of the Euler–Maruyama harmonic pair, exactly (2 coordinates, X(0) ~ N(0, I)).

    e = X_i − X̄_i and the empirical mean M obey e_{k+1} = (1 − dt) e_k + dt M_k (the same ΔW on
    both sides cancels) and M_{k+1} = M_k + √2 mean_i ΔW_i, so e_K = Σ_k a_k M_k with
    a_k = dt (1 − dt)^{K−1−k}: per coordinate N Var(e_K) = (Σ_k a_k)² N Var M_0 +
    2 dt Σ_j (Σ_{k>j} a_k)², with N Var M_0 = 1.
    """
    a = dt * (1 - dt) ** (steps - 1 - np.arange(steps))
    tail = np.cumsum(a[::-1])[::-1]  # tail[j] = Σ_{k ≥ j} a_k
    later = np.append(tail[1:], 0.0)  # Σ_{k > j} a_k
    return 2 * (a.sum() ** 2 + 2 * dt * float(np.sum(later**2)))


@pytest.mark.parametrize(("n", "replicas"), [(16, 400), (256, 200)])
def test_harmonic_coupling_error_has_its_closed_form_n_e_squared(n, replicas):
    """All particles carry the same error e (max = power mean up to rounding), and N|e_T|² is
    v·χ²_2/2 with mean v = harmonic_error_variance: the replica mean must be within 4 standard
    errors (sd = mean for a χ²_2 variable) of v, the same at N = 16 and 256 (E|e|² ∝ 1/N)."""
    grid = TimeGrid(0.5, 0.01, 0.25)
    expected = harmonic_error_variance(grid.n_steps, grid.dt)
    samples = []
    for r in range(replicas):
        rng = np.random.default_rng([r, n])
        x0 = rng.normal(size=(n, 2))
        out = simulate_coupled(*harmonic_pair(), x0, grid, rng, p=3.0, alpha=0.0)
        np.testing.assert_allclose(out.power_error, out.max_error, rtol=1e-9)
        spread = np.linalg.norm(out.particles - out.copies - (out.particles - out.copies)[0], axis=1)
        assert spread.max() < 1e-12
        samples.append(n * out.max_error[-1] ** 2)
        assert out.stopping_time == math.inf  # α = 0: the bound N^0 = 1 is never reached
    assert abs(np.mean(samples) - expected) < 4 * expected / math.sqrt(replicas), (np.mean(samples), expected)


def test_stopping_times(rng):
    """e(dt) = dt·M(0) ≈ 0.01 · 0.07 ≥ N^−2: τ = dt; τ_min = 0 when N^−β' exceeds every distance."""
    grid = TimeGrid(0.2, 0.01, 0.1)
    x0 = rng.normal(size=(200, 2))
    out = simulate_coupled(*harmonic_pair(), x0, grid, rng, alpha=2.0, beta_collision=-1.0)
    assert out.stopping_time == pytest.approx(0.01) and out.collision_time == 0.0
    far = simulate_coupled(*harmonic_pair(), x0, grid, rng, alpha=-1.0, beta_collision=5.0)
    assert far.stopping_time == math.inf and far.collision_time == math.inf  # bounds 200 and 3e-12
    with pytest.raises(ValueError, match="p must be"):
        simulate_coupled(*harmonic_pair(), x0, grid, rng, p=0.5)
    one_and_a_half = simulate_coupled(*harmonic_pair(), x0, grid, np.random.default_rng(1), p=1.5)
    errors = np.linalg.norm(one_and_a_half.particles - one_and_a_half.copies, axis=1)
    assert one_and_a_half.power_error[-1] == pytest.approx(np.mean(errors**1.5) ** (1 / 1.5), rel=1e-12)
    d = np.linalg.norm(one_and_a_half.particles[:, None] - one_and_a_half.particles[None], axis=-1)
    assert one_and_a_half.min_distance[-1] == pytest.approx(d[np.triu_indices(len(d), 1)].min(), rel=1e-12)


def test_stopping_times_are_the_first_save_beyond_their_bounds():
    """With a bound between two recorded values, τ is the first step whose max error reaches
    N^−α, and τ_min the first whose min distance falls to N^−β' (saved at every step)."""
    grid = TimeGrid(0.1, 0.01, 0.01)
    n = 300
    x0 = np.random.default_rng(4).normal(size=(n, 2))
    free = simulate_coupled(
        *harmonic_pair(), x0, grid, np.random.default_rng(5), alpha=-1.0, beta_collision=9.0
    )
    errors, distances = free.max_error, free.min_distance
    assert np.all(np.diff(errors) > 0)  # the error grows step by step here
    bound = math.sqrt(errors[3] * errors[4])  # between steps 3 and 4
    running = np.minimum.accumulate(distances)
    first_low = int(np.argmax(running < running[0]))  # the first step closer than at t = 0
    assert first_low > 0
    low = math.sqrt(running[first_low] * running[first_low - 1])  # between the two minima
    out = simulate_coupled(
        *harmonic_pair(), x0, grid, np.random.default_rng(5),
        alpha=-math.log(bound) / math.log(n), beta_collision=-math.log(low) / math.log(n),
    )  # fmt: skip
    assert out.stopping_time == pytest.approx(0.04)
    assert out.collision_time == pytest.approx(first_low * 0.01)


def test_the_parts_of_the_error_read_the_right_systems_and_obey_minkowski():
    """X (empirical-mean attraction), X̄ (drift −x) and X^ε (drift −0.7x) on the same noise: the
    final total, fluctuation and mollification errors are the power means of X − X̄, X − X^ε and
    X^ε − X̄ recomputed from the last states (a swapped system fails it), and the total never
    exceeds the sum of the parts (Minkowski). With X^ε = X̄ (two systems) the fluctuation is the
    total and the mollification 0."""
    particles, copies = harmonic_pair()
    softer = EulerMaruyama(MODEL, GivenSignal(lambda t, x: -0.7 * x))
    grid = TimeGrid(0.3, 0.01, 0.1)
    x0 = np.random.default_rng(8).normal(size=(400, 2))
    solution = coupled_integration(
        particles, copies, x0, grid, np.random.default_rng(9), mollified_mean_field=softer, p=3.0
    ).run()
    out = solution.observed
    x, bar, eps = solution.state.x

    def power(gap):
        return np.mean(np.linalg.norm(gap, axis=1) ** 3) ** (1 / 3)

    assert out["power_error"][-1] == pytest.approx(power(x - bar), rel=1e-12)
    assert out["fluctuation_power_error"][-1] == pytest.approx(power(x - eps), rel=1e-12)
    assert out["mollification_power_error"][-1] == pytest.approx(power(eps - bar), rel=1e-12)
    assert out["mollification_max_error"][-1] == pytest.approx(np.linalg.norm(eps - bar, axis=1).max())
    assert out["mollification_power_error"][-1] > 0.05  # the drifts differ by 0.3 x: a visible part
    parts = out["fluctuation_power_error"] + out["mollification_power_error"]
    assert np.all(out["power_error"] <= parts * (1 + 1e-12))
    two = simulate_coupled(*harmonic_pair(), x0, grid, np.random.default_rng(9), p=3.0)
    np.testing.assert_array_equal(two.fluctuation_power_error, two.power_error)
    np.testing.assert_array_equal(two.mollification_max_error, np.zeros_like(two.max_error))


def test_several_collision_thresholds_and_the_stopped_error():
    """τ_min(β') for several β' at once: each is the first step where min_{i≠j}|X_i − X_j| ≤
    c N^−β' (c = 2 here), recomputed from the distances of a run saved at every step; the
    stopped error is the largest power mean up to τ_min (up to T when not reached), and the
    power-mean time τ_p comes no earlier than the sup-norm time τ_sup (power mean ≤ max)."""
    grid = TimeGrid(0.1, 0.01, 0.01)
    n = 300
    x0 = np.random.default_rng(4).normal(size=(n, 2))
    free = simulate_coupled(*harmonic_pair(), x0, grid, np.random.default_rng(5), beta_collision=9.0)
    running = np.minimum.accumulate(free.min_distance)
    drops = np.flatnonzero(np.diff(running) < 0) + 1  # the steps with a new closest pair
    assert drops.size >= 2
    # between the minima before and at two such steps (reached there, not before), and never
    levels = (*(math.sqrt(running[k - 1] * running[k]) for k in drops[:2]), 1e-9)
    betas = tuple(-math.log(level / 2.0) / math.log(n) for level in levels)
    power_bound = math.sqrt(free.power_error[4] * free.power_error[5])  # reached at step 5
    out = simulate_coupled(
        *harmonic_pair(), x0, grid, np.random.default_rng(5), alpha=-math.log(power_bound) / math.log(n),
        beta_collision=betas, distance_constant=2.0,
    )  # fmt: skip
    expected = grid.save_times[drops[:2]]
    np.testing.assert_allclose(out.collision_time[:2], expected)
    assert out.collision_time[2] == math.inf
    for j, tau in enumerate(out.collision_time):
        upto = grid.save_times <= tau
        assert out.stopped_error[j] == pytest.approx(free.power_error[upto].max(), rel=1e-12)
    assert out.power_stopping_time == pytest.approx(0.05)
    assert out.stopping_time <= 0.05  # the max reaches the bound no later than the power mean
    with pytest.raises(ValueError, match="distance_constant"):
        simulate_coupled(*harmonic_pair(), x0, grid, np.random.default_rng(5), distance_constant=0.0)
