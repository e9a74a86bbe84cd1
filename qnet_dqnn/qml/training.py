"""Single-QPU training loop (pure: no SimPy), with the QPU cost of every step.

Each step draws a minibatch, evaluates the loss and its gradient and updates the parameters. The QPU cost
is *accounted* by the parameter-shift rule whatever computes the gradient (Mitarai et al. 2018):
``B`` forward circuits plus ``2·n_occ·B`` shifted circuits per step, each run ``shots`` times, each shot
lasting :func:`~qnet_dqnn.quantum.shots.circuit_duration` (see :mod:`qnet_dqnn.quantum.shots`). The loss
and gradient are estimated from those shots (``estimator="sampled"``, the default) or, for debugging and
tests, computed exactly (``estimator="exact"``: the same shots are charged, none drawn).

:class:`TrainingSession` exposes ``step()`` so an event-driven runner can interleave steps with simulated
time; :func:`train` runs a session to the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml.datasets import Dataset
from qnet_dqnn.qml.models import QNNModel
from qnet_dqnn.qml.optimizers import Optimizer
from qnet_dqnn.quantum.noise import NoiseModel
from qnet_dqnn.quantum.shots import (
    ESTIMATORS,
    ExecutionCost,
    QPUTiming,
    ShotTally,
    check_shots,
    forward_cost,
    gradient_cost,
)
from qnet_dqnn.rng import component_rng


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One training step.

    Attributes:
        step: 1-based step index.
        epoch: 0-based epoch the step belongs to.
        loss: minibatch loss (as estimated: noisy and/or finite-shot).
        train_accuracy: accuracy on the whole training set (``nan`` when not evaluated this step).
        val_accuracy: accuracy on the validation set (``nan`` when not evaluated).
        circuits: circuits run by this step (accounted).
        shots: shots used by this step.
        qpu_time_s: cumulative QPU busy time after this step (in s).
    """

    step: int
    epoch: int
    loss: float
    train_accuracy: float
    val_accuracy: float
    circuits: int
    shots: int
    qpu_time_s: float


@dataclass
class TrainingHistory:
    """Everything a run produced.

    Attributes:
        records: one :class:`StepRecord` per step.
        params: final parameters.
        cost: total accounted cost.
    """

    records: list[StepRecord] = field(default_factory=list)
    params: np.ndarray | None = None
    cost: ExecutionCost = field(default_factory=ExecutionCost)

    def column(self, name: str) -> np.ndarray:
        """One field over all steps, e.g. ``history.column("loss")``."""
        return np.array([getattr(r, name) for r in self.records])

    @property
    def final_val_accuracy(self) -> float:
        """Last evaluated validation accuracy."""
        vals = self.column("val_accuracy")
        vals = vals[~np.isnan(vals)]
        return float(vals[-1]) if vals.size else float("nan")

    def as_rows(self) -> list[dict]:
        """Records as plain dicts (for tables and JSON)."""
        return [{s: getattr(r, s) for s in StepRecord.__slots__} for r in self.records]


