"""Freed memory kept mapped in the processes the package runs itself.

Every field evaluation allocates its trees, expansions and outputs afresh (megabytes at 10⁵
points). glibc gives allocations above its mmap threshold, and the top of the heap above its trim
threshold, back to the system when they are freed, so the next evaluation touches new pages: one
page fault per 4 KiB. On a 2-vCPU virtual machine (AMD EPYC, Zen 4) a fault cost about 6 µs, and
the FMM at 10⁵ points made 3000–3500 of them per call: 49.7 → 39.5 ms (Laplace) and 91.4 → 77.8
ms (Yukawa, κ = 1) per call, medians of 11, once freed memory stays mapped.
:func:`keep_freed_memory` sets those two thresholds; the ``kellersegel`` command and its worker
processes call it, a library user may.
The cost is resident memory that is not returned between steps (at most what a step allocates).
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 * 2**20  # glibc's largest (larger allocations are mapped; NumPy asks for huge pages)
_TRIM_THRESHOLD = 2**31 - 1  # mallopt takes an int: never trim below 2 GiB


def keep_freed_memory() -> bool:
    """Keep memory that is freed mapped in this process (glibc's ``mallopt``); False where the C
    library has no ``mallopt`` (macOS, Windows) or refuses the settings."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    mapped = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    return bool(mapped) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
