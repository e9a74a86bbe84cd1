"""The single-QPU baseline: one QPU trains the whole model on the whole training set."""

from __future__ import annotations

from collections.abc import Generator
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import qpu_node_problems, register_strategy
from qnet_dqnn.qml import SGD, Adam
from qnet_dqnn.topology import TopologySpec


class SingleOptions(BaseModel):
    """Options of the ``single`` strategy: the QPU node to train on (default: the first QPU)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    type: Literal["single"]
    node: Annotated[str, Field(min_length=1)] | None = None


def _check(options: SingleOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    if options.node is None:
        if not any(n.kind == "qpu" for n in topology.nodes):
            return [("", "the topology has no qpu node to train on")]
        return []
    return qpu_node_problems(topology, [options.node], "node", spec.model.qubits)


@register_strategy("single", SingleOptions, "one QPU trains on the whole dataset (the baseline)", _check)
def single(ctx: TrainingContext, options: SingleOptions) -> Generator[simpy.Event, Any, None]:
    """Minibatch steps on one QPU, back to back; no communication at all."""
    node = options.node or ctx.qpu_nodes()[0]
    qpu = ctx.qpu(node)
    optimizer: SGD | Adam = ctx.optimizer
    params = ctx.init_params.copy()
    state = optimizer.init(params)
    next_batch = ctx.batches(node, np.arange(len(ctx.dataset.x_train)))
    while not ctx.done:
        x, y = next_batch()
        _, grad = yield ctx.network.env.process(qpu.gradient(params, x, y))
        params, state = optimizer.step(params, grad, state)
        ctx.record_update(params, qpu)
    ctx.final_params = params
