"""The interaction is antisymmetric, so the centre of mass moves only with the noise."""

import math

import numpy as np
import pytest

from kellersegel.config import config_from_dict
from kellersegel.dynamics import EllipticSignal, EulerMaruyama
from kellersegel.experiments import run_particles
from kellersegel.fields import DirectEngine, make_engine
from kellersegel.kernels import ExactKernel, GaussianMollifiedKernel
from kellersegel.models import ClassicalModel
from tests.conftest import KERNELS


@pytest.mark.parametrize("kernel", KERNELS, ids=repr)
def test_center_of_mass_increment_is_the_mean_noise(kernel, rng):
    # CoM(t) − CoM(0) = √2 Σ_k (1/N) Σ_i ΔW_i,k exactly (up to rounding) for every kernel
    n, steps, dt = 300, 20, 1e-3
    stepper = EulerMaruyama(ClassicalModel(chi=20.0, lam=kernel.lam), EllipticSignal(DirectEngine(kernel)))
    x = rng.standard_normal((n, 2))
    com0 = x.mean(axis=0)
    noise_sum = np.zeros(2)
    for k in range(steps):
        dw = math.sqrt(dt) * rng.standard_normal((n, 2))
        x = stepper.step(x, k * dt, dt, dw)
        noise_sum += dw.mean(axis=0)
    np.testing.assert_allclose(x.mean(axis=0) - com0, math.sqrt(2) * noise_sum, rtol=0, atol=1e-12)


def test_center_of_mass_is_a_martingale_with_variance_2t_over_n():
    n, t, replicas = 16, 0.2, 400
    config = config_from_dict(
        {
            "model": {"chi": 8.0},
            "particles": {"n": n, "kernel": "mollified", "epsilon": "fixed", "eps0": 0.1},
            "time": {"t_end": t, "dt": 0.01, "save_every": t},
            "run": {"replicas": replicas, "seed": 3},
        }
    )
    ds = run_particles(config, workers=1)
    increments = (ds.center_of_mass.isel(time=-1) - ds.center_of_mass.isel(time=0)).values.ravel()
    m = increments.size  # 2 independent coordinates per replica
    variance = 2 * t / n
    # sample mean: N(0, variance/m); sample variance: relative s.e. √(2/(m−1))
    assert abs(increments.mean()) < 4 * math.sqrt(variance / m)
    assert abs(increments.var(ddof=1) / variance - 1) < 4 * math.sqrt(2 / (m - 1))


FAST = [
    ("fmm", ExactKernel(0.0)),
    ("fmm", ExactKernel(0.7)),
    ("fmm", GaussianMollifiedKernel(0.08, 0.0)),
    ("spectral", GaussianMollifiedKernel(0.08, 0.0)),
    ("spectral", GaussianMollifiedKernel(0.08, 0.7)),
]


@pytest.mark.parametrize(("engine", "kernel"), FAST, ids=lambda v: repr(v) if not isinstance(v, str) else v)
def test_fast_engines_move_the_center_of_mass_only_by_their_tolerance(engine, kernel, rng):
    # a fast engine breaks the pair antisymmetry Σ_i ∇c(X_i) = 0 only up to its tolerance τ
    n, steps, dt, chi, tol = 2000, 10, 1e-3, 20.0, 1e-7
    field = make_engine(engine, kernel, tolerance=tol)
    stepper = EulerMaruyama(ClassicalModel(chi=chi, lam=kernel.lam), EllipticSignal(field))
    x = rng.standard_normal((n, 2))
    com0 = x.mean(axis=0)
    noise_sum = np.zeros(2)
    largest = 0.0
    for k in range(steps):
        largest = max(largest, np.abs(field.evaluate(x, 1 / n).gradient).max())
        dw = math.sqrt(dt) * rng.standard_normal((n, 2))
        x = stepper.step(x, k * dt, dt, dw)
        noise_sum += dw.mean(axis=0)
    drift_bound = steps * dt * chi * tol * largest
    np.testing.assert_allclose(x.mean(axis=0) - com0, math.sqrt(2) * noise_sum, rtol=0, atol=drift_bound)
