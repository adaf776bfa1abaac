"""Runs of the doubly parabolic system from a configuration (θ > 0)."""

import numpy as np
import pytest
import xarray as xr

from kellersegel.config import ConfigError, config_from_dict
from kellersegel.experiments import run_particles
from kellersegel.experiments.build import build_model, build_signal


def config(**particles):
    return config_from_dict(
        {
            "model": {"chi": 20.0, "theta": 0.5},
            "particles": {"n": 300, "kernel": "mollified", **particles},
            "time": {"t_end": 0.05, "dt": 0.005, "save_every": 0.025},
            "run": {"replicas": 2, "seed": 3},
            "initial_signal": {"kind": "gaussian", "mass": 2.0, "variance": 0.5},
        }
    )


def test_spectral_and_exact_history_runs_agree_and_do_not_depend_on_workers():
    spectral = run_particles(config(), workers=1)
    assert spectral.attrs["engine"] == "spectral-memory" and spectral.attrs["lattice_modes"] > 0
    again = run_particles(config(), workers=2)
    xr.testing.assert_identical(spectral, again)
    exact = run_particles(config(engine="direct", include_self=True))
    assert exact.attrs["engine"] == "exact-history" and exact.attrs["include_self"] == 1
    gap = float(np.max(np.abs(exact["positions"] - spectral["positions"])))
    assert gap < 1e-7


def test_the_initial_signal_moves_the_particles():
    with_c0 = run_particles(config())
    without = run_particles(config_from_dict({**config().model_dump(), "initial_signal": {"kind": "zero"}}))
    assert float(np.max(np.abs(with_c0["positions"] - without["positions"]))) > 1e-4


def test_the_exact_kernel_runs_on_the_split_field_as_on_the_exact_history():
    """'auto' for the exact kernel is the split field; it follows the exact history ('direct') on
    the same noise to its tolerance, and the dataset says which field ran."""
    split = run_particles(config(kernel="exact", tolerance=1e-8))
    assert split.attrs["engine"] == "split-memory" and split.attrs["include_self"] == 0
    assert split.attrs["kernel"] == "exact" and np.isnan(split.attrs["epsilon"])
    assert split.attrs["engine_tolerance"] == 1e-8 and split.attrs["lattice_modes"] > 0
    exact = run_particles(config(kernel="exact", engine="direct"))
    assert exact.attrs["engine"] == "exact-history"
    assert float(np.max(np.abs(exact["positions"] - split["positions"]))) < 1e-8


def test_disk_initial_signal_with_the_exact_history():
    cfg = config_from_dict(
        {
            **config(engine="direct").model_dump(),
            "initial_signal": {"kind": "disk", "mass": 2.0, "radius": 1.0},
        }
    )
    assert np.all(np.isfinite(run_particles(cfg)["positions"]))


def test_inconsistent_memory_settings_are_refused():
    with pytest.raises(ConfigError, match="include_self"):
        config(include_self=False)
    with pytest.raises(ConfigError, match="'spectral' needs kernel = 'mollified'"):
        config(kernel="exact", engine="spectral")
    with pytest.raises(ConfigError, match="cannot resolve a disk's edge"):
        config_from_dict({**config().model_dump(), "initial_signal": {"kind": "disk"}})
    with pytest.raises(ConfigError, match="particles.tolerance: the exact history"):
        config(engine="direct", tolerance=1e-6)
    without_memory = {**config().model_dump(), "model": {"chi": 20.0, "theta": 0.0}, "initial_signal": {}}
    with pytest.raises(ConfigError, match="'split' is the memory field of theta > 0"):
        config_from_dict({**without_memory, "particles": {"n": 300, "engine": "split"}})
    with pytest.raises(ConfigError, match="particles.tolerance: used by the theta > 0 fields only"):
        config_from_dict({**without_memory, "particles": {"n": 300, "tolerance": 1e-6}})
    with pytest.raises(ConfigError, match="particles.threads: only the spectral engine"):
        config_from_dict({**without_memory, "particles": {"n": 300, "engine": "fmm", "threads": 2}})
    with pytest.raises(ConfigError, match="particles.threads: only the spectral memory field"):
        config(engine="split", threads=2)


def test_threads_reach_the_spectral_engine_and_the_spectral_memory_field():
    particles = {"n": 300, "kernel": "mollified", "engine": "spectral", "threads": 2}
    elliptic = config_from_dict({"model": {"chi": 20.0}, "particles": particles})
    assert build_signal(elliptic, build_model(elliptic)).engine.threads == 2
    memory = config(engine="spectral", threads=2)
    assert build_signal(memory, build_model(memory)).threads == 2


def test_tracked_pairs_give_the_theory_instruments_whatever_the_workers():
    """[pairs] on a split-field run of the singular system: the four instruments in the dataset,
    with gamma and pair coordinates, finite, the integrals non-decreasing in time, the same with
    two worker processes."""
    cfg = config_from_dict(
        {
            "model": {"chi": 1.0, "theta": 1.0},
            "particles": {"n": 40, "kernel": "exact"},
            "time": {"t_end": 0.05, "dt": 0.005, "save_every": 0.01},
            "run": {"replicas": 2, "seed": 4},
            "pairs": {"tracked": 5, "gammas": [1.6, 1.9]},
        }
    )
    one = run_particles(cfg, workers=1)
    assert one["pair_interaction"].dims == ("replica", "time", "pair", "dim")
    assert one["pair_interaction_integral"].shape == (2, 6, 2, 5)
    np.testing.assert_array_equal(one["gamma"], [1.6, 1.9])
    for name in ("pair_interaction_integral", "pair_coulomb_integral"):
        assert np.all(np.isfinite(one[name])) and np.all(one[name].diff("time") >= 0)
    xr.testing.assert_identical(one, run_particles(cfg, workers=2))
    with pytest.raises(ConfigError, match="pair interaction needs theta > 0"):
        config_from_dict({"pairs": {"tracked": 2}})
    with pytest.raises(ConfigError, match="pairs.tracked: 30 pairs need 60 particles"):
        config_from_dict({**cfg.model_dump(), "pairs": {"tracked": 30}})
    with pytest.raises(ConfigError, match="must lie in"):
        config_from_dict({**cfg.model_dump(), "pairs": {"tracked": 3, "gammas": [2.5]}})


def test_a_model_that_needs_c_itself_runs_with_memory():
    """Signal-dependent motility dX = √(2(σ + γ(c))) dW, γ = e^{−4c}, with θ > 0: the noise reads c
    itself. The split field follows the exact history on the same noise; with γ's b = 0 (c not
    read) the particles move differently, so the comparison sees c."""

    def cfg(engine, b=4.0):
        return config_from_dict(
            {
                "model": {
                    "name": "signal-dependent", "lam": 1.0, "theta": 1.0, "sigma": 0.1, "mass": 5.0,
                    "gamma": {"kind": "exponential", "a": 1.0, "b": b},
                },
                "particles": {"n": 120, "kernel": "exact", "engine": engine}
                | ({"tolerance": 1e-8} if engine == "split" else {}),
                "time": {"t_end": 0.02, "dt": 0.002, "save_every": 0.01},
                "run": {"replicas": 1, "seed": 4},
            }
        )  # fmt: skip

    split = run_particles(cfg("split"))
    exact = run_particles(cfg("direct"))
    assert split.attrs["engine"] == "split-memory" and exact.attrs["engine"] == "exact-history"
    assert float(np.max(np.abs(split["positions"] - exact["positions"]))) < 1e-9
    blind = run_particles(cfg("split", b=0.0))
    assert float(np.max(np.abs(split["positions"] - blind["positions"]))) > 1e-3
