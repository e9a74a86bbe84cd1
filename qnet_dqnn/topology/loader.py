"""Load and check topology files: parse, merge defaults, check the shape and the cross-references.

Every problem of a file is reported in one pass (a schema error does not hide an unknown node in a link),
each where the user wrote it: a bad value in ``defaults.node`` is reported once, at ``defaults.node``, not
once per node that inherits it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import ValidationError

from qnet_dqnn.config import deep_merge, format_location, parse_yaml, read_yaml_file, validation_problems
from qnet_dqnn.errors import TopologyError
from qnet_dqnn.topology.schema import TopologySpec

_TOP_LEVEL = {"name", "description", "defaults", "nodes", "links"}
_DEFAULT_SECTIONS = {"node", "link"}
#: A problem's path inside one node or link: ``nodes[2].communication_qubits``.
_ITEM_FIELD = re.compile(r"(nodes|links)\[(\d+)\]\.([A-Za-z_.]+)")
#: Top-level fields of a scenario file: a topology that has them and no nodes is a scenario given by mistake.
_SCENARIO_FIELDS = {"workload", "stop", "topology", "sweep", "seed"}


def load_topology(path: str | Path) -> TopologySpec:
    """Load a topology YAML file, or raise :class:`TopologyError` listing every problem.

    Examples:
        >>> topo = load_topology("topologies/star4.yaml")
        >>> len(topo.nodes)
        5
    """
    data = read_yaml_file(path, TopologyError)
    return topology_from_data(data, str(path))


def topology_from_string(text: str, source: str = "<string>") -> TopologySpec:
    """Load a topology from YAML text."""
    return topology_from_data(parse_yaml(text, source, TopologyError), source)


def _depth(data: Any, steps: tuple[int | str, ...]) -> int:
    """How many leading ``steps`` exist in ``data`` (nested mappings)."""
    depth = 0
    for step in steps:
        if not isinstance(data, Mapping) or step not in data:
            break
        data, depth = data[step], depth + 1
    return depth


def _written_at(data: Mapping[str, Any], defaults: Mapping[str, Any]) -> Any:
    """Map a location in the merged topology to the place the user wrote it: a node's or link's field that
    the item does not write but ``defaults`` does belongs to ``defaults.node`` / ``defaults.link``."""

    def where(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
        if len(loc) < 3 or loc[0] not in ("nodes", "links") or not isinstance(loc[1], int):
            return loc
        section = "node" if loc[0] == "nodes" else "link"
        items, base = data.get(loc[0]), defaults.get(section)
        if not isinstance(items, list) or not 0 <= loc[1] < len(items) or not isinstance(base, Mapping):
            return loc
        rest = loc[2:]
        if _depth(base, rest) > _depth(items[loc[1]], rest):
            return ("defaults", section, *rest)
        return loc

    return where


def _scenario_given(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A scenario file given where a topology is expected, named as such."""
    found = sorted(str(k) for k in data if k in _SCENARIO_FIELDS)
    if "nodes" in data or len(found) < 2:
        return []
    named = f" (it names the topology {data['topology']!r})" if isinstance(data.get("topology"), str) else ""
    return [
        (
            "",
            f"this is a scenario file, not a topology: it has {', '.join(found)} and no nodes{named}; "
            "run it with `qnet-dqnn run`, and give `topology` commands a file with nodes and links",
        )
    ]


