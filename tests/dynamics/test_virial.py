"""Virial identity of the classical system with the exact log kernel (docs/mathematics.md).

d/dt E[(1/N) Σ|X_i|²] = 4 − χ(N−1)/(2πN) holds exactly for the particles, and for the
Euler–Maruyama chain up to the positive term E|b|²Δt². The test compares the ensemble mean of
m2(t) − m2(0) with (4 − χ(N−1)/(2πN)) t within 4 standard errors of that mean.
"""

import math

import numpy as np
import pytest

from kellersegel.config import config_from_dict
from kellersegel.experiments import run_particles

N, T, REPLICAS = 64, 0.1, 400


@pytest.mark.slow
@pytest.mark.parametrize(
    ("chi", "engine"),
    [(4 * math.pi, "direct"), (10 * math.pi, "direct"), (10 * math.pi, "fmm")],
    ids=["chi=4pi", "chi=10pi", "chi=10pi-fmm"],
)
def test_second_moment_grows_at_the_virial_slope(chi, engine):
    config = config_from_dict(
        {
            "model": {"chi": chi},
            "particles": {"n": N, "kernel": "exact", "engine": engine},
            "time": {"t_end": T, "dt": 1e-3, "save_every": T},
            "run": {"replicas": REPLICAS, "seed": 7},
        }
    )
    ds = run_particles(config, workers=1)
    assert set(ds["event"].values) == {"none"}  # no explosion before T
    increments = (ds.second_moment.isel(time=-1) - ds.second_moment.isel(time=0)).values
    slope = 4 - chi * (N - 1) / (2 * math.pi * N)
    assert ds.attrs["virial_slope"] == pytest.approx(slope)
    standard_error = increments.std(ddof=1) / math.sqrt(REPLICAS)
    assert abs(increments.mean() - slope * T) < 4 * standard_error
    # the two χ differ in slope by 6·(63/64)·T ≈ 0.59 ≫ 4 s.e. ≈ 0.03: the test can tell them apart
    assert 4 * standard_error < 0.1 * abs(6 * (N - 1) / N * T)
    if chi > 8 * math.pi:
        assert np.mean(increments) < 0  # the supercritical second moment decreases
