"""Cost of one adaptive step of the singular system against one fixed Euler–Maruyama step (issue 8).

Both in the same run, same N, exact kernel, direct engine: the reference is ``fixed_step_integration`` with a
fixed step (coefficients, one step, event checks); the adaptive run is an N-particle system with
χ = 45π started at spread 0.5 (N = 20: collapses to the floor within 0.01) or a pair at δ = 0.5
(N = 2), with everything the adaptive loop does per step (controller, refinable Brownian path,
close pairs and clusters, collapse bookkeeping).

    .venv/bin/python benchmarks/adaptive_step_cost.py
"""

from __future__ import annotations

import math
import os
import platform
import time

import numpy as np

from kellersegel.dynamics import (
    CollisionStepController,
    EllipticSignal,
    EulerMaruyama,
    TimeGrid,
    adaptive_integration,
    fixed_step_integration,
)
from kellersegel.fields import DirectEngine
from kellersegel.kernels import ExactKernel
from kellersegel.models import ClassicalModel


def per_step_seconds(n: int, chi: float) -> tuple[float, float, int]:
    """(fixed-step seconds per step, adaptive seconds per step, adaptive steps)."""
    stepper = EulerMaruyama(ClassicalModel(chi=chi), EllipticSignal(DirectEngine(ExactKernel())))
    x0 = np.random.default_rng(0).normal(size=(n, 2)) * 0.5
    controller = CollisionStepController(max_level=16)
    adaptive_integration(stepper, x0, TimeGrid(0.002, 1e-3, 1e-3), 1, controller).run()  # compile
    start = time.perf_counter()
    fixed_run = fixed_step_integration(stepper, x0, TimeGrid(0.5, 1e-5, 0.5), np.random.default_rng(1))
    fixed = fixed_run.run().steps  # to its event
    fixed_seconds = (time.perf_counter() - start) / fixed
    start = time.perf_counter()
    adaptive = adaptive_integration(stepper, x0, TimeGrid(0.05, 1e-3, 0.05), 1, controller).run().steps
    return fixed_seconds, (time.perf_counter() - start) / adaptive, adaptive


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'N':>4} {'fixed µs/step':>14} {'adaptive µs/step':>17} {'ratio':>7} {'adaptive steps':>15}")
    for n, chi in [(2, 6 * math.pi), (20, 45 * math.pi)]:
        f, a, steps = per_step_seconds(n, chi)
        print(f"{n:>4} {f * 1e6:>14.1f} {a * 1e6:>17.1f} {a / f:>7.1f} {steps:>15}")


if __name__ == "__main__":
    main()
