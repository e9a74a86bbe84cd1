"""Heralded pair generation on the simulated network against the analytic model."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import qutip as qt
import simpy

from qnet_dqnn.errors import ProtocolError
from qnet_dqnn.net import Network, Pair, expected_link
from qnet_dqnn.physics import bell_fidelity, propagation_delay_s, werner_fidelity_after_depolarizing
from qnet_dqnn.topology import topology_from_data
from qnet_dqnn.units import to_seconds, to_ticks
from tests.conftest import one_link, one_link_data


def _consume_all(net: Network, hold_s: float = 0.0) -> list[tuple[float, float, Pair]]:
    """Consume every delivered pair (after ``hold_s``); return (fidelity at delivery, at consumption, pair)."""
    seen: list[tuple[float, float, Pair]] = []

    def hold(pair: Pair) -> Generator[simpy.Event, Any, None]:
        at_delivery = bell_fidelity(net.pair_state(pair))
        if hold_s:
            yield net.env.timeout(to_ticks(hold_s))
        seen.append((at_delivery, bell_fidelity(net.consume_pair(pair)), pair))

    def consumer(link: Any) -> Generator[simpy.Event, Any, None]:
        while True:
            pair = yield link.pairs.get()
            net.env.process(hold(pair))

    for link in net.quantum_links.values():
        net.env.process(consumer(link))
    return seen


@pytest.mark.parametrize(
    "length_km, heralding, duration_s", [(5.0, "midpoint", 0.5), (25.0, "at_node", 2.0), (80.0, "midpoint", 40.0)]
)
def test_pair_rate_is_within_four_standard_errors(length_km: float, heralding: str, duration_s: float) -> None:
    topology = one_link(length_km, heralding=heralding, source_efficiency=0.9, detector_efficiency=0.9)
    net = Network.from_topology(topology, seed=42)
    _consume_all(net)
    net.start_generation()
    net.run(to_ticks(duration_s))
    expect = expected_link(topology, topology.links[0])
    delivered = net.ledger.links["a-b"].pairs_delivered
    assert delivered > 500
    error = expect.rate_standard_error_hz(duration_s)
    assert abs(delivered / duration_s - expect.pair_rate_hz) < 4 * error
    # the attempts counted match the attempts the elapsed time allowed
    assert net.ledger.links["a-b"].attempts == pytest.approx(duration_s / expect.attempt_period_s, rel=0.01)


def test_pairs_are_delivered_with_the_source_fidelity_on_ideal_memories() -> None:
    net = Network.from_topology(one_link(20.0, source_fidelity=0.935), seed=1)
    seen = _consume_all(net)
    net.start_generation()
    net.run(to_ticks(0.05))
    assert len(seen) > 10
    assert all(f_delivered == pytest.approx(0.935, abs=1e-12) for f_delivered, _, _ in seen)


def test_fidelity_after_storage_matches_closed_form_for_depolarizing_memories() -> None:
    coherence, hold, length = 0.02, 0.005, 30.0
    net = Network.from_topology(
        one_link(length, node={"memory": {"coherence_time_s": coherence}}, source_fidelity=0.9, heralding="at_node"),
        seed=3,
    )
    seen = _consume_all(net, hold_s=hold)
    net.start_generation()
    net.run(to_ticks(0.2))
    herald_a, herald_b = 2 * propagation_delay_s(length), propagation_delay_s(length)
    expected_delivered = werner_fidelity_after_depolarizing(0.9, herald_a, herald_b, coherence)
    expected_stored = werner_fidelity_after_depolarizing(0.9, herald_a + hold, herald_b + hold, coherence)
    assert len(seen) > 10
    for f_delivered, f_stored, _ in seen:
        assert f_delivered == pytest.approx(expected_delivered, abs=1e-9)
        assert f_stored == pytest.approx(expected_stored, abs=1e-9)
    assert expected_stored < expected_delivered < 0.9


def test_fidelity_after_storage_matches_qutip_for_t1_t2_memories() -> None:
    t1, t2, hold, length, f0 = 0.05, 0.03, 0.02, 10.0, 0.95
    net = Network.from_topology(one_link(length, node={"memory": {"t1_s": t1, "t2_s": t2}}, source_fidelity=f0), seed=4)
    seen = _consume_all(net, hold_s=hold)
    net.start_generation()
    net.run(to_ticks(0.1))
    stored_s = propagation_delay_s(length) + hold  # midpoint: both halves stored from emission
    phi = (qt.tensor(qt.basis(2, 0), qt.basis(2, 0)) + qt.tensor(qt.basis(2, 1), qt.basis(2, 1))).unit()
    w = (4 * f0 - 1) / 3
    rho = w * phi.proj() + (1 - w) * qt.qeye([2, 2]) / 4
    c_ops = []
    for q in range(2):
        ops = [qt.qeye(2)] * 2
        c_ops.append(math.sqrt(1 / t1) * qt.tensor(*[qt.destroy(2) if i == q else ops[i] for i in range(2)]))
        c_ops.append(
            math.sqrt((1 / t2 - 1 / (2 * t1)) / 2) * qt.tensor(*[qt.sigmaz() if i == q else ops[i] for i in range(2)])
        )
    final = qt.mesolve(qt.qzero([2, 2]), rho, [0, stored_s], c_ops=c_ops, options={"atol": 1e-12, "rtol": 1e-10})
    expected = qt.expect(phi.proj(), final.states[-1])
    assert len(seen) > 5
    assert all(f_stored == pytest.approx(expected, abs=1e-7) for _, f_stored, _ in seen)


def test_a_consumed_pair_cannot_be_used_again() -> None:
    net = Network.from_topology(one_link(), seed=0)
    seen = _consume_all(net)
    net.start_generation()
    net.run(to_ticks(0.01))
    pair = seen[0][2]
    with pytest.raises(ProtocolError, match="consumed"):
        net.consume_pair(pair)
    with pytest.raises(ProtocolError, match="consumed"):
        net.pair_state(pair)


def test_memory_capacity_bounds_stored_pairs_and_generation_waits() -> None:
    net = Network.from_topology(one_link(node={"qubits": 3}), seed=0)
    net.start_generation()  # nobody consumes: memories fill up
    net.run(to_ticks(0.05))
    net.settle()
    link = net.quantum_links["a-b"]
    assert len(link.pairs.items) == 3
    assert all(node.memory is not None and node.memory.in_use == 3 for node in net.nodes.values())
    assert net.ledger.links["a-b"].pairs_delivered == 3
    assert net.ledger.links["a-b"].memory_wait_ticks > 0
    net.consume_pair(link.pairs.items[0])
    net.run(to_ticks(0.1))
    assert net.ledger.links["a-b"].pairs_delivered == 4  # one slot freed, one more pair


def test_cutoff_discards_old_pairs_and_counts_them() -> None:
    cutoff = 1e-3
    net = Network.from_topology(one_link(node={"qubits": 2, "memory": {"cutoff_s": cutoff}}), seed=0)
    net.start_generation()  # nobody consumes: every pair ages out
    net.run(to_ticks(0.05))
    counters = net.ledger.links["a-b"]
    assert counters.pairs_discarded > 10
    assert counters.discarded_by_reason["cutoff"] == counters.pairs_discarded
    assert counters.pairs_delivered - counters.pairs_discarded == len(net.quantum_links["a-b"].pairs.items)
    for event in net.trace.of_kind("pair_discarded"):
        assert "cutoff" in event.detail


def test_same_seed_same_pairs_and_other_seed_other_pairs() -> None:
    def delivery_ticks(seed: int) -> list[int]:
        net = Network.from_topology(one_link(), seed=seed)
        seen = _consume_all(net)
        net.start_generation()
        net.run(to_ticks(0.02))
        return [pair.delivered_tick for _, _, pair in seen]

    assert delivery_ticks(5) == delivery_ticks(5)
    assert delivery_ticks(5) != delivery_ticks(6)


def test_adding_a_node_leaves_other_links_random_streams_alone() -> None:
    small = one_link_data()
    big = one_link_data()
    big["nodes"].append({"name": "c"})
    big["links"].append({"between": ["b", "c"], "length_km": 7.0, "quantum": {"source_rate_hz": 1e6}})

    def ticks(data: dict) -> list[int]:
        net = Network.from_topology(topology_from_data(data), seed=9)
        seen = _consume_all(net)
        net.start_generation()
        net.run(to_ticks(0.02))
        return [pair.delivered_tick for _, _, pair in seen if pair.link == "a-b"]

    assert ticks(small) == ticks(big)


def test_delivery_happens_one_herald_after_a_whole_number_of_periods() -> None:
    topology = one_link(40.0, source_rate_hz=1e3)  # period 1 ms, herald 0.2 ms
    net = Network.from_topology(topology, seed=2)
    seen = _consume_all(net)
    net.start_generation()
    net.run(to_ticks(0.5))
    period, herald = to_ticks(1e-3), to_ticks(propagation_delay_s(40.0))
    offsets = np.array([(pair.delivered_tick - herald) % period for _, _, pair in seen])
    assert len(seen) > 20 and np.all(offsets == 0)
    assert to_seconds(seen[0][2].delivered_tick) >= propagation_delay_s(40.0)
