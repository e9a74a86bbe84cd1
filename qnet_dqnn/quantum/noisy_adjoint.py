"""Exact expectation values and gradients of noisy circuits: the adjoint method on Pauli-transfer vectors.

The noisy expectation ``E_b = Tr(O Φ(ρ_b))`` of a circuit ``Φ = Φ_N ∘ … ∘ Φ_1`` (gates and channels) is computed
in the Pauli-transfer representation (:mod:`qnet_dqnn.quantum.pauli_transfer`): states are real vectors of
Pauli expectations, every operation a real transfer matrix, so the density-matrix simulation becomes
matrix-vector algebra on ``4^c`` reals, ``c`` the size of the observables' backward light cone (only the
operations that can reach the measured qubits matter: walking back from the end, an operation on no qubit of
the support is left out — the adjoint of a trace-preserving map sends ``I`` to ``I`` — and a kept gate adds its
qubits to the support; Farhi, Goldstone & Gutmann, arXiv:1411.4028 (2014), Sec. 3).

**Adjoint sweep** (the density-matrix form of Jones & Gacon, arXiv:2009.02823 (2020), Algorithm 1): the
observable is carried backwards once, ``O_{>k} = Φ_{k+1}† ⋯ Φ_N†(O)`` (Heisenberg picture, transposed transfer
matrices), and the states forwards, ``ρ_{≤k} = Φ_k ⋯ Φ_1(ρ)``. For a gate ``U(θ) = exp(-iθG/2)`` with transfer
matrix ``exp(θJ)``,

    ∂E/∂θ_k = Tr(O_{>k} · J_k ρ_{≤k}),

and the two parameter-shifted values follow from the same pair: ``E(θ_k ± π/2) = a_k ± ∂E/∂θ_k`` with
``a_k = Tr(O_{>k} · Π_comm ρ_{≤k})`` (``Π_comm`` keeps the strings that commute with ``G``; since
``E(θ) = a + b cos θ + c sin θ``, ``a`` is the mean of the two shifts). So one backward and one forward sweep
give the exact value, Jacobian and all ``2 × n_occ`` shifted values of a batch — what a QPU would estimate by
running ``B(1 + 2 n_occ)`` circuits — with no approximation beyond floating point.

**Vector-Jacobian product.** For a loss ``L(E)``, ``∂L/∂θ = Σ_b ∂L/∂E_b ∂E_b/∂θ`` needs one state only:
``R = Σ_b (∂L/∂E_b) ρ_b`` taken at the end of the data-dependent prefix (the encoding) and carried forward
through the data-free rest, so the cost does not grow with the batch.

Readout error (a symmetric flip of each measured bit with probability ``p``) multiplies a weight-``w`` string by
``(1 − 2p)^w`` (:mod:`qnet_dqnn.quantum.noise`); it is folded into the observable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Data, Operation, Trainable
from qnet_dqnn.quantum.noise import kraus_operators
from qnet_dqnn.quantum.observables import Observable, PauliString, as_pauli
from qnet_dqnn.quantum.pauli_transfer import (
    gate_transfer,
    product_state_vector,
    pure_to_vector,
    rotation_generator,
    signed_permutation,
    transfer_matrix,
)

#: Largest light cone (in qubits) simulated exactly: a Pauli-transfer vector has ``4^c`` reals per column.
MAX_CONE_QUBITS = 10

_PAULI_CHANNELS = ("pauli1", "pauli2", "depolarize1", "depolarize2")


# ---------------------------------------------------------------------------------------------- compiling
@dataclass(frozen=True)
class Step:
    """One operation of the light cone, on local axes ``axes`` (cone qubits renumbered ``0..c-1``).

    ``kind``: ``rot`` (a gate with an angle: ``exp(θJ)``), ``perm`` (a signed permutation: Clifford gates),
    ``diag`` (a Pauli channel) or ``dense`` (any other transfer matrix ``mat``).
    """

    kind: str
    axes: tuple[int, ...]
    op_index: int
    mat: np.ndarray | None = None
    perm: np.ndarray | None = None
    sign: np.ndarray | None = None
    anti: np.ndarray | None = None
    partner: np.ndarray | None = None


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


def _step(op: Operation, i: int, axes: tuple[int, ...]) -> Step:
    if op.is_channel:
        mat = transfer_matrix(kraus_operators(op))
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


@lru_cache(maxsize=64)
def _compile(n: int, ops: tuple[Operation, ...], observables: tuple[PauliString, ...]) -> Plan:
    measured = {q for o in observables for q in o.qubits}
    kept = _light_cone(ops, measured)
    cone = tuple(sorted({q for i in kept for q in ops[i].qubits} | measured)) or (0,)
    local = {q: a for a, q in enumerate(cone)}
    c = len(cone)
    steps = _fuse(tuple(_step(ops[i], i, tuple(local[q] for q in ops[i].qubits)) for i in kept), c)
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


def _lift(step: Step, c: int) -> tuple[np.ndarray, np.ndarray]:
    """A ``perm`` or ``diag`` step as ``(idx, scale)`` over all ``4^c`` strings: ``v' = scale ⊙ v[idx]``."""
    if step.kind == "perm":
        return _full_permutation(c, step.axes, step.perm.tobytes(), step.sign.tobytes())
    s = np.arange(4**c, dtype=np.int64)
    local = np.zeros_like(s)
    for a in step.axes:
        local = 4 * local + (s // 4 ** (c - 1 - a)) % 4
    return s, step.mat[local]


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
            out.append(Step("mono", axes, run[-1].op_index, mat=scale, perm=idx))
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


# ---------------------------------------------------------------------------------------------- angles
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


# ---------------------------------------------------------------------------------------------- kernels
def _view(v: np.ndarray, c: int, axis: int) -> np.ndarray:
    """``v`` (``4^c × W``) as ``(4^axis, 4, rest, W)``."""
    return v.reshape(4**axis, 4, 4 ** (c - 1 - axis), v.shape[-1])


def _apply(v: np.ndarray, step: Step, c: int, angle, adjoint: bool) -> np.ndarray:
    """Apply one step to ``v`` (``4^c × W``): its transfer matrix, or its transpose with ``adjoint``."""
    if step.kind == "rot":
        t = angle if not adjoint else -angle
        cos, sin = np.cos(t), np.sin(t)
        if len(step.axes) == 1:
            v4 = _view(v, c, step.axes[0])
            (a, b), (sa, sb) = step.anti, step.sign  # J: (Jv)_a = sa v_b, (Jv)_b = sb v_a
            va, vb = v4[:, a].copy(), v4[:, b]
            v4[:, a] *= cos
            v4[:, a] += (sa * sin) * vb
            vb *= cos
            vb += (sb * sin) * va
            return v
        mat = _rotation_matrix(step, cos, sin)
        return _dense(v, mat, step.axes, c)
    if step.kind == "diag":
        if len(step.axes) == 1:
            _view(v, c, step.axes[0])[...] *= step.mat[None, :, None, None]
            return v
        a0, a1 = step.axes
        f = step.mat.reshape(4, 4) if a0 < a1 else step.mat.reshape(4, 4).T
        lo, hi = min(a0, a1), max(a0, a1)
        v6 = v.reshape(4**lo, 4, 4 ** (hi - lo - 1), 4, 4 ** (c - 1 - hi), v.shape[-1])
        v6 *= f[None, :, None, :, None, None]
        return v
    if step.kind == "mono":
        idx, scale = step.perm, step.mat
        if adjoint:
            idx, scale = _inverse_mono(idx.tobytes(), scale.tobytes())
        return np.take(v, idx, axis=0) * scale[:, None]
    if step.kind == "perm":
        perm, sign = step.perm, step.sign
        if adjoint:
            inv = np.empty_like(perm)
            inv[perm] = np.arange(perm.size)
            perm, sign = inv, sign[inv]
        if len(step.axes) == 1:
            v4 = _view(v, c, step.axes[0])
            return (v4[:, perm] * sign[None, :, None, None]).reshape(v.shape)
        idx, sgn = _full_permutation(c, step.axes, perm.tobytes(), sign.tobytes())
        return np.take(v, idx, axis=0) * sgn[:, None]
    mat = step.mat.T if adjoint else step.mat
    return _dense(v, mat, step.axes, c)


@lru_cache(maxsize=64)
def _inverse_mono(idx_b: bytes, scale_b: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The transpose of ``v → scale ⊙ v[idx]``: ``w → scale[inv] ⊙ w[inv]`` with ``inv = idx⁻¹``."""
    idx, scale = np.frombuffer(idx_b, dtype=np.int64), np.frombuffer(scale_b, dtype=float)
    inv = np.empty_like(idx)
    inv[idx] = np.arange(idx.size)
    return inv, scale[inv]


def _rotation_matrix(step: Step, cos, sin) -> np.ndarray:
    """``Π_comm + cos Π_anti + sin J`` as a matrix, ``(d², d²)`` or ``(W, d², d²)`` for per-column angles."""
    j = step.mat
    anti = np.zeros(j.shape[0])
    anti[step.anti] = 1.0
    comm = np.diag(1.0 - anti)
    cos, sin = np.asarray(cos, dtype=float), np.asarray(sin, dtype=float)
    return comm + cos[..., None, None] * np.diag(anti) + sin[..., None, None] * j


def _dense(v: np.ndarray, mat: np.ndarray, axes: tuple[int, ...], c: int) -> np.ndarray:
    """A ``(4^k × 4^k)`` matrix (or one per column, ``(W, 4^k, 4^k)``) on local axes ``axes``."""
    w = v.shape[-1]
    k = len(axes)
    t = np.moveaxis(v.reshape((4,) * c + (w,)), axes, range(k)).reshape(4**k, -1, w)
    out = np.einsum("ab,brw->arw", mat, t) if mat.ndim == 2 else np.einsum("wab,brw->arw", mat, t)
    out = np.moveaxis(out.reshape((4,) * c + (w,)), range(k), axes)
    return np.ascontiguousarray(out).reshape(4**c, w)


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


def _matrix(step: Step, angle) -> np.ndarray:
    """The transfer matrix of a one-qubit step (``(4, 4)`` or ``(W, 4, 4)``), for product-state preparation."""
    if step.kind == "rot":
        return _rotation_matrix(step, np.cos(angle), np.sin(angle))
    if step.kind == "diag":
        return np.diag(step.mat)
    if step.kind == "perm":
        m = np.zeros((4, 4))
        m[np.arange(4), step.perm] = step.sign
        return m
    return step.mat


# ---------------------------------------------------------------------------------------------- sweeps
def _initial(plan: Plan, angles: _Angles, init: np.ndarray | None, nb: int) -> tuple[np.ndarray, int]:
    """Pauli vectors of the inputs on the cone (``4^c × B``), and the first step not yet applied.

    From ``|0…0⟩`` the leading one-qubit steps of the data-dependent prefix are applied qubit by qubit to
    ``(1, 0, 0, 1)`` and the product taken once (the encoding layer of angle and basis encodings).
    """
    c = plan.c
    if init is not None:
        return pure_to_vector(init, plan.cone), 0
    blochs = [np.tile([1.0, 0.0, 0.0, 1.0], (nb, 1)) for _ in range(c)]
    k = 0
    while k < plan.boundary and len(plan.steps[k].axes) == 1:
        step = plan.steps[k]
        m = _matrix(step, angles(step) if step.kind == "rot" else None)
        q = step.axes[0]
        blochs[q] = np.einsum("ab,wb->wa", m, blochs[q]) if m.ndim == 2 else np.einsum("wab,wb->wa", m, blochs[q])
        k += 1
    return product_state_vector(blochs), k


def _observable_vectors(plan: Plan, readout: float) -> np.ndarray:
    o = np.zeros((4**plan.c, len(plan.observables)))
    for k, (idx, coeff, weight) in enumerate(plan.observables):
        o[idx, k] = coeff * (1.0 - 2.0 * readout) ** weight
    return o


def _backward(plan: Plan, angles: _Angles, readout: float) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """The observables carried back to the boundary, and a copy of them just after every trainable step."""
    o = _observable_vectors(plan, readout)
    saved: dict[int, np.ndarray] = {}
    ops = angles.ops
    for k in range(len(plan.steps) - 1, plan.boundary - 1, -1):
        step = plan.steps[k]
        if step.kind == "rot" and isinstance(ops[step.op_index].params[0], Trainable):
            saved[k] = o.copy()
        o = _apply(o, step, plan.c, angles(step) if step.kind == "rot" else None, adjoint=True)
    return o, saved


def _pair(o: np.ndarray, v: np.ndarray, c: int, step: Step, diagonal: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(Tr(O · J v), Tr(O · Π_anti v))`` for every (observable, column) pair — or per column with ``diagonal``.

    Shapes: ``(K, W)``, or ``(W,)`` with ``diagonal`` (``K = W``, column ``w`` paired with observable ``w``).
    """
    if len(step.axes) == 1:
        o4, v4 = _view(o, c, step.axes[0]), _view(v, c, step.axes[0])
        prods = {}
        for a in step.anti:
            for b in step.anti:
                oa, vb = o4[:, a], v4[:, b]
                prods[a, b] = (
                    np.einsum("xrk,xrk->k", oa, vb) if diagonal else np.tensordot(oa, vb, axes=([0, 1], [0, 1]))
                )
        (a, b), (sa, sb) = step.anti, step.sign
        return sa * prods[a, b] + sb * prods[b, a], prods[a, a] + prods[b, b]
    k = len(step.axes)
    om = np.moveaxis(o.reshape((4,) * c + (o.shape[1],)), step.axes, range(k)).reshape(4**k, -1, o.shape[1])
    vm = np.moveaxis(v.reshape((4,) * c + (v.shape[1],)), step.axes, range(k)).reshape(4**k, -1, v.shape[1])
    om, vm = om[step.anti], vm[step.anti]
    jv = step.sign[:, None, None] * vm[np.searchsorted(step.anti, step.partner)]
    if diagonal:
        return np.einsum("arw,arw->w", om, jv), np.einsum("arw,arw->w", om, vm)
    return np.einsum("ark,arw->kw", om, jv), np.einsum("ark,arw->kw", om, vm)


def _forward(
    plan: Plan,
    angles: _Angles,
    v: np.ndarray,
    start: int,
    end: int,
    saved: dict[int, np.ndarray] | None = None,
    diagonal: bool = False,
    visit: Callable[[Step, np.ndarray, np.ndarray], None] | None = None,
) -> np.ndarray:
    """Carry ``v`` forward through steps ``[start, end)``; after each step in ``saved`` (trainable, with the
    observables just after it) call ``visit(step, grad, anti)`` with the pairings of :func:`_pair`."""
    for k in range(start, end):
        step = plan.steps[k]
        v = _apply(v, step, plan.c, angles(step) if step.kind == "rot" else None, adjoint=False)
        if saved and k in saved and visit is not None:
            g, anti = _pair(saved[k], v, plan.c, step, diagonal)
            visit(step, g, anti)
    return v


# ---------------------------------------------------------------------------------------------- public API
@dataclass
class _Run:
    """One evaluation: the compiled plan, its angles and the inputs' Pauli vectors at the boundary."""

    plan: Plan
    angles: _Angles
    theta: np.ndarray
    nb: int
    nk: int


def _prepare(circuit, observables, params, data, initial_state, *, shared: bool) -> tuple[_Run, np.ndarray, int]:
    """Check the inputs, compile, and build the inputs' Pauli vectors ``(4^c, B)`` up to the first step left."""
    obs = [as_pauli(o) for o in observables]
    for o in obs:
        o.check(circuit.num_qubits)
    theta = np.zeros(circuit.num_trainable) if params is None else np.asarray(params, dtype=float)
    if theta.ndim not in (1, 2) or (shared and theta.ndim != 1):
        raise QnetError(f"params must have shape (P,){'' if shared else ' or (B, P)'} (got {theta.shape})")
    if theta.shape[-1] < circuit.num_trainable:
        raise QnetError(f"circuit uses {circuit.num_trainable} trainable parameters (got {theta.shape[-1]})")
    x = None if data is None else np.atleast_2d(np.asarray(data, dtype=float))
    if x is None and circuit.num_features:
        raise QnetError(f"circuit reads {circuit.num_features} data features but no data was given")
    init = None if initial_state is None else np.atleast_2d(np.asarray(initial_state, dtype=complex))
    if init is not None and init.shape[1] != 2**circuit.num_qubits:
        raise QnetError(f"initial_state must have 2**{circuit.num_qubits} amplitudes (got {init.shape[1]})")
    sizes = {len(a) for a in (x, init) if a is not None and len(a) > 1}
    sizes |= {theta.shape[0]} if theta.ndim == 2 else set()
    if len(sizes) > 1:
        raise QnetError(f"batch sizes of params, data and initial_state disagree ({sorted(sizes)})")
    nb = sizes.pop() if sizes else 1
    if init is not None and len(init) != nb:
        init = np.repeat(init, nb, axis=0)
    if x is not None and len(x) != nb:
        x = np.repeat(x, nb, axis=0)
    plan = compile_noisy(circuit, obs)
    angles = _Angles(circuit, theta, x)
    v, start = _initial(plan, angles, init, nb)
    if v.shape[1] != nb:
        v = np.repeat(v, nb, axis=1)
    return _Run(plan, angles, theta, nb, len(obs)), np.ascontiguousarray(v), start


def noisy_expectation(
    circuit: Circuit,
    observables: Sequence[Observable],
    params: np.ndarray | None = None,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
    *,
    readout: float = 0.0,
) -> np.ndarray:
    """Exact ``Tr(P_k Φ(ρ_b))`` of a noisy circuit, shape ``(B, K)``, readout error included.

    ``params`` may be shared ``(P,)`` (the observables are carried back once, to the end of the encoding) or
    one row per input ``(B, P)`` (the inputs are carried forward to the end).
    """
    run, v, start = _prepare(circuit, observables, params, data, initial_state, shared=False)
    plan = run.plan
    if run.theta.ndim == 1:
        o, _ = _backward(plan, run.angles, readout)
        end = plan.boundary
    else:
        o, end = _observable_vectors(plan, readout), len(plan.steps)
    v = _forward(plan, run.angles, v, start, end)
    return (o.T @ v).T


def _occurrences(circuit: Circuit) -> dict[int, int]:
    """Circuit op index -> occurrence number, for ops whose angle is trainable (parameter-shift order)."""
    out = {}
    for i, op in enumerate(circuit.ops):
        if op.params and isinstance(op.params[0], Trainable):
            out[i] = len(out)
    return out


def noisy_shift_values(
    circuit: Circuit,
    observables: Sequence[Observable],
    params: np.ndarray,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
    *,
    readout: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact values ``(B, K)``, Jacobian ``(B, K, P)`` and the parameter-shifted values of every occurrence.

    Returns ``(values, jac, shifted)`` with ``shifted[s, o, b, k] = E_bk(φ_o + (−1)^s π/2)`` (``s = 0`` plus,
    ``1`` minus) for the trainable occurrences ``o`` in circuit order (as
    :func:`~qnet_dqnn.quantum.gradients.expand_occurrences` numbers them): one adjoint sweep (module docstring).
    """
    run, v, start = _prepare(circuit, observables, params, data, initial_state, shared=True)
    plan, angles, nb, nk = run.plan, run.angles, run.nb, run.nk
    o, saved = _backward(plan, angles, readout)
    v = _forward(plan, angles, v, start, plan.boundary)
    values = (o.T @ v).T
    occ = _occurrences(circuit)
    jac = np.zeros((nb, nk, run.theta.size))
    shifted = np.broadcast_to(values, (2, len(occ), nb, nk)).copy()
    ops = circuit.ops

    def visit(step: Step, g: np.ndarray, anti: np.ndarray) -> None:
        ref = ops[step.op_index].params[0]
        jac[:, :, ref.index] += ref.scale * g.T
        mean = values - anti.T
        shifted[0, occ[step.op_index]] = mean + g.T
        shifted[1, occ[step.op_index]] = mean - g.T

    _forward(plan, angles, v, plan.boundary, len(plan.steps), saved, False, visit)
    return values, jac, shifted


def noisy_jacobian(
    circuit: Circuit,
    observables: Sequence[Observable],
    params: np.ndarray,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
    *,
    readout: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact values ``(B, K)`` and Jacobian ``(B, K, P)`` of a noisy circuit (shared params ``(P,)``)."""
    values, jac, _ = noisy_shift_values(circuit, observables, params, data, initial_state, readout=readout)
    return values, jac


def noisy_vjp(
    circuit: Circuit,
    observables: Sequence[Observable],
    params: np.ndarray,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
    *,
    cotangent: Callable[[np.ndarray], np.ndarray],
    readout: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact values ``E`` ``(B, K)`` and ``Σ_bk C_bk ∂E_bk/∂θ`` ``(P,)`` with ``C = cotangent(E)`` (e.g. ``∂L/∂E``).

    One backward sweep of the observables and one forward sweep of ``R_k = Σ_b C_bk ρ_b`` (module docstring).
    """
    run, v, start = _prepare(circuit, observables, params, data, initial_state, shared=True)
    plan, angles = run.plan, run.angles
    o, saved = _backward(plan, angles, readout)
    v = _forward(plan, angles, v, start, plan.boundary)
    values = (o.T @ v).T
    cot = np.asarray(cotangent(values), dtype=float).reshape(run.nb, run.nk)
    r = np.ascontiguousarray(v @ cot)  # (4^c, K): R_k = Σ_b C_bk ρ_b
    grad = np.zeros(run.theta.size)
    ops = circuit.ops

    def visit(step: Step, g: np.ndarray, anti: np.ndarray) -> None:
        ref = ops[step.op_index].params[0]
        grad[ref.index] += ref.scale * float(g.sum())

    _forward(plan, angles, r, plan.boundary, len(plan.steps), saved, True, visit)
    return values, grad


__all__ = [
    "MAX_CONE_QUBITS",
    "Plan",
    "compile_noisy",
    "cone_qubits",
    "noisy_expectation",
    "noisy_jacobian",
    "noisy_shift_values",
    "noisy_vjp",
]
