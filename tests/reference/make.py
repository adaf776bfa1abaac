"""Reference results of small runs, written by the code as it is, to compare a refactor against.

    .venv/bin/python tests/reference/make.py            # writes tests/reference/*.nc and *.npz

Each case is an example configuration made small (few particles, short time) or a path that no
example takes (θ > 0 memory fields, a coupled chaos replica, both PDE solvers). The test
``tests/experiments/test_reference_results.py`` recomputes every case and compares every data
variable with these files. Regenerate only when a number changes on purpose, and say which, why
and by how much in the commit.
"""

from __future__ import annotations

import dataclasses
import sys
from importlib import resources
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

#: an example made small: few particles, a short time, a few saves
SMALL = ["particles.n=300", "time.t_end=0.05", "time.save_every=0.01"]
#: the limit solved only where the case is one of the two solvers' (default: radial,
#: signal-dependent: grid); the others run without it
NO_LIMIT = "run.limit=false"

# name → (example, overrides): every example, small
CASES: dict[str, tuple[str, list[str]]] = {
    "default": ("default.toml", SMALL),
    "bessel-disk": (
        "bessel-disk.toml",
        [*SMALL, NO_LIMIT],
    ),
    "chaos-classical": (
        "chaos-classical.toml",
        ["particles.n=256", "time.t_end=0.05", "time.save_every=0.01", "run.replicas=2"],
    ),
    "mollified-bumps": (
        "mollified-bumps.toml",
        [*SMALL, NO_LIMIT],
    ),
    "point-mass": ("point-mass.toml", SMALL),
    "signal-dependent": (
        "signal-dependent.toml",
        SMALL,
    ),
    "singular-explosion": (
        "singular-explosion.toml",
        ["time.t_end=0.004", "time.dt=1e-3", "time.save_every=0.001", "run.replicas=2"],
    ),
    "supercritical": (
        "supercritical.toml",
        [*SMALL, NO_LIMIT],
    ),
    # θ > 0: the exact-history field (direct) and the spectral memory field (mollified)
    "memory-exact": (
        "default.toml",
        [
            "particles.n=100",
            "model.theta=1.0",
            "particles.engine='direct'",
            NO_LIMIT,
            "time.dt=0.005",
            "time.t_end=0.05",
            "time.save_every=0.01",
        ],
    ),
    "memory-singular": (
        "memory-singular.toml",
        [
            "particles.n=100",
            "time.t_end=0.05",
            "time.dt=0.005",
            "time.save_every=0.01",
            "pairs.tracked=5",
            NO_LIMIT,
        ],
    ),
    "memory-spectral": (
        "default.toml",
        [
            "particles.n=200",
            "model.theta=0.5",
            "particles.kernel='mollified'",
            "particles.eps0=0.3",
            NO_LIMIT,
            "time.dt=0.005",
            "time.t_end=0.05",
            "time.save_every=0.01",
        ],
    ),
}
# name → (example, overrides) of the limit PDE and of one coupled chaos replica
PDE_CASES = {
    "pde-radial": ("supercritical.toml", ["time.t_end=0.05", "time.save_every=0.01", "pde.radial_n=400"]),
    "pde-grid": ("signal-dependent.toml", ["time.t_end=0.02", "time.save_every=0.01", "pde.n=48"]),
}
CHAOS_CASE = ("chaos-classical.toml", ["particles.n=128", "time.t_end=0.05", "time.save_every=0.01"])


def config(example: str, overrides: list[str]):
    from kellersegel.config import load_config

    with resources.as_file(resources.files("kellersegel") / "examples" / example) as path:
        return load_config(path, overrides)


def particle_case(name: str, replica: int | None = None):
    """The case's dataset; with ``replica``, that replica alone (labelled k: replica k draws from
    the k-th child of the seed, so it equals the stored one)."""
    from kellersegel.experiments import plan_run, run_particles, run_replica, to_dataset

    if replica is None:
        return run_particles(config(*CASES[name]), workers=1)
    plan = plan_run(config(*CASES[name]))
    return to_dataset(plan, [run_replica(plan, replica)]).assign_coords(replica=[replica])


def pde_case(name: str):
    from kellersegel.experiments import solve_pde

    return solve_pde(config(*PDE_CASES[name]))


def chaos_case() -> dict[str, np.ndarray]:
    from kellersegel.experiments import solve_limit
    from kellersegel.experiments.chaos import coupling_config, measure_replica
    from kellersegel.experiments.pde_run import solve_mollified_limit
    from kellersegel.experiments.plan import plan_run

    cfg = coupling_config(config(*CHAOS_CASE))  # the three coupled systems, as a sweep runs them
    plan = plan_run(cfg)
    result = measure_replica(plan, 0, solve_limit(cfg), solve_mollified_limit(cfg, plan.kernel))
    return {k: np.asarray(v) for k, v in dataclasses.asdict(result).items() if k != "transport_method"}


def main() -> None:
    from kellersegel.experiments.dataset import write_netcdf

    names = sys.argv[1:] or [*CASES, *PDE_CASES, "chaos"]
    for name in names:
        if name in CASES:
            write_netcdf(particle_case(name), HERE / f"{name}.nc")
        elif name in PDE_CASES:
            write_netcdf(pde_case(name), HERE / f"{name}.nc")
        elif name == "chaos":
            np.savez(HERE / "chaos.npz", **chaos_case())
        else:
            sys.exit(f"unknown case {name}")
        print("wrote", name, flush=True)


if __name__ == "__main__":
    main()
