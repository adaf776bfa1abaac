"""The instruments of the θ > 0 theory against N (issue 18), singular kernel, split field.

    .venv/bin/python benchmarks/memory_pairs.py [--sizes 250,1000,4000,16000] [--replicas 4]

For χ = 1 (below the reconstructed χ*_{1,∞} = 1.397) and χ = 4 (above), θ = 1, c0 = 0, Gaussian
start, T = 0.5, dt = 2e-3: over replicas × tracked pairs (2p, 2p+1), E ∫_0^T |D^{1,2}|^{2(γ−1)} ds,
E ∫_0^T |X^1 − X^2|^{−2(γ−1)} ds, their ratio (the "Markovianization" constant), and
(1/t) ∫_0^t E|X^1_s − X^2_s|^{2(1−γ)} ds at t = T/5 … T (the theory: ≤ A, bounded in t).
Intervals: 95 % percentile bootstrap over replicas (scipy.stats.bootstrap; the pairs of one
replica are exchangeable but not independent, so a replica is the unit). Writes
benchmarks/results/memory_pairs.csv, its figure memory_pairs.png, and prints the tables of
benchmarks/README.md; ``--plot`` redraws the figure from the CSV.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from scipy import stats

from kellersegel.config import config_from_dict
from kellersegel.experiments import run_particles
from kellersegel.experiments.bench import machine_description

GAMMAS = [1.6, 1.75, 1.9]
OUT = Path(__file__).parent / "results" / "memory_pairs.csv"
FIGURE = OUT.with_suffix(".png")


def config(chi: float, n: int, replicas: int):
    return config_from_dict(
        {
            "model": {"chi": chi, "theta": 1.0},
            "particles": {"n": n, "kernel": "exact", "engine": "split", "tolerance": 1e-5},
            "time": {"t_end": 0.5, "dt": 2e-3, "save_every": 0.1},
            "run": {"replicas": replicas, "seed": 18, "save_particles": 2},
            "pairs": {"tracked": min(n // 2, 64), "gammas": GAMMAS},
        }
    )


def interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean over replicas and its 95 % bootstrap interval."""
    if len(values) < 3:
        return float(values.mean()), float("nan"), float("nan")
    boot = stats.bootstrap((values,), np.mean, confidence_level=0.95, n_resamples=2000, random_state=0)
    return float(values.mean()), float(boot.confidence_interval.low), float(boot.confidence_interval.high)


