"""Shared configuration loading: safe YAML, deep merging of defaults, and pydantic errors as paths.

Loading is staged (parse, check the shape, check cross-references) and every problem found is reported
together, each as ``file: field.path: reason``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
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
            if not isinstance(key, Hashable) or isinstance(key, list | dict):
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Construct one value; a scalar PyYAML cannot convert (``!!int x``, a 13th month) is a YAML error."""
        try:
            return super().construct_object(node, deep=deep)
        except (ArithmeticError, AttributeError, LookupError, TypeError, ValueError) as exc:
            kind = "!!" + str(node.tag).rsplit(":", 1)[-1]
            detail = f" ({exc})" if isinstance(exc, ArithmeticError | ValueError) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {_short(node.value)} as {kind}{detail}", node.start_mark
            ) from None

    def compose_document(self) -> yaml.Node | None:
        """Compose the document and refuse aliases that loop or expand it by more than :data:`MAX_ALIAS_EXPANSION`."""
        document = super().compose_document()
        if document is not None:
            _check_aliases(document)
        return document


#: How many values aliases may add to a document when expanded (a "billion laughs" guard): PyYAML shares
#: aliased values, but validation, merging and error messages walk them once per reference.
MAX_ALIAS_EXPANSION = 1_000_000


def _check_aliases(document: yaml.Node) -> None:
    """Raise a ComposerError if an alias refers to a value containing it, or aliases expand the document
    by more than :data:`MAX_ALIAS_EXPANSION` values. Linear in the distinct nodes (sizes are memoised)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def expanded(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise yaml.composer.ComposerError(
                None,
                None,
                "an alias refers to a value that contains it (recursive aliases are not allowed)",
                node.start_mark,
            )
        open_nodes.add(key)
        if isinstance(node, yaml.SequenceNode):
            size = 1 + sum(expanded(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            size = 1 + sum(expanded(k) + expanded(v) for k, v in node.value)
        else:
            size = 1
        open_nodes.discard(key)
        sizes[key] = size
        return size

    total = expanded(document)
    if total - len(sizes) > MAX_ALIAS_EXPANSION:
        raise yaml.composer.ComposerError(
            None,
            None,
            f"aliases expand the document to {total} values (at most {MAX_ALIAS_EXPANSION} more than written)",
            document.start_mark,
        )


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
        raise error(source, [("", f"YAML error: {' '.join(str(exc).split())}")]) from None
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
        elif not part.isprintable():
            path += f".{part!r}" if path else repr(part)
        else:
            path += f".{part}" if path else str(part)
    return path


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validation_problems(
    exc: ValidationError,
    prefix: str = "",
    written_at: Callable[[tuple[int | str, ...]], tuple[int | str, ...]] | None = None,
) -> list[tuple[str, str]]:
    """Turn a pydantic ValidationError into ``(field_path, reason)`` pairs, with the offending value.

    ``written_at`` maps a location in the validated data to where the user wrote the value (a node's field
    that came from ``defaults.node``); problems that land on the same place and say the same are kept once.
    """
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        if written_at is not None:
            loc = written_at(loc)
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "missing":
            message = "required field is missing"
        elif "input" in err and err["type"] not in ("value_error", "assertion_error"):
            message = f"{message} (got {_short(err['input'])})"
        problems.append((format_location(loc, prefix), message))
    return list(dict.fromkeys(problems))


def validate_model(model: type[Model], data: Any, source: str, error: type[ConfigError], prefix: str = "") -> Model:
    """Validate plain data against a pydantic model, raising ``error`` with every problem found."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(source, validation_problems(exc, prefix)) from None
