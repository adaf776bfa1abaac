"""A new interaction kernel is one class: it registers itself, the configuration accepts its
name, and a run uses it (through an engine that evaluates the kernel's own profiles)."""

import math

import numpy as np
import pytest

from kellersegel.config import ConfigError, config_from_dict
from kellersegel.experiments import run_particles
from kellersegel.experiments.plan import plan_run
from kellersegel.kernels import EpsilonScaling, InteractionKernel, make_kernel
from kellersegel.models.functions import SignalFunction


@pytest.fixture
def plummer_kernel():
    """Plummer's softening, defined in the test only: φ = −log(r² + ε²)/(4π),
    ψ = −2φ′ = 1/(2π(r² + ε²)), so ∇K = −ψ x."""

    class PlummerKernel(InteractionKernel):
        name = "test-plummer"

        def potential_profile(self, r2):
            return -np.log(np.asarray(r2) + self.epsilon**2) / (4 * math.pi)

        def gradient_profile(self, r2):
            return 1.0 / (2 * math.pi * (np.asarray(r2) + self.epsilon**2))

        def compiled_spec(self):
            raise NotImplementedError("evaluated by the numpy engine")

    yield PlummerKernel
    del InteractionKernel.registry[PlummerKernel.name]


def config(kernel, engine="numpy"):
    return config_from_dict(
        {
            "model": {"chi": 2.0},
            "particles": {"n": 60, "kernel": kernel, "epsilon": "fixed", "eps0": 0.1, "engine": engine},
            "time": {"t_end": 0.01, "dt": 0.002, "save_every": 0.01},
            "run": {"replicas": 1, "seed": 3},
        }
    )


def test_a_registered_kernel_runs_from_a_configuration(plummer_kernel):
    kernel = make_kernel("test-plummer", epsilon=0.1)
    assert isinstance(kernel, plummer_kernel) and kernel.epsilon == 0.1
    plan = plan_run(config("test-plummer"))
    assert plan.attributes()["kernel"] == "test-plummer" and plan.engine == "numpy"
    ds = run_particles(config("test-plummer"), workers=1)
    assert ds.attrs["kernel"] == "test-plummer" and np.all(np.isfinite(ds["positions"]))
    # the first Euler step by hand, from replica 0's initial points and first increment
    integration = plan.integration(0)
    x0 = integration.x0
    np.testing.assert_array_equal(ds["positions"].isel(replica=0, time=0), x0)
    d = x0[:, None, :] - x0[None, :, :]
    weights = np.full((60, 60), 1.0 / 60)
    np.fill_diagonal(weights, 0.0)
    grad_c = -np.einsum("ij,ijk->ik", weights / (2 * math.pi * (np.sum(d**2, axis=-1) + 0.01)), d)
    dw = integration.noise.increment(0.002, 0)
    x1 = integration.steppers[0].step(x0, 0.0, 0.002, dw)
    np.testing.assert_allclose(x1, x0 + 2.0 * grad_c * 0.002 + math.sqrt(2.0) * dw, rtol=1e-12, atol=1e-14)


def test_unknown_names_are_refused_with_the_registered_ones(plummer_kernel):
    allowed = r"particles\.kernel: unknown kernel 'plummer'; allowed: .*test-plummer"
    with pytest.raises(ConfigError, match=allowed):
        config("plummer")
    with pytest.raises(ConfigError, match=r"particles\.epsilon: unknown epsilon scaling 'cubic'"):
        config_from_dict({"particles": {"epsilon": "cubic"}})


def test_the_exact_kernel_takes_no_scale_and_the_others_need_one():
    from kellersegel.kernels import ExactKernel

    exact = make_kernel("exact", 0.5)
    assert type(exact) is ExactKernel and exact.lam == 0.5 and exact.epsilon is None
    assert make_kernel("exact", 0.5, epsilon=0.1) == exact  # a scale is not the exact kernel's
    for name in ("mollified", "cutoff"):
        assert make_kernel(name, 0.5, 0.1).epsilon == 0.1
        with pytest.raises(ValueError, match=f"the {name} kernel needs epsilon"):
            make_kernel(name, 0.5)


def test_every_family_is_registered_under_its_configuration_name():
    assert list(InteractionKernel.registry)[:3] == ["exact", "mollified", "cutoff"]
    assert list(EpsilonScaling.registry) == ["algebraic", "logarithmic", "fixed"]
    assert list(SignalFunction.registry) == ["constant", "exponential", "power", "receptor"]
    with pytest.raises(TypeError, match="kernel name 'exact' is taken"):

        class Impostor(InteractionKernel):  # noqa: F841
            name = "exact"
