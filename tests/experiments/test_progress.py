"""The one progress contract: what a log (not a terminal) shows."""

import io

from kellersegel.experiments.progress import Progress


def test_a_log_gets_a_line_per_interval_and_a_last_line():
    log = io.StringIO()
    with Progress("pde t", 2.0, every=0.0, stream=log) as bar:
        bar.update(0.5)
        bar.update(1.0)
    lines = log.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "pde t 0.5 / 2 (25 %)",
        "pde t 1 / 2 (50 %)",
        "pde t 1 / 2 (50 %)",
    ]


def test_lines_are_spaced_and_quiet_means_nothing():
    log = io.StringIO()
    with Progress("steps", 100, every=3600.0, stream=log) as bar:
        for _ in range(100):
            bar.advance(1)
    assert log.getvalue().splitlines()[0].startswith("steps 100 / 100 (100 %)")
    assert len(log.getvalue().splitlines()) == 1  # only the last line within the hour
    quiet = io.StringIO()
    with Progress("tasks", 0, enabled=False, stream=quiet) as bar:
        bar.update(3, total=4)
    assert quiet.getvalue() == ""


def test_a_total_known_late_is_used():
    log = io.StringIO()
    with Progress("tasks", 0, every=0.0, stream=log) as bar:
        bar.update(1, total=4)
    assert log.getvalue().splitlines()[0].startswith("tasks 1 / 4 (25 %)")
