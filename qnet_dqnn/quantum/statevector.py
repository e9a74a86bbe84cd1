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
from qnet_dqnn.quantum.observables import Observable, as_pauli
from qnet_dqnn.quantum.program import compile_circuit, make_binding, run_program
from qnet_dqnn.quantum.state import State, state_expectations


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
