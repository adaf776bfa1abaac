"""`kellersegel pde`: the PDE of a run configuration, written as pde.nc with a figure."""

import json
import math

import pytest
import xarray as xr

from kellersegel.cli.main import main

CONFIG = """
[model]
chi = {chi}
[initial]
kind = "{kind}"
{initial}
[time]
t_end = 0.2
save_every = 0.1
[pde]
n = 48
radial_n = 400
"""


def write(tmp_path, chi=4 * math.pi, kind="gaussian", initial="variance = 1.0"):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(chi=chi, kind=kind, initial=initial))
    return path


def test_radial_data_use_the_radial_solver_and_record_the_virial_law(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["pde", str(write(tmp_path)), "-o", str(out), "-q"]) == 0
    assert "radial solver" in capsys.readouterr().out
    assert (out / "pde.png").stat().st_size > 10_000 and (out / "config.toml").is_file()
    with xr.open_dataset(out / "pde.nc") as ds:
        assert set(ds["density"].dims) == {"time", "r"}
        slope = float((ds["second_moment"][-1] - ds["second_moment"][0]) / 0.2)
        assert abs(slope - ds.attrs["virial_slope"]) < 1e-3 and ds.attrs["virial_slope"] == 2.0


def test_other_data_use_the_grid_solver(tmp_path, capsys):
    out = tmp_path / "out"
    bumps = "centers = [[-1.0, 0.0], [1.0, 0.5]]\nvariances = 0.4"
    assert main(["pde", str(write(tmp_path, kind="bumps", initial=bumps)), "-o", str(out), "-q"]) == 0
    assert "grid solver" in capsys.readouterr().out
    with xr.open_dataset(out / "pde.nc") as ds:
        assert set(ds["density"].dims) == {"time", "x", "y"}
        assert abs(float(ds["mass"][-1] - ds["mass"][0])) < 1e-14
        assert float(ds["density"].min()) >= 0


def test_supercritical_run_reports_the_blowup_time(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["pde", str(write(tmp_path, chi=10 * math.pi)), "-o", str(out), "-q", "--set", "time.t_end=3.0"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "numerical blow-up at t = 1.4" in printed  # T* = 2 bounds it


def test_bad_pde_settings_are_one_line_errors(tmp_path, capsys):
    out = tmp_path / "out"
    args = [
        "pde",
        str(write(tmp_path)),
        "-o",
        str(out),
        "--set",
        "pde.solver='radial'",
        "--set",
        "model.lam=1.0",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert (
        "pde (radial solver): the radial solver covers the classical model with theta = 0 and lam = 0" in err
    )
    assert main(["pde", str(write(tmp_path)), "-o", str(out), "--set", "pde.cfl=2.0"]) == 2
    assert "pde.cfl: Input should be less than or equal to 1" in capsys.readouterr().err


@pytest.mark.slow
def test_interrupted_grid_solver_keeps_the_frames_saved_so_far(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    bumps = "centers = [[-1.0, 0.0], [1.0, 0.5]]\nvariances = 0.4"
    config = write(tmp_path, kind="bumps", initial=bumps)
    out = tmp_path / "out"
    # ~10⁵ steps: far longer than the test waits
    args = ["--set", "pde.n=200", "--set", "pde.half_width=8.0", "--set", "time.t_end=100.0"]
    args += ["--set", "time.save_every=0.02"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "kellersegel", "pde", str(config), "-o", str(out), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell that runs the tests in the background ignores SIGINT, and the child would inherit it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        line = proc.stderr.readline()  # the first progress line (5 s in): the solver is stepping
        assert line.startswith("pde t "), line
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=120)
        stopped = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 130 and stopped < 5, (stopped, err)
    assert "interrupted; saved the solution up to t =" in err
    assert json.loads((out / "kellersegel.json").read_text())["status"] == "interrupted"
    with xr.open_dataset(out / "pde.nc") as ds:
        assert ds.attrs["interrupted"] == 1
        assert 0 < float(ds["time"][-1]) < 100.0
        assert abs(float(ds["mass"][-1] - ds["mass"][0])) < 1e-14
