"""Shared configuration loading: safe YAML, deep merging of defaults, and pydantic errors as paths.

Loading is staged (parse, check the shape, check cross-references) and every problem found is reported
together, each as ``file: field.path: reason``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from qnet_dqnn.errors import ConfigError

Model = TypeVar("Model", bound=BaseModel)


class _UniqueKeySafeLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys instead of keeping the last one silently."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# PyYAML follows YAML 1.1, where "1e9" and "1.0e9" (no exponent sign) are strings. Read them as floats,
# as YAML 1.2 does: in this file format every such value is a number with a unit.
_UniqueKeySafeLoader.yaml_implicit_resolvers = {
    key: list(value) for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_UniqueKeySafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$|^[-+]?\.[0-9_]+[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def parse_yaml(text: str, source: str, error: type[ConfigError]) -> Any:
    """Parse YAML text with safe loading only (no object construction from tags).

    Raises:
        ConfigError: of type ``error``, naming the line and column of a syntax error.
    """
    try:
        return yaml.load(text, Loader=_UniqueKeySafeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        reason = exc.problem or exc.context or "invalid YAML"
        raise error(source, [("", f"{where}: YAML error: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise error(source, [("", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise error(source, [("", "YAML nesting is too deep")]) from None


def read_yaml_file(path: str | Path, error: type[ConfigError]) -> Any:
    """Read and parse a YAML file; an unreadable file is a ConfigError naming it."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(source, [("", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(source, [("", f"cannot read the file: {exc}")]) from None
    return parse_yaml(text, source, error)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base``; nested mappings merge, anything else replaces.

    Examples:
        >>> deep_merge({"a": {"x": 1, "y": 2}}, {"a": {"y": 3}})
        {'a': {'x': 1, 'y': 3}}
    """
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def format_location(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """Render a pydantic location as a field path: ``('links', 2, 'between')`` -> ``links[2].between``.

    Examples:
        >>> format_location(("links", 2, "between"))
        'links[2].between'
    """
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validation_problems(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Turn a pydantic ValidationError into ``(field_path, reason)`` pairs, with the offending value."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "missing":
            message = "required field is missing"
        elif "input" in err and err["type"] not in ("value_error", "assertion_error"):
            message = f"{message} (got {_short(err['input'])})"
        problems.append((format_location(loc, prefix), message))
    return problems


def validate_model(model: type[Model], data: Any, source: str, error: type[ConfigError], prefix: str = "") -> Model:
    """Validate plain data against a pydantic model, raising ``error`` with every problem found."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(source, validation_problems(exc, prefix)) from None
