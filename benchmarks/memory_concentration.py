"""Doubly parabolic against parabolic–elliptic above 8π (issue 18): does memory delay the collapse?

    .venv/bin/python benchmarks/memory_concentration.py [--thetas 0,0.1,0.2,0.3,0.5,1,10]

χ = 10π, M = 1, c0 = 0, Gaussian data of variance 1: θ = 0 blows up by the virial time T* = 2
(m₂(0) = 2, d/dt m₂ = 4 − χ/(2π) = −1). For each θ the grid PDE (128² cells of
[−6, 6]², blow-up when the peak density passes 10⁴ × its initial value) and the particles (exact
kernel; θ = 0 the direct sum, θ > 0 the split field; N = 1000, dt = 2·10⁻³, 2 replicas; the run's
"explosion" event is a drift that the Euler step no longer resolves) up to t = 3: the PDE's
numerical blow-up time and peak density, the particles' event times and second moments.
Writes benchmarks/results/memory_concentration.png and prints the table of benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from kellersegel.config import config_from_dict  # noqa: E402
from kellersegel.experiments import run_particles  # noqa: E402
from kellersegel.experiments.bench import machine_description  # noqa: E402
from kellersegel.initial.laws import GaussianData  # noqa: E402
from kellersegel.models import ClassicalModel  # noqa: E402
from kellersegel.pde import FiniteVolumeSolver, Grid2D, UnderResolvedWarning  # noqa: E402

CHI, T_END = 10 * math.pi, 3.0
THETAS = "0,0.1,0.2,0.3,0.5,1,10"
OUT = Path(__file__).parent / "results" / "memory_concentration.png"


def particles(theta: float):
    engine = {"engine": "direct"} if theta == 0 else {"engine": "split", "tolerance": 1e-4}
    cfg = config_from_dict(
        {
            "model": {"chi": CHI, "theta": theta},
            "particles": {"n": 1000, "kernel": "exact", **engine},
            "time": {"t_end": T_END, "dt": 2e-3, "save_every": 0.05},
            "run": {"replicas": 2, "seed": 10, "save_particles": 2},
        }
    )
    return run_particles(cfg, workers=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--thetas", default=THETAS, help="comma-separated θ values")
    thetas = [float(v) for v in parser.parse_args().thetas.split(",")]
    print(f"# memory concentration: {machine_description()}")
    grid = Grid2D(n=128, half_width=6.0)
    fig, (ax_peak, ax_m2) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    header = ["θ", "PDE blow-up time", "PDE peak at t = 3 (or at blow-up)", "particle events (time)", "PDE s"]
    print("| " + " | ".join([*header, "particles s"]) + " |")
    print("|--:|--:|--:|--:|--:|--:|")
    for theta, colour in zip(thetas, plt.cm.viridis(np.linspace(0, 0.9, len(thetas))), strict=True):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnderResolvedWarning)
            sol = FiniteVolumeSolver(ClassicalModel(chi=CHI, theta=theta), grid).solve(
                GaussianData(1.0), T_END, 0.05
            )
        pde_seconds = time.perf_counter() - start
        peaks = sol.density.max(axis=(1, 2))
        ax_peak.semilogy(sol.times, peaks, color=colour, label=f"θ = {theta:g}")
        start = time.perf_counter()
        ds = particles(theta)
        particle_seconds = time.perf_counter() - start
        m2 = ds["second_moment"].values
        for r in range(m2.shape[0]):
            ax_m2.plot(ds["time"], m2[r], color=colour, label=f"θ = {theta:g}" if r == 0 else None)
        events = ", ".join(
            f"{e} ({t:.3g})" if e != "none" else "none"
            for e, t in zip(ds["event"].values, ds["event_time"].values, strict=True)
        )
        blowup = "none" if sol.blowup_time is None else f"{sol.blowup_time:.3g}"
        cells = [f"{theta:g}", blowup, f"{peaks[-1]:.3g}", events, f"{pde_seconds:.0f}"]
        cells.append(f"{particle_seconds:.0f}")
        print("| " + " | ".join(cells) + " |", flush=True)
    ax_peak.axvline(2.0, color="grey", ls=":", label="θ = 0 virial time T* = 2")
    ax_peak.set(xlabel="t", ylabel="max ρ (PDE, 128² cells)", title="PDE peak density, χ = 10π, c0 = 0")
    ax_m2.plot([0, 2], [2, 0], color="grey", ls=":", label="θ = 0 virial law 2 − t")
    ax_m2.set(xlabel="t", ylabel="(1/N) Σ|X_i|²", title="particles (N = 1000, 2 replicas)")
    for ax in (ax_peak, ax_m2):
        ax.legend(fontsize=8)
    OUT.parent.mkdir(exist_ok=True)
    fig.savefig(OUT, dpi=120)
    print(f"figure: {OUT}")


if __name__ == "__main__":
    main()
