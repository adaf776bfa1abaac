"""Sweeps: propagation-of-chaos measurements over a grid of configuration values, into one Zarr store.

Every point of the grid (the product of the ``--over`` axes) and every replica k < R is one task,
:func:`~kellersegel.experiments.chaos.measure_replica` of the configuration with that point's
values; a task depends only on (point, k), so the numbers do not depend on the executor (local
worker processes, or a Dask distributed cluster) or on the number of workers. The store is
created first (NaN everywhere, ``done`` = 0) and each task's results are written into it as
soon as the task finishes; ``resume`` runs only the tasks not done.

Store layout: one dimension per swept key (named by the key, e.g. ``particles.n``), ``replica``
and ``time`` (the save times); variables ``max_error``, ``power_error``, ``min_distance``
(…, replica, time) and ``stopping_time``, ``collision_time``, ``l1``, ``relative_entropy``,
``w1``, ``w2``, ``second_moment_error``, ``transport`` (1 exact, 2 sliced), ``seconds`` (wall
time of the task: the one variable that differs between runs) and ``done`` (…, replica).
"""

from __future__ import annotations

import functools
import itertools
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import zarr

from kellersegel._files import atomic_path, is_partial
from kellersegel.config.load import ConfigError, config_to_toml, load_config, parse_value
from kellersegel.config.schema import RunConfig
from kellersegel.experiments.chaos import ChaosMeasurement, measure_replica
from kellersegel.experiments.executor import check_scheduler, run_tasks
from kellersegel.experiments.plan import RunPlan, plan_run

__all__ = ["SweepAxis", "open_sweep", "parse_axis", "run_sweep"]

SWEEP_TITLE = "kellersegel propagation-of-chaos sweep"
SERIES = ChaosMeasurement.names("series")
SCALARS = ChaosMeasurement.names("scalar")
TRANSPORT_CODES = {"exact": 1, "sliced": 2}
#: keys that change the save times, which all points share
_FIXED_KEYS = ("time.t_end", "time.save_every", "run.replicas", "run.seed")


@dataclass(frozen=True)
class SweepAxis:
    """A configuration key and the values it takes, e.g. ``particles.n`` = 256, 1024, 4096."""

    key: str
    values: tuple[Any, ...]


def parse_axis(text: str) -> SweepAxis:
    """``section.key=v1,v2,...`` (values in TOML syntax)."""
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or key.count(".") != 1 or not values.strip():
        raise ConfigError(f"--over {text!r}: expected section.key=value1,value2,...")
    if key in _FIXED_KEYS:
        raise ConfigError(f"--over {key}: cannot be swept (all points share it)")
    parsed = tuple(parse_value(v.strip()) for v in values.split(","))
    if len(set(parsed)) != len(parsed):
        raise ConfigError(f"--over {key}: repeated values")
    return SweepAxis(key, parsed)


def _point_overrides(axes: Sequence[SweepAxis], point: tuple[int, ...]) -> list[str]:
    return [f"{axis.key}={_toml_value(axis.values[i])}" for axis, i in zip(axes, point, strict=True)]


def _toml_value(value: Any) -> str:
    return (
        f'"{value}"'
        if isinstance(value, str)
        else repr(value).lower()
        if isinstance(value, bool)
        else repr(value)
    )


def _plans(
    config_path: str | Path, overrides: Sequence[str], axes: Sequence[SweepAxis], replicas: int
) -> dict[tuple[int, ...], RunPlan]:
    """The checked plan of every point (errors before anything runs)."""
    base = [*overrides, f"run.replicas={replicas}"]
    points = itertools.product(*(range(len(a.values)) for a in axes))
    configs = {p: load_config(config_path, [*base, *_point_overrides(axes, p)]) for p in points}
    plans = {}
    for point, config in configs.items():
        try:
            plans[point] = plan_run(config)
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
    data |= {"transport": (dims, np.zeros(shape, np.int8)), "done": (dims, np.zeros(shape, np.int8))}
    coords = {a.key: list(a.values) for a in axes} | {"replica": np.arange(replicas), "time": times}
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(
        title=SWEEP_TITLE,
        kellersegel_version=__version__,
        config=config_to_toml(first),
        axes=" ".join(a.key for a in axes),
    )
    for name in (*SERIES, *SCALARS):
        ds[name].attrs["long_name"] = ChaosMeasurement.metadata(name)["long_name"]
    ds["transport"].attrs.update(flag_values=[0, 1, 2], flag_meanings="not_run exact sliced")
    ds["done"].attrs["description"] = "1 once the task's results are written"
    ds["seconds"].attrs["description"] = "wall time of the task (differs between runs)"
    return ds


@functools.lru_cache(maxsize=8)
def _limit(config_json: str):
    from kellersegel.experiments.pde_run import solve_limit

    return solve_limit(RunConfig.model_validate_json(config_json))


