"""Explosion of the singular particle system: exploding-cluster sizes, false alarms, floor refinement.

Runs replicas of a configuration with adaptive steps (``kellersegel run``'s seeds: replica k of
the same file gives the same path) in the package's executor (``--workers`` processes) and keeps
each finished replica's row in the output folder ``--out`` (``rows/row-KKKKK.npz``, the package's
task files, with a manifest; ``rows.csv`` at the end): a rerun with the same configuration
continues the folder, so an interrupted study loses nothing. ``--set`` changes keys as on the
command line (e.g. ``--set time.min_dt=6.25e-12`` for a 16× finer floor: the same Brownian paths,
refined; a new folder). The summary prints the histogram of exploding-cluster sizes against the
smallest k with δ_k ≤ 0, and event times.

    .venv/bin/python benchmarks/singular_explosion.py examples/singular-explosion.toml \
        --replicas 50 --out explosion
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import platform
import time

import numpy as np

from kellersegel.analysis import collision_dimension, smallest_exploding_cluster
from kellersegel.config import config_to_toml, load_config
from kellersegel.experiments.plan import plan_run
from kellersegel.experiments.replicas import run_replica
from kellersegel.experiments.tasks import run_study

#: what an adaptive run's explosion decision reports (a trajectory's attributes)
DECISION = [
    "event",
    "event_time",
    "exploding_cluster",
    "undecided_cluster",
    "explosion_wait",
    "cluster_dimension",
    "cluster_dimension_error",
]


FIELDS = [
    "replica",
    *DECISION,
    "floor_time",
    "collapses",
    "steps",
    "seconds",
]


def decision(traj) -> dict:
    """The :data:`DECISION` columns of one trajectory."""
    return {name: getattr(traj, name) for name in DECISION}


def replica_row(plan, k: int, report=None) -> tuple[str, dict]:
    """One replica's row (a task of the executor; ``report`` unused: rows count whole replicas)."""
    start = time.perf_counter()
    traj = run_replica(plan, k)
    row = {
        "replica": k,
        **decision(traj),
        "floor_time": traj.floor_time,
        "collapses": traj.collapses,
        "steps": traj.steps,
        "seconds": round(time.perf_counter() - start, 2),
    }
    return f"{k:05d}", row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--set", action="append", default=[], dest="overrides")
    parser.add_argument("--replicas", type=int, default=50)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    parser.add_argument("--out", required=True, help="output folder (continued when it exists)")
    args = parser.parse_args()
    config = load_config(args.config, [*args.overrides, f"run.replicas={args.replicas}"])
    n, chi = config.particles.n, config.model.chi
    print(f"N = {n}, χ = {chi / math.pi:.2f}π, dt = {config.time.dt}, min_dt = {config.time.min_dt}")
    print("δ_k:", ", ".join(f"{k}: {collision_dimension(k, n, chi):.2f}" for k in range(2, min(n, 8) + 1)))
    print(f"smallest k with δ_k ≤ 0: {smallest_exploding_cluster(n, chi)}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")

    plan = plan_run(config)
    jobs = {f"{k:05d}": (plan, k) for k in range(args.replicas)}
    table = run_study(
        args.out, config_to_toml(config), replica_row, jobs, FIELDS, workers=args.workers, on_row=print
    )
    summarize({int(row["replica"]): row for row in table}, smallest_exploding_cluster(n, chi))


def summarize(rows: dict[int, dict[str, str]], k_star: int | None) -> None:
    events = collections.Counter(row["event"] for row in rows.values())
    exploded = [row for row in rows.values() if row["event"] == "explosion"]
    sizes = collections.Counter(int(row["exploding_cluster"]) for row in exploded)
    times = np.array([float(row["event_time"]) for row in exploded])
    print(f"{len(rows)} replicas; events: {dict(events)}")
    print("exploding cluster sizes:", dict(sorted(sizes.items())), f"(theory: {k_star})")
    undecided = [int(row["undecided_cluster"]) for row in rows.values() if int(row["undecided_cluster"])]
    print(f"runs that ended in an undecided collapse: {len(undecided)} (sizes {sorted(undecided)})")
    dims = [(float(r["cluster_dimension"]), float(r["cluster_dimension_error"])) for r in exploded]
    if dims:
        print(
            "estimated dimension of the exploding clusters: " + ", ".join(f"{d:.2f}±{e:.2f}" for d, e in dims)
        )
    if times.size:
        sd = times.std(ddof=1) if times.size > 1 else math.nan
        print(f"explosion time: mean {times.mean():.4g}, sd {sd:.3g}")
    collapses = np.array([int(row["collapses"]) for row in rows.values()])
    seconds = np.array([float(row["seconds"]) for row in rows.values()])
    print(f"collapses per replica: mean {collapses.mean():.1f}, total {collapses.sum()}")
    print(f"seconds per replica: mean {seconds.mean():.1f}")


if __name__ == "__main__":
    main()
