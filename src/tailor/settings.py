"""Strict settings: a domain's nested dbt var (`vars: tailor: <domain>: {...}`) parsed into its typed class.

Each domain has one frozen dataclass whose field defaults are the only defaults (dbt_project.yml shows the
same values; tests/python/test_settings.py keeps the two and the docs' var tables equal). A dbt model gets
its domain's var whole, as JSON in its config meta (`settings`, set per folder in dbt_project.yml). An
unknown key fails and names itself; a value of the wrong type fails and names its key.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, Union

T = TypeVar("T")


class SettingsError(ValueError):
    """A setting that is unknown or of the wrong type; the message names the key."""


def parse_settings(cls: type[T], values: Mapping[str, Any] | str | None, domain: str) -> T:
    """`cls` from a mapping (or its JSON text, as in a dbt model's meta): given keys override the defaults."""
    return cls(**coerce_fields(cls, values, domain))


def coerce_fields(
    cls: type, values: Mapping[str, Any] | str | None, domain: str, settable: list[str] | None = None
) -> dict[str, Any]:
    """{key: value} typed as `cls`'s fields of those names; `settable` limits the keys a var may set."""
    if isinstance(values, str):
        values = json.loads(values) if values.strip() else {}
    values = dict(values or {})
    hints = typing.get_type_hints(cls)
    known = settable if settable is not None else [field.name for field in dataclasses.fields(cls) if field.init]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise SettingsError(f"unknown {domain} setting(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return {key: coerce_value(hints[key], value, f"{domain}.{key}") for key, value in values.items()}


def settings_defaults(cls: type) -> dict[str, Any]:
    """{key: default} of a settings class, as plain values (lists for tuples, dicts for dataclasses)."""
    return {field.name: as_plain(getattr(cls(), field.name)) for field in dataclasses.fields(cls) if field.init}


def as_plain(value: Any) -> Any:
    """A setting as plain data: lists for tuples, dicts for dataclasses (as a var writes it)."""
    if dataclasses.is_dataclass(value):
        return {key: as_plain(item) for key, item in dataclasses.asdict(value).items()}
    if isinstance(value, tuple | list):
        return [as_plain(item) for item in value]
    return value


def coerce_value(kind: Any, value: Any, name: str) -> Any:
    """`value` as type `kind`; ints pass for floats, lists for tuples, mappings for dataclasses."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [arg for arg in args if arg is not type(None)]
        errors = []
        for option in options:
            try:
                return coerce_value(option, value, name)
            except SettingsError as error:
                errors.append(str(error))
        raise SettingsError(errors[0])
    if origin is Literal:
        if value not in args:
            raise SettingsError(f"{name} must be one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise SettingsError(f"{name} must be a list, got {value!r}")
        item_kinds = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else list(args)
        if len(item_kinds) != len(value):
            raise SettingsError(f"{name} must have {len(item_kinds)} items, got {value!r}")
        pairs = zip(item_kinds, value, strict=True)
        return tuple(coerce_value(item_kind, item, f"{name}[{i}]") for i, (item_kind, item) in enumerate(pairs))
    if dataclasses.is_dataclass(kind):
        if isinstance(value, kind):
            return value
        if not isinstance(value, Mapping):
            raise SettingsError(f"{name} must be a mapping of {kind.__name__} settings, got {value!r}")
        return parse_settings(kind, value, name)
    if kind is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{name} must be true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{name} must be an integer, got {value!r}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{name} must be a number, got {value!r}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise SettingsError(f"{name} must be a text, got {value!r}")
        return value
    raise TypeError(f"{name}: settings of type {kind!r} are not supported")
