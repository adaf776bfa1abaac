"""How long collisions with δ > 0 stay collapsed: the false-alarm side of the explosion rule (issue 8).

A pair (N = 2) at collision dimension δ = 2 − χ/(4π) ∈ (0, 2) collides again and again; each
collapse (the closest pair needs the floor) lasts until the distance exceeds R = 16 d_floor. The
rule calls a collapse lasting w R² an explosion (w = 20 by default): this script records the
durations of the collapses that were left (in units of R², floor-independent) and the
explosions (false alarms here, since δ > 0), per δ.

    .venv/bin/python benchmarks/collapse_dwell.py --deltas 0.25,0.5,1 --t-end 0.2 --replicas 4
"""

from __future__ import annotations

import argparse
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
    Trajectory,
    adaptive_integration,
)
from kellersegel.fields import DirectEngine
from kellersegel.kernels import ExactKernel
from kellersegel.models import ClassicalModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", default="0.25,0.5,1")
    parser.add_argument("--t-end", type=float, default=0.2)
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--max-level", type=int, default=16, help="floor: dt / 2^level (dt = 1e-3)")
    parser.add_argument("--window", type=float, default=20.0)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    controller = CollisionStepController(max_level=args.max_level)
    h = 1e-3
    r2 = 256 * (h / 2**args.max_level) / controller.distance_fraction  # R² = (16 d_floor)²
    print(
        f"{'δ':>5} {'collapses':>9} {'mean/R²':>8} {'q99/R²':>7} {'max/R²':>7} {'δ·mean/R²':>9} "
        f"{'explosions':>10} {'seconds':>8}"
    )
    for delta in (float(d) for d in args.deltas.split(",")):
        stepper = EulerMaruyama(
            ClassicalModel(chi=(2 - delta) * 4 * math.pi), EllipticSignal(DirectEngine(ExactKernel()))
        )
        durations, explosions, start = [], 0, time.perf_counter()
        for key in range(args.replicas):
            x0 = np.array([[0.0, 0.0], [0.2, 0.0]])
            grid = TimeGrid(args.t_end, h, args.t_end)
            window = args.window
            integration = adaptive_integration(stepper, x0, grid, key, controller, explosion_window=window)
            traj = Trajectory.from_solution(integration.run())
            durations += traj.collapse_durations
            explosions += traj.event == "explosion"
        d = np.array(durations) / r2
        print(
            f"{delta:>5.2f} {d.size:>9} {d.mean():>8.2f} {np.quantile(d, 0.99):>7.2f} {d.max():>7.2f} "
            f"{delta * d.mean():>9.2f} {explosions:>10} {time.perf_counter() - start:>8.0f}"
        )


if __name__ == "__main__":
    main()
