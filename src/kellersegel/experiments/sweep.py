"""Sweeps: propagation-of-chaos measurements over a grid of configuration values, into one Zarr store.

Every point of the grid (the product of the ``--over`` axes) and every replica k < R is one task,
:func:`~kellersegel.experiments.chaos.measure_replica` of the configuration with that point's
values; a task depends only on (point, k), so the numbers do not depend on the executor (local
worker processes, or a Dask distributed cluster) or on the number of workers.

The output is a folder of kind ``sweep`` (:class:`~kellersegel.experiments.outputs.OutputFolder`):
each finished task is kept as ``tasks/task-KEY.npz`` (:class:`~kellersegel.experiments.tasks.TaskFolder`,
the one resume mechanism of runs, sweeps and benchmark studies), and once every task is done the
results are assembled into ``sweep.zarr``, written whole under a temporary name and renamed into
place; ``resume`` runs only the tasks whose files are missing.

An axis (:mod:`kellersegel.config.axes`) is a key and its values, or a section and patches of it
(the scaling laws of a study).

Store layout: one dimension per swept key (named by the key, e.g. ``particles.n``), ``replica``,
``time`` (the save times) and ``beta_collision`` (the exponents β' of ``[chaos]``); the series of
:class:`~kellersegel.experiments.chaos.ChaosMeasurement` (the errors of the total and its parts,
``min_distance``, ``l1``, ``relative_entropy``, ``ckp_bound``: …, replica, time), its scalars
(``stopping_time``, ``power_stopping_time``, ``w1``, ``w2``, ``second_moment_error``: …, replica)
and its per-β' values (``collision_time``, ``stopped_error``: …, replica, beta_collision);
``transport`` (1 exact, 2 sliced) and ``seconds`` (wall time of the task: the one variable that
differs between runs).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import zarr  # noqa: F401 -- loaded with the module, not at the store's write (seen: a Ctrl-C there)

from kellersegel._files import atomic_path
from kellersegel.config.axes import SweepAxis, parse_axis, point_overrides, toml_value
from kellersegel.config.load import ConfigError, config_to_toml, load_config
from kellersegel.config.schema import ChaosSection, ParticlesConfig, RunConfig, RunSection
from kellersegel.experiments.chaos import THRESHOLD_DIM, ChaosMeasurement, coupling_config, measure_replica
from kellersegel.experiments.executor import check_scheduler, run_tasks
from kellersegel.experiments.outputs import MANIFEST, OutputFolder
from kellersegel.experiments.plan import RunPlan, plan_run
from kellersegel.experiments.tasks import TaskFolder
from kellersegel.kernels import InteractionKernel

__all__ = ["SWEEP_FILES", "SweepAxis", "open_sweep", "parse_axis", "run_sweep"]

SWEEP_TITLE = "kellersegel propagation-of-chaos sweep"
SERIES = ChaosMeasurement.names("series")
SCALARS = ChaosMeasurement.names("scalar")
THRESHOLDS = ChaosMeasurement.names("threshold")
TRANSPORT_CODES = {"exact": 1, "sliced": 2}
STORE = "sweep.zarr"
#: what a sweep folder holds (patterns)
SWEEP_FILES = ("tasks/task-*.npz", STORE)


def _coordinate(axis: SweepAxis) -> list[Any] | np.ndarray:
    """The axis's values as a coordinate: the values, or their TOML text where one is a list or
    a table (a section patch: ``key = value, …`` without braces)."""
    if any(isinstance(v, list | dict) for v in axis.values):  # variable-length strings in the store
        text = [toml_value(v).removeprefix("{").removesuffix("}") if isinstance(v, dict) else toml_value(v)
                for v in axis.values]  # fmt: skip
        return np.array(text, dtype=object)
    return list(axis.values)


def _plans(
    config_path: str | Path, overrides: Sequence[str], axes: Sequence[SweepAxis], replicas: int
) -> dict[tuple[int, ...], RunPlan]:
    """The checked plan of every point (errors before anything runs)."""
    base = [*overrides, f"run.replicas={replicas}"]
    points = itertools.product(*(range(len(a.values)) for a in axes))
    configs = {p: load_config(config_path, [*base, *point_overrides(axes, p)]) for p in points}
    plans = {}
    for point, config in configs.items():
        try:
            plans[point] = plan_run(coupling_config(config))
        except ConfigError as err:
            where = ", ".join(f"{a.key} = {a.values[i]!r}" for a, i in zip(axes, point, strict=True))
            raise ConfigError(f"{err} (sweep point {where})") from None
    return plans


def _template(plans: dict[tuple[int, ...], RunPlan], axes: Sequence[SweepAxis], replicas: int) -> xr.Dataset:
    from kellersegel import __version__

    first_plan = next(iter(plans.values()))
    first, times = first_plan.config, first_plan.time_grid.save_times
    shape = (*(len(a.values) for a in axes), replicas)
    dims = (*(a.key for a in axes), "replica")
    data = {name: ((*dims, "time"), np.full((*shape, len(times)), np.nan)) for name in SERIES}
    data |= {name: (dims, np.full(shape, np.nan)) for name in (*SCALARS, "seconds")}
    betas = first.chaos.beta_collision
    data |= {name: ((*dims, THRESHOLD_DIM), np.full((*shape, len(betas)), np.nan)) for name in THRESHOLDS}
    data |= {"transport": (dims, np.zeros(shape, np.int8))}
    coords = {a.key: _coordinate(a) for a in axes} | {"replica": np.arange(replicas), "time": times}
    coords[THRESHOLD_DIM] = np.array(betas, dtype=np.float64)
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(
        title=SWEEP_TITLE,
        kellersegel_version=__version__,
        config=config_to_toml(first),
        axes=" ".join(a.key for a in axes),
    )
    for name in (*SERIES, *SCALARS, *THRESHOLDS):
        ds[name].attrs.update(long_name=ChaosMeasurement.metadata(name)["long_name"], units="1")
    ds["transport"].attrs.update(
        long_name="optimal transport of W1, W2", flag_values=[1, 2], flag_meanings="exact sliced"
    )
    ds["seconds"].attrs.update(long_name="wall time of the task (differs between runs)", units="s")
    ds["replica"].attrs.update(long_name="replica index", units="1")
    ds["time"].attrs.update(long_name="time t", units="1")
    chaos = first.chaos
    ds[THRESHOLD_DIM].attrs.update(
        long_name=f"exponent β' of the minimal-distance threshold {chaos.distance_constant:g} N^−β'",
        units="1",
    )
    for axis in axes:
        ds[axis.key].attrs["long_name"] = f"swept configuration key {axis.key}"
        if ds[axis.key].dtype.kind in "fiu":
            ds[axis.key].attrs["units"] = "1"
    return ds


def _description(plans: dict[tuple[int, ...], RunPlan], axes: Sequence[SweepAxis]) -> str:
    """What the tasks' results depend on: the axes and every point's resolved configuration (the
    fingerprint ``--resume`` compares)."""
    lines = [f"# --over {axis.key}={','.join(map(toml_value, axis.values))}" for axis in axes]
    return "\n".join([*lines, *(config_to_toml(plan.config) for plan in plans.values())])


def _task_key(point: tuple[int, ...], k: int) -> str:
    """``i-j-…-rKKKKK``: the indices of the point on the axes and the replica."""
    return "-".join([*map(str, point), f"r{k:05d}"])


def _limit_key(config: RunConfig) -> str:
    """What the limit depends on: the configuration without the particles, the run and the
    measurements (points that differ only there share one PDE solve)."""
    neutral = {"particles": ParticlesConfig(), "run": RunSection(), "chaos": ChaosSection()}
    return config.model_copy(update=neutral).model_dump_json()


@functools.lru_cache(maxsize=8)
def _limit(key: str):
    from kellersegel.experiments.pde_run import solve_limit

    return solve_limit(RunConfig.model_validate_json(key))


@functools.lru_cache(maxsize=8)
def _mollified_limit(key: str, kernel: InteractionKernel):
    from kellersegel.experiments.pde_run import solve_mollified_limit

    return solve_mollified_limit(RunConfig.model_validate_json(key), kernel)


def _task(
    plan: RunPlan, point: tuple[int, ...], k: int, report: Callable[[int], None]
) -> tuple[tuple[int, ...], int, ChaosMeasurement, float]:
    """One replica of one point and its wall time (runs in a worker, which receives the point's
    plan: the limit and the mollified limit are solved once per worker and key); progress is
    counted in whole tasks."""
    import time

    from kellersegel.experiments.pde_run import mollified_limit_kernel

    start = time.perf_counter()
    key = _limit_key(plan.config)
    kernel = mollified_limit_kernel(plan)
    mollified = None if kernel is None else _mollified_limit(key, kernel)
    result = measure_replica(plan, k, _limit(key), mollified)
    return point, k, result, time.perf_counter() - start


def run_sweep(
    config_path: str | Path,
    axes: Sequence[SweepAxis],
    replicas: int,
    out: str | Path,
    *,
    overrides: Sequence[str] = (),
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Run every (point, replica) task not done yet in the sweep folder ``out``, then write its store.

    Parameters
    ----------
    scheduler : str, optional
        Address of a Dask distributed scheduler; default: local worker processes.
    workers : int, optional
        Local worker processes (default: one per core).
    resume : bool
        Continue the sweep folder ``out`` (which must come from the same configuration, axes and
        replicas): only the tasks whose files are missing run.
    overwrite : bool
        Replace the files of an earlier sweep in ``out`` (only those).
    progress : callable, optional
        Called with (tasks done, tasks in all) as tasks finish.

    Returns
    -------
    Path
        The Zarr store, ``out/sweep.zarr`` (:func:`open_sweep` opens it from ``out``).
    """
    _check_axes(axes)
    plans = _plans(config_path, overrides, axes, replicas)
    template = _template(plans, axes, replicas)
    if scheduler is not None:
        check_scheduler(scheduler)  # before the folder is made
    text = _description(plans, axes)
    folder = OutputFolder.claim(
        out, "sweep", text, SWEEP_FILES, resume=resume, overwrite=overwrite, inputs=[config_path]
    )
    tasks = TaskFolder(folder, "tasks", "task")
    keys = {_task_key(p, k): (p, k) for p in plans for k in range(replicas)}
    results = {keys[key]: arrays for key, arrays in tasks.finished().items() if key in keys}
    if progress is not None:
        progress(len(results), len(keys))

    def keep(point: tuple[int, ...], k: int, result: ChaosMeasurement, seconds: float) -> None:
        arrays = {name: getattr(result, name) for name in (*SERIES, *SCALARS, *THRESHOLDS)}
        arrays |= {"seconds": seconds, "transport": TRANSPORT_CODES[result.transport_method]}
        tasks.save(_task_key(point, k), arrays)
        results[point, k] = arrays
        if progress is not None:
            progress(len(results), len(keys))

    jobs = [(plans[p], p, k) for p, k in keys.values() if (p, k) not in results]
    try:
        run_tasks(_task, jobs, keep, workers=workers, scheduler=scheduler)
        store = folder.file(STORE)
        if not store.is_dir():  # written whole, so one that exists holds every task
            _write_store(template, results, store)
    except KeyboardInterrupt:
        folder.interrupted()
        raise
    folder.complete()
    return store


