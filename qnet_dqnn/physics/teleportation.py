"""Teleportation of one qubit through a pair state: the explicit protocol and its closed forms.

Protocol (Bennett et al., PRL 70, 1895 (1993)): the sender holds the input qubit S and end A of the pair
(A, B); she measures S, A in the Bell basis, gets outcome m (a Bell index, two classical bits) and sends it;
the receiver applies the Pauli P_m to B. Since |psi>_S |Phi+>_AB = 1/2 sum_m |Bell_m>_SA P_m^dagger |psi>_B
(up to phases), B then holds |psi>.

Over a Bell-diagonal pair with coefficients c the whole protocol is the one-qubit Pauli channel with
probabilities (p_I, p_X, p_Z, p_Y) = (c_Phi+, c_Psi+, c_Phi-, c_Psi-) (Bowen & Bose, PRL 87, 267901 (2001)),
and its average fidelity over input states is (2F + 1)/3 with F the pair's Bell fidelity (Horodecki,
Horodecki & Horodecki, PRA 60, 1888 (1999): f = (F d + 1)/(d + 1)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.physics.density import (
    BELL_PROJECTORS,
    PAULIS,
    Matrix,
    apply_operator,
    pair_from_bell_diagonal,
    partial_trace,
)


@dataclass(frozen=True, slots=True)
class TeleportOutcomes:
    """Result of the explicit teleportation protocol.

    Attributes:
        probabilities: (4,) probability of each Bell-measurement outcome m (the 2 classical bits).
        states: (4, 2, 2) corrected output state for each outcome (zeros where its probability is 0).
        average: (2, 2) outcome-averaged output, the state the receiver holds.
    """

    probabilities: NDArray[np.float64]
    states: NDArray[np.complex128]
    average: Matrix


def _as_pair(pair: NDArray[np.float64] | Matrix) -> Matrix:
    pair = np.asarray(pair)
    if pair.shape == (4,):
        return pair_from_bell_diagonal(pair.real.astype(float))
    if pair.shape == (4, 4):
        return pair.astype(complex)
    raise ValueError(f"pair must be 4 Bell coefficients or a 4x4 density matrix (got shape {pair.shape})")


def teleport_outcomes(state: Matrix, pair: NDArray[np.float64] | Matrix) -> TeleportOutcomes:
    """Teleport a one-qubit state (2x2 density matrix) through a pair (Bell coefficients or 4x4 matrix).

    Builds rho_S (x) rho_AB, projects (S, A) on each Bell state |Bell_m>, traces them out and applies P_m to
    B (Bennett et al., PRL 70, 1895 (1993)). The pair's first qubit is the sender's end.

    Examples:
        >>> one = np.diag([0.0, 1.0]).astype(complex)
        >>> out = teleport_outcomes(one, np.array([1.0, 0, 0, 0]))
        >>> out.probabilities.round(3).tolist(), out.average.real.round(6).tolist()
        ([0.25, 0.25, 0.25, 0.25], [[0.0, 0.0], [0.0, 1.0]])
    """
    state = np.asarray(state, dtype=complex)
    if state.shape != (2, 2):
        raise ValueError(f"state must be a 2x2 density matrix (got shape {state.shape})")
    rho = np.kron(state, _as_pair(pair))  # qubits S, A, B
    probs = np.zeros(4)
    states = np.zeros((4, 2, 2), dtype=complex)
    for m in range(4):
        branch = partial_trace(apply_operator(rho, BELL_PROJECTORS[m], [0, 1], 3), [2], 3)
        branch = PAULIS[m] @ branch @ PAULIS[m].conj().T
        p = float(np.trace(branch).real)
        probs[m] = p
        if p > 1e-15:
            states[m] = branch / p
    return TeleportOutcomes(probs, states, np.einsum("m,mij->ij", probs, states))


def teleport(state: Matrix, pair: NDArray[np.float64] | Matrix) -> Matrix:
    """The receiver's outcome-averaged state after teleporting ``state`` through ``pair``.

    See :func:`teleport_outcomes`.
    """
    return teleport_outcomes(state, pair).average


def teleportation_pauli_channel(coefficients: NDArray[np.float64]) -> NDArray[np.float64]:
    """The one-qubit Pauli channel (p_I, p_X, p_Z, p_Y) of teleporting over a Bell-diagonal pair.

    p_P = c_(index of P), since the pair (P (x) 1)|Phi+> leaves exactly the Pauli P on the output
    (Bowen & Bose, PRL 87, 267901 (2001)); both are indexed by (x, z) as x + 2z, so the vector is the same.

    Examples:
        >>> teleportation_pauli_channel(np.array([0.7, 0.1, 0.1, 0.1])).round(3).tolist()
        [0.7, 0.1, 0.1, 0.1]
    """
    c = np.asarray(coefficients, dtype=float)
    if c.shape != (4,):
        raise ValueError(f"coefficients must have shape (4,) (got {c.shape})")
    return c.copy()


def apply_pauli_channel(state: Matrix, pauli_probabilities: NDArray[np.float64]) -> Matrix:
    """Apply the one-qubit Pauli channel sum_P p_P P rho P to a 2x2 state ((p_I, p_X, p_Z, p_Y) order).

    Entry by entry: X swaps the diagonal and the off-diagonal entries, Z negates the off-diagonal ones, and
    Y = iXZ does both, so rho'_00 = (p_I + p_Z) rho_00 + (p_X + p_Y) rho_11 and
    rho'_01 = (p_I - p_Z) rho_01 + (p_X - p_Y) rho_10 (Nielsen & Chuang, Sec. 8.3.3).

    Examples:
        >>> apply_pauli_channel(np.diag([1.0, 0.0]).astype(complex), np.array([0.5, 0.5, 0.0, 0.0])).real.tolist()
        [[0.5, 0.0], [0.0, 0.5]]
    """
    p_i, p_x, p_z, p_y = np.asarray(pauli_probabilities, dtype=float).tolist()
    (r00, r01), (r10, r11) = np.asarray(state, dtype=complex).tolist()  # Python numbers: 8 products, no ufuncs
    keep, flip = p_i + p_z, p_x + p_y
    coherent, swapped = p_i - p_z, p_x - p_y
    top = [keep * r00 + flip * r11, coherent * r01 + swapped * r10]
    bottom = [coherent * r10 + swapped * r01, keep * r11 + flip * r00]
    return np.array([top, bottom], dtype=complex)


def average_fidelity_from_entangled_fraction(fully_entangled_fraction: float, dimension: int = 2) -> float:
    """Optimal average teleportation fidelity f = (F d + 1)/(d + 1) of a resource with entangled fraction F.

    Horodecki, Horodecki & Horodecki, PRA 60, 1888 (1999), Eq. (8). For a Bell-diagonal pair with Phi+ as
    its largest coefficient (and the standard protocol), F is its Bell fidelity.

    Examples:
        >>> average_fidelity_from_entangled_fraction(1.0), average_fidelity_from_entangled_fraction(0.25)
        (1.0, 0.5)
    """
    return (fully_entangled_fraction * dimension + 1.0) / (dimension + 1.0)


def average_teleportation_fidelity(fidelity: float) -> float:
    """Average fidelity (2F + 1)/3 of teleporting a qubit over a pair of Bell fidelity F.

    Horodecki et al., PRA 60, 1888 (1999) with d = 2; equals 2/3 (the classical limit) at F = 1/2.

    Examples:
        >>> round(average_teleportation_fidelity(0.5), 6)
        0.666667
    """
    return average_fidelity_from_entangled_fraction(fidelity, 2)


def state_fidelity(pure: NDArray[np.complex128], rho: Matrix) -> float:
    """Fidelity <psi|rho|psi> of a state rho with a pure state |psi>."""
    pure = np.asarray(pure, dtype=complex).reshape(-1)
    return float(np.real(pure.conj() @ rho @ pure))


def pure_state_teleport_fidelity(coefficients: NDArray[np.float64], bloch: NDArray[np.float64]) -> float:
    """Fidelity <psi|E(psi)|psi> of teleporting the pure state of Bloch vector n over a Bell-diagonal pair.

    The protocol is the Pauli channel p = (c_Phi+, c_Psi+, c_Phi-, c_Psi-) on (I, X, Z, Y)
    (:func:`teleportation_pauli_channel`), and |<psi|P|psi>|^2 = n_P^2 for a Pauli P, so
    F = c_0 + c_1 n_x^2 + c_3 n_y^2 + c_2 n_z^2 (Bennett et al., PRL 70, 1895 (1993); Bowen & Bose, PRL 87,
    267901 (2001)). Averaged over the sphere (<n_i^2> = 1/3) it is c_0 + (1 - c_0)/3 = (2F + 1)/3
    (:func:`average_teleportation_fidelity`).

    Examples:
        >>> w = np.array([0.7, 0.1, 0.1, 0.1])
        >>> round(pure_state_teleport_fidelity(w, np.array([1.0, 0.0, 0.0])), 6)  # |+>: X leaves it alone
        0.8
    """
    c = np.asarray(coefficients, dtype=float)
    n = np.asarray(bloch, dtype=float)
    if c.shape != (4,) or n.shape != (3,):
        raise ValueError(f"need 4 coefficients and a 3-vector (got shapes {c.shape} and {n.shape})")
    if not np.isclose(n @ n, 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"bloch must be a unit vector (a pure state) (got |n|^2 = {n @ n!r})")
    return float(c[0] + c[1] * n[0] ** 2 + c[3] * n[1] ** 2 + c[2] * n[2] ** 2)
