"""The exact (density-matrix) path: helpers against qutip; where it agrees with the fast path, where not."""

from __future__ import annotations

import math

import numpy as np
import pytest
import qutip
from hypothesis import given, settings
from hypothesis import strategies as st
from qutip.core.gates import qubit_clifford_group

from qnet_dqnn.physics.bell_diagonal import BELL_VECTORS, werner_parameter, werner_state
from qnet_dqnn.physics.decoherence import amplitude_phase_damping_kraus
from qnet_dqnn.physics.density import (
    CNOT,
    apply_channel_to_pair,
    apply_operator,
    bell_coefficients,
    depolarize_qubits,
    is_density_matrix,
    pair_fidelity,
    pair_from_bell_diagonal,
    partial_trace,
    pauli_kraus,
    purify_pairs,
    swap_pairs,
    twirl_to_bell_diagonal,
    twirl_to_werner,
)
from qnet_dqnn.physics.purification import bbpssw, dejmps
from qnet_dqnn.physics.swapping import BellMeasurement, swap_bell_diagonal

bell_coeffs = (
    st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4)
    .filter(lambda v: sum(v) > 1e-3)
    .map(lambda v: np.array(v) / sum(v))
)
probability = st.floats(0.0, 1.0)


def random_density(dim: int, seed: int) -> np.ndarray:
    return qutip.rand_dm(dim, seed=seed).full()


def twirled_damping(t: float, t1: float, t2: float) -> np.ndarray:
    """Pauli twirl (p_I, p_X, p_Z, p_Y) of T1/T2 damping, the fast path's memory model (Ghosh et al. 2012)."""
    lam_z, lam_xy = math.exp(-t / t1), math.exp(-t / t2)
    p_x, p_z = (1 - lam_z) / 4, (1 - 2 * lam_xy + lam_z) / 4
    return np.array([1 - 2 * p_x - p_z, p_x, p_z, p_x])


def damped_phi_plus(t_a: float, t_b: float, t1: float = 1.0, t2: float = 1.5) -> np.ndarray:
    rho = pair_from_bell_diagonal(np.array([1.0, 0.0, 0.0, 0.0]))
    rho = apply_channel_to_pair(rho, amplitude_phase_damping_kraus(t_a, t1, t2), 0)
    return apply_channel_to_pair(rho, amplitude_phase_damping_kraus(t_b, t1, t2), 1)


# ---- helpers against qutip -----------------------------------------------------------------------------


@pytest.mark.parametrize("targets", [[0, 2], [2, 0], [3, 1], [1, 2]])
def test_apply_operator_matches_qutip_expand_operator(targets: list[int]) -> None:
    rho = random_density(16, seed=3)
    op = qutip.rand_unitary(4, seed=5).full()
    full = qutip.expand_operator(qutip.Qobj(op, dims=[[2, 2], [2, 2]]), dims=[2] * 4, targets=targets).full()
    np.testing.assert_allclose(apply_operator(rho, op, targets, 4), full @ rho @ full.conj().T, atol=1e-12)


@pytest.mark.parametrize("keep", [[0], [2], [0, 3], [3, 0], [1, 2]])
def test_partial_trace_matches_qutip_ptrace(keep: list[int]) -> None:
    rho = random_density(16, seed=11)
    q = qutip.Qobj(rho, dims=[[2] * 4, [2] * 4])
    # qutip's ptrace keeps qubits in ascending order; reorder ours to compare
    expected = q.ptrace(sorted(keep)).full()
    got = partial_trace(rho, sorted(keep), 4)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    if keep != sorted(keep):
        swapped = partial_trace(rho, keep, 4)
        sw = np.eye(4)[[0, 2, 1, 3]]
        np.testing.assert_allclose(swapped, sw @ expected @ sw, atol=1e-12)


def test_depolarize_qubits_is_replacement_by_maximally_mixed() -> None:
    rho = random_density(8, seed=2)
    out = depolarize_qubits(rho, 0.3, [0, 2], 3)
    reduced = partial_trace(rho, [1], 3)
    # (1 - p) rho + p * I/4 on qubits 0, 2 and the reduced state on qubit 1, reordered to (0, 1, 2)
    mixed = np.kron(np.eye(4) / 4, reduced).reshape((2,) * 6)  # qubit order (q0, q2, q1)
    mixed = mixed.transpose(0, 2, 1, 3, 5, 4).reshape(8, 8)  # -> (q0, q1, q2)
    np.testing.assert_allclose(out, 0.7 * rho + 0.3 * mixed, atol=1e-12)


# ---- pair states and twirls ----------------------------------------------------------------------------


@given(bell_coeffs)
@settings(max_examples=30, deadline=None)
def test_bell_coefficients_round_trip(c: np.ndarray) -> None:
    rho = pair_from_bell_diagonal(c)
    assert is_density_matrix(rho)
    np.testing.assert_allclose(bell_coefficients(rho), c, atol=1e-12)


