"""Expectation-value QNN models: classifier and regressor.

The circuit is ``encoding ∘ ansatz``; outputs are ``E_k = ⟨Z_{r_k}⟩`` on readout qubits ``r_k``:

- binary classifier: ``p(y=1) = (1 − E_0)/2`` (the probability of reading 1 on the readout qubit); with
  ``parity`` the single output is ``E_0 = ⟨Z_{r_1} ⊗ … ⊗ Z_{r_K}⟩`` and ``p(y=1)`` the probability that the
  readout qubits have odd parity; with ``mean`` the outputs are ``E_k = ⟨Z_{r_k}⟩`` and
  ``p(y=1) = (1 − Ē)/2``, ``Ē = (1/K) Σ_k E_k`` (the mean probability of reading 1 over the readout qubits:
  unlike the parity, it does not shrink as a product of ``K`` factors as blocks are added);
- multi-class classifier (``C`` readout qubits): logits ``z_c = β (1 − E_c)/2``, ``p = softmax(z)``;
- regressor: ``ŷ = a · E_0 + b``.

Gradients chain ``∂L/∂θ = Σ_{b,k} ∂L/∂E_bk · ∂E_bk/∂θ``; ``∂E/∂θ`` comes from the adjoint method: on the
statevector without noise, on Pauli-transfer vectors under noise while the readout's light cone holds at most
``dm_max_qubits`` qubits (:mod:`qnet_dqnn.quantum.noisy_adjoint`, exact). With finite shots, every one of the
``2 n_occ`` parameter-shifted circuits is estimated from its own shots, their exact values from that same
sweep. Beyond ``dm_max_qubits`` noisy values come from Pauli trajectories and gradients from parameter shift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml.encodings import Encoding
from qnet_dqnn.qml.losses import binary_cross_entropy, cross_entropy, mse, softmax
from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.quantum.gradients import adjoint_jacobian, combine_shifts, parameter_shift_jacobian
from qnet_dqnn.quantum.noise import NoiseModel
from qnet_dqnn.quantum.noisy_adjoint import (
    MAX_CONE_QUBITS,
    cone_qubits,
    noisy_expectation,
    noisy_shift_values,
    noisy_vjp,
)
from qnet_dqnn.quantum.observables import PauliString
from qnet_dqnn.quantum.shots import QPUTiming, ShotTally, sample_expectation, shot_evaluator
from qnet_dqnn.quantum.statevector import expectation
from qnet_dqnn.quantum.trajectories import trajectory_expectation

TASKS = ("binary", "multiclass", "regression")


@dataclass
class QNNModel:
    """A QNN: encoding, ansatz, readout and task.

    Attributes:
        encoding: how a sample enters the register.
        ansatz: trainable circuit on the same register.
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        readout: readout qubits (one per class for multi-class).
        loss: ``"cross_entropy"`` or ``"mse"``.
        temperature: ``β`` of the multi-class logits.
        output_scale: ``a`` and ``output_offset`` ``b`` of the regressor.
        dm_max_qubits: largest light cone of the readout simulated exactly under noise (``4^c`` reals per input).
        trajectories: trajectories per evaluation beyond ``dm_max_qubits``.
        parity: binary task only: read out one observable, the product of ``Z`` over all ``readout`` qubits.
        mean: binary task only: the class probability from the mean of ``⟨Z⟩`` over the ``readout`` qubits.
    """

    encoding: Encoding
    ansatz: Circuit
    task: str = "binary"
    readout: tuple[int, ...] = (0,)
    loss: str = "cross_entropy"
    temperature: float = 10.0
    output_scale: float = 1.0
    output_offset: float = 0.0
    dm_max_qubits: int = MAX_CONE_QUBITS
    trajectories: int = 200
    parity: bool = False
    mean: bool = False
    _circuit: Circuit | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise QnetError(f"QNNModel.task must be in {TASKS!r} (got {self.task!r})")
        if self.loss not in ("cross_entropy", "mse"):
            raise QnetError(f"QNNModel.loss must be 'cross_entropy' or 'mse' (got {self.loss!r})")
        if self.ansatz.num_qubits != self.encoding.num_qubits:
            raise QnetError(f"encoding has {self.encoding.num_qubits} qubits, ansatz {self.ansatz.num_qubits}")
        self.readout = tuple(int(q) for q in self.readout)
        if self.task == "multiclass" and len(self.readout) < 2:
            raise QnetError("a multi-class model needs one readout qubit per class (>= 2)")
        if self.parity and self.task != "binary":
            raise QnetError(f"QNNModel.parity needs the binary task (got {self.task!r})")
        if self.mean and (self.task != "binary" or self.parity):
            raise QnetError(f"QNNModel.mean needs the binary task and no parity (got {self.task!r})")
        if self.task == "regression" and self.loss != "mse":
            self.loss = "mse"

    # ------------------------------------------------------------------ structure
    @property
    def circuit(self) -> Circuit:
        """``encoding.circuit() + ansatz``."""
        if self._circuit is None:
            self._circuit = self.encoding.circuit() + self.ansatz
        return self._circuit

    @property
    def num_qubits(self) -> int:
        """Register size."""
        return self.ansatz.num_qubits

    @property
    def num_params(self) -> int:
        """Trainable parameters."""
        return self.circuit.num_trainable

    @property
    def observables(self) -> list[PauliString]:
        """``Z`` on each readout qubit (one product ``Z ⊗ … ⊗ Z`` with ``parity``)."""
        if self.parity:
            return [PauliString.z(*self.readout)]
        return [PauliString.z(q) for q in self.readout]

    @property
    def num_classes(self) -> int:
        """2 for binary, one per readout qubit for multi-class, 0 for regression."""
        return {"binary": 2, "multiclass": len(self.readout), "regression": 0}[self.task]

    def init_params(self, rng: np.random.Generator, scale: float = np.pi) -> np.ndarray:
        """Initial parameters uniform in ``[-scale/4, scale/4)`` (a small start avoids barren regions)."""
        return rng.uniform(-scale / 4, scale / 4, size=self.num_params)

    # ------------------------------------------------------------------ evaluation
    def _inputs(self, x: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        return self.encoding.transform(x), self.encoding.initial_state(x)

    def expectations(
        self,
        params: np.ndarray,
        x: np.ndarray,
        *,
        noise: NoiseModel | None = None,
        timing: QPUTiming | None = None,
        shots: int | None = None,
        rng: np.random.Generator | None = None,
        tally: ShotTally | None = None,
    ) -> np.ndarray:
        """``E_bk`` for a batch, shape ``(B, K)``: exact, noisy and/or finite-shot (``shots`` per input's circuit,
        counted in ``tally``)."""
        data, init = self._inputs(x)
        obs = self.observables
        noisy = noise is not None and not noise.is_ideal
        if noisy:
            vals = self._noisy_evaluator(noise, timing, rng)(self.circuit, params, data, init)
        else:
            vals = expectation(self.circuit, obs, params, data, init)
        if shots is not None:
            if rng is None:
                raise QnetError("finite shots need a random generator")
            vals = sample_expectation(vals, shots, rng, tally=tally)
        return vals

    def _noisy_evaluator(self, noise: NoiseModel, timing: QPUTiming | None, rng: np.random.Generator | None):
        obs = self.observables

        def run(circ: Circuit, params: np.ndarray, data, init) -> np.ndarray:
            noisy = noise.apply(circ, timing)
            if cone_qubits(noisy, obs) <= self.dm_max_qubits:
                return noisy_expectation(noisy, obs, params, data, init, readout=noise.readout)
            gen = rng if rng is not None else np.random.default_rng(0)
            return trajectory_expectation(
                noisy, obs, params, data, init, trajectories=self.trajectories, rng=gen, readout=noise.readout
            )[0]

        return run

    def jacobian(
        self,
        params: np.ndarray,
        x: np.ndarray,
        *,
        noise: NoiseModel | None = None,
        timing: QPUTiming | None = None,
        shots: int | None = None,
        rng: np.random.Generator | None = None,
        tally: ShotTally | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(E, ∂E/∂θ)`` with shapes ``(B, K)`` and ``(B, K, P)``; with ``shots``, the ``B`` values and the
        ``2·n_occ·B`` shifted circuits are each estimated from their own shots, all counted in ``tally``."""
        data, init = self._inputs(x)
        obs = self.observables
        noisy = noise is not None and not noise.is_ideal
        if not noisy and shots is None:
            return adjoint_jacobian(self.circuit, obs, params, data, init)
        exact = self._exact_noisy(noise, timing)
        if exact is not None:
            values, jac, shifted = noisy_shift_values(exact, obs, params, data, init, readout=noise.readout)
            if shots is None:
                return values, jac
            if rng is None:
                raise QnetError("finite shots need a random generator")
            # the B values and 2·n_occ·B shifted values, each estimated from its own shots
            rows = np.concatenate([values, shifted.reshape(-1, values.shape[1])])
            est = shot_evaluator(lambda *_: rows, obs, shots, rng, tally=tally)(exact, None, None, None)
            nb = len(values)
            return est[:nb], combine_shifts(self.circuit, est[nb:].reshape(shifted.shape), len(params))
        if noisy:
            ev = self._noisy_evaluator(noise, timing, rng)
        else:

            def ev(circ, p, d, i):
                return expectation(circ, obs, p, d, i)

        if shots is not None:
            if rng is None:
                raise QnetError("finite shots need a random generator")
            ev = shot_evaluator(ev, obs, shots, rng, tally=tally)
        vals = self.expectations(params, x, noise=noise, timing=timing, shots=shots, rng=rng, tally=tally)
        jac = parameter_shift_jacobian(self.circuit, obs, params, data, init, evaluator=ev)
        return vals, jac

    # ------------------------------------------------------------------ outputs and loss
    def outputs(self, e: np.ndarray) -> np.ndarray:
        """Class probabilities ``(B, C)`` (classifiers) or predictions ``(B,)`` (regressor)."""
        if self.task == "binary":
            p1 = (1.0 - self._binary_value(e)) / 2.0
            return np.column_stack([1.0 - p1, p1])
        if self.task == "multiclass":
            return softmax(self.temperature * (1.0 - e) / 2.0)
        return self.output_scale * e[:, 0] + self.output_offset

    def predict(self, e: np.ndarray) -> np.ndarray:
        """Predicted labels (classifiers) or values (regressor) from expectations."""
        out = self.outputs(e)
        return out if self.task == "regression" else np.argmax(out, axis=1)

    def _binary_value(self, e: np.ndarray) -> np.ndarray:
        """The binary classifier's ``E`` per input: ``E_0``, or the mean over the readout with ``mean``."""
        return e.mean(axis=1) if self.mean else e[:, 0]

    def loss_from_expectations(self, e: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """``(L, ∂L/∂E)`` for a batch."""
        y = np.asarray(y)
        g = np.zeros_like(e)
        if self.task == "binary":
            p1 = (1.0 - self._binary_value(e)) / 2.0
            if self.loss == "cross_entropy":
                loss, dp = binary_cross_entropy(p1, y)
            else:
                loss, dp = mse(p1, y)
            if self.mean:
                g[:] = (-0.5 * dp / e.shape[1])[:, None]
            else:
                g[:, 0] = -0.5 * dp
            return loss, g
        if self.task == "multiclass":
            z = self.temperature * (1.0 - e) / 2.0
            if self.loss == "cross_entropy":
                loss, dz = cross_entropy(z, y)
            else:
                onehot = np.eye(e.shape[1])[y.astype(int)]
                p = softmax(z)
                loss, dpp = mse(p, onehot)
                dz = p * (dpp - np.sum(dpp * p, axis=1, keepdims=True))
            return loss, dz * (-self.temperature / 2.0)
        loss, dyh = mse(self.output_scale * e[:, 0] + self.output_offset, y)
        g[:, 0] = self.output_scale * dyh
        return loss, g

    def _exact_noisy(self, noise: NoiseModel | None, timing: QPUTiming | None) -> Circuit | None:
        """The noisy circuit when the exact noisy adjoint applies (noise, readout cone within ``dm_max_qubits``)."""
        if noise is None or noise.is_ideal:
            return None
        noisy = noise.apply(self.circuit, timing)
        return noisy if cone_qubits(noisy, self.observables) <= self.dm_max_qubits else None

    def loss_and_grad(self, params: np.ndarray, x: np.ndarray, y: np.ndarray, **kw) -> tuple[float, np.ndarray]:
        """Batch loss and ``∂L/∂θ`` (keywords as for :meth:`jacobian`).

        Exact under noise (no shots): one vector-Jacobian product of the noisy adjoint, whose cost does not grow
        with the batch (:func:`~qnet_dqnn.quantum.noisy_adjoint.noisy_vjp`).
        """
        noise = kw.get("noise")
        exact = self._exact_noisy(noise, kw.get("timing")) if kw.get("shots") is None else None
        if exact is not None:
            data, init = self._inputs(x)
            e, grad = noisy_vjp(
                exact,
                self.observables,
                params,
                data,
                init,
                readout=noise.readout,
                cotangent=lambda e: self.loss_from_expectations(e, y)[1],
            )
            return self.loss_from_expectations(e, y)[0], grad
        e, jac = self.jacobian(params, x, **kw)
        loss, de = self.loss_from_expectations(e, y)
        return loss, np.einsum("bk,bkp->p", de, jac)

    def score(self, e: np.ndarray, y: np.ndarray) -> float:
        """Accuracy (classifiers) or ``−MSE`` (regressor) from expectations."""
        pred = self.predict(e)
        if self.task == "regression":
            return -float(np.mean((pred - np.asarray(y, dtype=float)) ** 2))
        return float(np.mean(pred == np.asarray(y).astype(int)))
