"""The grid, the grid solution and the pieces of the finite-volume solver, each against its
definition: cell moments, interpolation in time, the θ > 0 semigroup factors, the step control."""

import math
import time
import warnings

import numpy as np
import pytest

from kellersegel.initial.laws import GaussianData
from kellersegel.models import ClassicalModel
from kellersegel.pde import (
    FiniteVolumeSolver,
    FreeSpaceSignalSolver,
    Grid2D,
    HeatSignalSolver,
    SolveInterrupted,
    UnderResolvedWarning,
)
from kellersegel.pde.signal import cell_average_green


def test_grid_refuses_bad_sizes_and_centres_at_their_edges():
    Grid2D(n=8)
    for kwargs, message in [
        ({"n": 7}, "n must be an integer ≥ 8"),
        ({"n": 8.5}, "n must be an integer ≥ 8"),
        ({"half_width": 0.0}, "half_width"),
        ({"center": (0.0, math.nan)}, "center"),
        ({"center": (math.inf, 0.0)}, "center"),
    ]:
        with pytest.raises(ValueError, match=message):
            Grid2D(**kwargs)


def test_second_moment_of_a_cell_includes_the_within_cell_term():
    """A density uniform on one cell (x_i, y_j) of side h: ∫|x|²ρ = x_i² + y_j² + h²/6."""
    grid = Grid2D(n=16, half_width=2.0)  # h = 0.25
    rho = np.zeros((16, 16))
    rho[3, 11] = 1.0 / grid.h**2
    expected = grid.x[3] ** 2 + grid.y[11] ** 2 + grid.h**2 / 6
    assert grid.second_moment(rho) == pytest.approx(expected, rel=1e-14)


def test_boundary_mass_is_the_mass_of_the_outer_rings():
    grid = Grid2D(n=10, half_width=2.5)  # h = 0.5
    rho = np.full((10, 10), 2.0)
    assert grid.boundary_mass(rho) == pytest.approx(2.0 * (100 - 36) * 0.25, rel=1e-14)
    assert grid.boundary_mass(rho, width=1) == pytest.approx(2.0 * (100 - 64) * 0.25, rel=1e-14)


def test_the_resolution_warning_is_relative_to_the_mass_and_points_at_the_caller():
    resolved, coarse = Grid2D(n=64, half_width=6.0), Grid2D(n=16, half_width=6.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnderResolvedWarning)
        resolved.cell_averages(GaussianData(1.0), mass=1e4)  # 0.1 % mismatch, whatever the mass
    with pytest.warns(UnderResolvedWarning, match="grid too coarse") as caught:
        coarse.cell_averages(GaussianData(0.05), mass=1e-3)
    assert caught[0].filename == __file__


def test_a_cell_average_of_the_yukawa_kernel_tends_to_the_log_one_for_small_lambda():
    """K_0(z) = −log(z/2) − γ + O(z² log z): for √λ h ≪ 1 the cell average of G_λ is that of
    G_0 minus (log(√λ/2) + γ)/(2π)."""
    h, lam = 0.1, 1e-6
    expected = cell_average_green(h, 0.0) - (math.log(math.sqrt(lam) / 2) + np.euler_gamma) / (2 * math.pi)
    assert cell_average_green(h, lam) == pytest.approx(expected, rel=1e-8)


def _small_solution(t_end=0.2, save_every=0.1):
    grid = Grid2D(n=40, half_width=6.0)
    return grid, FiniteVolumeSolver(ClassicalModel(), grid).solve(GaussianData(1.0), t_end, save_every)


