"""Field paths into scenario and topology data: ``links[0].quantum.source_fidelity``, ``nodes[hub].qubits``.

A path addresses any field the data *resolves* to, not only what the file writes: a link's ``quantum`` taken
from ``defaults``, a node's ``memory`` left at its default. Setting such a field writes it on that one node or
link (which then overrides what it inherits), so a sweep can change one link while the others keep the
defaults. A list item is chosen by index (``links[2]``) or by name (``nodes[q1]``; a link is named ``a-b``).
A path that does not resolve is an error listing the nearest paths that do.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Iterator, Mapping
from typing import Any

_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[([^\[\]]*)\]")


def parse_path(path: str) -> list[str | int | tuple[str]]:
    """The steps of a path: a key (str), an index (int) or a name in brackets (a 1-tuple).

    Examples:
        >>> parse_path("links[0].quantum.source_fidelity")
        ['links', 0, 'quantum', 'source_fidelity']
        >>> parse_path("nodes[hub].qubits")
        ['nodes', ('hub',), 'qubits']
    """
    steps: list[str | int | tuple[str]] = []
    at = 0
    for match in _TOKEN.finditer(path):
        if match.start() != at or (match.group(0).startswith(".") and not steps):
            break
        key, inside = match.groups()
        if key is not None:
            steps.append(key)
        elif inside.isdigit():
            steps.append(int(inside))
        elif inside:
            steps.append((inside,))
        else:
            break
        at = match.end()
    if not path or at != len(path):
        raise ValueError(f"not a field path: {path!r}")
    return steps


def format_path(steps: list[str | int | tuple[str]]) -> str:
    """A path from its steps (the inverse of :func:`parse_path`)."""
    text = ""
    for step in steps:
        if isinstance(step, int):
            text += f"[{step}]"
        elif isinstance(step, tuple):
            text += f"[{step[0]}]"
        else:
            text += f".{step}" if text else step
    return text


def item_name(item: Any) -> str | None:
    """The name a list item answers to: a node's ``name``, a link's ``a-b``."""
    if not isinstance(item, Mapping):
        return None
    if isinstance(item.get("name"), str):
        return item["name"]
    between = item.get("between")
    if isinstance(between, list | tuple) and len(between) == 2 and all(isinstance(n, str) for n in between):
        return f"{between[0]}-{between[1]}"
    return None


def _index_of(items: list[Any], name: str) -> int | None:
    for i, item in enumerate(items):
        if item_name(item) == name:
            return i
        between = item.get("between") if isinstance(item, Mapping) else None
        if isinstance(between, list | tuple) and len(between) == 2 and f"{between[1]}-{between[0]}" == name:
            return i
    return None


def all_paths(tree: Any, prefix: str = "") -> Iterator[str]:
    """Every path into ``tree`` (mappings and lists; a named item by index and by name), parents first."""
    if isinstance(tree, Mapping):
        for key, value in tree.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from all_paths(value, path)
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            name = item_name(value)
            for step in [str(i)] + ([name] if name else []):
                yield f"{prefix}[{step}]"
                yield from all_paths(value, f"{prefix}[{step}]")


def nearest_paths(path: str, tree: Any, prefix: str = "", n: int = 3) -> list[str]:
    """The paths into ``tree`` closest to ``path`` (each with ``prefix``)."""
    candidates = [prefix + p for p in all_paths(tree)]
    return difflib.get_close_matches(prefix + path, candidates, n=n, cutoff=0.5)


def resolve_steps(tree: Any, path: str) -> list[str | int]:
    """The steps of ``path`` in ``tree`` with names turned into indices.

    Raises:
        ValueError: ``path`` is not a field path.
        KeyError: it does not resolve; the argument is the path up to the first step that does not.
    """
    steps: list[str | int] = []
    node = tree
    for step in parse_path(path):
        if isinstance(step, tuple):
            if not isinstance(node, list) or (index := _index_of(node, step[0])) is None:
                raise KeyError(format_path([*steps, step]))
            step = index
        if isinstance(step, int):
            if not isinstance(node, list) or not 0 <= step < len(node):
                raise KeyError(format_path([*steps, step]))
        elif not isinstance(node, Mapping) or step not in node:
            raise KeyError(format_path([*steps, step]))
        steps.append(step)
        node = node[step]
    return steps


def set_path(data: Any, steps: list[str | int], value: Any, resolved: Any = None) -> Any:
    """A deep copy of ``data`` with the field at ``steps`` set to ``value``.

    A mapping missing on the way (a value the item inherits from ``defaults`` or leaves at its default) is
    created with just this field, so the item overrides that one field and keeps inheriting the rest; a list
    missing on the way is copied from ``resolved`` (the resolved data the steps were checked against).

    Examples:
        >>> set_path({"links": [{"length_km": 5}]}, ["links", 0, "quantum", "source_fidelity"], 0.9)
        {'links': [{'length_km': 5, 'quantum': {'source_fidelity': 0.9}}]}
    """
    root = copy.deepcopy(data)
    target, source = root, resolved
    for step, following in zip(steps, steps[1:], strict=False):
        inner = source[step] if source is not None else None
        if isinstance(step, str):
            present = target.get(step)
            if isinstance(following, int):
                if not isinstance(present, list) or len(present) <= following:
                    target[step] = copy.deepcopy(inner) if isinstance(inner, list) else []
            elif not isinstance(present, Mapping):
                target[step] = {}
        target, source = target[step], inner
    target[steps[-1]] = value
    return root
