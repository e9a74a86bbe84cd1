"""Stochastic Pauli trajectories on the statevector simulator.

Each channel in the circuit is replaced, independently in every trajectory, by one Pauli drawn from its
Pauli (or Pauli-twirled) probabilities (:func:`qnet_dqnn.quantum.noise.pauli_probabilities`); the average
over trajectories of ``⟨ψ_t|P|ψ_t⟩`` is an unbiased estimate of ``Tr(P ρ)`` for Pauli channels, with a
standard error ``σ/√T`` (the Monte-Carlo wave-function picture: Dalibard, Castin & Mølmer, PRL 68, 580
(1992); for Pauli channels every Kraus operator is unitary, so no renormalisation is needed). Non-Pauli
channels (the idle T1/T2 channel) enter through their Pauli twirl (Ghosh, Fowler & Geller, PRA 86,
062318 (2012)), so trajectories converge to the density-matrix result of the *twirled* channel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.quantum.observables import Observable, as_pauli
from qnet_dqnn.quantum.program import compile_circuit, make_binding, run_program
from qnet_dqnn.quantum.state import state_expectations


def trajectory_expectation(
    circuit: Circuit,
    observables: Sequence[Observable],
    params: np.ndarray | None = None,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
    *,
    trajectories: int = 100,
    rng: np.random.Generator | None = None,
    readout: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Trajectory estimate of ``⟨P_k⟩`` for a noisy circuit.

    Returns:
        ``(mean, stderr)``, each of shape ``(B, K)``; readout error scales both by ``(1-2p)^w``.
    """
    if trajectories < 1:
        raise QnetError(f"trajectories must be >= 1 (got {trajectories!r})")
    rng = rng if rng is not None else np.random.default_rng()
    obs = [as_pauli(o) for o in observables]
    bind = make_binding(circuit, params, data, initial_state)
    nb = bind.batch
    theta = bind.theta if bind.theta.ndim == 1 else np.tile(bind.theta, (trajectories, 1))
    x = None if bind.x is None else np.tile(bind.x, (trajectories, 1))
    init = None
    if initial_state is not None:
        init = np.atleast_2d(np.asarray(initial_state, dtype=complex))
        init = np.tile(np.broadcast_to(init, (nb, init.shape[1])), (trajectories, 1))
    tb = make_binding(circuit, theta, x, init, rng)
    if tb.batch != nb * trajectories:  # nothing batched: replicate through the column count
        tb.batch = nb * trajectories
    vals = run_program(compile_circuit(circuit), tb, init, reduce=lambda st: state_expectations(st, obs))
    vals = vals.reshape(trajectories, nb, len(obs))
    factor = np.array([(1 - 2 * readout) ** len(o.qubits) for o in obs])
    mean = vals.mean(axis=0) * factor
    err = (vals.std(axis=0, ddof=1) / np.sqrt(trajectories) if trajectories > 1 else np.zeros_like(mean)) * factor
    return mean, err
