"""Teleportation: explicit protocol vs qutip, the Pauli channel of a Bell-diagonal pair, (2F+1)/3."""

from __future__ import annotations

import numpy as np
import pytest
import qutip
from hypothesis import given, settings
from hypothesis import strategies as st

from qnet_dqnn.physics.bell_diagonal import werner_state
from qnet_dqnn.physics.decoherence import amplitude_phase_damping_kraus
from qnet_dqnn.physics.density import (
    apply_channel_to_pair,
    bell_coefficients,
    is_density_matrix,
    pair_from_bell_diagonal,
)
from qnet_dqnn.physics.teleportation import (
    apply_pauli_channel,
    average_fidelity_from_entangled_fraction,
    average_teleportation_fidelity,
    pure_state_teleport_fidelity,
    state_fidelity,
    teleport,
    teleport_outcomes,
    teleportation_pauli_channel,
)

bell_coeffs = (
    st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4)
    .filter(lambda v: sum(v) > 1e-3)
    .map(lambda v: np.array(v) / sum(v))
)

#: The six Pauli eigenstates: a state 2-design, so averages over them equal Haar averages of quadratics.
PAULI_EIGENSTATES = [
    np.array([1, 0]),
    np.array([0, 1]),
    np.array([1, 1]) / np.sqrt(2),
    np.array([1, -1]) / np.sqrt(2),
    np.array([1, 1j]) / np.sqrt(2),
    np.array([1, -1j]) / np.sqrt(2),
]


