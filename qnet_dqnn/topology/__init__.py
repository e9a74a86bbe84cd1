"""Topologies: the schema, YAML loading with clear errors, generators and writing."""

from qnet_dqnn.topology.generators import GENERATORS, chain, grid, mesh, random_geometric, ring, star
from qnet_dqnn.topology.loader import load_topology, topology_from_data, topology_from_string
from qnet_dqnn.topology.schema import (
    ClassicalSpec,
    GateSpec,
    LinkSpec,
    MemorySpec,
    NodeSpec,
    QuantumSpec,
    TopologySpec,
)
from qnet_dqnn.topology.writer import dump_topology

__all__ = [
    "GENERATORS",
    "ClassicalSpec",
    "GateSpec",
    "LinkSpec",
    "MemorySpec",
    "NodeSpec",
    "QuantumSpec",
    "TopologySpec",
    "chain",
    "dump_topology",
    "grid",
    "load_topology",
    "mesh",
    "random_geometric",
    "ring",
    "star",
    "topology_from_data",
    "topology_from_string",
]
