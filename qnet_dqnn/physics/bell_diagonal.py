"""Bell-diagonal two-qubit states, the fast path for pair states.

A Bell-diagonal state is a probability vector over the four Bell states. They are indexed by the Pauli
that maps |Phi+> to them when applied to one qubit, written as bits (x, z) with index ``x + 2*z``:

    0: Phi+ (I)    1: Psi+ (X)    2: Phi- (Z)    3: Psi- (XZ ~ Y)

so that a Pauli error (x, z) on either qubit sends index ``k`` to ``k XOR (x + 2z)``, and Pauli
channels act on these states by XOR-convolution. Werner states (Werner, PRA 40, 4277 (1989)) are the
Bell-diagonal states with weight F on Phi+ and (1-F)/3 on the others.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Labels of the four Bell states in index order.
BELL_LABELS: tuple[str, ...] = ("Phi+", "Psi+", "Phi-", "Psi-")

_S = 1.0 / np.sqrt(2.0)
#: Bell state vectors in the computational basis |00>, |01>, |10>, |11>, in index order.
BELL_VECTORS: NDArray[np.complex128] = np.array(
    [
        [_S, 0, 0, _S],  # Phi+
        [0, _S, _S, 0],  # Psi+
        [_S, 0, 0, -_S],  # Phi-
        [0, _S, -_S, 0],  # Psi-
    ],
    dtype=complex,
)

#: XOR table: _XOR[i, j] = i ^ j, used to convolve over the group Z2 x Z2.
_XOR = np.bitwise_xor.outer(np.arange(4), np.arange(4))


def werner_parameter(fidelity: float) -> float:
    """Werner parameter w = (4F - 1)/3 of a Werner state of Bell fidelity F.

    rho = w |Phi+><Phi+| + (1 - w) I/4 (Werner, PRA 40, 4277 (1989); Dur & Briegel, Rep. Prog. Phys. 70,
    1381 (2007), Sec. 3).

    Examples:
        >>> werner_parameter(1.0), werner_parameter(0.25)
        (1.0, 0.0)
    """
    return (4.0 * fidelity - 1.0) / 3.0


def fidelity_from_werner(w: float) -> float:
    """Bell fidelity F = (3w + 1)/4 of a Werner state with parameter w (inverse of :func:`werner_parameter`).

    Examples:
        >>> fidelity_from_werner(1.0)
        1.0
    """
    return (3.0 * w + 1.0) / 4.0


def werner_state(fidelity: float) -> NDArray[np.float64]:
    """Bell-diagonal coefficients of the Werner state of Bell fidelity F: (F, (1-F)/3, (1-F)/3, (1-F)/3).

    Examples:
        >>> werner_state(0.7).round(3).tolist()
        [0.7, 0.1, 0.1, 0.1]
    """
    if not 0.0 <= fidelity <= 1.0:
        raise ValueError(f"fidelity must be in [0, 1] (got {fidelity!r})")
    rest = (1.0 - fidelity) / 3.0
    return np.array([fidelity, rest, rest, rest])


def bell_fidelity(state: NDArray[np.float64] | NDArray[np.complex128]) -> float:
    """Fidelity <Phi+|rho|Phi+> of a pair state on either path: the Phi+ coefficient of Bell-diagonal
    coefficients, or the Phi+ diagonal element of a 4x4 density matrix."""
    if np.shape(state) == (4, 4):
        phi = BELL_VECTORS[0]
        return float(np.real(phi.conj() @ np.asarray(state) @ phi))
    return float(state[0])


def pauli_channel_on_pair(
    coefficients: NDArray[np.float64], pauli_probabilities: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Apply a one-qubit Pauli channel to either qubit of a Bell-diagonal pair.

    ``pauli_probabilities`` are (p_I, p_X, p_Z, p_Y) in the same (x, z) index order as the Bell states
    (index ``x + 2z``). Since (P x 1)|Bell_k> = phase * |Bell_(k XOR p)>, the output coefficients are the
    XOR-convolution c'_k = sum_p p_p c_(k XOR p) (Dur & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 3.2).
    It does not matter which qubit the channel acts on. Arrays of shape ``(4, n)`` (either or both) give
    ``n`` states at once, each column with its own channel.

    Examples:
        >>> pauli_channel_on_pair(werner_state(1.0), np.array([0.9, 0.1, 0.0, 0.0])).round(3).tolist()
        [0.9, 0.1, 0.0, 0.0]
    """
    probs = np.asarray(pauli_probabilities)
    if probs.ndim == 1:
        return probs[_XOR] @ coefficients
    coefficients = np.broadcast_to(
        np.asarray(coefficients)[:, None] if np.ndim(coefficients) == 1 else coefficients, probs.shape
    )
    return np.einsum("kjn,jn->kn", probs[_XOR], coefficients)


def bell_diagonal_density_matrix(coefficients: NDArray[np.float64]) -> NDArray[np.complex128]:
    """The 4x4 density matrix sum_k c_k |Bell_k><Bell_k| in the basis |00>, |01>, |10>, |11>."""
    return np.einsum("k,ki,kj->ij", coefficients, BELL_VECTORS, BELL_VECTORS.conj())
