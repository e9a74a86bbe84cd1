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

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Trainable
from qnet_dqnn.quantum.noisy_adjoint.plan import MAX_CONE_QUBITS, Plan, Step, _Angles, compile_noisy, cone_qubits
from qnet_dqnn.quantum.noisy_adjoint.sweeps import (
    Inputs,
    _backward,
    _forward,
    _initial,
    _observable_vectors,
    contract,
    release,
)
from qnet_dqnn.quantum.observables import Observable, as_pauli


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
    inputs, start = _initial(plan, angles, init, nb)
    return _Run(plan, angles, theta, nb, len(obs)), inputs, start


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
    run, inputs, start = _prepare(circuit, observables, params, data, initial_state, shared=False)
    plan = run.plan
    if run.theta.ndim == 1:
        o, _, _ = _backward(plan, run.angles, readout, keep=False)
        end = plan.boundary
    else:
        o, end = _observable_vectors(plan, readout), len(plan.steps)
    if start == end:
        return inputs.values(o)
    v = _forward(plan, run.angles, inputs.vector(), start, end)
    return contract(o, v)


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
    run, inputs, start = _prepare(circuit, observables, params, data, initial_state, shared=True)
    plan, angles, nb, nk = run.plan, run.angles, run.nb, run.nk
    o, saved, store = _backward(plan, angles, readout)
    v = _forward(plan, angles, inputs.vector(), start, plan.boundary)
    values = contract(o, v)
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
    release(store)
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
    run, inputs, start = _prepare(circuit, observables, params, data, initial_state, shared=True)
    plan, angles = run.plan, run.angles
    o, saved, store = _backward(plan, angles, readout)
    if start < plan.boundary:
        inputs = Inputs(vec=_forward(plan, angles, inputs.vector(), start, plan.boundary))
    values = inputs.values(o)
    cot = np.asarray(cotangent(values), dtype=float).reshape(run.nb, run.nk)
    r = inputs.weighted(cot)  # (4^c, K): R_k = Σ_b C_bk ρ_b
    grad = np.zeros(run.theta.size)
    ops = circuit.ops

    def visit(step: Step, g: np.ndarray, anti: np.ndarray) -> None:
        ref = ops[step.op_index].params[0]
        grad[ref.index] += ref.scale * float(g.sum())

    _forward(plan, angles, r, plan.boundary, len(plan.steps), saved, True, visit)
    release(store)
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
