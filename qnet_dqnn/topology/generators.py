"""Topology generators: star, ring, chain with repeaters, grid, full mesh, random geometric, and a star of access
networks (the shape of a federated deployment: many client QPUs behind a few metro hubs).

Each returns plain topology data (the shape of a YAML file, with a ``defaults:`` block) so it can be
written to disk as is, or checked with :func:`qnet_dqnn.topology.topology_from_data`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np

from qnet_dqnn.errors import TopologyError
from qnet_dqnn.topology.schema import DEFAULT_GATE_TIMES_S

#: Quantum link parameters used by generated topologies unless given: a 1 MHz source
#: (e.g. the photon-pair source rates of Munro et al., IEEE JSTQE 21, 6400112 (2015)) over standard fiber,
#: with otherwise ideal components.
GENERATED_QUANTUM_LINK: dict[str, Any] = {"source_rate_hz": 1.0e6, "attenuation_db_per_km": 0.2}


def _data(
    name: str,
    description: str,
    qubits: int,
    nodes: list[dict[str, Any]],
    links: list[dict[str, Any]],
    quantum: dict[str, Any] | None,
) -> dict[str, Any]:
    link_defaults: dict[str, Any] = {"classical": {"bandwidth_bps": 1.0e9}}
    if quantum is not None:
        link_defaults["quantum"] = dict(quantum)
    return {
        "name": name,
        "description": description,
        "defaults": {"node": {"kind": "qpu", "qubits": qubits}, "link": link_defaults},
        "nodes": nodes,
        "links": links,
    }


def _node(name: str, x: float, y: float, **extra: Any) -> dict[str, Any]:
    return {"name": name, "position_km": [round(float(x), 3), round(float(y), 3)], **extra}


def _link(a: str, b: str, length_km: float) -> dict[str, Any]:
    return {"between": [a, b], "length_km": round(float(length_km), 3)}


def _check(count: int, minimum: int, what: str) -> None:
    if count < minimum:
        raise TopologyError("<generator>", [(what, f"must be at least {minimum} (got {count})")])


def star(
    nodes: int = 4, length_km: float = 10.0, qubits: int = 8, quantum: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``nodes`` QPUs around a central repeater hub, each ``length_km`` away from it."""
    _check(nodes, 2, "nodes")
    quantum = GENERATED_QUANTUM_LINK if quantum is None else quantum
    hub = _node("hub", 0.0, 0.0, kind="repeater", qubits=2 * nodes)
    leaves = [
        _node(f"q{i}", length_km * math.cos(2 * math.pi * i / nodes), length_km * math.sin(2 * math.pi * i / nodes))
        for i in range(nodes)
    ]
    links = [_link("hub", leaf["name"], length_km) for leaf in leaves]
    return _data(
        f"star{nodes}",
        f"{nodes} QPUs around a repeater hub, {length_km} km spokes",
        qubits,
        [hub, *leaves],
        links,
        quantum,
    )


