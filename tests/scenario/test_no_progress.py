"""A training run that makes no update says why, naming the field to change; impossible settings are refused
when the scenario loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from qnet_dqnn.errors import ResourceExhausted, ScenarioError
from qnet_dqnn.scenario import load_scenario, run

ROOT = Path(__file__).resolve().parents[2]

SPLIT = (
    "{type: train, strategy: {type: coherent, nodes: [q0, q1], placement: {q1: [0], q0: [1, 2, 3]}, "
    "fidelity_samples: 1}, "
    "model: {qubits: 4, layers: 1}, dataset: {name: moons, samples: 40, validation_samples: 10}, noise: false, "
    "batch_size: 2, shots: 5, estimator: exact, max_steps: 2}"
)


def _scenario(tmp_path: Path, workload: str, stop_s: float, topology: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(
        f"name: s\ntopology: {topology}\nseed: 1\nstop: {{simulated_time_s: {stop_s}}}\nworkload: {workload}\n"
    )
    return path


def test_a_stop_time_before_the_first_update_is_named(tmp_path: Path) -> None:
    result = run(_scenario(tmp_path, SPLIT, 1e-6, ROOT / "topologies" / "star4.yaml"))
    assert result.metrics["updates"] == 0
    [warning] = result.warnings
    assert "stop.simulated_time_s = 1e-06 s ended the run while its first step was still running" in warning
    assert run(_scenario(tmp_path, SPLIT, 1e5, ROOT / "topologies" / "star4.yaml")).warnings == []


def test_a_resource_that_never_frees_is_named_with_its_field(tmp_path: Path) -> None:
    text = (ROOT / "topologies" / "star4.yaml").read_text()
    topology = tmp_path / "hub1.yaml"
    topology.write_text(text.replace("kind: repeater, qubits: 8", "kind: repeater, qubits: 1"))
    # the split's pairs come from the pair timeline, which sees before the run that the hub can never hold the
    # two halves its swap needs: an error at once, naming the field
    with pytest.raises(ResourceExhausted, match=r"node 'hub' can hold 1 pair qubit.*raise nodes\[0\]\.qubits"):
        run(_scenario(tmp_path, SPLIT, 100.0, topology))


def test_workers_that_all_drop_out_are_named(tmp_path: Path) -> None:
    dropout = ", ".join(f"{{node: q{i}, at_s: 0.0}}" for i in range(4))
    workload = (
        "{type: train, strategy: {type: parameter_server, round_timeout_s: 10.0, "
        f"faults: {{dropout: [{dropout}]}}}}, "
        "model: {qubits: 2, layers: 1}, dataset: {name: moons, samples: 40, validation_samples: 10}, noise: false, "
        "batch_size: 4, "
        "shots: 10, estimator: exact, max_steps: 2}"
    )
    result = run(_scenario(tmp_path, workload, 100.0, ROOT / "topologies" / "star4.yaml"))
    [warning] = result.warnings
    assert "workload.strategy.faults.dropout takes out 4 node(s)" in warning


def test_a_qubit_limit_below_a_two_qubit_gate_is_refused_at_load_time(tmp_path: Path) -> None:
    workload = (
        "{type: train, strategy: {type: cut, nodes: [qpu_a, qpu_b], controller: ctrl, qubit_limit: 1}, "
        "model: {qubits: 8, layers: 2}, noise: false}"
    )
    with pytest.raises(
        ScenarioError,
        match=r"workload\.strategy\.qubit_limit: 1 is below the width of the model's "
        r"2-qubit gates: give at least 2",
    ):
        load_scenario(_scenario(tmp_path, workload, 1e5, ROOT / "topologies" / "small_qpus.yaml"))
