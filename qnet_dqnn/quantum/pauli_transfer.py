"""The Pauli-transfer representation of states, observables, gates and channels.

An ``n``-qubit operator is expanded over the ``4^n`` Pauli strings ``P_s = σ_{s_1} ⊗ … ⊗ σ_{s_n}`` (letters
``0 = I, 1 = X, 2 = Y, 3 = Z`` per qubit, qubit 0 the most significant digit):

- a state ``ρ`` by its Pauli expectations ``r_s = Tr(P_s ρ)``, so ``ρ = 2^{-n} Σ_s r_s P_s`` (``r_I = 1``);
- an observable ``O = Σ_s o_s P_s`` by its coefficients ``o_s``, so ``Tr(O ρ) = Σ_s o_s r_s``;
- a channel ``Φ`` by its Pauli transfer matrix ``R[a, b] = Tr(P_a Φ(P_b)) / d`` (Greenbaum, "Introduction to
  quantum gate set tomography", arXiv:1509.02921 (2015), Sec. 3.3): ``r' = R r`` (Schrödinger picture) and
  ``o' = Rᵀ o`` (Heisenberg picture, ``Tr(O Φ(ρ)) = Tr(Φ†(O) ρ)``).

Every entry is real (the Paulis are Hermitian), a unitary channel's ``R`` is orthogonal, a Pauli channel's is
diagonal, and a Clifford gate's is a signed permutation. A gate ``U(θ) = exp(-iθG/2)`` acts on states as
``exp(θ J)`` with ``J[a, b] = Tr(P_a · (-i/2)[G, P_b]) / d`` (the generator of ``ρ → UρU†``): for a Pauli
``G``, ``J`` pairs every string that anticommutes with ``G`` with ``-iGP`` and kills the others, ``J² = -Π_anti``,
so ``R(θ) = Π_comm + cos θ · Π_anti + sin θ · J`` and ``∂R/∂θ = J R(θ)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.gates import PAULIS, gate_matrix, gate_spec

#: The one-qubit Paulis in letter order ``I, X, Y, Z``.
LETTERS = "IXYZ"
PAULI_STACK = np.stack([PAULIS[s] for s in LETTERS])


@lru_cache(maxsize=4)
def pauli_basis(k: int) -> np.ndarray:
    """The ``4^k`` Pauli strings on ``k`` qubits as matrices, shape ``(4^k, 2^k, 2^k)``, in digit order."""
    out = np.ones((1, 1, 1), dtype=complex)
    for _ in range(k):
        out = np.einsum("aij,bkl->abikjl", out, PAULI_STACK).reshape(out.shape[0] * 4, out.shape[1] * 2, -1)
    return out


def transfer_matrix(kraus: Sequence[np.ndarray]) -> np.ndarray:
    """``R[a, b] = Tr(P_a Σ_k K_k P_b K_k†) / d`` of a channel given by Kraus operators (a unitary is one).

    Examples:
        >>> transfer_matrix([PAULIS["X"]]).diagonal().round(3).tolist()
        [1.0, 1.0, -1.0, -1.0]
    """
    mats = np.asarray(kraus, dtype=complex)
    d = mats.shape[-1]
    k = int(round(np.log2(d)))
    basis = pauli_basis(k)
    image = np.einsum("kij,bjl,kml->bim", mats, basis, mats.conj())
    return np.einsum("aij,bji->ab", basis, image).real / d


def generator_transfer(generator: np.ndarray) -> np.ndarray:
    """``J[a, b] = Tr(P_a · (-i/2)[G, P_b]) / d``: ``d/dθ`` of ``ρ → U(θ)ρU(θ)†`` for ``U = exp(-iθG/2)``."""
    g = np.asarray(generator, dtype=complex)
    d = g.shape[0]
    basis = pauli_basis(int(round(np.log2(d))))
    comm = -0.5j * (np.einsum("ij,bjk->bik", g, basis) - np.einsum("bij,jk->bik", basis, g))
    return np.einsum("aij,bji->ab", basis, comm).real / d


@lru_cache(maxsize=64)
def gate_transfer(name: str) -> np.ndarray:
    """The transfer matrix of a fixed (angle-free) gate of :mod:`qnet_dqnn.quantum.gates`."""
    out = transfer_matrix([gate_matrix(name)])
    out[np.abs(out) < 1e-15] = 0.0
    return out


@lru_cache(maxsize=64)
def rotation_generator(name: str) -> np.ndarray:
    """``J`` of a parameterised gate (``exp(θJ)`` is its transfer matrix at angle ``θ``); entries 0, ±1."""
    spec = gate_spec(name)
    if spec.generator is None:
        raise QnetError(f"gate {name!r} has no angle")
    j = generator_transfer(spec.generator)
    return np.rint(j)


def signed_permutation(r: np.ndarray, tol: float = 1e-12) -> tuple[np.ndarray, np.ndarray] | None:
    """``(perm, sign)`` with ``(R v)[a] = sign[a] · v[perm[a]]``, or None if ``R`` is not a signed permutation."""
    nz = np.abs(r) > tol
    if not np.all(nz.sum(axis=1) == 1) or not np.allclose(np.abs(r[nz]), 1.0, atol=tol):
        return None
    perm = np.argmax(nz, axis=1)
    return perm, r[np.arange(r.shape[0]), perm]


def product_state_vector(blochs: Sequence[np.ndarray]) -> np.ndarray:
    """Pauli expectations of a product state ``⊗_q ρ_q`` from each qubit's ``(B, 4)`` vector ``(1, x, y, z)``.

    Returns ``(4^n, B)``: ``r_s = Π_q r_{q, s_q}`` (expectations of a product state factorise).
    """
    out = np.ones((1, np.asarray(blochs[0]).shape[0]))
    for v in blochs:
        out = (out[:, None, :] * np.asarray(v, dtype=float).T[None, :, :]).reshape(-1, out.shape[1])
    return out


def density_to_vector(rho: np.ndarray) -> np.ndarray:
    """Pauli expectations ``Tr(P_s ρ)`` of density matrices ``(B, 2^n, 2^n)``, shape ``(4^n, B)``.

    One qubit at a time: the ``2×2`` block ``[[a, b], [c, d]]`` of a qubit's (row, column) bits maps to
    ``(a + d, b + c, i(b − c), a − d)`` (``Tr(σ M)`` for ``σ = I, X, Y, Z``), ``n · 4^n`` operations in all.
    """
    rho = np.asarray(rho, dtype=complex)
    nb, dim = rho.shape[0], rho.shape[1]
    n = int(round(np.log2(dim)))
    t = rho.reshape((nb,) + (2,) * (2 * n))
    # interleave (row_q, col_q) so each qubit's pair is adjacent, then transform pair by pair
    order = [0] + [x for q in range(n) for x in (1 + q, 1 + n + q)]
    t = np.transpose(t, order).reshape((nb,) + (4,) * n)
    # entries of a pair in (row, col) order: 00 -> a, 01 -> b, 10 -> c, 11 -> d
    m = np.array([[1, 0, 0, 1], [0, 1, 1, 0], [0, 1j, -1j, 0], [1, 0, 0, -1]])
    for q in range(n):
        t = np.moveaxis(np.tensordot(m, t, axes=([1], [1 + q])), 0, 1 + q)
    return np.ascontiguousarray(t.real.reshape(nb, -1).T)


def pure_to_vector(psi: np.ndarray, keep: Sequence[int]) -> np.ndarray:
    """Pauli expectations of the reduced states on qubits ``keep`` (in that order) of pure states ``(B, 2^n)``."""
    psi = np.atleast_2d(np.asarray(psi, dtype=complex))
    nb, dim = psi.shape
    n = int(round(np.log2(dim)))
    keep = list(keep)
    rest = [q for q in range(n) if q not in keep]
    t = np.transpose(psi.reshape((nb,) + (2,) * n), [0] + [1 + q for q in keep + rest])
    t = t.reshape(nb, 2 ** len(keep), 2 ** len(rest))
    rho = np.einsum("bir,bjr->bij", t, t.conj())
    return density_to_vector(rho)


def letter_index(letters: str) -> int:
    """Digit-order index of a Pauli string given as letters (``"XZ"`` → ``1·4 + 3``)."""
    out = 0
    for s in letters:
        out = 4 * out + LETTERS.index(s)
    return out


def two_qubit_labels() -> list[str]:
    """``II, IX, …, ZZ`` in digit order."""
    return ["".join(p) for p in itertools.product(LETTERS, repeat=2)]


__all__ = [
    "LETTERS",
    "density_to_vector",
    "gate_transfer",
    "generator_transfer",
    "letter_index",
    "pauli_basis",
    "product_state_vector",
    "pure_to_vector",
    "rotation_generator",
    "signed_permutation",
    "transfer_matrix",
]
