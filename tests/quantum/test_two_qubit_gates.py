"""Every two-qubit gate of qiskit's standard library in the IR: matrices equal qiskit's, gradients equal finite
differences, and the qiskit importer reads them (and unitary blocks) back."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.errors import QnetError
from qnet_dqnn.interop.qiskit import TWO_QUBIT_GATES, from_qiskit, to_qiskit
from qnet_dqnn.quantum import Circuit, Trainable, UnitaryMatrix, adjoint_jacobian, expectation, statevector
from qnet_dqnn.quantum.gates import gate_spec, zyz_angles
from qnet_dqnn.quantum.gradients import finite_difference_jacobian, parameter_shift_jacobian

qiskit = pytest.importorskip("qiskit")
from qiskit.circuit.library import UnitaryGate  # noqa: E402
from qiskit.quantum_info import Operator, random_unitary  # noqa: E402


def _unitary(c: Circuit) -> np.ndarray:
    n = c.num_qubits
    return statevector(c, initial_state=np.eye(2**n)).T


def _params(name: str, rng: np.random.Generator) -> list:
    if name == "unitary":
        return [UnitaryMatrix.of(random_unitary(4, seed=int(rng.integers(1000))).data)]
    return [float(v) for v in rng.uniform(-3, 3, size=gate_spec(name).num_params)]


@pytest.mark.parametrize("name", TWO_QUBIT_GATES)
def test_matrix_equals_qiskit_and_imports_back(name: str) -> None:
    rng = np.random.default_rng(len(name))
    c = Circuit(2).append(name, [0, 1], _params(name, rng))
    qc = to_qiskit(c)
    reference = Operator(qc).reverse_qargs().data  # qiskit orders qubits little-endian
    np.testing.assert_allclose(_unitary(c), reference, atol=1e-12)
    back = from_qiskit(qc)
    assert [op.name for op in back] == [name]
    np.testing.assert_allclose(_unitary(back), reference, atol=1e-12)


def test_one_qubit_unitary_block_imports_as_euler_rotations() -> None:
    u = random_unitary(2, seed=4).data
    qc = qiskit.QuantumCircuit(1)
    qc.append(UnitaryGate(u), [0])
    c = from_qiskit(qc)
    assert [op.name for op in c] == ["rz", "ry", "rz"]
    ours = _unitary(c)
    phase = np.vdot(ours.reshape(-1), u.reshape(-1)) / 2
    np.testing.assert_allclose(ours * phase, u, atol=1e-12)
    a, b, cc = zyz_angles(u)
    assert 0 <= b <= np.pi


def test_importer_refuses_three_qubit_gates_naming_them() -> None:
    qc = qiskit.QuantumCircuit(3)
    qc.ccx(0, 1, 2)
    with pytest.raises(QnetError, match="'ccx' acts on 3 qubits: decompose it into one- and two-qubit gates"):
        from_qiskit(qc)
    big = qiskit.QuantumCircuit(3)
    big.append(UnitaryGate(random_unitary(8, seed=1).data), [0, 1, 2])
    with pytest.raises(QnetError, match="unitary on 3 qubits"):
        from_qiskit(big)


@pytest.mark.parametrize("name", ["cp", "crx", "cry", "crz", "rzx"])
def test_adjoint_gradient_of_trainable_two_qubit_gates(name: str) -> None:
    c = Circuit(2).ry(0, 0.7).rx(1, -0.4).append(name, [0, 1], [Trainable(0, 1.3)]).h(0)
    th = np.array([0.9])
    obs = ["Z0", "X1", "Y0 Z1"]
    _, j = adjoint_jacobian(c, obs, th)
    np.testing.assert_allclose(j, finite_difference_jacobian(c, obs, th), atol=1e-7)
    if gate_spec(name).shift_rule:
        np.testing.assert_allclose(parameter_shift_jacobian(c, obs, th), j, atol=1e-10)


def test_controlled_rotations_have_no_two_term_shift_rule() -> None:
    c = Circuit(2).crz(0, 1, Trainable(0))
    with pytest.raises(QnetError, match="no two-term parameter-shift rule"):
        parameter_shift_jacobian(c, ["Z0"], np.array([0.3]))


def test_bad_gate_parameters_are_refused() -> None:
    with pytest.raises(QnetError, match="last 1 parameter"):
        Circuit(2).xx_plus_yy(0, 1, 0.3, Trainable(0))
    with pytest.raises(QnetError, match="must be unitary"):
        UnitaryMatrix.of(np.ones((4, 4)))
    with pytest.raises(QnetError, match="takes a 4x4 UnitaryMatrix"):
        Circuit(2).append("unitary", [0, 1], [UnitaryMatrix.of(np.eye(2))])
    with pytest.raises(QnetError, match="takes angles, not a matrix"):
        Circuit(1).append("rx", [0], [UnitaryMatrix.of(np.eye(2))])


def test_unitary_block_in_a_circuit_matches_its_matrix() -> None:
    u = random_unitary(4, seed=9).data
    c = Circuit(3).h(2).unitary(2, 0, u)
    psi = statevector(c)[0]
    ref = Operator(to_qiskit(c)).reverse_qargs().data[:, 0]
    np.testing.assert_allclose(psi, ref, atol=1e-12)
    assert expectation(c, ["Z0"]).shape == (1, 1)
