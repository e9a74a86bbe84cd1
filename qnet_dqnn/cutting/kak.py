"""The KAK (Cartan) decomposition of a two-qubit unitary, and the nonlocal core's Pauli coefficients.

Every ``U ∈ U(4)`` is ``U = e^{iφ} (A₁ ⊗ B₁) · exp(i(a X⊗X + b Y⊗Y + c Z⊗Z)) · (A₂ ⊗ B₂)`` with one-qubit unitaries
``A, B`` (Khaneja & Glaser, Chem. Phys. 267, 11 (2001); Kraus & Cirac, PRA 63, 062309 (2001)). It is found in the
*magic basis*, where ``SU(2) ⊗ SU(2)`` becomes ``SO(4)`` and the core ``exp(i(aXX + bYY + cZZ))`` is diagonal: with
``U' = M† U M`` (``U`` scaled into SU(4)), ``U'ᵀU' = O₂ᵀ D² O₂`` is a symmetric unitary whose real and imaginary parts
commute, so one real orthogonal ``O₂`` diagonalises both; then ``O₁ = U' O₂ᵀ D⁻¹`` is real orthogonal too.

The core is a sum of four Pauli products (Mitarai & Fujii, Quantum 5, 388 (2021), Eq. 6)::

    exp(i(aXX + bYY + cZZ)) = Σ_{k=0}^{3} u_k σ_k ⊗ σ_k,   σ = (I, X, Y, Z),

which is all the quasi-probability decomposition of :mod:`~qnet_dqnn.cutting.gate_cuts` needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qnet_dqnn.cutting.qpd import CutError
from qnet_dqnn.quantum.gates import PAULIS

__all__ = ["KAK", "core_coefficients", "core_derivatives", "core_unitary", "kak"]

_S2 = 1 / np.sqrt(2)
#: Magic basis (Kraus & Cirac 2001): columns |Φ⁺⟩, i|Φ⁻⟩, i|Ψ⁺⟩, |Ψ⁻⟩.
MAGIC = _S2 * np.array([[1, 1j, 0, 0], [0, 0, 1j, 1], [0, 0, 1j, -1], [1, -1j, 0, 0]], dtype=complex)
#: σ_k ⊗ σ_k for k = 0..3 (I, X, Y, Z).
PAIRS = tuple(np.kron(PAULIS[p], PAULIS[p]) for p in "IXYZ")
#: Diagonal of XX, YY, ZZ in the magic basis (each ±1), one row each.
_SIGNS = np.array([np.real(np.diag(MAGIC.conj().T @ PAIRS[k] @ MAGIC)) for k in (1, 2, 3)])
_SOLVE = np.linalg.inv(np.vstack([_SIGNS, np.ones(4)]).T)


def core_unitary(t: np.ndarray) -> np.ndarray:
    """``exp(i(t₁XX + t₂YY + t₃ZZ))`` (the three factors commute)."""
    out = np.eye(4, dtype=complex)
    for k in range(3):
        out = out @ (np.cos(t[k]) * np.eye(4) + 1j * np.sin(t[k]) * PAIRS[k + 1])
    return out


def core_coefficients(t: np.ndarray) -> np.ndarray:
    """``u`` with ``exp(i Σ t_k σ_kσ_k) = Σ u_k σ_k⊗σ_k`` (Mitarai & Fujii, Quantum 5, 388 (2021), Eq. 6).

    Examples:
        >>> np.round(core_coefficients(np.array([np.pi / 4, 0.0, 0.0])), 6).tolist()  # the CNOT class
        [(0.707107+0j), 0.707107j, 0j, 0j]
    """
    u = core_unitary(np.asarray(t, dtype=float))
    return np.array([np.trace(PAIRS[k] @ u) / 4 for k in range(4)])


def core_derivatives(t: np.ndarray) -> np.ndarray:
    """``∂u_l/∂t_k`` as a ``(3, 4)`` array: ``∂U/∂t_k = i σ_kσ_k U`` since the factors commute."""
    u = core_unitary(np.asarray(t, dtype=float))
    return np.array([[np.trace(PAIRS[m] @ (1j * PAIRS[k + 1] @ u)) / 4 for m in range(4)] for k in range(3)])


@dataclass(frozen=True)
class KAK:
    """``U = e^{iφ} (A₁ ⊗ B₁) · exp(i Σ t_k σ_kσ_k) · (A₂ ⊗ B₂)``.

    Attributes:
        phase: ``φ``.
        before: ``(A₂, B₂)``, applied first.
        coordinates: ``(t₁, t₂, t₃)`` of the core.
        after: ``(A₁, B₁)``, applied last.
    """

    phase: float
    before: tuple[np.ndarray, np.ndarray]
    coordinates: np.ndarray
    after: tuple[np.ndarray, np.ndarray]

    def unitary(self) -> np.ndarray:
        """The product, for checking."""
        k1 = np.kron(*self.after)
        k2 = np.kron(*self.before)
        return np.exp(1j * self.phase) * k1 @ core_unitary(self.coordinates) @ k2


def _tensor_factors(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(A, B)`` with ``m = A ⊗ B`` for a product of two 2×2 unitaries (rank-one rearrangement + SVD)."""
    r = m.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(4, 4)  # R[(i,j),(k,l)] = A_ij B_kl
    u, s, vh = np.linalg.svd(r)
    if s[1] > 1e-6 * s[0]:
        raise CutError("not a tensor product of one-qubit operators (numerical KAK failed)")
    a = np.sqrt(s[0]) * u[:, 0].reshape(2, 2)
    b = np.sqrt(s[0]) * vh[0].reshape(2, 2)
    det = np.linalg.det(a)
    f = np.sqrt(det)
    return a / f, b * f


