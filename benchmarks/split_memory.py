"""The split memory field (issue 18): the singular doubly parabolic system without its history cost.

    .venv/bin/python benchmarks/split_memory.py [agreement|cost|large|steps ...]

agreement: drift and trajectory gaps to the exact-history sum, same noise, N = 500, exact kernel;
cost: seconds per step against the number of past steps K at N = 10⁴, the exact history beside it;
large: seconds per step and peak memory at N = 10⁵ and 10⁶; steps: the strong error against the
time step on one Brownian path (Brownian tree refined), exact kernel; pde: the particles' KDE
against the θ > 0 PDE, beside the KDE's own error on i.i.d. samples of the PDE density.
Prints the tables of benchmarks/README.md.
"""

from __future__ import annotations

import math
import resource
import sys
import time

import numpy as np

from kellersegel.dynamics import EulerMaruyama
from kellersegel.dynamics.brownian import BrownianTree
from kellersegel.dynamics.memory import ExactHistorySignal
from kellersegel.dynamics.split_memory import SplitMemorySignal
from kellersegel.experiments.bench import machine_description
from kellersegel.kernels.memory import SlabKernel
from kellersegel.models import ClassicalModel

CHI, THETA = 1.0, 1.0


def agreement():
    print(
        "\n## Split field against the exact history (j ≠ i), same noise, N = 500, exact kernel, θ = 1, χ = 1"
    )
    print(
        "| λ | steps (dt) | tolerance | lag δ | lattice | max drift diff / max drift "
        "| max |X_exact − X_split| | split s | exact s |"
    )
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    rng = np.random.default_rng(18)
    n = 500
    for lam, steps, dt in ((0.0, 200, 0.005), (1.0, 100, 0.005)):
        x0 = rng.standard_normal((n, 2))
        dws = math.sqrt(dt) * rng.standard_normal((steps, n, 2))
        kernel = SlabKernel(THETA, lam)
        model = ClassicalModel(chi=CHI, lam=lam)
        t0 = time.perf_counter()
        ex_x, ex_b = EulerMaruyama(model, ExactHistorySignal(kernel)).drive(x0, dws, dt)
        exact_time = time.perf_counter() - t0
        for tol in (1e-3, 1e-4, 1e-5, 1e-6, 1e-8):
            field = SplitMemorySignal(kernel, horizon=steps * dt, tolerance=tol)
            t0 = time.perf_counter()
            x, b = EulerMaruyama(model, field).drive(x0, dws, dt)
            split_time = time.perf_counter() - t0
            gap = np.max(np.abs(b - ex_b)) / np.max(np.abs(ex_b))
            moved = np.max(np.abs(x - ex_x))
            print(f"| {lam:g} | {steps} ({dt:g}) | {tol:.0e} | {field.lag:.3g} | {field.grid.modes}² | "
                  f"{gap:.1e} | {moved:.1e} | {split_time:.1f} | {exact_time:.1f} |", flush=True)  # fmt: skip


def _walk(field, model, x, steps, dt, rng, t=0.0):
    """``steps`` Euler–Maruyama steps on ``field``; the seconds of each step."""
    stepper = EulerMaruyama(model, field)
    seconds = []
    for _ in range(steps):
        start = time.perf_counter()
        coef = stepper.coefficients(t, x)
        new = x + coef.drift * dt + math.sqrt(2 * dt) * rng.standard_normal(x.shape)
        field.advance(x, new, t, dt)
        x, t = new, t + dt
        seconds.append(time.perf_counter() - start)
    return x, t, seconds


def cost():
    n, dt, tol = 10_000, 1e-3, 1e-5
    print(
        f"\n## Seconds per step against the past steps K, N = {n}, dt = {dt:g}, exact kernel, θ = 1, "
        f"τ = {tol:g}"
    )
    print("| K | split s/step | exact history s/step | split memory MB |")
    print("|--:|--:|--:|--:|")
    model, kernel = ClassicalModel(chi=CHI), SlabKernel(THETA, 0.0)
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((n, 2))
    split = SplitMemorySignal(kernel, horizon=1.0, tolerance=tol)
    exact = ExactHistorySignal(kernel)
    x, t, done = x0.copy(), 0.0, 0
    ex_x, ex_t, ex_done = x0.copy(), 0.0, 0
    for k in (10, 30, 100, 300, 1000):
        x, t, seconds = _walk(split, model, x, k - done, dt, rng, t)
        done = k
        row = f"| {k} | {np.median(seconds[-5:]):.3f} | "
        if k <= 10:  # 23 s per step at K = 10 on 2 cores; it grows like K
            ex_x, ex_t, ex_seconds = _walk(exact, model, ex_x, k - ex_done, dt, rng, ex_t)
            ex_done = k
            row += f"{np.median(ex_seconds[-3:]):.2f} | "
        else:
            row += "– | "
        print(row + f"{split.memory_bytes / 2**20:.0f} |", flush=True)
    print(f"(lag δ = {split.lag:g}, lattice {split.grid.modes}², own past kept to {split.window:.3g})")