def ring(
    nodes: int = 6, length_km: float = 10.0, qubits: int = 8, quantum: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``nodes`` QPUs on a ring, neighbours ``length_km`` apart."""
    _check(nodes, 3, "nodes")
    quantum = GENERATED_QUANTUM_LINK if quantum is None else quantum
    radius = length_km / (2 * math.sin(math.pi / nodes))
    names = [f"q{i}" for i in range(nodes)]
    placed = [
        _node(n, radius * math.cos(2 * math.pi * i / nodes), radius * math.sin(2 * math.pi * i / nodes))
        for i, n in enumerate(names)
    ]
    links = [_link(names[i], names[(i + 1) % nodes], length_km) for i in range(nodes)]
    return _data(
        f"ring{nodes}", f"{nodes} QPUs on a ring, {length_km} km between neighbours", qubits, placed, links, quantum
    )


def chain(
    nodes: int = 5, length_km: float = 25.0, qubits: int = 8, quantum: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Two end QPUs ``qa`` and ``qb`` with ``nodes - 2`` repeaters between, links ``length_km`` long."""
    _check(nodes, 2, "nodes")
    quantum = GENERATED_QUANTUM_LINK if quantum is None else quantum
    names = ["qa", *[f"r{i}" for i in range(1, nodes - 1)], "qb"]
    placed = [
        _node(n, i * length_km, 0.0, **({} if n in ("qa", "qb") else {"kind": "repeater", "qubits": 2}))
        for i, n in enumerate(names)
    ]
    links = [_link(names[i], names[i + 1], length_km) for i in range(nodes - 1)]
    return _data(
        f"chain{nodes}",
        f"2 QPUs joined by {nodes - 2} repeaters, {length_km} km per link",
        qubits,
        placed,
        links,
        quantum,
    )


def grid(
    rows: int = 2, cols: int = 3, length_km: float = 10.0, qubits: int = 8, quantum: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A rows x cols grid of QPUs with nearest-neighbour links ``length_km`` long."""
    _check(rows, 1, "rows")
    _check(cols, 1, "cols")
    _check(rows * cols, 2, "rows*cols")
    quantum = GENERATED_QUANTUM_LINK if quantum is None else quantum
    placed = [_node(f"q{r}_{c}", c * length_km, -r * length_km) for r in range(rows) for c in range(cols)]
    links = [_link(f"q{r}_{c}", f"q{r}_{c + 1}", length_km) for r in range(rows) for c in range(cols - 1)]
    links += [_link(f"q{r}_{c}", f"q{r + 1}_{c}", length_km) for r in range(rows - 1) for c in range(cols)]
    return _data(
        f"grid{rows}x{cols}", f"a {rows}x{cols} grid of QPUs, {length_km} km links", qubits, placed, links, quantum
    )


def mesh(
    nodes: int = 4, length_km: float = 10.0, qubits: int = 8, quantum: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A full mesh: every pair of ``nodes`` QPUs linked directly, ``length_km`` apart."""
    _check(nodes, 2, "nodes")
    quantum = GENERATED_QUANTUM_LINK if quantum is None else quantum
    radius = length_km / (2 * math.sin(math.pi / nodes)) if nodes > 2 else length_km / 2
    names = [f"q{i}" for i in range(nodes)]
    placed = [
        _node(n, radius * math.cos(2 * math.pi * i / nodes), radius * math.sin(2 * math.pi * i / nodes))
        for i, n in enumerate(names)
    ]
    links = [_link(names[i], names[j], length_km) for i in range(nodes) for j in range(i + 1, nodes)]
    return _data(f"mesh{nodes}", f"a full mesh of {nodes} QPUs, {length_km} km links", qubits, placed, links, quantum)


def random_geometric(
    nodes: int = 8,
    area_km: float = 50.0,
    radius_km: float = 20.0,
    seed: int = 0,
    qubits: int = 8,
    quantum: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """QPUs placed uniformly in an ``area_km`` square; nodes closer than ``radius_km`` are linked.

    Fiber length is the straight-line distance. If the graph falls apart, its components are joined by
    their closest pairs of nodes (a minimum spanning tree over components) so the network is connected.
    """
    _check(nodes, 2, "nodes")
    quantum = GENERATED_QUANTUM_LINK if quantum is None else quantum
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, area_km, size=(nodes, 2))
    names = [f"q{i}" for i in range(nodes)]
    dist = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=-1)
    graph = nx.Graph()
    graph.add_nodes_from(range(nodes))
    graph.add_edges_from((i, j) for i in range(nodes) for j in range(i + 1, nodes) if dist[i, j] <= radius_km)
    complete = nx.Graph()
    complete.add_weighted_edges_from((i, j, dist[i, j]) for i in range(nodes) for j in range(i + 1, nodes))
    for i, j in nx.minimum_spanning_edges(complete, data=False):
        if not nx.has_path(graph, i, j):
            graph.add_edge(i, j)
    placed = [_node(names[i], xy[i, 0], xy[i, 1]) for i in range(nodes)]
    links = [_link(names[i], names[j], max(float(dist[i, j]), 0.001)) for i, j in sorted(graph.edges)]
    return _data(
        f"random{nodes}",
        f"{nodes} QPUs in a {area_km} km square, linked within {radius_km} km (seed {seed})",
        qubits,
        placed,
        links,
        quantum,
    )


def access_star(
    networks: int = 4,
    clients: int = 4,
    metro_km: float = 50.0,
    access_km: float = 5.0,
    qubits: int | list[int] = 8,
    speed_spread: float = 1.0,
    seed: int = 0,
    quantum: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A star of access networks: a classical ``server`` (a controller) at the centre, ``networks`` repeater hubs
    ``metro_km`` from it over classical-only metro links, and ``clients`` QPUs around each hub, ``access_km``
    away over quantum links. Clients are ``c{network}_{k}``.

    Heterogeneous clients: with a list of ``qubits`` each client's size is drawn from it; with ``speed_spread``
    s > 1 each client's gate and measurement times are the defaults times ``s**u``, ``u ~ U(0, 1)`` (log-uniform
    between 1x and sx slower). Both draws come from ``seed``.
    """
    _check(networks, 1, "networks")
    _check(clients, 1, "clients")
    if not speed_spread >= 1.0:
        raise TopologyError("<generator>", [("speed_spread", f"must be >= 1 (got {speed_spread})")])
    quantum = GENERATED_QUANTUM_LINK if quantum is None else quantum
    sizes = [qubits] if isinstance(qubits, int) else list(qubits)
    rng = np.random.default_rng(seed)
    nodes = [_node("server", 0.0, 0.0, kind="controller")]
    links = []
    for i in range(networks):
        angle = 2 * math.pi * i / networks
        hx, hy = metro_km * math.cos(angle), metro_km * math.sin(angle)
        hub = f"a{i}"
        nodes.append(_node(hub, hx, hy, kind="repeater", qubits=2 * clients))
        links.append({**_link("server", hub, metro_km), "quantum": None})
        for k in range(clients):
            beta = angle + 2 * math.pi * k / clients
            extra: dict[str, Any] = {"qubits": int(sizes[int(rng.integers(len(sizes)))])}
            if speed_spread > 1.0:
                factor = float(speed_spread ** rng.uniform(0.0, 1.0))
                extra["gates"] = {f"{op}_time_s": float(f"{t * factor:.4g}") for op, t in DEFAULT_GATE_TIMES_S.items()}
            nodes.append(_node(f"c{i}_{k}", hx + access_km * math.cos(beta), hy + access_km * math.sin(beta), **extra))
            links.append(_link(hub, f"c{i}_{k}", access_km))
    return _data(
        f"access_star{networks * clients}",
        f"{networks * clients} client QPUs on {networks} access networks ({access_km} km) around a server "
        f"({metro_km} km metro links)",
        sizes[0],
        nodes,
        links,
        quantum,
    )


#: Generators by name, as used by ``qnet-dqnn topology new``.
GENERATORS: dict[str, Callable[..., dict[str, Any]]] = {
    "star": star,
    "ring": ring,
    "chain": chain,
    "grid": grid,
    "mesh": mesh,
    "random": random_geometric,
    "access_star": access_star,
}
