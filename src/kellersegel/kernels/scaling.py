"""Mollification scale laws ε(N)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from kellersegel._registry import Registered
from kellersegel._validation import finite_number

__all__ = ["AlgebraicScaling", "EpsilonScaling", "FixedEpsilon", "LogarithmicScaling", "make_scaling"]


class EpsilonScaling(Registered, ABC):
    """A rule N ↦ ε(N); a subclass with a ``name`` registers itself (:attr:`registry`)."""

    #: every scaling law by name
    registry: ClassVar[dict[str, type[EpsilonScaling]]] = {}
    registry_label = "epsilon scaling"

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

    name = "algebraic"

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

    name = "logarithmic"

    eps0: float = 1.0

    def __post_init__(self) -> None:
        finite_number("eps0", self.eps0, 0.0, strict=True)

    def epsilon(self, n: int) -> float:
        return self.eps0 / np.sqrt(np.log(self._check_n(n, minimum=2)))


@dataclass(frozen=True)
class FixedEpsilon(EpsilonScaling):
    """ε = ε0 for every N."""

    name = "fixed"

    eps0: float = 1.0

    def __post_init__(self) -> None:
        finite_number("eps0", self.eps0, 0.0, strict=True)

    def epsilon(self, n: int) -> float:
        self._check_n(n)
        return self.eps0


def make_scaling(name: str, eps0: float = 1.0, beta: float = 0.25) -> EpsilonScaling:
    """Scaling law by name (:attr:`EpsilonScaling.registry`: ``"algebraic"``, ``"logarithmic"``,
    ``"fixed"``, ...), given the parameters it takes of ``eps0`` and ``beta``."""
    cls = EpsilonScaling.named(name)
    taken = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in {"eps0": eps0, "beta": beta}.items() if k in taken})
