"""A new field engine is one class: it registers itself and runs from a configuration."""

import numpy as np
import pytest

from kellersegel.config import ConfigError, config_from_dict
from kellersegel.experiments import run_particles
from kellersegel.fields import ENGINES, FieldEngine, FieldValues


@pytest.fixture
def all_pairs_engine():
    """A user's engine, defined in the test only (and forgotten after it): the pairwise sum
    ∇c_i = −Σ_{j≠i} w_j ψ(|x_i − x_j|²)(x_i − x_j) over all pairs at once."""

    class AllPairsEngine(FieldEngine):
        name = "test-all-pairs"

        def _evaluate(self, sources, weights, targets, self_mode, potential, gradient):
            d = targets[:, None, :] - sources[None, :, :]
            r2 = np.einsum("ijk,ijk->ij", d, d)
            w = np.broadcast_to(weights, r2.shape).copy()
            if self_mode == 1:
                np.fill_diagonal(w, 0.0)
                np.fill_diagonal(r2, 1.0)
            grad = -np.einsum("ij,ijk->ik", w * self.kernel.gradient_profile(r2), d) if gradient else None
            pot = np.sum(w * self.kernel.potential_profile(r2), axis=1) if potential else None
            return FieldValues(pot, grad)

    yield AllPairsEngine
    del ENGINES[AllPairsEngine.name]


def config(engine):
    return config_from_dict(
        {
            "particles": {"n": 120, "kernel": "cutoff", "epsilon": "fixed", "eps0": 0.05, "engine": engine},
            "time": {"t_end": 0.02, "dt": 0.002, "save_every": 0.01},
            "run": {"replicas": 2, "seed": 5},
        }
    )


def test_a_registered_engine_runs_from_a_configuration_and_agrees_with_numpy(all_pairs_engine):
    assert ENGINES["test-all-pairs"] is all_pairs_engine
    ours = run_particles(config("test-all-pairs"), workers=1)
    assert ours.attrs["engine"] == "test-all-pairs"
    reference = run_particles(config("numpy"), workers=1)
    np.testing.assert_allclose(ours["positions"], reference["positions"], rtol=0, atol=1e-12)


def test_unknown_engines_are_refused_with_the_registered_names(all_pairs_engine):
    with pytest.raises(
        ConfigError, match=r"particles\.engine: unknown engine 'tree'; allowed: auto, .*test-all-pairs"
    ):
        config("tree")


def test_an_engine_name_cannot_be_taken_twice():
    with pytest.raises(TypeError, match="engine name 'numpy' is taken"):

        class Impostor(FieldEngine):  # noqa: F841
            name = "numpy"

            def _evaluate(self, *args):
                raise NotImplementedError
