"""Models of the Keller–Segel family: motility D(c), sensitivity S(c), λ, θ and mass."""

from kellersegel.models.base import KellerSegelModel
from kellersegel.models.classical import ClassicalModel

__all__ = ["ClassicalModel", "KellerSegelModel"]
