"""Runs and PDE solutions of the signal-dependent and general models from a configuration."""

import numpy as np

from kellersegel.config import config_from_dict
from kellersegel.experiments import run_particles, solve_pde

MODEL = {
    "name": "signal-dependent",
    "lam": 1.0,
    "sigma": 0.1,
    "mass": 3.0,
    "gamma": {"kind": "power", "a": 1.0, "k": 2.0},
}


def config(model):
    return config_from_dict(
        {
            "model": model,
            "initial": {"kind": "gaussian", "variance": 0.5},
            "particles": {"n": 300, "kernel": "mollified"},
            "time": {"t_end": 0.04, "dt": 0.004, "save_every": 0.02},
            "pde": {"n": 40},
        }
    )


def test_signal_dependent_run_and_its_pde():
    cfg = config(MODEL)
    ds = run_particles(cfg)
    assert ds.attrs["model"] == "signal-dependent" and np.all(np.isfinite(ds["positions"]))
    assert np.all(ds["max_drift"] == 0)  # the interaction is in the noise only
    pde = solve_pde(cfg)
    assert abs(float(pde["mass"][-1]) - 3.0) < 1e-6 and float(pde["density"].min()) >= 0


def test_general_model_with_receptor_sensitivity_runs():
    model = {
        "name": "general",
        "motility": {"kind": "constant", "a": 1.0},
        "sensitivity": {"kind": "receptor", "chi": 30.0},
        "lam": 0.5,
    }
    ds = run_particles(config(model))
    assert np.all(np.isfinite(ds["positions"])) and float(ds["max_drift"].max()) > 0
