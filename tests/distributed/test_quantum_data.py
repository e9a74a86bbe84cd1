"""Quantum data (issue 5, item 4): each sample is teleported once to the worker that trains on it, one pair per
qubit, with one Pauli error per qubit drawn from the pair's Bell coefficients."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.distributed.quantum_data import SampleSource, apply_pauli_errors, check_assignment, distribute
from qnet_dqnn.errors import ProtocolError
from qnet_dqnn.net import Network
from qnet_dqnn.qml.datasets import tfim_phases
from qnet_dqnn.topology import TopologySpec, load_topology

ROOT = Path(__file__).resolve().parents[2]
STAR4 = load_topology(ROOT / "topologies" / "star4.yaml")
METRO = load_topology(ROOT / "topologies" / "metro.yaml")


def with_fidelity(topology: TopologySpec, fidelity: float) -> TopologySpec:
    data = topology.model_dump()
    for link in data["links"]:
        if link["quantum"] is not None:
            link["quantum"]["source_fidelity"] = fidelity
    return TopologySpec.model_validate(data)


def run(topology: TopologySpec, source: str, states: np.ndarray, assignment: dict[str, np.ndarray], seed: int = 1):
    network = Network.from_topology(topology, seed, True)
    process = network.env.process(distribute(network, source, states, assignment, np.random.default_rng(seed)))
    network.env.run(until=process)
    return network, process.value


def random_product_states(count: int, qubits: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Haar-random one-qubit states per qubit, and their tensor products."""
    singles = rng.normal(size=(count, qubits, 2)) + 1j * rng.normal(size=(count, qubits, 2))
    singles /= np.linalg.norm(singles, axis=2, keepdims=True)
    states = np.array([_kron_all(s) for s in singles])
    return singles, states


def _kron_all(vectors: np.ndarray) -> np.ndarray:
    out = np.ones(1, dtype=complex)
    for v in vectors:
        out = np.kron(out, v)
    return out


def reduced(state: np.ndarray, q: int, n: int) -> np.ndarray:
    psi = np.moveaxis(state.reshape((2,) * n), q, 0).reshape(2, -1)
    return psi @ psi.conj().T


def test_pairs_equal_qubits_times_samples_and_every_sample_reaches_one_worker() -> None:
    data = tfim_phases(4, 24, seed=3)
    assignment = {"lab_east": np.arange(0, 6), "campus": np.arange(6, 12), "dc_south": np.arange(12, 18)}
    network, report = run(METRO, "dc_north", data.x_train, assignment)
    assert report.pairs == report.teleports == 4 * 18
    assert network.ledger.nodes["dc_north"].teleports == 4 * 18
    consumed = sum(p.e2e_pairs_consumed for p in network.ledger.paths.values())
    assert consumed == 4 * 18
    assert sorted(report.delivered) == list(range(18))
    for worker, indices in assignment.items():
        assert all(report.owner[int(i)] == worker for i in indices)
    waits = {a.node for a in network.trace.activities if a.kind == "wait_pairs"}
    assert waits == set(assignment)
    for state in report.delivered.values():
        assert np.isclose(np.linalg.norm(state), 1.0)


def test_a_sample_is_never_teleported_twice() -> None:
    with pytest.raises(ProtocolError):
        check_assignment({"a": np.arange(3), "b": np.arange(2, 5)}, 5)
    source = SampleSource("s", np.eye(2, dtype=complex))
    source.take(0, "a")
    with pytest.raises(ProtocolError):
        source.take(0, "b")
    with pytest.raises(ProtocolError):
        train_on(
            METRO,
            {"type": "parameter_server", "nodes": ["lab_east", "campus"], "sharding": "replicate"},
            **_quantum_spec(),
        )


def test_perfect_pairs_deliver_the_source_states() -> None:
    data = tfim_phases(3, 16, seed=2)
    _, report = run(STAR4, "q0", data.x_train, {"q1": np.arange(len(data.x_train))})
    assert report.pairs == 3 * len(data.x_train)
    for i, state in report.delivered.items():
        assert np.allclose(state, data.x_train[i])
        assert report.errors[i] == [0, 0, 0]


def test_werner_pairs_give_the_average_teleportation_fidelity() -> None:
    rng = np.random.default_rng(7)
    singles, states = random_product_states(150, 2, rng)
    _, report = run(with_fidelity(STAR4, 0.85), "q0", states, {"q1": np.arange(150)}, seed=5)
    fidelities = np.array(
        [
            np.real(singles[i, q].conj() @ reduced(report.delivered[i], q, 2) @ singles[i, q])
            for i in range(150)
            for q in range(2)
        ]
    )
    pair_f = np.array(report.pair_fidelities)
    assert pair_f.std() < 1e-9  # ideal memories: every end-to-end pair has the same Werner fidelity
    f = float(pair_f.mean())
    assert np.isclose(f, 0.85**2 + 0.15**2 / 3, atol=1e-6)  # two Werner links swapped at the hub
    expected = (2 * f + 1) / 3
    sigma = fidelities.std() / np.sqrt(len(fidelities))
    assert abs(fidelities.mean() - expected) < 4 * sigma
    assert fidelities.mean() < 0.99  # the errors really happen


def test_pauli_errors_act_on_the_right_qubit() -> None:
    zero, one = np.array([1, 0], complex), np.array([0, 1], complex)
    state = _kron_all(np.array([zero, zero, zero]))
    assert np.allclose(apply_pauli_errors(state, [0, 1, 0]), _kron_all(np.array([zero, one, zero])))
    assert np.allclose(apply_pauli_errors(state, [3, 0, 0]), 1j * _kron_all(np.array([one, zero, zero])))


def _quantum_spec() -> dict[str, Any]:
    return {
        "model": {"qubits": 4, "layers": 2, "encoding": "state"},
        "dataset": {"name": "tfim_phases", "samples": 24, "validation_samples": 6},
        "quantum_data": {"source": "dc_north"},
        "noise": False,
        "batch_size": 4,
        "shots": 10,
        "estimator": "exact",
        "max_steps": 4,
    }


def test_training_on_quantum_data_completes_and_is_deterministic() -> None:
    strategy = {"type": "parameter_server", "nodes": ["lab_east", "campus"]}
    a = train_on(METRO, strategy, seed=3, **_quantum_spec())
    b = train_on(METRO, strategy, seed=3, **_quantum_spec())
    assert a.updates == 4
    assert a.extra_metrics["quantum_data_pairs"] == 4 * 18
    assert a.extra_metrics["quantum_data_time_s"] > 0
    assert np.array_equal(a.final_params, b.final_params)
    assert a.recorder.accuracies == b.recorder.accuracies
    assert np.array_equal(a.dataset.x_train, b.dataset.x_train)
    clean = tfim_phases(4, 24, seed=3)
    assert not np.allclose(a.dataset.x_train, clean.x_train)  # training saw the degraded states
    assert np.allclose(a.dataset.x_val, clean.x_val)  # validation stays ideal


def test_shipped_quantum_data_scenario_runs() -> None:
    import qnet_dqnn

    result = qnet_dqnn.run(ROOT / "scenarios" / "train_quantum_data_metro.yaml")
    assert result.metrics["quantum_data_pairs"] == 4 * 48  # 64 samples, 16 for validation, 4 qubits each
    assert 0.0 < result.metrics["quantum_data_mean_state_fidelity"] < 1.0
    assert result.metrics["updates"] == 20
