"""Convergence and consistency of the PDE solvers (issue 4). Prints the tables of benchmarks/README.md.

.venv/bin/python benchmarks/pde_convergence.py
"""

from __future__ import annotations

import math
import platform
import time
import warnings

import numpy as np

from kellersegel.initial.laws import GaussianBumps, GaussianData
from kellersegel.models import ClassicalModel
from kellersegel.pde import FiniteVolumeSolver, Grid2D, RadialGrid, RadialSolver, UnderResolvedWarning

warnings.simplefilter("ignore", UnderResolvedWarning)


def orders(errors):
    return ["—"] + [f"{math.log2(a / b):.2f}" for a, b in zip(errors[:-1], errors[1:], strict=True)]


def radial_order():
    print("\n## Radial solver, χ = 6π, Gaussian (variance 1), t = 0.5: max |m − m_ref| on r ∈ [0.05, 4]")
    model = ClassicalModel(chi=6 * math.pi)
    r = np.linspace(0.05, 4, 80)
    ref = RadialSolver(model, RadialGrid(n=6400), rtol=1e-11, atol=1e-14).solve(GaussianData(1.0), 0.5, 0.5)
    ref_m = ref.cumulative_mass(0.5, r)
    sizes, errors, times = (200, 400, 800, 1600), [], []
    for n in sizes:
        t0 = time.perf_counter()
        sol = RadialSolver(model, RadialGrid(n=n), rtol=1e-11, atol=1e-14).solve(GaussianData(1.0), 0.5, 0.5)
        times.append(time.perf_counter() - t0)
        errors.append(float(np.max(np.abs(sol.cumulative_mass(0.5, r) - ref_m))))
    print("| n | error | order | time [s] |\n|--:|--:|--:|--:|")
    for n, e, o, t in zip(sizes, errors, orders(errors), times, strict=True):
        print(f"| {n} | {e:.2e} | {o} | {t:.2f} |")


def virial():
    print("\n## Virial identity d/dt m₂ = 4M − χM²/(2π) (radial, n = 2000; M = 1.3, Gaussian variance 1)")
    print("| χ | χM/(8π) | expected | measured (mean slope) | max rel. deviation of the step slopes |")
    print("|--:|--:|--:|--:|--:|")
    mass = 1.3
    for chi in (4 * math.pi, 10 * math.pi):
        model = ClassicalModel(chi=chi, mass=mass)
        sol = RadialSolver(model, RadialGrid(n=2000)).solve(GaussianData(1.0), 0.4, 0.05)
        slopes = np.diff(sol.second_moment()) / np.diff(sol.times)
        expected = 4 * mass - chi * mass**2 / (2 * math.pi)
        mean = (sol.second_moment()[-1] - sol.second_moment()[0]) / sol.times[-1]
        print(
            f"| {chi / math.pi:.0f}π | {chi * mass / (8 * math.pi):.2f} | {expected:.6f} | {mean:.6f} | "
            f"{np.max(np.abs(slopes / expected - 1)):.1e} |"
        )


def blowup():
    print("\n## Numerical blow-up time, χ = 10π, M = 1, Gaussian variance 1 (T* = 2)")
    model = ClassicalModel(chi=10 * math.pi)
    thresholds = (1e3, 1e4, 1e5, 1e6)
    print("| n | " + " | ".join(f"ρ(0) > {t:.0e}" for t in thresholds) + " |")
    print("|--:|" + "--:|" * len(thresholds))
    for n in (1000, 2000, 4000):
        row = []
        for thr in thresholds:
            sol = RadialSolver(model, RadialGrid(n=n)).solve(GaussianData(1.0), 3.0, 0.5, blowup_density=thr)
            row.append(f"{sol.blowup_time:.6f}")
        print(f"| {n} | " + " | ".join(row) + " |")


def grid_vs_radial():
    print(
        "\n## 2-D solver against the radial solver (n = 4000), χ = 6π, Gaussian variance 1, t = 0.3, [−6, 6]²"
    )
    model = ClassicalModel(chi=6 * math.pi)
    radial = RadialSolver(model, RadialGrid(n=4000)).solve(GaussianData(1.0), 0.3, 0.3)
    print("| n | h | L1 distance | order | steps | time [s] |\n|--:|--:|--:|--:|--:|--:|")
    errors, rows = [], []
    for n in (32, 64, 128, 256):
        grid = Grid2D(n=n, half_width=6.0)
        t0 = time.perf_counter()
        sol = FiniteVolumeSolver(model, grid).solve(GaussianData(1.0), 0.3, 0.3)
        elapsed = time.perf_counter() - t0
        r = np.hypot(*np.moveaxis(grid.points, -1, 0))
        errors.append(float(grid.integrate(np.abs(sol.density[-1] - radial.density(0.3, r)))))
        rows.append((n, grid.h, sol.steps, elapsed))
    for (n, h, steps, elapsed), e, o in zip(rows, errors, orders(errors), strict=True):
        print(f"| {n} | {h:.4f} | {e:.2e} | {o} | {steps} | {elapsed:.1f} |")


def grid_virial():
    print("\n## 2-D solver, virial slope on three Gaussian bumps (χ = 6π: expected 1), t ∈ [0, 0.5]")
    bumps = GaussianBumps([[-1.5, 0.0], [1.5, 0.0], [0.0, 2.0]], [0.3, 0.3, 0.5], [1.0, 1.0, 2.0])
    print("| n | slope − 1 | order | mass drift |\n|--:|--:|--:|--:|")
    gaps, drifts = [], []
    for n in (64, 128, 256):
        grid = Grid2D(n=n, half_width=6.0, center=(0.0, 0.5))
        sol = FiniteVolumeSolver(ClassicalModel(chi=6 * math.pi), grid).solve(bumps, 0.5, 0.5)
        m2 = sol.second_moment()
        gaps.append(abs((m2[-1] - m2[0]) / 0.5 - 1))
        drifts.append(float(np.max(np.abs(sol.mass() - sol.mass()[0]))))
    for n, g, o, d in zip((64, 128, 256), gaps, orders(gaps), drifts, strict=True):
        print(f"| {n} | {g:.2e} | {o} | {d:.1e} |")


def small_theta():
    print("\n## θ → 0: L1 distance at t = 0.5 to the θ = 0 solution (χ = 6π, c0 = 0, n = 64, [−7, 7]²)")
    grid = Grid2D(n=64, half_width=7.0)
    ref = FiniteVolumeSolver(ClassicalModel(chi=6 * math.pi), grid).solve(GaussianData(1.0), 0.5, 0.5)
    print("| θ | signal grid | L1 distance | time [s] |\n|--:|--:|--:|--:|")
    from kellersegel.pde import HeatSignal

    for theta in (1.0, 0.1, 0.01, 0.001):
        t0 = time.perf_counter()
        sol = FiniteVolumeSolver(ClassicalModel(chi=6 * math.pi, theta=theta), grid).solve(
            GaussianData(1.0), 0.5, 0.5
        )
        elapsed = time.perf_counter() - t0
        side = HeatSignal(grid, theta, 0.0, 0.5).n_signal
        d = float(grid.integrate(np.abs(sol.density[-1] - ref.density[-1])))
        print(f"| {theta:g} | {side}² | {d:.2e} | {elapsed:.1f} |")


if __name__ == "__main__":
    print(f"# PDE solvers: {platform.machine()}, {platform.python_version()}, NumPy {np.__version__}")
    radial_order()
    virial()
    blowup()
    grid_vs_radial()
    grid_virial()
    small_theta()
