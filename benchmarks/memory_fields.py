"""The doubly parabolic (θ > 0) fields of issue 5: agreement, θ → 0, cost against the history, N = 10⁶,
and the particle density against the PDE. Prints the tables of benchmarks/README.md.

    .venv/bin/python benchmarks/memory_fields.py [agreement|theta|cost|million|pde ...]
"""

from __future__ import annotations

import math
import platform
import resource
import sys
import time
import warnings

import numpy as np

from kellersegel.analysis import binned_kde, l1_distance, scott_bandwidth
from kellersegel.dynamics import EllipticSignal, EulerMaruyama
from kellersegel.dynamics.memory import ExactHistorySignal, SpectralMemorySignal
from kellersegel.fields import DirectEngine
from kellersegel.initial.laws import GaussianData
from kellersegel.kernels import GaussianMollifiedKernel
from kellersegel.kernels.memory import SlabKernel
from kellersegel.models import ClassicalModel
from kellersegel.pde import FiniteVolumeSolver, Grid2D, UnderResolvedWarning

CHI = 8 * math.pi


def agreement():
    print("\n## Exact history against the spectral field (include_self, same noise), N = 500, ε = 0.2")
    print(
        "| λ | steps (dt) | tolerance | lattice | max drift diff / max drift | max |X_exact − X_spectral| |"
    )
    print("|--:|--:|--:|--:|--:|--:|")
    rng = np.random.default_rng(5)
    for lam, steps, dt in ((0.0, 200, 0.005), (1.0, 50, 0.005)):
        x0 = rng.standard_normal((500, 2))
        dws = math.sqrt(dt) * rng.standard_normal((steps, 500, 2))
        kernel = SlabKernel(1.0, lam, 0.2)
        model = ClassicalModel(chi=CHI, lam=lam)
        t0 = time.perf_counter()
        ex_x, ex_b = EulerMaruyama(model, ExactHistorySignal(kernel, include_self=True)).drive(x0, dws, dt)
        exact_time = time.perf_counter() - t0
        for tol in (1e-3, 1e-5, 1e-7, 1e-9):
            field = SpectralMemorySignal(kernel, horizon=steps * dt, tolerance=tol)
            x, b = EulerMaruyama(model, field).drive(x0, dws, dt)
            gap = np.max(np.abs(b - ex_b)) / np.max(np.abs(ex_b))
            moved = np.max(np.abs(x - ex_x))
            print(f"| {lam:g} | {steps} ({dt:g}) | {tol:.0e} | {field.modes}² | {gap:.1e} | {moved:.1e} |")
        print(f"(exact history: {exact_time:.1f} s for the whole run)")


def theta_limit():
    print("\n## θ → 0 with c0 = 0: distance to the parabolic–elliptic system, same noise")
    print("N = 500, ε = 0.2, χ = 8π, dt = 0.005, 100 steps (t = 0.5); exact-history field")
    print("| θ | max_i |X_i − X_i^{θ=0}| at t = 0.5 | mean |")
    print("|--:|--:|--:|")
    rng = np.random.default_rng(6)
    dt, steps = 0.005, 100
    x0 = rng.standard_normal((500, 2))
    dws = math.sqrt(dt) * rng.standard_normal((steps, 500, 2))
    model = ClassicalModel(chi=CHI)
    elliptic = EulerMaruyama(model, EllipticSignal(DirectEngine(GaussianMollifiedKernel(0.2))))
    ref, _ = elliptic.drive(x0, dws, dt)
    for theta in (1.0, 0.1, 0.01, 0.001):
        x, _ = EulerMaruyama(model, ExactHistorySignal(SlabKernel(theta, 0.0, 0.2))).drive(x0, dws, dt)
        d = np.linalg.norm(x - ref, axis=1)
        print(f"| {theta:g} | {d.max():.2e} | {d.mean():.2e} |")


