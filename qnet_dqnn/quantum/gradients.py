"""Gradients of expectation values: the adjoint method and the parameter-shift rule.

**Adjoint** (Jones & Gacon, arXiv:2009.02823 (2020), Algorithm 1): with ``|ψ_N⟩ = U_N⋯U_1|ψ_0⟩`` and
``|λ⟩ = P|ψ_N⟩``, walking back through the circuit, a gate ``U_k = exp(-iθG/2)`` contributes

    ∂⟨P⟩/∂θ = 2 Re ⟨λ_k| ∂U_k |ψ_{k-1}⟩ = Im ⟨λ_k| G |ψ_k⟩,

where ``λ_k = U_{k+1}†⋯U_N† P ψ_N``. Gates fused in one stage are handled at the stage boundary: inside a
tensor-product layer the generator of an earlier gate on the same qubit is conjugated by the later ones,
``G' = A G A†``, and ``⟨λ|G'_q|ψ⟩ = Σ_ij G'_ij C_q[j, i]`` with the one-qubit transition matrix
``C_q[j, i] = Σ_rest λ*_{j,rest} ψ_{i,rest}``; inside a monomial stage every generator is diagonal and
``∂⟨P⟩/∂θ_k = Σ_x 2·pattern_k[x] Im(λ*[x] ψ[x])``. One forward and one backward sweep give the whole
Jacobian for a batch of inputs and several observables.

**Parameter shift** (Mitarai et al., PRA 98, 032309 (2018), Eq. 12; Schuld et al., PRA 99, 032331 (2019),
Eq. 5): for a gate angle ``φ`` with a generator of eigenvalues ±1,

    ∂f/∂φ = [f(φ + π/2) − f(φ − π/2)] / 2,

and a parameter ``θ`` used by several gates (angle ``φ = s·θ``) sums ``s ∂f/∂φ`` over its occurrences.
This is the *accounted* method: a gradient costs ``2 × occurrences`` circuits on a QPU.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Operation, Trainable
from qnet_dqnn.quantum.gates import gate_spec, generator
from qnet_dqnn.quantum.kernels import scale_rows, transition_rotations
from qnet_dqnn.quantum.observables import Observable, as_pauli
from qnet_dqnn.quantum.program import (
    ChannelStage,
    DenseStage,
    KronStage,
    MonoStage,
    compile_circuit,
    initial,
    make_binding,
    run_stage,
)
from qnet_dqnn.quantum.state import (
    State,
    apply_dense,
    apply_pauli,
    kron_arguments,
    natural,
    state_expectations,
)
from qnet_dqnn.quantum.statevector import expectation

Evaluator = Callable[[Circuit, np.ndarray, "np.ndarray | None", "np.ndarray | None"], np.ndarray]


def adjoint_jacobian(
    circuit: Circuit,
    observables: Sequence[Observable],
    params: np.ndarray,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Expectation values and their exact Jacobian by the adjoint method.

    Args:
        circuit: a noiseless circuit.
        observables: Pauli strings ``P_k``.
        params: trainable parameters ``(P,)`` (shared by the batch).
        data: input features ``(B, F)`` or ``None``.
        initial_state: optional starting state(s).

    Returns:
        ``(values, jac)`` with ``values`` of shape ``(B, K)`` and ``jac[b, k, t] = ∂⟨P_k⟩_b / ∂θ_t`` of shape
        ``(B, K, P)``.
    """
    obs = [as_pauli(o) for o in observables]
    for o in obs:
        o.check(circuit.num_qubits)
    theta = np.asarray(params, dtype=float)
    if theta.ndim != 1:
        raise QnetError(f"adjoint_jacobian takes shared params of shape (P,) (got {theta.shape})")
    if circuit.has_channels:
        raise QnetError(
            "the adjoint method needs a noiseless circuit; use parameter_shift_jacobian with a noisy evaluator instead"
        )
    program = compile_circuit(circuit)
    bind = make_binding(circuit, theta, data, initial_state)
    n, nb, nk = circuit.num_qubits, bind.batch, len(obs)
    # forward sweep, remembering the layout each stage started from
    state = initial(n, bind, initial_state)
    started_empty = state is None
    layouts: list[tuple[int, ...]] = []
    for stage in program.stages:
        layouts.append(natural(n) if state is None else state.layout)
        state = run_stage(stage, state, circuit, bind)
    if state is None:
        state = State(np.zeros((2**n, nb), dtype=complex), natural(n))
        state.arr[0] = 1.0
    values = state_expectations(state, obs)
    # stacked columns: [ψ (B) | P_1 ψ (B) | … | P_K ψ (B)]
    stacked = np.concatenate([state.arr] + [apply_pauli(state, o) for o in obs], axis=1)
    state = State(np.ascontiguousarray(stacked), state.layout)
    bind.reps = 1 + nk  # the memo keeps shared matrices and layer arguments only: valid for any column count
    jac = np.zeros((nb, nk, theta.size))
    for i in range(len(program.stages) - 1, -1, -1):
        stage = program.stages[i]
        last = i == 0 and started_empty
        if isinstance(stage, KronStage):
            _kron_adjoint(stage, state, circuit, bind, jac, needed=not last)
            continue
        _stage_gradient(stage, state, circuit, bind, jac)
        if last:
            break
        _unapply(stage, state, circuit, bind, layouts[i])
    return values, jac


