"""Property-based checks of the physics layer on random inputs.

* Every channel is trace-preserving and completely positive: memory decoherence (T1/T2 damping, depolarizing,
  ideal), Pauli channels, teleportation (explicit protocol and its Pauli channel), the telegate (explicit
  cat-entangler/disentangler and its Kraus form). Complete positivity is checked on the Choi matrix
  J = sum_ij |i><j| (x) E(|i><j|), built from the channel's action on states only (see :func:`choi`), so
  the functions are exercised exactly as callers use them.
* States stay normalised and fidelities stay in [0, 1] through every Bell-diagonal formula.
* The Bell-diagonal (fast) and density-matrix (exact) paths agree on random Bell-diagonal inputs: Pauli
  channels, memory decoherence, swapping (with BSM noise), purification (BBPSSW and DEJMPS, with noise),
  teleportation and the telegate.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from qnet_dqnn.net.pairs import Pair, memory_kraus, stored_state
from qnet_dqnn.physics import MemoryModel, decohere_pair, pauli_channel_on_pair, werner_state
from qnet_dqnn.physics.decoherence import amplitude_phase_damping_kraus, werner_fidelity_after_depolarizing
from qnet_dqnn.physics.density import (
    apply_channel_to_pair,
    bell_coefficients,
    is_density_matrix,
    pair_from_bell_diagonal,
    pauli_kraus,
    purify_pairs,
    swap_pairs,
)
from qnet_dqnn.physics.purification import purify, purify_until
from qnet_dqnn.physics.swapping import BellMeasurement, chain_bell_coefficients, swap_bell_diagonal
from qnet_dqnn.physics.telegate import telegate_channel, telegate_cnot, telegate_kraus
from qnet_dqnn.physics.teleportation import (
    apply_pauli_channel,
    average_teleportation_fidelity,
    teleport,
    teleport_outcomes,
    teleportation_pauli_channel,
)
from qnet_dqnn.units import to_ticks

Matrix = NDArray[np.complex128]
ATOL = 1e-9

#: Reproducible by default, like the fuzzers; hypothesis keeps no example database in the repository.
PROPERTY = settings(
    max_examples=100, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

# ------------------------------------------------------------------------------------------------------
# strategies
# ------------------------------------------------------------------------------------------------------

unit = st.floats(min_value=0.0, max_value=1.0)


@st.composite
def probability_vectors(draw: st.DrawFn, n: int = 4) -> NDArray[np.float64]:
    """A probability vector: random weights, or a corner/edge of the simplex (exact zeros and ones)."""
    if draw(st.booleans()):
        weights = np.array(draw(st.lists(unit, min_size=n, max_size=n)))
    else:
        weights = np.zeros(n)
        for i in draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True)):
            weights[i] = 1.0
    if weights.sum() <= 1e-12:
        weights[draw(st.integers(0, n - 1))] = 1.0
    return weights / weights.sum()


bell_diagonal = probability_vectors()


@st.composite
def density_matrices(draw: st.DrawFn, n_qubits: int) -> Matrix:
    """A random density matrix of ``n_qubits`` of random rank (rank 1: pure)."""
    dim = 2**n_qubits
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rank = draw(st.integers(1, dim))
    g = rng.normal(size=(dim, rank)) + 1j * rng.normal(size=(dim, rank))
    rho = g @ g.conj().T
    return rho / np.trace(rho).real


@st.composite
def memory_models(draw: st.DrawFn) -> MemoryModel:
    """An ideal, depolarizing or T1/T2 memory, times from 1 us to 1000 s, with T2 <= 2 T1 (T2 = 2 T1 too)."""
    kind = draw(st.sampled_from(["ideal", "depolarizing", "t1t2", "t1t2_limit"]))
    time_s = st.floats(min_value=1e-6, max_value=1e3)
    if kind == "ideal":
        return MemoryModel()
    if kind == "depolarizing":
        return MemoryModel(coherence_time_s=draw(time_s))
    t1 = draw(time_s)
    t2 = 2.0 * t1 if kind == "t1t2_limit" else t1 * draw(st.floats(min_value=1e-3, max_value=2.0))
    return MemoryModel(t1_s=t1, t2_s=t2)


wait_s = st.one_of(st.just(0.0), st.floats(min_value=1e-9, max_value=1e4))
bsms = st.builds(BellMeasurement, success_probability=unit, depolarizing=unit, readout_error=unit)

# ------------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------------

#: One-qubit states whose span is every 2x2 matrix: |0>, |1>, |+>, |+i>.
_PSD_BASIS = [
    np.array([[1, 0], [0, 0]], dtype=complex),
    np.array([[0, 0], [0, 1]], dtype=complex),
    np.full((2, 2), 0.5, dtype=complex),
    np.array([[0.5, -0.5j], [0.5j, 0.5]], dtype=complex),
]
#: |i><j| in that basis: |0><1| = |+><+| + i|+i><+i| - (1+i)/2 (|0><0| + |1><1|), |1><0| its adjoint.
_UNIT_IN_PSD = {
    (0, 0): [1, 0, 0, 0],
    (1, 1): [0, 1, 0, 0],
    (0, 1): [-(1 + 1j) / 2, -(1 + 1j) / 2, 1, 1j],
    (1, 0): [-(1 - 1j) / 2, -(1 - 1j) / 2, 1, -1j],
}


def choi(channel: Callable[[Matrix], Matrix], n_qubits: int) -> Matrix:
    """Choi matrix sum_ij |i><j| (x) E(|i><j|) of a channel on ``n_qubits``, calling it on states only.

    E(|i><j|) is expanded by linearity over products of the four states of ``_PSD_BASIS`` (the channels
    under test normalise per measurement outcome, so they must not be fed non-states).
    """
    dim = 2**n_qubits
    outputs = {idx: channel(_product(idx)) for idx in itertools.product(range(4), repeat=n_qubits)}
    out_dim = next(iter(outputs.values())).shape[0]
    j = np.zeros((dim * out_dim, dim * out_dim), dtype=complex)
    for i, k in itertools.product(range(dim), repeat=2):
        bits_i = [(i >> (n_qubits - 1 - q)) & 1 for q in range(n_qubits)]
        bits_k = [(k >> (n_qubits - 1 - q)) & 1 for q in range(n_qubits)]
        image = np.zeros((out_dim, out_dim), dtype=complex)
        for idx in itertools.product(range(4), repeat=n_qubits):
            coef = np.prod([_UNIT_IN_PSD[(bits_i[q], bits_k[q])][idx[q]] for q in range(n_qubits)])
            if coef != 0:
                image += coef * outputs[idx]
        unit_ik = np.zeros((dim, dim))
        unit_ik[i, k] = 1.0
        j += np.kron(unit_ik, image)
    return j


def _product(idx: tuple[int, ...]) -> Matrix:
    rho = np.array([[1.0 + 0j]])
    for i in idx:
        rho = np.kron(rho, _PSD_BASIS[i])
    return rho


def assert_cptp(j: Matrix, in_dim: int, atol: float = 1e-8) -> None:
    """Completely positive (Choi PSD) and trace-preserving (Tr_out J = identity on the input)."""
    out_dim = j.shape[0] // in_dim
    assert np.allclose(j, j.conj().T, atol=atol), "Choi matrix is not Hermitian"
    assert np.linalg.eigvalsh(j).min() >= -atol, f"not completely positive: min eig {np.linalg.eigvalsh(j).min()}"
    reduced = np.einsum("iaja->ij", j.reshape(in_dim, out_dim, in_dim, out_dim))
    assert np.allclose(reduced, np.eye(in_dim), atol=atol), "not trace-preserving"


def assert_kraus_tp(kraus: list[Matrix], atol: float = 1e-10) -> None:
    """sum_k K^dagger K = identity."""
    total = sum(k.conj().T @ k for k in kraus)
    assert np.allclose(total, np.eye(total.shape[0]), atol=atol)


def assert_distribution(c: NDArray[np.float64], atol: float = ATOL) -> None:
    """Four (or more) probabilities: each in [0, 1] (to rounding), summing to 1."""
    assert np.all(np.isfinite(c))
    assert c.min() >= -atol and c.max() <= 1.0 + atol, c
    assert abs(c.sum() - 1.0) <= atol, c.sum()


def _kraus_channel(kraus: list[Matrix]) -> Callable[[Matrix], Matrix]:
    return lambda rho: sum((k @ rho @ k.conj().T for k in kraus), np.zeros_like(rho))


def test_the_checks_catch_maps_that_are_not_channels() -> None:
    identity = choi(lambda rho: rho, 1)
    assert_cptp(identity, 2)
    assert np.allclose(identity, np.outer([1, 0, 0, 1], [1, 0, 0, 1]))  # the unnormalised |Phi+><Phi+|
    with pytest.raises(AssertionError, match="not completely positive"):
        assert_cptp(choi(lambda rho: rho.T, 1), 2)  # the transpose: positive, not completely positive
    with pytest.raises(AssertionError, match="not trace-preserving"):
        assert_cptp(choi(lambda rho: 0.9 * rho, 1), 2)
    with pytest.raises(AssertionError):
        assert_distribution(np.array([0.5, 0.5, 0.1, -0.1 - 1e-6]))


# ------------------------------------------------------------------------------------------------------
# channels are CPTP
# ------------------------------------------------------------------------------------------------------


@PROPERTY
@given(model=memory_models(), t=wait_s)
def test_memory_channels_are_cptp(model: MemoryModel, t: float) -> None:
    kraus = memory_kraus(model, t)
    assert_kraus_tp(kraus)
    assert_cptp(choi(_kraus_channel(kraus), 1), 2)
    # the pair-level application (either qubit of a 4x4 state) is CPTP too
    for qubit in (0, 1):
        assert_cptp(choi(lambda rho, q=qubit: apply_channel_to_pair(rho, kraus, q), 2), 4)


@PROPERTY
@given(t=wait_s, t1=st.floats(min_value=1e-6, max_value=1e3), ratio=st.floats(min_value=0.0, max_value=2.0))
def test_amplitude_phase_damping_is_cptp_up_to_the_t2_limit(t: float, t1: float, ratio: float) -> None:
    t2 = max(ratio * t1, 1e-9)
    if t2 > 2.0 * t1:
        t2 = 2.0 * t1
    kraus = amplitude_phase_damping_kraus(t, t1, t2)
    assert all(np.all(np.isfinite(k)) for k in kraus)
    assert_kraus_tp(kraus)
    assert_cptp(choi(_kraus_channel(kraus), 1), 2)


@PROPERTY
@given(p=probability_vectors())
def test_pauli_channels_are_cptp(p: NDArray[np.float64]) -> None:
    kraus = pauli_kraus(p)
    assert_kraus_tp(kraus)
    assert_cptp(choi(_kraus_channel(kraus), 1), 2)
    assert_cptp(choi(lambda rho: apply_pauli_channel(rho, p), 1), 2)


@PROPERTY
@given(pair=st.one_of(bell_diagonal, density_matrices(2)))
def test_teleportation_is_cptp_over_any_pair(pair: NDArray) -> None:
    assert_cptp(choi(lambda rho: teleport(rho, pair), 1), 2)


@PROPERTY
@given(pair=st.one_of(bell_diagonal, density_matrices(2)))
def test_telegate_is_cptp_over_any_pair(pair: NDArray) -> None:
    assert_cptp(choi(lambda rho: telegate_cnot(rho, pair), 2), 4)


@PROPERTY
@given(c=bell_diagonal)
def test_telegate_kraus_form_is_cptp(c: NDArray[np.float64]) -> None:
    kraus = telegate_kraus(c)
    assert_kraus_tp(kraus)
    assert_cptp(choi(lambda rho: telegate_channel(rho, c), 2), 4)


# ------------------------------------------------------------------------------------------------------
# states stay normalised, fidelities in [0, 1]
# ------------------------------------------------------------------------------------------------------


@PROPERTY
@given(c=bell_diagonal, p=probability_vectors(), model_a=memory_models(), model_b=memory_models(), t=wait_s)
def test_bell_diagonal_formulas_keep_states_normalised(
    c: NDArray[np.float64], p: NDArray[np.float64], model_a: MemoryModel, model_b: MemoryModel, t: float
) -> None:
    assert_distribution(pauli_channel_on_pair(c, p))
    assert_distribution(decohere_pair(c, model_a.bloch_factors(t), model_b.bloch_factors(2 * t)))
    assert_distribution(teleportation_pauli_channel(c))


@PROPERTY
@given(c1=bell_diagonal, c2=bell_diagonal, bsm=bsms, protocol=st.sampled_from(["bbpssw", "dejmps"]))
def test_swapping_and_purification_keep_states_normalised(
    c1: NDArray[np.float64], c2: NDArray[np.float64], bsm: BellMeasurement, protocol: str
) -> None:
    assert_distribution(swap_bell_diagonal(c1, c2, bsm))
    result = purify(c1, c2, protocol, gate_depolarizing=bsm.depolarizing, readout_error=bsm.readout_error)
    assert -ATOL <= result.success_probability <= 1.0 + ATOL
    if result.success_probability > 1e-12:
        assert_distribution(result.coefficients)
        assert 0.0 <= result.fidelity <= 1.0 + ATOL


@PROPERTY
@given(
    f=unit,
    n=st.integers(min_value=1, max_value=200),
    bsm=bsms,
    target=st.floats(min_value=1e-6, max_value=1.0),
    t=st.floats(min_value=0.0, max_value=1e4),
    tc=st.floats(min_value=1e-6, max_value=1e4),
)
def test_closed_forms_stay_in_range(f: float, n: int, bsm: BellMeasurement, target: float, t: float, tc: float) -> None:
    assert_distribution(werner_state(f))
    assert_distribution(chain_bell_coefficients(f, n, bsm))
    assert 0.0 <= average_teleportation_fidelity(f) <= 1.0
    assert 0.0 <= werner_fidelity_after_depolarizing(f, t, t, tc) <= 1.0
    plan = purify_until(werner_state(f), target, max_rounds=5)
    assert all(0.0 <= x <= 1.0 + ATOL for x in plan.fidelities)
    assert all(0.0 <= x <= 1.0 + ATOL for x in plan.success_probabilities)
    assert_distribution(plan.coefficients)


@PROPERTY
@given(state=density_matrices(1), pair=st.one_of(bell_diagonal, density_matrices(2)))
def test_teleported_states_are_states(state: Matrix, pair: NDArray) -> None:
    out = teleport_outcomes(state, pair)
    assert_distribution(out.probabilities)
    assert is_density_matrix(out.average)
    for p, rho in zip(out.probabilities, out.states, strict=True):
        if p > 1e-12:
            assert is_density_matrix(rho)


@PROPERTY
@given(rho1=density_matrices(2), rho2=density_matrices(2), bsm=bsms)
def test_exact_swapping_and_purification_give_states(rho1: Matrix, rho2: Matrix, bsm: BellMeasurement) -> None:
    swap = swap_pairs(rho1, rho2, bsm_depolarizing=bsm.depolarizing, readout_error=bsm.readout_error)
    assert_distribution(swap.probabilities)
    assert is_density_matrix(swap.average)
    for protocol in ("bbpssw", "dejmps"):
        out = purify_pairs(rho1, rho2, protocol, gate_depolarizing=bsm.depolarizing, readout_error=bsm.readout_error)
        assert -ATOL <= out.success_probability <= 1.0 + ATOL
        if out.success_probability > 1e-9:
            assert is_density_matrix(out.state, atol=1e-7)
            assert -ATOL <= bell_coefficients(out.state)[0] <= 1.0 + ATOL


# ------------------------------------------------------------------------------------------------------
# the Bell-diagonal and density-matrix paths agree on Bell-diagonal inputs
# ------------------------------------------------------------------------------------------------------


@PROPERTY
@given(c=bell_diagonal, p=probability_vectors(), qubit=st.sampled_from([0, 1]))
def test_pauli_channel_paths_agree(c: NDArray[np.float64], p: NDArray[np.float64], qubit: int) -> None:
    exact = apply_channel_to_pair(pair_from_bell_diagonal(c), pauli_kraus(p), qubit)
    assert np.allclose(bell_coefficients(exact), pauli_channel_on_pair(c, p), atol=ATOL)
    assert np.allclose(exact, pair_from_bell_diagonal(bell_coefficients(exact)), atol=ATOL)  # stays Bell-diagonal


@PROPERTY
@given(c=bell_diagonal, model_a=memory_models(), model_b=memory_models(), t_a=wait_s, t_b=wait_s)
def test_decohere_pair_agrees_with_kraus_maps_on_the_bell_basis_diagonal(
    c: NDArray[np.float64], model_a: MemoryModel, model_b: MemoryModel, t_a: float, t_b: float
) -> None:
    fast = decohere_pair(c, model_a.bloch_factors(t_a), model_b.bloch_factors(t_b))
    rho = pair_from_bell_diagonal(c)
    rho = apply_channel_to_pair(rho, memory_kraus(model_a, t_a), 0)
    rho = apply_channel_to_pair(rho, memory_kraus(model_b, t_b), 1)
    assert is_density_matrix(rho)
    assert np.allclose(bell_coefficients(rho), fast, atol=ATOL)


@PROPERTY
@given(
    c=bell_diagonal,
    model_a=memory_models(),
    model_b=memory_models(),
    waits=st.tuples(st.integers(0, 10**12), st.integers(0, 10**12)),
)
def test_stored_pair_state_agrees_between_the_two_pair_models(
    c: NDArray[np.float64], model_a: MemoryModel, model_b: MemoryModel, waits: tuple[int, int]
) -> None:
    """The network's own read-out (``stored_state``) of a pair held ``waits`` ticks, fast vs exact path."""
    now = max(waits) + to_ticks(1e-3)
    since = (now - waits[0], now - waits[1])
    fast = Pair(0, "a-b", ("a", "b"), c, since, since[0])
    exact = Pair(1, "a-b", ("a", "b"), pair_from_bell_diagonal(c), since, since[0])
    c_fast = stored_state(fast, now, (model_a, model_b))
    rho = stored_state(exact, now, (model_a, model_b))
    assert_distribution(np.asarray(c_fast))
    assert is_density_matrix(rho)
    assert np.allclose(bell_coefficients(rho), c_fast, atol=ATOL)


