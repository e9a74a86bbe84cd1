"""Non-local CNOT by cat-entangler/disentangler: a CNOT on a perfect pair; its effective Pauli channel."""

from __future__ import annotations

import numpy as np
import pytest
import qutip
from hypothesis import given, settings
from hypothesis import strategies as st

from qnet_dqnn.physics.bell_diagonal import BELL_VECTORS, werner_state
from qnet_dqnn.physics.decoherence import amplitude_phase_damping_kraus
from qnet_dqnn.physics.density import (
    apply_channel_to_pair,
    bell_coefficients,
    is_density_matrix,
    pair_from_bell_diagonal,
)
from qnet_dqnn.physics.telegate import telegate_channel, telegate_cnot, telegate_kraus, telegate_pauli_errors

bell_coeffs = (
    st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4)
    .filter(lambda v: sum(v) > 1e-3)
    .map(lambda v: np.array(v) / sum(v))
)

#: Local CNOT, control first, built independently from qutip.
CNOT_QT = qutip.Qobj(
    qutip.tensor(qutip.basis(2, 0).proj(), qutip.qeye(2)) + qutip.tensor(qutip.basis(2, 1).proj(), qutip.sigmax())
).full()
PAULI_QT = {
    "I": qutip.qeye(2).full(),
    "X": qutip.sigmax().full(),
    "Y": qutip.sigmay().full(),
    "Z": qutip.sigmaz().full(),
}


def two_qubit_inputs() -> list[np.ndarray]:
    states = [qutip.rand_dm([2, 2], seed=s).full() for s in range(4)]
    states += [np.outer(v, v.conj()) for v in BELL_VECTORS]  # maximally entangled inputs
    for s in range(3):  # random pure (generically entangled) inputs
        psi = qutip.rand_ket([2, 2], seed=50 + s).full().ravel()
        states.append(np.outer(psi, psi.conj()))
    plus = np.array([1, 1]) / np.sqrt(2)
    states.append(np.outer(np.kron(plus, [1, 0]), np.kron(plus, [1, 0])))  # CNOT makes it a Bell state
    return states


@pytest.mark.parametrize("index", range(12))
def test_perfect_pair_gives_a_local_cnot(index: int) -> None:
    rho = two_qubit_inputs()[index]
    out = telegate_cnot(rho, np.array([1.0, 0.0, 0.0, 0.0]))
    np.testing.assert_allclose(out, CNOT_QT @ rho @ CNOT_QT.conj().T, atol=1e-12)


def test_plus_zero_input_becomes_phi_plus() -> None:
    plus_zero = np.kron(np.array([1, 1]) / np.sqrt(2), [1, 0])
    out = telegate_cnot(np.outer(plus_zero, plus_zero), pair_from_bell_diagonal(np.array([1.0, 0, 0, 0])))
    assert np.real(BELL_VECTORS[0].conj() @ out @ BELL_VECTORS[0]) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("f", [0.95, 0.8, 0.5])
def test_werner_pair_explicit_protocol_matches_effective_channel(f: float) -> None:
    for rho in two_qubit_inputs():
        explicit = telegate_cnot(rho, werner_state(f))
        # effective channel written from the (probability, control, target) list with qutip Paulis
        expected = np.zeros((4, 4), dtype=complex)
        for p, pc, pt in telegate_pauli_errors(werner_state(f)):
            op = np.kron(PAULI_QT[pc], PAULI_QT[pt]) @ CNOT_QT
            expected += p * op @ rho @ op.conj().T
        np.testing.assert_allclose(explicit, expected, atol=1e-12)
        np.testing.assert_allclose(explicit, telegate_channel(rho, werner_state(f)), atol=1e-12)


@given(bell_coeffs, st.integers(0, 2**31 - 1))
@settings(max_examples=30, deadline=None)
def test_bell_diagonal_pair_explicit_matches_channel_and_is_a_state(c: np.ndarray, seed: int) -> None:
    rho = qutip.rand_dm([2, 2], seed=seed).full()
    explicit = telegate_cnot(rho, pair_from_bell_diagonal(c))
    np.testing.assert_allclose(explicit, telegate_channel(rho, c), atol=1e-12)
    assert is_density_matrix(explicit)


def test_pauli_error_list_reads_pair_errors_as_z_on_control_and_x_on_target() -> None:
    errors = telegate_pauli_errors(np.array([0.4, 0.3, 0.2, 0.1]))
    assert errors == [(0.4, "I", "I"), (0.3, "I", "X"), (0.2, "Z", "I"), (0.1, "Z", "X")]
    # a pure Psi+ pair (X error) flips the target of |00>: the telegate gives |01>
    out = telegate_cnot(np.diag([1.0, 0, 0, 0]).astype(complex), np.array([0.0, 1.0, 0.0, 0.0]))
    np.testing.assert_allclose(out.real.diagonal(), [0, 1, 0, 0], atol=1e-12)


def test_kraus_operators_are_complete() -> None:
    kraus = telegate_kraus(np.array([0.7, 0.1, 0.15, 0.05]))
    np.testing.assert_allclose(sum(k.conj().T @ k for k in kraus), np.eye(4), atol=1e-12)


def test_non_bell_diagonal_pair_acts_through_its_bell_coefficients() -> None:
    pair = pair_from_bell_diagonal(np.array([1.0, 0.0, 0.0, 0.0]))
    for q in (0, 1):
        pair = apply_channel_to_pair(pair, amplitude_phase_damping_kraus(0.4, 1.0, 0.9), q)
    for rho in two_qubit_inputs()[:6]:
        np.testing.assert_allclose(telegate_cnot(rho, pair), telegate_channel(rho, bell_coefficients(pair)), atol=1e-12)


def test_bad_shapes_raise() -> None:
    with pytest.raises(ValueError, match="state"):
        telegate_cnot(np.eye(2) / 2, werner_state(0.9))
    with pytest.raises(ValueError, match="pair"):
        telegate_cnot(np.eye(4) / 4, np.ones(5))
