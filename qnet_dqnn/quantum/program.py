"""A circuit compiled into stages for the batched statevector engine.

The engine keeps a batch of ``C`` state vectors as one array of shape ``(2**n, C)`` (batch last, so every
gate streams over long contiguous rows). Consecutive operations are fused into *stages*:

- :class:`KronStage` — one-qubit gates, fused per qubit into one 2×2 unitary ``U_q`` (different qubits
  commute). A shared ``U_q`` is split as ``diag(l)·R_y·diag(r)`` (Z-Y-Z Euler decomposition, Nielsen &
  Chuang Theorem 4.1): the diagonal factors of all qubits become one phase vector, and the real rotation is
  applied *in place* with BLAS ``zdrot`` on the two contiguous halves of each block — one pass over memory
  instead of the ~3 of a NumPy expression. Per-sample unitaries (data-dependent gates) use a broadcast
  formula. Applied to ``|0…0⟩`` the stage builds the product state directly.
- :class:`MonoStage` — monomial gates (CX, CZ, SWAP, X, Y, Z, S, T, RZ, RZZ, P): their product is a
  permutation of basis states times a diagonal phase, ``out[x] = phase[x] · in[perm[x]]``, applied as one
  ``np.take`` and one multiplication. Parameterised diagonal gates contribute ``exp(-i Σ_k θ_k pattern_k)``.
- :class:`DenseStage` — one two-qubit gate applied as a dense 4×4 matrix (RXX, RYY).
- :class:`ChannelStage` — a noise channel; applied only by the Pauli-trajectory sampler.

Qubits may sit at any *physical* bit position (``layout[p]`` = logical qubit at position ``p``, 0 = most
significant): a rotation on a qubit at a low position touches few, long blocks, so when a stage reaches
qubits at high positions the array is re-laid out (one gather), and the next monomial stage folds the way
back into its own gather.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.linalg import blas

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Data, Operation, ParamValue, Trainable
from qnet_dqnn.quantum.gates import gate_matrix, gate_spec, zyz_factors

#: Below this many amplitudes × columns, one-qubit gates use a plain ``matmul`` (less call overhead).
_SMALL = 1 << 14


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

    def gather(self, idx: np.ndarray, layout: tuple[int, ...]) -> None:
        """``arr = arr[idx]`` into the spare buffer, then adopt ``layout``."""
        if self.buf is None or self.buf.shape != self.arr.shape:
            self.buf = np.empty_like(self.arr)
        np.take(self.arr, idx, axis=0, out=self.buf)
        self.arr, self.buf = self.buf, self.arr
        self.layout = layout

    def relayout(self, layout: tuple[int, ...]) -> None:
        """Move to another physical layout."""
        if layout != self.layout:
            self.gather(relayout_index(self.layout, layout), layout)

    def logical(self) -> np.ndarray:
        """The states in logical order, shape ``(C, 2**n)``."""
        arr = self.arr if self.layout == natural(self.n) else self.arr[relayout_index(self.layout, natural(self.n))]
        return np.ascontiguousarray(arr.T)

    def copy(self) -> State:
        """An independent copy."""
        return State(self.arr.copy(), self.layout)


# ---------------------------------------------------------------------- binding
@dataclass
class Binding:
    """Parameter values for one evaluation.

    Attributes:
        theta: trainable parameters, ``(P,)`` shared or ``(B, P)`` per sample.
        x: input features ``(B, F)`` or ``None``.
        batch: ``B``.
        reps: the state array holds ``reps`` stacked copies of the batch (adjoint: ψ and λ's).
        rng: random generator for trajectory sampling (``None``: channels are an error).
    """

    theta: np.ndarray
    x: np.ndarray | None
    batch: int
    reps: int = 1
    rng: np.random.Generator | None = None
    memo: dict = field(default_factory=dict, repr=False)

    def angle(self, p: ParamValue, *, tiled: bool = True) -> float | np.ndarray:
        """The angle of a parameter: a float, or one value per column (``tiled``) or per sample."""
        if isinstance(p, Trainable):
            if p.index >= self.theta.shape[-1]:
                raise QnetError(f"trainable index {p.index} out of range ({self.theta.shape[-1]} parameters)")
            v = self.theta[..., p.index] * p.scale
        elif isinstance(p, Data):
            if self.x is None or p.index >= self.x.shape[1]:
                raise QnetError(
                    f"data index {p.index} out of range (features given: {None if self.x is None else self.x.shape[1]})"
                )
            v = self.x[:, p.index] * p.scale
        else:
            return float(p)
        if np.ndim(v) == 0:
            return float(v)
        return np.tile(v, self.reps) if tiled and self.reps > 1 else np.asarray(v)

    def matrix(self, op: Operation, *, tiled: bool = True) -> np.ndarray:
        """The operation's matrix, ``(d, d)`` or ``(C, d, d)``."""
        if not op.params:
            return gate_matrix(op.name)
        if op.name == "unitary":
            return op.params[0].matrix
        return gate_matrix(op.name, self.angle(op.params[0], tiled=tiled), *op.params[1:])


def _dagger(m: np.ndarray) -> np.ndarray:
    return np.conj(np.swapaxes(m, -1, -2))


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


def _apply_1q_shared_small(state: State, pos: int, u: np.ndarray) -> None:
    v = state.arr.reshape(2**pos, 2, -1)
    state.arr = np.matmul(u, v).reshape(state.arr.shape)


def _apply_1q_batched(state: State, pos: int, u: np.ndarray) -> None:
    """Per-column 2×2 unitaries ``u`` of shape ``(C, 2, 2)``; broadcast over the column axis."""
    c = state.columns
    v = state.arr.reshape(2**pos, 2, -1, c)
    a, b = v[:, 0], v[:, 1]
    out = np.empty_like(v)
    np.multiply(a, u[:, 0, 0], out=out[:, 0])
    out[:, 0] += b * u[:, 0, 1]
    np.multiply(a, u[:, 1, 0], out=out[:, 1])
    out[:, 1] += b * u[:, 1, 1]
    state.arr = out.reshape(state.arr.shape)


def _rotate_inplace(state: State, pos: int, c: float, s: float) -> None:
    """``[[c, -s], [s, c]]`` on the qubit at position ``pos``, in place with BLAS ``zdrot``."""
    v = state.arr.reshape(2**pos, 2, -1)
    for i in range(v.shape[0]):
        # zdrot: x' = c x + s' y, y' = c y - s' x; with s' = -s this is the rotation above.
        blas.zdrot(v[i, 0], v[i, 1], c, -s, overwrite_x=1, overwrite_y=1)


def _diag_vector(layout: tuple[int, ...], diags: dict[int, np.ndarray]) -> np.ndarray:
    """The diagonal ``⊗_p diag_p`` over physical positions (identity where no qubit entry)."""
    vec = np.ones(1, dtype=complex)
    for q in layout:
        d = diags.get(q)
        vec = np.repeat(vec, 2) if d is None else (vec[:, None] * d[None, :]).ravel()
    return vec


def _is_one(d: np.ndarray, tol: float = 1e-14) -> bool:
    return abs(d[0] - 1.0) < tol and abs(d[1] - 1.0) < tol


def apply_kron_layer(state: State, unitaries: dict[int, np.ndarray], memo: dict | None = None) -> None:
    """Apply one 2×2 unitary per logical qubit (they commute); see the module docstring.

    ``memo`` (optional) caches the Euler factors and phase vectors between calls with the same shared
    unitaries (the column chunks of one batch).
    """
    n = state.n
    shared = {q: u for q, u in unitaries.items() if u.ndim == 2}
    for q, u in unitaries.items():
        if u.ndim == 3:
            _apply_1q_batched(state, state.layout.index(q), u)
    if not shared:
        return
    if state.arr.size <= _SMALL:
        for q, u in shared.items():
            _apply_1q_shared_small(state, state.layout.index(q), u)
        return
    memo = {} if memo is None else memo
    if "factors" not in memo:
        memo["factors"] = {q: zyz_factors(u) for q, u in shared.items()}
    factors = memo["factors"]
    right = {q: f[3] for q, f in factors.items() if not _is_one(f[3])}
    if right:
        key = ("right", state.layout)
        if key not in memo:
            memo[key] = _diag_vector(state.layout, right)[:, None]
        state.arr *= memo[key]
    limit = max(6, n // 2)
    todo = [q for q, f in factors.items() if f[2] != 0.0]
    far = [q for q in todo if state.layout.index(q) >= limit]
    for q in todo:
        if q not in far:
            _rotate_inplace(state, state.layout.index(q), factors[q][1], factors[q][2])
    if far:
        front = tuple(far) + tuple(q for q in state.layout if q not in far)
        state.relayout(front)
        for q in far:
            _rotate_inplace(state, state.layout.index(q), factors[q][1], factors[q][2])
    left = {q: f[0] for q, f in factors.items() if not _is_one(f[0])}
    if left:
        key = ("left", state.layout)
        if key not in memo:
            memo[key] = _diag_vector(state.layout, left)[:, None]
        state.arr *= memo[key]


def product_state(n: int, unitaries: dict[int, np.ndarray], columns: int) -> State:
    """``⊗_q U_q |0⟩`` built directly from the first columns of the ``U_q`` (natural layout)."""
    vec = np.ones((1, 1), dtype=complex)
    for q in range(n):
        u = unitaries.get(q)
        col = (
            np.array([[1.0], [0.0]], dtype=complex)
            if u is None
            else (u[:, 0][:, None] if u.ndim == 2 else u[:, :, 0].T)
        )
        vec = (vec[:, None, :] * col[None, :, :]).reshape(-1, max(vec.shape[1], col.shape[1]))
    if vec.shape[1] != columns:
        vec = np.repeat(vec, columns, axis=1) if vec.shape[1] == 1 else np.tile(vec, (1, columns // vec.shape[1]))
    return State(np.ascontiguousarray(vec), natural(n))


# ---------------------------------------------------------------------- stages
@dataclass
class KronStage:
    """One-qubit gates fused per qubit: ``ops[q]`` lists op indices on qubit ``q`` in time order."""

    ops: dict[int, list[int]] = field(default_factory=dict)

    def unitaries(self, circuit: Circuit, bind: Binding, inverse: bool = False) -> dict[int, np.ndarray]:
        """``U_q = M_m ⋯ M_1`` per qubit (or ``U_q†``)."""
        key = ("kron", id(self), inverse)
        if key in bind.memo:
            return bind.memo[key]
        out = {}
        for q, idx in self.ops.items():
            u = None
            for i in idx:
                m = bind.matrix(circuit.ops[i])
                u = m if u is None else np.matmul(m, u)
            out[q] = _dagger(u) if inverse else u
        if all(u.ndim == 2 for u in out.values()):
            bind.memo[key] = out
        return out


@dataclass
class MonoStage:
    """A product of monomial gates: ``out[x] = phase[x] · exp(-i Σ θ_k pat_k[x] / 2) · in[perm[x]]``.

    ``pat2`` holds ``2 × pattern`` of every parameterised gate (int8), expressed at the stage output.
    """

    n: int
    op_indices: list[int] = field(default_factory=list)
    perm: np.ndarray | None = None
    phase: np.ndarray | None = None
    param_ops: list[int] = field(default_factory=list)
    pat2: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    def add(self, i: int, op: Operation) -> None:
        """Compose gate ``op`` (circuit index ``i``) after the gates already in the stage."""
        spec = gate_spec(op.name)
        n = self.n
        x = np.arange(2**n, dtype=np.int64)
        k = len(op.qubits)
        local = np.zeros_like(x)
        for j, q in enumerate(op.qubits):
            local |= ((x >> (n - 1 - q)) & 1) << (k - 1 - j)
        if self.perm is None:
            self.perm = x.copy()
            self.phase = np.ones(2**n, dtype=complex)
        lp = spec.perm[local]
        if not np.array_equal(lp, local):
            g = x.copy()
            for j, q in enumerate(op.qubits):
                bit = (lp >> (k - 1 - j)) & 1
                g = (g & ~(1 << (n - 1 - q))) | (bit << (n - 1 - q))
            self.perm = self.perm[g]
            self.phase = self.phase[g]
            if self.pat2 is not None:
                self.pat2 = self.pat2[:, g]
        self.phase = self.phase * spec.phase[local]
        if spec.pattern is not None:
            row = np.rint(2 * spec.pattern[local]).astype(np.int8)[None, :]
            self.pat2 = row if self.pat2 is None else np.concatenate([self.pat2, row])
            self.param_ops.append(i)
        self.op_indices.append(i)

    def physical(self, src: tuple[int, ...], dst: tuple[int, ...]) -> tuple:
        """Gather index, phase and patterns for input layout ``src`` and output layout ``dst``."""
        key = (src, dst)
        if key not in self._cache:
            lb = phys_to_log(dst)
            idx = log_to_phys(src)[self.perm[lb]]
            if np.array_equal(idx, np.arange(idx.size)):
                idx = None
            ph = self.phase[lb]
            ph = None if np.allclose(ph, 1.0) else ph
            pat = None if self.pat2 is None else np.ascontiguousarray(self.pat2[:, lb])
            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[key] = (idx, ph, pat)
        return self._cache[key]

    def phases(self, circuit: Circuit, bind: Binding, layouts: tuple, inverse: bool = False) -> np.ndarray | None:
        """The full diagonal (static × parameterised) at the output, ``(2**n,)`` or ``(2**n, C)``.

        ``layouts`` is ``(input layout, output layout)``.
        """
        _, ph, pat = self.physical(*layouts)
        total = ph
        if pat is not None:
            angles = [bind.angle(circuit.ops[i].params[0]) for i in self.param_ops]
            if all(isinstance(a, float) for a in angles):
                phi = (np.asarray(angles) @ pat) * 0.5
                d = np.exp(-1j * phi)
            else:
                cols = bind.batch * bind.reps
                a = np.stack([np.broadcast_to(np.asarray(v, dtype=float), (cols,)) for v in angles])
                phi = (pat.T.astype(float) @ a) * 0.5
                d = np.exp(-1j * phi)
            total = d if total is None else (d * total if d.ndim == 1 else d * total[:, None])
        if total is not None and inverse:
            total = np.conj(total)
        return total

    def apply(self, state: State, circuit: Circuit, bind: Binding, out_layout: tuple[int, ...]) -> None:
        """Forward: gather then multiply by the phase."""
        src = state.layout
        idx, _, _ = self.physical(src, out_layout)
        if idx is not None:
            state.gather(idx, out_layout)
        else:
            state.layout = out_layout
        d = self.phases(circuit, bind, (src, out_layout))
        if d is not None:
            state.arr *= d[:, None] if d.ndim == 1 else d

    def unapply(self, state: State, circuit: Circuit, bind: Binding, in_layout: tuple[int, ...]) -> None:
        """Inverse: multiply by the conjugate phase then scatter back to ``in_layout``."""
        out_layout = state.layout
        d = self.phases(circuit, bind, (in_layout, out_layout), inverse=True)
        if d is not None:
            state.arr *= d[:, None] if d.ndim == 1 else d
        idx, _, _ = self.physical(in_layout, out_layout)
        if idx is not None:
            inv = np.empty_like(idx)
            inv[idx] = np.arange(idx.size)
            state.gather(inv, in_layout)
        else:
            state.layout = in_layout


@dataclass
class DenseStage:
    """One dense two-qubit gate."""

    op_index: int


@dataclass
class ChannelStage:
    """One noise channel (trajectory sampling only)."""

    op_index: int


Stage = KronStage | MonoStage | DenseStage | ChannelStage


@dataclass
class Program:
    """A compiled circuit: its stages in time order."""

    circuit: Circuit
    stages: list[Stage]

    @property
    def num_qubits(self) -> int:
        """Register size."""
        return self.circuit.num_qubits


@lru_cache(maxsize=64)
def _compile_cached(n: int, ops: tuple[Operation, ...]) -> Program:
    circuit = Circuit(n, list(ops))
    stages: list[Stage] = []
    for i, op in enumerate(ops):
        kind = op.kind
        cur = stages[-1] if stages else None
        if kind == "channel":
            stages.append(ChannelStage(i))
        elif kind == "dense":
            stages.append(DenseStage(i))
        elif len(op.qubits) == 1 and (kind == "kron" or isinstance(cur, KronStage)):
            if not isinstance(cur, KronStage):
                cur = KronStage()
                stages.append(cur)
            cur.ops.setdefault(op.qubits[0], []).append(i)
        else:
            if not isinstance(cur, MonoStage):
                cur = MonoStage(n)
                stages.append(cur)
            cur.add(i, op)
    return Program(circuit, stages)


def compile_circuit(circuit: Circuit) -> Program:
    """Compile (and cache) a circuit into stages."""
    return _compile_cached(circuit.num_qubits, tuple(circuit.ops))


# ---------------------------------------------------------------------- running
def make_binding(
    circuit: Circuit,
    params: np.ndarray | None,
    data: np.ndarray | None,
    initial_state: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> Binding:
    """Validate shapes and work out the batch size ``B``."""
    theta = np.zeros(circuit.num_trainable) if params is None else np.asarray(params, dtype=float)
    if theta.ndim not in (1, 2):
        raise QnetError(f"params must have shape (P,) or (B, P) (got {theta.shape})")
    if theta.shape[-1] < circuit.num_trainable:
        raise QnetError(f"circuit uses {circuit.num_trainable} trainable parameters (got {theta.shape[-1]})")
    x = None if data is None else np.atleast_2d(np.asarray(data, dtype=float))
    if x is None and circuit.num_features:
        raise QnetError(f"circuit reads {circuit.num_features} data features but no data was given")
    sizes = {
        s
        for s in (
            theta.shape[0] if theta.ndim == 2 else None,
            None if x is None else x.shape[0],
            None if initial_state is None or np.ndim(initial_state) == 1 else np.shape(initial_state)[0],
        )
        if s is not None
    }
    if len(sizes) > 1:
        raise QnetError(f"batch sizes of params, data and initial_state disagree ({sorted(sizes)})")
    return Binding(theta, x, sizes.pop() if sizes else 1, 1, rng)


def initial(n: int, bind: Binding, initial_state: np.ndarray | None) -> State | None:
    """The starting state, or ``None`` for ``|0…0⟩`` (built lazily by the first stage)."""
    if initial_state is None:
        return None
    psi = np.asarray(initial_state, dtype=complex)
    if psi.shape[-1] != 2**n:
        raise QnetError(f"initial_state must have 2**{n} = {2**n} amplitudes (got {psi.shape[-1]})")
    psi = np.atleast_2d(psi)
    if psi.shape[0] == 1 and bind.batch > 1:
        psi = np.repeat(psi, bind.batch, axis=0)
    return State(np.ascontiguousarray(psi.T), natural(n))


def zero_state(n: int, columns: int) -> State:
    """``|0…0⟩`` in every column."""
    arr = np.zeros((2**n, columns), dtype=complex)
    arr[0] = 1.0
    return State(arr, natural(n))


def run_stage(stage: Stage, state: State | None, circuit: Circuit, bind: Binding, next_is_kron: bool = False) -> State:
    """Apply one stage forward (``state`` ``None`` means ``|0…0⟩``)."""
    n = circuit.num_qubits
    cols = bind.batch * bind.reps
    if isinstance(stage, KronStage):
        us = stage.unitaries(circuit, bind)
        if state is None:
            return product_state(n, us, cols)
        apply_kron_layer(
            state,
            us,
            bind.memo.setdefault(("layer", id(stage)), {}) if ("kron", id(stage), False) in bind.memo else None,
        )
        return state
    if state is None:
        state = zero_state(n, cols)
    if isinstance(stage, MonoStage):
        stage.apply(state, circuit, bind, natural(n))
    elif isinstance(stage, DenseStage):
        op = circuit.ops[stage.op_index]
        apply_dense(state, op.qubits, bind.matrix(op))
    else:
        from qnet_dqnn.quantum.trajectories import apply_sampled_channel

        if bind.rng is None:
            raise QnetError(
                "the circuit holds noise channels: simulate it with the density-matrix simulator "
                "or with Pauli trajectories (qnet_dqnn.quantum.trajectories)"
            )
        apply_sampled_channel(state, circuit.ops[stage.op_index], bind.rng)
    return state


#: Target bytes of one column chunk: a chunk of the batch that fits in the last-level cache runs faster
#: than the whole batch streamed through memory, and chunks run in parallel threads (NumPy and BLAS
#: release the GIL).
CHUNK_BYTES = 8 << 20


def _slice_binding(bind: Binding, lo: int, hi: int) -> Binding:
    theta = bind.theta[lo:hi] if bind.theta.ndim == 2 else bind.theta
    x = None if bind.x is None else bind.x[lo:hi]
    return Binding(theta, x, hi - lo, 1, bind.rng, bind.memo)


def run_program(
    program: Program, bind: Binding, initial_state: np.ndarray | None = None, threads: int | None = None, reduce=None
):
    """Run every stage; returns the final :class:`State`, or ``reduce(state)`` stacked over chunks.

    Large forward batches are cut into column chunks of about :data:`CHUNK_BYTES` that run in parallel
    (``threads`` workers, default: the CPU count). Chunking is skipped for trajectory sampling (one random
    stream) and for stacked adjoint arrays.
    """
    n = program.num_qubits
    per_col = 16 * 2**n
    chunk = max(1, CHUNK_BYTES // per_col)
    if bind.reps == 1 and bind.rng is None and bind.batch > chunk and bind.batch * per_col > 2 * CHUNK_BYTES:
        bounds = [(lo, min(lo + chunk, bind.batch)) for lo in range(0, bind.batch, chunk)]
        init = None if initial_state is None else np.atleast_2d(np.asarray(initial_state, dtype=complex))

        def part(lohi: tuple[int, int]) -> np.ndarray:
            lo, hi = lohi
            sub = None if init is None else (init if init.shape[0] == 1 else init[lo:hi])
            st = _run_stages(program, _slice_binding(bind, lo, hi), sub)
            if reduce is not None:
                return reduce(st)
            return st.arr[relayout_index(st.layout, natural(n))] if st.layout != natural(n) else st.arr

        workers = threads or os.cpu_count() or 1
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                parts = list(pool.map(part, bounds))
        else:
            parts = [part(b) for b in bounds]
        if reduce is not None:
            return np.concatenate(parts, axis=0)
        return State(np.concatenate(parts, axis=1), natural(n))
    state = _run_stages(program, bind, initial_state)
    return state if reduce is None else reduce(state)


def _run_stages(program: Program, bind: Binding, initial_state: np.ndarray | None) -> State:
    state = initial(program.num_qubits, bind, initial_state)
    for stage in program.stages:
        state = run_stage(stage, state, program.circuit, bind)
    if state is None:
        state = zero_state(program.num_qubits, bind.batch * bind.reps)
    return state
