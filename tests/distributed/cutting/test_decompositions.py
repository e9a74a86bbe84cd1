"""Decompositions: γ values and Σ c_k L_k equal to the cut gate's (or wire's) process matrix."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qnet_dqnn.distributed.cutting import (
    QPD,
    cx_qpd,
    cz_qpd,
    gate_qpd,
    joint_cnot_gamma,
    pauli_rotation_qpd,
    qpd_superoperator,
    rxx_qpd,
    ryy_qpd,
    rzz_qpd,
    wire_cut_cc_qpd,
    wire_cut_qpd,
)
from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.gates import PAULIS, gate_matrix


def _superop(u: np.ndarray) -> np.ndarray:
    return np.kron(u, u.conj())


def test_gamma_cz_cnot_is_three():
    assert cz_qpd().gamma == pytest.approx(3.0, abs=1e-12)
    assert cx_qpd().gamma == pytest.approx(3.0, abs=1e-12)
    assert cx_qpd().overhead == pytest.approx(9.0, abs=1e-12)


@pytest.mark.parametrize("theta", [0.0, 0.3, -0.7, math.pi / 2, 2.5, -3.0, math.pi])
def test_gamma_rzz_is_one_plus_two_abs_sin(theta):
    assert rzz_qpd(theta).gamma == pytest.approx(1 + 2 * abs(math.sin(theta)), abs=1e-12)


def test_gamma_wire_cuts():
    assert wire_cut_qpd().gamma == pytest.approx(4.0)
    assert wire_cut_cc_qpd().gamma == pytest.approx(3.0)
    assert wire_cut_cc_qpd().feedforward and not wire_cut_qpd().feedforward
    assert all(t.feedforward for t in wire_cut_cc_qpd().terms)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_joint_cnot_gamma(n):
    assert joint_cnot_gamma(n) == 2 ** (n + 1) - 1
    assert joint_cnot_gamma(n) <= 3**n


def test_joint_cnot_gamma_rejects_zero():
    with pytest.raises(QnetError, match="n must be >= 1"):
        joint_cnot_gamma(0)


@pytest.mark.parametrize(
    ("qpd", "name", "angle"),
    [
        (cz_qpd(), "cz", None),
        (cx_qpd(), "cx", None),
        (rzz_qpd(0.37), "rzz", 0.37),
        (rzz_qpd(-2.2), "rzz", -2.2),
        (rxx_qpd(1.1), "rxx", 1.1),
        (ryy_qpd(-0.4), "ryy", -0.4),
    ],
)
def test_gate_qpd_reproduces_channel(qpd, name, angle):
    expected = _superop(gate_matrix(name, angle))
    np.testing.assert_allclose(qpd_superoperator(qpd), expected, atol=1e-12)


@pytest.mark.parametrize(("a", "b"), [("X", "Z"), ("Y", "X"), ("Z", "Y")])
def test_mixed_pauli_rotation_reproduces_channel(a, b):
    theta = 0.81
    gen = np.kron(PAULIS[a], PAULIS[b])
    u = math.cos(theta / 2) * np.eye(4) - 1j * math.sin(theta / 2) * gen
    qpd = pauli_rotation_qpd(a, b, theta)
    np.testing.assert_allclose(qpd_superoperator(qpd), _superop(u), atol=1e-12)
    assert qpd.gamma == pytest.approx(1 + 2 * abs(math.sin(theta)))


def test_a_wrong_decomposition_is_detected():
    """The channel check can fail: flipping one coefficient's sign breaks it."""
    q = cz_qpd()
    t0 = q.terms[2]
    bad = QPD("bad", "gate", (type(t0)(-t0.coefficient, t0.branches),) + q.terms[:2] + q.terms[3:])
    assert np.abs(qpd_superoperator(bad) - _superop(gate_matrix("cz"))).max() > 0.1


@pytest.mark.parametrize("qpd", [wire_cut_qpd(), wire_cut_cc_qpd()])
def test_wire_qpd_reproduces_identity(qpd):
    np.testing.assert_allclose(qpd_superoperator(qpd), np.eye(4), atol=1e-12)


def test_probabilities_sum_to_one():
    for q in (cz_qpd(), rzz_qpd(0.2), wire_cut_qpd(), wire_cut_cc_qpd()):
        assert q.probabilities.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(q.probabilities * q.gamma, np.abs(q.coefficients))


def test_gate_qpd_rejects_uncuttable_and_symbolic():
    with pytest.raises(QnetError, match="cannot cut gate 'swap'"):
        gate_qpd("swap")
    with pytest.raises(QnetError, match="numeric angle"):
        gate_qpd("rzz", None)


def test_rzz_zero_angle_is_free():
    q = rzz_qpd(0.0)
    assert len(q.terms) == 1 and q.gamma == pytest.approx(1.0)
