"""The split memory field (θ > 0, exact kernel): old history on a lattice, recent pairs exactly."""

import math

import numpy as np
import pytest

from kellersegel.dynamics import EulerMaruyama
from kellersegel.dynamics.memory import ExactHistorySignal
from kellersegel.dynamics.split_memory import SplitMemorySignal
from kellersegel.fields import EngineError
from kellersegel.fields.recent_history import CellList, own_past_field, recent_field
from kellersegel.initial.c0 import GaussianMixtureC0, UniformDiskC0
from kellersegel.kernels.memory import SlabKernel
from kellersegel.models import ClassicalModel


@pytest.fixture
def noise(rng):
    n, steps, dt = 150, 30, 0.01
    return rng.standard_normal((n, 2)), math.sqrt(dt) * rng.standard_normal((steps, n, 2)), dt


def drifts(field, x0, dws, dt, chi=1.0):
    return EulerMaruyama(ClassicalModel(chi=chi), field).drive(x0, dws, dt)


@pytest.mark.parametrize(
    ("lam", "epsilon", "lag"),
    [
        (0.0, 0.0, 0.004),
        (0.0, 0.0, 0.02),
        (0.0, 0.0, 0.025),
        (0.0, 0.0, 0.1),  # a cut-off radius R > 2 (R², not 2R)
        (1.0, 0.0, 0.015),
        (0.5, 0.1, 0.01),
        (0.0, 0.1, 0.01),
    ],
)
def test_the_split_field_is_the_exact_history_to_its_tolerance(lam, epsilon, lag, noise):
    """Same noise, 30 steps: the drift of the split field against the exact-history sum of every
    slab, for a lag inside one step (each slab crosses it in two pieces), on a step, and between
    steps; the singular kernel (ε = 0), λ > 0 and a mollified kernel. The gap falls with the
    tolerance, and at 1e-8 the drifts agree to 1e-7 of their size (a slab fed twice or missed, a
    wrong age factor, a recent pair counted on the lattice too would each be of order 1e-2)."""
    x0, dws, dt = noise
    kernel = SlabKernel(0.7, lam, epsilon)  # θ ≠ 1: a θ in the wrong place shows
    _, exact = drifts(ExactHistorySignal(kernel), x0, dws, dt)
    gaps = []
    for tol in (1e-4, 1e-8):
        field = SplitMemorySignal(kernel, horizon=len(dws) * dt, tolerance=tol, lag=lag)
        _, b = drifts(field, x0, dws, dt)
        gaps.append(np.max(np.abs(b - exact)) / np.max(np.abs(exact)))
    assert gaps[1] < 1e-7 and gaps[1] < 1e-2 * gaps[0], gaps


def test_the_own_past_kept_in_equals_the_exact_history_with_it(noise):
    x0, dws, dt = noise
    kernel = SlabKernel(2.0, 0.0)
    _, exact = drifts(ExactHistorySignal(kernel, include_self=True), x0, dws, dt)
    _, b = drifts(SplitMemorySignal(kernel, horizon=0.3, tolerance=1e-8, include_self=True), x0, dws, dt)
    assert np.max(np.abs(b - exact)) < 1e-7 * np.max(np.abs(exact))


def test_the_chosen_lag_and_the_trajectories(noise):
    """The lag the cost model picks (one of Δt·2^j) gives the same trajectory as the exact history."""
    x0, dws, dt = noise
    kernel = SlabKernel(1.0, 0.0)
    exact_x, _ = drifts(ExactHistorySignal(kernel), x0, dws, dt, chi=4 * math.pi)
    field = SplitMemorySignal(kernel, horizon=0.3, tolerance=1e-8)
    x, _ = drifts(field, x0, dws, dt, chi=4 * math.pi)
    assert math.log2(field.lag / dt) == round(math.log2(field.lag / dt))
    assert field.lag == min(field.costs, key=lambda c: c["seconds"])["lag"]
    assert np.max(np.abs(x - exact_x)) < 1e-8


@pytest.mark.parametrize(
    "c0", [GaussianMixtureC0(2.0, [[0.5, 0.0]], 0.3), UniformDiskC0(1.0, 1.5, [0.0, 0.2])]
)
def test_the_initial_signal_is_added_as_in_the_exact_history(c0, noise):
    x0, dws, dt = noise
    kernel = SlabKernel(1.0, 0.3)
    _, exact = drifts(ExactHistorySignal(kernel, initial_signal=c0), x0, dws[:10], dt)
    _, b = drifts(SplitMemorySignal(kernel, horizon=0.1, tolerance=1e-8, initial_signal=c0), x0, dws[:10], dt)
    assert np.max(np.abs(b - exact)) < 1e-7 * np.max(np.abs(exact))