def _task(
    plan: RunPlan, point: tuple[int, ...], k: int, report: Callable[[int], None]
) -> tuple[tuple[int, ...], int, ChaosMeasurement, float]:
    """One replica of one point and its wall time (runs in a worker, which receives the point's
    plan: the PDE is solved once per point and worker); progress is counted in whole tasks."""
    import time

    start = time.perf_counter()
    result = measure_replica(plan, k, _limit(plan.config.model_dump_json()))
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
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Run every (point, replica) task not done yet and write its results into the store ``out``.

    Parameters
    ----------
    scheduler : str, optional
        Address of a Dask distributed scheduler; default: local worker processes.
    workers : int, optional
        Local worker processes (default: one per core).
    resume : bool
        Continue the store ``out`` (which must come from the same configuration, axes and
        replicas); without it an existing ``out`` is an error.
    progress : callable, optional
        Called with (tasks done, tasks in all) as tasks finish.
    """
    out = Path(out)
    _check_axes(axes)
    plans = _plans(config_path, overrides, axes, replicas)
    template = _template(plans, axes, replicas)
    if out.exists() != resume:
        raise ConfigError(
            f"{out} exists: pass --resume to continue it, or choose another path"
            if out.exists()
            else f"{out}: no sweep store to resume (run the sweep without --resume first)"
        )
    if scheduler is not None:
        check_scheduler(scheduler)  # before the store is made
    if not out.exists():
        _create_store(template, out)
    existing = _open_own_store(out)
    _check_same(existing, template, out)
    done = existing["done"].values.astype(bool)
    group = zarr.open_group(str(out), mode="r+")
    todo = [(p, k) for p in plans for k in range(replicas) if not done[(*p, k)]]
    total, finished = done.size, int(done.sum())
    if progress is not None:
        progress(finished, total)

    def write(point: tuple[int, ...], k: int, result: ChaosMeasurement, seconds: float) -> None:
        nonlocal finished
        index = (*point, k)
        for name in (*SERIES, *SCALARS):
            group[name][index] = getattr(result, name)
        group["seconds"][index] = seconds
        group["transport"][index] = TRANSPORT_CODES[result.transport_method]
        group["done"][index] = 1  # last: a task counts only once all of it is written
        finished += 1
        if progress is not None:
            progress(finished, total)

    jobs = [(plans[p], p, k) for p, k in todo]
    run_tasks(_task, jobs, write, workers=workers, scheduler=scheduler)
    return out


def _check_axes(axes: Sequence[SweepAxis]) -> None:
    if not axes:
        raise ConfigError("a sweep needs at least one --over axis")
    keys = [axis.key for axis in axes]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ConfigError(f"--over {twice[0]}: given twice; give each key once, with all its values")


def _create_store(template: xr.Dataset, out: Path) -> None:
    """The store, complete or not at all: written under a temporary name, then renamed."""
    if not out.parent.is_dir():
        raise ConfigError(f"{out}: its folder {out.parent} does not exist")
    for leftover in out.parent.glob(f".{out.name}.partial-*"):  # what a killed creation left
        if is_partial(leftover):
            shutil.rmtree(leftover, ignore_errors=True)
    try:
        with atomic_path(out) as tmp:
            template.to_zarr(tmp, mode="w-", encoding=_encoding(template), consolidated=False)
    except OSError as err:  # no permission, a read-only file system, a full disk
        raise ConfigError(f"{out}: cannot be written ({err.strerror})") from None


def _open_own_store(out: Path) -> xr.Dataset:
    """A store made by :func:`run_sweep`, or :class:`ConfigError` saying what ``out`` is instead."""
    if not out.is_dir():
        raise ConfigError(f"{out}: not a folder, so not a sweep store")
    try:
        ds = xr.open_zarr(out, consolidated=False)
    except (OSError, ValueError, KeyError) as err:
        raise ConfigError(f"{out}: not a sweep store ({type(err).__name__})") from None
    if ds.attrs.get("title") != SWEEP_TITLE or "done" not in ds:
        raise ConfigError(f"{out}: not a kellersegel sweep store")
    return ds


def _encoding(ds: xr.Dataset) -> dict[str, dict[str, Any]]:
    """One chunk per task (…, replica) so that each write touches its own chunk files."""
    encoding = {}
    for name, var in ds.data_vars.items():
        encoding[name] = {"chunks": tuple(ds.sizes[d] if d == "time" else 1 for d in var.dims)}
    return encoding


def _check_same(existing: xr.Dataset, template: xr.Dataset, out: Path) -> None:
    if existing.attrs.get("config") != template.attrs["config"] or dict(existing.sizes) != dict(
        template.sizes
    ):
        raise ConfigError(f"{out} holds another sweep (configuration, axes or replicas differ)")
    for name in template.coords:
        if not np.array_equal(existing[name].values, template[name].values):
            raise ConfigError(f"{out} holds another sweep (values of {name} differ)")


def open_sweep(path: str | Path) -> xr.Dataset:
    """The sweep store as a Dataset (lazy); :class:`ConfigError` if ``path`` is not one."""
    return _open_own_store(Path(path))
