"""A batch of state vectors in a physical qubit layout, and the kernels that act on it in place.

The batched statevector engine keeps ``C`` state vectors as one array of shape ``(2**n, C)`` (batch last, so
every gate streams over long contiguous rows). ``layout[p]`` is the logical qubit at bit position ``p``
(0 = most significant); the engine keeps the natural layout, and monomial stages gather between layouts.

Kernels (compiled loops of :mod:`qnet_dqnn.quantum.kernels`): a layer of one-qubit unitaries, each split as
``diag(l)·R_y·diag(r)`` (Z-Y-Z Euler decomposition, Nielsen & Chuang Theorem 4.1): the diagonal factors of all
qubits become one phase vector each side, and the real rotations are applied *in place*, one pass per qubit;
a shared unitary has one angle, a per-sample one (data re-uploaded) one per column. Also: a product state
built directly, a dense k-qubit matrix, one Pauli per column drawn from a channel's Pauli probabilities (the
trajectory step), and the Pauli expectation ``⟨ψ|P|ψ⟩`` of every column (Nielsen & Chuang Eq. 2.110).

This module sits below the compiled program (:mod:`qnet_dqnn.quantum.program`) and the simulators that run it
(:mod:`~qnet_dqnn.quantum.statevector`, :mod:`~qnet_dqnn.quantum.trajectories`, the adjoint gradients).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qnet_dqnn.quantum.circuit import Operation
from qnet_dqnn.quantum.gates import zyz_factors
from qnet_dqnn.quantum.kernels import diagonal_expectations, fill_product_state, gather_phase, rotations, scale_rows
from qnet_dqnn.quantum.noise import pauli_probabilities
from qnet_dqnn.quantum.observables import PauliString


# ---------------------------------------------------------------------- layouts
@lru_cache(maxsize=128)
def phys_to_log(layout: tuple[int, ...]) -> np.ndarray:
    """Logical basis index of every physical index under ``layout``."""
    n = len(layout)
    y = np.arange(2**n, dtype=np.int64)
    out = np.zeros_like(y)
    for p, q in enumerate(layout):
        out |= ((y >> (n - 1 - p)) & 1) << (n - 1 - q)
    return out


@lru_cache(maxsize=128)
def log_to_phys(layout: tuple[int, ...]) -> np.ndarray:
    """Physical index of every logical basis index under ``layout`` (inverse of :func:`phys_to_log`)."""
    p2l = phys_to_log(layout)
    inv = np.empty_like(p2l)
    inv[p2l] = np.arange(p2l.size)
    return inv


@lru_cache(maxsize=128)
def relayout_index(src: tuple[int, ...], dst: tuple[int, ...]) -> np.ndarray:
    """Gather index moving an array from layout ``src`` to ``dst``: ``new = old[idx]``."""
    return log_to_phys(src)[phys_to_log(dst)]


def natural(n: int) -> tuple[int, ...]:
    """The layout with qubit ``q`` at position ``q``."""
    return tuple(range(n))


# ---------------------------------------------------------------------- state
class State:
    """A batch of state vectors, shape ``(2**n, C)``, in a physical ``layout``."""

    __slots__ = ("arr", "buf", "layout", "n")

    def __init__(self, arr: np.ndarray, layout: tuple[int, ...]) -> None:
        self.arr = arr
        self.buf: np.ndarray | None = None
        self.layout = layout
        self.n = len(layout)

    @property
    def columns(self) -> int:
        """Number of state vectors held."""
        return self.arr.shape[1]

    def logical(self) -> np.ndarray:
        """The states in logical order, shape ``(C, 2**n)``."""
        arr = self.arr if self.layout == natural(self.n) else self.arr[relayout_index(self.layout, natural(self.n))]
        return np.ascontiguousarray(arr.T)

    def copy(self) -> State:
        """An independent copy."""
        return State(self.arr.copy(), self.layout)


# ---------------------------------------------------------------------- dense helpers
def apply_dense(state: State, qubits: tuple[int, ...], m: np.ndarray) -> None:
    """Apply a k-qubit matrix (shared ``(d, d)`` or per column ``(C, d, d)``) to logical ``qubits``."""
    n, c = state.n, state.columns
    k = len(qubits)
    pos = [state.layout.index(q) for q in qubits]
    t = state.arr.reshape((2,) * n + (c,))
    t = np.moveaxis(t, pos, list(range(k))).reshape(2**k, -1, c)
    out = np.matmul(m, t.reshape(2**k, -1)).reshape(t.shape) if m.ndim == 2 else np.einsum("cij,jrc->irc", m, t)
    out = np.moveaxis(out.reshape((2,) * n + (c,)), list(range(k)), pos)
    state.arr = np.ascontiguousarray(out).reshape(2**n, c)


def diagonal_vector(layout: tuple[int, ...], diags: dict[int, np.ndarray]) -> np.ndarray | None:
    """The diagonal ``⊗_p diag_p`` over physical positions, ``(2**n, M)``, from ``diags[q]`` of shape ``(2, M)``
    (identity where no qubit entry); ``None`` if all are the identity."""
    diags = {q: d for q, d in diags.items() if np.abs(d - 1.0).max() > 1e-14}
    if not diags:
        return None
    m = max(d.shape[1] for d in diags.values())
    first = np.ones((len(layout), 2, m), dtype=complex)
    for p, q in enumerate(layout):
        if q in diags:
            first[p] = diags[q]
    out = np.empty((2 ** len(layout), m), dtype=complex)
    fill_product_state(first, out)
    return out


@dataclass
class KronArguments:
    """A layer of one-qubit unitaries ``U_q = diag(l_q)·R(c_q, s_q)·diag(r_q)`` prepared for the kernels: the
    phase vectors of all ``r`` and all ``l`` (``(2**n, M)`` or ``None``), the rotated qubits' strides and
    ``(K, M)`` angles; ``M`` is 1 when every ``U_q`` is shared, else one column per state."""

    right: np.ndarray | None
    strides: np.ndarray
    cos: np.ndarray
    sin: np.ndarray
    left: np.ndarray | None
    factors: LayerFactors


@dataclass
class LayerFactors:
    """:func:`~qnet_dqnn.quantum.gates.zyz_factors` of a layer's ``U_q`` (qubits ``qubits``): ``left``, ``right``
    ``(Q, 2, M)``, ``cos``, ``sin`` ``(Q, M)``; ``M`` = 1, or the column count if any ``U_q`` is per column."""

    qubits: list[int]
    left: np.ndarray
    cos: np.ndarray
    sin: np.ndarray
    right: np.ndarray

    def diagonal(self, layout: tuple[int, ...], which: str, conjugate: bool = False) -> np.ndarray | None:
        """The phase vector of all ``l`` (``which="left"``) or all ``r`` (``"right"``), or of their conjugates."""
        d = np.conj(getattr(self, which)) if conjugate else getattr(self, which)
        return diagonal_vector(layout, dict(zip(self.qubits, d, strict=True)))


def layer_factors(unitaries: dict[int, np.ndarray]) -> LayerFactors:
    """The Z-Y-Z factors of one 2×2 unitary per qubit (shared ``(2, 2)`` or per column ``(C, 2, 2)``)."""
    qs = list(unitaries)
    m = max((u.shape[0] for u in unitaries.values() if u.ndim == 3), default=1)
    stack = np.empty((len(qs), m, 2, 2), dtype=complex)
    for i, q in enumerate(qs):
        stack[i] = unitaries[q]
    lf, c, s, r = zyz_factors(stack)
    return LayerFactors(qs, np.swapaxes(lf, 1, 2), c, s, np.swapaxes(r, 1, 2))


def kron_arguments(state: State, unitaries: dict[int, np.ndarray]) -> KronArguments:
    """The kernels' arguments for one layer at a state's layout."""
    n = state.n
    f = layer_factors(unitaries)
    turn = np.flatnonzero(np.any(f.sin != 0.0, axis=1))
    return KronArguments(
        f.diagonal(state.layout, "right"),
        np.array([1 << (n - 1 - state.layout.index(f.qubits[i])) for i in turn], dtype=np.int64),
        np.ascontiguousarray(f.cos[turn]),
        np.ascontiguousarray(f.sin[turn]),
        f.diagonal(state.layout, "left"),
        f,
    )


def apply_kron_layer(state: State, unitaries: dict[int, np.ndarray], memo: dict | None = None) -> None:
    """Apply one 2×2 unitary per logical qubit (they commute), in place; see the module docstring.

    ``memo`` (optional) caches the kernels' arguments between calls with the same shared unitaries (the
    column chunks of one batch).
    """
    if memo is not None and state.layout in memo:
        args = memo[state.layout]
    else:
        args = kron_arguments(state, unitaries)
        if memo is not None:
            memo[state.layout] = args
    if args.right is not None:
        scale_rows(state.arr, args.right)
    if args.strides.size:
        rotations(state.arr, args.strides, args.cos, args.sin)
    if args.left is not None:
        scale_rows(state.arr, args.left)


def product_state(n: int, unitaries: dict[int, np.ndarray], columns: int) -> State:
    """``⊗_q U_q |0⟩`` built directly from the first columns of the ``U_q`` (natural layout)."""
    per_column = any(u.ndim == 3 for u in unitaries.values())
    first = np.zeros((n, 2, columns if per_column else 1), dtype=complex)
    first[:, 0, :] = 1.0
    for q, u in unitaries.items():
        first[q] = u[:, 0][:, None] if u.ndim == 2 else u[:, :, 0].T
    arr = np.empty((2**n, first.shape[2]), dtype=complex)
    fill_product_state(first, arr)
    if arr.shape[1] != columns:
        arr = np.repeat(arr, columns, axis=1)
    return State(arr, natural(n))


# ---------------------------------------------------------------------- Pauli trajectories step
def _apply_column_pauli(state: State, q: int, kinds: np.ndarray) -> None:
    """Apply ``I/X/Y/Z`` (``kinds`` 0..3 per column) on logical qubit ``q``."""
    c = state.columns
    pos = state.layout.index(q)
    v = state.arr.reshape(2**pos, 2, -1, c)
    zcols = np.flatnonzero((kinds == 2) | (kinds == 3))
    xcols = np.flatnonzero((kinds == 1) | (kinds == 2))
    ycols = np.flatnonzero(kinds == 2)
    if zcols.size:
        v[:, 1, :, zcols] *= -1.0
    if xcols.size:
        tmp = v[:, 0, :, xcols].copy()
        v[:, 0, :, xcols] = v[:, 1, :, xcols]
        v[:, 1, :, xcols] = tmp
    if ycols.size:  # Y = i·X·Z
        v[:, :, :, ycols] *= 1j


def apply_sampled_channel(state: State, op: Operation, rng: np.random.Generator) -> None:
    """Draw one Pauli of the channel per column and apply it."""
    labels, probs = pauli_probabilities(op)
    pick = rng.choice(len(labels), size=state.columns, p=probs / probs.sum())
    code = {"I": 0, "X": 1, "Y": 2, "Z": 3}
    for j, q in enumerate(op.qubits):
        kinds = np.array([code[lab[j]] for lab in labels])[pick]
        _apply_column_pauli(state, q, kinds)


# ---------------------------------------------------------------------- Pauli expectations
def state_expectations(state: State, observables: Sequence[PauliString]) -> np.ndarray:
    """``⟨ψ_c|P_k|ψ_c⟩`` for every column ``c`` of a :class:`State`, shape ``(C, K)``."""
    arr = state.arr
    out = np.empty((arr.shape[1], len(observables)))
    diag = [k for k, o in enumerate(observables) if o.is_diagonal]
    if diag:
        signs = np.stack([diagonal_signs(observables[k], state.layout) for k in diag])
        part = np.empty((arr.shape[1], len(diag)))
        diagonal_expectations(arr, signs, part)
        out[:, diag] = part
    for k, o in enumerate(observables):
        if not o.is_diagonal:
            pa = apply_pauli(state, o)
            out[:, k] = np.einsum("xc,xc->c", arr.conj(), pa).real
    return out


@lru_cache(maxsize=64)
def diagonal_signs(obs: PauliString, layout: tuple[int, ...]) -> np.ndarray:
    """``coeff · (-1)^{popcount}`` of a Z string at every *physical* index of ``layout`` (read-only, cached)."""
    n = len(layout)
    y = np.arange(2**n, dtype=np.int64)
    par = np.zeros_like(y)
    for q in obs.qubits:
        par ^= (y >> (n - 1 - layout.index(q))) & 1
    out = obs.coeff * (1 - 2 * par).astype(float)
    out.flags.writeable = False
    return out


def apply_pauli(state: State, obs: PauliString) -> np.ndarray:
    """``P ψ`` for every column, as a new array in the state's physical layout (one compiled gather)."""
    idx, phase = _pauli_gather(obs, state.layout)
    out = np.empty_like(state.arr)
    gather_phase(state.arr, idx, phase, out)
    return out


@lru_cache(maxsize=64)
def _pauli_gather(obs: PauliString, layout: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``P`` at a physical layout as a gather and a phase column, ``(Pψ)[y] = phase[y] ψ[idx[y]]``."""
    perm, phase = obs.monomial(len(layout))
    l2p, p2l = log_to_phys(layout), phys_to_log(layout)
    return l2p[perm[p2l]], np.ascontiguousarray(phase[p2l][:, None])