def _write_store(template: xr.Dataset, results: dict, store: Path) -> None:
    """The tasks' results in the template's arrays, written to ``store`` complete or not at all."""
    ds = template.copy(deep=True)
    for (point, k), arrays in results.items():
        for name, value in arrays.items():
            ds[name].values[(*point, k)] = value
    try:
        with atomic_path(store) as tmp:
            ds.to_zarr(tmp, mode="w-", consolidated=False)
    except OSError as err:  # no permission, a read-only file system, a full disk
        raise ConfigError(f"{store}: cannot be written ({err.strerror})") from None


def _check_axes(axes: Sequence[SweepAxis]) -> None:
    if not axes:
        raise ConfigError("a sweep needs at least one --over axis")
    keys = [axis.key for axis in axes]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ConfigError(f"--over {twice[0]}: given twice; give each key once, with all its values")


def _open_store(store: Path) -> xr.Dataset:
    """A store made by :func:`run_sweep`, or :class:`ConfigError` saying what ``store`` is instead."""
    if not store.is_dir():
        raise ConfigError(f"{store}: not a folder, so not a sweep store")
    try:
        ds = xr.open_zarr(store, consolidated=False)
    except (OSError, ValueError, KeyError) as err:
        raise ConfigError(f"{store}: not a sweep store ({type(err).__name__})") from None
    if ds.attrs.get("title") != SWEEP_TITLE:
        raise ConfigError(f"{store}: not a kellersegel sweep store")
    return ds


def open_sweep(path: str | Path) -> xr.Dataset:
    """The store of a finished sweep as a Dataset (lazy): ``path`` is the sweep's folder or its
    ``sweep.zarr``; :class:`ConfigError` (or FolderError) if it is neither, or not finished."""
    path = Path(path)
    if (path / MANIFEST).is_file():
        OutputFolder.finished(path, "sweep")
        path = path / STORE
    return _open_store(path)
