"""The noisy adjoint's plan: the observables' backward light cone of a circuit, compiled into steps on local
axes (rotations, signed permutations, Pauli channels, dense transfer matrices) with runs of Clifford gates and
Pauli channels fused, and the angles of the rotation steps (see :mod:`qnet_dqnn.quantum.noisy_adjoint`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Data, Operation, Trainable
from qnet_dqnn.quantum.noise import kraus_operators
from qnet_dqnn.quantum.observables import Observable, PauliString, as_pauli
from qnet_dqnn.quantum.pauli_transfer import gate_transfer, rotation_generator, signed_permutation, transfer_matrix

#: Largest light cone (in qubits) simulated exactly: a Pauli-transfer vector has ``4^c`` reals per column.
MAX_CONE_QUBITS = 10

_PAULI_CHANNELS = ("pauli1", "pauli2", "depolarize1", "depolarize2")


@dataclass(frozen=True)
class Step:
    """One operation of the light cone, on local axes ``axes`` (cone qubits renumbered ``0..c-1``).

    ``kind``: ``rot`` (a gate with an angle: ``exp(θJ)``), ``perm`` (a signed permutation: Clifford gates),
    ``diag`` (a Pauli channel) or ``dense`` (any other transfer matrix ``mat``). A one-qubit ``rot`` may carry
    the diagonal ``scale`` of the Pauli channel that follows it (see :func:`_fold_channels`); a ``mono`` step
    (``v' = mat ⊙ v[perm]``) keeps its transpose as the gather ``back = (idx, scale)``.
    """

    kind: str
    axes: tuple[int, ...]
    op_index: int
    mat: np.ndarray | None = None
    perm: np.ndarray | None = None
    sign: np.ndarray | None = None
    anti: np.ndarray | None = None
    partner: np.ndarray | None = None
    scale: np.ndarray | None = None
    back: tuple[np.ndarray, np.ndarray] | None = None


@dataclass(frozen=True)
class Plan:
    """A circuit compiled for the Pauli-transfer sweeps.

    Attributes:
        n: register size; cone: the kept qubits (local axis ``i`` is qubit ``cone[i]``).
        steps: the kept operations in time order.
        boundary: index into ``steps`` after the last data-dependent step (the encoding ends there).
        observables: each observable's string index over the cone and its coefficient.
    """

    n: int
    cone: tuple[int, ...]
    steps: tuple[Step, ...]
    boundary: int
    observables: tuple[tuple[int, float, int], ...]

    @property
    def c(self) -> int:
        """Number of cone qubits."""
        return len(self.cone)


def _light_cone(ops: Sequence[Operation], qubits: set[int]) -> list[int]:
    """Indices of the operations in the backward light cone of ``qubits`` (see the module docstring)."""
    support = set(qubits)
    keep = []
    for i in range(len(ops) - 1, -1, -1):
        op = ops[i]
        if support.intersection(op.qubits):
            keep.append(i)
            support.update(op.qubits)
    return keep[::-1]


@lru_cache(maxsize=1024)
def _channel_transfer(op: Operation) -> np.ndarray:
    """The transfer matrix of a channel operation, computed once per channel and parameters: a cut's fragment
    circuits and their shifted copies repeat the same few channels thousands of times per step."""
    mat = transfer_matrix(kraus_operators(op))
    mat.flags.writeable = False
    return mat


def _step(op: Operation, i: int, axes: tuple[int, ...]) -> Step:
    if op.is_channel:
        mat = _channel_transfer(op)
        if op.name in _PAULI_CHANNELS:
            return Step("diag", axes, i, mat=np.ascontiguousarray(mat.diagonal()))
        return Step("dense", axes, i, mat=mat)
    if op.params:
        j = rotation_generator(op.name)
        anti = np.flatnonzero(np.abs(j).sum(axis=1) > 0)
        partner = np.argmax(np.abs(j[anti]), axis=1)
        return Step("rot", axes, i, mat=j, anti=anti, partner=partner, sign=j[anti, partner])
    r = gate_transfer(op.name)
    sp = signed_permutation(r)
    if sp is not None:
        return Step("perm", axes, i, perm=sp[0], sign=sp[1])
    return Step("dense", axes, i, mat=r)


@lru_cache(maxsize=1024)
def _compile(n: int, ops: tuple[Operation, ...], observables: tuple[PauliString, ...]) -> Plan:
    measured = {q for o in observables for q in o.qubits}
    kept = _light_cone(ops, measured)
    cone = tuple(sorted({q for i in kept for q in ops[i].qubits} | measured)) or (0,)
    local = {q: a for a, q in enumerate(cone)}
    c = len(cone)
    steps = _fuse(_fold_channels(tuple(_step(ops[i], i, tuple(local[q] for q in ops[i].qubits)) for i in kept)), c)
    data_steps = [k for k, s in enumerate(steps) if any(isinstance(p, Data) for p in ops[s.op_index].params)]
    boundary = data_steps[-1] + 1 if data_steps else 0
    for s in steps[:boundary]:
        if any(isinstance(p, Trainable) for p in ops[s.op_index].params):
            raise QnetError("noisy adjoint: a trainable gate before the last data-dependent gate is not supported")
    obs = []
    for o in observables:
        idx = 0
        for q, s in o.paulis:
            idx += "IXYZ".index(s) * 4 ** (c - 1 - local[q])
        obs.append((idx, float(o.coeff), len(o.qubits)))
    return Plan(n, cone, steps, boundary, tuple(obs))


@lru_cache(maxsize=256)
def _full_permutation(c: int, axes: tuple[int, ...], perm_b: bytes, sign_b: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A signed permutation of the digits on ``axes``, lifted to a gather over all ``4^c`` strings."""
    perm, sign = np.frombuffer(perm_b, dtype=np.int64), np.frombuffer(sign_b, dtype=float)
    s = np.arange(4**c, dtype=np.int64)
    digits = [(s // 4 ** (c - 1 - a)) % 4 for a in axes]
    local = np.zeros_like(s)
    for d in digits:
        local = 4 * local + d
    src_local = perm[local]
    src = s.copy()
    for j, a in enumerate(axes):
        dj = (src_local // 4 ** (len(axes) - 1 - j)) % 4
        src += (dj - digits[j]) * 4 ** (c - 1 - a)
    return src, sign[local]


def _lift(step: Step, c: int) -> tuple[np.ndarray, np.ndarray]:
    """A ``perm`` or ``diag`` step as ``(idx, scale)`` over all ``4^c`` strings: ``v' = scale ⊙ v[idx]``."""
    if step.kind == "perm":
        return _full_permutation(c, step.axes, step.perm.tobytes(), step.sign.tobytes())
    s = np.arange(4**c, dtype=np.int64)
    local = np.zeros_like(s)
    for a in step.axes:
        local = 4 * local + (s // 4 ** (c - 1 - a)) % 4
    return s, step.mat[local]


#: Pauli-channel factors this close count as equal (they come from Kraus operators, equal up to rounding).
_EQUAL_RATES = 1e-14


def _fold_channels(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """A one-qubit Pauli channel right after a one-qubit rotation on the same qubit joins the rotation's step.

    The channel is diagonal, ``D = diag(f)`` on the qubit's ``I, X, Y, Z``; it commutes with the rotation's
    generator ``J`` when ``f`` is equal on the two strings ``J`` pairs (depolarizing noise: ``f = (1, λ, λ, λ)``;
    King & Ruskai, IEEE Trans. Inf. Theory 47, 192 (2001)), so ``∂(D R(θ))/∂θ = J (D R(θ))`` and the pairing
    ``Tr(O · J v)`` after the joint step is the gradient, as for a bare rotation. One pass applies both.
    """
    out: list[Step] = []
    for st in steps:
        prev = out[-1] if out else None
        if (
            st.kind == "diag"
            and prev is not None
            and prev.kind == "rot"
            and prev.scale is None
            and len(st.axes) == 1
            and prev.axes == st.axes
            and abs(st.mat[prev.anti[0]] - st.mat[prev.anti[1]]) <= _EQUAL_RATES
        ):
            out[-1] = replace(prev, scale=np.ascontiguousarray(st.mat, dtype=float))
        else:
            out.append(st)
    return tuple(out)


def _fuse(steps: tuple[Step, ...], c: int) -> tuple[Step, ...]:
    """Runs of two or more ``perm``/``diag`` steps (Clifford gates and Pauli channels) fused into one ``mono``
    step, ``v' = scale ⊙ v[idx]`` (a signed permutation times a diagonal is closed under products)."""
    out: list[Step] = []
    run: list[Step] = []

    def flush() -> None:
        if len(run) == 1 or (run and c < 3):
            out.extend(run)
        elif run:
            idx, scale = np.arange(4**c, dtype=np.int64), np.ones(4**c)
            for st in run:
                p, f = _lift(st, c)
                idx, scale = idx[p], f * scale[p]
            axes = tuple(sorted({a for st in run for a in st.axes}))
            inv = np.empty_like(idx)
            inv[idx] = np.arange(idx.size)  # transpose of v → scale ⊙ v[idx]: w → scale[inv] ⊙ w[inv]
            out.append(Step("mono", axes, run[-1].op_index, mat=scale, perm=idx, back=(inv, scale[inv])))
        run.clear()

    for st in steps:
        if st.kind in ("perm", "diag"):
            run.append(st)
        else:
            flush()
            out.append(st)
    flush()
    return tuple(out)


def cone_qubits(circuit: Circuit, observables: Sequence[Observable]) -> int:
    """How many qubits the observables' backward light cone in ``circuit`` holds (the exact path's ``c``)."""
    return _compile(circuit.num_qubits, tuple(circuit.ops), tuple(as_pauli(o) for o in observables)).c


def compile_noisy(circuit: Circuit, observables: Sequence[PauliString]) -> Plan:
    """The light cone of ``observables`` in ``circuit``, compiled (cached on the circuit's operations)."""
    plan = _compile(circuit.num_qubits, tuple(circuit.ops), tuple(observables))
    if plan.c > MAX_CONE_QUBITS:
        raise QnetError(
            f"the observables' light cone holds {plan.c} qubits: the exact noisy simulation keeps 4^{plan.c} numbers "
            f"per input (limit {MAX_CONE_QUBITS} qubits)"
        )
    return plan


class _Angles:
    """Angles of the plan's ``rot`` steps: a float (shared) or a ``(W,)`` vector (per column)."""

    def __init__(self, circuit: Circuit, theta: np.ndarray, x: np.ndarray | None) -> None:
        self.ops, self.theta, self.x = circuit.ops, theta, x

    def __call__(self, step: Step) -> float | np.ndarray:
        p = self.ops[step.op_index].params[0]
        if isinstance(p, Trainable):
            if p.index >= self.theta.shape[-1]:
                raise QnetError(f"trainable index {p.index} out of range ({self.theta.shape[-1]} parameters)")
            v = self.theta[..., p.index] * p.scale
            return float(v) if np.ndim(v) == 0 else v
        if isinstance(p, Data):
            if self.x is None or p.index >= self.x.shape[1]:
                raise QnetError(f"data index {p.index} out of range")
            return self.x[:, p.index] * p.scale
        return float(p)
