"""What a training strategy works with: the network, the model and data, the QPUs, and a recorder."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from qnet_dqnn.distributed.executor import Executor, LocalExecutor
from qnet_dqnn.distributed.qpu import QPU
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.net import Network
from qnet_dqnn.qml import SGD, Adam, QNNModel
from qnet_dqnn.qml.datasets import Dataset
from qnet_dqnn.quantum import ShotTally
from qnet_dqnn.rng import component_rng
from qnet_dqnn.units import to_seconds


class Evaluator(Protocol):
    """The loss and accuracy of parameters on data: a :class:`~qnet_dqnn.distributed.qpu.QPU`, or a split
    model's own evaluator (coherent, cut)."""

    def loss(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> float: ...

    def accuracy(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> float: ...


@dataclass
class Recorder:
    """Learning curves against simulated time, and the moment the target accuracy was first reached."""

    times_s: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    updates: list[int] = field(default_factory=list)
    time_to_target_s: float = math.nan


class TrainingContext:
    """Everything a strategy needs, and the rules every strategy follows.

    A strategy advances the global model by calling :meth:`record_update` after each optimizer update; the
    context evaluates the validation accuracy every ``eval_every`` updates and says when to stop
    (:attr:`done`): after ``max_steps`` updates, at the target accuracy if ``stop_at_target``, or at the
    scenario's simulated-time limit.
    """

    def __init__(
        self,
        network: Network,
        spec: TrainSpec,
        model: QNNModel,
        dataset: Dataset,
        optimizer: SGD | Adam,
        seed: int,
        stop_tick: int,
        progress: Callable[[float], None] | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.network = network
        self.spec = spec
        self.model = model
        self.dataset = dataset
        self.optimizer = optimizer
        self.seed = seed
        self.stop_tick = stop_tick
        self.progress = progress
        #: Where independent numerics (a federated client's local steps) run: here, or on a Dask cluster.
        self.executor: Executor = executor if executor is not None else LocalExecutor()
        self.recorder = Recorder()
        self.updates = 0
        self._qpus: dict[str, QPU] = {}
        self.init_params = model.init_params(component_rng(seed, "model:init"))
        self.final_params: np.ndarray = self.init_params
        #: Strategy-specific numbers the ``train`` workload adds to its metrics (staleness, lost messages, ...).
        self.extra_metrics: dict[str, float] = {}
        #: Staleness of each update, for asynchronous strategies (updates the gradient's parameters lag behind).
        self.staleness: list[int] = []
        #: Circuits and shots the run's estimators drew (every QPU's, and a split replica's evaluator's): what a
        #: strategy charges must equal it (``estimator: exact`` draws none).
        self.sampled = ShotTally()

    def qpu_nodes(self) -> list[str]:
        """The topology's QPU nodes, in file order."""
        return [n.name for n in self.network.topology.nodes if n.kind == "qpu"]

    @property
    def qpus(self) -> dict[str, QPU]:
        """The workers created so far, by node."""
        return dict(self._qpus)

    def qpu(self, node: str) -> QPU:
        """The worker on ``node`` (created on first use)."""
        if node not in self._qpus:
            self._qpus[node] = QPU(
                self.network,
                node,
                self.model,
                noise=self.spec.noise,
                shots=self.spec.shots,
                exact=self.spec.estimator == "exact",
                seed=self.seed,
                tally=self.sampled,
            )
        return self._qpus[node]

    @property
    def message_bits(self) -> int:
        """Size of one parameter or gradient vector in a message (in bits)."""
        return self.model.num_params * self.spec.precision_bits

    @property
    def done(self) -> bool:
        """True once the run should stop."""
        reached = self.spec.stop_at_target and not math.isnan(self.recorder.time_to_target_s)
        return self.updates >= self.spec.max_steps or reached or self.network.now >= self.stop_tick

    def batches(self, name: str, indices: np.ndarray) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
        """An endless minibatch source over ``indices`` of the training set, shuffled per epoch by its own stream."""
        rng = component_rng(self.seed, f"batches:{name}")
        size = min(self.spec.batch_size, len(indices))
        order: list[int] = []

        def next_batch() -> tuple[np.ndarray, np.ndarray]:
            nonlocal order
            if len(order) < size:
                order = order + list(rng.permutation(indices))
            chosen, order = order[:size], order[size:]
            return self.dataset.x_train[chosen], self.dataset.y_train[chosen]

        return next_batch

    def record_update(self, params: np.ndarray, evaluator: Evaluator) -> None:
        """Count one optimizer update of the global model; evaluate it every ``eval_every`` updates."""
        self.updates += 1
        if self.progress is not None:
            self.progress(min(self.updates / self.spec.max_steps, 1.0))
        if self.updates % self.spec.eval_every and self.updates < self.spec.max_steps:
            return
        d, r = self.dataset, self.recorder
        accuracy = evaluator.accuracy(params, d.x_val, d.y_val)
        r.times_s.append(to_seconds(self.network.now))
        r.losses.append(evaluator.loss(params, d.x_train, d.y_train))
        r.accuracies.append(accuracy)
        r.updates.append(self.updates)
        target = self.spec.target_accuracy
        if target is not None and accuracy >= target and math.isnan(r.time_to_target_s):
            r.time_to_target_s = to_seconds(self.network.now)