@PROPERTY
@given(c1=bell_diagonal, c2=bell_diagonal, bsm=bsms)
def test_swapping_paths_agree(c1: NDArray[np.float64], c2: NDArray[np.float64], bsm: BellMeasurement) -> None:
    exact = swap_pairs(
        pair_from_bell_diagonal(c1),
        pair_from_bell_diagonal(c2),
        bsm_depolarizing=bsm.depolarizing,
        readout_error=bsm.readout_error,
    )
    assert np.allclose(exact.probabilities, 0.25, atol=ATOL)
    assert np.allclose(bell_coefficients(exact.average), swap_bell_diagonal(c1, c2, bsm), atol=ATOL)


@PROPERTY
@given(
    c1=bell_diagonal,
    c2=bell_diagonal,
    protocol=st.sampled_from(["bbpssw", "dejmps"]),
    gate=st.one_of(st.just(0.0), unit),
    readout=st.one_of(st.just(0.0), unit),
)
def test_purification_paths_agree(
    c1: NDArray[np.float64], c2: NDArray[np.float64], protocol: str, gate: float, readout: float
) -> None:
    fast = purify(c1, c2, protocol, gate_depolarizing=gate, readout_error=readout)
    exact = purify_pairs(
        pair_from_bell_diagonal(c1),
        pair_from_bell_diagonal(c2),
        protocol,
        gate_depolarizing=gate,
        readout_error=readout,
    )
    assert exact.success_probability == pytest.approx(fast.success_probability, abs=ATOL)
    if fast.success_probability > 1e-9:
        assert np.allclose(bell_coefficients(exact.state), fast.coefficients, atol=1e-7)


@PROPERTY
@given(c=bell_diagonal, state=density_matrices(1))
def test_teleportation_paths_agree(c: NDArray[np.float64], state: Matrix) -> None:
    exact = teleport(state, pair_from_bell_diagonal(c))
    assert np.allclose(exact, apply_pauli_channel(state, teleportation_pauli_channel(c)), atol=ATOL)


@PROPERTY
@given(c=bell_diagonal, state=density_matrices(2))
def test_telegate_paths_agree(c: NDArray[np.float64], state: Matrix) -> None:
    assert np.allclose(telegate_cnot(state, pair_from_bell_diagonal(c)), telegate_channel(state, c), atol=ATOL)
