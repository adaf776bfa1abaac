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


def test_adaptive_runs_report_their_model_time_within_a_base_step():
    """A run of 20 base steps reports about 100 chunks whose sum is the 20 steps; with adaptive
    steps (χ = 2π, three close particles: steps down to dt/2^m) the chunks are model time t/Δt,
    fractions of a base step (a collapse shows as slow progress, not as none)."""
    import math

    from kellersegel.config import config_from_dict
    from kellersegel.experiments.plan import plan_run
    from kellersegel.experiments.replicas import run_replica

    config = config_from_dict(
        {
            "model": {"chi": 2 * math.pi},
            "initial": {"kind": "gaussian", "variance": 0.001},
            "particles": {"n": 3, "kernel": "exact"},
            "time": {"t_end": 0.02, "dt": 0.001, "save_every": 0.01, "adaptive": True, "min_dt": 1e-7},
            "run": {"replicas": 1, "seed": 9},
        }
    )
    chunks: list[float] = []
    trajectory = run_replica(plan_run(config), 0, chunks.append)
    assert int(trajectory.steps) > 20  # the steps did shrink
    assert math.isclose(sum(chunks), 20, rel_tol=1e-9) and 10 <= len(chunks) <= 101
    assert any(abs(c - round(c)) > 1e-6 for c in chunks)
