"""Load and check topology files: parse, merge defaults, check the shape, check cross-references."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from qnet_dqnn.config import deep_merge, format_location, parse_yaml, read_yaml_file, validate_model
from qnet_dqnn.errors import TopologyError
from qnet_dqnn.topology.schema import TopologySpec

_TOP_LEVEL = {"name", "description", "defaults", "nodes", "links"}
_DEFAULT_SECTIONS = {"node", "link"}


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


def topology_from_data(data: Any, source: str = "<data>") -> TopologySpec:
    """Build a checked topology from plain data (the parsed YAML)."""
    if not isinstance(data, Mapping):
        raise TopologyError(
            source, [("", f"a topology must be a mapping with 'nodes' and 'links' (got {type(data).__name__})")]
        )
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
    if problems:
        raise TopologyError(source, problems)
    topology = validate_model(TopologySpec, merged, source, TopologyError)
    problems = cross_reference_problems(topology)
    if problems:
        raise TopologyError(source, problems)
    return topology


def cross_reference_problems(topology: TopologySpec) -> list[tuple[str, str]]:
    """Problems that span several entries: names, endpoints, duplicates, capacities, connectivity."""
    problems: list[tuple[str, str]] = []
    nodes: dict[str, int] = {}
    for i, node in enumerate(topology.nodes):
        if node.name in nodes:
            problems.append(
                (f"nodes[{i}].name", f"duplicate node name {node.name!r} (first at nodes[{nodes[node.name]}])")
            )
        else:
            nodes[node.name] = i
        if node.kind in ("qpu", "repeater") and node.qubits == 0:
            problems.append((f"nodes[{i}].qubits", f"a {node.kind} needs at least 1 qubit (node {node.name!r} has 0)"))
        if node.communication_qubits is not None and node.communication_qubits > node.qubits:
            problems.append(
                (
                    f"nodes[{i}].communication_qubits",
                    f"{node.communication_qubits} exceeds the node's {node.qubits} qubits",
                )
            )
    seen_links: dict[frozenset[str], int] = {}
    for i, link in enumerate(topology.links):
        a, b = link.between
        unknown = [n for n in (a, b) if n not in nodes]
        for name in unknown:
            problems.append((f"links[{i}].between", f"unknown node {name!r}"))
        if a == b:
            problems.append((f"links[{i}].between", f"a link cannot join node {a!r} to itself"))
            continue
        key = frozenset((a, b))
        if key in seen_links:
            problems.append((f"links[{i}].between", f"duplicate link {a!r}-{b!r} (first at links[{seen_links[key]}])"))
        else:
            seen_links[key] = i
        if link.quantum is not None and not unknown:
            for name in (a, b):
                if topology.nodes[nodes[name]].memory_capacity == 0:
                    problems.append(
                        (f"links[{i}].quantum", f"node {name!r} has no qubits to hold pairs from this quantum link")
                    )
    if not problems:
        graph = nx.Graph()
        graph.add_nodes_from(nodes)
        graph.add_edges_from(link.between for link in topology.links)
        components = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c))
        if len(components) > 1:
            listing = "; ".join("{" + ", ".join(n if n.isprintable() else repr(n) for n in c) + "}" for c in components)
            problems.append(("links", f"the classical network is not connected: components {listing}"))
    return problems
