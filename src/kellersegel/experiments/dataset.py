"""The run dataset: replicas' trajectories as one labelled xarray Dataset."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from kellersegel._files import atomic_path
from kellersegel.analysis.theory import smallest_exploding_cluster
from kellersegel.config.load import config_to_toml
from kellersegel.dynamics import Trajectory
from kellersegel.dynamics.trajectory import PAIR_INSTRUMENTS
from kellersegel.experiments.plan import RunPlan
from kellersegel.kernels import ExactKernel

__all__ = ["to_dataset", "trajectory_arrays", "trajectory_from_arrays", "write_netcdf"]

_ARRAYS = ("times", "positions", "second_moment", "center_of_mass", "min_distance", "max_drift")
_SCALARS = ("event_time", "steps", "min_step", "floor_time", "collapses", "exploding_cluster")
_DECISION = ("undecided_cluster", "explosion_wait", "cluster_dimension", "cluster_dimension_error")
_CLUSTER_ARRAYS = ("largest_cluster", "cluster_first_time")
_PAIR_DIMS = {
    "pair_interaction": ("replica", "time", "pair", "dim"),
    "pair_interaction_integral": ("replica", "time", "gamma", "pair"),
    "pair_coulomb_integral": ("replica", "time", "gamma", "pair"),
    "pair_distance_power": ("replica", "time", "gamma", "pair"),
}
#: CF long_name and units of every variable and coordinate. The model is nondimensional: lengths
#: and times are those of the equations (units "1"); counts and indices are "1" too; strings have none.
_VARIABLES: dict[str, tuple[str, str | None]] = {
    "replica": ("replica index", "1"),
    "time": ("time t", "1"),
    "particle": ("particle index i", "1"),
    "dim": ("coordinate axis", None),
    "size": ("cluster size k (particles)", "1"),
    "gamma": ("exponent γ of the pair moments", "1"),
    "pair": ("tracked pair p: particles (2p, 2p+1)", "1"),
    "positions": ("particle positions X_i(t)", "1"),
    "second_moment": ("(1/N) Σ_i |X_i|²", "1"),
    "center_of_mass": ("(1/N) Σ_i X_i", "1"),
    "min_distance": ("min over i ≠ j of |X_i − X_j|", "1"),
    "max_drift": ("max_i |b_i|, b the drift of the SDE", "1"),
    "largest_cluster": ("particles in the largest cluster (linking distance r)", "1"),
    "cluster_first_time": ("first time a cluster of ≥ size particles exists", "1"),
    "event": ("why the run stopped: none | nonfinite | explosion | cluster", None),
    "event_time": ("time of the event (explosion: start of the collapse; NaN: none)", "1"),
    "steps": ("time steps taken", "1"),
    "min_step": ("smallest time step taken", "1"),
    "floor_time": ("adaptive steps: first time the step floor was hit (NaN: never)", "1"),
    "collapses": ("adaptive steps: collapses to the step floor", "1"),
    "exploding_cluster": ("size of the cluster that exploded (0: none)", "1"),
    "pair_interaction": ("D_s = ∫_0^s ∇K_{s−u}(X^i_s − X^j_u) du, pair (i, j) = (2p, 2p+1)", "1"),
    "pair_interaction_integral": ("∫_0^t |D_s|^{2(γ−1)} ds", "1"),
    "pair_coulomb_integral": ("∫_0^t |X^i_s − X^j_s|^{−2(γ−1)} ds", "1"),
    "pair_distance_power": ("|X^i_t − X^j_t|^{2(1−γ)}", "1"),
    "undecided_cluster": (
        "size of the collapsed cluster the run ended in, not an explosion after a window (0: none)",
        "1",
    ),
    "explosion_wait": ("how long the collapse was followed before the decision", "1"),
    "cluster_dimension": (
        "estimated squared Bessel dimension of that cluster (untamed steps of its membership)",
        "1",
    ),
    "cluster_dimension_error": ("standard error of cluster_dimension", "1"),
}


def to_dataset(plan: RunPlan, trajectories: Sequence[Trajectory]) -> xr.Dataset:
    """Dataset with coordinates replica, time, particle, dim; as attributes the configuration
    (TOML) and what the plan resolved it to (:meth:`RunPlan.attributes`: model, kernel, ε, engine
    after ``auto``, tolerance, lattice size).

    Variables: positions(replica, time, particle, dim), second_moment(replica, time),
    center_of_mass(replica, time, dim), min_distance(replica, time), max_drift(replica, time),
    event(replica), event_time(replica), steps(replica), min_step(replica), floor_time(replica),
    collapses(replica), exploding_cluster(replica); with cluster tracking also
    largest_cluster(replica, time) and cluster_first_time(replica, size).
    """
    from kellersegel import __version__

    config, model, kernel = plan.config, plan.model, plan.kernel
    first = trajectories[0]
    stack = lambda name: np.stack([getattr(t, name) for t in trajectories])  # noqa: E731
    slope = model.virial_slope(config.particles.n)
    ds = xr.Dataset(
        data_vars={
            "positions": (("replica", "time", "particle", "dim"), stack("positions")),
            "second_moment": (("replica", "time"), stack("second_moment")),
            "center_of_mass": (("replica", "time", "dim"), stack("center_of_mass")),
            "min_distance": (("replica", "time"), stack("min_distance")),
            "max_drift": (("replica", "time"), stack("max_drift")),
            "event": (("replica",), np.array([t.event for t in trajectories], dtype=str)),
            **{name: (("replica",), stack(name)) for name in _SCALARS},
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
            **plan.attributes(),
            "virial_slope": slope if slope is not None else math.nan,
            "units_note": "nondimensional: lengths and times of the model's equations (units = 1)",
        },
    )
    if first.largest_cluster is not None:
        ds["largest_cluster"] = (("replica", "time"), stack("largest_cluster"))
        if hasattr(model, "chi") and isinstance(kernel, ExactKernel):
            k_star = smallest_exploding_cluster(config.particles.n, model.chi, model.mass)
            ds.attrs["smallest_exploding_cluster"] = k_star or 0
        ds["cluster_first_time"] = (("replica", "size"), stack("cluster_first_time"))
        ds = ds.assign_coords(size=np.arange(first.cluster_first_time.shape[0]))
    if first.pair_interaction is not None:  # θ > 0 instruments of the tracked pairs
        for name, dims in _PAIR_DIMS.items():
            ds[name] = (dims, stack(name))
        pairs = plan.config.pairs
        ds = ds.assign_coords(gamma=np.asarray(pairs.gammas), pair=np.arange(pairs.tracked))
    if plan.config.time.adaptive:  # what the explosion decisions were based on
        for name in _DECISION:
            ds[name] = (("replica",), stack(name))
    for name in ds.variables:
        long_name, units = _VARIABLES[str(name)]
        ds[name].attrs["long_name"] = long_name
        if units is not None:
            ds[name].attrs["units"] = units
    return ds


def write_netcdf(ds: xr.Dataset, path: str | Path) -> None:
    """Write atomically (:func:`~kellersegel._files.atomic_path`)."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="netcdf4")


def trajectory_arrays(traj: Trajectory) -> dict[str, np.ndarray]:
    """One replica as named arrays (a task result of :class:`~kellersegel.experiments.tasks.TaskFolder`)."""
    names = _ARRAYS + _SCALARS + _DECISION + _CLUSTER_ARRAYS + PAIR_INSTRUMENTS
    arrays = {name: getattr(traj, name) for name in names}
    arrays = {name: np.asarray(value) for name, value in arrays.items() if value is not None}
    return arrays | {"event": np.array(traj.event)}


def trajectory_from_arrays(arrays: dict[str, np.ndarray]) -> Trajectory:
    """The replica :func:`trajectory_arrays` stored; ``KeyError`` if one is missing."""
    return Trajectory(
        **{name: arrays[name] for name in _ARRAYS},
        **{name: arrays[name].item() for name in _SCALARS + _DECISION},
        **{name: arrays[name] for name in _CLUSTER_ARRAYS + PAIR_INSTRUMENTS if name in arrays},
        event=str(arrays["event"]),
    )
