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
    assert "squared Bessel dimension" in one.cluster_dimension.attrs["long_name"]
    figures = save_run_figures(tmp_path / "a")
    assert tmp_path / "a" / "clusters.png" in figures


def test_stop_at_cluster_needs_adaptive_steps():
    bad = {**CONFIG, "time": {**CONFIG["time"], "adaptive": False}, "clusters": {"stop_at": 2}}
    with pytest.raises(ValueError, match="clusters.stop_at: only with time.adaptive"):
        config_from_dict(bad)


def test_adaptive_steps_with_memory_follow_the_exact_history():
    """θ > 0, exact kernel, steps that shrink near collisions: the split field takes the variable
    slabs as the exact history does (same Brownian path, positions within its tolerance), the
    steps go below dt, and the tracked pair's instruments are recorded along the adaptive steps."""
    memory = {
        **CONFIG,
        "model": {"chi": 8.0, "theta": 1.0},
        "initial": {"kind": "gaussian", "variance": 0.05},
        "particles": {"n": 12, "kernel": "exact"},
        "time": {
            "t_end": 0.05,
            "dt": 0.01,
            "save_every": 0.05,
            "adaptive": True,
            "min_dt": 1e-5,
            "distance_fraction": 1.0,
        },  # fmt: skip
        "pairs": {"tracked": 2},
        "run": {"replicas": 2, "seed": 9},
    }
    split = run_particles(
        config_from_dict({**memory, "particles": {**memory["particles"], "tolerance": 1e-9}})
    )
    exact = run_particles(
        config_from_dict({**memory, "particles": {**memory["particles"], "engine": "direct"}})
    )
    assert split.attrs["engine"] == "split-memory" and exact.attrs["engine"] == "exact-history"
    np.testing.assert_array_equal(split.steps, exact.steps)
    assert np.all(split.min_step < 0.01) and np.all(split.steps > 5)
    assert float(np.max(np.abs(split.positions - exact.positions))) < 1e-8
    assert np.all(np.isfinite(split.pair_interaction.isel(time=-1)))


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
