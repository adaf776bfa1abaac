"""Freed memory kept mapped (kellersegel._memory): repeated FMM calls stop faulting in new pages."""

import subprocess
import sys

import pytest

SCRIPT = """
import resource, sys
import numpy as np
if sys.argv[1] == "keep":
    from kellersegel._memory import keep_freed_memory
    assert keep_freed_memory()
from kellersegel.fields.laplace_fmm import laplace_fmm
x = np.random.default_rng(0).standard_normal((100_000, 2))
w = np.full(100_000, 1e-5)
laplace_fmm(x, w)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    laplace_fmm(x, w)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5)
"""


def faults_per_call(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_kept_memory_takes_the_page_faults_of_repeated_fmm_calls_away():
    default, kept = faults_per_call("default"), faults_per_call("keep")
    if default < 1000:  # 10⁵ points: trees, expansions and outputs of megabytes per call
        pytest.skip(f"this C library faults in only {default:.0f} pages per call by default")
    assert kept < 0.2 * default, (default, kept)
