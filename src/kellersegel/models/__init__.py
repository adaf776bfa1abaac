"""Models of the Keller–Segel family: motility D(c), sensitivity S(c), λ, θ and mass."""

from kellersegel.models.base import KellerSegelModel
from kellersegel.models.classical import ClassicalModel
from kellersegel.models.functions import (
    CallableFunction,
    ConstantFunction,
    ExponentialFunction,
    PowerFunction,
    ReceptorFunction,
    SignalFunction,
    make_function,
)
from kellersegel.models.general import GeneralModel, SignalDependentModel

__all__ = [
    "CallableFunction",
    "ClassicalModel",
    "ConstantFunction",
    "ExponentialFunction",
    "GeneralModel",
    "KellerSegelModel",
    "PowerFunction",
    "ReceptorFunction",
    "SignalDependentModel",
    "SignalFunction",
    "make_function",
]
