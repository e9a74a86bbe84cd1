"""The pipeline (vertical) split: over perfect pairs it is the single QPU to 1e-10; its teleport channel is the
explicit protocol's; its step time is the pipeline formula; bad stages name their field."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qnet_dqnn.config import parse_yaml
from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.distributed.pipeline import PERFECT, pipeline_circuit, pipeline_timing, segments, step_seconds
from qnet_dqnn.distributed.spec import ModelSpec, build_model
from qnet_dqnn.errors import QnetError, ScenarioError, TopologyError
from qnet_dqnn.physics.bell_diagonal import werner_state
from qnet_dqnn.physics.teleportation import teleport_outcomes
from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.quantum.density_matrix import density_matrix
from qnet_dqnn.quantum.statevector import expectation, statevector
from qnet_dqnn.scenario import scenario_from_data
from qnet_dqnn.topology import TopologySpec, load_topology, topology_from_data

ROOT = Path(__file__).resolve().parents[2]
COMMON: dict[str, Any] = {
    "model": {"qubits": 3, "layers": 3},
    "dataset": {"samples": 40, "validation_samples": 10},
    "noise": False,
    "batch_size": 4,
    "max_steps": 3,
    "target_accuracy": None,
    "shots": 20,
    "estimator": "exact",
}
THREE = [{"node": "q0", "layers": 1}, {"node": "q1", "layers": 1}, {"node": "q2", "layers": 1}]


@pytest.fixture(scope="module")
def star4() -> TopologySpec:
    return load_topology(ROOT / "topologies" / "star4.yaml")  # perfect pairs (source fidelity 1, ideal memories)


def test_over_perfect_pairs_the_pipeline_is_the_single_qpu(star4: TopologySpec) -> None:
    single = train_on(star4, {"type": "single", "node": "q0"}, **COMMON)
    piped = train_on(star4, {"type": "pipeline", "stages": THREE}, **COMMON)
    assert piped.recorder.losses == pytest.approx(single.recorder.losses, abs=1e-10)
    assert piped.extra_metrics["output_fidelity"] == pytest.approx(1.0, abs=1e-10)
    assert np.allclose(piped.final_params, single.final_params, atol=1e-10)
    # and the circuit it computes gives the single QPU's outputs on fresh inputs and parameters
    model = build_model(ModelSpec(qubits=3, layers=3))
    parts = segments(model, [1, 2])
    rng = np.random.default_rng(0)
    params, x = model.init_params(rng), rng.uniform(0, np.pi, size=(5, 3))
    data = model.encoding.transform(x)
    whole = expectation(model.circuit, model.observables, params, data)
    piped_circuit = pipeline_circuit(parts, [PERFECT], [None, None])
    assert expectation(piped_circuit, model.observables, params, data) == pytest.approx(whole, abs=1e-10)


def test_every_boundary_costs_n_pairs_and_teleports_per_shot(star4: TopologySpec) -> None:
    ctx = train_on(star4, {"type": "pipeline", "stages": THREE}, **COMMON)
    nodes, ledger = ctx.network.ledger.nodes, ctx.network.ledger
    shots = nodes["q0"].shots
    assert shots == nodes["q1"].shots == nodes["q2"].shots > 0
    assert nodes["q0"].teleports == nodes["q1"].teleports == 3 * shots and nodes["q2"].teleports == 0
    consumed = {name: p.e2e_pairs_consumed for name, p in ledger.paths.items()}
    assert consumed == {"q0~q1": 3 * shots, "q1~q2": 3 * shots}  # every pair scheduled, none scaled
    # the pairs come from the timeline: each swap at the hub made one, each consumed pair is in the record
    assert nodes["hub"].swaps == 6 * shots
    assert {k: r["count"] for k, r in ledger.consumed_pairs.items()} == {"q0~q1": 3 * shots, "q1~q2": 3 * shots}
    assert ledger.links["hub-q1"].pairs_consumed == 6 * shots  # q1 receives at boundary 0 and sends at 1
    assert ctx.extra_metrics["boundary0_pair_fidelity"] == pytest.approx(1.0)
    assert not any(link.discarded_by_reason.get("stale") for link in ledger.links.values())


def test_teleport_channel_is_the_explicit_protocols() -> None:
    c = np.array([0.82, 0.08, 0.06, 0.04])  # a Bell-diagonal pair, not Werner
    before, after = Circuit(1).ry(0, 0.7).rz(0, 0.2), Circuit(1).rx(0, 0.4)
    rho = density_matrix(pipeline_circuit([before, after], [c], [None, None]))[0]
    sent = density_matrix(before)[0]
    arrived = teleport_outcomes(sent, c).average
    rx = np.array([[math.cos(0.2), -1j * math.sin(0.2)], [-1j * math.sin(0.2), math.cos(0.2)]])
    assert rho == pytest.approx(rx @ arrived @ rx.conj().T, abs=1e-12)
    # a Bell state whose two halves cross a Werner boundary keeps fidelity (1 + 3w²)/4
    bell = Circuit(2).h(0).cx(0, 1)
    w = (4 * 0.9 - 1) / 3
    out = density_matrix(pipeline_circuit([bell, Circuit(2)], [werner_state(0.9)], [None, None]))[0]
    phi = np.array([1, 0, 0, 1]) / math.sqrt(2)
    assert (phi.conj() @ out @ phi).real == pytest.approx((1 + 3 * w * w) / 4, abs=1e-12)


def test_step_time_is_latency_plus_periods_and_pipelining_helps_until_pairs_limit() -> None:
    assert step_seconds(10, *pipeline_timing([1.0, 2.0], [0.5], [0.0], 1)) == pytest.approx(3.5 * 10)
    assert step_seconds(10, *pipeline_timing([1.0, 2.0], [0.5], [0.0], 8)) == pytest.approx(3.5 + 9 * 2.0)
    assert step_seconds(10, *pipeline_timing([1.0, 2.0], [0.5], [4.0], 8)) == pytest.approx(3.5 + 9 * 4.0)
    with pytest.raises(QnetError):
        pipeline_timing([1.0], [], [], 0)


def _two_qpus(rate_hz: float) -> TopologySpec:
    """q0 -- q1 on one 10 km link whose source runs at ``rate_hz``; memories ideal, 100 qubits each."""
    path = ROOT / "topologies" / "star4.yaml"
    data = parse_yaml(path.read_text(encoding="utf-8"), str(path), TopologyError)
    data["defaults"]["link"]["quantum"]["source_rate_hz"] = rate_hz
    data["defaults"]["node"]["qubits"] = 100
    data["nodes"] = [n for n in data["nodes"] if n["name"] in ("q0", "q1")]
    data["links"] = [{"between": ["q0", "q1"], "length_km": 10.0}]
    return topology_from_data(data)


def test_a_slow_link_sets_the_pace_at_its_rate() -> None:
    """Over a 2 kHz source the pairs, not the gates, set the pace: the shots pass the boundary at the link's rate
    p/T (the closed form of heralded generation: a geometric number of attempts of period T per pair, mean T/p,
    sd T·sqrt(1 − p)/p), and the stalls are what the step took beyond its compute time."""
    fast_topology, slow_topology = _two_qpus(1e6), _two_qpus(2e3)
    stages = {"type": "pipeline", "stages": THREE[:2], "in_flight": 1}
    common = {**COMMON, "model": {"qubits": 3, "layers": 2}, "max_steps": 1}
    fast, slow = train_on(fast_topology, stages, **common), train_on(slow_topology, stages, **common)
    assert slow.network.now > 5 * fast.network.now
    link = slow.network.quantum_links["q0-q1"]
    p, period_s = link.success_probability, link.period_ticks * 1e-9
    pairs = int(slow.extra_metrics["pairs_consumed"])
    assert pairs == 3 * slow.network.ledger.nodes["q0"].shots and pairs > 1000
    step_s = slow.network.now * 1e-9
    # the pairs of the step came at the link's pace: n·T/p each, within 4 sd, plus one shot's latency at most
    expected, sd = pairs * period_s / p, 4 * period_s * np.sqrt(pairs * (1 - p)) / p
    latency = slow.extra_metrics["shot_latency_s"]
    assert expected - sd < step_s < expected + sd + latency + period_s
    assert slow.extra_metrics["shot_period_s"] == pytest.approx(3 * period_s / p, rel=0.1)
    assert slow.extra_metrics["boundary0_pair_period_s"] == pytest.approx(slow.extra_metrics["shot_period_s"], rel=0.05)
    assert slow.extra_metrics["wait_pairs_s"] > 0.5 * step_s and fast.extra_metrics["wait_pairs_s"] < 0.5 * step_s


def test_same_seed_same_pairs(star4: TopologySpec) -> None:
    werner = load_topology(ROOT / "topologies" / "star4_werner.yaml")
    runs = [train_on(werner, {"type": "pipeline", "stages": THREE}, seed=seed, **COMMON) for seed in (3, 3, 4)]
    a, b, c = ([r.network.ledger.to_dict(), r.extra_metrics, r.network.now] for r in runs)
    assert a == b
    assert a[0]["consumed_pairs"] != c[0]["consumed_pairs"] or a[2] != c[2]


def _scenario(strategy: dict[str, Any], **workload: Any) -> dict[str, Any]:
    return {
        "name": "t",
        "topology": str(ROOT / "topologies" / "star4.yaml"),
        "stop": {"simulated_time_s": 1e6},
        "workload": {"type": "train", "strategy": {"type": "pipeline", **strategy}, **{**COMMON, **workload}},
    }


@pytest.mark.parametrize(
    "strategy, workload, field, reason",
    [
        ({"stages": THREE[:2]}, {}, "workload.strategy.stages", "the stages cover 2 layers but the model has 3"),
        ({"stages": THREE + [{"node": "q3", "layers": 1}]}, {}, "workload.strategy.stages", "cover 4 layers"),
        ({"stages": [{"node": "q0", "layers": 0}]}, {}, "workload.strategy.stages[0].layers", "greater than or equal"),
        ({"stages": [*THREE[:2], {"node": "q9", "layers": 1}]}, {}, "workload.strategy.stages[2].node", "unknown node"),
        ({"stages": [*THREE[:2], {"node": "q0", "layers": 1}]}, {}, "workload.strategy.stages[2].node", "already runs"),
        ({"stages": [*THREE[:2], {"node": "hub", "layers": 1}]}, {}, "workload.strategy.stages[2].node", "repeater"),
        ({"stages": []}, {}, "workload.strategy.stages", "at least 1 item"),
        ({"stages": THREE, "in_flight": 0}, {}, "workload.strategy.in_flight", "greater than or equal to 1"),
    ],
)
def test_bad_stages_name_the_field(strategy: dict[str, Any], workload: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(_scenario(strategy, **workload), "s.yaml")
    lines = str(info.value).splitlines()
    assert any(line.startswith(f"s.yaml: {field}: ") and reason in line for line in lines), str(info.value)


def test_segments_refuse_stages_that_do_not_cover_the_model() -> None:
    model = build_model(ModelSpec(qubits=2, layers=3))
    assert sum(len(p.ops) for p in segments(model, [2, 1])) == len(model.circuit.ops)
    with pytest.raises(QnetError, match="cover 2 layers"):
        segments(model, [1, 1])
    with pytest.raises(QnetError, match="at least one layer"):
        segments(model, [3, 0])


def test_output_fidelity_over_werner_pairs_is_the_pauli_twirl_of_the_first_stages_state() -> None:
    """Over Werner pairs the teleports are a depolarizing channel on every qubit, so (the second stage's unitary
    cancelling) F_out = Σ_P w_P |⟨φ|P|φ⟩|² over n-qubit Paulis, φ the first stage's ideal output, w_P the
    product of (F, (1−F)/3, (1−F)/3, (1−F)/3); and two swapped Werner links give F = (1 + 3w²)/4."""
    werner = load_topology(ROOT / "topologies" / "star4_werner.yaml")  # sources 0.95, ideal memories
    common = {**COMMON, "model": {"qubits": 2, "layers": 2}, "max_steps": 1}
    ctx = train_on(werner, {"type": "pipeline", "stages": THREE[:2]}, **common)
    w = (4 * 0.95 - 1) / 3
    f = ctx.extra_metrics["boundary0_pair_fidelity"]
    assert f == pytest.approx((1 + 3 * w * w) / 4, abs=1e-9)
    model = ctx.model
    xs = ctx.dataset.x_val[:4]
    phi = statevector(
        segments(model, [1, 1])[0], ctx.final_params, model.encoding.transform(xs), model.encoding.initial_state(xs)
    )
    paulis = [np.eye(2), np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.diag([1.0, -1.0])]
    weights = [f, (1 - f) / 3, (1 - f) / 3, (1 - f) / 3]
    expected = np.zeros(len(xs))
    for i, a in enumerate(paulis):
        for j, b in enumerate(paulis):
            overlap = np.einsum("bi,ij,bj->b", phi.conj(), np.kron(a, b), phi)
            expected += weights[i] * weights[j] * np.abs(overlap) ** 2
    assert ctx.extra_metrics["output_fidelity"] == pytest.approx(float(np.mean(expected)), abs=1e-10)
    assert ctx.extra_metrics["output_fidelity"] < 0.99