def topology_from_data(data: Any, source: str = "<data>") -> TopologySpec:
    """Build a checked topology from plain data (the parsed YAML)."""
    if not isinstance(data, Mapping):
        raise TopologyError(
            source, [("", f"a topology must be a mapping with 'nodes' and 'links' (got {type(data).__name__})")]
        )
    if scenario := _scenario_given(data):
        raise TopologyError(source, scenario)
    problems = [(format_location((str(key),)), "unknown field") for key in data if key not in _TOP_LEVEL]
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        problems.append(("defaults", "must be a mapping with 'node' and/or 'link'"))
        defaults = {}
    problems += [
        (format_location(("defaults", str(key))), "unknown field") for key in defaults if key not in _DEFAULT_SECTIONS
    ]
    merged: dict[str, Any] = {k: v for k, v in data.items() if k in _TOP_LEVEL and k != "defaults"}
    for section, field in (("node", "nodes"), ("link", "links")):
        base = defaults.get(section) or {}
        items = merged.get(field)
        if not isinstance(base, Mapping):
            problems.append((f"defaults.{section}", "must be a mapping"))
        elif isinstance(items, list):
            merged[field] = [deep_merge(base, item) if isinstance(item, Mapping) else item for item in items]
    topology = None
    try:
        topology = TopologySpec.model_validate(merged)
    except ValidationError as exc:
        problems += validation_problems(exc, written_at=_written_at(data, defaults))
    nodes = merged.get("nodes") if isinstance(merged.get("nodes"), list) else []
    links = merged.get("links") if isinstance(merged.get("links"), list) else []
    written_at = _written_at(data, defaults)
    for path, reason in cross_reference_problems(nodes, links, connectivity=topology is not None and not problems):
        if match := _ITEM_FIELD.fullmatch(path):
            path = format_location(written_at((match[1], int(match[2]), *match[3].split("."))))
        problems.append((path, reason))
    if problems or topology is None:
        raise TopologyError(source, list(dict.fromkeys(problems)))
    return topology


def _int(value: Any, default: int = 0) -> int | None:
    """An integer field as written (None when it is not one: the schema reports that)."""
    if value is None:
        return default
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def cross_reference_problems(nodes: list[Any], links: list[Any], connectivity: bool = True) -> list[tuple[str, str]]:
    """Problems that span several entries: names, endpoints, duplicates, capacities, connectivity.

    Works on the merged data as written, so it runs even when other fields are malformed (an entry whose
    own fields are unreadable is skipped: the schema reports it).
    """
    problems: list[tuple[str, str]] = []
    known: dict[str, int] = {}
    capacity: dict[str, int | None] = {}
    for i, node in enumerate(nodes):
        name = node.get("name") if isinstance(node, Mapping) else None
        if not isinstance(name, str):
            continue
        if name in known:
            problems.append((f"nodes[{i}].name", f"duplicate node name {name!r} (first at nodes[{known[name]}])"))
            continue
        known[name] = i
        qubits, comm = _int(node.get("qubits")), _int(node.get("communication_qubits"), -1)
        kind = node.get("kind", "qpu")
        if kind in ("qpu", "repeater") and qubits == 0:
            problems.append((f"nodes[{i}].qubits", f"a {kind} needs at least 1 qubit (node {name!r} has 0)"))
        if qubits is not None and comm is not None and comm > qubits:
            problems.append((f"nodes[{i}].communication_qubits", f"{comm} exceeds the node's {qubits} qubits"))
        capacity[name] = qubits if comm == -1 else comm
    seen: dict[frozenset[str], int] = {}
    edges = []
    for i, link in enumerate(links):
        between = link.get("between") if isinstance(link, Mapping) else None
        if not (isinstance(between, list) and len(between) == 2 and all(isinstance(n, str) for n in between)):
            connectivity = False
            continue
        a, b = between
        unknown = [n for n in (a, b) if n not in known]
        problems += [(f"links[{i}].between", f"unknown node {n!r}") for n in unknown]
        if a == b:
            problems.append((f"links[{i}].between", f"a link cannot join node {a!r} to itself"))
            continue
        key = frozenset((a, b))
        if key in seen:
            problems.append((f"links[{i}].between", f"duplicate link {a!r}-{b!r} (first at links[{seen[key]}])"))
        else:
            seen[key] = i
        edges.append((a, b))
        if isinstance(link.get("quantum"), Mapping) and not unknown:
            problems += [
                (f"links[{i}].quantum", f"node {n!r} has no qubits to hold pairs from this quantum link")
                for n in (a, b)
                if capacity.get(n) == 0
            ]
    if connectivity and not problems:
        graph = nx.Graph()
        graph.add_nodes_from(known)
        graph.add_edges_from(edges)
        components = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c))
        if len(components) > 1:
            listing = "; ".join("{" + ", ".join(n if n.isprintable() else repr(n) for n in c) + "}" for c in components)
            problems.append(("links", f"the classical network is not connected: components {listing}"))
    return problems
