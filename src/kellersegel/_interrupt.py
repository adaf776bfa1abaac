"""Ctrl-C that is never lost.

Python raises ``KeyboardInterrupt`` in whatever Python code runs when SIGINT arrives. When that
code is a callback called from C through ctypes (llvmlite calls one while numba compiles), the
exception is printed as "Exception ignored on calling ctypes callback function" and dropped, and
the command would run on to its end. Inside :func:`interrupts_kept` a SIGINT is also remembered,
and :func:`check`, called by the loops that run long (the integrator at every base-grid point, the
finite-volume and radial solvers at every step, the executor between tasks), raises it again if
it was dropped.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["check", "interrupts_kept"]

_pending = False


def _remember_and_raise(signum, frame) -> None:
    global _pending
    _pending = True
    raise KeyboardInterrupt


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a SIGINT came whose exception was dropped."""
    global _pending
    if _pending:
        _pending = False
        raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_kept() -> Iterator[None]:
    """SIGINT raises ``KeyboardInterrupt`` as usual and is remembered for :func:`check` (only where
    Python's default handler is installed, in the main thread; elsewhere nothing changes)."""
    global _pending
    default = threading.current_thread() is threading.main_thread() and (
        signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    if default:
        signal.signal(signal.SIGINT, _remember_and_raise)
    try:
        yield
    finally:
        if default:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        _pending = False
