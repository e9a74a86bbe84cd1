"""The model options of the train workload: readouts, a closed entangling ring, rotations; bad combinations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qnet_dqnn.distributed.spec import ModelSpec, build_model
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.quantum.observables import PauliString
from qnet_dqnn.quantum.statevector import expectation
from qnet_dqnn.scenario import scenario_from_data

ROOT = Path(__file__).resolve().parents[2]


def test_readouts_of_the_hardware_efficient_model() -> None:
    first, mean, parity = (build_model(ModelSpec(qubits=4, layers=1, readout=r)) for r in ("first", "mean", "parity"))
    assert build_model(ModelSpec(qubits=4, layers=1)).observables == first.observables == [PauliString.z(0)]
    assert mean.observables == [PauliString.z(q) for q in range(4)] and mean.mean
    assert parity.observables == [PauliString.z(0, 1, 2, 3)] and parity.parity
    # the mean readout's class probability is the mean over the qubits of the probability of reading 1
    x = np.array([[0.3, 1.1, 2.0, 0.7]])
    params = np.linspace(-0.5, 0.5, mean.num_params)
    e = mean.expectations(params, x)
    z = expectation(mean.circuit, [PauliString.z(q) for q in range(4)], params, mean.encoding.transform(x))
    np.testing.assert_allclose(mean.outputs(e)[:, 1], np.mean((1 - z) / 2, axis=1), atol=1e-12)


def test_ring_closes_the_ladder_and_rotations_set_the_layer() -> None:
    chain = build_model(ModelSpec(qubits=4, layers=2, rotations=["ry"])).ansatz
    ring = build_model(ModelSpec(qubits=4, layers=2, rotations=["ry"], ring=True)).ansatz
    assert [op.qubits for op in ring.two_qubit_gates()] == [(0, 1), (1, 2), (2, 3), (3, 0)] * 2
    assert len(chain.two_qubit_gates()) == 6
    assert chain.gate_counts()["ry"] == 8 and "rz" not in chain.gate_counts() and chain.num_trainable == 8


def _scenario(model: dict) -> dict:
    return {
        "name": "t",
        "topology": str(ROOT / "topologies" / "star4.yaml"),
        "stop": {"simulated_time_s": 1.0},
        "workload": {"type": "train", "model": model},
    }


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"ansatz": "blocks", "qubits": 16, "ring": True}, r"workload\.model\.ring: .*hardware_efficient"),
        ({"readout": "sum"}, r"workload\.model\.readout"),
        ({"rotations": []}, r"workload\.model\.rotations"),
        ({"rotations": ["ry", "u3"]}, r"workload\.model\.rotations"),
    ],
)
def test_bad_model_options_name_the_field(model: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        scenario_from_data(_scenario(model))