def test_bell_twirl_deletes_off_diagonal_bell_terms_and_keeps_diagonal() -> None:
    rho = random_density(4, seed=7)
    tw = twirl_to_bell_diagonal(rho)
    in_bell_basis = BELL_VECTORS.conj() @ tw @ BELL_VECTORS.T
    np.testing.assert_allclose(in_bell_basis, np.diag(bell_coefficients(rho)), atol=1e-12)
    assert is_density_matrix(tw)


def test_werner_twirl_is_the_average_over_the_clifford_group() -> None:
    # the one-qubit Clifford group is a unitary 2-design, so its U (x) U* average is the full twirl
    rho = random_density(4, seed=8)
    mean = np.zeros((4, 4), dtype=complex)
    cliffords = qubit_clifford_group()
    group = [u.full() for u in cliffords]
    for u in group:
        op = np.kron(u, u.conj())
        mean += op @ rho @ op.conj().T
    mean /= len(group)
    np.testing.assert_allclose(twirl_to_werner(rho), mean, atol=1e-12)


def test_pauli_kraus_on_pair_is_xor_convolution() -> None:
    c = np.array([0.7, 0.1, 0.15, 0.05])
    p = np.array([0.9, 0.05, 0.03, 0.02])
    out = bell_coefficients(apply_channel_to_pair(pair_from_bell_diagonal(c), pauli_kraus(p), 1))
    expected = np.array([sum(p[j] * c[k ^ j] for j in range(4)) for k in range(4)])
    np.testing.assert_allclose(out, expected, atol=1e-12)


# ---- swapping: exact vs fast ---------------------------------------------------------------------------


@given(bell_coeffs, bell_coeffs, st.floats(0.0, 1.0), st.floats(0.0, 0.5))
@settings(max_examples=25, deadline=None)
def test_swap_exact_matches_fast_on_bell_diagonal_inputs(
    c1: np.ndarray, c2: np.ndarray, dep: float, readout: float
) -> None:
    out = swap_pairs(
        pair_from_bell_diagonal(c1), pair_from_bell_diagonal(c2), bsm_depolarizing=dep, readout_error=readout
    )
    fast = swap_bell_diagonal(c1, c2, BellMeasurement(depolarizing=dep, readout_error=readout))
    np.testing.assert_allclose(out.probabilities, 0.25, atol=1e-12)
    for m in range(4):
        # every outcome leaves the same corrected state, which is Bell-diagonal with the fast coefficients
        np.testing.assert_allclose(out.states[m], pair_from_bell_diagonal(fast), atol=1e-12)
    assert is_density_matrix(out.average)


@pytest.mark.parametrize(("f1", "f2"), [(1.0, 1.0), (0.9, 0.8), (0.75, 0.6), (0.5, 0.99)])
def test_swap_of_werner_pairs_multiplies_werner_parameters_exact_path(f1: float, f2: float) -> None:
    out = swap_pairs(pair_from_bell_diagonal(werner_state(f1)), pair_from_bell_diagonal(werner_state(f2)))
    w = werner_parameter(f1) * werner_parameter(f2)
    np.testing.assert_allclose(
        out.average, w * np.outer(BELL_VECTORS[0], BELL_VECTORS[0]) + (1 - w) / 4 * np.eye(4), atol=1e-12
    )


def test_swap_exact_on_general_inputs_matches_fast_on_their_bell_coefficients() -> None:
    # every protocol here is covariant under the bilateral Pauli twirl: only Bell coefficients matter
    rho1, rho2 = random_density(4, seed=21), random_density(4, seed=22)
    out = swap_pairs(rho1, rho2, bsm_depolarizing=0.1, readout_error=0.05)
    fast = swap_bell_diagonal(
        bell_coefficients(rho1),
        bell_coefficients(rho2),
        BellMeasurement(depolarizing=0.1, readout_error=0.05),
    )
    np.testing.assert_allclose(bell_coefficients(out.average), fast, atol=1e-12)
    np.testing.assert_allclose(out.probabilities.sum(), 1.0, atol=1e-12)
    for m in range(4):
        assert is_density_matrix(out.states[m])


