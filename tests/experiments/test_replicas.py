"""Replicas: seeds from SeedSequence.spawn, identical results for any number of workers, resume."""

import numpy as np
import pytest
import xarray as xr

from kellersegel.config import config_from_dict
from kellersegel.experiments import replica_rng, run_particles

CONFIG = {
    "model": {"chi": 15.0},
    "initial": {"kind": "bumps", "centers": [[0.0, 0.0], [2.0, 0.0]], "variances": 0.5},
    "particles": {"n": 300, "kernel": "mollified", "epsilon": "algebraic", "beta": 0.3},
    "time": {"t_end": 0.05, "dt": 0.005, "save_every": 0.01},
    "run": {"replicas": 3, "seed": 123, "save_particles": 100},
}


def test_one_and_two_workers_give_identical_datasets():
    config = config_from_dict(CONFIG)
    one = run_particles(config, workers=1)
    two = run_particles(config, workers=2)
    xr.testing.assert_identical(one, two)
    assert one.sizes["particle"] == 100 and one.attrs["n_particles"] == 300
    # replicas are different draws
    assert not np.array_equal(one.positions.isel(replica=0), one.positions.isel(replica=1))


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_dataset_as_local_processes():
    """The one executor: replicas on a real local Dask cluster (two worker processes) are the same
    numbers as in this process."""
    from distributed import LocalCluster

    config = config_from_dict(CONFIG)
    here = run_particles(config, workers=1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = run_particles(config, scheduler=cluster.scheduler_address)
    xr.testing.assert_identical(here, dask)


def test_replica_generators_are_spawned_from_the_root_seed():
    a = replica_rng(5, 4, 2).standard_normal(3)
    b = np.random.default_rng(np.random.SeedSequence(5).spawn(4)[2]).standard_normal(3)
    np.testing.assert_array_equal(a, b)


def test_resume_keeps_finished_replicas_and_gives_the_same_dataset(tmp_path):
    config = config_from_dict(CONFIG)
    full = run_particles(config, tmp_path / "full", workers=1)
    out = tmp_path / "interrupted"
    run_particles(config, out, workers=1)
    # an interruption after replicas 0 and 2 finished: replica 1 and run.nc are missing
    (out / "replicas" / "replica-00001.npz").unlink()
    (out / "run.nc").unlink()
    kept = (out / "replicas" / "replica-00000.npz").stat().st_mtime_ns
    resumed = run_particles(config, out, resume=True, workers=1)
    assert (out / "replicas" / "replica-00000.npz").stat().st_mtime_ns == kept  # not run again
    xr.testing.assert_identical(resumed, full)
    with xr.open_dataset(out / "run.nc") as on_disk:
        xr.testing.assert_identical(on_disk.load(), full)
