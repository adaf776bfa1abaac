"""`kellersegel inspect PATH`: what a run folder, a dataset or a sweep store holds; writes nothing."""

import json

from kellersegel.cli.main import main
from tests.cli.test_output_folders import CONFIG, snapshot


def test_inspect_a_run_folder_its_dataset_and_an_unfinished_folder(tmp_path, capsys):
    config = tmp_path / "input.toml"
    config.write_text(CONFIG)
    out = tmp_path / "out"
    assert main(["run", str(config), "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    before = snapshot(tmp_path)
    assert main(["inspect", str(out)]) == 0
    assert snapshot(tmp_path) == before
    text = capsys.readouterr().out
    assert f"{out}: a kellersegel run folder, complete" in text
    assert "configuration (config.toml):" in text and "  chi = 12.0" in text
    assert "dimensions: replica = 3, time = 3, particle = 40, dim = 2" in text
    assert "second_moment" in text and "events over 3 replicas: none: 3" in text
    assert main(["inspect", str(out / "run.nc"), "--no-config"]) == 0
    alone = capsys.readouterr().out
    assert alone.startswith(f"{out / 'run.nc'}: kellersegel particle run") and "configuration" not in alone
    # an interrupted run: replicas done so far, no dataset yet
    (out / "run.nc").unlink()
    manifest = json.loads((out / "kellersegel.json").read_text())
    (out / "kellersegel.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    after = snapshot(tmp_path)
    assert main(["inspect", str(out), "--no-config"]) == 0
    text = capsys.readouterr().out
    assert "run folder, interrupted" in text and "finished so far: 3 replicas" in text
    assert snapshot(tmp_path) == after  # inspect wrote nothing


def test_inspect_refuses_what_it_cannot_read_in_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.nc").write_text("not netcdf")
    for path, message in [
        (tmp_path / "missing", "does not exist"),
        (tmp_path / "notes.txt", "not a kellersegel folder, a dataset (.nc) or a sweep store (.zarr)"),
        (tmp_path / "broken.nc", "cannot be read as a dataset"),
    ]:
        assert main(["inspect", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1


def _assert_described(ds):
    for name, var in ds.variables.items():
        assert var.attrs.get("long_name"), name
        if var.dtype.kind in "fiu" and "flag_values" not in var.attrs:  # CF: flags have no units
            assert var.attrs.get("units"), name


def test_every_variable_has_a_cf_long_name_and_units(tmp_path):
    """Runs (fixed steps with clusters, adaptive steps, θ > 0 with tracked pairs), the grid and
    radial PDE solutions and a sweep store: every variable and coordinate has a long_name, every
    numeric one its units (a variable added without them fails here)."""
    import math

    from kellersegel.config import config_from_dict
    from kellersegel.experiments import run_particles
    from kellersegel.experiments.sweep import open_sweep, parse_axis, run_sweep
    from kellersegel.initial.laws import GaussianData
    from kellersegel.models import ClassicalModel
    from kellersegel.pde import FiniteVolumeSolver, Grid2D, RadialGrid, RadialSolver

    base = {"particles": {"n": 8, "kernel": "exact"}, "run": {"replicas": 1}}
    time = {"t_end": 0.004, "dt": 0.001, "save_every": 0.002}
    for extra in (
        {"time": time, "clusters": {"radius": 0.01}},
        {"time": {**time, "adaptive": True, "min_dt": 1e-6}, "model": {"chi": 2 * math.pi}},
        {"time": time, "model": {"chi": 1.0, "theta": 1.0}, "pairs": {"tracked": 2}},
    ):
        _assert_described(run_particles(config_from_dict({**base, **extra}), workers=1))
    model = ClassicalModel(chi=4.0)
    _assert_described(
        FiniteVolumeSolver(model, Grid2D(n=48, half_width=6.0))
        .solve(GaussianData(1.0), 0.01, 0.01)
        .to_dataset()
    )
    _assert_described(RadialSolver(model, RadialGrid(n=32)).solve(GaussianData(1.0), 0.01, 0.01).to_dataset())
    config = tmp_path / "c.toml"
    config.write_text(
        "[particles]\nn = 16\nkernel = 'mollified'\n[time]\nt_end = 0.02\ndt = 0.01\nsave_every = 0.01\n"
        "[chaos]\ngrid_n = 32\ntransport_points = 64\n"
    )
    run_sweep(config, [parse_axis("particles.n=16,32")], 1, tmp_path / "s", workers=1)
    _assert_described(open_sweep(tmp_path / "s"))


def test_inspect_a_folder_of_a_kind_without_a_dataset(tmp_path, capsys):
    """A report (or study) folder has no dataset of its own: its manifest is described, nothing opened."""
    from kellersegel.experiments.outputs import OutputFolder

    folder = OutputFolder.claim(tmp_path / "r", "report", "text", ("summary.txt",))
    folder.file("summary.txt").write_text("numbers")
    folder.complete()
    assert main(["inspect", str(tmp_path / "r")]) == 0
    assert "a kellersegel report folder, complete" in capsys.readouterr().out
