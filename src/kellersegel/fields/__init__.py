"""Field engines: c^N and ∇c^N from particle positions. Choose one by name with :func:`make_engine`.

=========  ==========================================  ==========================  ==================
engine     kernels                                     cost per evaluation         accuracy
=========  ==========================================  ==========================  ==================
direct     all                                         O(N²), all cores            round-off
numpy      all                                         O(N²), plain NumPy          round-off
fmm        all (cut-off, mollified: near field)       O(N + N ρ a²)               tolerance
spectral   Gaussian-mollified                          O(N + M log M), M ∝ (P/ε)²  tolerance
=========  ==========================================  ==========================  ==================
"""

from __future__ import annotations

from kellersegel.fields.base import EngineError, FieldEngine, FieldValues
from kellersegel.fields.costs import EngineCosts, engine_costs
from kellersegel.fields.direct import DirectEngine
from kellersegel.fields.multipole import MultipoleEngine
from kellersegel.fields.numpy_engine import NumpyEngine
from kellersegel.fields.spectral import SpectralEngine
from kellersegel.kernels.interaction import InteractionKernel

__all__ = [
    "ENGINES",
    "DirectEngine",
    "EngineCosts",
    "EngineError",
    "FieldEngine",
    "FieldValues",
    "MultipoleEngine",
    "NumpyEngine",
    "SpectralEngine",
    "choose_engine",
    "make_engine",
]

#: Engines by name: the registry every engine subclass with a ``name`` joins when defined.
ENGINES: dict[str, type[FieldEngine]] = FieldEngine.registry


def choose_engine(kernel: InteractionKernel, n: int | None, costs: EngineCosts | None = None) -> str:
    """The engine ``auto`` picks for ``kernel`` and n particles (None: a large n, costed as 10⁶):
    of direct, fmm and (Gaussian-mollified kernels) spectral, the one the cost model of
    :mod:`~kellersegel.fields.costs` predicts fastest, with this machine's constants where
    ``kellersegel bench calibrate`` measured them (``costs``: constants to use instead)."""
    costs = engine_costs() if costs is None else costs
    size = 1e6 if n is None else float(n)
    candidates = [
        name for name in ("direct", "fmm", "spectral") if not ENGINES[name].unsupported_reason(kernel)
    ]
    return min(candidates, key=lambda name: costs.seconds(name, kernel, size))


def make_engine(name: str, kernel: InteractionKernel, n: int | None = None, **options) -> FieldEngine:
    """The engine ``name`` for ``kernel``; ``"auto"`` picks one by kernel and n (:func:`choose_engine`).

    ``options`` go to the engine's constructor (e.g. ``tolerance`` for fmm and spectral).
    """
    if FieldEngine.check_name(name, also=("auto",)) == "auto":
        name = choose_engine(kernel, n)
    return ENGINES[name](kernel, **options)
