"""Batched statevector simulation in NumPy.

A batch of ``B`` inputs (and/or ``B`` parameter sets) is evaluated in one pass over a ``(2**n, B)``
complex128 array; no Python loop runs per sample. See :mod:`qnet_dqnn.quantum.program` for how gates are
fused and applied. Expectation values of Pauli strings follow ``⟨ψ|P|ψ⟩`` (Nielsen & Chuang Eq. 2.110).

Shapes: ``params`` is ``(P,)`` (shared) or ``(B, P)``; ``data`` is ``(B, F)``; ``initial_state`` is
``(2**n,)`` or ``(B, 2**n)``. Outputs always carry the batch axis first.

Examples:
    >>> import numpy as np
    >>> from qnet_dqnn.quantum.circuit import Circuit, Data
    >>> c = Circuit(1).ry(0, Data(0))
    >>> np.round(expectation(c, ["Z0"], data=[[0.0], [np.pi]]), 6).tolist()
    [[1.0], [-1.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.quantum.observables import Observable, PauliString, as_pauli
from qnet_dqnn.quantum.program import State, compile_circuit, log_to_phys, make_binding, run_program


def _run(circuit: Circuit, params, data, initial_state, rng=None) -> tuple[State, int]:
    bind = make_binding(circuit, params, data, initial_state, rng)
    return run_program(compile_circuit(circuit), bind, initial_state), bind.batch


def statevector(
    circuit: Circuit,
    params: np.ndarray | None = None,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
) -> np.ndarray:
    """Final states, shape ``(B, 2**n)`` in logical order (qubit 0 most significant)."""
    state, _ = _run(circuit, params, data, initial_state)
    return state.logical()


def probabilities(
    circuit: Circuit,
    params: np.ndarray | None = None,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
) -> np.ndarray:
    """Born-rule probabilities ``|ψ[x]|²``, shape ``(B, 2**n)`` in logical order."""
    psi = statevector(circuit, params, data, initial_state)
    return psi.real**2 + psi.imag**2


def state_expectations(state: State, observables: Sequence[PauliString]) -> np.ndarray:
    """``⟨ψ_c|P_k|ψ_c⟩`` for every column ``c`` of a :class:`State`, shape ``(C, K)``."""
    arr = state.arr
    out = np.empty((arr.shape[1], len(observables)))
    diag = [k for k, o in enumerate(observables) if o.is_diagonal]
    if diag:
        probs = arr.real**2 + arr.imag**2
        signs = np.stack([diagonal_signs(observables[k], state.layout) for k in diag])
        out[:, diag] = (signs @ probs).T
    for k, o in enumerate(observables):
        if not o.is_diagonal:
            pa = apply_pauli(state, o)
            out[:, k] = np.einsum("xc,xc->c", arr.conj(), pa).real
    return out


def diagonal_signs(obs: PauliString, layout: tuple[int, ...]) -> np.ndarray:
    """``coeff · (-1)^{popcount}`` of a Z string at every *physical* index of ``layout``."""
    n = len(layout)
    y = np.arange(2**n, dtype=np.int64)
    par = np.zeros_like(y)
    for q in obs.qubits:
        par ^= (y >> (n - 1 - layout.index(q))) & 1
    return obs.coeff * (1 - 2 * par).astype(float)


def apply_pauli(state: State, obs: PauliString) -> np.ndarray:
    """``P ψ`` for every column, as a new array in the state's physical layout."""
    n = state.n
    perm, phase = obs.monomial(n)
    l2p = log_to_phys(state.layout)
    from qnet_dqnn.quantum.program import phys_to_log

    p2l = phys_to_log(state.layout)
    idx = l2p[perm[p2l]]
    return state.arr[idx] * phase[p2l][:, None]


def expectation(
    circuit: Circuit,
    observables: Sequence[Observable],
    params: np.ndarray | None = None,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
) -> np.ndarray:
    """Expectation values ``⟨P_k⟩``, shape ``(B, K)``.

    Args:
        circuit: a circuit without noise channels.
        observables: Pauli strings (``PauliString``, ``"Z0 Z1"`` or a qubit index for ``Z_q``).
        params: trainable parameters ``(P,)`` or ``(B, P)``.
        data: input features ``(B, F)``.
        initial_state: optional starting state(s) instead of ``|0…0⟩``.
    """
    obs = [as_pauli(o) for o in observables]
    for o in obs:
        o.check(circuit.num_qubits)
    bind = make_binding(circuit, params, data, initial_state)
    return run_program(compile_circuit(circuit), bind, initial_state, reduce=lambda st: state_expectations(st, obs))
