"""Figures compose: every plot function draws on the axes it is given and returns them."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from matplotlib.figure import Figure

from kellersegel.plotting import plot_pde, plot_second_moment, plot_snapshots
from kellersegel.plotting.pde_figures import pde_panels

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(scope="module")
def run():
    with xr.open_dataset(REFERENCE / "default.nc") as ds:
        return ds.load()


def test_plots_draw_on_the_axes_of_one_figure(run):
    fig = Figure()
    grid = fig.subplots(2, 4)
    shown = plot_snapshots(run, grid[0], panels=4)
    ax = plot_second_moment(run, ax=grid[1, 0])
    assert list(shown) == list(grid[0]) and ax is grid[1, 0]
    assert len(ax.lines) >= 3  # replicas, their mean, the virial line
    m2 = run["second_moment"].mean("replica").values
    np.testing.assert_allclose(ax.lines[run.sizes["replica"]].get_ydata(), m2)
    assert [a.get_title() for a in grid[0]][0] == "t = 0"
    with pytest.raises(ValueError, match="needs 4 axes, got 3"):
        plot_snapshots(run, grid[0][:3], panels=4)


def test_snapshots_share_one_colour_scale_a_window_and_say_what_they_show():
    """One colour scale over the times (the largest KDE value of all panels), one colour bar that
    names the KDE, one window holding the cloud at every time shown, a title with χ in units of π
    from the dataset's structured attributes."""
    from kellersegel.config import config_from_dict
    from kellersegel.experiments import run_particles

    run = run_particles(
        config_from_dict(
            {
                "model": {"chi": 4 * np.pi},
                "particles": {"n": 300},
                "time": {"t_end": 0.4, "dt": 0.01, "save_every": 0.2},
                "run": {"replicas": 1},
            }
        ),
        workers=1,
    )
    fig = Figure()
    axes = plot_snapshots(run, fig.subplots(1, 3), panels=3)
    images = [ax.images[0] for ax in axes]
    tops = [float(im.get_array().max()) for im in images]
    assert {im.get_clim() for im in images} == {(0.0, max(tops))} and len(set(tops)) == 3
    assert len(fig.axes) == 4 and "KDE" in fig.axes[-1].get_ylabel()  # the colour bar
    assert len({ax.get_xlim() for ax in axes}) == 1
    x = run["positions"].isel(replica=0).values
    low, high = axes[0].get_xlim()
    assert np.mean((x[..., 0] > low) & (x[..., 0] < high)) > 0.99
    assert "χ = 4π" in fig.get_suptitle() and "replica 0" in fig.get_suptitle()


def test_the_pde_figure_on_given_axes():
    with xr.open_dataset(REFERENCE / "pde-radial.nc") as ds:
        ds = ds.load()
    fig = Figure()
    axes = fig.subplots(1, pde_panels(ds))
    assert list(plot_pde(ds, axes)) == list(axes)
    assert axes[0].get_yscale() == "log" and len(axes[0].lines) == 4


def test_importing_the_plots_leaves_pyplot_and_the_backend_alone():
    code = (
        "import sys, kellersegel.plotting, kellersegel.plotting.sweep_report, kellersegel.cli.main; "
        "print('matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_limits_density_is_read_at_the_points_asked_for():
    """limit_image: a grid solution's cell values at the cell centres, with x the first axis of
    ``density(time, x, y)`` (a transposed read swaps the two bumps), 0 outside the grid and None
    at a time the solution has no frame for; a radial one's ρ(r) at |x|."""
    from kellersegel.plotting.run_figures import limit_image

    x, y = np.linspace(-2, 2, 21), np.linspace(-1, 3, 21)
    rho = np.exp(-((x[:, None] - 1.0) ** 2) - (y[None, :] - 0.0) ** 2)  # a bump at (1, 0)
    grid = xr.Dataset({"density": (("time", "x", "y"), rho[None])}, coords={"time": [0.5], "x": x, "y": y})
    gx, gy = np.meshgrid(x, y)  # image layout: rows are y
    np.testing.assert_allclose(limit_image(grid, 0.5, gx, gy), rho.T, atol=1e-12)
    assert limit_image(grid, 0.5, np.array([5.0]), np.array([0.0]))[0] == 0.0
    assert limit_image(grid, 0.7, gx, gy) is None
    r = np.linspace(0, 4, 401)
    radial = xr.Dataset({"density": (("time", "r"), np.exp(-(r**2))[None])}, coords={"time": [0.5], "r": r})
    points = np.array([[0.3, 0.4], [-1.2, 1.6], [6.0, 0.0]])
    np.testing.assert_allclose(
        limit_image(radial, 0.5, points[:, 0], points[:, 1]), [np.exp(-0.25), np.exp(-4.0), 0.0], atol=1e-4
    )
