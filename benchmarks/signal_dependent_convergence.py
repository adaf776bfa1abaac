"""Signal-dependent motility: particles against the 2-D PDE at t = 0.5 (issue 6).

For each β and N, R replicas of the particle system with ε = N^−β (spectral engine, c and ∇c);
the L1 distance between the binned KDE (Scott's bandwidth) and the PDE density; a fitted rate
error ≈ C N^−r with a bootstrap interval over replicas.

    .venv/bin/python benchmarks/signal_dependent_convergence.py [--betas 0.2,0.45] \
        [--sizes 1000,4000,16000,64000] [--replicas 4]
"""

from __future__ import annotations

import argparse
import math
import platform
import time
import warnings

import numpy as np

from kellersegel.analysis import binned_kde, fit_rate, l1_distance
from kellersegel.dynamics import EllipticSignal, EulerMaruyama
from kellersegel.fields import make_engine
from kellersegel.initial.laws import GaussianData
from kellersegel.kernels import GaussianMollifiedKernel
from kellersegel.models import ExponentialFunction, SignalDependentModel
from kellersegel.pde import FiniteVolumeSolver, Grid2D, UnderResolvedWarning

MODEL = SignalDependentModel(ExponentialFunction(1.0, 4.0), sigma=0.1, lam=1.0, mass=5.0)
INITIAL = GaussianData(0.5)
T_END, DT = 0.5, 0.002


def pde_density(n_cells: int) -> tuple[Grid2D, np.ndarray]:
    grid = Grid2D(n=n_cells, half_width=5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnderResolvedWarning)
        sol = FiniteVolumeSolver(MODEL, grid).solve(INITIAL, T_END, T_END)
    return grid, sol.density[-1]


def particle_error(n: int, beta: float, seed: int, grid: Grid2D, reference: np.ndarray) -> float:
    rng = np.random.default_rng([seed, n, int(1000 * beta)])
    kernel = GaussianMollifiedKernel(n**-beta, MODEL.lam)
    stepper = EulerMaruyama(MODEL, EllipticSignal(make_engine("auto", kernel, n), MODEL.mass))
    x = INITIAL.sample(n, rng)
    for k in range(int(round(T_END / DT))):
        x = stepper.step(x, k * DT, DT, math.sqrt(DT) * rng.standard_normal((n, 2)))
    return l1_distance(binned_kde(x, grid, mass=MODEL.mass), reference, grid) / MODEL.mass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--betas", default="0.2,0.45")
    parser.add_argument("--sizes", default="1000,4000,16000,64000")
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--cells", type=int, default=200)
    args = parser.parse_args()
    betas = [float(b) for b in args.betas.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"# signal-dependent convergence: {platform.machine()}, Python {platform.python_version()}")
    print(f"model {MODEL!r}, data N(0, 0.5 I), t = {T_END}, dt = {DT}")
    t0 = time.perf_counter()
    grid, reference = pde_density(args.cells)
    print(f"PDE: {args.cells}² cells on [−5, 5]², {time.perf_counter() - t0:.0f} s")
    for beta in betas:
        errors = np.zeros((len(sizes), args.replicas))
        print(f"\n## β = {beta}\n\n| N | ε | mean L1/M | replicas | time [s] |\n|--:|--:|--:|--:|--:|")
        for i, n in enumerate(sizes):
            t0 = time.perf_counter()
            errors[i] = [particle_error(n, beta, r, grid, reference) for r in range(args.replicas)]
            elapsed = time.perf_counter() - t0
            print(f"| {n} | {n**-beta:.3f} | {errors[i].mean():.4f} | {args.replicas} | {elapsed:.0f} |")
        print(f"\nfit: {fit_rate(sizes, errors)}")


if __name__ == "__main__":
    main()