def _accumulate(jac: np.ndarray, op: Operation, g: np.ndarray) -> None:
    """Add ``scale · g[k, b]`` to the column of the op's trainable parameter."""
    p = op.params[0]
    if isinstance(p, Trainable):
        jac[:, :, p.index] += p.scale * g.T


def _kron_adjoint(stage: KronStage, state: State, circuit: Circuit, bind, jac: np.ndarray, needed: bool) -> None:
    """One pass per qubit of a one-qubit layer: the transition matrices ``C_q`` read, ``U_q†`` applied
    (:func:`~qnet_dqnn.quantum.kernels.transition_unapply`); skipped when ``needed`` is false and the layer has
    no trainable gate (the first layer on ``|0…0⟩``: nothing before it to un-apply)."""
    ops = circuit.ops
    trained = [q for q, idx in stage.ops.items() if any(isinstance(p, Trainable) for i in idx for p in ops[i].params)]
    if not trained and not needed:
        return
    us = stage.unitaries(circuit, bind)
    args = bind.memo.get(("layer", id(stage)), {}).get(state.layout)  # the forward sweep's, for shared U_q
    args = kron_arguments(state, us) if args is None else args
    f = args.factors
    strides = np.array([1 << (state.n - 1 - state.layout.index(q)) for q in f.qubits], dtype=np.int64)
    nb, nk = bind.batch, bind.reps - 1
    # U_q = diag(l)·R(c, s)·diag(r), so U_q† = diag(r̄)·R(c, −s)·diag(l̄); the phases of all qubits in one pass each
    if args.left is not None:
        scale_rows(state.arr, args.left, conjugate=True)
    out = np.zeros((nk, len(f.qubits), nb, 8))
    transition_rotations(state.arr, nb, strides, f.cos, np.ascontiguousarray(-f.sin), out)
    if args.right is not None:
        scale_rows(state.arr, args.right, conjugate=True)
    # C_q was read after diag(l̄) acted on qubit q: C_read[j, i] = l_j l̄_i C[j, i]; l of input b is column b
    cmats = (out[..., 0::2] + 1j * out[..., 1::2]).reshape(nk, len(f.qubits), nb, 2, 2)
    lf = f.left[:, :, :nb]  # (Q, 2, M ≤ B)
    cmats *= np.transpose(np.conj(lf)[:, :, None, :] * lf[:, None, :, :], (0, 3, 1, 2))[None]
    qs = f.qubits
    for q in trained:
        cmat = cmats[:, qs.index(q)]
        idx = stage.ops[q]
        later = np.eye(2, dtype=complex)
        for i in reversed(idx):
            op = ops[i]
            if op.params and isinstance(op.params[0], Trainable):
                g0 = gate_spec(op.name).generator
                gp = later @ g0 @ np.conj(np.swapaxes(later, -1, -2))
                if gp.ndim == 2:
                    g = np.einsum("ji,kbji->kb", gp, cmat).imag
                else:
                    g = np.einsum("bji,kbji->kb", gp, cmat).imag
                _accumulate(jac, op, g)
            later = later @ bind.matrix(op, tiled=False)


