"""Values and gradients through the noisy split circuit: the exact Pauli-pattern sum over the light cone of the
readout (:func:`qnet_dqnn.quantum.light_cone.light_cone`, commutation-aware), density matrices or trajectories
beyond; and the output state's fidelity."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from qnet_dqnn.qml import QNNModel
from qnet_dqnn.quantum.circuit import Circuit, Operation
from qnet_dqnn.quantum.density_matrix import density_matrix
from qnet_dqnn.quantum.gradients import adjoint_jacobian, combine_shifts, parameter_shift_jacobian
from qnet_dqnn.quantum.light_cone import prune
from qnet_dqnn.quantum.noise import pauli_probabilities
from qnet_dqnn.quantum.noisy_adjoint import noisy_expectation, noisy_shift_values, noisy_vjp
from qnet_dqnn.quantum.shots import ShotTally, shot_evaluator
from qnet_dqnn.quantum.statevector import expectation, statevector
from qnet_dqnn.quantum.trajectories import trajectory_expectation


def output_fidelity(
    ideal: Circuit,
    noisy: Circuit,
    params: np.ndarray,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
    *,
    method: Literal["density_matrix", "enumerate"] = "density_matrix",
    max_terms: int = 256,
) -> np.ndarray:
    """``⟨ψ_b|ρ_b|ψ_b⟩`` per input: the noisy circuit's output against the ideal circuit's pure state.

    ``density_matrix`` simulates ``ρ_b`` (``4^n`` numbers per input). ``enumerate`` needs statevectors only:
    for a circuit whose channels are Pauli channels, ``ρ = Σ_e w_e |ψ_e⟩⟨ψ_e|`` over the error patterns
    (:func:`pauli_expansion`), so ``⟨ψ|ρ|ψ⟩ = Σ_e w_e |⟨ψ|ψ_e⟩|²`` exactly; with more than ``max_terms``
    patterns (or a non-Pauli channel) the value is NaN.
    """
    psi = statevector(ideal, params, data, initial_state)
    if method == "density_matrix":
        rho = density_matrix(noisy, params, data, initial_state)
        return np.einsum("bi,bij,bj->b", psi.conj(), rho, psi).real
    terms = pauli_expansion(noisy, max_terms)
    if terms is None:
        return np.full(len(psi), math.nan)
    out = np.zeros(len(psi))
    for w, circuit in terms:
        phi = statevector(circuit, params, data, initial_state)
        out += w * np.abs(np.einsum("bi,bi->b", psi.conj(), phi)) ** 2
    return out


_PAULI_CHANNELS = ("pauli1", "pauli2", "depolarize1", "depolarize2")


def pauli_expansion(circuit: Circuit, max_terms: int = 256) -> list[tuple[float, Circuit]] | None:
    """The circuit's Pauli channels unravelled exactly: ``[(weight, circuit with those Paulis as gates)]``.

    A Pauli channel is a mixture of Pauli gates, so ``Tr(P ρ) = Σ_e w_e ⟨ψ_e|P|ψ_e⟩`` over the error patterns
    ``e`` (one Pauli per channel, ``w_e`` the product of their probabilities) — exact, and each term a
    noiseless circuit that the statevector and the adjoint method handle. None when a channel is not a Pauli
    channel (T1/T2) or there are more than ``max_terms`` patterns with non-zero weight.
    """
    slots: list[list[tuple[float, tuple[Operation, ...]]]] = []
    count = 1
    for op in circuit.ops:
        if not op.is_channel:
            slots.append([(1.0, (op,))])
            continue
        if op.name not in _PAULI_CHANNELS:
            return None
        labels, probs = pauli_probabilities(op)
        choices = []
        for label, p in zip(labels, probs, strict=True):
            if p <= 0.0:
                continue
            gates = tuple(
                Operation(s.lower(), (q,), (), op.node) for q, s in zip(op.qubits, label, strict=True) if s != "I"
            )
            choices.append((float(p), gates))
        count *= len(choices)
        if count > max_terms:
            return None
        slots.append(choices)
    out = []
    for combo in itertools.product(*slots):
        weight = math.prod(w for w, _ in combo)
        out.append((weight, Circuit(circuit.num_qubits, [g for _, gates in combo for g in gates])))
    return out


@dataclass
class SplitEvaluator:
    """Values and gradients of the model through the split (noisy) circuit.

    Duck-types the :class:`~qnet_dqnn.distributed.qpu.QPU` methods :meth:`accuracy` and :meth:`loss` that
    :meth:`~qnet_dqnn.distributed.context.TrainingContext.record_update` uses.

    Attributes:
        model: the QNN (encoding, readout, loss).
        circuit: the split circuit, with its channels.
        method: ``enumerate`` (exact sum over the channels' Pauli errors while there are at most
            ``max_terms`` error patterns, density matrices beyond), ``density_matrix`` or ``trajectories``.
        readout: readout error probability.
        shots: finite shots per circuit (None: exact values).
        tally: counts the circuits and shots drawn.
        trajectories: trajectories per evaluation.
        rng: random stream for shots and trajectories.
        max_terms: most Pauli-error patterns ``enumerate`` sums over.
        fallback: ``density_matrix`` or ``trajectories``, for ``enumerate`` beyond ``max_terms``.

    Every evaluation runs on :meth:`cone`, the circuit without the channels and the untrained gates that commute
    with the readout's Heisenberg-evolved observables: exact for the values and the gradients, and it leaves
    fewer Pauli-error patterns to sum over.
    """

    model: QNNModel
    circuit: Circuit
    method: str = "density_matrix"
    readout: float = 0.0
    shots: int | None = None
    tally: ShotTally = field(default_factory=ShotTally)
    trajectories: int = 100
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    max_terms: int = 256
    fallback: str = "density_matrix"
    _cone: tuple[Circuit, Circuit] | None = field(default=None, init=False, repr=False, compare=False)

    def cone(self) -> Circuit:
        """:attr:`circuit` pruned to the readout's commutation-aware light cone
        (:func:`~qnet_dqnn.quantum.light_cone.light_cone`) plus its trainable gates (recomputed when
        :attr:`circuit` is replaced, e.g. by the next step's noise)."""
        if self._cone is None or self._cone[0] is not self.circuit:
            self._cone = (self.circuit, prune(self.circuit, self.model.observables, keep_trainable=True))
        return self._cone[1]

    def _raw(self, circ: Circuit, params: np.ndarray, data: np.ndarray | None, init: np.ndarray | None) -> np.ndarray:
        obs = self.model.observables
        factor = np.array([(1.0 - 2.0 * self.readout) ** len(o.qubits) for o in obs])
        if not circ.has_channels:
            return expectation(circ, obs, params, data, init) * factor
        if self.method == "enumerate":
            terms = pauli_expansion(circ, self.max_terms)
            if terms is not None:
                return sum(w * expectation(c, obs, params, data, init) for w, c in terms) * factor
        if self.method == "trajectories" or (self.method == "enumerate" and self.fallback == "trajectories"):
            return trajectory_expectation(
                circ, obs, params, data, init, trajectories=self.trajectories, rng=self.rng, readout=self.readout
            )[0]
        return noisy_expectation(circ, obs, params, data, init, readout=self.readout)

    def _evaluator(self) -> Callable[..., np.ndarray]:
        if self.shots is None:
            return self._raw
        return shot_evaluator(self._raw, self.model.observables, self.shots, self.rng, tally=self.tally)

    def expectations(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``E_bk`` of a batch through the split circuit (with shots if set)."""
        data, init = self.model.encoding.transform(x), self.model.encoding.initial_state(x)
        return self._evaluator()(self.cone(), params, data, init)

    def loss_and_grad(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Batch loss and gradient: adjoint when the split circuit is ideal and exact, else parameter shift."""
        data, init = self.model.encoding.transform(x), self.model.encoding.initial_state(x)
        obs = self.model.observables
        circuit = self.cone()
        terms = None
        if self.shots is None and self.method == "enumerate":
            terms = pauli_expansion(circuit, self.max_terms)
        if terms is not None:
            factor = np.array([(1.0 - 2.0 * self.readout) ** len(o.qubits) for o in obs])
            values, jac = 0.0, 0.0
            for w, c in terms:
                v, j = adjoint_jacobian(c, obs, params, data, init)
                values, jac = values + w * v, jac + w * j
            values, jac = values * factor, jac * factor[None, :, None]
        elif self.method == "trajectories" or (self.method == "enumerate" and self.fallback == "trajectories"):
            ev = self._evaluator()
            values = ev(circuit, params, data, init)
            jac = parameter_shift_jacobian(circuit, obs, params, data, init, evaluator=ev)
        elif self.shots is None:  # exact: one vector-Jacobian product of the noisy adjoint
            values, grad = noisy_vjp(
                circuit,
                obs,
                params,
                data,
                init,
                readout=self.readout,
                cotangent=lambda e: self.model.loss_from_expectations(e, y)[1],
            )
            return float(self.model.loss_from_expectations(values, y)[0]), grad
        else:  # every shifted circuit estimated from its own shots, exact values from one adjoint sweep
            exact, _, shifted = noisy_shift_values(circuit, obs, params, data, init, readout=self.readout)
            rows = np.concatenate([exact, shifted.reshape(-1, exact.shape[1])])
            sample = shot_evaluator(lambda *_: rows, obs, self.shots, self.rng, tally=self.tally)
            est = sample(circuit, None, None, None)
            values = est[: len(exact)]
            jac = combine_shifts(circuit, est[len(exact) :].reshape(shifted.shape), len(params))
        loss, de = self.model.loss_from_expectations(values, y)
        return float(loss), np.einsum("bk,bkp->p", de, jac)

    def accuracy(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """Accuracy through the split circuit (exact values; the experimenter's view, not charged)."""
        data, init = self.model.encoding.transform(x), self.model.encoding.initial_state(x)
        return float(self.model.score(self._raw(self.cone(), params, data, init), y))

    def loss(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """Loss through the split circuit (exact values, not charged)."""
        data, init = self.model.encoding.transform(x), self.model.encoding.initial_state(x)
        return float(self.model.loss_from_expectations(self._raw(self.cone(), params, data, init), y)[0])