def test_amplitude_damping_on_both_ends_differs_from_the_twirled_memory_model() -> None:
    t1, t2, t_a, t_b = 1.0, 1.5, 0.3, 0.5
    exact = damped_phi_plus(t_a, t_b, t1, t2)
    # fast path: each end's Pauli-twirled T1/T2 channel on the Bell coefficients
    fast = np.array([1.0, 0.0, 0.0, 0.0])
    for t in (t_a, t_b):
        p = twirled_damping(t, t1, t2)
        fast = np.array([sum(p[j] * fast[k ^ j] for j in range(4)) for k in range(4)])
    l_a, l_b = math.exp(-t_a / t1), math.exp(-t_b / t1)
    # closed form of the gap: the exact <ZZ> keeps (1 - l_a)(1 - l_b) from both ends decaying to |0>
    assert pair_fidelity(exact) - fast[0] == pytest.approx((1 - l_a) * (1 - l_b) / 4, abs=1e-12)
    # with damping on one end only the twirl is exact (Ghosh et al. 2012)
    one_end = apply_channel_to_pair(
        pair_from_bell_diagonal(np.array([1.0, 0, 0, 0])), amplitude_phase_damping_kraus(t_a, t1, t2), 0
    )
    p = twirled_damping(t_a, t1, t2)
    np.testing.assert_allclose(bell_coefficients(one_end), p, atol=1e-12)


def test_swapping_damped_pairs_exact_vs_fast() -> None:
    t1, t2 = 1.0, 1.5
    rho1, rho2 = damped_phi_plus(0.2, 0.4, t1, t2), damped_phi_plus(0.4, 0.2, t1, t2)
    out = swap_pairs(rho1, rho2)
    # the middle qubits are biased towards |0>: <Z_B1> = 1 - e^(-0.4), <Z_B2> = 1 - e^(-0.4)
    z1 = z2 = 1 - math.exp(-0.4 / t1)
    expected = np.array([1 + z1 * z2, 1 - z1 * z2, 1 + z1 * z2, 1 - z1 * z2]) / 4
    np.testing.assert_allclose(out.probabilities, expected, atol=1e-12)
    # each outcome leaves a different corrected state (the fast path assumes one state for all)
    assert np.abs(out.states[0] - out.states[1]).max() > 1e-2
    # averaged Bell coefficients follow the fast swap of the exact Bell coefficients...
    np.testing.assert_allclose(
        bell_coefficients(out.average),
        swap_bell_diagonal(bell_coefficients(rho1), bell_coefficients(rho2)),
        atol=1e-12,
    )

    # ...but not the fast path that twirled each memory channel
    def fast_pair(t_a: float, t_b: float) -> np.ndarray:
        c = np.array([1.0, 0.0, 0.0, 0.0])
        for t in (t_a, t_b):
            c = swap_bell_diagonal(c, twirled_damping(t, t1, t2))
        return c

    fast = swap_bell_diagonal(fast_pair(0.2, 0.4), fast_pair(0.4, 0.2))
    assert pair_fidelity(out.average) - fast[0] > 1e-3


# ---- purification: circuit vs Bell-diagonal map --------------------------------------------------------


@given(bell_coeffs, bell_coeffs, st.sampled_from(["dejmps", "bbpssw"]), st.floats(0.0, 0.3), st.floats(0.0, 0.3))
@settings(max_examples=25, deadline=None)
def test_purification_circuit_matches_bell_diagonal_map(
    c1: np.ndarray, c2: np.ndarray, protocol: str, dep: float, readout: float
) -> None:
    exact = purify_pairs(
        pair_from_bell_diagonal(c1),
        pair_from_bell_diagonal(c2),
        protocol,
        gate_depolarizing=dep,
        readout_error=readout,
    )
    fn = dejmps if protocol == "dejmps" else bbpssw
    fast = fn(c1, c2, gate_depolarizing=dep, readout_error=readout)
    assert exact.success_probability == pytest.approx(fast.success_probability, abs=1e-12)
    if fast.success_probability > 1e-9:
        np.testing.assert_allclose(exact.state, pair_from_bell_diagonal(fast.coefficients), atol=1e-9)
        assert is_density_matrix(exact.state, atol=1e-8)


def test_purification_of_damped_pairs_depends_only_on_bell_coefficients() -> None:
    rho1, rho2 = damped_phi_plus(0.2, 0.3), damped_phi_plus(0.1, 0.5)
    exact = purify_pairs(rho1, rho2, "dejmps")
    fast = dejmps(bell_coefficients(rho1), bell_coefficients(rho2))
    assert exact.success_probability == pytest.approx(fast.success_probability, abs=1e-12)
    np.testing.assert_allclose(bell_coefficients(exact.state), fast.coefficients, atol=1e-12)


def test_cnot_constant_is_control_first() -> None:
    ket10 = np.zeros(4)
    ket10[2] = 1.0
    assert (CNOT @ ket10)[3] == 1.0


def test_invalid_arguments_raise() -> None:
    rho = pair_from_bell_diagonal(werner_state(0.9))
    with pytest.raises(ValueError, match="protocol"):
        purify_pairs(rho, rho, "nope")
    with pytest.raises(ValueError, match="qubit"):
        apply_channel_to_pair(rho, pauli_kraus(np.array([1.0, 0, 0, 0])), 2)
    with pytest.raises(ValueError, match="readout_error"):
        swap_pairs(rho, rho, readout_error=1.5)