def plot(rows: list[dict]) -> None:
    """Three panels: E∫|D|^{2(γ−1)} against N, its ratio to the Coulomb term against N (95 %
    intervals), and (1/t)∫_0^t E|X¹−X²|^{2(1−γ)} ds against t at the largest N."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
    colours = dict(zip(GAMMAS, ("tab:blue", "tab:orange", "tab:green"), strict=True))
    largest = max(int(r["n"]) for r in rows)
    for chi, style, shift in ((1.0, "-o", 0.97), (4.0, "--s", 1.03)):
        for gamma in GAMMAS:
            chosen = sorted(
                (r for r in rows if float(r["chi"]) == chi and float(r["gamma"]) == gamma),
                key=lambda r: int(r["n"]),
            )
            n = np.array([int(r["n"]) for r in chosen]) * shift  # side by side, not on top
            label = f"χ = {chi:g}, γ = {gamma:g}"
            for ax, key in ((axes[0], "D"), (axes[1], "ratio")):
                name = "D_integral" if key == "D" else "ratio"
                mean = np.array([float(r[name]) for r in chosen])
                low = np.array([float(r[f"{key}_low"]) for r in chosen])
                high = np.array([float(r[f"{key}_high"]) for r in chosen])
                ax.errorbar(
                    n,
                    mean,
                    yerr=[mean - low, high - mean],
                    fmt=style,
                    color=colours[gamma],
                    capsize=3,
                    label=label,
                )
            last = next(r for r in chosen if int(r["n"]) == largest)
            per_t = [float(v) for v in str(last["coulomb_over_t"]).split()]
            t = 0.5 * np.arange(1, len(per_t) + 1) / len(per_t)
            axes[2].plot(t, per_t, style, color=colours[gamma], label=label)
    for ax in axes[:2]:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N (particles)")
    axes[0].set_ylabel(r"$E\int_0^T |D^{12}_s|^{2(\gamma-1)}\,ds$")
    axes[0].set_title("path-dependent pair interaction (T = 0.5)")
    axes[1].set_ylabel(r"$E\int_0^T |D^{12}|^{2(\gamma-1)} \,/\, E\int_0^T |X^1-X^2|^{-2(\gamma-1)}$")
    axes[1].set_title("Markovianization ratio")
    axes[2].set_xlabel("t")
    axes[2].set_ylabel(r"$\frac{1}{t}\int_0^t E|X^1_s-X^2_s|^{2(1-\gamma)}\,ds$")
    axes[2].set_title(f"bounded in t (N = {largest})")
    axes[2].set_ylim(bottom=0)
    axes[0].legend(fontsize=7, ncol=2)
    fig.suptitle(
        "θ = 1, exact kernel, c0 = 0; χ = 1 below and χ = 4 above χ*(θ=1, p=∞) ≈ 1.40 (reconstructed); "
        "95 % bootstrap intervals over replicas"
    )
    FIGURE.parent.mkdir(exist_ok=True)
    fig.savefig(FIGURE, dpi=120)
    print(f"wrote {FIGURE}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="250,1000,4000,16000")
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--plot", action="store_true", help="only redraw the figure from the CSV")
    args = parser.parse_args()
    if args.plot:
        with OUT.open() as f:
            plot(list(csv.DictReader(f)))
        return
    sizes = [int(v) for v in args.sizes.split(",")]
    print(f"# memory pairs: {machine_description()}")
    rows = []
    for chi in (1.0, 4.0):
        for n in sizes:
            start = time.perf_counter()
            ds = run_particles(config(chi, n, args.replicas), workers=1)
            seconds = time.perf_counter() - start
            t = ds["time"].values
            d_int = ds["pair_interaction_integral"].isel(time=-1).mean("pair").values  # (replica, gamma)
            c_int = ds["pair_coulomb_integral"].mean("pair").values  # (replica, time, gamma)
            for g, gamma in enumerate(GAMMAS):
                d = interval(d_int[:, g])
                c = interval(c_int[:, -1, g])
                ratio = interval(d_int[:, g] / c_int[:, -1, g])
                per_t = [float(c_int[:, k, g].mean() / t[k]) for k in range(1, len(t))]
                rows.append(
                    {
                        "chi": chi, "n": n, "gamma": gamma, "replicas": args.replicas,
                        "pairs": ds.sizes["pair"], "seconds": round(seconds, 1),
                        "D_integral": d[0], "D_low": d[1], "D_high": d[2],
                        "coulomb_integral": c[0], "coulomb_low": c[1], "coulomb_high": c[2],
                        "ratio": ratio[0], "ratio_low": ratio[1], "ratio_high": ratio[2],
                        "coulomb_over_t": " ".join(f"{v:.4g}" for v in per_t),
                        "events": " ".join(sorted(set(ds["event"].values.tolist()))),
                    }
                )  # fmt: skip
            print(f"chi = {chi:g}, N = {n}: {seconds:.0f} s", flush=True)
    OUT.parent.mkdir(exist_ok=True)
    with OUT.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    head = "| χ | N | γ | E∫\\|D\\|^{2(γ−1)} [95 %] | E∫\\|X¹−X²\\|^{−2(γ−1)} [95 %] | ratio [95 %] "
    print("\n" + head + "| (1/t)∫E… at t = 0.1 … 0.5 | s |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in rows:
        d = f"{r['D_integral']:.4g} [{r['D_low']:.4g}, {r['D_high']:.4g}]"
        c = f"{r['coulomb_integral']:.4g} [{r['coulomb_low']:.4g}, {r['coulomb_high']:.4g}]"
        q = f"{r['ratio']:.3g} [{r['ratio_low']:.3g}, {r['ratio_high']:.3g}]"
        cells = [
            f"{r['chi']:g}",
            str(r["n"]),
            f"{r['gamma']:g}",
            d,
            c,
            q,
            r["coulomb_over_t"],
            str(r["seconds"]),
        ]
        print("| " + " | ".join(cells) + " |")
    plot(rows)


if __name__ == "__main__":
    main()
