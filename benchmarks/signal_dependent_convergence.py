"""Signal-dependent motility: particles against the 2-D PDE at t = 0.5 (issue 6).

For each β and N, R replicas of the particle system dX = √(2(σ + γ(c_ε))) dW with ε = N^−β
(engine ``auto``: spectral or fmm by the cost model of ``fields.choose_engine``); the L1 distance between the
binned KDE (Scott's bandwidth) and the finite-volume PDE density; a fitted rate error ≈ C N^−r
with a bootstrap interval over replicas. The replicas run in the package's executor
(``--workers`` processes); each finished one is kept in the output folder ``--out`` at once
(``rows/row-….npz``, the package's task files, with a manifest; ``rows.csv`` at the end), and a
rerun continues the folder (new β or N may be added), so an interrupted study loses nothing.

    .venv/bin/python benchmarks/signal_dependent_convergence.py --betas 0.2 \
        --sizes 1000,3162,10000,31623,100000 --replicas 4 --out beta02
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
import warnings

import numpy as np

from kellersegel.analysis import binned_kde, fit_rate, l1_distance
from kellersegel.dynamics import EllipticSignal, EulerMaruyama
from kellersegel.experiments.tasks import run_study
from kellersegel.fields import make_engine
from kellersegel.initial.laws import GaussianData
from kellersegel.kernels import GaussianMollifiedKernel
from kellersegel.models import ExponentialFunction, SignalDependentModel
from kellersegel.pde import FiniteVolumeSolver, Grid2D, UnderResolvedWarning

MODEL = SignalDependentModel(ExponentialFunction(1.0, 4.0), sigma=0.1, lam=1.0, mass=5.0)
INITIAL = GaussianData(0.5)
T_END = 0.5
FIELDS = ["beta", "n", "replica", "epsilon", "engine", "dt", "l1", "seconds"]


def pde_density(n_cells: int) -> tuple[Grid2D, np.ndarray]:
    grid = Grid2D(n=n_cells, half_width=5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnderResolvedWarning)
        sol = FiniteVolumeSolver(MODEL, grid).solve(INITIAL, T_END, T_END)
    return grid, sol.density[-1]


def particle_error(n: int, beta: float, seed: int, dt: float, grid: Grid2D, reference) -> tuple[float, str]:
    """L1(KDE of the particles at T_END, PDE density) / mass for one replica, and the engine used."""
    rng = np.random.default_rng([seed, n, int(1000 * beta)])
    kernel = GaussianMollifiedKernel(n**-beta, MODEL.lam)
    engine = make_engine("auto", kernel, n)
    stepper = EulerMaruyama(MODEL, EllipticSignal(engine, MODEL.mass))
    x = INITIAL.sample(n, rng)
    for k in range(int(round(T_END / dt))):
        x = stepper.step(x, k * dt, dt, math.sqrt(dt) * rng.standard_normal((n, 2)))
    return l1_distance(binned_kde(x, grid, mass=MODEL.mass), reference, grid) / MODEL.mass, engine.name


def sampling_floor(n: int, seed: int, grid: Grid2D, reference) -> float:
    """The same L1 for n i.i.d. points drawn from the PDE density itself (uniform in cells).

    What the KDE alone contributes: a particle system cannot be seen closer than this.
    """
    rng = np.random.default_rng([seed, n, 999])
    p = np.clip(reference, 0, None).ravel()
    cells = rng.choice(p.size, size=n, p=p / p.sum())
    ix, iy = np.unravel_index(cells, reference.shape)  # density[i, j] at (x_i, y_j)
    corner = np.stack([grid.x[ix], grid.y[iy]], axis=1) - grid.h / 2
    x = corner + grid.h * rng.uniform(size=(n, 2))
    return l1_distance(binned_kde(x, grid, mass=MODEL.mass), reference, grid) / MODEL.mass


def replica_task(beta: float, n: int, r: int, dt: float, grid, reference, report=None) -> tuple[str, dict]:
    """One replica's row (a task of the executor; rows count whole replicas)."""
    t0 = time.perf_counter()
    error, engine = particle_error(n, beta, r, dt, grid, reference)
    row = dict(
        beta=beta,
        n=n,
        replica=r,
        epsilon=n**-beta,
        dt=dt,
        l1=error,
        engine=engine,
        seconds=round(time.perf_counter() - t0, 1),
    )
    return row_key(beta, n, r, dt), row


def row_key(beta: float, n: int, r: int, dt: float) -> str:
    return f"beta{beta:g}-n{n}-r{r}-dt{dt:g}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--betas", default="0.2,0.5")
    parser.add_argument("--sizes", default="1000,3162,10000,31623,100000")
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--dt", type=float, default=0.005)
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="processes (each replica is parallel inside)")
    parser.add_argument("--out", default="signal_dependent_convergence", help="output folder (continued)")
    args = parser.parse_args()
    betas = [float(b) for b in args.betas.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"# signal-dependent convergence: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"model {MODEL!r}, data N(0, 0.5 I), t = {T_END}, dt = {args.dt}", flush=True)
    # what every row depends on besides its key: the folder is continued only for the same
    study = f"{MODEL!r} {INITIAL!r} t_end={T_END} cells={args.cells}"
    t0 = time.perf_counter()
    grid, reference = pde_density(args.cells)
    print(f"PDE: {args.cells}² cells on [−5, 5]², {time.perf_counter() - t0:.0f} s", flush=True)
    jobs = {
        row_key(beta, n, r, args.dt): (beta, n, r, args.dt, grid, reference)
        for beta in betas
        for n in sizes
        for r in range(args.replicas)
    }
    rows = run_study(args.out, study, replica_task, jobs, FIELDS, workers=args.workers, on_row=print)
    summarize(rows, betas, sizes, args.replicas, args.dt)
    floor = np.array([[sampling_floor(n, r, grid, reference) for r in range(args.replicas)] for n in sizes])
    print("\n## i.i.d. samples of the PDE density (the KDE's own error)\n\n| N | mean L1/M | std |")
    print("|--:|--:|--:|")
    for n, row in zip(sizes, floor, strict=True):
        print(f"| {n} | {row.mean():.4f} | {row.std(ddof=1):.4f} |")
    print(f"\nfit over all N: {fit_rate(sizes, floor)}")


def summarize(rows, betas, sizes, replicas, dt) -> None:
    for beta in betas:
        errors = np.full((len(sizes), replicas), np.nan)
        print(f"\n## β = {beta}, dt = {dt}\n\n| N | ε | engine | mean L1/M | std | replicas | s/replica |")
        print("|--:|--:|:--|--:|--:|--:|--:|")
        for i, n in enumerate(sizes):
            mine = [
                w
                for w in rows
                if float(w["beta"]) == beta
                and int(w["n"]) == n
                and float(w["dt"]) == dt
                and int(w["replica"]) < replicas
            ]
            for w in mine:
                errors[i, int(w["replica"])] = float(w["l1"])
            secs = np.mean([float(w["seconds"]) for w in mine])
            print(
                f"| {n} | {n**-beta:.4f} | {mine[0]['engine']} | {np.nanmean(errors[i]):.4f} | "
                f"{np.nanstd(errors[i], ddof=1):.4f} | {len(mine)} | {secs:.0f} |"
            )
        print(f"\nfit over all N: {fit_rate(sizes, errors)}")


if __name__ == "__main__":
    main()
