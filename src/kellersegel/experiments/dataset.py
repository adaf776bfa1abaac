"""The run dataset: replicas' trajectories as one labelled xarray Dataset."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from kellersegel.config.load import config_to_toml
from kellersegel.config.schema import RunConfig
from kellersegel.dynamics import Trajectory

__all__ = ["load_trajectory", "save_trajectory", "to_dataset", "write_netcdf"]

_ARRAYS = ("times", "positions", "second_moment", "center_of_mass", "min_distance", "max_drift")


def to_dataset(config: RunConfig, trajectories: Sequence[Trajectory]) -> xr.Dataset:
    """Dataset with coordinates replica, time, particle, dim and the configuration as attributes.

    Variables: positions(replica, time, particle, dim), second_moment(replica, time),
    center_of_mass(replica, time, dim), min_distance(replica, time), max_drift(replica, time),
    event(replica), event_time(replica).
    """
    from kellersegel import __version__
    from kellersegel.experiments.build import build_kernel, build_model, build_signal

    first = trajectories[0]
    stack = lambda name: np.stack([getattr(t, name) for t in trajectories])  # noqa: E731
    kernel = build_kernel(config)
    model = build_model(config)
    slope = model.virial_slope(config.particles.n)
    ds = xr.Dataset(
        data_vars={
            "positions": (("replica", "time", "particle", "dim"), stack("positions")),
            "second_moment": (("replica", "time"), stack("second_moment")),
            "center_of_mass": (("replica", "time", "dim"), stack("center_of_mass")),
            "min_distance": (("replica", "time"), stack("min_distance")),
            "max_drift": (("replica", "time"), stack("max_drift")),
            "event": (("replica",), np.array([t.event for t in trajectories], dtype=str)),
            "event_time": (("replica",), np.array([t.event_time for t in trajectories])),
        },
        coords={
            "replica": np.arange(len(trajectories)),
            "time": first.times,
            "particle": np.arange(first.positions.shape[1]),
            "dim": ["x", "y"],
        },
        attrs={
            "title": "kellersegel particle run",
            "kellersegel_version": __version__,
            "config": config_to_toml(config),
            "n_particles": config.particles.n,
            "model": repr(model),
            "kernel": repr(kernel),
            "signal_field": repr(build_signal(config, model)) if model.theta > 0 else "elliptic",
            "epsilon": kernel.epsilon if kernel.epsilon is not None else math.nan,
            "virial_slope": slope if slope is not None else math.nan,
        },
    )
    ds["positions"].attrs["description"] = "particle positions X_i(t)"
    ds["second_moment"].attrs["description"] = "(1/N) sum_i |X_i|^2"
    ds["center_of_mass"].attrs["description"] = "(1/N) sum_i X_i"
    ds["min_distance"].attrs["description"] = "min over i != j of |X_i - X_j|"
    ds["max_drift"].attrs["description"] = "max_i |b_i|, b the drift of the SDE"
    ds["event"].attrs["description"] = "none | nonfinite | explosion (the run stopped)"
    ds["event_time"].attrs["description"] = "time at which the event was detected (NaN: none)"
    return ds


def write_netcdf(ds: xr.Dataset, path: str | Path) -> None:
    """Write atomically: to a temporary file next to ``path``, then rename."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    ds.to_netcdf(tmp, engine="netcdf4")
    os.replace(tmp, path)


def save_trajectory(traj: Trajectory, path: str | Path) -> None:
    """One finished replica, atomically (``.npz``)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    arrays = {name: getattr(traj, name) for name in _ARRAYS}
    np.savez(tmp, event=np.array(traj.event), event_time=np.array(traj.event_time), **arrays)
    os.replace(tmp, path)


def load_trajectory(path: str | Path) -> Trajectory:
    with np.load(path, allow_pickle=False) as f:
        return Trajectory(
            **{name: f[name] for name in _ARRAYS},
            event=str(f["event"]),
            event_time=float(f["event_time"]),
        )
