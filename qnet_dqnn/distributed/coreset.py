"""Coreset training: each worker trains on a small weighted coreset of its data instead of all of it.

Harrow (arXiv:2004.00026, 2020) and Tomesh et al. (Electronics 10, 1690 (2021)) hand a small quantum
computer a weighted coreset of a large classical data set (:mod:`~qnet_dqnn.qml.coresets`); the review
(Sec. 7.1) notes that such data reduction is not usually discussed for distributed learning. Here it is: the
training set is sharded over ``L`` workers (eq. (7) of the review), each builds a ``size``-point coreset of
its own shard (classically, from data it already holds: nothing moves), and then, per round ``r``,

1. every worker evaluates the gradient of its coreset's *weighted* loss on θ_r — its whole coreset, so
   ``size·(1 + 2P)`` circuits per round (parameter-shift accounting) whatever its shard's size;
2. sends it to the server: one message of ``n·b`` bits;
3. the server averages the gradients weighted by the workers' weight sums (their shard sizes: each coreset's
   weights sum to its shard), takes one optimizer step and sends θ_{r+1} back (``n·b`` bits each).

With one worker this is single-QPU full-batch training on a coreset; a coreset of the whole shard with
``method: uniform`` is the shard with unit weights, i.e. the synchronous parameter server with full-shard
batches (a tested invariant). Drop-out faults are not handled (use ``parameter_server`` for those).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import Field

from qnet_dqnn.distributed.aggregate import weighted_average
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.dataparallel import (
    DataParallelOptions,
    Mailboxes,
    central_node,
    data_parallel_problems,
    gather,
    setup_workers,
    worker_names,
)
from qnet_dqnn.distributed.parameter_server import GradientMessage, ParamsMessage, server_problems
from qnet_dqnn.distributed.sharding import split_sizes
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import register_strategy
from qnet_dqnn.qml.coresets import Coreset, CoresetMethod, build_coreset
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import TopologySpec


class CoresetOptions(DataParallelOptions):
    """Options of ``coreset`` (and the common data-parallel ones; ``sharding``: ``equal`` or ``replicate``).

    Attributes:
        size: points in each worker's coreset (1 to its shard's size).
        method: ``lightweight`` (Bachem et al., KDD 2018) or ``uniform`` (a uniform random subset; the control).
        server: the node that averages the gradients (default: the topology's controller, else its centre).
    """

    type: Literal["coreset"]
    size: Annotated[int, Field(ge=1)]
    method: CoresetMethod = "lightweight"
    server: Annotated[str, Field(min_length=1)] | None = None


def training_count(spec: TrainSpec) -> int:
    """Training samples of the spec's data set (what the validation split leaves)."""
    return spec.dataset.training_samples


def _check(options: CoresetOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    problems = data_parallel_problems(options, topology, spec)
    names = worker_names(options, topology)
    problems += server_problems(options.server, names, topology)
    if options.sharding == "capacity":
        problems.append(("sharding", "coreset takes equal or replicate shards (capacity shards are sized at run time)"))
    if options.faults.any_dropout:
        problems.append(("faults.dropout", "the coreset strategy does not handle drop-outs (parameter_server does)"))
    if names and options.sharding != "capacity":
        total = training_count(spec)
        smallest = total if options.sharding == "replicate" else min(split_sizes(total, [1.0] * len(names)))
        if options.size > smallest:
            problems.append(
                (
                    "size",
                    f"{options.size} is larger than the data set it summarises: the smallest shard has {smallest} "
                    f"of the {total} training samples",
                )
            )
    return problems


def _worker(
    ctx: TrainingContext, name: str, server: str, mail: Mailboxes, coreset: Coreset, qpu: Any, shard: np.ndarray
) -> Generator[simpy.Event, Any, None]:
    """Gradient of the weighted coreset loss on the latest parameters, sent to the server, until told to stop."""
    env = ctx.network.env
    x, y = ctx.dataset.x_train[shard[coreset.indices]], ctx.dataset.y_train[shard[coreset.indices]]
    params, rnd = ctx.init_params.copy(), 0
    while True:
        _, grad = yield env.process(qpu.gradient(params, x, y, coreset.weights))
        mail.post(name, server, ctx.message_bits, GradientMessage(rnd, name, grad, len(shard)), "gradient")
        message = yield from mail.receive(name, lambda m: isinstance(m, ParamsMessage))
        if message.stop:
            return
        params, rnd = message.params, message.round


@register_strategy(
    "coreset",
    CoresetOptions,
    "each worker trains on a weighted coreset of its shard (Harrow 2020; Tomesh et al. 2021)",
    _check,
)
def coreset(ctx: TrainingContext, options: CoresetOptions) -> Generator[simpy.Event, Any, None]:
    """The server's process: build the workers' coresets, start them, average their gradients each round."""
    env = ctx.network.env
    workers = setup_workers(ctx, options)
    server = options.server or central_node(ctx, workers.names)
    mail = Mailboxes(ctx)
    coresets = {}
    for name in workers.names:
        shard = workers.shards[name]
        rng = component_rng(ctx.seed, f"coreset:{name}")
        coresets[name] = build_coreset(
            ctx.dataset.x_train[shard], ctx.dataset.y_train[shard], options.size, options.method, rng
        )
        env.process(_worker(ctx, name, server, mail, coresets[name], workers.qpus[name], shard))
    evaluator = workers.qpus[workers.names[0]]
    params = ctx.init_params.copy()
    state = ctx.optimizer.init(params)
    rnd = 0
    while True:
        replies, _ = yield from gather(
            mail, server, workers.names, rnd, lambda m: isinstance(m, GradientMessage), None, 1
        )
        ordered = [replies[w] for w in workers.names]
        grad = weighted_average([m.grad for m in ordered], [m.samples for m in ordered])
        params, state = ctx.optimizer.step(params, grad, state)
        rnd += 1
        ctx.final_params = params
        ctx.record_update(params, evaluator)
        last = ctx.done
        sends = [
            mail.post(server, w, ctx.message_bits, ParamsMessage(rnd, params.copy(), last), "params")
            for w in workers.names
        ]
        if last:
            yield env.all_of(sends)
            break
    ctx.extra_metrics.update(
        {
            "rounds": float(rnd),
            "coreset_points": float(sum(c.size for c in coresets.values())),
            "coreset_fraction": sum(c.size for c in coresets.values())
            / float(sum(len(workers.shards[w]) for w in workers.names)),
        }
    )
