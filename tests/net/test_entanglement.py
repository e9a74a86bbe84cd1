"""The entanglement service on simulated chains against closed forms: swapping, decoherence, rate, purification."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

from qnet_dqnn.errors import NoRouteError, ProtocolError, ResourceExhausted
from qnet_dqnn.net import Network, Pair, RequestResult, expected_link, path_latency_s, quantum_path
from qnet_dqnn.net.entanglement import request_pairs
from qnet_dqnn.physics import fidelity_from_werner, werner_parameter
from qnet_dqnn.physics.purification import bbpssw, dejmps, purify_until
from qnet_dqnn.physics.swapping import BellMeasurement, chain_fidelity
from qnet_dqnn.topology import TopologySpec, topology_from_data
from qnet_dqnn.units import to_seconds, to_ticks

FAST_GATES = {"one_qubit_time_s": 0.0, "two_qubit_time_s": 0.0, "measurement_time_s": 0.0}


def chain(
    n_links: int,
    fidelities: list[float] | None = None,
    node: dict[str, Any] | None = None,
    lengths_km: list[float] | None = None,
    **quantum: Any,
) -> TopologySpec:
    """n0 - n1 - ... - n_k, zero gate times, repeaters with 2 qubits per side."""
    fidelities = fidelities or [1.0] * n_links
    lengths_km = lengths_km or [5.0] * n_links
    nodes = [{"name": f"n{i}", "qubits": 4, "gates": FAST_GATES, **(node or {})} for i in range(n_links + 1)]
    links = [
        {
            "between": [f"n{i}", f"n{i + 1}"],
            "length_km": lengths_km[i],
            "quantum": {"source_rate_hz": 1e6, "source_fidelity": fidelities[i], **quantum},
        }
        for i in range(n_links)
    ]
    return topology_from_data({"name": "chain", "nodes": nodes, "links": links})


def serve(net: Network, a: str, b: str, n: int, **options: Any) -> simpy.Process:
    """Request n pairs and use each one as it arrives (frees its memory)."""
    box = simpy.Store(net.env)

    def use() -> Generator[simpy.Event, Any, None]:
        while True:
            pair = yield box.get()
            net.consume_pair(pair)

    net.env.process(use())
    return request_pairs(net, a, b, n, deliver_to=box, **options)


def finish(net: Network, process: simpy.Process) -> RequestResult:
    net.env.run(until=process)
    return process.value


def test_swapping_two_werner_pairs_gives_the_product_of_werner_parameters() -> None:
    net = Network(chain(2, [0.9, 0.8]), seed=1, memory_split="per_link")
    result = finish(net, serve(net, "n0", "n2", 20))
    expected = fidelity_from_werner(werner_parameter(0.9) * werner_parameter(0.8))
    assert len(result.deliveries) == 20
    assert all(d.fidelity == pytest.approx(expected, abs=1e-12) for d in result.deliveries)
    assert net.ledger.nodes["n1"].swaps == 20


@pytest.mark.parametrize("n_links", [3, 5])
@pytest.mark.parametrize("two_qubit_error, readout_error", [(0.0, 0.0), (0.02, 0.01)])
def test_n_hop_chain_matches_the_closed_form(n_links: int, two_qubit_error: float, readout_error: float) -> None:
    topology = chain(n_links, [0.93] * n_links, node={"readout_error": readout_error})
    topology = topology_from_data(
        {
            "nodes": [
                {**n.model_dump(), "gates": {**FAST_GATES, "two_qubit_error": two_qubit_error}} for n in topology.nodes
            ],
            "links": [link.model_dump() for link in topology.links],
        }
    )
    net = Network(topology, seed=2, memory_split="per_link")
    result = finish(net, serve(net, "n0", f"n{n_links}", 10))
    bsm = BellMeasurement(depolarizing=two_qubit_error, readout_error=readout_error)
    assert all(d.fidelity == pytest.approx(chain_fidelity(0.93, n_links, bsm), abs=1e-12) for d in result.deliveries)


def test_decoherence_while_waiting_for_swap_notices_matches_the_closed_form() -> None:
    coherence_s, f0 = 0.01, 0.97
    means = []
    for n_links in (2, 3, 4):
        topology = chain(
            n_links, [f0] * n_links, node={"memory": {"coherence_time_s": coherence_s}}, lengths_km=[20.0] * n_links
        )
        net = Network(topology, seed=3, memory_split="per_link")
        result = finish(net, serve(net, "n0", f"n{n_links}", 15))
        notice_s = max(
            path_latency_s(topology, net.route(f"n{j}", end), 2)
            for j in range(1, n_links)
            for end in ("n0", f"n{n_links}")
        )
        for d in result.deliveries:
            assert to_seconds(d.delivered_tick - d.swap_tick) == pytest.approx(notice_s, abs=2e-9 * n_links)
            # each link qubit decays from its storage to the swap; the end qubits also during the notices
            exponent = (to_seconds(d.link_wait_ticks) + 2 * to_seconds(d.delivered_tick - d.swap_tick)) / coherence_s
            w = werner_parameter(f0) ** n_links * math.exp(-exponent)
            assert d.fidelity == pytest.approx(fidelity_from_werner(w), abs=1e-9)
            assert d.fidelity < fidelity_from_werner(werner_parameter(f0) ** n_links)
        means.append(np.mean([d.fidelity for d in result.deliveries]))
    assert means[0] > means[1] > means[2]


def test_end_to_end_rate_equals_the_slow_link_rate_when_the_other_link_is_much_faster() -> None:
    # a - r fast (1 km, ~150x the pairs of the slow link), r - b slow (efficiency 0.2): with memory to
    # buffer the fast link's pairs, every slow pair is swapped at once, so R_e2e = R_slow = p / period.
    topology = topology_from_data(
        {
            "nodes": [{"name": x, "qubits": 8, "gates": FAST_GATES} for x in ("a", "r", "b")],
            "links": [
                {"between": ["a", "r"], "length_km": 1.0, "quantum": {"source_rate_hz": 1e6}},
                {"between": ["r", "b"], "length_km": 5.0, "quantum": {"source_rate_hz": 1e6, "source_efficiency": 0.2}},
            ],
        }
    )
    slow, fast = expected_link(topology, topology.links[1]), expected_link(topology, topology.links[0])
    assert fast.pair_rate_hz > 15 * slow.pair_rate_hz
    duration_s = 2.0
    net = Network(topology, seed=4, memory_split="per_link")
    serve(net, "a", "b", 10**9)
    net.run(to_ticks(duration_s))
    swaps = net.ledger.nodes["r"].swaps
    assert swaps > 1000
    assert abs(swaps / duration_s - slow.pair_rate_hz) < 4 * slow.rate_standard_error_hz(duration_s)
    assert net.ledger.links["r-b"].memory_wait_ticks < to_ticks(0.01 * duration_s)


def test_cutoff_discards_are_counted_and_pairs_are_accounted_for() -> None:
    topology = topology_from_data(
        {
            "nodes": [
                {"name": x, "qubits": 4, "gates": FAST_GATES, "memory": {"cutoff_s": 2e-4}} for x in ("a", "r", "b")
            ],
            "links": [
                {"between": ["a", "r"], "length_km": 1.0, "quantum": {"source_rate_hz": 1e6}},
                {"between": ["r", "b"], "length_km": 5.0, "quantum": {"source_rate_hz": 1e6, "source_efficiency": 0.2}},
            ],
        }
    )
    net = Network(topology, seed=5, memory_split="per_link")
    result = finish(net, serve(net, "a", "b", 200))
    counters = net.ledger.links["a-r"]
    assert counters.discarded_by_reason["cutoff"] > 50
    assert counters.pairs_discarded == sum(counters.discarded_by_reason.values())
    for name, link in net.quantum_links.items():
        c = net.ledger.links[name]
        assert c.pairs_delivered == c.pairs_consumed + c.pairs_discarded + len(link.pairs.items)
    assert len(result.pairs) == 200
    assert all(p.status == "consumed" for p in result.pairs)


@pytest.mark.parametrize("protocol, target, rounds", [("bbpssw", 0.83, 1), ("dejmps", 0.83, 1), ("dejmps", 0.9, 2)])
def test_purification_reaches_the_published_fidelity_and_is_counted(protocol: str, target: float, rounds: int) -> None:
    werner = np.array([0.8, 0.2 / 3, 0.2 / 3, 0.2 / 3])
    first = (bbpssw if protocol == "bbpssw" else dejmps)(werner, werner)
    second = dejmps(first.coefficients, first.coefficients)
    expected = first if rounds == 1 else second
    net = Network(chain(1, [0.8], lengths_km=[2.0]), seed=6, memory_split="per_link")
    result = finish(net, serve(net, "n0", "n1", 200, min_fidelity=target, protocol=protocol))
    assert result.status == "done"
    assert all(d.fidelity == pytest.approx(expected.fidelity, abs=1e-12) for d in result.deliveries)
    assert all(d.purification_rounds == rounds for d in result.deliveries)
    assert purify_until(werner, target, protocol).rounds == rounds  # type: ignore[arg-type]
    counters = net.ledger.nodes["n0"]
    n, successes = counters.purification_attempts, counters.purification_successes
    # a depth-r recurrence tree has 2^r - 1 successful rounds; a failed round also wastes the successes below it
    assert successes >= 200 * (2**rounds - 1)
    if rounds == 1:
        assert successes == 200
        p = first.success_probability
        assert abs(successes / n - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert net.ledger.links["n0-n1"].discarded_by_reason["purification_failed"] == n - successes


def test_purification_gives_up_with_a_clear_status_when_the_pair_is_not_distillable() -> None:
    net = Network(chain(1, [0.5]), seed=7, memory_split="per_link")
    result = finish(net, serve(net, "n0", "n1", 3, min_fidelity=0.9))
    assert (result.status, result.reason, result.pairs) == ("gave_up", "not_distillable", [])
    assert net.ledger.links["n0-n1"].discarded_by_reason["purification_gave_up"] == 1


def test_memory_capacity_is_never_exceeded() -> None:
    topology = chain(3, [0.9] * 3)
    topology = topology_from_data(
        {
            "nodes": [{**n.model_dump(), "qubits": 2 if n.name in ("n1", "n2") else 3} for n in topology.nodes],
            "links": [link.model_dump() for link in topology.links],
        }
    )
    net = Network(topology, seed=8, memory_split="per_link")
    peaks: dict[str, int] = {}

    def watch() -> Generator[simpy.Event, Any, None]:
        while True:
            for name, node in net.nodes.items():
                assert node.memory is not None and node.memory.in_use <= node.memory.capacity
                peaks[name] = max(peaks.get(name, 0), node.memory.in_use)
            for share in net.shares.values():
                assert share.in_use <= share.quota
            yield net.env.timeout(to_ticks(1e-5))

    net.env.process(watch())
    result = finish(net, serve(net, "n0", "n3", 30, min_fidelity=0.8))
    assert len(result.pairs) == 30
    assert peaks["n1"] == 2 and peaks["n0"] == 3


def test_a_request_waits_for_memory_and_fails_past_its_deadline() -> None:
    net = Network(chain(1, node={"qubits": 1}), seed=9)
    first = request_pairs(net, "n0", "n1", 1)
    net.env.run(until=first)
    held = first.value.pairs[0]  # the only qubit of n0 is taken until this pair is used
    second = request_pairs(net, "n0", "n1", 1, deadline_s=1e-3)
    with pytest.raises(ResourceExhausted, match=r"between 'n0' and 'n1' .*missed its deadline of 0.001 s with 0"):
        net.env.run(until=second)
    third = request_pairs(net, "n0", "n1", 1)
    release_at = net.now + to_ticks(5e-3)
    net.env.timeout(to_ticks(5e-3)).callbacks.append(lambda _e: net.consume_pair(held))
    net.env.run(until=third)
    assert third.value.deliveries[0].delivered_tick > release_at


def test_same_seed_gives_the_same_deliveries() -> None:
    def once(seed: int) -> list[tuple[int, int, float]]:
        net = Network(
            chain(3, [0.9] * 3, node={"memory": {"t1_s": 1.0, "t2_s": 0.1}}), seed=seed, memory_split="per_link"
        )
        result = finish(net, serve(net, "n0", "n3", 6, min_fidelity=0.9))
        return [(d.pair_id, d.delivered_tick, d.fidelity) for d in result.deliveries]

    assert once(10) == once(10)
    assert once(10) != once(11)


def test_exact_and_fast_paths_agree_for_depolarizing_memories() -> None:
    topology = chain(3, [0.92] * 3, node={"qubits": 8, "memory": {"coherence_time_s": 0.02}}, lengths_km=[15.0] * 3)
    records = []
    for model in ("bell_diagonal", "density_matrix"):
        net = Network(topology, seed=12, memory_split="per_link", pair_model=model)  # type: ignore[arg-type]
        result = finish(net, serve(net, "n0", "n3", 10, min_fidelity=0.9))
        records.append([(d.delivered_tick, d.fidelity) for d in result.deliveries])
    assert [t for t, _ in records[0]] == [t for t, _ in records[1]]
    assert np.allclose([f for _, f in records[0]], [f for _, f in records[1]], atol=1e-10)


def test_a_consumed_pair_cannot_be_used_again() -> None:
    net = Network(chain(2), seed=13, memory_split="per_link")
    result = finish(net, request_pairs(net, "n0", "n2", 1))
    pair: Pair = result.pairs[0]
    net.consume_pair(pair)
    with pytest.raises(ProtocolError, match=r"pair \d+ on n0~n2 is consumed"):
        net.consume_pair(pair)
    assert net.ledger.paths["n0~n2"].e2e_pairs_consumed == 1


def test_routing_by_hops_rate_or_fidelity() -> None:
    q = {"source_rate_hz": 1e6}
    topology = topology_from_data(
        {
            "nodes": [{"name": x, "qubits": 4} for x in ("a", "m", "x", "y", "b")],
            "links": [
                {"between": ["a", "m"], "length_km": 40.0, "quantum": {**q, "source_fidelity": 0.8}},
                {"between": ["m", "b"], "length_km": 40.0, "quantum": {**q, "source_fidelity": 0.8}},
                {"between": ["a", "x"], "length_km": 2.0, "quantum": q},
                {"between": ["x", "y"], "length_km": 2.0, "quantum": q},
                {"between": ["y", "b"], "length_km": 2.0, "quantum": q},
            ],
        }
    )
    assert quantum_path(topology, "a", "b", "hops") == ["a", "m", "b"]
    assert quantum_path(topology, "a", "b", "fidelity") == ["a", "x", "y", "b"]
    assert quantum_path(topology, "a", "b", "rate") == ["a", "x", "y", "b"]
    with pytest.raises(NoRouteError, match="node 'zz' has no quantum link"):
        quantum_path(topology, "a", "zz")
