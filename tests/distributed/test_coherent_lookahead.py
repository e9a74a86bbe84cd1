"""Look-ahead pair requests (``lookahead_pairs``): the hold time follows from the look-ahead and the memory,
older pairs decay as the closed form says, and without look-ahead the QPUs wait for every pair."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from qnet_dqnn.distributed.coherent import (
    CoherentOptions,
    effective_lookahead,
    lookahead_hold_s,
    plan_partition,
    step_workload,
)
from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.distributed.partition import pair_slots
from qnet_dqnn.distributed.spec import ModelSpec, build_model
from qnet_dqnn.physics import storage_before_herald_s
from qnet_dqnn.physics.decoherence import werner_fidelity_after_depolarizing
from qnet_dqnn.topology import TopologySpec, load_topology
from qnet_dqnn.units import to_seconds, to_ticks

ROOT = Path(__file__).resolve().parents[2]
SMALL = load_topology(ROOT / "topologies" / "small_qpus.yaml")
COMMON: dict[str, Any] = {
    "noise": False,
    "batch_size": 4,
    "shots": 10,
    "estimator": "exact",
    "dataset": {"samples": 40, "validation_samples": 10},
}
MODEL = {"qubits": 4, "layers": 1}
#: Two qubits on each QPU: CNOT(1, 2) is the one remote gate.
PLACEMENT = {"qpu_a": [0, 1], "qpu_b": [2, 3]}
#: Depolarizing memory time of the test QPUs (in s): a few shots' hold visibly ages a pair.
COHERENCE_S = 2.0e-4


#: T1 of the dephasing test memories (in s): long enough that amplitude damping is below 1e-9 over a hold.
LONG_T1_S = 1.0e6


def pair_nodes(
    coherence_time_s: float | None = None, source_rate_hz: float = 1.0e6, t2_s: float | None = None
) -> TopologySpec:
    """small_qpus with 8-qubit qpu_a and qpu_b whose every qubit may hold pairs, optionally depolarizing
    (``coherence_time_s``) or dephasing (``t2_s``, with T1 = :data:`LONG_T1_S`)."""
    data = SMALL.model_dump()
    for node in data["nodes"]:
        if node["name"] in ("qpu_a", "qpu_b"):
            node["qubits"], node["communication_qubits"] = 8, None
            if coherence_time_s is not None:
                node["memory"] = {"coherence_time_s": coherence_time_s}
            if t2_s is not None:
                node["memory"] = {"t1_s": LONG_T1_S, "t2_s": t2_s}
    data["links"][2]["quantum"]["source_rate_hz"] = source_rate_hz
    return TopologySpec.model_validate(data)


def run(topology: TopologySpec, **strategy: Any) -> Any:
    options = {
        "type": "coherent",
        "nodes": ["qpu_a", "qpu_b"],
        "placement": PLACEMENT,
        "representative_pairs": 8,
        **strategy,
    }
    return train_on(topology, options, seed=1, max_steps=1, model=MODEL, **COMMON)


def uses_per_shot(topology: TopologySpec) -> int:
    options = CoherentOptions.model_validate({"type": "coherent", "nodes": ["qpu_a", "qpu_b"], "placement": PLACEMENT})
    model = build_model(ModelSpec(**MODEL))
    part = plan_partition(model.circuit, topology, options)
    work = step_workload(model.circuit, part.assignment, 1, 1, remote_gates="auto")
    return sum(work.pairs.values()) // work.circuits


def test_hold_and_its_memory_cap() -> None:
    assert lookahead_hold_s(3, 6e-6, 2) == pytest.approx(9e-6)  # 3 uses ahead, 3 µs between uses
    assert lookahead_hold_s(0, 6e-6, 2) == 0.0
    assert [effective_lookahead(4, m) for m in (0, 1, 2, 5, 6)] == [0, 0, 1, 4, 4]
    with pytest.raises(ValueError, match="uses_per_shot"):
        lookahead_hold_s(1, 1e-6, 0)
    # qubits that hold no data can hold pairs, up to the memory capacity
    assert pair_slots(SMALL, "qpu_a", ["qpu_a", "qpu_a", "qpu_b", "qpu_b"]) == 2  # 2 communication qubits
    assert pair_slots(pair_nodes(), "qpu_a", ["qpu_a", "qpu_a", "qpu_b", "qpu_b"]) == 6


def ages_at_delivery(topology: TopologySpec) -> tuple[float, float]:
    """How long each half of a pair has been in memory when its herald delivers it (in s, per end)."""
    link = topology.links[2]
    a, b = storage_before_herald_s(link.quantum.heralding, link.length_km)
    return to_seconds(to_ticks(a)), to_seconds(to_ticks(b))


@pytest.mark.parametrize("lookahead", [0, 1, 3])
def test_older_pairs_decay_as_the_closed_form_says(lookahead: int) -> None:
    topology = pair_nodes(COHERENCE_S)
    ctx = run(topology, lookahead_pairs=lookahead)
    hold_s = to_seconds(to_ticks(lookahead_hold_s(lookahead, ctx.extra_metrics["shot_s"], uses_per_shot(topology))))
    # each half waits in its depolarizing memory from its storage to the herald, then the hold:
    # F = 1/4 + 3/4·exp(-(t_a + t_b)/T) (Dür & Briegel 2007)
    t_a, t_b = ages_at_delivery(topology)
    expected = werner_fidelity_after_depolarizing(1.0, t_a + hold_s, t_b + hold_s, COHERENCE_S)
    assert ctx.extra_metrics["pair_fidelity"] == pytest.approx(expected, abs=1e-9)
    assert (hold_s > 0) == (lookahead > 0)


@pytest.mark.parametrize("lookahead", [0, 2])
def test_older_pairs_dephase_as_the_closed_form_says(lookahead: int) -> None:
    topology = pair_nodes(t2_s=COHERENCE_S)
    ctx = run(topology, lookahead_pairs=lookahead)
    hold_s = to_seconds(to_ticks(lookahead_hold_s(lookahead, ctx.extra_metrics["shot_s"], uses_per_shot(topology))))
    # pure dephasing multiplies the Φ+ coherence by exp(-t/T2) per qubit: F = (1 + exp(-(t_a + t_b)/T2))/2
    t_a, t_b = ages_at_delivery(topology)
    expected = (1.0 + math.exp(-(t_a + t_b + 2 * hold_s) / COHERENCE_S)) / 2.0
    assert ctx.extra_metrics["pair_fidelity"] == pytest.approx(expected, abs=1e-9)


def test_longer_lookahead_means_older_pairs_until_the_memory_is_full() -> None:
    topology = pair_nodes(COHERENCE_S)
    fidelity = {L: run(topology, lookahead_pairs=L).extra_metrics["pair_fidelity"] for L in (0, 1, 2, 4, 100)}
    t_a, t_b = ages_at_delivery(topology)  # without look-ahead a pair is used as soon as it is delivered
    assert fidelity[0] == pytest.approx(werner_fidelity_after_depolarizing(1.0, t_a, t_b, COHERENCE_S), abs=1e-12)
    assert fidelity[0] > fidelity[1] > fidelity[2] > fidelity[4]
    slots = 8 - 2  # qubits of qpu_a or qpu_b not holding the model's data (2 of its 4 qubits each)
    assert fidelity[100] == run(topology, lookahead_pairs=slots - 1).extra_metrics["pair_fidelity"]
    # hold_s overrides the look-ahead
    assert run(topology, lookahead_pairs=4, hold_s=0.0).extra_metrics["pair_fidelity"] == fidelity[0]


def test_without_lookahead_the_qpus_wait_for_every_pair_then_compute() -> None:
    topology = pair_nodes(source_rate_hz=2.0e3)  # slow source: pair supply is the longer part
    serial, overlapped = run(topology, lookahead_pairs=0), run(topology, lookahead_pairs=1)
    for ctx in (serial, overlapped):
        assert ctx.extra_metrics["wait_pairs_s"] > 0
    waits = {a.node: a for a in serial.network.trace.activities if a.kind == "wait_pairs"}
    computes = {a.node: a for a in serial.network.trace.activities if a.kind == "compute"}
    assert set(waits) == set(computes) == {"qpu_a", "qpu_b"}
    shots_ticks = computes["qpu_a"].end_tick - computes["qpu_a"].start_tick
    options = CoherentOptions.model_validate({"type": "coherent", "nodes": ["qpu_a", "qpu_b"], "placement": PLACEMENT})
    model = build_model(ModelSpec(**MODEL))
    shots = step_workload(model.circuit, plan_partition(model.circuit, topology, options).assignment, 4, 10).shots
    assert shots_ticks == to_ticks(shots * serial.extra_metrics["shot_s"])
    for node in ("qpu_a", "qpu_b"):  # step = supply (the wait) + compute, one after the other
        assert waits[node].start_tick == 0 and computes[node].start_tick == waits[node].end_tick
        assert computes[node].end_tick == serial.network.now == waits[node].end_tick + shots_ticks
    assert to_ticks(serial.extra_metrics["wait_pairs_s"]) == waits["qpu_a"].end_tick
    # with look-ahead the shots run while the pairs are made: the step is the longer of the two
    assert all(a.start_tick == 0 for a in overlapped.network.trace.activities if a.kind == "compute")
    assert overlapped.network.now < serial.network.now
