"""The star of access networks: its shape, its heterogeneous clients, and its seed."""

from __future__ import annotations

import pytest

from qnet_dqnn.errors import TopologyError
from qnet_dqnn.topology import topology_from_data
from qnet_dqnn.topology.generators import access_star
from qnet_dqnn.topology.schema import DEFAULT_GATE_TIMES_S


def test_shape_server_hubs_and_clients() -> None:
    t = topology_from_data(access_star(networks=3, clients=5, metro_km=40.0, access_km=2.0))
    kinds = [n.kind for n in t.nodes]
    assert kinds.count("controller") == 1 and kinds.count("repeater") == 3 and kinds.count("qpu") == 15
    metro = [link for link in t.links if "server" in link.between]
    assert len(metro) == 3 and all(link.quantum is None and link.length_km == 40.0 for link in metro)
    access = [link for link in t.links if "server" not in link.between]
    assert len(access) == 15 and all(link.quantum is not None and link.length_km == 2.0 for link in access)


def test_heterogeneous_sizes_and_speeds_come_from_the_choices_and_the_seed() -> None:
    data = access_star(networks=2, clients=50, qubits=[4, 16], speed_spread=4.0, seed=7)
    t = topology_from_data(data)
    qpus = [n for n in t.nodes if n.kind == "qpu"]
    assert {n.qubits for n in qpus} == {4, 16}
    factors = [n.gates.two_qubit_time_s / DEFAULT_GATE_TIMES_S["two_qubit"] for n in qpus]
    assert all(1.0 <= f <= 4.0 * (1 + 1e-3) for f in factors) and max(factors) > 2.5 and min(factors) < 1.5
    for n in qpus:  # one factor per client, on every duration
        assert n.gates.one_qubit_time_s / DEFAULT_GATE_TIMES_S["one_qubit"] == pytest.approx(
            n.gates.two_qubit_time_s / DEFAULT_GATE_TIMES_S["two_qubit"], rel=1e-3
        )
    assert access_star(networks=2, clients=50, qubits=[4, 16], speed_spread=4.0, seed=7) == data
    assert access_star(networks=2, clients=50, qubits=[4, 16], speed_spread=4.0, seed=8) != data


def test_bad_generator_arguments_name_the_field() -> None:
    with pytest.raises(TopologyError, match="speed_spread"):
        access_star(speed_spread=0.5)
    with pytest.raises(TopologyError, match="clients"):
        access_star(clients=0)
