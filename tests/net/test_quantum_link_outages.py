"""Quantum link outages: generation stops and resumes, requests reroute, wait for recovery or fail naming the link."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from qnet_dqnn.errors import ResourceExhausted
from qnet_dqnn.net import Network, RequestResult
from qnet_dqnn.net.entanglement import request_pairs
from qnet_dqnn.topology import TopologySpec, topology_from_data
from qnet_dqnn.units import to_ticks

FAST_GATES = {"one_qubit_time_s": 0.0, "two_qubit_time_s": 0.0, "measurement_time_s": 0.0}


def topology(links: list[tuple[str, str, float]]) -> TopologySpec:
    names = sorted({n for a, b, _ in links for n in (a, b)})
    return topology_from_data(
        {
            "name": "t",
            "nodes": [{"name": n, "qubits": 4, "gates": FAST_GATES} for n in names],
            "links": [{"between": [a, b], "length_km": km, "quantum": {"source_rate_hz": 1e6}} for a, b, km in links],
        }
    )


def triangle() -> TopologySpec:
    """a - b direct (5 km, the best path), and a - c - b (10 km each) around it."""
    return topology([("a", "b", 5.0), ("a", "c", 10.0), ("c", "b", 10.0)])


def chain() -> TopologySpec:
    return topology([("a", "r", 5.0), ("r", "b", 5.0)])


def serve(net: Network, a: str, b: str, n: int, **options: Any) -> simpy.Process:
    """Request n pairs and use each as it arrives (frees its memory)."""
    box = simpy.Store(net.env)

    def use() -> Generator[simpy.Event, Any, None]:
        while True:
            net.consume_pair((yield box.get()))

    net.env.process(use())
    return request_pairs(net, a, b, n, deliver_to=box, **options)


def test_generation_stops_while_down_and_resumes_after() -> None:
    net = Network(topology([("a", "b", 5.0)]), seed=1, memory_split="per_link")
    net.fail_link("a-b", to_ticks(1e-3), to_ticks(3e-3))
    link = net.quantum_links["a-b"]
    delivered: list[int] = []
    box = simpy.Store(net.env)

    def use() -> Generator[simpy.Event, Any, None]:
        while True:
            pair = yield link.pairs.get()
            delivered.append(net.now)
            net.consume_pair(pair)
            box.put(pair)

    net.start_generation()
    net.env.process(use())
    net.run(to_ticks(4e-3))
    assert delivered, "no pair at all"
    down = [t for t in delivered if to_ticks(1e-3) <= t < to_ticks(3e-3)]
    assert down == []
    assert any(t < to_ticks(1e-3) for t in delivered) and any(t >= to_ticks(3e-3) for t in delivered)
    counters = net.ledger.links["a-b"]
    # attempts stop during the outage: about 2 ms of 4 ms at 1 MHz, so well below 4 000 attempts
    assert counters.attempts < 2_600
    net.ledger.check()


def test_pairs_stored_on_a_down_link_stay_stored() -> None:
    net = Network(topology([("a", "b", 5.0)]), seed=2)
    net.start_generation()
    net.run(to_ticks(1e-3))  # memories fill (4 qubits each end)
    stored = list(net.quantum_links["a-b"].pairs.items)
    assert len(stored) == 4
    net.fail_link("a-b", net.now, net.now + to_ticks(1.0))
    net.run(net.now + to_ticks(0.1))
    assert all(p.is_stored for p in stored) and net.ledger.links["a-b"].pairs_discarded == 0


def test_a_down_link_at_the_start_is_avoided() -> None:
    net = Network(triangle(), seed=3, memory_split="per_link")
    net.fail_link("a-b", 0, to_ticks(1.0))
    process = serve(net, "a", "b", 5)
    net.env.run(until=process)
    result: RequestResult = process.value
    assert result.path == ["a", "c", "b"] and len(result.pairs) == 5 and result.reroutes == 0
    assert net.ledger.links["a-b"].pairs_delivered == 0


def test_a_link_down_mid_distribution_reroutes_and_pairs_still_arrive() -> None:
    net = Network(triangle(), seed=4, memory_split="per_link")
    down_at = to_ticks(2e-4)
    net.fail_link("a-b", down_at, to_ticks(10.0))
    process = serve(net, "a", "b", 40)
    net.env.run(until=process)
    result: RequestResult = process.value
    assert result.status == "done" and len(result.pairs) == 40
    assert result.reroutes == 1 and result.path == ["a", "c", "b"]
    before = [d for d in result.deliveries if d.delivered_tick < down_at]
    assert before, "the direct path delivered nothing before the outage"
    assert net.ledger.links["a-c"].pairs_consumed > 0 and net.ledger.links["c-b"].pairs_consumed > 0
    # after the outage, only pairs stored before it are still taken from the direct link (at most 4 of them)
    direct = net.ledger.links["a-b"]
    assert direct.pairs_consumed <= len(before) + 4
    assert any(e.kind == "rerouted" and "'a-b' down" in e.detail for e in net.trace.events)
    net.ledger.check()


def test_on_a_chain_the_request_waits_for_recovery_and_completes() -> None:
    net = Network(chain(), seed=5, memory_split="per_link")
    down, up = to_ticks(1e-4), to_ticks(5e-3)
    net.fail_link("r-b", down, up)
    process = serve(net, "a", "b", 30)
    net.env.run(until=process)
    result: RequestResult = process.value
    assert result.status == "done" and len(result.pairs) == 30 and result.reroutes == 0
    assert max(d.delivered_tick for d in result.deliveries) >= up  # some had to wait for the recovery
    net.ledger.check()


def test_on_a_chain_the_request_fails_at_its_deadline_naming_the_down_link() -> None:
    net = Network(chain(), seed=6, memory_split="per_link")
    net.fail_link("r-b", to_ticks(1e-4))  # for good
    process = serve(net, "a", "b", 30, deadline_s=2e-3)
    with pytest.raises(ResourceExhausted, match=r"missed its deadline of 0.002 s .*quantum link 'r-b' down"):
        net.env.run(until=process)
    assert net.now == to_ticks(2e-3)
    net.ledger.check()


def test_without_outages_nothing_changes() -> None:
    """Same seed, with and without an outage that never starts within the run: identical ledgers."""
    runs = []
    for outage in (False, True):
        net = Network(triangle(), seed=7, memory_split="per_link")
        if outage:
            net.fail_link("a-b", to_ticks(100.0), to_ticks(200.0))
        process = serve(net, "a", "b", 20)
        net.env.run(until=process)
        runs.append((net.ledger.to_dict(), [d.delivered_tick for d in process.value.deliveries]))
    assert runs[0] == runs[1]
