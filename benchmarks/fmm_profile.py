"""Seconds spent in each stage of the compiled Laplace FMM (fields/laplace_fmm.py), or with a κ > 0
of the Yukawa FMM (fields/yukawa_fmm.py), at N Gaussian points: the best of three calls after a
warm-up, stages timed by wrapping the module's functions, freed memory kept mapped as in
the kellersegel command.

    python benchmarks/fmm_profile.py [N] [order] [leaf_size] [kappa]  # 10⁶, 1e-7's order, 64, 0
"""

import sys
import time

import numpy as np

from kellersegel._memory import keep_freed_memory
from kellersegel.experiments.bench import machine_description
from kellersegel.fields import laplace_fmm, yukawa_fmm

keep_freed_memory()  # as the kellersegel command does

STAGES = {
    "_keys": "Morton keys",
    "_sorted_keys": "sort",
    "_build_tree": "tree",
    "_p2m": "P2M",
    "_m2m": "M2M",
    "_interaction_lists": "interaction lists",
    "_translation_tables": "M2L tables (Yukawa)",
    "_m2l": "M2L",
    "_l2l": "L2L",
    "_l2p": "L2P",
    "_p2p": "P2P (near field)",
}


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**6
    order = int(sys.argv[2]) if len(sys.argv) > 2 else laplace_fmm.order_for_tolerance(1e-7)
    leaf = int(sys.argv[3]) if len(sys.argv) > 3 else 64
    kappa = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    fmm = yukawa_fmm if kappa > 0 else laplace_fmm

    def run(x, w):
        if kappa > 0:
            return fmm.yukawa_fmm(x, w, kappa, order=order, leaf_size=leaf)
        return fmm.laplace_fmm(x, w, order=order, leaf_size=leaf)

    spent: dict[str, float] = {}
    for name in [name for name in STAGES if hasattr(fmm, name)]:
        inner = getattr(fmm, name)

        def timed(*args, _inner=inner, _name=name):
            start = time.perf_counter()
            out = _inner(*args)
            spent[_name] = spent.get(_name, 0.0) + time.perf_counter() - start
            return out

        setattr(fmm, name, timed)
    x = np.random.default_rng(0).standard_normal((n, 2))
    w = np.full(n, 1.0 / n)
    run(x[:2000], w[:2000])
    best = None
    for _ in range(3):
        spent.clear()
        start = time.perf_counter()
        run(x, w)
        total = time.perf_counter() - start
        if best is None or total < best[0]:
            best = total, dict(spent)
    total, stages = best
    kernel = f"Yukawa κ = {kappa:g}" if kappa > 0 else "Laplace"
    print(f"{kernel}, N = {n}, order {order}, leaves of {leaf}: {total:.3f} s ({machine_description()})")
    for name, label in STAGES.items():
        if name in stages:
            print(f"  {label:20s} {stages.get(name, 0.0):.3f} s")
    print(f"  {'the rest':20s} {total - sum(stages.values()):.3f} s")


if __name__ == "__main__":
    main()
