"""Classes that register themselves by name (the pattern of py-pde): kernels, scaling laws, signal
functions, models, initial laws and field engines.

A base class owns a ``registry`` dict; each subclass that defines a class attribute ``name`` is
entered into the registry of the nearest base that owns one, when the subclass is defined. The
configuration's allowed values, the factories and the error messages read the registry, so a new
kind is one new class.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["Registered"]


class Registered:
    """Mixin: subclasses with a ``name`` register themselves in their base's ``registry``."""

    name: ClassVar[str]
    #: what the registry holds, for messages ("kernel", "engine", ...); set by the owning base
    registry_label: ClassVar[str] = "kind"

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if name is None:
            return
        owner = next((c for c in cls.__mro__ if "registry" in c.__dict__), None)
        if owner is None:
            raise TypeError(f"{cls.__qualname__} has a name but no base with a registry")
        known = owner.registry.get(name)
        if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
            raise TypeError(
                f"{owner.registry_label} name {name!r} is taken by {known.__module__}.{known.__qualname__}"
            )
        owner.registry[name] = cls

    @classmethod
    def check_name(cls, name: str, also: tuple[str, ...] = ()) -> str:
        """``name`` if it is registered (or one of ``also``, such as "auto"); ValueError listing
        the allowed names otherwise."""
        registry = cls.registry  # type: ignore[attr-defined]
        if name not in registry and name not in also:
            allowed = ", ".join([*also, *registry])
            raise ValueError(f"unknown {cls.registry_label} {name!r}; allowed: {allowed}")
        return name

    @classmethod
    def named(cls, name: str) -> type:
        """The registered class called ``name``; ValueError listing the names otherwise."""
        return cls.registry[cls.check_name(name)]  # type: ignore[attr-defined]
