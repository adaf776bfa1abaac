"""Reading, overriding, validating and writing run configurations."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from kellersegel.config.schema import INITIAL_KINDS, RunConfig

__all__ = ["ConfigError", "apply_override", "config_from_dict", "config_to_toml", "load_config"]


class ConfigError(ValueError):
    """A configuration a user wrote is not valid; the message names the key and what is allowed."""


def _format(err: ValidationError, data: dict[str, Any]) -> str:
    lines = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        # drop the discriminator tag that pydantic inserts for [initial]
        if len(loc) >= 2 and loc[0] == "initial" and loc[1] in INITIAL_KINDS:
            loc = [loc[0], *loc[2:]]
        key = ".".join(loc)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            section = _section_model(loc[:-1], data)
            allowed = ", ".join(section.model_fields) if section is not None else ""
            msg = f"unknown key; allowed: {allowed}" if allowed else "unknown key"
        elif e["type"] == "union_tag_invalid":
            msg = f"unknown kind {e['ctx']['tag']!r}; allowed: {', '.join(INITIAL_KINDS)}"
            key = "initial.kind"
        elif e["type"] == "union_tag_not_found":
            msg = f"missing; allowed: {', '.join(INITIAL_KINDS)}"
            key = "initial.kind"
        elif e["type"] == "finite_number":
            msg = "must be a finite number"
        elif e["type"] == "value_error":
            # a section's own check names one of its keys first: "sigma: ..." → "model.sigma: ..."
            head, sep, rest = msg.partition(": ")
            section = _section_model(loc, data)
            if sep and section is not None and head in section.model_fields:
                key, msg = ".".join([*loc, head]), rest
        if key and e["type"] not in ("extra_forbidden", "missing") and not isinstance(e.get("input"), dict):
            msg += f" (got {e['input']!r})"
        lines.append(f"{key}: {msg}" if key else msg)
    return "; ".join(dict.fromkeys(lines))


def _section_model(loc: list[str], data: dict[str, Any]):
    if not loc:
        return RunConfig
    if loc[0] == "initial":
        return INITIAL_KINDS.get(data.get("initial", {}).get("kind"))
    field = RunConfig.model_fields.get(loc[0])
    return field.annotation if field is not None and len(loc) == 1 else None


def config_from_dict(data: dict[str, Any], base_dir: Path | None = None) -> RunConfig:
    """Validate a configuration mapping; a relative ``initial.path`` is taken from ``base_dir``."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    initial = data.get("initial")
    if isinstance(initial, dict) and isinstance(initial.get("path"), str) and base_dir is not None:
        path = Path(initial["path"]).expanduser()
        initial["path"] = str((base_dir / path).resolve() if not path.is_absolute() else path)
    try:
        return RunConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format(err, data)) from None


def parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word is a string


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """Apply ``section.key=value`` or a nested ``section.table.key=value`` (value in TOML syntax,
    lists included; bare words are strings) in place; the tables on the way are copied, not shared."""
    key, sep, value = assignment.partition("=")
    parts = key.strip().split(".")
    if not sep or len(parts) < 2 or not all(parts):
        raise ConfigError(f"--set {assignment!r}: expected section.key=value")
    if parts[0] not in RunConfig.model_fields:
        allowed = ", ".join(RunConfig.model_fields)
        raise ConfigError(f"--set {assignment!r}: unknown section {parts[0]!r}; allowed: {allowed}")
    target = data
    for depth, name in enumerate(parts[:-1]):
        inner = target.get(name, {})
        if not isinstance(inner, dict):
            raise ConfigError(f"{'.'.join(parts[: depth + 1])}: must be a table")
        target[name] = target = dict(inner)
    target[parts[-1]] = parse_value(value.strip())


_MAX_CONFIG_BYTES = 1_000_000


def _read_config(path: Path) -> dict[str, Any]:
    """The TOML table of a configuration file, with a message that says what ``path`` is otherwise."""
    try:
        if path.is_symlink() and not path.exists():
            raise ConfigError(
                f"configuration file {str(path)!r}: a symbolic link that leads nowhere (or a loop)"
            )
        if not path.exists():
            raise ConfigError(f"configuration file {str(path)!r} does not exist")
        if path.is_dir():
            raise ConfigError(f"configuration file {str(path)!r} is a folder, not a file")
        if not path.is_file():
            raise ConfigError(f"configuration file {str(path)!r} is not a regular file (a pipe or a device)")
        if path.stat().st_size > _MAX_CONFIG_BYTES:
            raise ConfigError(f"configuration file {str(path)!r} is larger than 1 MB: not a configuration")
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:  # a symbolic link loop, no permission
        raise ConfigError(f"configuration file {str(path)!r}: {err.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """Read a TOML file, apply ``--set`` overrides, validate."""
    path = Path(path)
    data = _read_config(path)
    if not data and not overrides:  # an empty file is a mistake, not a wish for every default
        raise ConfigError(
            f"{path}: holds no settings; write at least one section (see `kellersegel example default`)"
        )
    for assignment in overrides:
        apply_override(data, assignment)
    return config_from_dict(data, base_dir=path.parent)


def config_to_toml(config: RunConfig) -> str:
    """The resolved configuration as TOML text (every key, defaults included)."""
    return tomli_w.dumps(config.model_dump(mode="json", exclude_none=True))
