"""Functions of the signal, f(c) with their exact derivatives f'(c): motility, sensitivity, γ.

Named, parameterised families (what a configuration may ask for; nothing is evaluated as code):

=====================  ======================  =========================
family                 f(c)                    f'(c)
=====================  ======================  =========================
constant(a)            a                       0
exponential(a, b)      a e^{−bc}               −ab e^{−bc}
power(a, k)            a (1 + c)^{−k}          −ak (1 + c)^{−k−1}
receptor(chi)          χ / (1 + c)²            −2χ / (1 + c)³
=====================  ======================  =========================

``power`` and ``receptor`` are defined for c > −1 (always true for λ > 0, where c ≥ 0; with the log
kernel λ = 0 the signal can be negative far from the cells, and the value is then NaN, which
stops a run with a ``nonfinite`` event). Any pair of Python callables (f, f') from the API:
:class:`CallableFunction`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kellersegel._registry import Registered
from kellersegel._validation import finite_number

__all__ = [
    "CallableFunction",
    "ConstantFunction",
    "ExponentialFunction",
    "PowerFunction",
    "ReceptorFunction",
    "SignalFunction",
    "make_function",
]


class SignalFunction(Registered, ABC):
    """f(c) and f'(c), vectorised. A family with a ``name`` registers itself (:attr:`registry`)
    with the names of its ``parameters``: the configuration may then ask for it."""

    #: every named family
    registry: ClassVar[dict[str, type[SignalFunction]]] = {}
    registry_label = "function"
    parameters: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def value(self, c: ArrayLike) -> NDArray[np.float64]:
        """f(c)."""

    @abstractmethod
    def derivative(self, c: ArrayLike) -> NDArray[np.float64]:
        """f'(c)."""

    @property
    def constant(self) -> bool:
        """True when f does not depend on c."""
        return False


class ConstantFunction(SignalFunction):
    """f(c) = a."""

    name, parameters = "constant", ("a",)

    def __init__(self, a: float) -> None:
        self.a = finite_number("a", a)

    def value(self, c):
        return np.full(np.shape(c), self.a)

    def derivative(self, c):
        return np.zeros(np.shape(c))

    @property
    def constant(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"constant(a={self.a:g})"


class ExponentialFunction(SignalFunction):
    """f(c) = a e^{−bc}."""

    name, parameters = "exponential", ("a", "b")

    def __init__(self, a: float, b: float) -> None:
        self.a = finite_number("a", a)
        self.b = finite_number("b", b)

    def value(self, c):
        return self.a * np.exp(-self.b * np.asarray(c, dtype=np.float64))

    def derivative(self, c):
        return -self.b * self.value(c)

    def __repr__(self) -> str:
        return f"exponential(a={self.a:g}, b={self.b:g})"


class PowerFunction(SignalFunction):
    """f(c) = a (1 + c)^{−k}, c > −1."""

    name, parameters = "power", ("a", "k")

    def __init__(self, a: float, k: float) -> None:
        self.a = finite_number("a", a)
        self.k = finite_number("k", k)

    def value(self, c):
        return self.a * _power_of_one_plus(c, -self.k)

    def derivative(self, c):
        return -self.a * self.k * _power_of_one_plus(c, -self.k - 1.0)

    def __repr__(self) -> str:
        return f"power(a={self.a:g}, k={self.k:g})"


def _power_of_one_plus(c: ArrayLike, exponent: float) -> NDArray[np.float64]:
    """(1 + c)^exponent for c > −1, NaN elsewhere."""
    base = 1.0 + np.asarray(c, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(base > 0, np.abs(base) ** exponent, np.nan)


class ReceptorFunction(PowerFunction):
    """Receptor saturation f(c) = χ / (1 + c)², c > −1."""

    name, parameters = "receptor", ("chi",)

    def __init__(self, chi: float) -> None:
        super().__init__(chi, 2.0)
        self.chi = self.a

    def __repr__(self) -> str:
        return f"receptor(chi={self.chi:g})"


class CallableFunction(SignalFunction):
    """Any pair of Python callables (f, f'), each mapping an array of c to an array."""

    def __init__(self, f: Callable[[NDArray], ArrayLike], df: Callable[[NDArray], ArrayLike]) -> None:
        if not (callable(f) and callable(df)):
            raise TypeError("CallableFunction needs two callables (f, f')")
        self.f, self.df = f, df

    def value(self, c):
        return np.asarray(self.f(np.asarray(c, dtype=np.float64)), dtype=np.float64)

    def derivative(self, c):
        return np.asarray(self.df(np.asarray(c, dtype=np.float64)), dtype=np.float64)

    def __repr__(self) -> str:
        return f"callable({getattr(self.f, '__name__', 'f')}, {getattr(self.df, '__name__', 'df')})"


def make_function(kind: str, **params: float) -> SignalFunction:
    """A named family: ``make_function("exponential", a=1.0, b=2.0)``; see the module table."""
    cls = SignalFunction.named(kind)
    names = cls.parameters
    missing = [n for n in names if n not in params]
    extra = sorted(set(params) - set(names))
    if missing or extra:
        raise ValueError(
            f"{kind} takes parameters {', '.join(names)}; got {', '.join(sorted(params)) or 'none'}"
        )
    return cls(**params)
