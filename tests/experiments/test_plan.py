"""The run plan resolves a configuration once; the dataset stores what it resolved to."""

import math

import pytest

from kellersegel.config import config_from_dict
from kellersegel.experiments import run_particles
from kellersegel.experiments.plan import plan_run
from kellersegel.fields import choose_engine


def config(**particles):
    return config_from_dict(
        {
            "particles": {"n": 200, **particles},
            "time": {"t_end": 0.01, "dt": 0.005, "save_every": 0.005},
            "run": {"replicas": 1},
        }
    )


@pytest.mark.parametrize(
    ("particles", "engine"),
    [
        ({"kernel": "exact"}, "direct"),
        ({"kernel": "exact", "n": 50_000}, "fmm"),
        ({"kernel": "mollified", "beta": 0.25, "engine": "spectral"}, "spectral"),
        ({"kernel": "cutoff", "epsilon": "fixed", "eps0": 0.1}, "direct"),
    ],
)
def test_the_plan_names_the_engine_auto_picks_and_the_real_epsilon(particles, engine):
    plan = plan_run(config(**particles))
    attrs = plan.attributes()
    n = plan.config.particles.n
    assert attrs["engine"] == engine
    if "engine" not in particles:  # auto: the choice for the kernel at its real ε(N)
        assert engine == choose_engine(plan.kernel, n)
    if particles["kernel"] == "exact":
        assert math.isnan(attrs["epsilon"])
    elif particles.get("epsilon") == "fixed":
        assert attrs["epsilon"] == 0.1
    else:
        assert attrs["epsilon"] == pytest.approx(n**-0.25)
    assert (attrs["lattice_modes"] > 0) == (engine == "spectral")
    assert math.isnan(attrs["engine_tolerance"]) == (engine == "direct")


def test_the_dataset_carries_the_plan_attributes():
    cfg = config(kernel="mollified", engine="spectral")
    ds = run_particles(cfg, workers=1)
    for key, value in plan_run(cfg).attributes().items():
        assert ds.attrs[key] == value or (math.isnan(value) and math.isnan(ds.attrs[key])), key
