"""Markdown tables of a finished propagation-of-chaos sweep (the tables of benchmarks/README.md).

    python benchmarks/chaos_tables.py SWEEP_FOLDER

Prints: the rates r of error ≈ C N^−r with 95 % bootstrap intervals over replicas for the total
coupling error and its two parts, per series (scaling law); the means at the final time of the
three at every N; P(τ < T) against N for every stopping time; P(stopped error ≥ N^−α); the wall
time of the tasks. Every number is read from the store (the same fits as ``kellersegel report``).
"""

from __future__ import annotations

import sys

import numpy as np

from kellersegel.experiments.sweep import open_sweep
from kellersegel.plotting.base import config_table
from kellersegel.plotting.sweep_report import N_AXIS, _final, _series, sweep_rates

PARTS = {
    "power_error": "total",
    "fluctuation_power_error": "fluctuation",
    "mollification_power_error": "mollification",
}


def _rate_table(ds, fits) -> list[str]:
    lines = ["| series | " + " | ".join(f"{v} r [95 %]" for v in PARTS.values()) + " |", "|---|---|---|---|"]
    for label, _ in _series(ds):
        cells = []
        for metric in PARTS:
            fit = next((f for lab, m, f in fits if lab == label and m == metric), None)
            cells.append("—" if fit is None else f"{fit.rate:.3f} [{fit.low:.3f}, {fit.high:.3f}]")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _means_table(ds) -> list[str]:
    labels = [label for label, _ in _series(ds)]
    lines = ["| N | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    subs = [sub for _, sub in _series(ds)]
    for i, n in enumerate(ds[N_AXIS].values):
        cells = []
        for sub in subs:
            t, f, m = (_final(sub, metric).mean(axis=1)[i] for metric in PARTS)
            cells.append(f"{t:.2e} ({f:.2e}, {m:.2e})")
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return lines


def _probability_table(ds, title: str, hits) -> list[str]:
    labels = [label for label, _ in _series(ds)]
    lines = [f"{title}:", "", "| N | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    columns = [hits(sub).mean(axis=1) for _, sub in _series(ds)]
    for i, n in enumerate(ds[N_AXIS].values):
        lines.append(f"| {n} | " + " | ".join(f"{c[i]:.2f}" for c in columns) + " |")
    return [*lines, ""]


def main() -> None:
    with open_sweep(sys.argv[1]) as ds:
        ds = ds.load()
    fits = sweep_rates(ds)
    chaos = config_table(ds, "chaos")
    alpha = float(chaos.get("alpha", 0.25))
    out = [
        "Rates of the coupling error (power mean, p = 2) at the final time:",
        "",
        *_rate_table(ds, fits),
        "",
    ]
    out += [
        "Means over replicas at the final time: total (fluctuation, mollification), total ≤ their sum:",
        "",
    ]
    out += [*_means_table(ds), ""]
    for name, symbol in (("stopping_time", "τ_sup"), ("power_stopping_time", "τ_p")):
        out += _probability_table(
            ds, f"P({symbol} < T), α = {alpha:g}", lambda s, n=name: np.isfinite(_final(s, n))
        )
    for b in ds["beta_collision"].values:
        out += _probability_table(
            ds, f"P(τ_min < T), β′ = {b:g}", lambda s, b=b: np.isfinite(_final(s, f"collision_time[{b:g}]"))
        )

        def stopped(s, b=b):
            n = s[N_AXIS].values.astype(float)
            return _final(s, f"stopped_error[{b:g}]") >= (n**-alpha)[:, None]

        out += _probability_table(ds, f"P(sup_(t ≤ T∧τ_min) error ≥ N^−α), β′ = {b:g}", stopped)
    seconds = ds["seconds"]
    out.append(
        f"{seconds.size} tasks, {float(seconds.sum()):.0f} s of task time; the slowest point: "
        f"{float(seconds.mean('replica').max()):.1f} s per task"
    )
    print("\n".join(out))


if __name__ == "__main__":
    main()
