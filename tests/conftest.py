"""Shared fixtures: small topologies built in code."""

from __future__ import annotations

from typing import Any

import pytest

from qnet_dqnn.topology import TopologySpec, topology_from_data


def one_link_data(length_km: float = 10.0, node: dict[str, Any] | None = None, **quantum: Any) -> dict[str, Any]:
    """Topology data of two QPUs ``a`` and ``b`` joined by one quantum link."""
    q = {"source_rate_hz": 1.0e6, **quantum}
    node = {"kind": "qpu", "qubits": 4, **(node or {})}
    return {
        "name": "one_link",
        "defaults": {"node": node},
        "nodes": [{"name": "a"}, {"name": "b"}],
        "links": [{"between": ["a", "b"], "length_km": length_km, "quantum": q}],
    }


def one_link(length_km: float = 10.0, node: dict[str, Any] | None = None, **quantum: Any) -> TopologySpec:
    """A checked two-node topology (see :func:`one_link_data`)."""
    return topology_from_data(one_link_data(length_km, node, **quantum))


@pytest.fixture
def chain3() -> TopologySpec:
    """a - r - b with different lengths, processing times and bandwidths per hop."""
    return topology_from_data(
        {
            "nodes": [
                {"name": "a", "qubits": 2, "classical_processing_s": 2e-6},
                {"name": "r", "kind": "repeater", "qubits": 2, "classical_processing_s": 5e-6},
                {"name": "b", "qubits": 2, "classical_processing_s": 1e-6},
            ],
            "links": [
                {
                    "between": ["a", "r"],
                    "length_km": 30.0,
                    "classical": {"bandwidth_bps": 1e8, "extra_latency_s": 1e-5},
                },
                {"between": ["r", "b"], "length_km": 12.0, "classical": {"bandwidth_bps": 1e9}},
            ],
        }
    )
