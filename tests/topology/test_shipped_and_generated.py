"""Shipped topologies load; generators produce valid, connected networks of the promised shape."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from qnet_dqnn.topology import (
    GENERATORS,
    chain,
    dump_topology,
    grid,
    load_topology,
    mesh,
    random_geometric,
    ring,
    star,
    topology_from_data,
    topology_from_string,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "topologies").glob("*.yaml"))


def test_at_least_six_topologies_ship() -> None:
    assert len(SHIPPED) >= 6


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_topology_is_valid_and_commented(path: Path) -> None:
    topology = load_topology(path)
    assert topology.quantum_links, "every shipped topology has at least one quantum link"
    assert path.read_text().startswith("#"), "each file opens with a comment saying what it models"


def _graph(data: dict) -> nx.Graph:
    topology = topology_from_data(data)
    graph = nx.Graph()
    graph.add_edges_from(link.between for link in topology.links)
    return graph


def test_generated_shapes() -> None:
    assert sorted(d for _, d in _graph(star(5)).degree()) == [1, 1, 1, 1, 1, 5]
    assert all(d == 2 for _, d in _graph(ring(7)).degree())
    chain_graph = _graph(chain(6))
    assert nx.shortest_path_length(chain_graph, "qa", "qb") == 5
    assert _graph(grid(3, 4)).number_of_edges() == 3 * 3 + 2 * 4
    assert _graph(mesh(5)).number_of_edges() == 10


@pytest.mark.parametrize("seed", range(5))
def test_random_geometric_is_connected_and_seeded(seed: int) -> None:
    data = random_geometric(nodes=12, area_km=100.0, radius_km=10.0, seed=seed)
    assert nx.is_connected(_graph(data))
    assert data == random_geometric(nodes=12, area_km=100.0, radius_km=10.0, seed=seed)
    assert data != random_geometric(nodes=12, area_km=100.0, radius_km=10.0, seed=seed + 100)


@pytest.mark.parametrize("kind", list(GENERATORS))
def test_generated_yaml_round_trips(kind: str) -> None:
    data = GENERATORS[kind]()
    text = dump_topology(data, "header line")
    assert text.startswith("# header line\n")
    assert topology_from_string(text) == topology_from_data(data)
