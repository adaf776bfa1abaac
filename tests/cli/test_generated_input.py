"""Generated configurations and ``--set`` values (hypothesis): every valid one is accepted, every
invalid one ends with exit 2 and one line naming the key, no traceback, and the output folder
absent or exactly as it was."""

import copy
import math

import tomli_w
from hypothesis import event, given
from hypothesis import strategies as st

from kellersegel.cli.main import main
from kellersegel.config import ConfigError, load_config
from kellersegel.config.schema import RunConfig
from kellersegel.experiments.plan import plan_run
from kellersegel.fields import ENGINES
from tests.strategies import SETTINGS, valid_configs

identifiers = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True)
not_a_number = st.sampled_from([math.nan, math.inf, -math.inf])

#: (section, key) → values that the schema must refuse, for every valid configuration
BAD_VALUES = {
    ("particles", "n"): st.one_of(st.integers(-10, 1), st.floats(2.5, 9.5), st.just("ten"), st.just(True)),
    ("particles", "kernel"): identifiers.filter(lambda s: s not in ("exact", "mollified", "cutoff")),
    ("particles", "engine"): identifiers.filter(lambda s: s != "auto" and s not in ENGINES),
    ("particles", "eps0"): st.one_of(st.floats(-5, 0), not_a_number),
    ("particles", "beta"): st.one_of(st.floats(-5, -0.01), not_a_number),
    ("time", "dt"): st.one_of(st.floats(-1, 0), not_a_number, st.just("fast")),
    ("time", "save_every"): st.one_of(st.floats(-1, 0), not_a_number),
    ("model", "lam"): st.one_of(st.floats(-9, -0.01), not_a_number),
    ("model", "mass"): st.one_of(st.floats(-9, 0), not_a_number),
    ("run", "replicas"): st.integers(-3, 0),
    ("run", "seed"): st.integers(-(2**31), -1),
}


@st.composite
def invalid_configs(draw):
    """A valid configuration with one defect, and the key the message must name."""
    config = copy.deepcopy(draw(valid_configs))  # st.just hands out one shared dict
    defect = draw(st.sampled_from(["value", "unknown key", "unknown section", "kernel scale", "lattice"]))
    event(f"defect: {defect}")
    if defect == "value":
        section, key = draw(st.sampled_from(sorted(BAD_VALUES)))
        config[section][key] = draw(BAD_VALUES[(section, key)])
        return config, f"{section}.{key}"
    if defect == "unknown key":
        section = draw(st.sampled_from(["particles", "time", "run"]))
        key = draw(
            identifiers.filter(lambda k: k not in RunConfig.model_fields[section].annotation.model_fields)
        )
        config[section][key] = 1
        return config, f"{section}.{key}: unknown key"
    if defect == "unknown section":
        section = draw(identifiers.filter(lambda k: k not in RunConfig.model_fields))
        config[section] = {"x": 1}
        return config, f"{section}: unknown key"
    if defect == "kernel scale":  # λ ε² beyond what the mollified Bessel kernel can evaluate
        config["model"]["lam"] = draw(st.floats(1300, 1e6))
        config["particles"] |= {"kernel": "mollified", "epsilon": "fixed", "eps0": draw(st.floats(1.0, 3.0))}
        return config, "particles.eps0"
    # a spectral lattice with ~10¹⁵ modes: 20 points of a unit Gaussian span about 4, at ε = 1e-7
    # (at ε = 1e-5 two close points of a narrow disk fit the 4e8-mode cap and run, at 6 GB)
    config["initial"] = {"kind": "gaussian", "variance": 1.0}
    config["particles"] |= {
        "n": 20,
        "kernel": "mollified",
        "epsilon": "fixed",
        "eps0": 1e-7,
        "engine": "spectral",
    }
    return config, "particles.engine"


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@SETTINGS
@given(valid_configs)
def test_every_generated_valid_configuration_is_accepted(config):
    plan = plan_run(RunConfig.model_validate(config))
    assert plan.config.particles.n == config["particles"]["n"]


@SETTINGS
@given(case=invalid_configs(), existing=st.booleans())
def test_every_generated_invalid_configuration_is_one_line_exit_2_and_writes_nothing(
    tmp_path_factory, capsys, case, existing
):
    config, key = case
    folder = tmp_path_factory.mktemp("case")
    path = folder / "config.toml"
    path.write_text(tomli_w.dumps(config))
    out = folder / "out"
    if existing:  # a folder the user already has: it must stay exactly as it was
        (out / "replicas").mkdir(parents=True)
        (out / "config.toml").write_text("# the user's own file\n")
        (out / "replicas" / "notes.txt").write_text("keep me\n")
    before = _snapshot(out) if existing else None
    assert main(["run", str(path), "-o", str(out), "-q"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("kellersegel: error: ") and "Traceback" not in captured.err, err
    assert len(err.splitlines()) == 1, err
    assert key in err, (key, err)
    assert (_snapshot(out) == before) if existing else not out.exists()


KEYS = [
    (section, key)
    for section in ("model", "particles", "time", "run")
    for key in RunConfig.model_fields[section].annotation.model_fields
]
set_values = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12),
    st.integers(-5, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e3", "true", "[1.0, 0.0]", "'exact'", "{a = 1}", "nan", "-inf", "[]"]),
)


@SETTINGS
@given(key=st.sampled_from(KEYS), value=set_values)
def test_every_set_value_is_accepted_or_refused_in_one_line_naming_the_key(
    tmp_path_factory, capsys, key, value
):
    folder = tmp_path_factory.mktemp("set")
    path = folder / "config.toml"
    path.write_text(
        "[particles]\nn = 20\n[time]\nt_end = 0.01\ndt = 0.001\nsave_every = 0.005\n", encoding="utf-8"
    )
    assignment = f"{key[0]}.{key[1]}={value}"
    try:
        plan_run(load_config(path, [assignment]))
        event("accepted")
    except ConfigError as err:
        event("refused")
        message = str(err)
        assert "\n" not in message
        assert f"{key[0]}.{key[1]}" in message or "--set" in message, message
        out = folder / "out"
        assert main(["run", str(path), "-o", str(out), "-q", "--set", assignment]) == 2
        assert capsys.readouterr().err.strip().count("\n") == 0
        assert not out.exists()
