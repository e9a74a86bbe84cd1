"""Encodings and the review's resource formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qnet_dqnn.qml.encodings import (
    AmplitudeEncoding,
    AngleEncoding,
    BasisEncoding,
    IQPEncoding,
    amplitude_dataset_state,
    amplitude_encoding_cost,
    basis_dataset_state,
    basis_encoding_cost,
    mottonen_resources,
    split_dataset,
)
from qnet_dqnn.quantum.statevector import statevector


@pytest.mark.parametrize(("m", "n", "nodes"), [(100, 8, 1), (100, 8, 4), (64, 3, 8), (1000, 16, 10)])
def test_basis_formulas(m: int, n: int, nodes: int) -> None:
    cost = basis_encoding_cost(m, n, nodes)
    k = m // nodes
    assert cost.qubits_per_node == n
    assert cost.qubits_total == nodes * n
    assert cost.gates_per_node == n * k
    assert cost.gates_total == n * m  # O(NKL) = O(NM)


@pytest.mark.parametrize(("m", "n", "nodes"), [(64, 4, 1), (64, 4, 4), (100, 8, 5), (1000, 16, 10)])
def test_amplitude_formulas(m: int, n: int, nodes: int) -> None:
    cost = amplitude_encoding_cost(m, n, nodes)
    k = m // nodes
    assert cost.qubits_per_node == math.ceil(math.log2(k * n))
    assert cost.qubits_total == nodes * math.ceil(math.log2(k * n))
    if nodes == 1:
        assert cost.qubits_total == math.ceil(math.log2(m * n))


def test_mottonen_counts() -> None:
    r = mottonen_resources(3)
    assert (r.gates, r.two_qubit_gates, r.depth) == (7 + 6, 6, 13)


def test_basis_dataset_is_uniform_superposition() -> None:
    bits = np.array([[0, 1, 1], [1, 0, 0], [1, 1, 1]])
    psi = basis_dataset_state(bits)
    expected = np.zeros(8)
    expected[[0b011, 0b100, 0b111]] = 1 / np.sqrt(3)
    np.testing.assert_allclose(psi, expected)
    # each split |D_j> (review Eq. 10) on its own node, and their tensor product (Eq. 9)
    parts = [basis_dataset_state(d) for d in split_dataset(bits, 3)]
    assert np.kron(np.kron(parts[0], parts[1]), parts[2]).size == 2 ** (3 * 3)


def test_amplitude_dataset_is_normalised_vector() -> None:
    x = np.array([[1.0, 2.0], [3.0, -4.0], [0.5, 0.0]])
    psi = amplitude_dataset_state(x)
    alpha = x.ravel()
    np.testing.assert_allclose(psi[:6], alpha / np.linalg.norm(alpha))
    assert np.linalg.norm(psi) == pytest.approx(1.0)
    enc = AmplitudeEncoding(2)
    st = enc.initial_state(np.array([[3.0, 4.0, 0.0]]))
    np.testing.assert_allclose(st[0], [0.6, 0.8, 0, 0])


def test_basis_encoding_prepares_bit_string() -> None:
    enc = BasisEncoding(3)
    psi = statevector(enc.circuit(), data=enc.transform(np.array([[1, 0, 1]])))[0]
    assert abs(psi[0b101]) == pytest.approx(1.0)


def test_angle_and_iqp_resources() -> None:
    assert AngleEncoding(4).resources().gates == 4
    r = IQPEncoding(3, reps=2).resources()
    assert r.qubits == 3
    assert r.two_qubit_gates == 2 * 3
    assert r.gates == 2 * (3 + 3 + 3)
    feats = IQPEncoding(3).transform(np.array([[0.1, 0.2, 0.3]]))
    assert feats.shape == (1, 6)
    assert feats[0, 3] == pytest.approx((np.pi - 0.1) * (np.pi - 0.2))
