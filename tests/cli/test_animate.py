"""`kellersegel animate OUTDIR`: a GIF of a run's particles, one frame per save time."""

import json

import numpy as np
from PIL import Image

from kellersegel.cli.main import main

CONFIG = """
[model]
chi = 12.0
[initial]
kind = "gaussian"
variance = 1.0
[particles]
n = 200
[time]
t_end = 0.05
dt = 0.005
save_every = 0.01
[run]
replicas = 2
"""


def test_a_run_becomes_a_film_of_its_saves_recorded_in_its_folder(tmp_path, capsys):
    config = tmp_path / "input.toml"
    config.write_text(CONFIG)
    out = tmp_path / "out"
    assert main(["run", str(config), "-o", str(out), "-q"]) == 0
    assert main(["animate", str(out), "--replica", "1", "--fps", "4"]) == 0
    assert f"wrote {out / 'particles.gif'}" in capsys.readouterr().out
    with Image.open(out / "particles.gif") as film:
        assert film.n_frames == 6  # t = 0, 0.01, …, 0.05
        first = np.asarray(film.convert("RGB"))
        film.seek(film.n_frames - 1)
        last = np.asarray(film.convert("RGB"))
    assert first.shape == last.shape and np.any(first != last)  # the particles moved (and the title)
    assert "particles.gif" in json.loads((out / "kellersegel.json").read_text())["files"]
    # written again over its own file, refused where there is no run, or for a replica it lacks
    assert main(["animate", str(out)]) == 0
    for argv, message in [
        (["animate", str(tmp_path / "none")], "no kellersegel run here"),
        (["animate", str(out), "--replica", "2"], "--replica: the run has replicas 0 … 1, got 2"),
        (["animate", str(out), "--fps", "0"], "--fps must be > 0"),
    ]:
        capsys.readouterr()
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
