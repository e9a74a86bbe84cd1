"""A split replica of the model — what the ``coherent`` and ``cut`` strategies build and ``hybrid`` runs several
of — and training one on its own."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Protocol

import numpy as np
import simpy

from qnet_dqnn.distributed.context import Evaluator, TrainingContext


class SplitReplica(Protocol):
    """One copy of the model split over a group of QPUs.

    Attributes:
        nodes_used: the QPUs it occupies.
        home: the node that holds its gradient (where it is sent from).
        evaluator: the loss and accuracy of parameters, for :meth:`TrainingContext.record_update`.
        stopped: True once one of its nodes will not come back (the run should end).
    """

    nodes_used: list[str]
    home: str
    evaluator: Evaluator
    stopped: bool

    def step(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> Generator[simpy.Event, Any, np.ndarray | None]:
        """Process: the gradient of the batch through the network; None if the step failed."""
        ...

    def metrics(self, params: np.ndarray) -> dict[str, float]:
        """What the replica reports at the end of a run."""
        ...


def train_replica(ctx: TrainingContext, replica: SplitReplica) -> Generator[simpy.Event, Any, None]:
    """Process: one replica trains alone — a minibatch from the stream its home node draws (the one a single
    QPU there would draw), a gradient through the split, one optimizer update — until ``ctx.done`` or the
    replica stops; then its metrics go into ``ctx.extra_metrics``."""
    next_batch = ctx.batches(replica.home, np.arange(len(ctx.dataset.x_train)))
    params = ctx.init_params.copy()
    state = ctx.optimizer.init(params)
    while not ctx.done:
        x, y = next_batch()
        grad = yield from replica.step(params, x, y)
        if grad is None:
            if replica.stopped:
                break
            continue
        params, state = ctx.optimizer.step(params, grad, state)
        ctx.final_params = params
        ctx.record_update(params, replica.evaluator)
    ctx.final_params = params
    ctx.extra_metrics.update(replica.metrics(params))
