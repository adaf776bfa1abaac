"""A particle run: replicas of one configuration, stored in OUTDIR, resumable."""

from __future__ import annotations

import shutil
from pathlib import Path

import xarray as xr

from kellersegel.config.load import ConfigError, config_to_toml
from kellersegel.config.schema import RunConfig
from kellersegel.dynamics import Trajectory
from kellersegel.experiments.dataset import (
    load_trajectory,
    save_trajectory,
    to_dataset,
    write_netcdf,
)
from kellersegel.experiments.plan import plan_run
from kellersegel.experiments.progress import Progress
from kellersegel.experiments.replicas import run_replicas

__all__ = ["run_particles"]


def run_particles(
    config: RunConfig,
    outdir: str | Path | None = None,
    *,
    resume: bool = False,
    progress: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
) -> xr.Dataset:
    """Run every replica of ``config`` and return the dataset.

    With ``outdir``: writes ``config.toml`` (resolved configuration) first, each finished replica
    to ``replicas/replica-KKKKK.npz`` as it finishes, and ``run.nc`` at the end. With
    ``resume=True`` the replicas already in ``outdir`` (same configuration) are not run again,
    so an interrupted run loses no finished replica. ``workers``: processes (default: one per
    core, at most one per replica); ``scheduler``: the address of a Dask distributed scheduler
    to run the replicas on instead; the results depend on neither.
    """
    plan = plan_run(config)  # everything the configuration implies, checked before anything is written
    results: dict[int, Trajectory] = {}
    replica_dir = None
    if outdir is not None:
        replica_dir = _prepare_outdir(Path(outdir), config, resume)
        for path in sorted(replica_dir.glob("replica-*.npz")):
            results[int(path.stem.split("-")[1])] = load_trajectory(path)

    def on_done(k: int, traj: Trajectory) -> None:
        results[k] = traj
        if replica_dir is not None:
            save_trajectory(traj, replica_dir / f"replica-{k:05d}.npz")

    todo = [k for k in range(config.run.replicas) if k not in results]
    steps = plan.time_grid.n_steps
    label = "steps" + (f" (resuming, {len(results)} replicas done)" if results else "")
    with Progress(label, len(todo) * steps, enabled=progress) as bar:
        run_replicas(plan, todo, on_done, bar.advance, workers, scheduler)
    ds = to_dataset(plan, [results[k] for k in range(config.run.replicas)])
    if outdir is not None:
        write_netcdf(ds, Path(outdir) / "run.nc")
    return ds


def _prepare_outdir(outdir: Path, config: RunConfig, resume: bool) -> Path:
    text = config_to_toml(config)
    config_file = outdir / "config.toml"
    replica_dir = outdir / "replicas"
    if resume and config_file.is_file():
        if config_file.read_text(encoding="utf-8") != text:
            raise ConfigError(
                f"{outdir} holds a run of another configuration; "
                "resume only with the same configuration, or choose another output folder"
            )
    elif replica_dir.exists():
        shutil.rmtree(replica_dir)
    replica_dir.mkdir(parents=True, exist_ok=True)
    config_file.write_text(text, encoding="utf-8")
    return replica_dir
