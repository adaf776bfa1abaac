"""Initial cell data: a probability law that can be sampled and has a density."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kellersegel._registry import Registered

__all__ = ["InitialData"]


class InitialData(Registered, ABC):
    """A probability law ρ0/M on R²: N i.i.d. samples give the initial particles.

    A law with a ``name`` registers itself (:attr:`registry`): the configuration's
    ``[initial] kind = name`` builds it from the section's other keys, its constructor's arguments.
    """

    #: every law by name
    registry: ClassVar[dict[str, type[InitialData]]] = {}
    registry_label = "initial law"

    #: False for laws without a bounded density (a point mass): the PDE solvers refuse them.
    has_density: bool = True

    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
        """n points, shape (n, 2)."""

    @abstractmethod
    def density(self, x: ArrayLike) -> NDArray[np.float64]:
        """The probability density at points of shape (..., 2); returns shape (...)."""

    @abstractmethod
    def second_moment(self) -> float:
        """E|X|² of the law."""

    @abstractmethod
    def mean(self) -> NDArray[np.float64]:
        """E X, shape (2,)."""

    @staticmethod
    def _check_n(n: int) -> int:
        if int(n) != n or n < 1:
            raise ValueError(f"n must be a positive integer, got {n}")
        return int(n)
