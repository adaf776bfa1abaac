"""Every figure as an image, compared with the baseline PNG in tests/plotting/baseline (pytest-mpl).

A change to a figure that moves more than a few pixels fails here; look at the new image
(``pytest --mpl-generate-summary=html`` writes the three side by side) and, when the change is
wanted, regenerate the baselines with

    .venv/bin/python -m pytest tests/plotting/test_figure_images.py \
        --mpl-generate-path=tests/plotting/baseline

The datasets are small real runs with fixed seeds (a run with its limit, the reference run of the
singular example, both PDE solvers' reference solutions, a sweep over three sizes N).
"""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from matplotlib.figure import Figure

from kellersegel.config import config_from_dict
from kellersegel.experiments import limit_dataset, run_particles, solve_limit
from kellersegel.plotting import (
    plot_clusters,
    plot_limit_distance,
    plot_pde,
    plot_second_moment,
    plot_snapshots,
)
from kellersegel.plotting.pde_figures import pde_panels
from kellersegel.plotting.sweep_report import (
    RATE_GRID,
    plot_comparison,
    plot_error_parts,
    plot_rates,
    plot_stopping_times,
    stopping_panels,
)

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
# the RMS difference (0–255 levels) a baseline tolerates: anti-aliasing, not a moved line
image = pytest.mark.mpl_image_compare(
    baseline_dir="baseline", tolerance=3, style="default", savefig_kwargs={"dpi": 60}
)


def _load(name: str) -> xr.Dataset:
    with xr.open_dataset(REFERENCE / name) as ds:
        return ds.load()


@pytest.fixture(scope="module")
def with_limit():
    config = config_from_dict(
        {
            "model": {"chi": 4 * np.pi},
            "particles": {"n": 400},
            "time": {"t_end": 0.3, "dt": 0.01, "save_every": 0.05},
            "run": {"replicas": 3, "seed": 2, "limit": True},
        }
    )
    return run_particles(config, workers=1), limit_dataset(config, solve_limit(config))


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    from kellersegel.experiments.sweep import open_sweep, parse_axis, run_sweep

    folder = tmp_path_factory.mktemp("sweep")
    (folder / "c.toml").write_text(
        "[model]\nchi = 12.566370614359172\n[particles]\nkernel = 'mollified'\nbeta = 0.2\n"
        "[time]\nt_end = 0.04\ndt = 0.01\nsave_every = 0.02\n[run]\nseed = 5\n"
        "[pde]\nn = 48\n[chaos]\ngrid_n = 64\ntransport_points = 256\nwasserstein = 'sliced'\n"
        "beta_collision = [1.0, 1.5]\n"
    )
    axes = [parse_axis("particles.n=32,64,128"), parse_axis("chaos.alpha=0.25,0.5")]
    store = run_sweep(folder / "c.toml", axes, 3, folder / "out", workers=1)
    with open_sweep(store) as ds:
        return ds.load()


@image
def test_snapshots_over_the_limit(with_limit):
    run, limit = with_limit
    fig = Figure(figsize=(14, 7), layout="constrained")
    plot_snapshots(run, fig.subplots(2, 4), limit=limit)
    return fig


@image
def test_snapshots_alone():
    fig = Figure(figsize=(14, 3.6), layout="constrained")
    plot_snapshots(_load("supercritical.nc"), fig.subplots(1, 4))
    return fig


@image
def test_second_moment_with_the_limit(with_limit):
    fig = Figure(figsize=(6, 4), layout="constrained")
    plot_second_moment(with_limit[0], ax=fig.subplots())
    return fig


@image
def test_distance_to_the_limit(with_limit):
    fig = Figure(figsize=(6, 4), layout="constrained")
    plot_limit_distance(with_limit[0], ax=fig.subplots())
    return fig


@image
def test_clusters_of_the_singular_example():
    fig = Figure(figsize=(13, 3.8), layout="constrained")
    plot_clusters(_load("singular-explosion.nc"), fig.subplots(1, 3))
    return fig


@pytest.mark.parametrize("solver", ["radial", "grid"])
@image
def test_pde_figure(solver):
    ds = _load(f"pde-{solver}.nc")
    n = pde_panels(ds)
    fig = Figure(
        figsize=(3.6 * (n if n <= 3 else -(-n // 2)), 3.4 * (1 if n <= 3 else 2)), layout="constrained"
    )
    axes = fig.subplots(1 if n <= 3 else 2, n if n <= 3 else -(-n // 2)).ravel()
    plot_pde(ds, list(axes[:n]))
    return fig


@image
def test_rates(sweep):
    fig = Figure(figsize=(15, 8.4), layout="constrained")
    plot_rates(sweep, fig.subplots(*RATE_GRID))
    return fig


@image
def test_error_parts(sweep):
    fig = Figure(figsize=(13.8, 4.2), layout="constrained")
    plot_error_parts(sweep, fig.subplots(1, 3))
    return fig


@image
def test_stopping_times(sweep):
    n = len(stopping_panels(sweep))
    fig = Figure(figsize=(4.6 * n, 4), layout="constrained")
    plot_stopping_times(sweep, fig.subplots(1, n))
    return fig


@image
def test_comparison_without_sizes(sweep):
    fig = Figure(figsize=(15, 8.4), layout="constrained")
    one_size = sweep.isel({"particles.n": 0}, drop=True).assign_attrs(axes="chaos.alpha")
    plot_comparison(one_size, fig.subplots(*RATE_GRID))
    return fig
