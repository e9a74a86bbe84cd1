"""Decompositions: Σ c_k L_k equals the cut gate's (or wire's) process matrix, γ takes its optimal value, and the
KAK decomposition reconstructs any two-qubit unitary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qnet_dqnn.cutting import (
    QPD,
    CutError,
    cut_operation,
    cx_qpd,
    cz_qpd,
    gate_qpd,
    joint_gamma,
    kak,
    optimal_gamma,
    pauli_rotation_qpd,
    qpd_superoperator,
    randomized_wire_cut_qpd,
    rzz_qpd,
    wire_cut_cc_qpd,
    wire_cut_qpd,
)
from qnet_dqnn.cutting.kak import core_coefficients, core_derivatives
from qnet_dqnn.interop.qiskit import TWO_QUBIT_GATES
from qnet_dqnn.quantum import Circuit, statevector
from qnet_dqnn.quantum.circuit import Operation, Trainable, UnitaryMatrix
from qnet_dqnn.quantum.gates import PAULIS, gate_matrix, gate_spec


def _superop(u: np.ndarray) -> np.ndarray:
    return np.kron(u, u.conj())


def _random_unitary(rng: np.random.Generator, d: int = 4) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)))
    return q * (np.diag(r) / np.abs(np.diag(r)))


def _op(name: str, rng: np.random.Generator) -> Operation:
    if name == "unitary":
        return Operation(name, (0, 1), (UnitaryMatrix.of(_random_unitary(rng)),))
    spec = gate_spec(name)
    return Operation(name, (0, 1), tuple(float(v) for v in rng.uniform(-3, 3, size=spec.num_params)))


@pytest.mark.parametrize("name", TWO_QUBIT_GATES)
def test_every_two_qubit_gate_decomposes_to_its_channel(name: str) -> None:
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    op = _op(name, rng)
    u = statevector(Circuit(2, [op]), initial_state=np.eye(4)).T
    q = cut_operation(op)
    np.testing.assert_allclose(qpd_superoperator(q), _superop(u), atol=1e-10)
    # the optimum 2(Σ|u_k|)² − 1 of the gate's KAK core
    assert q.gamma == pytest.approx(optimal_gamma(core_coefficients(kak(u).coordinates)), abs=1e-9)


def test_gamma_cz_cnot_swap_and_rotations() -> None:
    assert cz_qpd().gamma == pytest.approx(3.0, abs=1e-12) and cx_qpd().overhead == pytest.approx(9.0, abs=1e-12)
    assert gate_qpd("swap").gamma == pytest.approx(7.0, abs=1e-12)
    assert gate_qpd("iswap").gamma == pytest.approx(7.0, abs=1e-12)
    for theta in (0.0, 0.3, -0.7, math.pi / 2, 2.5, -3.0):
        assert rzz_qpd(theta).gamma == pytest.approx(1 + 2 * abs(math.sin(theta)), abs=1e-12)


@pytest.mark.parametrize(("a", "b"), [("X", "Z"), ("Y", "X"), ("Z", "Y")])
def test_mixed_pauli_rotation_reproduces_channel(a: str, b: str) -> None:
    theta = 0.81
    u = math.cos(theta / 2) * np.eye(4) - 1j * math.sin(theta / 2) * np.kron(PAULIS[a], PAULIS[b])
    qpd = pauli_rotation_qpd(a, b, theta)
    np.testing.assert_allclose(qpd_superoperator(qpd), _superop(u), atol=1e-12)
    assert qpd.gamma == pytest.approx(1 + 2 * abs(math.sin(theta)))


def test_a_wrong_decomposition_is_detected() -> None:
    """The channel check can fail: flipping one coefficient's sign breaks it."""
    q = cz_qpd()
    t = q.terms[-1]
    bad = QPD("bad", "gate", q.terms[:-1] + (type(t)(-t.coefficient, t.branches),), pre=q.pre, post=q.post)
    assert np.abs(qpd_superoperator(bad) - _superop(gate_matrix("cz"))).max() > 0.1


