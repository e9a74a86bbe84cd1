"""The exact path for pair states: 4x4 density matrices and explicit circuits on a few qubits.

The fast path (:mod:`qnet_dqnn.physics.bell_diagonal`, :mod:`~qnet_dqnn.physics.swapping`,
:mod:`~qnet_dqnn.physics.purification`) keeps only the four Bell coefficients. This module keeps the whole
two-qubit density matrix and runs the protocols as circuits: entanglement swapping as a Bell-state
measurement on the two middle qubits of a four-qubit state followed by a Pauli correction, recurrence
purification as bilateral CNOTs followed by a Z measurement of the target pair.

Qubit order: a pair state ``rho`` is a 4x4 matrix in the basis |00>, |01>, |10>, |11> of (first end,
second end); in an n-qubit state qubit 0 is the most significant bit, as in ``np.kron``.

Where the two paths agree and differ:

* Every protocol here (swapping with correction, BBPSSW/DEJMPS, teleportation) commutes with the bilateral
  Pauli twirl {II, XX, YY, ZZ}, so its outcome-averaged output Bell coefficients (and purification success
  probability) depend only on the input Bell coefficients: on Bell-diagonal inputs both paths agree exactly,
  and on any input the exact path agrees with the fast path fed the inputs' :func:`bell_coefficients`.
* They differ where a channel that does not commute with Paulis acts on a state that is not Bell-diagonal.
  Amplitude damping (T1) on *both* qubits of |Phi+> gives <ZZ> = l_a l_b + (1 - l_a)(1 - l_b) (l = e^(-t/T1))
  while the Pauli-twirled memory model of the fast path gives l_a l_b, so the exact Bell fidelity is higher by
  (1 - l_a)(1 - l_b)/4; it carries on into the fidelity after swapping. Damped pairs also have biased
  marginals, so the Bell-measurement outcomes are no longer uniform and each outcome leaves a different
  corrected state; the fast path assumes 1/4 each and one state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.physics.bell_diagonal import BELL_VECTORS, bell_diagonal_density_matrix

Matrix = NDArray[np.complex128]

#: One-qubit Paulis in the Bell/Pauli index order x + 2z: I, X, Z, XZ (XZ = -iY; phases do not matter
#: for conjugation).
PAULIS: tuple[Matrix, ...] = (
    np.eye(2, dtype=complex),
    np.array([[0, 1], [1, 0]], dtype=complex),
    np.array([[1, 0], [0, -1]], dtype=complex),
    np.array([[0, -1], [1, 0]], dtype=complex),  # X @ Z
)
HADAMARD: Matrix = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2.0)
#: CNOT with the first qubit as control, in the basis |00>, |01>, |10>, |11>.
CNOT: Matrix = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex)
#: Projectors on the four Bell states, in index order (Phi+, Psi+, Phi-, Psi-).
BELL_PROJECTORS: Matrix = np.einsum("ki,kj->kij", BELL_VECTORS, BELL_VECTORS.conj())
_PROJ_Z: tuple[Matrix, Matrix] = (np.diag([1.0, 0.0]).astype(complex), np.diag([0.0, 1.0]).astype(complex))


def rx(theta: float) -> Matrix:
    """Rotation exp(-i theta X / 2) about the x axis."""
    c, s = np.cos(theta / 2.0), np.sin(theta / 2.0)
    return np.array([[c, -1j * s], [-1j * s, c]], dtype=complex)


# --------------------------------------------------------------------------------------------------------
# n-qubit helpers
# --------------------------------------------------------------------------------------------------------


def apply_operator(rho: Matrix, op: Matrix, targets: Sequence[int], n_qubits: int) -> Matrix:
    """Return op rho op^dagger, with the k-qubit operator ``op`` acting on qubits ``targets`` (in that order).

    ``op`` need not be unitary (a Kraus operator or a projector); qubit 0 is the most significant.

    Examples:
        >>> rho = np.diag([1.0, 0, 0, 0]).astype(complex)
        >>> apply_operator(rho, PAULIS[1], [1], 2).real.diagonal().tolist()
        [0.0, 1.0, 0.0, 0.0]
    """
    k = len(targets)
    if op.shape != (2**k, 2**k):
        raise ValueError(f"op must be {2**k}x{2**k} for {k} target qubits (got shape {op.shape})")
    op_t = op.reshape((2,) * (2 * k))
    t = rho.reshape((2,) * (2 * n_qubits))
    # ket side: contract op's input axes with the target row axes
    t = np.tensordot(op_t, t, axes=(list(range(k, 2 * k)), list(targets)))
    t = np.moveaxis(t, list(range(k)), list(targets))
    # bra side: contract conj(op) input axes with the target column axes
    cols = [n_qubits + q for q in targets]
    t = np.tensordot(t, op_t.conj(), axes=(cols, list(range(k, 2 * k))))
    t = np.moveaxis(t, list(range(2 * n_qubits - k, 2 * n_qubits)), cols)
    return t.reshape(2**n_qubits, 2**n_qubits)


def apply_kraus(rho: Matrix, kraus: Sequence[Matrix], targets: Sequence[int], n_qubits: int) -> Matrix:
    """Apply the channel rho -> sum_i K_i rho K_i^dagger on qubits ``targets`` of an n-qubit state."""
    return sum((apply_operator(rho, k, targets, n_qubits) for k in kraus), np.zeros_like(rho))


def partial_trace(rho: Matrix, keep: Sequence[int], n_qubits: int) -> Matrix:
    """Reduced state of qubits ``keep`` (in that order) of an n-qubit density matrix.

    Examples:
        >>> phi = bell_diagonal_density_matrix(np.array([1.0, 0, 0, 0]))
        >>> partial_trace(phi, [0], 2).real.round(3).tolist()
        [[0.5, 0.0], [0.0, 0.5]]
    """
    keep = list(keep)
    gone = [q for q in range(n_qubits) if q not in keep]
    t = rho.reshape((2,) * (2 * n_qubits))
    # bring (keep rows, gone rows, keep cols, gone cols) and trace the gone ones pairwise
    order = keep + gone + [n_qubits + q for q in keep] + [n_qubits + q for q in gone]
    t = np.transpose(t, order)
    dk, dg = 2 ** len(keep), 2 ** len(gone)
    t = t.reshape(dk, dg, dk, dg)
    return np.einsum("ajbj->ab", t)


def depolarize_qubits(rho: Matrix, probability: float, targets: Sequence[int], n_qubits: int) -> Matrix:
    """Replace qubits ``targets`` by the maximally mixed state with the given probability.

    rho -> (1 - p) rho + p Tr_targets(rho) (x) I/2^k, the k-qubit depolarizing channel used for imperfect
    local operations by Briegel et al., PRL 81, 5932 (1998) and Dur et al., PRA 59, 169 (1999), Eq. (5)
    (their p2 is 1 - p here).
    """
    if probability == 0.0:
        return rho
    _check_probability("probability", probability)
    # the twirl over all k-qubit Paulis is exactly the full depolarization of those qubits
    k = len(targets)
    full = np.zeros_like(rho)
    for idx in np.ndindex(*(4,) * k):
        op = np.array([[1.0 + 0j]])
        for i in idx:
            op = np.kron(op, PAULIS[i])
        full += apply_operator(rho, op, targets, n_qubits)
    full /= 4**k
    return (1.0 - probability) * rho + probability * full


# --------------------------------------------------------------------------------------------------------
# pair states
# --------------------------------------------------------------------------------------------------------


def pair_from_bell_diagonal(coefficients: NDArray[np.float64]) -> Matrix:
    """The 4x4 density matrix of a Bell-diagonal pair: sum_k c_k |Bell_k><Bell_k|."""
    return bell_diagonal_density_matrix(np.asarray(coefficients, dtype=float))


def bell_coefficients(rho: Matrix) -> NDArray[np.float64]:
    """The Bell-basis diagonal <Bell_k|rho|Bell_k>, k in index order (Phi+, Psi+, Phi-, Psi-).

    These are the coefficients of the Bell-diagonal twirl of ``rho`` (see :func:`twirl_to_bell_diagonal`).

    Examples:
        >>> bell_coefficients(pair_from_bell_diagonal(np.array([0.7, 0.1, 0.1, 0.1]))).round(3).tolist()
        [0.7, 0.1, 0.1, 0.1]
    """
    return np.einsum("ki,ij,kj->k", BELL_VECTORS.conj(), rho, BELL_VECTORS).real


def pair_fidelity(rho: Matrix) -> float:
    """Bell fidelity <Phi+|rho|Phi+> of a two-qubit pair state."""
    return float(bell_coefficients(rho)[0])


def twirl_to_bell_diagonal(rho: Matrix) -> Matrix:
    """Bilateral Pauli twirl rho -> (1/4) sum_{P in I,X,Y,Z} (P (x) P*) rho (P (x) P*)^dagger.

    Each Bell state is an eigenvector of XX and ZZ with its own pair of eigenvalues, so this twirl deletes
    every off-diagonal element in the Bell basis and keeps the diagonal (Bennett, DiVincenzo, Smolin &
    Wootters, PRA 54, 3824 (1996), Sec. III; Dur & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 3.2).
    Computed here by explicit conjugation, so a test can compare it with :func:`bell_coefficients`.
    """
    out = np.zeros_like(rho)
    for p in PAULIS:
        op = np.kron(p, p.conj())
        out += op @ rho @ op.conj().T
    return out / 4.0


def twirl_to_werner(rho: Matrix) -> Matrix:
    """Depolarizing (U (x) U*) twirl to the Werner state of the same Bell fidelity F.

    The average over all U of (U (x) U*) rho (U (x) U*)^dagger is
    F |Phi+><Phi+| + (1 - F)/3 (1 - |Phi+><Phi+|)
    (Bennett et al., PRL 76, 722 (1996), step (i); Werner, PRA 40, 4277 (1989)).
    """
    f = pair_fidelity(rho)
    rest = (1.0 - f) / 3.0
    return pair_from_bell_diagonal(np.array([f, rest, rest, rest]))


def apply_channel_to_pair(rho: Matrix, kraus: Sequence[Matrix], qubit: int) -> Matrix:
    """Apply a one-qubit channel (Kraus operators) to qubit 0 or 1 of a pair state.

    For instance ``apply_channel_to_pair(rho, amplitude_phase_damping_kraus(t, t1, t2), 1)`` lets the second
    end wait ``t`` seconds in a T1/T2 memory.
    """
    if qubit not in (0, 1):
        raise ValueError(f"qubit must be 0 or 1 (got {qubit!r})")
    ops = np.asarray(kraus, dtype=complex)
    r4 = np.asarray(rho).reshape(2, 2, 2, 2)  # (row A, row B, column A, column B)
    if qubit == 0:
        out = np.einsum("kai,ibjc,kdj->abdc", ops, r4, ops.conj())
    else:
        out = np.einsum("kbi,aicj,kdj->abcd", ops, r4, ops.conj())
    return out.reshape(4, 4)


def pauli_kraus(pauli_probabilities: NDArray[np.float64]) -> list[Matrix]:
    """Kraus operators sqrt(p_i) P_i of a one-qubit Pauli channel given as (p_I, p_X, p_Z, p_Y)."""
    return [np.sqrt(max(float(p), 0.0)) * PAULIS[i] for i, p in enumerate(pauli_probabilities)]


def is_density_matrix(rho: Matrix, atol: float = 1e-9) -> bool:
    """True when rho is Hermitian, has unit trace and no eigenvalue below -atol."""
    if not np.allclose(rho, rho.conj().T, atol=atol):
        return False
    if abs(np.trace(rho) - 1.0) > atol:
        return False
    return bool(np.linalg.eigvalsh(rho).min() >= -atol)


# --------------------------------------------------------------------------------------------------------
# entanglement swapping
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SwapOutcomes:
    """Result of a Bell-state measurement on the middle qubits of two pairs, with Pauli correction.

    Attributes:
        probabilities: (4,) probability of each reported outcome m (Bell index of the middle qubits).
        states: (4, 4, 4) corrected output pair state for each outcome (zeros where its probability is 0).
        average: (4, 4) outcome-averaged corrected output, sum_m probabilities[m] * states[m].
    """

    probabilities: NDArray[np.float64]
    states: NDArray[np.complex128]
    average: Matrix


def _readout_confusion(readout_error: float) -> NDArray[np.float64]:
    """Q[m_reported, m_true] when each of the two outcome bits (x, z) flips with probability e."""
    e = readout_error
    flip = np.array([(1 - e) ** 2, e * (1 - e), e * (1 - e), e * e])  # by XOR pattern
    return flip[np.bitwise_xor.outer(np.arange(4), np.arange(4))]


def swap_pairs(
    rho1: Matrix, rho2: Matrix, *, bsm_depolarizing: float = 0.0, readout_error: float = 0.0
) -> SwapOutcomes:
    """Entanglement swapping of pairs (A, B1) and (B2, C) by an explicit Bell measurement on B1, B2.

    Builds the 4-qubit state rho1 (x) rho2 on (A, B1, B2, C), optionally depolarizes B1, B2 with probability
    ``bsm_depolarizing`` (imperfect BSM, Briegel et al., PRL 81, 5932 (1998)), projects B1 B2 on each Bell
    state |Bell_m>, traces them out, and applies the correction P_m to C, so that for |Phi+> inputs every
    outcome leaves |Phi+> on (A, C) (Zukowski et al., PRL 71, 4287 (1993); Dur & Briegel, Rep. Prog. Phys.
    70, 1381 (2007), Sec. 4.1). With ``readout_error`` each outcome bit is misreported with that probability,
    and the correction follows the reported outcome.

    Examples:
        >>> phi = pair_from_bell_diagonal(np.array([1.0, 0, 0, 0]))
        >>> out = swap_pairs(phi, phi)
        >>> out.probabilities.round(3).tolist(), round(pair_fidelity(out.average), 6)
        ([0.25, 0.25, 0.25, 0.25], 1.0)
    """
    _check_probability("bsm_depolarizing", bsm_depolarizing)
    _check_probability("readout_error", readout_error)
    rho = np.kron(rho1, rho2)
    rho = depolarize_qubits(rho, bsm_depolarizing, [1, 2], 4)
    true_unnorm = np.array(
        [partial_trace(apply_operator(rho, BELL_PROJECTORS[m], [1, 2], 4), [0, 3], 4) for m in range(4)]
    )
    confusion = _readout_confusion(readout_error)
    probs = np.zeros(4)
    states = np.zeros((4, 4, 4), dtype=complex)
    for m in range(4):
        unnorm = np.einsum("t,tij->ij", confusion[m], true_unnorm)
        corrected = apply_operator(unnorm, PAULIS[m], [1], 2)
        p = float(np.trace(corrected).real)
        probs[m] = p
        if p > 1e-15:
            states[m] = corrected / p
    average = np.einsum("m,mij->ij", probs, states)
    return SwapOutcomes(probabilities=probs, states=states, average=average)


# --------------------------------------------------------------------------------------------------------
# recurrence purification
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PurificationOutcome:
    """Result of one explicit purification round on two pair states.

    Attributes:
        success_probability: probability that the two parity results agree (the kept branch).
        state: (4, 4) normalised state of the kept (control) pair, given success.
    """

    success_probability: float
    state: Matrix


def purify_pairs(
    rho1: Matrix,
    rho2: Matrix,
    protocol: str = "dejmps",
    *,
    gate_depolarizing: float = 0.0,
    readout_error: float = 0.0,
) -> PurificationOutcome:
    """One recurrence purification round by the explicit circuit on (A1, B1, A2, B2).

    Pair 1 (A1, B1) is the kept pair (control), pair 2 (A2, B2) is sacrificed (target).

    * ``"dejmps"`` (Deutsch et al., PRL 77, 2818 (1996)): A applies Rx(pi/2) to A1, A2 and B applies
      Rx(-pi/2) to B1, B2; then the bilateral CNOT A1->A2, B1->B2; A2 and B2 are measured in Z and the round
      succeeds when the results agree.
    * ``"bbpssw"`` (Bennett et al., PRL 76, 722 (1996)): both inputs are first twirled to Werner form, then
      the bilateral CNOT and the same measurement; the kept pair is twirled to Werner form again.

    Noise (Dur et al., PRA 59, 169 (1999), Sec. IV): each node's two qubits are depolarized with probability
    ``gate_depolarizing`` after its CNOT, and each measured bit is misread with probability ``readout_error``.
    """
    _check_probability("gate_depolarizing", gate_depolarizing)
    if protocol not in ("dejmps", "bbpssw"):
        raise ValueError(f"protocol must be in ('dejmps', 'bbpssw') (got {protocol!r})")
    _check_probability("readout_error", readout_error)
    if protocol == "bbpssw":
        rho1, rho2 = twirl_to_werner(rho1), twirl_to_werner(rho2)
    rho = np.kron(rho1, rho2)  # qubits A1, B1, A2, B2
    if protocol == "dejmps":
        rot_a, rot_b = rx(np.pi / 2.0), rx(-np.pi / 2.0)
        for q, r in ((0, rot_a), (2, rot_a), (1, rot_b), (3, rot_b)):
            rho = apply_operator(rho, r, [q], 4)
    rho = apply_operator(rho, CNOT, [0, 2], 4)
    rho = apply_operator(rho, CNOT, [1, 3], 4)
    rho = depolarize_qubits(rho, gate_depolarizing, [0, 2], 4)
    rho = depolarize_qubits(rho, gate_depolarizing, [1, 3], 4)
    e = readout_error
    kept = np.zeros((4, 4), dtype=complex)
    for a in (0, 1):
        for b in (0, 1):
            branch = apply_operator(rho, np.kron(_PROJ_Z[a], _PROJ_Z[b]), [2, 3], 4)
            branch = partial_trace(branch, [0, 1], 4)
            # reported results agree when both or neither bit is misread (agree), or exactly one (disagree)
            p_report_agree = (1 - e) ** 2 + e**2 if a == b else 2 * e * (1 - e)
            kept += p_report_agree * branch
    p = float(np.trace(kept).real)
    state = kept / p if p > 1e-15 else np.zeros((4, 4), dtype=complex)
    if protocol == "bbpssw" and p > 1e-15:
        state = twirl_to_werner(state)
    return PurificationOutcome(success_probability=p, state=state)


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1] (got {value!r})")
