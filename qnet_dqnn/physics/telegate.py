"""Non-local CNOT (telegate) by cat-entangler and cat-disentangler, and its effective channel.

Protocol (Eisert, Jacobs, Papadopoulos & Plenio, PRA 62, 052317 (2000), Fig. 1): node A holds the control c
and end a of a pair (a, b); node B holds the target t and end b.

1. Cat-entangler: A applies CNOT c -> a and measures a in Z (bit m1, sent to B); B applies X^m1 to b.
   Now b carries c's Z value: a|0>|0> + b|1>|1> on (c, b).
2. B applies CNOT b -> t.
3. Cat-disentangler: B measures b in the X basis (bit m2, sent to A); A applies Z^m2 to c.

It consumes one pair and one classical bit each way, and with a perfect pair applies CNOT c -> t.

Effective channel over a Bell-diagonal pair (derived here, checked against the explicit protocol in the
tests): the pair sum_k c_k (P_k (x) 1)|Phi+> is |Phi+> with the Pauli P_k = X^x Z^z on a, k = x + 2z. An X
on a flips m1, so b and then t get a wrong X: X on the target. A Z on a is copied back onto the control by
CNOT c -> a (Z on a CNOT target becomes Z_c Z_a) and Z_a does not change the Z measurement: Z on the
control. Both errors commute with CNOT c -> t, so the channel is

    rho -> sum_k c_k (Z^z_k (x) X^x_k) CNOT rho CNOT (Z^z_k (x) X^x_k)^dagger,

i.e. (I, I), (I, X), (Z, I), (Z, X) on (control, target) with probabilities c_Phi+, c_Psi+, c_Phi-, c_Psi-
(compare the error propagation of Eisert et al. 2000, Sec. IV, and Jiang, Taylor, Sorensen & Lukin,
PRA 76, 062323 (2007), Sec. II).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.physics.density import (
    CNOT,
    PAULIS,
    Matrix,
    apply_operator,
    pair_from_bell_diagonal,
    partial_trace,
)

_PLUS_MINUS: tuple[Matrix, Matrix] = (
    np.full((2, 2), 0.5, dtype=complex),
    np.array([[0.5, -0.5], [-0.5, 0.5]], dtype=complex),
)
_PROJ_Z: tuple[Matrix, Matrix] = (np.diag([1.0, 0.0]).astype(complex), np.diag([0.0, 1.0]).astype(complex))
_X, _Z = PAULIS[1], PAULIS[2]
_I2 = PAULIS[0]
_LABELS = ("I", "X", "Z", "Y")


def telegate_cnot(state: Matrix, pair: NDArray[np.float64] | Matrix) -> Matrix:
    """Run the cat-entangler/disentangler CNOT on a two-qubit (control, target) state through a pair.

    ``state`` is the 4x4 density matrix of (control on node A, target on node B); ``pair`` is the pair state
    (a on node A, b on node B) as 4 Bell coefficients or a 4x4 matrix. Both measurements are averaged over
    with their corrections applied; the result is the 4x4 state of (control, target).

    Examples:
        >>> ten = np.zeros((4, 4), dtype=complex); ten[2, 2] = 1.0  # |10>
        >>> telegate_cnot(ten, np.array([1.0, 0, 0, 0])).real.diagonal().round(6).tolist()
        [0.0, 0.0, 0.0, 1.0]
    """
    state = np.asarray(state, dtype=complex)
    if state.shape != (4, 4):
        raise ValueError(f"state must be a 4x4 density matrix (got shape {state.shape})")
    pair = np.asarray(pair)
    if pair.shape == (4,):
        pair = pair_from_bell_diagonal(pair.real.astype(float))
    elif pair.shape != (4, 4):
        raise ValueError(f"pair must be 4 Bell coefficients or a 4x4 density matrix (got shape {pair.shape})")
    c, t, a, b = 0, 1, 2, 3
    rho = np.kron(state, pair)
    # cat-entangler
    rho = apply_operator(rho, CNOT, [c, a], 4)
    rho = sum(apply_operator(rho, np.kron(_PROJ_Z[m1], _X if m1 else _I2), [a, b], 4) for m1 in (0, 1))
    # the local CNOT at B
    rho = apply_operator(rho, CNOT, [b, t], 4)
    # cat-disentangler
    rho = sum(apply_operator(rho, np.kron(_PLUS_MINUS[m2], _Z if m2 else _I2), [b, c], 4) for m2 in (0, 1))
    return partial_trace(rho, [c, t], 4)


def telegate_pauli_errors(coefficients: NDArray[np.float64]) -> list[tuple[float, str, str]]:
    """The telegate's effect beyond an ideal CNOT: a list of (probability, Pauli on control, Pauli on target).

    Pair Bell coefficient c_k with k = x + 2z gives Z^z on the control and X^x on the target, applied after
    (equivalently before) the ideal CNOT: [(c0, I, I), (c1, I, X), (c2, Z, I), (c3, Z, X)]. See the module
    docstring for the derivation.

    Examples:
        >>> telegate_pauli_errors(np.array([0.7, 0.1, 0.1, 0.1]))[3]
        (0.1, 'Z', 'X')
    """
    c = np.asarray(coefficients, dtype=float)
    if c.shape != (4,):
        raise ValueError(f"coefficients must have shape (4,) (got {c.shape})")
    return [(float(c[k]), _LABELS[2 * (k >> 1)], _LABELS[k & 1]) for k in range(4)]


def telegate_kraus(coefficients: NDArray[np.float64]) -> list[Matrix]:
    """Kraus operators sqrt(c_k) (Z^z_k (x) X^x_k) CNOT of the telegate over a Bell-diagonal pair.

    On (control, target), control the most significant qubit.
    """
    c = np.asarray(coefficients, dtype=float)
    out = []
    for k in range(4):
        pauli = np.kron(PAULIS[2 * (k >> 1)], PAULIS[k & 1])
        out.append(np.sqrt(max(float(c[k]), 0.0)) * pauli @ CNOT)
    return out


def telegate_channel(state: Matrix, coefficients: NDArray[np.float64]) -> Matrix:
    """Apply the telegate's effective channel (:func:`telegate_kraus`) to a (control, target) state."""
    out = np.zeros((4, 4), dtype=complex)
    for k in telegate_kraus(coefficients):
        out += k @ state @ k.conj().T
    return out
