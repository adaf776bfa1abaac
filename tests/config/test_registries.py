"""The configuration's named values are the registries' names: a model or an initial law the
schema offers is one the builders can make, and no registered one is missing from the schema."""

import typing

from kellersegel.config.schema import INITIAL_KINDS, ModelConfig
from kellersegel.initial import InitialData
from kellersegel.models import KellerSegelModel


def test_model_names_are_the_registered_models():
    assert set(typing.get_args(ModelConfig.model_fields["name"].annotation)) == set(KellerSegelModel.registry)


def test_initial_kinds_are_the_registered_laws_and_build_from_their_sections():
    from kellersegel.config import config_from_dict
    from kellersegel.experiments.build import build_initial

    assert list(INITIAL_KINDS) == list(InitialData.registry)
    for kind, section in INITIAL_KINDS.items():
        keys = {"bumps": {"centers": [[0.0, 0.0]]}, "file": None}.get(kind, {})
        if keys is None:
            continue  # needs a file; built in tests/initial
        config = config_from_dict({"initial": {"kind": kind, **keys}, "particles": {"kernel": "mollified"}})
        assert type(build_initial(config)) is InitialData.registry[kind], section


def test_pde_solver_names_are_the_registered_limit_solvers():
    from kellersegel.config.schema import PDESection
    from kellersegel.experiments.pde_run import LimitSolver

    allowed = typing.get_args(PDESection.model_fields["solver"].annotation)
    assert allowed == ("auto", *LimitSolver.registry)
