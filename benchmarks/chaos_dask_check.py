"""The first sizes of a finished sweep again, on a local Dask cluster: identical numbers?

    python benchmarks/chaos_dask_check.py CONFIG SWEEP_FOLDER [--sizes 256,512,1024,2048] [--out DIR]

Runs the sweep of CONFIG's ``[sweep] over`` restricted to the given sizes N (the same replicas,
hence the same seeds) on a ``distributed.LocalCluster`` of 2 single-threaded worker processes, and
compares every variable but the wall times with the same points of the finished store
(``xarray.testing.assert_identical``). Prints the wall time and the verdict.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import xarray as xr


def main() -> None:
    from distributed import LocalCluster

    from kellersegel.config import load_config
    from kellersegel.config.axes import parse_axis
    from kellersegel.experiments.sweep import open_sweep, run_sweep

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("sweep")
    parser.add_argument("--sizes", default="256,512,1024,2048")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    config = load_config(args.config)
    axes = [
        parse_axis(f"particles.n={args.sizes}") if text.startswith("particles.n=") else parse_axis(text)
        for text in config.sweep.over
    ]
    out = Path(args.out or tempfile.mkdtemp()) / "dask"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        start = time.perf_counter()
        store = run_sweep(args.config, axes, config.run.replicas, out, scheduler=cluster.scheduler_address)
        seconds = time.perf_counter() - start
    sizes = [int(v) for v in args.sizes.split(",")]
    with open_sweep(store) as dask, open_sweep(args.sweep) as local:
        a = dask.drop_vars("seconds").load()
        b = local.drop_vars("seconds").sel({"particles.n": sizes}).load()
        a.attrs, b.attrs = {}, {}  # the configurations' text names the axes given
        xr.testing.assert_identical(a, b)
    tasks = a.sizes["replica"] * len(sizes) * a.sizes.get("particles", 1)
    print(f"{tasks} tasks on a local Dask cluster (2 workers) in {seconds:.0f} s: identical to {args.sweep}")


if __name__ == "__main__":
    main()