def qutip_teleport(rho_in: np.ndarray, pair: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same protocol built from qutip operators: Bell projection on (S, A), ptrace, Pauli on B."""
    rho = qutip.tensor(qutip.Qobj(rho_in), qutip.Qobj(pair, dims=[[2, 2], [2, 2]]))
    # qutip labels: '00' Phi+, '10' Psi+, '01' Phi-, '11' Psi-; corrections I, X, Z, XZ in that order
    labels = ["00", "10", "01", "11"]
    corrections = [qutip.qeye(2), qutip.sigmax(), qutip.sigmaz(), qutip.sigmax() * qutip.sigmaz()]
    probs, out = [], qutip.Qobj(np.zeros((2, 2)))
    for label, corr in zip(labels, corrections, strict=True):
        proj = qutip.tensor(qutip.ket2dm(qutip.bell_state(label)), qutip.qeye(2))
        branch = (proj * rho * proj).ptrace(2)
        probs.append(branch.tr())
        out += corr * branch * corr.dag()
    return np.real(np.array(probs)), out.full()


@pytest.mark.parametrize("seed", range(5))
def test_exact_path_matches_qutip(seed: int) -> None:
    rho_in = qutip.rand_dm(2, seed=seed).full()
    pair = qutip.rand_dm([2, 2], seed=100 + seed).full()  # a general, not Bell-diagonal, pair
    probs, expected = qutip_teleport(rho_in, pair)
    out = teleport_outcomes(rho_in, pair)
    np.testing.assert_allclose(out.probabilities, probs, atol=1e-10)
    np.testing.assert_allclose(out.average, expected, atol=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_perfect_pair_teleports_random_states_with_fidelity_one(seed: int) -> None:
    psi = qutip.rand_ket(2, seed=seed).full().ravel()
    out = teleport_outcomes(np.outer(psi, psi.conj()), np.array([1.0, 0.0, 0.0, 0.0]))
    np.testing.assert_allclose(out.probabilities, 0.25, atol=1e-12)
    for m in range(4):  # every outcome, once corrected, gives back |psi>
        assert state_fidelity(psi, out.states[m]) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("f", [1.0, 0.9, 0.75, 0.5, 0.25])
def test_average_fidelity_over_a_2_design_is_2f_plus_1_over_3(f: float) -> None:
    for pair in (werner_state(f), np.array([f, (1 - f) * 0.6, (1 - f) * 0.3, (1 - f) * 0.1])):
        fids = [state_fidelity(psi, teleport(np.outer(psi, psi.conj()), pair)) for psi in PAULI_EIGENSTATES]
        assert np.mean(fids) == pytest.approx((2 * f + 1) / 3, abs=1e-12)
        assert average_teleportation_fidelity(f) == pytest.approx((2 * f + 1) / 3, abs=1e-15)


def test_average_fidelity_over_random_states_within_sampling_error() -> None:
    f = 0.8
    pair = np.array([f, 0.15, 0.05, 0.0])  # not Werner: the fidelity depends on the state
    rng = np.random.default_rng(7)
    fids = []
    for _ in range(400):
        psi = qutip.rand_ket(2, seed=rng).full().ravel()
        fids.append(state_fidelity(psi, teleport(np.outer(psi, psi.conj()), pair)))
    fids_arr = np.array(fids)
    assert fids_arr.std() > 1e-3  # really state-dependent
    sem = fids_arr.std(ddof=1) / np.sqrt(len(fids_arr))
    assert abs(fids_arr.mean() - (2 * f + 1) / 3) < 4 * sem


def test_werner_pair_gives_the_same_fidelity_for_every_state() -> None:
    f = 0.85
    rng = np.random.default_rng(3)
    for _ in range(20):
        psi = qutip.rand_ket(2, seed=rng).full().ravel()
        fid = state_fidelity(psi, teleport(np.outer(psi, psi.conj()), werner_state(f)))
        assert fid == pytest.approx((2 * f + 1) / 3, abs=1e-12)


@given(bell_coeffs, st.integers(0, 2**31 - 1))
@settings(max_examples=30, deadline=None)
def test_protocol_over_bell_diagonal_pair_is_the_pauli_channel(c: np.ndarray, seed: int) -> None:
    rho_in = qutip.rand_dm(2, seed=seed).full()
    out = teleport_outcomes(rho_in, c)
    expected = apply_pauli_channel(rho_in, teleportation_pauli_channel(c))
    np.testing.assert_allclose(out.average, expected, atol=1e-12)
    assert out.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    assert is_density_matrix(out.average)
    np.testing.assert_allclose(out.average, teleport(rho_in, pair_from_bell_diagonal(c)), atol=1e-12)


def test_non_bell_diagonal_pair_acts_through_its_bell_coefficients_on_average() -> None:
    pair = pair_from_bell_diagonal(np.array([1.0, 0.0, 0.0, 0.0]))
    for q in (0, 1):
        pair = apply_channel_to_pair(pair, amplitude_phase_damping_kraus(0.3, 1.0, 1.2), q)
    rho_in = qutip.rand_dm(2, seed=4).full()
    out = teleport_outcomes(rho_in, pair)
    np.testing.assert_allclose(out.average, apply_pauli_channel(rho_in, bell_coefficients(pair)), atol=1e-12)
    # but the outcomes are not uniform and each leaves a different state
    assert np.abs(out.probabilities - 0.25).max() > 1e-3
    assert np.abs(out.states[0] - out.states[3]).max() > 1e-3


def test_horodecki_formula_in_other_dimensions() -> None:
    assert average_fidelity_from_entangled_fraction(1.0, 3) == 1.0
    assert average_fidelity_from_entangled_fraction(1 / 3, 3) == pytest.approx(0.5)  # classical 2/(d+1)
    assert average_teleportation_fidelity(0.5) == pytest.approx(2 / 3)


def test_bad_shapes_raise() -> None:
    with pytest.raises(ValueError, match="pair"):
        teleport(np.eye(2) / 2, np.ones(3))
    with pytest.raises(ValueError, match="state"):
        teleport(np.eye(4) / 4, werner_state(0.9))


@given(c=bell_coeffs, seed=st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_pure_state_fidelity_closed_form_matches_the_protocol(c: np.ndarray, seed: int) -> None:
    ket = qutip.rand_ket(2, seed=seed)
    rho = ket.proj().full()
    bloch = np.array([qutip.expect(op, ket) for op in (qutip.sigmax(), qutip.sigmay(), qutip.sigmaz())])
    explicit = state_fidelity(ket.full().ravel(), teleport(rho, c))
    assert pure_state_teleport_fidelity(c, bloch / np.linalg.norm(bloch)) == pytest.approx(explicit, abs=1e-9)


@pytest.mark.parametrize("f", [1.0, 0.9, 0.5, 0.25])
def test_pure_state_fidelity_averages_to_2f_plus_1_over_3(f: float) -> None:
    werner = np.array([f, (1 - f) / 3, (1 - f) / 3, (1 - f) / 3])
    axes = [np.array(v, dtype=float) for v in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1))]
    mean = np.mean([pure_state_teleport_fidelity(werner, n) for n in axes])  # the 6 Pauli eigenstates: a 2-design
    assert mean == pytest.approx(average_teleportation_fidelity(f), abs=1e-12)
    # a Werner pair teleports every state equally well; a biased pair does not
    assert pure_state_teleport_fidelity(werner, np.array([0.6, 0.0, 0.8])) == pytest.approx((2 * f + 1) / 3)
    biased = np.array([0.8, 0.2, 0.0, 0.0])  # X errors only: |+> is safe, |0> is not
    assert pure_state_teleport_fidelity(biased, axes[0]) == 1.0
    assert pure_state_teleport_fidelity(biased, axes[4]) == pytest.approx(0.8)


def test_pure_state_fidelity_needs_a_pure_state() -> None:
    with pytest.raises(ValueError, match="unit vector"):
        pure_state_teleport_fidelity(np.array([1.0, 0, 0, 0]), np.array([0.5, 0.0, 0.0]))
