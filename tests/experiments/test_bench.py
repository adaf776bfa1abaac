"""`bench compare`: the Laplace FMMs meet the requested accuracy against direct sums, and its
figure draws one line per implementation."""

import numpy as np
from matplotlib.figure import Figure

from kellersegel.experiments.bench import bench_compare, fmm2d_unavailable
from kellersegel.plotting.bench_figures import plot_bench_compare


def test_every_fmm_meets_the_tolerance_against_direct_sums():
    rows = bench_compare([3000], tolerance=1e-6, repeats=1, direct_max=3000, subset=300)
    names = [r.implementation for r in rows]
    assert names[:2] == ["kellersegel fmm", "pyfmmlib"] and "direct" in names
    assert ("FMM2D" in names) == (fmm2d_unavailable() is None)
    for r in rows:
        # an FMM that drops a translation term or mis-signs a coefficient misses 1e-6 by far
        assert 0 <= r.max_rel_error < 1e-6, r
        assert r.seconds > 0 and r.error_targets == 300
    direct = next(r for r in rows if r.implementation == "direct")
    assert direct.max_rel_error < 1e-12  # the reference itself, from two direct sums


def test_compare_figure_has_a_line_per_implementation_and_a_linear_guide():
    rows = bench_compare([400, 800], tolerance=1e-4, repeats=1, direct_max=800, subset=50)
    fig = Figure()
    ax = plot_bench_compare(rows, ax=fig.subplots())
    labels = [line.get_label() for line in ax.lines]
    assert labels == [*dict.fromkeys(f"{r.implementation}, λ = 0" for r in rows), "∝ N"]
    ours = [r.seconds for r in rows if r.implementation == "kellersegel fmm"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), ours)
    np.testing.assert_allclose(ax.lines[-1].get_ydata(), [ours[0], 2 * ours[0]])
