"""Round trips through qiskit, checked with qiskit's own Statevector (an independent simulator)."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.errors import QnetError
from qnet_dqnn.interop.qiskit import from_qiskit, to_qiskit
from qnet_dqnn.qml import hardware_efficient
from qnet_dqnn.quantum import Circuit, Data, Trainable, statevector

qiskit = pytest.importorskip("qiskit")
from qiskit.quantum_info import Statevector  # noqa: E402

GATES_1Q = ["h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx"]
ROTATIONS = ["rx", "ry", "rz", "p"]
GATES_2Q = ["cx", "cz", "swap"]
ROTATIONS_2Q = ["rzz", "rxx", "ryy"]


def _random_circuit(rng: np.random.Generator, n: int, depth: int) -> tuple[Circuit, np.ndarray, np.ndarray]:
    c = Circuit(n)
    for i in range(n):
        c.ry(i, Data(i, 0.7))
    k = 0
    for _ in range(depth):
        kind = rng.integers(4)
        q = int(rng.integers(n))
        other = int((q + 1 + rng.integers(n - 1)) % n)
        if kind == 0:
            c.append(str(rng.choice(GATES_1Q)), [q])
        elif kind == 1:
            c.append(str(rng.choice(ROTATIONS)), [q], [Trainable(k, float(rng.choice([1.0, 0.5, -2.0])))])
            k += 1
        elif kind == 2:
            c.append(str(rng.choice(GATES_2Q)), [q, other])
        else:
            c.append(str(rng.choice(ROTATIONS_2Q)), [q, other], [float(rng.uniform(-3, 3))])
    return c, rng.uniform(-np.pi, np.pi, size=max(k, 1)), rng.uniform(-1, 1, size=(1, n))


def _qiskit_state(c: Circuit, params: np.ndarray, x: np.ndarray) -> np.ndarray:
    qc = to_qiskit(c)
    values = {p: (params[p.index] if p.vector.name == "θ" else x[0, p.index]) for p in qc.parameters}
    return Statevector(qc.assign_parameters(values)).reverse_qargs().data


@pytest.mark.parametrize("seed", range(6))
def test_exported_circuit_has_the_same_state_in_qiskit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    c, params, x = _random_circuit(rng, n=int(rng.integers(2, 6)), depth=25)
    ours = statevector(c, params[: c.num_trainable] if c.num_trainable else None, x)[0]
    theirs = _qiskit_state(c, params, x)
    assert abs(np.vdot(ours, theirs)) == pytest.approx(1.0, abs=1e-10)
    np.testing.assert_allclose(ours, theirs, atol=1e-10)  # same global phase too


def test_round_trip_keeps_gates_references_and_scales() -> None:
    c = hardware_efficient(3, 2) + Circuit(3).ry(0, Data(1, 2.0)).rzz(0, 2, 0.3)
    back = from_qiskit(to_qiskit(c))
    assert [(op.name, op.qubits, op.params) for op in back] == [(op.name, op.qubits, op.params) for op in c]


def test_import_of_foreign_parameters_and_errors() -> None:
    a, b = qiskit.circuit.Parameter("a"), qiskit.circuit.Parameter("b")
    qc = qiskit.QuantumCircuit(2)
    qc.rx(2 * b, 0)
    qc.barrier()
    qc.cx(0, 1)
    qc.rz(a, 1)
    c = from_qiskit(qc)
    assert [op.name for op in c] == ["rx", "cx", "rz"]
    assert c.num_trainable == 2 and {op.params[0].scale for op in c if op.params} == {2.0, 1.0}
    bad = qiskit.QuantumCircuit(1)
    bad.rx(a + b, 0)
    with pytest.raises(QnetError, match="mixes several parameters"):
        from_qiskit(bad)
    with pytest.raises(QnetError, match="no qiskit equivalent"):
        to_qiskit(Circuit(1).pauli_channel(0, 0.1, 0.0, 0.0))