def large():
    print(
        "\n## Large N: seconds per step (median of the last 5 of 20) and peak memory, dt = 1e-3, "
        "exact kernel, θ = 1"
    )
    print("| N | τ | lag δ | lattice | own past window | s/step | peak RSS GB |")
    print("|--:|--:|--:|--:|--:|--:|--:|")
    model, kernel = ClassicalModel(chi=CHI), SlabKernel(THETA, 0.0)
    for n, tol in ((100_000, 1e-5), (100_000, 1e-4), (1_000_000, 1e-4)):
        rng = np.random.default_rng(4)
        field = SplitMemorySignal(kernel, horizon=1.0, tolerance=tol)
        _, _, seconds = _walk(field, model, rng.standard_normal((n, 2)), 20, 1e-3, rng)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f"| {n} | {tol:g} | {field.lag:.3g} | {field.grid.modes}² | {field.window:.3g} | "
              f"{np.median(seconds[-5:]):.2f} | {rss:.1f} |", flush=True)  # fmt: skip


def steps():
    """Strong error at t = T against dt on one Brownian path per replica: the tree gives the
    increments of every level from the same path; the finest level is the reference."""
    n, horizon, replicas, finest = 200, 0.25, 8, 9
    print(
        f"\n## Strong error against the step, N = {n}, T = {horizon}, exact kernel, θ = 1, {replicas} paths"
    )
    print("| χ | dt | E max_i |X_i − X_i^ref| | E mean_i |X_i − X_i^ref| | ratio to the next finer |")
    print("|--:|--:|--:|--:|--:|")
    for chi in (1.0, 8.0):
        model, kernel = ClassicalModel(chi=chi), SlabKernel(THETA, 0.0)
        finals = {}
        for level in range(3, finest + 1):
            dt = horizon / 2**level
            ends = []
            for r in range(replicas):
                x0 = np.random.default_rng(100 + r).standard_normal((n, 2))
                tree = BrownianTree(n, horizon, key=r, max_level=finest)
                dws = np.stack([tree.increment(0, level, j) for j in range(2**level)])
                field = SplitMemorySignal(kernel, horizon=horizon, tolerance=1e-7)
                x, _ = EulerMaruyama(model, field).drive(x0, dws, dt)
                ends.append(x)
            finals[level] = np.array(ends)
        ref = finals[finest]
        previous = None
        for level in range(3, finest):
            err = np.linalg.norm(finals[level] - ref, axis=-1)
            worst, mean = err.max(axis=1).mean(), err.mean()
            ratio = "" if previous is None else f"{previous / mean:.2f}"
            print(f"| {chi:g} | {horizon / 2**level:.2e} | {worst:.2e} | {mean:.2e} | {ratio} |", flush=True)
            previous = mean


def pde():
    """Particles on the split field (exact kernel) against the θ = 1 PDE at t = 1, c0 = 0, and the
    KDE's own error: the same estimator on N i.i.d. points of the PDE density."""
    import warnings

    from kellersegel.analysis import binned_kde, l1_distance, scott_bandwidth
    from kellersegel.initial.laws import GaussianData
    from kellersegel.pde import FiniteVolumeSolver, Grid2D, UnderResolvedWarning

    theta, t_end, dt = 1.0, 1.0, 0.01
    grid = Grid2D(n=128, half_width=7.0)
    print(
        f"\n## Particles (split field, exact kernel) against the θ = {theta:g} PDE at t = {t_end:g}, c0 = 0"
    )
    print("Gaussian data of variance 1; PDE on 128² cells of [−7, 7]²; dt = 0.01, τ = 1e-4")
    print("| χ | N | L1(KDE, PDE) | L1 of the same KDE on N i.i.d. PDE samples | run s |")
    print("|--:|--:|--:|--:|--:|")
    for chi in (1.0, 4.0):
        model = ClassicalModel(chi=chi, theta=theta)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnderResolvedWarning)
            density = FiniteVolumeSolver(model, grid).solve(GaussianData(1.0), t_end, t_end).density[-1]
        cells = grid.points.reshape(-1, 2)
        weights = np.clip(density.ravel(), 0, None) / np.clip(density, 0, None).sum()
        for n in (10_000, 100_000):
            rng = np.random.default_rng(9)
            x = rng.standard_normal((n, 2))
            field = SplitMemorySignal(SlabKernel(theta, 0.0), horizon=t_end, tolerance=1e-4)
            stepper = EulerMaruyama(model, field)
            start = time.perf_counter()
            for k in range(int(round(t_end / dt))):
                x = stepper.step(x, k * dt, dt, math.sqrt(dt) * rng.standard_normal((n, 2)))
            elapsed = time.perf_counter() - start
            l1 = l1_distance(binned_kde(x, grid, scott_bandwidth(x)), density, grid)
            iid = cells[rng.choice(len(cells), n, p=weights)] + grid.h * (rng.random((n, 2)) - 0.5)
            floor = l1_distance(binned_kde(iid, grid, scott_bandwidth(iid)), density, grid)
            print(f"| {chi:g} | {n} | {l1:.4f} | {floor:.4f} | {elapsed:.0f} |", flush=True)


if __name__ == "__main__":
    print(f"# split memory field: {machine_description()}")
    parts = {"agreement": agreement, "cost": cost, "large": large, "steps": steps, "pde": pde}
    for name in sys.argv[1:] or parts:
        parts[name]()