def _orthogonal_diagonaliser(m: np.ndarray) -> np.ndarray:
    """A real orthogonal ``P`` with ``Pᵀ m P`` diagonal, for a symmetric unitary ``m``."""
    for r in (0.6180339887, 1.4142135623, 2.7182818284, 0.3183098861):
        _, p = np.linalg.eigh(m.real + r * m.imag)
        d = p.T @ m @ p
        if np.abs(d - np.diag(np.diag(d))).max() < 1e-9:
            return p
    raise CutError("numerical KAK failed to diagonalise U'ᵀU'")


def kak(u: np.ndarray) -> KAK:
    """The KAK decomposition of a 4×4 unitary (see the module docstring); reconstructs ``u`` to ~1e-12.

    Raises:
        CutError: for a non-unitary or non-4×4 matrix.
    """
    m = np.asarray(u, dtype=complex)
    if m.shape != (4, 4) or not np.allclose(m.conj().T @ m, np.eye(4), atol=1e-9):
        raise CutError(f"the KAK decomposition needs a 4x4 unitary (got shape {m.shape})")
    det = np.linalg.det(m)
    phase0 = np.angle(det) / 4
    su = m * np.exp(-1j * phase0)
    up = MAGIC.conj().T @ su @ MAGIC
    p = _orthogonal_diagonaliser(up.T @ up)
    if np.linalg.det(p) < 0:
        p[:, 0] = -p[:, 0]
    lam = np.angle(np.diag(p.T @ (up.T @ up) @ p)) / 2
    o1 = up @ p @ np.diag(np.exp(-1j * lam))
    if np.abs(o1.imag).max() > 1e-6:
        raise CutError("numerical KAK failed (O₁ is not real)")
    o1 = o1.real
    if np.linalg.det(o1) < 0:
        o1[:, 0] = -o1[:, 0]
        lam[0] += np.pi
    coords = _SOLVE @ lam  # (t1, t2, t3, global phase)
    k1 = MAGIC @ o1 @ MAGIC.conj().T
    k2 = MAGIC @ p.T @ MAGIC.conj().T
    a1, b1 = _tensor_factors(k1)
    a2, b2 = _tensor_factors(k2)
    out = KAK(float(phase0 + coords[3]), (a2, b2), np.asarray(coords[:3], dtype=float), (a1, b1))
    rebuilt = out.unitary()
    fix = np.vdot(rebuilt.reshape(-1), m.reshape(-1)) / 4  # a residual global phase from the factor split
    out = KAK(float(out.phase + np.angle(fix)), out.before, out.coordinates, out.after)
    if not np.allclose(out.unitary(), m, atol=1e-9):
        raise CutError("numerical KAK failed to reconstruct the gate")
    return out
