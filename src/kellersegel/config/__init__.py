"""Run configuration: TOML files validated with pydantic."""

from kellersegel.config.load import (
    ConfigError,
    apply_override,
    config_from_dict,
    config_to_toml,
    load_config,
)
from kellersegel.config.schema import RunConfig

__all__ = [
    "ConfigError",
    "RunConfig",
    "apply_override",
    "config_from_dict",
    "config_to_toml",
    "load_config",
]