def cost():
    print("\n## Cost against the number of past steps K, N = 10⁴, ε = N^−1/4, θ = 1, dt = 10⁻³")
    n, dt = 10_000, 1e-3
    rng = np.random.default_rng(7)
    kernel = SlabKernel(1.0, 0.0, n**-0.25)
    model = ClassicalModel(chi=CHI)
    x = rng.standard_normal((n, 2))
    # spectral: a real run of 1000 steps, timing every step
    field = SpectralMemorySignal(kernel, horizon=1.0)
    stepper = EulerMaruyama(model, field)
    times = []
    for k in range(1000):
        t0 = time.perf_counter()
        x = stepper.step(x, k * dt, dt, math.sqrt(dt) * rng.standard_normal((n, 2)))
        times.append(time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"spectral field: lattice {field.modes}², field memory {field.memory_bytes / 2**20:.1f} MiB, "
        f"process peak RSS {rss:.0f} MiB"
    )
    print("| K | spectral step [s] | exact-history step [s] | exact history memory [MiB] | exact/spectral |")
    print("|--:|--:|--:|--:|--:|")
    history = ExactHistorySignal(kernel)
    walk = rng.standard_normal((n, 2))
    for k_target in (1, 10, 30, 100, 1000):
        while history.slabs.count < k_target:
            new = walk + math.sqrt(2 * dt) * rng.standard_normal((n, 2))
            history.advance(walk, new, history.slabs.count * dt, dt)
            walk = new
        spectral_step = float(np.median(times[max(0, k_target - 5) : k_target + 5]))
        if k_target <= 30:
            t0 = time.perf_counter()
            history.at_particles(walk, k_target * dt, potential=False)
            exact_step = time.perf_counter() - t0
            label = f"{exact_step:.2f}"
        else:  # the full step would take minutes to an hour: time 200 of the N targets, scale by N/200
            t0 = time.perf_counter()
            history.at_particles(walk[:200], k_target * dt, potential=False)
            exact_step = (time.perf_counter() - t0) * n / 200
            label = f"{exact_step:.0f} (200 targets timed, × {n // 200})"
        mem = history.memory_bytes / 2**20
        print(
            f"| {k_target} | {spectral_step:.3f} | {label} | {mem:.1f} | {exact_step / spectral_step:.0f}× |"
        )


def million():
    print("\n## Spectral field at N = 10⁶ (θ = 1, ε = N^−1/4, horizon 1), one step")
    n = 1_000_000
    rng = np.random.default_rng(8)
    x = rng.standard_normal((n, 2))
    field = SpectralMemorySignal(SlabKernel(1.0, 0.0, n**-0.25), horizon=1.0)
    stepper = EulerMaruyama(ClassicalModel(chi=CHI), field)
    steps = []
    for k in range(4):
        t0 = time.perf_counter()
        x = stepper.step(x, k * 1e-3, 1e-3, math.sqrt(1e-3) * rng.standard_normal((n, 2)))
        steps.append(time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"lattice {field.modes}²; step times {', '.join(f'{s:.2f}' for s in steps)} s; "
        f"median {np.median(steps[1:]):.2f} s; peak RSS {rss:.0f} MiB"
    )


def pde():
    print("\n## Particles (spectral field) against the θ > 0 PDE at t = 1")
    print("χ = 8π, θ = 1, c0 = 0, Gaussian data of variance 1; PDE on 128² cells of [−7, 7]²")
    theta, t_end, dt = 1.0, 1.0, 0.01
    model = ClassicalModel(chi=CHI, theta=theta)
    grid = Grid2D(n=128, half_width=7.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnderResolvedWarning)
        sol = FiniteVolumeSolver(model, grid).solve(GaussianData(1.0), t_end, t_end)
    print("| N | ε | KDE bandwidth | L1(KDE, PDE) | run [s] |\n|--:|--:|--:|--:|--:|")
    for n in (10_000, 100_000):
        rng = np.random.default_rng(9)
        x = rng.standard_normal((n, 2))
        eps = n**-0.25
        stepper = EulerMaruyama(model, SpectralMemorySignal(SlabKernel(theta, 0.0, eps), horizon=t_end))
        t0 = time.perf_counter()
        for k in range(int(round(t_end / dt))):
            x = stepper.step(x, k * dt, dt, math.sqrt(dt) * rng.standard_normal((n, 2)))
        elapsed = time.perf_counter() - t0
        bandwidth = scott_bandwidth(x)
        l1 = l1_distance(binned_kde(x, grid, bandwidth), sol.density[-1], grid)
        print(f"| {n} | {eps:.3f} | {bandwidth:.3f} | {l1:.3f} | {elapsed:.0f} |")


if __name__ == "__main__":
    print(
        f"# memory fields: {platform.machine()}, Python {platform.python_version()}, NumPy {np.__version__}"
    )
    parts = {"agreement": agreement, "theta": theta_limit, "cost": cost, "million": million, "pde": pde}
    for name in sys.argv[1:] or parts:
        parts[name]()