def test_interpolation_in_time_is_linear_between_the_two_frames_around_t():
    """At the grid's own cell centres the spline reproduces the frame: between frames 1 and 2 the
    value is the mean of the two frames (not an extrapolation from frames 0 and 1), and at the last
    time it is the last frame."""
    grid, sol = _small_solution(0.3, 0.1)
    pts = grid.points[5:30:6, 7:33:5]
    frames = sol.signal_frames[:, 5:30:6, 7:33:5]
    np.testing.assert_allclose(sol.signal(0.15, pts), 0.5 * (frames[1] + frames[2]), rtol=1e-12)
    np.testing.assert_allclose(sol.signal(0.3, pts), frames[3], rtol=1e-12)
    np.testing.assert_allclose(sol.signal(0.0, pts), frames[0], rtol=1e-12)
    for t in (-0.5, -1e-9, 0.3 + 1e-9):
        with pytest.raises(ValueError, match="outside the solved interval"):
            sol.signal(t, pts)


def test_dataset_of_a_grid_solution():
    grid, sol = _small_solution()
    data = sol.to_dataset()
    np.testing.assert_array_equal(data["max_density"], sol.density.max(axis=(1, 2)))
    np.testing.assert_allclose(data["mass"], grid.integrate(sol.density[0]), rtol=1e-12)
    assert data.attrs["blowup_threshold"] == pytest.approx(1e4 * sol.density[0].max(), rel=1e-12)
    from kellersegel.pde.solution import GridSolution

    bare = GridSolution(grid, sol.model, sol.times, sol.density, sol.signal_frames)
    assert np.isnan(bare.to_dataset().attrs["blowup_threshold"])


def test_steps_progress_and_wall_time_count_what_happened():
    calls: list[float] = []
    grid = Grid2D(n=32, half_width=6.0)
    start = time.perf_counter()
    sol = FiniteVolumeSolver(ClassicalModel(), grid).solve(
        GaussianData(1.0), 0.05, 0.05, progress=calls.append
    )
    elapsed = time.perf_counter() - start
    assert sol.steps == len(calls) > 1 and calls[-1] == pytest.approx(0.05) and not sol.interrupted
    assert 0 < sol.wall_time <= elapsed


def test_an_interrupted_solve_stops_its_caller_and_keeps_its_frames():
    def stop(t):
        if t > 0.03:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:  # a caller (a sweep) must stop too
        FiniteVolumeSolver(ClassicalModel(), Grid2D(n=32, half_width=6.0)).solve(
            GaussianData(1.0), 0.1, 0.01, progress=stop
        )
    sol = caught.value.solution
    assert isinstance(caught.value, SolveInterrupted)
    assert sol.interrupted and 0.02 <= sol.times[-1] <= 0.04
    assert str(caught.value) == f"interrupted at t = {sol.times[-1]:.6g}"  # the last frame's time


def test_a_step_too_long_for_positivity_is_halved_until_the_density_stays_non_negative():
    grid = Grid2D(n=32, half_width=6.0)
    solver = FiniteVolumeSolver(ClassicalModel(chi=20.0), grid)
    rho = grid.cell_averages(GaussianData(0.5))
    field = FreeSpaceSignalSolver(grid)
    faces = solver._velocities(field.potential(rho))
    new, _, dt = solver._step(rho, None, faces, field, 50.0)
    assert dt < 50.0 * 2**-5 and np.all(new >= 0)
    assert grid.integrate(new) == pytest.approx(1.0, rel=1e-12)


def test_an_array_of_small_densities_is_an_initial_density():
    grid = Grid2D(n=32, half_width=6.0)
    rho = 1e-3 * grid.cell_averages(GaussianData(1.0))
    sol = FiniteVolumeSolver(ClassicalModel(mass=1e-3), grid).solve(rho, 0.01, 0.01)
    np.testing.assert_allclose(sol.mass(), grid.integrate(rho), rtol=1e-12)


