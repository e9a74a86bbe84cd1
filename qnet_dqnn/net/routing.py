"""Routing of end-to-end entanglement over quantum links: by hops, expected rate or expected fidelity.

Each metric is a shortest path (Dijkstra, networkx) under an additive link cost:

* ``hops``: 1 per link (fewest swaps, each of which costs a BSM and a notification).
* ``rate``: the expected time per pair of the link, period / p = 1 / R (a chain waits for its slowest
  links, and the sum of expected times is the usual additive proxy; Van Meter, *Quantum Networking*,
  Wiley (2014), Sec. 8.3; Caleffi, IEEE Access 5, 22299 (2017), uses the same delay-like link cost).
* ``fidelity``: -ln w of the link's delivered Werner parameter w = (4F - 1)/3: swapping multiplies
  Werner parameters (Dur & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 4.1), so the path of lowest
  sum maximises the end-to-end w = prod w_i for perfect swaps.
"""

from __future__ import annotations

import math
from typing import Literal

import networkx as nx

from qnet_dqnn.errors import NoRouteError
from qnet_dqnn.net.analytic import expected_link
from qnet_dqnn.physics import werner_parameter
from qnet_dqnn.topology import LinkSpec, TopologySpec

RouteMetric = Literal["hops", "rate", "fidelity"]
ROUTE_METRICS: tuple[str, ...] = ("hops", "rate", "fidelity")


def link_cost(topology: TopologySpec, link: LinkSpec, metric: RouteMetric) -> float:
    """The additive cost of ``link`` under ``metric`` (see the module docstring).

    Examples:
        >>> from qnet_dqnn.topology import topology_from_data
        >>> t = topology_from_data({"nodes": [{"name": "a", "qubits": 1}, {"name": "b", "qubits": 1}],
        ...     "links": [{"between": ["a", "b"], "length_km": 1.0, "quantum": {"source_rate_hz": 1e6}}]})
        >>> link_cost(t, t.links[0], "hops")
        1.0
    """
    if metric == "hops":
        return 1.0
    expect = expected_link(topology, link)
    if metric == "rate":
        return 1.0 / expect.pair_rate_hz
    if metric == "fidelity":
        w = werner_parameter(expect.delivered_fidelity)
        return -math.log(w) if w > 0.0 else math.inf
    raise ValueError(f"metric must be in {ROUTE_METRICS} (got {metric!r})")


def quantum_graph(topology: TopologySpec, metric: RouteMetric, exclude: frozenset[str] = frozenset()) -> nx.Graph:
    """The graph of quantum links but ``exclude``, each edge weighted by :func:`link_cost` and named by ``link``."""
    graph = nx.Graph()
    for link in topology.quantum_links:
        if link.name in exclude:
            continue
        graph.add_edge(*link.between, weight=link_cost(topology, link, metric), link=link.name)
    return graph


def quantum_path(
    topology: TopologySpec, a: str, b: str, metric: RouteMetric = "hops", exclude: frozenset[str] = frozenset()
) -> list[str]:
    """The nodes of the best path of quantum links (but the links in ``exclude``) from ``a`` to ``b``.

    Raises:
        NoRouteError: when a node is unknown or no chain of quantum links joins them.
    """
    if metric not in ROUTE_METRICS:
        raise ValueError(f"metric must be in {ROUTE_METRICS} (got {metric!r})")
    if a == b:
        raise NoRouteError(f"entanglement needs two different nodes (got {a!r} twice)")
    graph = quantum_graph(topology, metric, exclude)
    for name in (a, b):
        if name not in graph:
            raise NoRouteError(f"node {name!r} has no quantum link")
    try:
        path = nx.dijkstra_path(graph, a, b)
    except nx.NetworkXNoPath:
        raise NoRouteError(f"no path of quantum links from {a!r} to {b!r}") from None
    if any(math.isinf(graph.edges[u, v]["weight"]) for u, v in zip(path, path[1:], strict=False)):
        raise NoRouteError(f"every path from {a!r} to {b!r} has a link with no entanglement (w <= 0)")
    return list(path)


def path_links(topology: TopologySpec, path: list[str]) -> list[str]:
    """Names of the quantum links along ``path``, in order."""
    names = {frozenset(link.between): link.name for link in topology.quantum_links}
    return [names[frozenset((u, v))] for u, v in zip(path, path[1:], strict=False)]