def _stage_gradient(stage, state: State, circuit: Circuit, bind, jac: np.ndarray) -> None:
    n, nb, reps = state.n, bind.batch, bind.reps
    nk = reps - 1
    ops = circuit.ops
    if isinstance(stage, MonoStage):
        if not stage.param_ops or not any(isinstance(ops[i].params[0], Trainable) for i in stage.param_ops):
            return
        # patterns expressed at the current (output) layout
        _, _, pat = stage.physical(_any_input_layout(stage, state), state.layout)
        v = state.arr.reshape(2**n, reps, nb)
        r = (v[:, 1:, :].conj() * v[:, :1, :]).imag.reshape(2**n, nk * nb)
        g = (pat.astype(float) @ r).reshape(len(stage.param_ops), nk, nb)
        for j, i in enumerate(stage.param_ops):
            _accumulate(jac, ops[i], g[j])
    elif isinstance(stage, DenseStage):
        op = ops[stage.op_index]
        if not (op.params and isinstance(op.params[0], Trainable)):
            return
        psi = State(np.ascontiguousarray(state.arr[:, :nb]), state.layout)
        apply_dense(psi, op.qubits, generator(op.name, *op.params[1:]))
        lam = state.arr[:, nb:].reshape(2**n, nk, nb)
        g = np.einsum("xkb,xb->kb", lam.conj(), psi.arr).imag
        _accumulate(jac, op, g)
    elif isinstance(stage, ChannelStage):
        raise QnetError("the adjoint method needs a noiseless circuit")


def _any_input_layout(stage: MonoStage, state: State) -> tuple[int, ...]:
    """Patterns depend only on the output layout; reuse a cached key when there is one."""
    for src, dst in stage._cache:
        if dst == state.layout:
            return src
    return natural(state.n)


def _unapply(stage, state: State, circuit: Circuit, bind, layout_in: tuple[int, ...]) -> None:
    if isinstance(stage, MonoStage):
        stage.unapply(state, circuit, bind, layout_in)
    elif isinstance(stage, DenseStage):
        op = circuit.ops[stage.op_index]
        m = bind.matrix(op)
        apply_dense(state, op.qubits, np.conj(np.swapaxes(m, -1, -2)))


# ---------------------------------------------------------------------- parameter shift
def expand_occurrences(circuit: Circuit) -> tuple[Circuit, np.ndarray, np.ndarray]:
    """A copy where every trainable *occurrence* has its own index.

    Returns ``(circuit', origin, scales)``: occurrence ``o`` reads ``θ[origin[o]]`` with scale ``scales[o]``.
    """
    ops, origin, scales = [], [], []
    for op in circuit.ops:
        if op.params and isinstance(op.params[0], Trainable):
            ref = op.params[0]
            if not gate_spec(op.name).shift_rule:
                raise QnetError(f"gate {op.name!r} has no two-term parameter-shift rule")
            origin.append(ref.index)
            scales.append(ref.scale)
            op = Operation(op.name, op.qubits, (Trainable(len(origin) - 1, ref.scale),) + op.params[1:], op.node)
        ops.append(op)
    return Circuit(circuit.num_qubits, ops), np.asarray(origin, dtype=int), np.asarray(scales, dtype=float)


def parameter_shift_circuits(circuit: Circuit) -> int:
    """Circuits one parameter-shift gradient runs per input: ``2 ×`` the trainable gate occurrences.

    Equals ``2 × n_params`` when each parameter drives one gate (the usual ansätze).
    """
    return 2 * len(circuit.trainable_occurrences())


def exact_evaluator(observables: Sequence[Observable]) -> Evaluator:
    """An evaluator ``(circuit, params (R, P), data (R, F) | None, init) → (R, K)`` on the statevector."""
    obs = [as_pauli(o) for o in observables]

    def run(circ: Circuit, params: np.ndarray, data: np.ndarray | None, init: np.ndarray | None) -> np.ndarray:
        return expectation(circ, obs, params, data, init)

    return run


