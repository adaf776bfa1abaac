"""Sweeps: identical stores from every executor, clear errors (kills: tests/cli/test_faults.py)."""

import math

import numpy as np
import pytest
import xarray as xr

from kellersegel.cli.main import main
from kellersegel.config import ConfigError
from kellersegel.experiments.sweep import open_sweep, parse_axis, run_sweep

CONFIG = """
[model]
chi = 12.566370614359172
[initial]
kind = "gaussian"
[particles]
n = 64
kernel = "mollified"
beta = 0.2
[time]
t_end = 0.04
dt = 0.01
save_every = 0.02
[run]
seed = 5
[chaos]
grid_n = 64
transport_points = 256
"""
AXES = [parse_axis("particles.n=48,96"), parse_axis("chaos.alpha=0.25,0.5")]


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(CONFIG)
    return path


def values(path) -> xr.Dataset:
    """Everything but the wall times."""
    with open_sweep(path) as ds:
        return ds.drop_vars("seconds").load()


@pytest.mark.slow
def test_local_processes_and_a_dask_cluster_give_identical_stores(config, tmp_path):
    from distributed import LocalCluster

    # two local workers against one: tests/cli/test_faults.py (a killed sweep on two, resumed)
    one = run_sweep(config, AXES, 2, tmp_path / "one.zarr", workers=1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = run_sweep(config, AXES, 2, tmp_path / "dask.zarr", scheduler=cluster.scheduler_address)
    reference = values(one)
    assert reference.sizes == {"particles.n": 2, "chaos.alpha": 2, "replica": 2, "time": 3}
    assert np.all(reference.done == 1) and np.all(np.isfinite(reference.l1))
    assert np.all(reference.max_error.isel(time=0) == 0)  # copies start at the particles
    xr.testing.assert_identical(values(dask), reference)
    # α changes τ only: the coupling itself is the same at both values
    a, b = reference.isel({"chaos.alpha": 0}), reference.isel({"chaos.alpha": 1})
    np.testing.assert_array_equal(a.max_error, b.max_error)
    assert np.all(a.stopping_time >= b.stopping_time)  # N^−1/4 > N^−1/2: reached later or never

    assert main(["report", str(one)]) == 0
    report = tmp_path / "one-report"
    assert (report / "rates.png").stat().st_size > 10_000 and (report / "stopping_times.png").is_file()
    summary = (report / "summary.txt").read_text()
    assert summary.count("power_error chaos.alpha = ") == 2 and "P(τ < 0.04) chaos.alpha = 0.5" in summary


def test_bad_sweeps_are_refused(config, tmp_path):
    with pytest.raises(ConfigError, match="expected section.key=value1"):
        parse_axis("particles.n")
    with pytest.raises(ConfigError, match="cannot be swept"):
        parse_axis("time.t_end=1,2")
    with pytest.raises(ConfigError, match="particles.n"):
        run_sweep(config, [parse_axis("particles.n=1,64")], 1, tmp_path / "bad.zarr")  # n ≥ 2
    assert not (tmp_path / "bad.zarr").exists()
    run_sweep(config, [parse_axis("particles.n=48")], 1, tmp_path / "s.zarr")
    with pytest.raises(ConfigError, match="exists: pass --resume"):
        run_sweep(config, [parse_axis("particles.n=48")], 1, tmp_path / "s.zarr")
    with pytest.raises(ConfigError, match="another sweep"):
        run_sweep(config, [parse_axis("particles.n=48,96")], 1, tmp_path / "s.zarr", resume=True)
    assert math.isfinite(float(open_sweep(tmp_path / "s.zarr").l1.squeeze()))
    assert main(["report", str(tmp_path / "s.zarr")]) == 2  # one N: no rate
    assert main(["report", str(tmp_path)]) == 2  # not a store
