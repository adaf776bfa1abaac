"""Mollification scale laws ε(N)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from kellersegel._validation import finite_number

__all__ = ["AlgebraicScaling", "EpsilonScaling", "FixedEpsilon", "LogarithmicScaling", "make_scaling"]


class EpsilonScaling(ABC):
    """A rule N ↦ ε(N)."""

    @abstractmethod
    def epsilon(self, n: int) -> float:
        """The mollification scale for N particles."""

    @staticmethod
    def _check_n(n: int, minimum: int = 1) -> int:
        if int(n) != n or n < minimum:
            raise ValueError(f"n must be an integer ≥ {minimum}, got {n}")
        return int(n)


@dataclass(frozen=True)
class AlgebraicScaling(EpsilonScaling):
    """ε = ε0 · N^(−β), β ≥ 0 (moderate interaction; arXiv 2602.01138, 2605.15718)."""

    eps0: float = 1.0
    beta: float = 0.25

    def __post_init__(self) -> None:
        finite_number("eps0", self.eps0, 0.0, strict=True)
        finite_number("beta", self.beta, 0.0)

    def epsilon(self, n: int) -> float:
        return self.eps0 * float(self._check_n(n)) ** (-self.beta)


@dataclass(frozen=True)
class LogarithmicScaling(EpsilonScaling):
    """ε = ε0 · (log N)^(−1/2), N ≥ 2 (arXiv 2405.12134)."""

    eps0: float = 1.0

    def __post_init__(self) -> None:
        finite_number("eps0", self.eps0, 0.0, strict=True)

    def epsilon(self, n: int) -> float:
        return self.eps0 / np.sqrt(np.log(self._check_n(n, minimum=2)))


@dataclass(frozen=True)
class FixedEpsilon(EpsilonScaling):
    """ε = ε0 for every N."""

    eps0: float = 1.0

    def __post_init__(self) -> None:
        finite_number("eps0", self.eps0, 0.0, strict=True)

    def epsilon(self, n: int) -> float:
        self._check_n(n)
        return self.eps0


def make_scaling(name: str, eps0: float = 1.0, beta: float = 0.25) -> EpsilonScaling:
    """Scaling law by name: ``"algebraic"``, ``"logarithmic"`` or ``"fixed"``."""
    if name == "algebraic":
        return AlgebraicScaling(eps0, beta)
    if name == "logarithmic":
        return LogarithmicScaling(eps0)
    if name == "fixed":
        return FixedEpsilon(eps0)
    raise ValueError(f"unknown epsilon scaling {name!r}; allowed: algebraic, logarithmic, fixed")