def test_generic_unitary_needs_a_generalized_measurement_and_beats_separate_parts() -> None:
    rng = np.random.default_rng(3)
    q = cut_operation(Operation("unitary", (0, 1), (UnitaryMatrix.of(_random_unitary(rng)),)))
    assert q.ancillas == (0, 1)  # one side measures with a phase: an ancilla on hardware
    d = kak(UnitaryMatrix.of(_random_unitary(np.random.default_rng(3))).matrix)
    separate = math.prod(1 + 2 * abs(math.sin(2 * t)) for t in d.coordinates)
    assert q.gamma < separate  # cutting the three commuting rotations one by one costs more


def test_kak_reconstructs_random_unitaries_and_core_derivatives() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        u = _random_unitary(rng)
        np.testing.assert_allclose(kak(u).unitary(), u, atol=1e-10)
    t = np.array([0.3, -0.2, 0.5])
    eps = 1e-6
    num = np.array([(core_coefficients(t + eps * e) - core_coefficients(t - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(core_derivatives(t), num, atol=1e-8)
    with pytest.raises(CutError, match="needs a 4x4 unitary"):
        kak(np.ones((4, 4)))


@pytest.mark.parametrize("name", ["rxx", "rzz", "rzx", "cp", "crx", "cry", "crz", "xx_plus_yy", "xx_minus_yy"])
def test_trainable_gate_coefficients_and_their_derivatives(name: str) -> None:
    extra = (0.4,) if gate_spec(name).extra_params else ()
    op = Operation(name, (0, 1), (Trainable(0, 1.7),) + extra)
    th = np.array([0.83])
    q = cut_operation(op, th)
    eps = 1e-6
    num = (cut_operation(op, th + eps).coefficients - cut_operation(op, th - eps).coefficients) / (2 * eps)
    np.testing.assert_allclose(1.7 * np.asarray(q.derivatives), num, atol=1e-8)
    # the instruments do not move with the angle, and the numeric decomposition has the same terms
    other = cut_operation(op, np.array([-2.1]))
    assert [t.branches for t in other.terms] == [t.branches for t in q.terms]
    numeric = cut_operation(Operation(name, (0, 1), (1.7 * 0.83,) + extra))
    assert numeric.gamma == pytest.approx(q.gamma, abs=1e-12)


def test_wire_cuts_reproduce_identity_and_their_gammas() -> None:
    for q, gamma in ((wire_cut_qpd(), 4.0), (wire_cut_cc_qpd(), 3.0), (randomized_wire_cut_qpd(1), 8.0)):
        np.testing.assert_allclose(qpd_superoperator(q), np.eye(4), atol=1e-12)
        assert q.gamma == pytest.approx(gamma)
    assert wire_cut_cc_qpd().feedforward and not wire_cut_qpd().feedforward
    assert randomized_wire_cut_qpd(2).gamma == pytest.approx(4 * 6)  # d(d + 2) for d = 4


def test_probabilities_sum_to_one() -> None:
    for q in (cz_qpd(), rzz_qpd(0.2), wire_cut_qpd(), wire_cut_cc_qpd()):
        assert q.probabilities.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(q.probabilities * q.gamma, np.abs(q.coefficients))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_joint_gamma(n: int) -> None:
    assert joint_gamma(n) == 2 ** (n + 1) - 1 <= 3**n


def test_bad_gate_cuts_name_the_gate_and_reason() -> None:
    with pytest.raises(CutError, match="cannot cut op 4 'ry'.*needs a two-qubit gate"):
        cut_operation(Operation("ry", (0,), (0.1,)), where="op 4")
    with pytest.raises(CutError, match="'depolarize2': it is a noise channel"):
        cut_operation(Operation("depolarize2", (0, 1), (0.1,)))
    from qnet_dqnn.quantum.circuit import Data

    with pytest.raises(CutError, match="its angle reads input data"):
        cut_operation(Operation("rzz", (0, 1), (Data(0),)))
    with pytest.raises(CutError, match="needs the parameter values"):
        cut_operation(Operation("rzz", (0, 1), (Trainable(0),)))
    with pytest.raises(CutError, match="needs a numeric angle"):
        gate_qpd("rzz", None)
    with pytest.raises(CutError, match="n must be >= 1"):
        joint_gamma(0)
