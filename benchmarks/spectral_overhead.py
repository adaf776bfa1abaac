"""The spectral engine's ∇c against the bare finufft transforms it is made of, in one run.

At N standard Gaussian points with the Gaussian-mollified kernel (ε = N^−1/4, λ = 0, tolerance
1e-7): the engine's ``evaluate`` (∇c at the sources) against one type-1 NUFFT of the weights and
one type-2 NUFFT of two vectors on the engine's own lattice, for 1 and 2 finufft threads. Then
the θ > 0 memory field's step (a type-2 NUFFT of ∇c at the particles, a type-1 NUFFT of the
same points) through finufft's simple interface, as the field does it, against two kept plans
(``finufft.Plan``, ``setpts``, ``execute``). Repeats go round the variants in turn; best of R.

    python benchmarks/spectral_overhead.py [N] [repeats]   # 10⁶, 7
"""

import sys

import finufft
import numpy as np

from kellersegel._memory import keep_freed_memory
from kellersegel.experiments.bench import interleaved_times, machine_description
from kellersegel.fields.spectral import SpectralEngine
from kellersegel.kernels import GaussianMollifiedKernel

keep_freed_memory()  # as the kellersegel command does
TOLERANCE = 1e-7


def _best(calls: dict, repeats: int) -> dict:
    for call in calls.values():  # warm-up (compilation, the symbol, finufft's FFTW plans)
        call()
    times, _ = interleaved_times(calls, repeats)
    return {name: min(t) for name, t in times.items()}


def _transform_inputs(grid, x, weights):
    """finufft's inputs on ``grid``: the scaled points, complex weights, two zero lattice vectors."""
    shape = (grid.modes, grid.modes)
    return (*grid.scaled(x), weights.astype(np.complex128), np.zeros((2, *shape), np.complex128), shape)


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**6
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 2))
    weights = np.full(n, 1.0 / n)
    kernel = GaussianMollifiedKernel(epsilon=n**-0.25)
    print(machine_description())
    print(f"N = {n}, ε = {kernel.epsilon:.4g}, tolerance {TOLERANCE:g}, best of {repeats}")

    for threads in (1, 2):
        engine = SpectralEngine(kernel, tolerance=TOLERANCE, threads=threads)
        grid = engine.grid(x, x)
        gx, gy, c, vectors, shape = _transform_inputs(grid, x, weights)
        opts = {"nthreads": threads, "eps": TOLERANCE}

        def raw(gx=gx, gy=gy, c=c, shape=shape, vectors=vectors, opts=opts):
            finufft.nufft2d1(gx, gy, c, shape, isign=-1, **opts)
            finufft.nufft2d2(gx, gy, vectors, isign=1, **opts)

        best = _best({"engine": lambda e=engine: e.evaluate(x, weights), "raw": raw}, repeats)
        print(
            f"threads {threads}: {grid.modes}² modes, engine {best['engine']:.3f} s, "
            f"finufft type 1 + type 2 {best['raw']:.3f} s, ratio {best['engine'] / best['raw']:.3f}"
        )

    gx, gy, c, vectors, shape = _transform_inputs(
        SpectralEngine(kernel, tolerance=TOLERANCE).grid(x, x), x, weights
    )
    opts = {"nthreads": 1, "eps": TOLERANCE}
    type1 = finufft.Plan(1, shape, n_trans=1, isign=-1, **opts)
    type2 = finufft.Plan(2, shape, n_trans=2, isign=1, **opts)

    def simple():
        finufft.nufft2d2(gx, gy, vectors, isign=1, **opts)
        finufft.nufft2d1(gx, gy, c, shape, isign=-1, **opts)

    def planned():
        type2.setpts(gx, gy)
        type2.execute(vectors)
        type1.setpts(gx, gy)
        type1.execute(c)

    best = _best({"simple": simple, "plans": planned}, repeats)
    print(
        f"memory-field step, 1 thread: simple interface {best['simple']:.3f} s, "
        f"kept plans {best['plans']:.3f} s, ratio {best['plans'] / best['simple']:.3f}"
    )


if __name__ == "__main__":
    main()
