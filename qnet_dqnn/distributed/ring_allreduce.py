"""Decentralised data parallelism by ring all-reduce (Patarasuk & Yuan, J. Parallel Distrib. Comput. 69, 117
(2009); Sergeev & Del Balso, Horovod, arXiv:1802.05799 (2018); the review, Sec. 2.2.2 and 2.2.4).

The workers form a ring in the order of ``nodes``; there is no server. Per round:

1. every worker evaluates the gradient of its minibatch on its QPU and scales it by its share of the
   round's samples, ``w_i = b_i / Σ b`` (so the sum is the mean gradient of the union of the batches);
2. reduce-scatter: the vector is cut into ``L`` chunks (:func:`~qnet_dqnn.distributed.aggregate.chunk_bounds`);
   for ``L − 1`` steps each worker sends one chunk to the next worker on the ring and adds the chunk it
   receives to its own (:func:`~qnet_dqnn.distributed.aggregate.ring_schedule`); each message is a real
   network message of ``≈ n·b / L`` bits over the topology's path between the two neighbours;
3. all-gather: ``L − 1`` more steps pass the summed chunks round, so every worker holds the whole sum;
4. every worker takes the same optimizer step on its own copy of the parameters.

So a round costs ``2(L − 1)·L`` messages of ``≈ n·b / L`` bits, ``2(L − 1)·n·b`` bits in all, and no node
handles more than ``2(L − 1)·n·b / L`` bits — the bandwidth-optimal all-reduce. The round's update is
recorded when the first worker holds the new parameters; it also decides, for all, whether the run goes on.
Drop-outs are not tolerated (an elastic ring that re-forms without the lost node is not modelled): the
scenario check rejects them; slow nodes and link outages are fine.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import simpy

from qnet_dqnn.distributed.aggregate import chunk_bounds, ring_receive, ring_schedule
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.dataparallel import (
    DataParallelOptions,
    Mailboxes,
    Workers,
    data_parallel_problems,
    setup_workers,
)
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import register_strategy
from qnet_dqnn.topology import TopologySpec


class RingAllReduceOptions(DataParallelOptions):
    """Options of ``ring_allreduce``: the common data-parallel ones (``nodes`` gives the ring order)."""

    type: Literal["ring_allreduce"]


@dataclass(frozen=True, slots=True)
class ChunkMessage:
    """One chunk of round ``round``'s gradient sum, sent at ``step`` of ``phase``."""

    round: int
    phase: str
    step: int
    chunk: int
    data: np.ndarray


def _check(options: RingAllReduceOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    problems = data_parallel_problems(options, topology, spec)
    if options.faults.dropout:
        hint = "use parameter_server, async_parameter_server or fedavg"
        problems.append(("faults.dropout", f"ring all-reduce does not tolerate drop-outs ({hint})"))
    return problems


class _Round:
    """Who recorded each round's update, and whether the run stops after it (decided once, read by all)."""

    def __init__(self) -> None:
        self.stop_after: dict[int, bool] = {}


def _ring_node(
    ctx: TrainingContext, index: int, workers: Workers, mail: Mailboxes, rounds: _Round
) -> Generator[simpy.Event, Any, None]:
    env, names = ctx.network.env, workers.names
    count, name = workers.count, workers.names[index]
    successor = names[(index + 1) % count]
    qpu = workers.qpus[name]
    total = sum(workers.batch_sizes.values())
    share = workers.batch_sizes[name] / total
    bounds = chunk_bounds(ctx.model.num_params, count)
    schedule = ring_schedule(count)
    bits_per_entry = ctx.spec.precision_bits
    params = ctx.init_params.copy()
    state = ctx.optimizer.init(params)
    rnd = 0
    while True:
        x, y = workers.next_batch[name]()
        _, grad = yield env.process(qpu.gradient(params, x, y))
        acc = np.asarray(grad, dtype=float) * share
        for phase, step, sends in schedule:
            chunk = sends[index][1]
            lo, hi = bounds[chunk]
            message = ChunkMessage(rnd, phase, step, chunk, acc[lo:hi].copy())
            mail.post(name, successor, (hi - lo) * bits_per_entry, message, "chunk")

            def expected(m: Any, key: tuple[int, str, int] = (rnd, phase, step)) -> bool:
                return isinstance(m, ChunkMessage) and (m.round, m.phase, m.step) == key

            incoming = yield from mail.receive(name, expected)
            lo, hi = bounds[incoming.chunk]
            acc[lo:hi] = ring_receive(phase, acc[lo:hi], incoming.data)
        params, state = ctx.optimizer.step(params, acc, state)
        if rnd not in rounds.stop_after:
            ctx.final_params = params
            ctx.record_update(params, qpu)
            rounds.stop_after[rnd] = ctx.done
        if rounds.stop_after[rnd]:
            return
        rnd += 1


@register_strategy(
    "ring_allreduce",
    RingAllReduceOptions,
    "decentralised: chunked ring all-reduce of the gradients (Patarasuk & Yuan 2009)",
    _check,
)
def ring_allreduce(ctx: TrainingContext, options: RingAllReduceOptions) -> Generator[simpy.Event, Any, None]:
    """Start one process per worker and wait until every worker has finished its last round."""
    workers = setup_workers(ctx, options)
    mail = Mailboxes(ctx)
    rounds = _Round()
    env = ctx.network.env
    yield env.all_of([env.process(_ring_node(ctx, i, workers, mail, rounds)) for i in range(workers.count)])
    ctx.extra_metrics["rounds"] = float(len(rounds.stop_after))
