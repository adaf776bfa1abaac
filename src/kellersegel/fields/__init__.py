"""Field engines: c^N and ∇c^N from particle positions. Choose one by name with :func:`make_engine`."""

from __future__ import annotations

from kellersegel.fields.base import FieldEngine, FieldValues
from kellersegel.fields.direct import DirectEngine
from kellersegel.fields.numpy_engine import NumpyEngine
from kellersegel.kernels.interaction import InteractionKernel

__all__ = ["ENGINES", "DirectEngine", "FieldEngine", "FieldValues", "NumpyEngine", "make_engine"]

#: Engines by name. ``auto`` picks among those listed in ``_AUTO_ORDER``.
ENGINES: dict[str, type[FieldEngine]] = {e.name: e for e in (DirectEngine, NumpyEngine)}
_AUTO_ORDER: tuple[str, ...] = ("direct",)


def make_engine(name: str, kernel: InteractionKernel, n: int | None = None) -> FieldEngine:
    """The engine ``name`` for ``kernel``; ``"auto"`` picks the fastest able one for n particles."""
    if name == "auto":
        for candidate in _AUTO_ORDER:
            if ENGINES[candidate].unsupported_reason(kernel) is None:
                return ENGINES[candidate](kernel)
        raise ValueError(f"no engine can evaluate {kernel!r}")  # pragma: no cover
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; allowed: auto, {', '.join(ENGINES)}")
    return ENGINES[name](kernel)
