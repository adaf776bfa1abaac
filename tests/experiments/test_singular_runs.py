"""Adaptive runs of the singular system from a configuration: dataset fields, workers, resume."""

import math

import numpy as np
import pytest
import xarray as xr

from kellersegel.cli.main import main
from kellersegel.config import config_from_dict
from kellersegel.experiments import run_particles
from kellersegel.plotting import save_run_figures

CONFIG = {
    "model": {"chi": 2 * math.pi},
    "initial": {"kind": "gaussian", "variance": 0.05},
    "particles": {"n": 3, "kernel": "exact"},
    "time": {"t_end": 0.1, "dt": 0.01, "save_every": 0.05, "adaptive": True, "min_dt": 1e-7},
    "clusters": {"radius": 1e-3},
    "run": {"replicas": 4, "seed": 9},
}


def test_adaptive_run_dataset_has_cluster_fields_and_does_not_depend_on_workers(tmp_path):
    config = config_from_dict(CONFIG)
    one = run_particles(config, tmp_path / "a", workers=1)
    two = run_particles(config, tmp_path / "b", workers=2)
    xr.testing.assert_identical(one, two)
    assert one.sizes["size"] == 4  # sizes 0 … N
    assert np.all(one.steps >= 10) and np.all(one.min_step <= 0.01)
    np.testing.assert_array_equal(one.cluster_first_time.sel(size=1), 0.0)
    assert np.all((one.largest_cluster >= 1) & (one.largest_cluster <= 3) | np.isnan(one.largest_cluster))
    with xr.open_dataset(tmp_path / "a" / "run.nc") as saved:
        xr.testing.assert_identical(saved.load(), one)
    assert one.attrs["smallest_exploding_cluster"] == 0  # χ = 2π, N = 3: every δ_k > 0
    # what explosion decisions were based on: none here (no collapse lasted a window)
    assert np.all(one.undecided_cluster == 0) and np.all(np.isnan(one.explosion_wait))
    assert "squared Bessel dimension" in one.cluster_dimension.attrs["description"]
    figures = save_run_figures(tmp_path / "a")
    assert tmp_path / "a" / "clusters.png" in figures


def test_stop_at_cluster_needs_adaptive_steps():
    bad = {**CONFIG, "time": {**CONFIG["time"], "adaptive": False}, "clusters": {"stop_at": 2}}
    with pytest.raises(ValueError, match="clusters.stop_at: only with time.adaptive"):
        config_from_dict(bad)
    memory = {**CONFIG, "model": {"chi": 1.0, "theta": 1.0}}
    with pytest.raises(ValueError, match="time.adaptive: needs theta = 0"):
        config_from_dict(memory)


def test_theory_command_prints_the_predictions(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text("[model]\nchi = 141.3716694115407\n[particles]\nn = 20\n")
    assert main(["theory", str(config)]) == 0
    out = capsys.readouterr().out
    assert "smallest exploding cluster: k = 4" in out and "delta_k = -0.75" in out
    assert "global existence" in out and ": no" in out
    assert "left again (0 < delta_k < 2): k = 2-3" in out and "never left (delta_k <= 0): k = 4-20" in out
    config.write_text("[model]\nlam = 1.0\n[particles]\nn = 20\n")
    assert main(["theory", str(config)]) == 2
    assert "classical model" in capsys.readouterr().err


def test_theory_for_theta_above_zero_states_the_reconstructed_threshold(tmp_path, capsys):
    """θ = 1, χ = 1 with mass 1: χM = 1 < χ*_{1,∞} = 1.397 (labelled a reconstruction); with
    mass 1.5, χM = 1.5 is not below it."""
    config = tmp_path / "c.toml"
    config.write_text("[model]\nchi = 1.0\ntheta = 1.0\n[particles]\nn = 50\n")
    assert main(["theory", str(config)]) == 0
    out = capsys.readouterr().out
    assert "chi*_(theta,p) = 1.397" in out and "RECONSTRUCTED" in out and "chi M = 1: below" in out
    config.write_text("[model]\nchi = 1.0\ntheta = 1.0\nmass = 1.5\n[particles]\nn = 50\n")
    assert main(["theory", str(config)]) == 0
    assert "chi M = 1.5: not below" in capsys.readouterr().out
