"""Sweeps: identical stores from every executor, clear errors (kills: tests/cli/test_faults.py)."""

import json
import math
import shutil

import numpy as np
import pytest
import xarray as xr

from kellersegel.cli.main import main
from kellersegel.config import ConfigError
from kellersegel.experiments import sweep as sweep_module
from kellersegel.experiments.outputs import MANIFEST, FolderError
from kellersegel.experiments.sweep import open_sweep, parse_axis, run_sweep
from kellersegel.experiments.tasks import ResumeWarning

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
[pde]
n = 48
[chaos]
grid_n = 64
transport_points = 256
beta_collision = [0.5, 1.0]
"""
#: the axes of a study of scalings: sizes, two scaling laws (a section patch) and α
AXES = [
    parse_axis("particles.n=48,96"),
    parse_axis('particles={epsilon = "algebraic", beta = 0.2},{epsilon = "logarithmic", eps0 = 0.5}'),
    parse_axis("chaos.alpha=0.25,0.5"),
]
SCALING = "particles"


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
    one = tmp_path / "one"
    assert run_sweep(config, AXES, 2, one, workers=1) == one / "sweep.zarr"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = run_sweep(config, AXES, 2, tmp_path / "dask", scheduler=cluster.scheduler_address)
    reference = values(one)
    assert reference.sizes == {
        "particles.n": 2, SCALING: 2, "chaos.alpha": 2, "replica": 2, "time": 3, "beta_collision": 2
    }  # fmt: skip
    assert list(reference[SCALING].values) == [
        'epsilon = "algebraic", beta = 0.2',
        'epsilon = "logarithmic", eps0 = 0.5',
    ]
    assert np.all(np.isfinite(reference.l1)) and np.all(reference.transport == 1)
    assert np.all(reference.max_error.isel(time=0) == 0)  # copies start at the particles
    for part in ("fluctuation_power_error", "mollification_power_error"):
        assert np.all(reference[part].isel(time=0) == 0) and np.all(reference[part].isel(time=-1) > 0)
    assert reference.collision_time.dims[-1] == "beta_collision"
    xr.testing.assert_identical(values(dask), reference)
    # α changes τ only: the coupling itself is the same at both values
    a, b = reference.isel({"chaos.alpha": 0}), reference.isel({"chaos.alpha": 1})
    for name in ("max_error", "mollification_power_error", "stopped_error", "collision_time"):
        np.testing.assert_array_equal(a[name], b[name])
    assert np.all(a.stopping_time >= b.stopping_time)  # N^−1/4 > N^−1/2: reached later or never
    assert np.all(a.power_stopping_time >= a.stopping_time)  # the power mean never exceeds the max
    # each point ran its own ε(N): the mollification part differs between the laws
    algebraic, logarithmic = (reference.mollification_power_error.isel({SCALING: i}) for i in (0, 1))
    assert np.all(algebraic.isel(time=-1) != logarithmic.isel(time=-1))

    assert main(["report", str(one)]) == 0
    report = tmp_path / "one-report"
    assert (report / "rates.png").stat().st_size > 10_000 and (report / "stopping_times.png").is_file()
    assert (report / "parts.png").stat().st_size > 10_000
    summary = (report / "summary.txt").read_text()
    label = "ε = 0.5 (log N)^−1/2, chaos.alpha = 0.5"  # the law of a [particles] patch, as a formula
    assert summary.count(" power_error ε = ") == 4 and f"P(τ_sup < 0.04) {label}" in summary
    assert f"minimal distance, β′ = 1: P(τ_min < 0.04) {label}" in summary
    assert "fluctuation_power_error ε = N^−0.2, chaos.alpha = 0.25: r = " in summary
    assert "stopped_error[1] ε = N^−0.2" in summary  # at β' = 0.5 τ_min = 0: a stopped error of 0
    assert "warning: a rate from 2 sizes N is the slope between two points" in summary
    assert summary.count("; fluct.)") + summary.count("; moll.)") == 4 * 2  # 4 series × 2 sizes
    # P(stopped error ≥ N^−α) of one series, recomputed from the store (α = 0.5 of that series)
    series = reference.sel({SCALING: reference[SCALING].values[1], "chaos.alpha": 0.5, "beta_collision": 1.0})
    bound = series["particles.n"].astype(float) ** -0.5
    p = (series.stopped_error >= bound).mean("replica").values
    expected = f"P(sup_{{t≤T∧τ_min}} err ≥ N^−α) {label}: N = 48: {p[0]:.2f}, N = 96: {p[1]:.2f}"
    assert f"minimal distance, β′ = 1: {expected}" in summary


def test_bad_sweeps_are_refused(config, tmp_path):
    with pytest.raises(ConfigError, match="expected section.key=value1"):
        parse_axis("particles.n")
    with pytest.raises(ConfigError, match="cannot be swept"):
        parse_axis("time.t_end=1,2")
    with pytest.raises(ConfigError, match="cannot be swept"):
        parse_axis("time={dt = 0.01, t_end = 1.0}")  # a patch may not change a shared key either
    with pytest.raises(ConfigError, match="inline tables"):
        parse_axis("particles=1,2")
    with pytest.raises(ConfigError, match="inline tables"):
        parse_axis("nosuch={a = 1}")
    with pytest.raises(ConfigError, match="cannot be swept"):
        parse_axis("chaos.beta_collision=[1.0],[2.0]")  # the store's dimension β' is shared
    with pytest.raises(ConfigError, match="particles.n"):
        run_sweep(config, [parse_axis("particles.n=1,64")], 1, tmp_path / "bad")  # n ≥ 2
    assert not (tmp_path / "bad").exists()
    run_sweep(config, [parse_axis("particles.n=48")], 1, tmp_path / "s")
    with pytest.raises(FolderError, match="holds a complete sweep; pass --resume"):
        run_sweep(config, [parse_axis("particles.n=48")], 1, tmp_path / "s")
    with pytest.raises(FolderError, match="holds a sweep of another configuration"):
        run_sweep(config, [parse_axis("particles.n=48,96")], 1, tmp_path / "s", resume=True)
    assert math.isfinite(float(open_sweep(tmp_path / "s").l1.isel(time=-1).squeeze()))
    assert main(["report", str(tmp_path / "s")]) == 0  # one N: no rate, the point itself
    assert "no rate: the sweep has no axis particles.n" in (tmp_path / "s-report" / "summary.txt").read_text()
    assert main(["report", str(tmp_path)]) == 2  # not a store


def test_a_sweep_resumes_from_its_task_files_alone(config, tmp_path, monkeypatch):
    """Tasks are kept one file each (the resume mechanism of runs too): the store is written once
    all are done; a torn task file is recomputed with a warning, a kept one is not."""
    axis = [parse_axis("particles.n=48,96")]
    full = run_sweep(config, axis, 2, tmp_path / "full")
    out = tmp_path / "s"
    run_sweep(config, axis, 2, out)
    tasks = sorted((out / "tasks").glob("task-*.npz"))
    assert [t.name for t in tasks] == [f"task-{i}-r0000{k}.npz" for i in (0, 1) for k in (0, 1)]
    shutil.rmtree(out / "sweep.zarr")  # a kill before the store was written: the manifest says running
    manifest = json.loads((out / MANIFEST).read_text())
    (out / MANIFEST).write_text(json.dumps(manifest | {"status": "running"}))
    with pytest.raises(FolderError, match="did not finish"):
        open_sweep(out)
    tasks[1].write_bytes(tasks[1].read_bytes()[:100])  # torn
    tasks[2].unlink()  # not written
    ran = []
    original = sweep_module._task
    monkeypatch.setattr(
        sweep_module, "_task", lambda plan, p, k, report: ran.append((p, k)) or original(plan, p, k, report)
    )
    with pytest.warns(ResumeWarning, match="task-0-r00001.npz: not a complete task file"):
        run_sweep(config, axis, 2, out, resume=True, workers=1)
    assert ran == [((0,), 1), ((1,), 0)]
    xr.testing.assert_identical(values(out), values(full.parent))
    run_sweep(config, axis, 2, out, resume=True, workers=1)  # complete: nothing runs, nothing changes
    assert len(ran) == 2
    run_sweep(config, axis, 2, out, overwrite=True, workers=1)
    assert len(ran) == 6 and sorted((out / "tasks").glob("*")) == tasks


def test_axes_over_nested_keys_and_list_values(config, tmp_path):
    """``--over`` takes a key inside a table, and list values (initial.centers of bumps, one list of
    points per point of the axis, split at the top-level commas only: one bump or two); repeated
    values are found by their TOML text; the store's coordinate is that text, and each point ran its
    own value."""
    nested = parse_axis("model.gamma.b=1.0, 2.5")
    assert nested.key == "model.gamma.b" and nested.values == (1.0, 2.5)
    listed = parse_axis('pairs.gammas=[1.6, 1.7],[1.8], ["a,b"]')
    assert listed.values == ([1.6, 1.7], [1.8], ["a,b"])
    with pytest.raises(ConfigError, match="repeated values"):
        parse_axis("pairs.gammas=[1.6],[1.6]")
    with pytest.raises(ConfigError, match="expected section.key=value1"):
        parse_axis("particles..n=1,2")
    axis = parse_axis("initial.variances=0.5,1.0")
    centers = parse_axis("initial.centers=[[0.0, 0.0]],[[-1.0, 0.0], [1.0, 0.0]]")
    text = config.read_text().replace('kind = "gaussian"', 'kind = "bumps"\ncenters = [[0.0, 0.0]]')
    config.write_text(text)
    run_sweep(config, [axis, centers], 1, tmp_path / "s", workers=1)
    ds = open_sweep(tmp_path / "s")
    assert list(ds["initial.centers"].values) == ["[[0.0, 0.0]]", "[[-1.0, 0.0], [1.0, 0.0]]"]
    assert np.all(np.isfinite(ds.l1.values))
    assert not np.allclose(ds.l1.isel({"initial.centers": 0}), ds.l1.isel({"initial.centers": 1}))
    # no axis of sizes: the report compares the errors across the first axis, one series per centres
    assert main(["report", str(tmp_path / "s")]) == 0
    report = tmp_path / "s-report"
    assert (report / "compare.png").stat().st_size > 10_000 and not (report / "rates.png").exists()
    summary = (report / "summary.txt").read_text()
    assert (
        "no rate: the sweep has no axis particles.n" in summary
        and "compared across initial.variances" in summary
    )
    mean = float(ds.l1.isel({"initial.centers": 1, "initial.variances": 0, "time": -1}).mean())
    assert f"l1 initial.centers = [[-1.0, 0.0], [1.0, 0.0]]: initial.variances = 0.5: {mean:.4g}" in summary


def test_one_command_runs_the_study_a_configuration_describes(config, tmp_path, capsys):
    """[sweep] over names the axes and [run] replicas the replicas: ``kellersegel sweep CONFIG -o
    OUT`` runs that study and writes its report (OUT-report); ``--over`` replaces the axes; a
    configuration with a bad axis, or a sweep with no axis at all, is one line and exit status 2."""
    text = config.read_text().replace("seed = 5", "seed = 5\nreplicas = 2")
    config.write_text(text + '[sweep]\nover = ["particles.n=48,96", "particles.beta=0.1,0.3"]\n')
    assert main(["sweep", str(config), "-o", str(tmp_path / "s"), "-q", "--workers", "1"]) == 0
    ds = open_sweep(tmp_path / "s")
    assert ds.sizes["particles.n"] == 2 and ds.sizes["particles.beta"] == 2 and ds.sizes["replica"] == 2
    assert (tmp_path / "s-report" / "rates.png").is_file()
    assert "s-report" in capsys.readouterr().out  # the report's files are named
    assert (
        main(
            [
                "sweep",
                str(config),
                "-o",
                str(tmp_path / "t"),
                "-q",
                "--over",
                "particles.n=48",
                "--replicas",
                "1",
            ]
        )
        == 0
    )
    assert dict(open_sweep(tmp_path / "t").sizes)["particles.n"] == 1
    config.write_text(text + '[sweep]\nover = ["time.t_end=1,2"]\n')
    assert main(["sweep", str(config), "-o", str(tmp_path / "u"), "-q"]) == 2
    assert "cannot be swept" in capsys.readouterr().err and not (tmp_path / "u").exists()
    config.write_text(text)
    assert main(["sweep", str(config), "-o", str(tmp_path / "v"), "-q"]) == 2
    assert "needs at least one --over axis" in capsys.readouterr().err and not (tmp_path / "v").exists()