def test_heat_signal_factors_are_the_phi_functions_of_the_exponential_integrator():
    """φ₁(z) = ∫₀¹ e^{−z(1−s)} ds = (1 − e^{−z})/z and φ₂(z) = ∫₀¹ s e^{−z(1−s)} ds =
    (z − 1 + e^{−z})/z², by Gauss–Legendre quadrature (exact to round-off for z ≤ 40), over steps
    that put z = a Δt anywhere from 0 to 40, where the closed forms cancel (small z) or not."""
    signal = HeatSignalSolver(Grid2D(n=32, half_width=6.0), theta=0.7, lam=0.3, t_end=0.5)
    nodes, weights = np.polynomial.legendre.leggauss(40)
    s, w = 0.5 * (nodes + 1), 0.5 * weights
    for dt in (1e-14, 1e-9, 3e-7, 1e-5, 1e-3, 2e-2):
        e, w1, w2 = signal._factors(dt)
        z = signal._rate * dt
        assert z.min() < 40
        mask = z <= 40
        kernel = np.exp(-z[mask][:, None] * (1 - s[None, :]))
        np.testing.assert_allclose(e[mask], np.exp(-z[mask]), rtol=1e-14)
        np.testing.assert_allclose(w1[mask] * signal.theta / dt, kernel @ w, rtol=1e-12)
        np.testing.assert_allclose(w2[mask] * signal.theta / dt, kernel @ (w * s), rtol=1e-12)


def test_the_image_bound_is_the_heat_factor_at_the_gap_between_the_grid_and_its_image():
    """The density grid embedded in the periodic signal grid leaves a gap of empty cells to its
    periodic image; the bound is e^{−θd²/(4 t_end)} at that gap d, and it is below the tolerance."""
    grid = Grid2D(n=32, half_width=3.0)
    signal = HeatSignalSolver(grid, theta=0.5, lam=0.0, t_end=2.0, tolerance=1e-6)
    row = signal._embed(np.ones((32, 32)))[signal.offset + 5]
    gap = np.count_nonzero(row == 0.0) * grid.h
    assert signal.image_bound() == pytest.approx(math.exp(-0.5 * gap**2 / (4 * 2.0)), rel=1e-12)
    assert signal.image_bound() <= 1e-6


def test_cell_centres_follow_each_coordinate_of_the_centre():
    grid = Grid2D(n=10, half_width=2.0, center=(1.0, -3.0))
    np.testing.assert_allclose(grid.x, 1.0 - 2.0 + (np.arange(10) + 0.5) * 0.4, rtol=1e-15)
    np.testing.assert_allclose(grid.y, -3.0 - 2.0 + (np.arange(10) + 0.5) * 0.4, rtol=1e-15)


def test_solver_refuses_a_zero_step_fraction_a_zero_horizon_and_a_zero_save_interval():
    grid = Grid2D(n=32, half_width=6.0)
    with pytest.raises(ValueError, match="cfl"):
        FiniteVolumeSolver(ClassicalModel(), grid, cfl=0.0)
    for args, key in (((0.0, 0.1), "t_end"), ((0.1, 0.0), "save_every")):
        with pytest.raises(ValueError, match=key):
            FiniteVolumeSolver(ClassicalModel(), grid).solve(GaussianData(1.0), *args)


def test_the_step_bound_is_the_positivity_bound_of_diffusion_alone():
    """No drift (S = 0) and D constant: the bound is 1/(4D/h²) (4 = 2 per axis, 2 axes); for
    D h⁻² below 1/4 the bound is above 1."""
    from kellersegel.models import ConstantFunction, GeneralModel

    grid = Grid2D(n=16, half_width=3.0)  # h = 0.375
    c = np.zeros((16, 16))
    for d in (0.25, 1e-3):
        solver = FiniteVolumeSolver(GeneralModel(ConstantFunction(d), ConstantFunction(0.0)), grid)
        assert solver._bound(solver._velocities(c)) == pytest.approx(grid.h**2 / (4 * d), rel=1e-12)


