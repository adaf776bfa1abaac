"""What a run folder, a dataset or a sweep store holds, as text (``kellersegel inspect PATH``).

A folder the package wrote (it has ``kellersegel.json``) is described by its manifest: kind,
status (running, interrupted, complete), the files recorded, the command that made it, and for
an unfinished run or sweep how many replicas or tasks are done; then its configuration and its
dataset. A dataset (``.nc``) or a sweep store (``.zarr``) alone: its dimensions, its variables
with their long names and units, its attributes and, for runs, the events of the replicas.
Nothing is written.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import xarray as xr

from kellersegel.experiments.outputs import MANIFEST, FolderError, read_manifest
from kellersegel.experiments.particle_run import RUN_FILES
from kellersegel.experiments.pde_run import PDE_FILES
from kellersegel.experiments.sweep import SWEEP_FILES

__all__ = ["describe"]

#: what each kind of folder may hold: its dataset (.nc, .zarr) and the pieces (a pattern) kept
#: until the dataset is written
_FILES = {"run": RUN_FILES, "sweep": SWEEP_FILES, "pde": PDE_FILES}


def describe(path: str | Path, *, config: bool = True) -> str:
    """The description of ``path`` (a folder of the package, a ``.nc`` dataset or a ``.zarr``
    store); :class:`~kellersegel.experiments.outputs.FolderError` if it is none of them."""
    path = Path(path)
    if path.is_dir() and (path / MANIFEST).is_file():
        return _describe_folder(path, config)
    if (path.suffix == ".zarr" and path.is_dir()) or (path.suffix == ".nc" and path.is_file()):
        with _open(path) as ds:
            return _describe_dataset(ds, path)
    if not path.exists():
        raise FolderError(f"{path}: does not exist")
    raise FolderError(f"{path}: not a kellersegel folder, a dataset (.nc) or a sweep store (.zarr)")


def _open(path: Path) -> xr.Dataset:
    try:
        return xr.open_zarr(path, consolidated=False) if path.suffix == ".zarr" else xr.open_dataset(path)
    except (OSError, ValueError, KeyError) as err:
        raise FolderError(f"{path}: cannot be read as a dataset ({type(err).__name__})") from None


def _describe_folder(folder: Path, config: bool) -> str:
    manifest = read_manifest(folder)
    kind, status = manifest["kind"], manifest["status"]
    version = manifest.get("kellersegel_version", "?")
    lines = [
        f"{folder}: a kellersegel {kind} folder, {status}",
        f"  made by: {manifest.get('command', '?')} (kellersegel {version})",
        f"  files recorded: {len(manifest['files'])}",
    ]
    files = _FILES.get(kind, ())
    dataset = next((folder / f for f in files if f.endswith((".nc", ".zarr"))), None)
    pieces = next((f for f in files if "*" in f), None)
    if pieces is not None and not dataset.exists():
        done = len(list(folder.glob(pieces)))
        what = "replicas" if kind == "run" else "tasks"
        lines.append(f"  finished so far: {done} {what} (the command with --resume continues)")
    text = folder / "config.toml"
    if config and text.is_file():
        lines += ["", "configuration (config.toml):"]
        lines += ["  " + line for line in text.read_text().splitlines()]
    if dataset is not None and dataset.exists():
        with _open(dataset) as ds:
            lines += ["", _describe_dataset(ds, dataset)]
    return "\n".join(lines)


def _describe_dataset(ds: xr.Dataset, path: Path) -> str:
    title = ds.attrs.get("title", "a dataset")
    sizes = ", ".join(f"{name} = {size}" for name, size in ds.sizes.items())
    lines = [f"{path}: {title}", f"  dimensions: {sizes}"]
    for name in ds.coords:
        values = ds[name].values
        shown = ", ".join(map(str, values[:6])) + (", …" if values.size > 6 else "")
        lines.append(f"  coordinate {name}: {shown}")
    lines.append("  variables:")
    width = max((len(str(n)) for n in ds.data_vars), default=0)
    for name, var in ds.data_vars.items():
        what = var.attrs.get("long_name") or var.attrs.get("description") or ""
        units = var.attrs.get("units")
        dims = f"({', '.join(map(str, var.dims))})"
        lines.append(f"    {str(name):<{width}} {dims} {what}" + (f" [{units}]" if units else ""))
    shown = {k: v for k, v in ds.attrs.items() if k not in ("title", "config") and np.ndim(v) == 0}
    if shown:
        lines.append("  attributes: " + ", ".join(f"{k} = {v}" for k, v in shown.items()))
    if "event" in ds and "replica" in ds["event"].dims:
        kinds = np.ravel(ds["event"].values)
        times = np.ravel(ds["event_time"].values) if "event_time" in ds else np.full(kinds.shape, np.nan)
        summary = ", ".join(f"{e}: {c}" for e, c in sorted(Counter(map(str, kinds)).items()))
        lines.append(f"  events over {ds.sizes['replica']} replicas: {summary}")
        stopped = [f"{e} at t = {t:.4g}" for e, t in zip(kinds, times, strict=True) if e != "none"]
        if stopped:
            lines.append(f"  stopped: {', '.join(stopped)}")
    return "\n".join(lines)
