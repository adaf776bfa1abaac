"""`bench compare`: the Laplace FMMs meet the requested accuracy against direct sums, and its
figure draws one line per implementation; `bench engines`' verdict on auto's picks."""

import numpy as np
from matplotlib.figure import Figure

from kellersegel.experiments.bench import (
    BenchRow,
    auto_verdict,
    bench_compare,
    bench_engines,
    fmm2d_unavailable,
)
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


def _row(engine: str, n: int, median: float, fastest: float, slowest: float) -> BenchRow:
    return BenchRow("exact", n, engine, median, None, 0.0, n, (fastest, slowest))


def test_auto_verdict_counts_the_fastest_by_median_and_tells_ties_from_misses():
    rows = [
        _row("direct", 1000, 1.0, 0.9, 1.1), _row("fmm", 1000, 2.0, 1.9, 2.1),  # auto right
        _row("direct", 5000, 4.40, 4.30, 4.50), _row("fmm", 5000, 4.45, 4.35, 4.60),  # a tie
        _row("direct", 9000, 9.0, 8.9, 9.1), _row("fmm", 9000, 3.0, 2.9, 3.1),  # a miss
    ]  # fmt: skip
    picks = {("exact", 1000): "direct", ("exact", 5000): "fmm", ("exact", 9000): "direct"}
    verdict = auto_verdict(rows, picks, "measured")
    assert verdict.startswith("auto (measured costs) picked the fastest engine at 1 of 3 (kernel, N)")
    tie = "exact at N = 5000: fmm 4.45 s, direct 4.4 s"
    assert f"1 slower by less than the repeats' spread (ties): {tie}" in verdict
    assert "1 slower beyond the repeats' spread: exact at N = 9000: direct 9 s, fmm 3 s" in verdict
    # the tie rule compares the pick's fastest repeat with the winner's slowest, not the medians
    rows[3] = _row("fmm", 5000, 4.45, 4.51, 4.60)
    assert "2 slower beyond the repeats' spread" in auto_verdict(rows, picks, "measured")


def test_every_engine_row_keeps_its_repeats_range_about_the_median():
    rows = bench_engines([400], kernels=["exact"], engines=["direct", "fmm"], repeats=3)
    assert [r.engine for r in rows] == ["direct", "fmm"]
    for r in rows:
        assert 0 < r.spread[0] <= r.seconds <= r.spread[1]
