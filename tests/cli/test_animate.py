"""`kellersegel animate OUTDIR`: an MP4 (or GIF) of a run's particles, one frame per save time,
over the mean-field density where the run solved it."""

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
    assert main(["animate", str(out), "--replica", "1", "--fps", "4", "--format", "gif"]) == 0
    assert f"wrote {out / 'particles.gif'}" in capsys.readouterr().out
    with Image.open(out / "particles.gif") as film:
        assert film.n_frames == 6  # t = 0, 0.01, …, 0.05
        first = np.asarray(film.convert("RGB"))
        film.seek(film.n_frames - 1)
        last = np.asarray(film.convert("RGB"))
    assert first.shape == last.shape and np.any(first != last)  # the particles moved (and the title)
    assert "particles.gif" in json.loads((out / "kellersegel.json").read_text())["files"]
    # written again over its own file, refused where there is no run, or for a replica it lacks
    assert main(["animate", str(out), "--format", "gif"]) == 0
    for argv, message in [
        (["animate", str(tmp_path / "none")], "no kellersegel run here"),
        (["animate", str(out), "--replica", "2"], "--replica: the run has replicas 0 … 1, got 2"),
        (["animate", str(out), "--fps", "0"], "--fps must be > 0"),
    ]:
        capsys.readouterr()
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1


def _frames(path):
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    return [np.frombuffer(f, np.uint8).reshape(height, width, 3) for f in reader]


def test_the_default_film_is_an_mp4_by_the_shipped_ffmpeg(tmp_path, capsys):
    config = tmp_path / "input.toml"
    config.write_text(CONFIG)
    out = tmp_path / "out"
    assert main(["run", str(config), "-o", str(out), "-q"]) == 0
    assert main(["animate", str(out)]) == 0
    assert f"wrote {out / 'particles.mp4'}" in capsys.readouterr().out
    frames = _frames(out / "particles.mp4")
    assert len(frames) == 6 and np.any(frames[0] != frames[-1])
    assert "particles.mp4" in json.loads((out / "kellersegel.json").read_text())["files"]


def test_a_run_that_solved_its_limit_shows_the_density_behind_the_particles(tmp_path):
    config = tmp_path / "input.toml"
    config.write_text(CONFIG)
    films = {}
    for limit in ("false", "true"):
        out = tmp_path / f"out-{limit}"
        assert main(["run", str(config), "-o", str(out), "-q", "--set", f"run.limit={limit}"]) == 0
        assert main(["animate", str(out), "--format", "gif"]) == 0
        with Image.open(out / "particles.gif") as film:
            films[limit] = np.asarray(film.convert("RGB")).astype(int)
    # the axes' centre: white paper without the limit, the blue of the peak density with it
    h, w, _ = films["true"].shape
    centre = (slice(h // 2 - 10, h // 2 + 10), slice(w // 2 - 60, w // 2 - 40))
    plain, shaded = films["false"][centre].mean(axis=(0, 1)), films["true"][centre].mean(axis=(0, 1))
    assert plain.min() > 200
    assert shaded[2] > shaded[0] + 60  # blue over red