def test_memory_stays_bounded_and_the_dropped_own_past_is_within_its_bound(rng):
    """A coarse tolerance: slabs older than max(δ, Δ_s) are dropped, so memory stops growing; the
    own past left on the lattice beyond Δ_s (computed from every slab) is below its bound τM/(2π),
    and not far below it (0.45 of it on this path: a window Δ_s = θ/(2eN²τ²) short by 16 would
    double the tail, one long by 100 divide it by 10)."""
    n, steps, dt, tol, theta = 40, 120, 0.01, 0.02, 1.0
    x0 = rng.standard_normal((n, 2))
    dws = math.sqrt(dt) * rng.standard_normal((steps, n, 2))
    kernel = SlabKernel(theta, 0.0)
    field = SplitMemorySignal(kernel, horizon=steps * dt, tolerance=tol, lag=dt)
    exact = ExactHistorySignal(kernel)
    x, sizes = x0, []
    for k in range(steps):
        new = x + math.sqrt(2) * dws[k]
        field.advance(x, new, k * dt, dt)
        exact.advance(x, new, k * dt, dt)
        x = new
        sizes.append(field.memory_bytes)
    window = field.own_past_window(n)
    assert window == pytest.approx(theta / (2 * math.e * (n * tol) ** 2))
    assert field.slabs.count == math.ceil(window / dt - 1e-9) and sizes[-1] == sizes[len(sizes) // 2]
    t = steps * dt
    old = t - exact.slabs.ends[: exact.slabs.count] >= window
    tail = np.zeros_like(x)
    nodes, weights = kernel.quadrature
    ages_lo = t - exact.slabs.ends[: exact.slabs.count][old]
    ages_hi = t - exact.slabs.starts[: exact.slabs.count][old]
    own_past_field(x, exact.slabs.positions[: exact.slabs.count][old], ages_lo, ages_hi, theta, 0.0, 0.0,
                   nodes, weights, tail, np.empty(0))  # fmt: skip
    largest = np.max(np.hypot(*tail.T)) / n  # mass 1: each particle M/N
    # after the slabs' rows were dropped and reused, the field is still the exact history
    gap = (
        field.at_particles(t, x, potential=False).gradient
        - exact.at_particles(t, x, potential=False).gradient
    )
    assert np.max(np.abs(gap)) < 2 * tol / (2 * math.pi) and field.slabs.first > 0
    assert 0.1 * tol / (2 * math.pi) < largest <= tol / (2 * math.pi)  # 0.45 of it here


def test_the_cell_list_finds_every_pair_within_the_radius(rng):
    """The 5 × 5 cells of side ≥ R/2 around a target hold every source within R of it."""
    sources = rng.standard_normal((3, 400, 2))
    targets = 1.2 * rng.standard_normal((300, 2))
    radius = 0.37
    cells = CellList(sources, targets, radius)
    near = np.linalg.norm(targets[:, None, None] - sources[None], axis=-1) <= radius  # (targets, slabs, n)
    tc = np.floor((targets - cells.lower) / cells.side).astype(int)
    for i in rng.choice(len(targets), 40, replace=False):
        for k in range(3):
            found = set()
            for ix in range(max(tc[i, 0] - 2, 0), min(tc[i, 0] + 3, cells.shape[0])):
                for iy in range(max(tc[i, 1] - 2, 0), min(tc[i, 1] + 3, cells.shape[1])):
                    c = k * cells.shape[0] * cells.shape[1] + ix * cells.shape[1] + iy
                    found |= set(cells.index[cells.starts[c] : cells.starts[c + 1]].tolist())
            assert set(np.flatnonzero(near[i, k]).tolist()) <= found
    assert cells.candidate_pairs(targets) >= near.sum()


@pytest.mark.parametrize("kernel", [SlabKernel(0.7, 0.0), SlabKernel(0.7, 1.0, 0.05)])
def test_the_recent_and_own_past_sums_are_the_pair_sums_within_the_radius(kernel, rng):
    """recent_field: Σ over slabs k and sources j ≠ i with |x_i − X_j(t_k)| ≤ R of −ψ (x_i − X_j) and
    of φ, against a brute-force sum with the kernel's profiles; a source on its own target (include
    the own past, a particle that has not moved) adds φ but no gradient. own_past_field: the j = i
    terms, one particle at zero displacement. A missing cut-off, a skipped coincident source or a
    loop left early shows."""
    slabs, n = 3, 120
    sources = rng.standard_normal((slabs, n, 2))
    x = sources[-1].copy()
    x[5:] += 0.05 * rng.standard_normal((n - 5, 2))  # particles 0 … 4 sit on their last position
    a, b = np.array([0.02, 0.01, 0.0]) + 0.001, np.array([0.03, 0.02, 0.01]) + 0.001
    radius = 0.4
    cells = CellList(sources, x, radius)
    nodes, weights = kernel.quadrature
    k = kernel
    for include_self in (False, True):
        out, c = np.zeros_like(x), np.zeros(n)
        recent_field(
            x, cells.points, cells.index, cells.starts, cells.lower, cells.side, *cells.shape, a, b,
            radius**2, include_self, k.theta, k.lam, k.epsilon**2, nodes, weights, out, c,
        )  # fmt: skip
        want, want_c = np.zeros_like(x), np.zeros(n)
        for s in range(slabs):
            d = x[:, None, :] - sources[s][None]
            r2 = np.einsum("ijk,ijk->ij", d, d)
            keep = r2 <= radius**2
            if not include_self:
                np.fill_diagonal(keep, False)
            safe = np.where(r2 > 0, r2, 1.0)
            want -= np.einsum(
                "ij,ijk->ik", np.where(keep & (r2 > 0), k.gradient_profile(safe, a[s], b[s]), 0.0), d
            )
            want_c += np.where(keep, k.potential_profile(r2, a[s], b[s]), 0.0).sum(axis=1)
        np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(c, want_c, rtol=1e-12)
        one, one_c = np.zeros((1, 2)), np.zeros(1)  # a single target still gets its c
        recent_field(
            x[:1], cells.points, cells.index, cells.starts, cells.lower, cells.side, *cells.shape, a, b,
            radius**2, include_self, k.theta, k.lam, k.epsilon**2, nodes, weights, one, one_c,
        )  # fmt: skip
        np.testing.assert_allclose(one_c, want_c[:1], rtol=1e-12)
    own, own_c = np.zeros_like(x), np.zeros(n)
    own_past_field(x, sources, a, b, k.theta, k.lam, k.epsilon**2, nodes, weights, own, own_c)
    d = x[None] - sources  # (slabs, n, 2)
    r2 = np.einsum("kij,kij->ki", d, d)
    psi = np.stack(
        [
            np.where(r2[s] > 0, k.gradient_profile(np.where(r2[s] > 0, r2[s], 1.0), a[s], b[s]), 0.0)
            for s in range(slabs)
        ]
    )
    np.testing.assert_allclose(own, -np.einsum("ki,kij->ij", psi, d), rtol=1e-12, atol=1e-12)
    phi = np.stack([k.potential_profile(r2[s], a[s], b[s]) for s in range(slabs)])
    np.testing.assert_allclose(own_c, phi.sum(axis=0), rtol=1e-12)
    one, one_c = np.zeros((1, 2)), np.zeros(1)
    own_past_field(
        x[:1],
        np.ascontiguousarray(sources[:, :1]),
        a,
        b,
        k.theta,
        k.lam,
        k.epsilon**2,
        nodes,
        weights,
        one,
        one_c,
    )
    np.testing.assert_allclose(one_c, phi.sum(axis=0)[:1], rtol=1e-12)


def test_bad_use_fails_clearly(rng):
    kernel = SlabKernel(1.0, 0.0)
    with pytest.raises(ValueError, match="tolerance"):
        SplitMemorySignal(kernel, tolerance=0.0)
    with pytest.raises(ValueError, match="lag"):
        SplitMemorySignal(kernel, lag=-1.0)
    field = SplitMemorySignal(kernel, horizon=0.1, margin=0.5)
    x = rng.standard_normal((50, 2))
    field.advance(x, x, 0.0, 0.01)
    with pytest.raises(ValueError, match="asked at t = 0.02"):
        field.at_particles(0.02, x, potential=False)
    with pytest.raises(EngineError, match="safe region"):
        field.at_particles(0.01, x + 10.0, potential=False)
    with pytest.raises(EngineError, match="max_modes"):
        SplitMemorySignal(kernel, horizon=0.1, max_modes=100).advance(x, x, 0.0, 0.01)
    with pytest.raises(ValueError, match="tolerance"):
        SplitMemorySignal(kernel, tolerance=1.0)
    # the lattice at a lag fits exactly at max_modes = modes², not one mode less
    modes = SplitMemorySignal(kernel, horizon=0.1, lag=0.02).lattice(x, 0.02).modes
    SplitMemorySignal(kernel, horizon=0.1, lag=0.02, max_modes=modes**2).advance(x, x, 0.0, 0.01)
    with pytest.raises(EngineError, match="at the lag 0.02 exceed"):
        SplitMemorySignal(kernel, horizon=0.1, lag=0.02, max_modes=modes**2 - 1).advance(x, x, 0.0, 0.01)
    longest = SplitMemorySignal(kernel, horizon=3.0).lattice(x, 2.56).modes ** 2  # Δt·2^8, the longest lag
    with pytest.raises(EngineError, match=f"even at the lag 2.56 the lattice needs {longest} modes"):
        SplitMemorySignal(kernel, horizon=3.0, max_modes=16).advance(x, x, 0.0, 0.01)


def test_the_lattice_keeps_the_images_beyond_the_tolerance(rng):
    """Period = the cloud + 2 margins + the image distance d, e^{−θd²/(4T)} = τ; margin 5√(2T) + 2 by
    default; check() sizes the lattice at the lag chosen for the run's step, or at the given lag."""
    kernel = SlabKernel(0.7, 0.0)
    x = rng.standard_normal((200, 2))
    field = SplitMemorySignal(kernel, horizon=0.4, tolerance=1e-6, step=0.01)
    assert field.margin == pytest.approx(5 * math.sqrt(0.8) + 2)
    assert field.spread(0.02) == pytest.approx(math.sqrt(2 * 0.02 / 0.7))  # σ_δ² = 2δ/θ + ε²
    grid, box = field.lattice(x, 0.02), field.box_around(x)
    assert math.exp(-0.7 * box.image_distance**2 / (4 * 0.4)) == pytest.approx(1e-6)
    width = float((x.max(axis=0) - x.min(axis=0)).max())
    assert box.safe_half_width == pytest.approx(0.5 * width + field.margin)
    assert grid.period == pytest.approx(2 * box.safe_half_width + box.image_distance)
    chosen = field.choose_lag(x, 0.01)
    assert field.check(x) == {"lattice_modes": field.lattice(x, chosen).modes}
    assert SplitMemorySignal(kernel, horizon=0.4, tolerance=1e-6, lag=0.04).check(x) == {
        "lattice_modes": field.lattice(x, 0.04).modes
    }
    assert SplitMemorySignal(kernel, horizon=0.4).check(x) == {}  # neither a lag nor a step yet


def test_the_slab_window_keeps_the_slabs_in_order_through_growth_and_reuse(rng):
    """40 slabs appended, the old ones dropped now and then: the views are always the slabs kept,
    oldest first, whatever the array's growth (16, 32, …) and the reuse of dropped rows."""
    from kellersegel.dynamics.split_memory import _SlabWindow

    window, kept = _SlabWindow(), []
    for k in range(40):
        x = rng.standard_normal((5, 2))
        window.append(x, 0.1 * k, 0.1 * (k + 1))
        kept.append((x, 0.1 * k, 0.1 * (k + 1)))
        if k % 7 == 6:
            window.drop_before(0.1 * (k - 3) + 1e-12)
            kept = [s for s in kept if s[2] > 0.1 * (k - 3) + 1e-12]
        positions, starts, ends = window.view()
        assert window.count == len(kept) and window.nbytes == len(kept) * 5 * 2 * 8
        np.testing.assert_array_equal(positions, np.stack([s[0] for s in kept]))
        np.testing.assert_array_equal(starts, [s[1] for s in kept])
        np.testing.assert_array_equal(ends, [s[2] for s in kept])
    assert window.first > 0  # rows were dropped and the array not only grown


def test_memory_is_the_lattice_and_the_kept_slabs(noise):
    x0, dws, dt = noise
    field = SplitMemorySignal(SlabKernel(1.0, 0.0), horizon=0.1, tolerance=1e-3, lag=dt)
    assert field.memory_bytes == 0
    drifts(field, x0, dws[:10], dt)
    assert field.memory_bytes == field.c_hat.nbytes + field.slabs.count * x0.size * 8 > field.c_hat.nbytes


def test_the_field_does_not_depend_on_the_number_of_threads(noise):
    """The compiled sums run each target's terms in a fixed order and the NUFFTs on one thread:
    one thread and all threads give the same bits (c and ∇c, λ > 0 and the singular kernel)."""
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one thread only: nothing to compare")
    x0, dws, dt = noise
    results = []
    before = numba.get_num_threads()
    try:
        for threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            field = SplitMemorySignal(SlabKernel(0.7, 0.5), horizon=0.3, tolerance=1e-6, lag=0.02)
            x = x0.copy()
            for k in range(10):
                x = EulerMaruyama(ClassicalModel(chi=2.0), field).step(x, k * dt, dt, dws[k])
            values = field.at_particles(10 * dt, x, potential=True)
            results.append((x, values.potential, values.gradient))
    finally:
        numba.set_num_threads(before)
    for one, many in zip(*results, strict=True):
        assert np.array_equal(one, many)
