"""Exploding-cluster sizes near the threshold: the theory-checked decision against the window rule.

A family of configurations (N, χ) whose smallest exploding size k* has a barely positive
δ_{k*−1} (0.02 … 1: the (k*−1)-cluster lingers at the step floor), several replicas each. Every
replica runs twice on the same Brownian path (``kellersegel run``'s seeds): with the package's
decision (after each window w R² of a collapse, the cluster of the closest pair explodes only if
its δ_k ≤ 0, else the collapse is followed further) and with the earlier rule (the cluster read
at the first window, whatever its size). Rows are kept one file each in ``--out`` (the package's
task files: an interrupted study continues), ``rows.csv`` at the end, and the summary prints per
configuration: sizes reported by each rule, undecided runs, and the explosion times where both
decide.

    .venv/bin/python benchmarks/explosion_sizes.py --replicas 6 --out explosion-sizes
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import math
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from singular_explosion import DECISION, decision  # the same folder

from kellersegel.analysis import collision_dimension, smallest_exploding_cluster
from kellersegel.config import load_config
from kellersegel.experiments.plan import RunPlan, plan_run
from kellersegel.experiments.replicas import run_replica
from kellersegel.experiments.tasks import run_study

#: (N, k*, δ_{k*−1}): χ is solved from δ_{k*−1} = (k*−2)(2 − χ(k*−1)/(4πN))
FAMILY = [(10, 4, 0.02), (10, 4, 0.3), (20, 4, 0.02), (20, 4, 0.1), (20, 4, 1.0), (40, 4, 0.05), (40, 5, 0.3)]
BASE = """
[model]
chi = {chi!r}
[initial]
kind = "gaussian"
variance = 0.25
[particles]
n = {n}
kernel = "exact"
[time]
t_end = {t_end}
dt = 1e-3
save_every = {t_end}
adaptive = true
min_dt = {min_dt!r}
[run]
seed = 1
replicas = {replicas}
"""
FIELDS = [
    "n",
    "k_star",
    "delta_below",
    "replica",
    *DECISION,
    "window_event",
    "window_event_time",
    "window_cluster",
    "seconds",
]


def chi_for(n: int, k: int, delta_below: float) -> float:
    """χ with δ_{k−1} = delta_below (mass 1)."""
    return (2 - delta_below / (k - 2)) * 4 * math.pi * n / (k - 1)


def _always_explodes(k: int) -> float:
    return -1.0


@dataclasses.dataclass(frozen=True)
class WindowRulePlan(RunPlan):
    """The same plan with the earlier rule: every cluster read at the first window explodes."""

    def collision_dimension(self):
        return _always_explodes


def replica_row(plan: RunPlan, key: tuple, k: int, report=None) -> tuple[str, dict]:
    start = time.perf_counter()
    new = run_replica(plan, k)
    fields = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)}
    old = run_replica(WindowRulePlan(**fields), k)
    n, k_star, delta_below = key
    row = {
        "n": n,
        "k_star": k_star,
        "delta_below": delta_below,
        "replica": k,
        **decision(new),
        "window_event": old.event,
        "window_event_time": old.event_time,
        "window_cluster": old.exploding_cluster,
        "seconds": round(time.perf_counter() - start, 2),
    }
    return f"{n:03d}-{k_star}-{delta_below:g}-{k:03d}", row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--t-end", type=float, default=0.05)
    parser.add_argument("--min-dt", type=float, default=1e-8, help="the step floor")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    parser.add_argument("--out", required=True, help="output folder (continued when it exists)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    jobs, texts = {}, []
    for n, k, below in FAMILY:
        chi = chi_for(n, k, below)
        assert smallest_exploding_cluster(n, chi) == k, (n, k, below)
        text = BASE.format(chi=chi, n=n, t_end=args.t_end, min_dt=args.min_dt, replicas=args.replicas)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "config.toml"
            path.write_text(text)
            plan = plan_run(load_config(path))
        texts.append(text)
        print(
            f"N = {n}, χ = {chi / math.pi:.4f}π: δ_{k - 1} = {collision_dimension(k - 1, n, chi):.3g}, "
            f"δ_{k} = {collision_dimension(k, n, chi):.3g}"
        )
        for r in range(args.replicas):
            jobs[f"{n:03d}-{k}-{below:g}-{r:03d}"] = (plan, (n, k, below), r)
    rows = run_study(
        args.out, "\n".join(texts), replica_row, jobs, FIELDS, workers=args.workers, on_row=print
    )
    summarize(rows)


def summarize(rows: list[dict]) -> None:
    """One line per configuration: the sizes each rule reported, and the times where both decided."""
    print(
        "| N | k* | δ_{k*−1} | replicas | sizes (this rule) | undecided | sizes (window rule) | "
        "same time where both decide | estimated dimension |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    groups = collections.defaultdict(list)
    for row in rows:
        groups[int(row["n"]), int(row["k_star"]), float(row["delta_below"])].append(row)
    for (n, k, below), group in sorted(groups.items()):
        sizes = collections.Counter(int(r["exploding_cluster"]) for r in group if r["event"] == "explosion")
        old = collections.Counter(int(r["window_cluster"]) for r in group if r["window_event"] == "explosion")
        undecided = sum(int(r["undecided_cluster"]) > 0 for r in group)
        both = [r for r in group if r["event"] == "explosion" and r["window_event"] == "explosion"]
        same = sum(math.isclose(float(r["event_time"]), float(r["window_event_time"])) for r in both)
        dims = [
            f"{float(r['cluster_dimension']):.2f}±{float(r['cluster_dimension_error']):.2f}"
            for r in group
            if r["event"] == "explosion"
        ]
        print(
            f"| {n} | {k} | {below:g} | {len(group)} | {dict(sorted(sizes.items()))} | {undecided} | "
            f"{dict(sorted(old.items()))} | {same} of {len(both)} | {', '.join(dims)} |"
        )
    seconds = np.array([float(r["seconds"]) for r in rows])
    print(f"seconds per row (both rules): mean {seconds.mean():.1f}, total {seconds.sum():.0f}")


if __name__ == "__main__":
    main()
