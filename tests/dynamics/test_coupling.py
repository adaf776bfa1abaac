"""Synchronous coupling: a mean-field interaction whose limit is known exactly."""

import math

import numpy as np
import pytest

from kellersegel.dynamics import EulerMaruyama, GivenSignal, TimeGrid, simulate_coupled
from kellersegel.models import ClassicalModel

MODEL = ClassicalModel(chi=1.0)


def harmonic_pair() -> tuple[EulerMaruyama, EulerMaruyama]:
    """Particles attracted to their empirical mean, ∇c = −(x − x̄_N); the limit: ∇c̄ = −x (law mean 0)."""
    particles = EulerMaruyama(MODEL, GivenSignal(lambda x, t: -(x - x.mean(axis=0))))
    copies = EulerMaruyama(MODEL, GivenSignal(lambda x, t: -x))
    return particles, copies


def test_harmonic_coupling_error_is_the_same_for_every_particle_and_scales_as_one_over_root_n():
    """e = X_i − X̄_i solves de = (−e + M) dt, M the empirical mean (the same ΔW on both sides).

    So all particles carry the same error (max = power mean, exactly up to rounding), and
    E|e_T|² ∝ 1/N: the RMS over 40 replicas at N = 100 and 1600 must have the ratio 4 within
    5 standard errors of a ratio of two RMS (relative s.e. of each ≈ 1/√(2·40) for |e|² ~ χ²_2).
    """
    grid = TimeGrid(0.5, 0.01, 0.25)
    rms = {}
    for n in (100, 1600):
        finals = []
        for r in range(40):
            rng = np.random.default_rng([r, n])
            x0 = rng.normal(size=(n, 2))
            out = simulate_coupled(*harmonic_pair(), x0, grid, rng, p=3.0, alpha=0.0)
            np.testing.assert_allclose(out.power_error, out.max_error, rtol=1e-9)
            spread = np.linalg.norm(out.particles - out.copies - (out.particles - out.copies)[0], axis=1)
            assert spread.max() < 1e-12
            finals.append(out.max_error[-1])
            assert out.stopping_time == math.inf  # α = 0: the bound N^0 = 1 is never reached
        rms[n] = math.sqrt(np.mean(np.square(finals)))
    se = 4 * math.sqrt(2) / math.sqrt(2 * 40)
    assert abs(rms[100] / rms[1600] - 4) < 5 * se


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