class TrainingSession:
    """A stepwise single-QPU training run (see :func:`train` for the arguments)."""

    def __init__(
        self,
        model: QNNModel,
        dataset: Dataset,
        optimizer: Optimizer,
        *,
        batch_size: int = 16,
        shots: int = 1000,
        estimator: str = "sampled",
        noise: NoiseModel | None = None,
        timing: QPUTiming | None = None,
        seed: int = 0,
        eval_every: int = 1,
        initial_params: np.ndarray | None = None,
        name: str = "qpu",
    ) -> None:
        if batch_size < 1:
            raise QnetError(f"batch_size must be >= 1 (got {batch_size!r})")
        if estimator not in ESTIMATORS:
            raise QnetError(f"estimator: must be one of {ESTIMATORS!r} (got {estimator!r})")
        self.model, self.dataset, self.optimizer = model, dataset, optimizer
        self.batch_size = min(batch_size, len(dataset.x_train))
        self.shots, self.noise = check_shots(shots), noise
        self.exact = estimator == "exact"
        #: Circuits and shots the estimator drew (0 when exact).
        self.sampled = ShotTally()
        self.timing = timing or QPUTiming()
        self.eval_every = max(1, eval_every)
        self._rng_batches = component_rng(seed, f"{name}:batches")
        self._rng_quantum = component_rng(seed, f"{name}:quantum")
        init_rng = component_rng(seed, f"{name}:init")
        self.params = (
            np.asarray(initial_params, dtype=float).copy()
            if initial_params is not None
            else model.init_params(init_rng)
        )
        self.opt_state = optimizer.init(self.params)
        self.history = TrainingHistory(params=self.params)
        self._order = np.array([], dtype=int)
        self._epoch = -1
        self._step = 0
        # the circuit actually executed (with noise channels when idle noise depends on timing)
        self._exec_circuit = model.circuit

    @property
    def steps_per_epoch(self) -> int:
        """Minibatches in one pass over the training set."""
        return -(-len(self.dataset.x_train) // self.batch_size)

    def _next_batch(self) -> np.ndarray:
        if self._order.size < self.batch_size:
            self._epoch += 1
            self._order = np.concatenate([self._order, self._rng_batches.permutation(len(self.dataset.x_train))])
        idx, self._order = self._order[: self.batch_size], self._order[self.batch_size :]
        return idx

    def step_cost(self, batch: int | None = None) -> ExecutionCost:
        """Accounted cost of one step on ``batch`` inputs: forward + parameter-shift gradient."""
        b = self.batch_size if batch is None else batch
        circ = self._exec_circuit
        return forward_cost(circ, b, self.shots, self.timing) + gradient_cost(circ, b, self.shots, self.timing)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> float:
        """Accuracy (or −MSE) of the current parameters, noisy but exact (no shots, not accounted)."""
        e = self.model.expectations(self.params, x, noise=self.noise, timing=self.timing, rng=self._rng_quantum)
        return self.model.score(e, y)

    def step(self) -> StepRecord:
        """Run one step and return its record."""
        idx = self._next_batch()
        xb, yb = self.dataset.x_train[idx], self.dataset.y_train[idx]
        loss, grad = self.model.loss_and_grad(
            self.params,
            xb,
            yb,
            noise=self.noise,
            timing=self.timing,
            shots=None if self.exact else self.shots,
            rng=self._rng_quantum,
            tally=self.sampled,
        )
        self.params, self.opt_state = self.optimizer.step(self.params, grad, self.opt_state)
        self._step += 1
        cost = self.step_cost(len(idx))
        self.history.cost = self.history.cost + cost
        tr = va = float("nan")
        if self._step % self.eval_every == 0:
            tr = self.evaluate(self.dataset.x_train, self.dataset.y_train)
            va = self.evaluate(self.dataset.x_val, self.dataset.y_val)
        rec = StepRecord(self._step, self._epoch, loss, tr, va, cost.circuits, cost.shots, self.history.cost.qpu_time_s)
        self.history.records.append(rec)
        self.history.params = self.params
        return rec


def train(
    model: QNNModel,
    dataset: Dataset,
    optimizer: Optimizer,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    batch_size: int = 16,
    shots: int = 1000,
    estimator: str = "sampled",
    noise: NoiseModel | None = None,
    timing: QPUTiming | None = None,
    seed: int = 0,
    eval_every: int = 1,
    initial_params: np.ndarray | None = None,
) -> TrainingHistory:
    """Train ``model`` on one QPU.

    Args:
        model: the QNN.
        dataset: training and validation data.
        optimizer: :class:`~qnet_dqnn.qml.optimizers.SGD` or :class:`~qnet_dqnn.qml.optimizers.Adam`.
        epochs: passes over the training set (exactly one of ``epochs`` and ``steps``).
        steps: number of minibatch steps.
        batch_size: samples per step.
        shots: shots per circuit (charged, and drawn unless ``estimator`` is ``"exact"``).
        estimator: ``"sampled"`` (``shots``-shot estimates) or ``"exact"`` (exact values, for debugging).
        noise: the QPU's noise model (``None``: noiseless).
        timing: the QPU's gate and measurement times (default :class:`~qnet_dqnn.quantum.shots.QPUTiming`).
        seed: seeds minibatch order, initial parameters and sampling (per-component streams).
        eval_every: evaluate train/validation accuracy every this many steps.
        initial_params: start here instead of a random initialisation.

    Returns:
        The :class:`TrainingHistory`.
    """
    if (epochs is None) == (steps is None):
        raise QnetError("give exactly one of epochs and steps")
    session = TrainingSession(
        model,
        dataset,
        optimizer,
        batch_size=batch_size,
        shots=shots,
        estimator=estimator,
        noise=noise,
        timing=timing,
        seed=seed,
        eval_every=eval_every,
        initial_params=initial_params,
    )
    total = steps if steps is not None else epochs * session.steps_per_epoch
    for i in range(total):
        last = i == total - 1
        rec = session.step()
        if last and np.isnan(rec.val_accuracy):
            session.history.records[-1] = StepRecord(
                rec.step,
                rec.epoch,
                rec.loss,
                session.evaluate(dataset.x_train, dataset.y_train),
                session.evaluate(dataset.x_val, dataset.y_val),
                rec.circuits,
                rec.shots,
                rec.qpu_time_s,
            )
    return session.history
