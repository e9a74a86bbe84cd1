"""Batched density-matrix simulation for small noisy circuits.

A gate maps ``ρ → UρU†`` and a channel ``ρ → Σ_k K_k ρ K_k†`` (Nielsen & Chuang Eq. 8.11); expectation
values are ``Tr(Pρ)`` (Eq. 2.184). The batch of ``B`` density matrices is one array ``(B, 2**n, 2**n)``;
cost grows as ``4**n``, so this is the exact reference for ``n`` up to about 10.

Examples:
    >>> from qnet_dqnn.quantum.circuit import Circuit
    >>> rho = density_matrix(Circuit(1).x(0).depolarize([0], 0.3))
    >>> round(float(rho[0, 1, 1].real), 6)
    0.8
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.quantum.noise import kraus_operators, pauli_probabilities
from qnet_dqnn.quantum.observables import Observable, PauliString, as_pauli
from qnet_dqnn.quantum.program import make_binding


def _apply_axes(t: np.ndarray, m: np.ndarray, axes: list[int]) -> np.ndarray:
    """Contract ``m`` (``(d, d)`` or ``(B, d, d)``) with tensor axes ``axes`` of ``t`` (batch axis 0)."""
    k = len(axes)
    moved = np.moveaxis(t, axes, list(range(1, k + 1)))
    shape = moved.shape
    flat = moved.reshape(shape[0], 2**k, -1)
    out = np.matmul(m, flat).reshape(shape)
    return np.moveaxis(out, list(range(1, k + 1)), axes)


def _conjugate(t: np.ndarray, n: int, mats: list[np.ndarray], qubits: tuple[int, ...]) -> np.ndarray:
    """``Σ_k M_k ρ M_k†`` on ``qubits`` for a tensor ``t`` of shape ``(B, 2, …, 2)`` (2n qubit axes)."""
    rows = [1 + q for q in qubits]
    cols = [1 + n + q for q in qubits]
    acc = None
    for m in mats:
        term = _apply_axes(_apply_axes(t, m, rows), np.conj(m), cols)
        acc = term if acc is None else acc + term
    return acc


def _depolarize(t: np.ndarray, n: int, qubits: tuple[int, ...], p: float) -> np.ndarray:
    """Depolarizing channel in closed form: ``ρ → (1-λ)ρ + λ (I/d) ⊗ Tr_q ρ`` with ``λ = p·d²/(d²-1)``.

    Equivalent to ``(1-p)ρ + p/(d²-1) Σ_{P≠I} PρP`` since ``Σ_P PρP = d (I ⊗ Tr_q ρ)`` (N&C Eq. 8.101).
    """
    k = len(qubits)
    d = 2**k
    lam = p * d * d / (d * d - 1)
    axes = [1 + q for q in qubits] + [1 + n + q for q in qubits]
    moved = np.moveaxis(t, axes, list(range(1, 2 * k + 1)))
    shape = moved.shape
    m = moved.reshape((shape[0], d, d) + shape[2 * k + 1 :])
    tr = np.einsum("bii...->b...", m)
    mixed = np.einsum("ij,b...->bij...", np.eye(d) / d, tr).reshape(shape)
    return (1 - lam) * t + lam * np.moveaxis(mixed, list(range(1, 2 * k + 1)), axes)


def _pauli_channel(rho: np.ndarray, n: int, op) -> np.ndarray:
    """``Σ_P p_P PρP`` with each Pauli applied as a permutation and phase of rows and columns."""
    labels, probs = pauli_probabilities(op)
    out = probs[0] * rho
    for lab, p in zip(labels[1:], probs[1:], strict=True):
        if p <= 0:
            continue
        ps = PauliString(tuple((q, s) for q, s in zip(op.qubits, lab, strict=True) if s != "I"))
        perm, phase = ps.monomial(n)
        out = out + p * (phase[:, None] * np.conj(phase)[None, :]) * rho[:, perm][:, :, perm]
    return out


def density_matrix(
    circuit: Circuit,
    params: np.ndarray | None = None,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
    initial_rho: np.ndarray | None = None,
) -> np.ndarray:
    """Final density matrices ``(B, 2**n, 2**n)``.

    Args:
        circuit: gates and channels.
        params: trainable parameters ``(P,)`` or ``(B, P)``.
        data: input features ``(B, F)``.
        initial_state: starting state vector(s) ``(2**n,)`` or ``(B, 2**n)``.
        initial_rho: starting density matrix ``(2**n, 2**n)`` or ``(B, 2**n, 2**n)`` (instead of a vector).
    """
    n = circuit.num_qubits
    dim = 2**n
    bind = make_binding(circuit, params, data, initial_state)
    nb = bind.batch
    if initial_rho is not None:
        rho = np.asarray(initial_rho, dtype=complex).reshape(-1, dim, dim)
    elif initial_state is not None:
        psi = np.atleast_2d(np.asarray(initial_state, dtype=complex))
        rho = np.einsum("bi,bj->bij", psi, psi.conj())
    else:
        rho = np.zeros((1, dim, dim), dtype=complex)
        rho[:, 0, 0] = 1.0
    nb = max(nb, rho.shape[0])
    rho = np.broadcast_to(rho, (nb, dim, dim))
    t = np.ascontiguousarray(rho).reshape((nb,) + (2,) * (2 * n))
    for op in circuit.ops:
        if op.name in ("depolarize1", "depolarize2"):
            t = _depolarize(t, n, op.qubits, float(op.params[0]))
            continue
        if op.is_channel and op.name != "thermal":
            t = _pauli_channel(t.reshape(nb, dim, dim), n, op).reshape(t.shape)
            continue
        if op.is_channel:
            mats = kraus_operators(op)
        else:
            m = bind.matrix(op)
            if m.ndim == 3 and m.shape[0] != nb:
                m = np.broadcast_to(m, (nb,) + m.shape[1:])
            mats = [m]
        t = _conjugate(t, n, mats, op.qubits)
    return t.reshape(nb, dim, dim)


def dm_expectation(
    circuit: Circuit,
    observables: Sequence[Observable],
    params: np.ndarray | None = None,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
    readout: float = 0.0,
) -> np.ndarray:
    """``Tr(P_k ρ_b)`` of every observable, shape ``(B, K)``, with readout error factor ``(1-2p)^w``."""
    rho = density_matrix(circuit, params, data, initial_state)
    n = circuit.num_qubits
    out = np.empty((rho.shape[0], len(observables)))
    for k, o in enumerate(observables):
        p = as_pauli(o)
        perm, phase = p.monomial(n)
        # Tr(Pρ) = Σ_x (Pρ)[x, x] = Σ_x phase[x] ρ[perm[x], x]
        val = np.einsum("bx,x->b", rho[:, perm, np.arange(2**n)], phase).real
        out[:, k] = val * (1.0 - 2.0 * readout) ** len(p.qubits)
    return out
