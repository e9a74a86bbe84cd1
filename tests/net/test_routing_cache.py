"""Routes kept per network: every cached answer equals a fresh Dijkstra search on the graph of the links up.

The reference hides the down links in a view of the graph (adjacency order kept) and runs networkx's
``single_source_dijkstra`` from scratch, so a tree kept when it should have been dropped (or a leaf borrowing a
stale neighbour tree) shows as a different path or distance. Whole-number weights drawn from a few values make
ties common, so the check also covers the order ties are broken in.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from qnet_dqnn.net import Network
from qnet_dqnn.net.routing import ShortestPaths
from qnet_dqnn.topology import topology_from_data
from qnet_dqnn.topology.generators import star


def _random_graph(seed: int, directed: bool) -> nx.Graph:
    """A connected random graph with leaves and ties: a random tree, extra edges, weights in {1, 2, 3}."""
    rng = np.random.default_rng(seed)
    n = 14
    graph = nx.DiGraph() if directed else nx.Graph()
    edges = [(f"n{int(rng.integers(i))}", f"n{i}") for i in range(1, n)]
    edges += [(f"n{a}", f"n{b}") for a, b in rng.integers(n, size=(8, 2)) if a != b]
    for k, (u, v) in enumerate(edges):
        if graph.has_edge(u, v):
            continue
        w = float(rng.integers(1, 4))
        graph.add_edge(u, v, weight=w, link=f"l{k}")
        if directed:
            graph.add_edge(v, u, weight=w, link=f"l{k}")
    return graph


def _fresh(graph: nx.Graph, down: frozenset[str], src: str) -> tuple[dict, dict]:
    kept = nx.subgraph_view(graph, filter_edge=lambda u, v: graph.edges[u, v]["link"] not in down)
    return nx.single_source_dijkstra(kept, src)


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_cached_routes_equal_a_fresh_search_through_outages_and_recoveries(seed: int, directed: bool) -> None:
    graph = _random_graph(seed, directed)
    links = sorted({d["link"] for _, _, d in graph.edges(data=True)})
    routes = ShortestPaths(graph)
    rng = np.random.default_rng(100 + seed)
    down: frozenset[str] = frozenset()
    for _ in range(25):
        flip = links[int(rng.integers(len(links)))]
        down = down ^ {flip}
        if rng.random() < 0.2:
            down = frozenset()
        routes.set_down(down)
        for src in sorted(graph)[:: 1 + int(rng.integers(3))]:
            dist, paths = _fresh(graph, down, src)
            for dst in graph:
                assert routes.path(src, dst) == paths.get(dst), (src, dst, sorted(down))
                assert routes.distance(src, dst) == dist.get(dst)


def test_a_link_coming_back_keeps_the_trees_it_cannot_improve() -> None:
    graph = nx.Graph()
    graph.add_edge("a", "b", weight=1.0, link="ab")
    graph.add_edge("b", "c", weight=1.0, link="bc")
    graph.add_edge("a", "c", weight=5.0, link="ac")
    routes = ShortestPaths(graph)
    routes.set_down(frozenset({"ac"}))
    assert routes.path("a", "c") == ["a", "b", "c"]
    before = routes.searches
    routes.set_down(frozenset())  # a-c costs 5 > 2 via b: no tree changes
    assert routes.path("a", "c") == ["a", "b", "c"] and routes.searches == before
    routes.set_down(frozenset({"bc"}))  # the tree from a crosses b-c: dropped, searched again
    assert routes.path("a", "c") == ["a", "c"] and routes.searches == before + 1


def test_a_network_searches_once_per_source_and_leaves_borrow_their_hub() -> None:
    net = Network(topology_from_data(star(40)), seed=0, trace=False)
    for i in range(40):
        for j in range(40):
            assert net.route(f"q{i}", f"q{j}") == ([f"q{i}"] if i == j else [f"q{i}", "hub", f"q{j}"])
    assert net._idle_routes.searches == 1  # the hub's tree; every leaf hops onto it
    hop = net.channels[("q0", "hub")].idle_delay_ticks(640) + net.channels[("hub", "q7")].idle_delay_ticks(640)
    assert net.path_delay_ticks("q0", "q7", 640) == hop
