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
from collections.abc import Callable
from typing import Any, Literal

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


def quantum_graph(topology: TopologySpec, metric: RouteMetric) -> nx.Graph:
    """The graph of quantum links, each edge weighted by :func:`link_cost` and named by ``link``."""
    if metric not in ROUTE_METRICS:
        raise ValueError(f"metric must be in {ROUTE_METRICS} (got {metric!r})")
    graph = nx.Graph()
    for link in topology.quantum_links:
        graph.add_edge(*link.between, weight=link_cost(topology, link, metric), link=link.name)
    return graph


def quantum_path(
    topology: TopologySpec, a: str, b: str, metric: RouteMetric = "hops", exclude: frozenset[str] = frozenset()
) -> list[str]:
    """The nodes of the best path of quantum links (but the links in ``exclude``) from ``a`` to ``b``.

    For one question about a topology; a network keeps its routes (:meth:`Network.quantum_route
    <qnet_dqnn.net.Network.quantum_route>`).

    Raises:
        NoRouteError: when a node is unknown or no chain of quantum links joins them.
    """
    routes = ShortestPaths(quantum_graph(topology, metric))
    routes.set_down(exclude)
    return checked_quantum_path(routes, a, b)


def checked_quantum_path(routes: ShortestPaths, a: str, b: str) -> list[str]:
    """The best path from ``a`` to ``b`` in ``routes`` (a :func:`quantum_graph`), or a clear NoRouteError."""
    if a == b:
        raise NoRouteError(f"entanglement needs two different nodes (got {a!r} twice)")
    for name in (a, b):
        if name not in routes.graph:
            raise NoRouteError(f"node {name!r} has no quantum link")
    path = routes.path(a, b)
    if path is None:
        raise NoRouteError(f"no path of quantum links from {a!r} to {b!r}")
    if math.isinf(routes.distance(a, b) or 0.0):
        raise NoRouteError(f"every path from {a!r} to {b!r} has a link with no entanglement (w <= 0)")
    return list(path)


def path_links(topology: TopologySpec, path: list[str]) -> list[str]:
    """Names of the quantum links along ``path``, in order."""
    names = {frozenset(link.between): link.name for link in topology.quantum_links}
    return [names[frozenset((u, v))] for u, v in zip(path, path[1:], strict=False)]


class ShortestPaths:
    """Lowest-cost paths on one graph, built once: each source's Dijkstra tree is computed the first time it is
    asked for and kept until a change of the links that are down can alter it.

    Edges carry ``weight`` (the additive cost) and ``link`` (the name of the link they cross; both directions
    of a link name it). :meth:`set_down` moves to another set of links that are down and drops exactly the
    trees that change (see there), so the answers always equal a fresh Dijkstra search (networkx
    ``single_source_dijkstra``, the same tie-breaking) on the graph without the down links.

    A source with a single neighbour (a leaf: a client on a star, a QPU on an access network) needs no search
    of its own: every path from it leaves over that one edge and then follows the neighbour's tree, which is
    what Dijkstra finds from the leaf too (the leaf is settled first, then the neighbour, and the search goes on
    as the neighbour's own with one entry fewer in its queue). Only with whole-number weights (ticks, hops), whose
    sums do not depend on the order they are added in.
    """

    def __init__(self, graph: nx.Graph) -> None:
        self.graph = graph
        self.down: frozenset[str] = frozenset()
        #: Dijkstra searches run so far (each source at most once per set of down links it affects).
        self.searches = 0
        self._trees: dict[str, _Tree] = {}
        self._edges_of: dict[str, list[tuple[str, str]]] = {}
        self._whole = all(float(w).is_integer() for _, _, w in graph.edges(data="weight"))
        for u, v, data in graph.edges(data=True):
            self._edges_of.setdefault(data["link"], []).append((u, v))
            if not graph.is_directed():
                self._edges_of[data["link"]].append((v, u))

    def _weight(self) -> str | Callable[[str, str, dict[str, Any]], float | None]:
        if not self.down:
            return "weight"
        down = self.down
        return lambda _u, _v, data: None if data["link"] in down else data["weight"]

    def tree(self, src: str) -> _Tree:
        """The tree of lowest-cost paths from ``src`` over the links up (computed once, then kept)."""
        tree = self._trees.get(src)
        if tree is None:
            tree = self._leaf_tree(src)
            if tree is None:
                self.searches += 1
                dist, paths = nx.single_source_dijkstra(self.graph, src, weight=self._weight())
                tree = _Tree(src, dist, paths, None)
            self._trees[src] = tree
        return tree

    def _leaf_tree(self, src: str) -> _Tree | None:
        """The tree of a source with one neighbour, borrowed from the neighbour's (None if not a leaf)."""
        succ = self.graph.succ[src] if self.graph.is_directed() else self.graph.adj[src]
        if len(succ) != 1 or not self._whole:
            return None
        ((hub, data),) = succ.items()
        hub_succ = self.graph.succ[hub] if self.graph.is_directed() else self.graph.adj[hub]
        if data["link"] in self.down or hub == src or len(hub_succ) < 2:  # two lone nodes: search
            return None
        return _Tree(src, None, None, (hub, data["weight"], self.tree(hub)))

    def path(self, src: str, dst: str) -> list[str] | None:
        """The nodes of the lowest-cost path from ``src`` to ``dst``, or None if none exists."""
        return self.tree(src).path(dst)

    def distance(self, src: str, dst: str) -> float | None:
        """The cost of that path, or None if none exists."""
        return self.tree(src).distance(dst)

    def set_down(self, down: frozenset[str]) -> None:
        """Take the links in ``down`` (and only those) as down, dropping exactly the trees that change.

        A link going down changes a tree only if the tree crosses it. A link coming back changes a tree from
        ``s`` only if one of its directions ``(u, v)`` leads somewhere no worse than now:
        ``d(s, u) + w(u, v) <= d(s, v)`` (at equality Dijkstra's tie-breaking may take the new edge). Every
        other tree is what a fresh search gives, down to the order ties are broken in.
        """
        if down == self.down:
            return
        gone, back = down - self.down, self.down - down
        self.down = self.down | gone  # first take the new outages, then return the links that came back
        if gone:
            self._trees = {s: t for s, t in self._trees.items() if not (t.links(self.graph) & gone)}
        for link in back:
            self.down = self.down - {link}
            edges = self._edges_of.get(link, [])
            weights = [self.graph.edges[u, v]["weight"] for u, v in edges]
            self._trees = {s: t for s, t in self._trees.items() if not t.improved_by(edges, weights)}


