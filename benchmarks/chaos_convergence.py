"""Propagation of chaos for the classical model: coupling errors and distances against N (issue 7).

For every N in ``--sizes`` and replica k < ``--replicas`` of the configuration (default
``examples/chaos-classical.toml``: χ = 4π, Gaussian data, mollified kernel ε = N^−0.2, t = 0.5):
the coupling with McKean–Vlasov copies driven by the radial PDE's ∇c and the distances to the PDE
density at the final time (``kellersegel.experiments.chaos.measure_replica``). Each finished
replica is appended to ``--out`` (CSV) at once; a rerun skips the rows already there. The summary
fits error ≈ C N^−r per metric with a bootstrap interval over replicas and draws the log–log plot.

    .venv/bin/python benchmarks/chaos_convergence.py --sizes 256,512,1024,2048,4096,8192,16384 \
        --replicas 16 --workers 2 --out chaos.csv --figure chaos.png
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np

from kellersegel.analysis import fit_rate
from kellersegel.config import load_config
from kellersegel.experiments.chaos import measure_replica
from kellersegel.experiments.pde_run import solve_limit

METRICS = ["power_error", "max_error", "l1", "w1", "w2", "relative_entropy", "second_moment_error"]
FIELDS = ["n", "replica", *METRICS, "stopping_time", "collision_time", "transport_method", "seconds"]
EXPECTED = {"power_error": 0.5, "max_error": 0.5}  # N^−1/2 for Lipschitz interactions (reference line)


def one(config_path: str, overrides: list[str], n: int, k: int) -> dict:
    config = load_config(config_path, [*overrides, f"particles.n={n}"])
    start = time.perf_counter()
    result = measure_replica(config, k, solve_limit(config))
    row = {"n": n, "replica": k, "seconds": round(time.perf_counter() - start, 2)}
    for name in FIELDS[2:-1]:
        value = result[name]
        row[name] = value[-1] if isinstance(value, np.ndarray) else value
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default="examples/chaos-classical.toml")
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    parser.add_argument("--sizes", default="256,512,1024,2048,4096,8192,16384")
    parser.add_argument("--replicas", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--out", required=True)
    parser.add_argument("--figure")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    overrides = [*args.overrides, f"run.replicas={args.replicas}"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    done = set()
    if os.path.exists(args.out):
        with open(args.out, newline="") as f:
            done = {(int(r["n"]), int(r["replica"])) for r in csv.DictReader(f)}
    todo = [(n, k) for n in sizes[::-1] for k in range(args.replicas) if (n, k) not in done]
    start = time.perf_counter()
    new_file = not os.path.exists(args.out)
    with open(args.out, "a", newline="") as f, ProcessPoolExecutor(args.workers) as pool:
        writer = csv.DictWriter(f, FIELDS)
        if new_file:
            writer.writeheader()
        futures = [pool.submit(one, args.config, overrides, n, k) for n, k in todo]
        for future in as_completed(futures):
            writer.writerow(future.result())
            f.flush()
    print(f"{len(todo)} replicas in {time.perf_counter() - start:.0f} s wall time ({args.workers} workers)")
    summarize(args.out, sizes, args.replicas, args.figure)


def summarize(path: str, sizes: list[int], replicas: int, figure: str | None) -> None:
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if int(r["n"]) in sizes and int(r["replica"]) < replicas]
    methods = sorted({r["transport_method"] for r in rows})
    print(f"Wasserstein method(s): {', '.join(methods)}")
    table = {m: np.array([[float(r[m]) for r in rows if int(r["n"]) == n] for n in sizes]) for m in METRICS}
    print("N       " + "".join(f"{m:>20}" for m in METRICS))
    for i, n in enumerate(sizes):
        print(f"{n:<8}" + "".join(f"{table[m][i].mean():>20.4g}" for m in METRICS))
    fits = {m: fit_rate(sizes, table[m]) for m in METRICS}
    for m, fit in fits.items():
        print(f"{m:>20}: {fit}")
    tau = np.array([[float(r["stopping_time"]) for r in rows if int(r["n"]) == n] for n in sizes])
    print(
        "P(tau < T):", ", ".join(f"{n}: {np.isfinite(t).mean():.2f}" for n, t in zip(sizes, tau, strict=True))
    )
    if figure:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        for i, m in enumerate(["power_error", "l1", "w2"]):
            mean = table[m].mean(axis=1)
            ax.loglog(sizes, mean, "o", color=f"C{i}", label=f"{m}: r = {fits[m].rate:.2f}")
            ax.loglog(sizes, fits[m].constant * np.asarray(sizes, float) ** -fits[m].rate, "-", color=f"C{i}")
        ax.loglog(
            sizes,
            table["power_error"].mean(axis=1)[0] * (np.asarray(sizes) / sizes[0]) ** -0.5,
            "k:",
            label="N^-1/2",
        )
        ax.set(xlabel="N", ylabel="error at t = 0.5")
        ax.legend(frameon=False)
        fig.tight_layout()
        fig.savefig(figure, dpi=130)


if __name__ == "__main__":
    main()
