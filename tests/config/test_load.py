"""Configuration: override parsing, TOML round trip, the default-comparison rule, file handling."""

import math
import tomllib

import pytest
from hypothesis import given

from kellersegel.config import ConfigError, apply_override, config_from_dict, config_to_toml, load_config
from kellersegel.config.load import parse_value
from kellersegel.config.schema import ModelConfig, RunConfig
from tests.strategies import SETTINGS, valid_configs


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("1e3", 1000.0),
        ("-0.25", -0.25),
        ("true", True),
        ("[1.0, 0.0]", [1.0, 0.0]),
        ("'exact'", "exact"),
        ("exact", "exact"),  # a bare word is a string
        ("{ kind = 'power', a = 1.0 }", {"kind": "power", "a": 1.0}),
        ("nan", math.nan),  # TOML's nan: the schema refuses it as not finite
    ],
)
def test_parse_value_reads_toml_values_and_bare_words(text, value):
    got = parse_value(text)
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(got)
    else:
        assert got == value and type(got) is type(value)


def test_apply_override_sets_one_key_and_refuses_malformed_assignments():
    data = {"particles": {"n": 10}}
    apply_override(data, "particles.n=2000")
    apply_override(data, " time.dt = 1e-4 ")
    assert data == {"particles": {"n": 2000}, "time": {"dt": 1e-4}}
    for bad, message in [
        ("particles", "expected section.key=value"),
        ("particles.n", "expected section.key=value"),
        ("=3", "expected section.key=value"),
        ("particles.=3", "expected section.key=value"),
        ("particles..n=1", "expected section.key=value"),
        ("physics.n=3", "unknown section 'physics'; allowed: model, initial"),
    ]:
        with pytest.raises(ConfigError, match=message):
            apply_override(data, bad)
    with pytest.raises(ConfigError, match="time: must be a table"):
        apply_override({"time": 3}, "time.dt=1")
    with pytest.raises(ConfigError, match="model.gamma: must be a table"):
        apply_override({"model": {"gamma": 3}}, "model.gamma.a=1")


def test_overrides_reach_nested_keys_and_take_lists_and_exact_integers():
    """model.gamma.a (a table in a section), a list value, and 1e3 for an integer key (exact
    only: 1.5e3 would be 1500, 1e3 + 0.5 is refused); the caller's nested tables are not changed."""
    gamma = {"kind": "exponential", "a": 1.0, "b": 4.0}
    data = {"model": {"name": "signal-dependent", "gamma": gamma}}
    for assignment in ("model.gamma.b=2.5", "pairs.gammas=[1.6, 1.8]", "particles.n=1e3", "run.replicas=2.0"):
        apply_override(data, assignment)
    assert gamma["b"] == 4.0  # copied on the way down
    config = config_from_dict(data)
    assert config.model.gamma.b == 2.5 and config.pairs.gammas == [1.6, 1.8]
    assert config.particles.n == 1000 and type(config.particles.n) is int and config.run.replicas == 2
    with pytest.raises(ConfigError, match=r"particles.n: Input should be a valid integer \(got 1000.5\)"):
        config_from_dict({"particles": {"n": 1000.5}})
    with pytest.raises(ConfigError, match="time.dt"):  # a float key stays a float, a string stays refused
        config_from_dict({"time": {"dt": "0.1"}})


@SETTINGS
@given(valid_configs)
def test_toml_round_trip_gives_the_same_configuration(data):
    config = config_from_dict(data)
    text = config_to_toml(config)
    again = config_from_dict(tomllib.loads(text))
    assert again == config
    assert config_to_toml(again) == text


def test_parameters_of_other_models_are_refused_unless_at_their_default():
    """A dumped configuration holds every key, so a signal-dependent model carries χ = 4π (the
    default): a key equal to its default is allowed for any model, any other value is not."""
    gamma = {"kind": "exponential", "a": 1.0, "b": 2.0}
    dumped = ModelConfig(name="signal-dependent", gamma=gamma).model_dump()
    assert dumped["chi"] == 4 * math.pi
    assert ModelConfig.model_validate(dumped).gamma.b == 2.0
    assert ModelConfig(name="classical", sigma=0.0).sigma == 0.0
    for data, message in [
        ({"name": "signal-dependent", "gamma": gamma, "chi": 3.0}, "chi: not a parameter"),
        ({"name": "classical", "sigma": 0.5}, "sigma: not a parameter"),
        ({"name": "classical", "gamma": gamma}, "gamma: not a parameter"),
        (
            {"name": "general", "motility": gamma, "sensitivity": gamma, "sigma": 1.0},
            "sigma: not a parameter",
        ),
        ({"name": "general", "motility": gamma}, "sensitivity: required"),
    ]:
        with pytest.raises(ConfigError, match=f"model.{message}"):
            config_from_dict({"model": data})


def test_load_config_reads_the_file_and_applies_overrides_in_order(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[particles]\nn = 100\n[time]\nt_end = 0.5\n", encoding="utf-8")
    config = load_config(path, ["particles.n=300", "particles.n=400", "model.chi=5.0"])
    assert isinstance(config, RunConfig)
    assert (config.particles.n, config.time.t_end, config.model.chi) == (400, 0.5, 5.0)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "none.toml")
    (tmp_path / "bad.toml").write_text("[particles\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")


def test_a_relative_initial_path_is_read_from_the_configuration_folder(tmp_path):
    import numpy as np

    (tmp_path / "data").mkdir()
    np.save(tmp_path / "data" / "points.npy", np.zeros((50, 2)) + np.arange(50)[:, None])
    path = tmp_path / "data" / "run.toml"
    path.write_text("[initial]\nkind = 'file'\npath = 'points.npy'\n[particles]\nn = 50\n", encoding="utf-8")
    config = load_config(path)
    assert config.initial.path == str((tmp_path / "data" / "points.npy").resolve())
    with pytest.raises(ConfigError, match="initial.path: file holds 50 points, fewer than particles.n = 60"):
        load_config(path, ["particles.n=60"])