class _Tree:
    """One source's lowest-cost paths: from a Dijkstra search, or a leaf's hop onto its neighbour's tree."""

    def __init__(
        self,
        src: str,
        dist: dict[str, float] | None,
        paths: dict[str, list[str]] | None,
        via: tuple[str, float, _Tree] | None,
    ) -> None:
        self.src = src
        self._dist = dist
        self._paths = paths
        self.via = via
        self._links: frozenset[str] | None = None

    def path(self, dst: str) -> list[str] | None:
        if self.via is None:
            assert self._paths is not None
            return self._paths.get(dst)
        if dst == self.src:
            return [dst]
        rest = self.via[2].path(dst)
        return None if rest is None else [self.src, *rest]

    def distance(self, dst: str) -> float | None:
        if self.via is None:
            assert self._dist is not None
            return self._dist.get(dst)
        if dst == self.src:
            return 0.0
        rest = self.via[2].distance(dst)
        return None if rest is None else self.via[1] + rest

    def settled(self) -> list[str]:
        """The nodes the source reaches, parents before children (the order Dijkstra settled them in)."""
        if self.via is None:
            assert self._dist is not None
            return list(self._dist)
        return [self.src, *(n for n in self.via[2].settled() if n != self.src)]

    def parent(self, node: str) -> str:
        """The node before ``node`` on its path from the source (``node`` must be reachable, not the source)."""
        path = self.path(node)
        assert path is not None and len(path) > 1
        return path[-2]

    def links(self, graph: nx.Graph) -> frozenset[str]:
        """Names of the links the tree's paths cross."""
        if self._links is None:
            if self.via is None:
                assert self._paths is not None
                used = {graph.edges[p[-2], p[-1]]["link"] for p in self._paths.values() if len(p) > 1}
            else:
                hub, _, rest = self.via
                used = {graph.edges[self.src, hub]["link"], *rest.links(graph)}
            self._links = frozenset(used)
        return self._links

    def improved_by(self, edges: list[tuple[str, str]], weights: list[float]) -> bool:
        """True if one of ``edges`` (a link coming back) may change the tree (see :meth:`ShortestPaths.set_down`)."""
        for (u, v), w in zip(edges, weights, strict=True):
            du = self.distance(u)
            if du is None:
                continue
            dv = self.distance(v)
            if dv is None or du + w <= dv:
                return True
        return False
