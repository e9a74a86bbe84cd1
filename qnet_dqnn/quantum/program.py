"""A circuit compiled into stages for the batched statevector engine, and the loop that runs them.

Consecutive operations are fused into *stages*, applied with the kernels of :mod:`qnet_dqnn.quantum.state`
(which also describes the ``(2**n, C)`` state array and its physical layout):

- :class:`KronStage` — one-qubit gates, fused per qubit into one 2×2 unitary ``U_q`` (different qubits
  commute), applied as one layer (Z-Y-Z Euler split: two phase passes and one in-place compiled rotation pass
  per qubit). Applied to ``|0…0⟩`` the stage builds the product state directly.
- :class:`MonoStage` — monomial gates (CX, CZ, SWAP, X, Y, Z, S, T, RZ, RZZ, P): their product is a
  permutation of basis states times a diagonal phase, ``out[x] = phase[x] · in[perm[x]]``, applied in one
  compiled pass. Parameterised diagonal gates contribute ``exp(-i Σ_k θ_k pattern_k)``.
  A monomial stage folds a pending re-layout back into its own gather.
- :class:`DenseStage` — one two-qubit gate applied as a dense 4×4 matrix (RXX, RYY).
- :class:`ChannelStage` — a noise channel; applied only when sampling Pauli trajectories (one Pauli per
  column, :func:`qnet_dqnn.quantum.state.apply_sampled_channel`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Data, Operation, ParamValue, Trainable
from qnet_dqnn.quantum.gates import gate_matrix, gate_spec
from qnet_dqnn.quantum.kernels import gather_phase
from qnet_dqnn.quantum.state import (
    State,
    apply_dense,
    apply_kron_layer,
    apply_sampled_channel,
    log_to_phys,
    natural,
    phys_to_log,
    product_state,
    relayout_index,
)


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
        """The operation's matrix, ``(d, d)`` or ``(C, d, d)``; shared ones are kept in :attr:`memo`."""
        if not op.params:
            return gate_matrix(op.name)
        if op.name == "unitary":
            return op.params[0].matrix
        key = ("matrix", id(op))
        if key in self.memo:
            return self.memo[key]
        m = gate_matrix(op.name, self.angle(op.params[0], tiled=tiled), *op.params[1:])
        if m.ndim == 2:
            self.memo[key] = m
        return m


def _dagger(m: np.ndarray) -> np.ndarray:
    return np.conj(np.swapaxes(m, -1, -2))


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
    _inverse: dict = field(default_factory=dict, repr=False)

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
        """Forward: gather and multiply by the phase, in one pass."""
        src = state.layout
        idx, _, _ = self.physical(src, out_layout)
        _gather_phase(state, idx, self.phases(circuit, bind, (src, out_layout)), out_layout)

    def unapply(self, state: State, circuit: Circuit, bind: Binding, in_layout: tuple[int, ...]) -> None:
        """Inverse: multiply by the conjugate phase and scatter back to ``in_layout``, in one pass."""
        out_layout = state.layout
        d = self.phases(circuit, bind, (in_layout, out_layout), inverse=True)
        key = (in_layout, out_layout)
        if key not in self._inverse:
            idx, _, _ = self.physical(in_layout, out_layout)
            inv = None
            if idx is not None:
                inv = np.empty_like(idx)
                inv[idx] = np.arange(idx.size)
            if len(self._inverse) > 8:
                self._inverse.clear()
            self._inverse[key] = inv
        inv = self._inverse[key]
        _gather_phase(state, inv, d if d is None or inv is None else d[inv], in_layout)


def _gather_phase(state: State, idx: np.ndarray | None, d: np.ndarray | None, layout: tuple[int, ...]) -> None:
    """``arr = d · arr[idx]`` into the state's spare buffer (``None``: identity / no phase), adopt ``layout``."""
    if idx is None and d is None:
        state.layout = layout
        return
    if state.buf is None or state.buf.shape != state.arr.shape:
        state.buf = np.empty_like(state.arr)
    phase = _NO_PHASE if d is None else (d[:, None] if d.ndim == 1 else d)
    gather_phase(state.arr, _IDENTITY if idx is None else idx, np.ascontiguousarray(phase, dtype=complex), state.buf)
    state.arr, state.buf = state.buf, state.arr
    state.layout = layout


_NO_PHASE = np.zeros((0, 0), dtype=complex)
_IDENTITY = np.zeros(0, dtype=np.int64)


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
        if bind.rng is None:
            raise QnetError(
                "the circuit holds noise channels: simulate it with the density-matrix simulator "
                "or with Pauli trajectories (qnet_dqnn.quantum.trajectories)"
            )
        apply_sampled_channel(state, circuit.ops[stage.op_index], bind.rng)
    return state


#: Target bytes of one column chunk: a chunk of the batch that fits in the last-level cache runs faster
#: than the whole batch streamed through memory, and chunks run in parallel threads (the compiled kernels
#: release the GIL). 4 MiB: at 16 qubits, 4 columns — the rotation loop's shortest run is then 8 floats.
CHUNK_BYTES = 4 << 20


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
