"""Sweep axes: a configuration key and the values it takes, as ``--over`` and ``[sweep] over`` write them.

An axis is a key and its values (``particles.n=256,512``; TOML syntax, a list is one value), or a
whole section and patches of it given as inline tables, which change several keys together
(``particles={epsilon = "algebraic", beta = 0.1},{epsilon = "logarithmic", eps0 = 0.5}``: the
scaling laws of a study, which are no product of a law and an exponent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kellersegel.config.load import ConfigError, parse_value

__all__ = ["FIXED_KEYS", "SweepAxis", "parse_axis", "point_overrides", "toml_value"]

#: keys all points share: the save times, the replicas and their seeds, the store's β' dimension
#: and the axes themselves
FIXED_KEYS = (
    "time.t_end",
    "time.save_every",
    "run.replicas",
    "run.seed",
    "chaos.beta_collision",
    "sweep.over",
)


@dataclass(frozen=True)
class SweepAxis:
    """A configuration key and the values it takes, e.g. ``particles.n`` = 256, 1024, 4096."""

    key: str
    values: tuple[Any, ...]


def parse_axis(text: str) -> SweepAxis:
    """``section.key=v1,v2,...`` or a nested ``section.table.key=...`` (values in TOML syntax; a
    list value is one value: ``pairs.gammas=[1.6, 1.7],[1.8]``), or ``section={k = v, …},{…}``:
    patches of a whole section, each an inline table of its keys."""
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key or not all(key.split(".")) or not values.strip():
        raise ConfigError(f"--over {text!r}: expected section.key=value1,value2,...")
    if key in FIXED_KEYS:
        raise ConfigError(f"--over {key}: cannot be swept (all points share it)")
    parsed = tuple(parse_value(v.strip()) for v in _top_level_items(values))
    if "." not in key:
        from kellersegel.config.schema import RunConfig

        if key not in RunConfig.model_fields or not all(isinstance(v, dict) and v for v in parsed):
            raise ConfigError(
                f"--over {text!r}: expected section.key=value1,... or section={{key = value, ...}},{{...}} "
                f"(a section of {', '.join(RunConfig.model_fields)} and inline tables)"
            )
        fixed = sorted({f"{key}.{k}" for v in parsed for k in v} & set(FIXED_KEYS))
        if fixed:
            raise ConfigError(f"--over {fixed[0]}: cannot be swept (all points share it)")
    if len({toml_value(v) for v in parsed}) != len(parsed):
        raise ConfigError(f"--over {key}: repeated values")
    return SweepAxis(key, parsed)


def _top_level_items(text: str) -> list[str]:
    """``text`` split at the commas outside brackets, braces and quotes."""
    items, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    return [*items, text[start:]]


def point_overrides(axes: Sequence[SweepAxis], point: tuple[int, ...]) -> list[str]:
    """The ``--set`` assignments of one point (a section patch: one per key it holds)."""
    overrides = []
    for axis, i in zip(axes, point, strict=True):
        value = axis.values[i]
        if "." in axis.key:
            overrides.append(f"{axis.key}={toml_value(value)}")
        else:
            overrides += [f"{axis.key}.{k}={toml_value(v)}" for k, v in value.items()]
    return overrides


def toml_value(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return repr(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return repr(value)
