"""A particle run: replicas of one configuration, stored in OUTDIR, resumable."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path

import xarray as xr

from kellersegel._files import write_text
from kellersegel.config.load import ConfigError, config_to_toml
from kellersegel.config.schema import RunConfig
from kellersegel.dynamics import TimeGrid, Trajectory
from kellersegel.experiments.dataset import (
    to_dataset,
    trajectory_arrays,
    trajectory_from_arrays,
    write_netcdf,
)
from kellersegel.experiments.executor import check_scheduler
from kellersegel.experiments.limit import limit_comparison
from kellersegel.experiments.outputs import OutputFolder
from kellersegel.experiments.pde_run import check_limit, limit_dataset, solve_limit
from kellersegel.experiments.plan import plan_run
from kellersegel.experiments.progress import Progress
from kellersegel.experiments.replicas import run_replicas
from kellersegel.experiments.tasks import ResumeWarning, TaskFolder

__all__ = ["RUN_FILES", "run_particles"]


#: what a run folder may hold (patterns): ``plot`` adds the figures, ``animate`` the film
RUN_FILES = (
    "config.toml",
    "run.nc",
    "limit.nc",
    "replicas/replica-*.npz",
    "snapshots.png",
    "second_moment.png",
    "limit.png",
    "clusters.png",
    "particles.mp4",
    "particles.gif",
)


def run_particles(
    config: RunConfig,
    outdir: str | Path | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    inputs: Sequence[str | Path] = (),
) -> xr.Dataset:
    """Run every replica of ``config`` and return the dataset.

    With ``outdir`` (an :class:`~kellersegel.experiments.outputs.OutputFolder` of kind ``run``):
    writes its manifest and ``config.toml`` (resolved configuration) first, each finished replica
    to ``replicas/replica-KKKKK.npz`` as it finishes, and ``run.nc`` at the end, every file
    atomically. With ``resume=True`` the replicas already in ``outdir`` (same configuration) are
    not run again, so an interrupted run loses no finished replica (a damaged replica file is
    discarded with a warning and run again); ``overwrite`` replaces the files of an earlier run
    there; ``inputs``: files that must not be written over. ``workers``: processes (default: one
    per core, at most one per replica); ``scheduler``: the address of a Dask distributed scheduler
    to run the replicas on instead; the results depend on neither. With ``[run] limit`` the
    mean-field PDE is solved after the replicas and compared with them
    (:func:`~kellersegel.experiments.limit.limit_comparison`), and written to ``limit.nc``.
    """
    plan = plan_run(config)  # everything the configuration implies, checked before anything is written
    _check_resources(config, plan.time_grid, None if outdir is None else Path(outdir))
    if config.run.limit:
        check_limit(config)
    if scheduler is not None:
        check_scheduler(scheduler)
    results: dict[int, Trajectory] = {}
    folder = None
    if outdir is not None:
        text = config_to_toml(config)
        folder = OutputFolder.claim(
            outdir, "run", text, RUN_FILES, resume=resume, overwrite=overwrite, inputs=inputs
        )
        write_text(folder.file("config.toml"), text)
        store = TaskFolder(folder, "replicas", "replica")
        results = _finished_replicas(store, config.run.replicas)

    def on_done(k: int, traj: Trajectory) -> None:
        results[k] = traj
        if folder is not None:
            store.save(f"{k:05d}", trajectory_arrays(traj))

    todo = [k for k in range(config.run.replicas) if k not in results]
    steps = plan.time_grid.n_steps
    label = "steps" + (f" (resuming, {len(results)} replicas done)" if results else "")
    try:
        with Progress(label, len(todo) * steps, enabled=progress) as bar:
            run_replicas(plan, todo, on_done, bar.advance, workers, scheduler)
        ds = _dataset(plan, [results[k] for k in range(config.run.replicas)], folder, progress)
    except KeyboardInterrupt:
        if folder is not None:
            folder.interrupted()
        raise
    if folder is not None:
        write_netcdf(ds, folder.file("run.nc"))
        folder.complete()
    return ds


def _dataset(plan, trajectories: list[Trajectory], folder: OutputFolder | None, progress: bool) -> xr.Dataset:
    """The run's dataset; with ``[run] limit`` the comparison with the mean-field PDE added, and
    the PDE's solution written to ``limit.nc`` in ``folder``."""
    ds = to_dataset(plan, trajectories)
    if plan.config.run.limit:
        solution = solve_limit(plan.config, progress)
        ds = limit_comparison(plan, ds, solution)
        if folder is not None:
            write_netcdf(limit_dataset(plan.config, solution), folder.file("limit.nc"))
    return ds


def dataset_bytes(config: RunConfig, grid: TimeGrid) -> int:
    """Bytes of the saved positions of all replicas, (replicas, saves, N, 2) float64: a lower
    bound of what a run holds in memory (the dataset) and writes to disk (run.nc, the replicas)."""
    return 16 * config.particles.n * grid.n_saves * config.run.replicas


def _check_resources(config: RunConfig, grid: TimeGrid, outdir: Path | None) -> None:
    """Refuse a run whose dataset alone cannot fit in the memory available now, or on the disk."""
    import psutil

    need, have = dataset_bytes(config, grid), psutil.virtual_memory().available
    if need > have:
        raise ConfigError(
            f"particles.n = {config.particles.n}, {grid.n_saves} saves (time.save_every), "
            f"run.replicas = {config.run.replicas}: the positions alone take {need / 1e9:.3g} GB, "
            f"this machine has {have / 1e9:.3g} GB available; save less often or run fewer replicas"
        )
    if outdir is not None:
        existing = next(p for p in (outdir, *outdir.parents) if p.exists())
        usage = shutil.disk_usage(existing)
        if usage.total > 0 and 2 * need > usage.free:  # run.nc and the replica files (not /proc)
            raise ConfigError(
                f"{outdir}: the run writes at least {2 * need / 1e9:.3g} GB (its positions, twice), "
                f"the disk has {usage.free / 1e9:.3g} GB free; save less often or run fewer replicas"
            )


def _finished_replicas(store: TaskFolder, replicas: int) -> dict[int, Trajectory]:
    """The replicas k < ``replicas`` a resumed folder holds complete."""
    results = {}
    for key, arrays in store.finished().items():
        if key.isdigit() and int(key) < replicas:
            try:
                results[int(key)] = trajectory_from_arrays(arrays)
            except KeyError as err:  # a file of another version
                warnings.warn(
                    f"replica {key}: {err} missing, the replica runs again", ResumeWarning, stacklevel=2
                )
    return results
