"""Hypothesis strategies shared by the tests: valid run configurations (small and fast to plan)."""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: derandomised, no example database: the same examples on every machine and every run
SETTINGS = settings(
    max_examples=120,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

positive = st.floats(0.05, 3.0)

models = st.one_of(
    st.fixed_dictionaries(
        {"name": st.just("classical"), "chi": st.floats(0.5, 60.0), "lam": st.floats(0, 3)}
    ),
    st.fixed_dictionaries(
        {
            "name": st.just("signal-dependent"),
            "sigma": st.floats(0, 1),
            "lam": st.floats(0.1, 3),
            "gamma": st.fixed_dictionaries({"kind": st.just("exponential"), "a": positive, "b": positive}),
        }
    ),
    st.fixed_dictionaries(
        {
            "name": st.just("general"),
            "motility": st.fixed_dictionaries({"kind": st.just("power"), "a": positive, "k": positive}),
            "sensitivity": st.fixed_dictionaries({"kind": st.just("receptor"), "chi": positive}),
            "lam": st.floats(0.1, 3),
        }
    ),
)
initials = st.one_of(
    st.fixed_dictionaries({"kind": st.just("gaussian"), "variance": positive}),
    st.fixed_dictionaries({"kind": st.just("disk"), "radius": positive}),
    st.fixed_dictionaries(
        {"kind": st.just("bumps"), "centers": st.just([[0.0, 0.0], [1.0, 0.5]]), "variances": positive}
    ),
)
particles = st.fixed_dictionaries(
    {
        "n": st.integers(2, 40),
        "kernel": st.sampled_from(["exact", "mollified", "cutoff"]),
        "epsilon": st.sampled_from(["algebraic", "logarithmic", "fixed"]),
        "beta": st.floats(0, 1),
        "eps0": st.floats(0.05, 2.0),
        "engine": st.sampled_from(["auto", "direct", "numpy"]),
    }
)
valid_configs = st.fixed_dictionaries(
    {
        "model": models,
        "initial": initials,
        "particles": particles,
        "time": st.just({"t_end": 0.01, "dt": 0.001, "save_every": 0.005}),
        "run": st.fixed_dictionaries({"seed": st.integers(0, 2**32), "replicas": st.integers(1, 3)}),
    }
)