def parameter_shift_jacobian(
    circuit: Circuit,
    observables: Sequence[Observable],
    params: np.ndarray,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
    evaluator: Evaluator | None = None,
) -> np.ndarray:
    """Jacobian ``(B, K, P)`` by the two-term parameter-shift rule, all shifted circuits in one batch.

    ``evaluator`` computes expectation values of a batch of (params, data) rows; the default is the exact
    statevector. Pass a noisy or finite-shot evaluator to get the gradient a real QPU would estimate.
    """
    obs = [as_pauli(o) for o in observables]
    ev = evaluator or exact_evaluator(obs)
    theta = np.asarray(params, dtype=float)
    circ, origin, scales = expand_occurrences(circuit)
    n_occ = origin.size
    x = None if data is None else np.atleast_2d(np.asarray(data, dtype=float))
    nb = 1 if x is None else x.shape[0]
    init = None if initial_state is None else np.atleast_2d(np.asarray(initial_state, dtype=complex))
    if init is not None:
        nb = max(nb, init.shape[0])
    nk = len(obs)
    jac = np.zeros((nb, nk, theta.size))
    if n_occ == 0:
        return jac
    base = theta[origin]
    shifts = np.pi / 2 / scales
    rows = np.repeat(base[None, :], 2 * n_occ, axis=0)
    rows[np.arange(n_occ), np.arange(n_occ)] += shifts
    rows[n_occ + np.arange(n_occ), np.arange(n_occ)] -= shifts
    p_rows = np.repeat(rows, nb, axis=0)  # row order: (shift r, sample b)
    x_rows = None if x is None else np.tile(x, (2 * n_occ, 1))
    i_rows = None if init is None else (init if init.shape[0] == 1 else np.tile(init, (2 * n_occ, 1)))
    vals = np.asarray(ev(circ, p_rows, x_rows, i_rows)).reshape(2, n_occ, nb, nk)
    return combine_shifts(circuit, vals, theta.size)


def combine_shifts(circuit: Circuit, shifted: np.ndarray, num_params: int) -> np.ndarray:
    """The parameter-shift Jacobian ``(B, K, P)`` from the shifted values ``shifted[s, o, b, k]``.

    ``s = 0`` is the occurrence's gate angle shifted by ``+π/2``, ``s = 1`` by ``−π/2``, occurrences ``o`` in
    :func:`expand_occurrences` order; ``∂E/∂θ_t = Σ_{o → t} scale_o (E_o⁺ − E_o⁻) / 2``.
    """
    _, origin, scales = expand_occurrences(circuit)
    shifted = np.asarray(shifted, dtype=float)
    jac = np.zeros(shifted.shape[2:] + (num_params,))
    docc = (shifted[0] - shifted[1]) / 2 * scales[:, None, None]  # (occ, B, K)
    np.add.at(jac, (slice(None), slice(None), origin), np.transpose(docc, (1, 2, 0)))
    return jac


def finite_difference_jacobian(
    circuit: Circuit,
    observables: Sequence[Observable],
    params: np.ndarray,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
    eps: float = 1e-6,
) -> np.ndarray:
    """Central finite differences ``[f(θ+ε) − f(θ−ε)] / 2ε`` (a check, not a method to train with)."""
    theta = np.asarray(params, dtype=float)
    obs = [as_pauli(o) for o in observables]
    cols = []
    for t in range(theta.size):
        e = np.zeros_like(theta)
        e[t] = eps
        fp = expectation(circuit, obs, theta + e, data, initial_state)
        fm = expectation(circuit, obs, theta - e, data, initial_state)
        cols.append((fp - fm) / (2 * eps))
    return np.stack(cols, axis=-1) if cols else np.zeros((1, len(obs), 0))


__all__ = [
    "adjoint_jacobian",
    "combine_shifts",
    "parameter_shift_jacobian",
    "parameter_shift_circuits",
    "finite_difference_jacobian",
    "expand_occurrences",
    "exact_evaluator",
]
