"""The particles against their mean-field limit in the run that made them (``[run] limit``)."""

import numpy as np
import pytest

from kellersegel.config import ConfigError, config_from_dict
from kellersegel.experiments import run_particles


def config(chi=1e-9, mass=2.0, center=(0.0, 0.0), n=2000, **more):
    return config_from_dict(
        {
            "model": {"chi": chi, "mass": mass},
            "initial": {"kind": "gaussian", "variance": 1.0, "center": list(center)},
            "particles": {"n": n},
            "time": {"t_end": 0.5, "dt": 0.05, "save_every": 0.1},
            "run": {"replicas": 4, "seed": 5, "limit": True},
            **more,
        }
    )


# the radial solver's moment is 1.4e-5 off (relative; its s-quadrature), the grid solver's
# those of piecewise-constant cells: O(h²) off (h²/6 = 0.0066 here)
@pytest.mark.parametrize(
    ("center", "solver", "moment_tolerance"), [((0.0, 0.0), "radial", 1e-4), ((0.5, -0.25), "grid", 0.01)]
)
def test_brownian_particles_sit_at_the_estimators_floor_at_every_time(center, solver, moment_tolerance):
    """χ ≈ 0 (1e-9): the particles are independent draws from ρ(t) = N(x0, (1 + 2t)I) at every save time
    (Euler–Maruyama is exact without drift), so ∫|ρ_KDE − ρ(t)|/M has the law it has at t = 0
    (the KDE with Scott's rule is scale-free). Measured on this run at t = 0.5: 0.097, against 0.54
    for the same particles compared with ρ0 instead of ρ(t) and 0.50 with the mass M = 2 left out
    of the KDE."""
    ds = run_particles(config(center=center), workers=1)
    assert ds.attrs["limit_solver"] == solver
    l1 = ds["limit_l1"].values  # (replica, time)
    assert np.all(np.isfinite(l1))
    floor = l1[:, 0].mean()
    assert 0.03 < floor < 0.2  # N = 2000, Scott's rule: of order N^(−1/3)
    # 4 replicas × 5 later times against 4 at t = 0; the replica spread of l1 is about 10 %
    assert 0.8 < l1[:, 1:].mean() / floor < 1.25
    # N independent draws from ρ(t) at every time: the same law again (draws from the cells)
    assert 0.8 < ds["limit_l1_floor"].values.mean() / floor < 1.25
    for name in ("limit_l1", "limit_l1_floor", "limit_second_moment"):  # CF metadata
        assert ds[name].attrs["units"] == "1" and "mean-field density" in ds[name].attrs["long_name"]
    m2 = ds["limit_second_moment"].values  # ∫|x|²ρ/M = |x0|² + 2 + 4t
    expected = float(np.dot(center, center)) + 2.0 + 4.0 * ds["time"].values
    assert np.max(np.abs(m2 - expected)) < moment_tolerance


def test_the_limits_second_moment_is_the_virial_law_of_the_classical_model():
    ds = run_particles(config(chi=4 * np.pi, mass=1.0, n=300), workers=1)
    t = ds["time"].values
    assert np.max(np.abs(ds["limit_second_moment"].values - (2.0 + 2.0 * t))) < 1e-4


def test_after_the_limit_blows_up_there_is_nothing_to_compare_with():
    ds = run_particles(config(chi=12 * np.pi, mass=1.0, n=300, pde={"blowup_density": 0.3}), workers=1)
    blowup = ds.attrs["limit_blowup_time"]
    t = ds["time"].values
    assert 0 < blowup < t[-1]
    running = np.all(np.isfinite(ds["positions"].values), axis=(2, 3))  # (replica, time)
    compared = np.isfinite(ds["limit_l1"].values)
    assert np.array_equal(compared[:, t <= blowup], running[:, t <= blowup])
    assert running[:, t <= blowup].sum() > 4  # not only the initial states
    assert np.all(np.isnan(ds["limit_l1"].values[:, t > blowup]))
    assert np.all(np.isnan(ds["limit_second_moment"].values[t > blowup]))
    assert np.all(np.isfinite(ds["limit_l1_floor"].values[t <= blowup]))
    assert np.all(np.isnan(ds["limit_l1_floor"].values[t > blowup]))


def test_a_solver_that_cannot_solve_the_limit_is_refused_before_the_particles_run(tmp_path):
    bad = config(center=(1.0, 0.0), pde={"solver": "radial"})
    with pytest.raises(ConfigError, match="the radial solver covers .* centred"):
        run_particles(bad, tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()


def test_a_point_mass_has_no_limit_to_solve_and_is_refused_first(tmp_path):
    bad = config_from_dict(
        {
            "initial": {"kind": "point", "at": [0.0, 0.0]},
            "particles": {"n": 50, "kernel": "mollified"},
            "run": {"limit": True},
        }
    )
    with pytest.raises(ConfigError, match="initial.kind = 'point': .* no bounded density"):
        run_particles(bad, tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()


def test_draws_from_the_cells_have_the_cells_law():
    """Mean and second moment of draws from cell values: those of the piecewise-constant density
    (within 3 standard errors of 4·10⁴ draws), the h²/6 of the uniform jitter included."""
    from kellersegel.experiments.limit import sample_cells
    from kellersegel.pde import Grid2D

    cells = Grid2D(n=40, half_width=3.0)
    x, y = cells.points[..., 0], cells.points[..., 1]
    rho = np.exp(-((x - 0.5) ** 2) / 0.5 - (y + 0.2) ** 2 / 1.5)
    draws = sample_cells(rho, cells, 40_000, np.random.default_rng(1))
    w = rho / rho.sum()
    mean = np.array([np.sum(w * x), np.sum(w * y)])
    m2 = np.sum(w * (x**2 + y**2)) + cells.h**2 / 6
    r2 = np.sum(draws**2, axis=1)
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 3 * draws.std(axis=0) / np.sqrt(len(draws)))
    assert abs(r2.mean() - m2) < 3 * r2.std() / np.sqrt(len(draws))
    assert np.all(np.abs(draws) <= 3.0)  # inside the grid
