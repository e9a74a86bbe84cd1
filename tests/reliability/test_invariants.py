"""Run-time invariant guards (always on): each pair used once, memory capacity, time order, ledger totals."""

from __future__ import annotations

from pathlib import Path

import pytest

from qnet_dqnn.errors import ProtocolError, ResourceExhausted, SimulationError
from qnet_dqnn.net import Network
from qnet_dqnn.net.ledger import Ledger
from qnet_dqnn.net.trace import Trace
from qnet_dqnn.scenario.runner import run
from qnet_dqnn.topology import TopologySpec, topology_from_data
from qnet_dqnn.units import to_ticks

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def one_link(qubits: int = 2) -> TopologySpec:
    return topology_from_data(
        {
            "nodes": [{"name": "a", "qubits": qubits}, {"name": "b", "qubits": qubits}],
            "links": [{"between": ["a", "b"], "length_km": 5.0, "quantum": {"source_rate_hz": 1e6}}],
        }
    )


def a_pair(net: Network):  # noqa: ANN201
    net.start_generation()
    get = net.quantum_links["a-b"].pairs.get()
    net.env.run(until=get)
    return get.value


# -- each pair used once ------------------------------------------------------------------------------


@pytest.mark.parametrize("first", ["consume", "discard"])
@pytest.mark.parametrize("then", ["consume", "discard", "state"])
def test_a_used_pair_cannot_be_used_again(first: str, then: str) -> None:
    net = Network(one_link(), seed=0)
    pair = a_pair(net)
    if first == "consume":
        net.consume_pair(pair)
    else:
        net.discard_pair(pair, "test")
    in_use = net.nodes["a"].memory.in_use  # type: ignore[union-attr]
    ledger = net.ledger.to_dict()
    with pytest.raises(ProtocolError, match=f"pair {pair.pair_id} on a-b is (consumed|discarded:test)"):
        if then == "consume":
            net.consume_pair(pair)
        elif then == "discard":
            net.discard_pair(pair, "again")
        else:
            net.pair_state(pair)
    # the refused use changed nothing: no qubit freed twice, nothing counted twice
    assert net.nodes["a"].memory.in_use == in_use  # type: ignore[union-attr]
    assert net.ledger.to_dict() == ledger
    net.ledger.check()


def test_memory_capacity_is_never_exceeded() -> None:
    net = Network(one_link(qubits=2), seed=0)
    memory = net.nodes["a"].memory
    assert memory is not None
    memory.take()
    memory.take()
    with pytest.raises(ResourceExhausted, match="memory of node 'a' is full"):
        memory.take()
    memory.release()
    memory.release()
    with pytest.raises(ResourceExhausted, match="released more qubits than it held"):
        memory.release()


def test_generation_keeps_memory_within_capacity() -> None:
    net = Network(one_link(qubits=3), seed=0)
    net.start_generation()
    peak = 0
    for i in range(1, 50):
        net.run(to_ticks(i * 1e-5))
        peak = max(peak, net.nodes["a"].memory.in_use)  # type: ignore[union-attr]
    assert peak == 3


# -- simulated time never goes backwards -----------------------------------------------------------------


@pytest.mark.parametrize("enabled", [True, False])
def test_an_event_earlier_than_the_last_one_raises(enabled: bool) -> None:
    trace = Trace(enabled=enabled)
    trace.record(10, "a", "send")
    trace.record(10, "a", "receive")  # the same tick is fine
    with pytest.raises(SimulationError, match="time went backwards: send at b at tick 9 after tick 10"):
        trace.record(9, "b", "send")


def test_an_activity_ending_before_the_last_event_raises() -> None:
    trace = Trace()
    trace.record(100, "a", "send")
    trace.activity("a", "compute", 0, 100)  # started earlier, ends now: fine
    with pytest.raises(SimulationError, match="end of compute of 'a' at tick 99 after tick 100"):
        trace.activity("a", "compute", 50, 99)


def test_time_guard_catches_a_late_record_from_a_simulation() -> None:
    net = Network(one_link(), seed=0, trace=False)
    net.start_generation()
    net.run(to_ticks(1e-4))
    net.trace.record(net.now, "a", "ok")
    with pytest.raises(SimulationError, match="went backwards"):
        net.trace.record(net.now - 1, "a", "late")


# -- ledger totals equal the sums of the entries ---------------------------------------------------------


def test_a_consistent_ledger_passes() -> None:
    net = Network(one_link(), seed=0)
    pair = a_pair(net)
    net.consume_pair(pair)
    net.ledger.check()


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda L: setattr(L.links["a-b"], "pairs_consumed", 5), "5 pairs consumed or discarded but only 1"),
        (lambda L: setattr(L.nodes["a"], "swaps", -1), "node 'a': swaps is negative"),
        (lambda L: L.links["a-b"].discarded_by_reason.update(["cutoff"]), "discarded_by_reason sums to 1, not 0"),
        (lambda L: L.path("a~b").e2e_discarded_by_reason.update(["x"]), "e2e_discarded_by_reason sums to 1"),
        (lambda L: setattr(L, "totals", lambda: {"attempts": 0}), "totals: attempts is 0, the entries sum to 7"),
    ],
)
def test_an_inconsistent_ledger_raises(break_it, message: str) -> None:  # noqa: ANN001
    ledger = Ledger(["a-b"], ["a", "b"])
    ledger.links["a-b"].attempts = 7
    ledger.links["a-b"].pairs_delivered = 1
    ledger.check()
    break_it(ledger)
    with pytest.raises(SimulationError, match=message):
        ledger.check()


def test_the_runner_checks_the_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Ledger] = []
    original = Ledger.check

    def spy(self: Ledger) -> None:
        calls.append(self)
        original(self)

    monkeypatch.setattr(Ledger, "check", spy)
    run(SCENARIOS / "characterize_two_site.yaml")
    assert len(calls) == 1


def test_the_runner_refuses_a_broken_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Network.settle

    def corrupt(self: Network) -> None:
        original(self)
        next(iter(self.ledger.links.values())).pairs_consumed += 10**6

    monkeypatch.setattr(Network, "settle", corrupt)
    with pytest.raises(SimulationError, match="ledger check failed"):
        run(SCENARIOS / "characterize_two_site.yaml")


# -- the shipped scenarios still run with every guard on -------------------------------------------------


@pytest.mark.parametrize("name", ["characterize_metro", "distribute_chain_purified", "distribute_metro"])
def test_shipped_scenarios_run_with_the_guards_on(name: str) -> None:
    result = run(SCENARIOS / f"{name}.yaml")
    assert result.ledger["totals"]["pairs_delivered"] > 0