def test_warnings_are_relative_to_the_mass_and_point_at_the_caller():
    """Contained, resolved data of mass 50: no warning (the thresholds are 10⁻⁶ M at the walls and
    5 % of M in one cell; the outer cells hold up to 7·10⁻⁷, between 10⁻⁶/M and 10⁻⁶·M, so a
    threshold not scaled by M, or divided by it, warns); a domain too small warns once, at the
    caller's line."""
    grid = Grid2D(n=48, half_width=7.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnderResolvedWarning)
        FiniteVolumeSolver(ClassicalModel(chi=0.01, mass=50.0), grid).solve(GaussianData(1.0), 0.1, 0.05)
    small = Grid2D(n=32, half_width=5.5)
    with pytest.warns(UnderResolvedWarning, match="domain is too small") as caught:
        FiniteVolumeSolver(ClassicalModel(), small).solve(GaussianData(1.0), 0.5, 0.25)
    walls = [w for w in caught if "domain is too small" in str(w.message)]
    assert len(walls) == 1 and walls[0].filename == __file__


def test_a_blown_up_solve_ends_on_the_blow_up_frame():
    grid = Grid2D(n=48, half_width=5.0)
    rho0 = GaussianData(0.5).density(np.zeros(2))
    sol = FiniteVolumeSolver(ClassicalModel(chi=12 * math.pi), grid, blowup_density=5 * rho0).solve(
        GaussianData(0.5), 1.0, 0.05
    )
    assert sol.blowup_time is not None and sol.times[-1] == sol.blowup_time
    assert np.all(np.diff(sol.times) > 0) and len(sol.times) < 21
    assert sol.to_dataset().attrs["blowup_time"] == sol.blowup_time
    assert not sol.interrupted


def test_a_frozen_signal_must_be_finite_and_of_the_grids_shape():
    from kellersegel.pde.signal import FrozenSignalSolver

    grid = Grid2D(n=16)
    with pytest.raises(ValueError, match="frozen signal"):
        FrozenSignalSolver(grid, np.zeros((16, 15)))
    bad = np.zeros((16, 16))
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="frozen signal"):
        FrozenSignalSolver(grid, bad)


def test_without_an_initial_signal_the_heat_signal_starts_from_zero_and_pads_at_least_8_cells():
    grid = Grid2D(n=32, half_width=3.0)
    signal = HeatSignalSolver(grid, theta=1.0, lam=0.0, t_end=1e-6)  # the images need less than a cell
    signal.c_hat[:] = 3.0
    signal.set_initial(None)
    assert not np.any(signal.c_hat)
    row = signal._embed(np.ones((32, 32)))[signal.offset + 5]
    assert np.count_nonzero(row == 0.0) == signal.n_signal - 32 == 8


def test_interpolation_at_the_last_time_up_to_round_off():
    grid, sol = _small_solution(0.1, 0.1)  # two frames
    pts = grid.points[5:30:6, 7:33:5]
    np.testing.assert_allclose(sol.signal(0.1 + 5e-13, pts), sol.signal_frames[-1][5:30:6, 7:33:5], rtol=1e-9)
    grid, sol = _small_solution(0.3, 0.1)
    with pytest.raises(ValueError, match=r"outside the solved interval \[0, 0\.3\]"):
        sol.signal(0.5, pts)


def test_save_times_end_once_at_t_end_when_it_is_a_multiple_up_to_round_off():
    from kellersegel.pde.solution import save_times

    t_end = 0.1 * 3  # 0.30000000000000004: t_end / 0.1 rounds up past 3
    times = save_times(t_end, 0.1)
    assert len(times) == 4 and times[-1] == t_end and np.all(np.diff(times) > 0.09)


def test_the_collapse_warning_points_at_the_caller():
    model = ClassicalModel(chi=12 * math.pi)
    with pytest.warns(UnderResolvedWarning, match="no longer resolves") as caught:
        FiniteVolumeSolver(model, Grid2D(n=32, half_width=5.0)).solve(GaussianData(0.5), 1.0, 0.1)
    collapse = [w for w in caught if "no longer resolves" in str(w.message)]
    assert len(collapse) == 1 and collapse[0].filename == __file__
