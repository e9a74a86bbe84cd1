"""Synchronous parameter server (Dean et al., NeurIPS 2012; Li et al., OSDI 2014; the review, Sec. 2.2.2-2.2.3).

Per round ``r`` (with ``client_fraction`` or ``clients_per_round``, only the round's sampled workers take part:
the server sends θ_r to them alone, and waits for them alone):

1. every worker evaluates the gradient of its minibatch (its whole shard if ``batch_size`` >= the shard) on
   the current parameters θ_r, on its own QPU (parameter-shift accounting);
2. it sends the gradient to the server: one message of ``n·b`` bits (``n`` parameters, ``b`` =
   ``precision_bits``);
3. the server waits for all workers — or, with ``round_timeout_s``, until the timeout (and at least
   ``min_replies`` replies) — and averages the gradients it got, weighted by their samples
   (:func:`~qnet_dqnn.distributed.aggregate.weighted_average`), so the average is the mean gradient of the
   union of the batches; gradients of an earlier round that arrive late are dropped and counted. A worker
   that missed a round is not waited for in the next ones (its gradient is still taken if it comes in time)
   until the server hears from it again, so a lost worker costs one timeout, not one per round;
4. it takes one optimizer step and sends θ_{r+1} to every worker: one message of ``n·b`` bits each.

So a round costs ``2L`` messages of ``n·b`` bits (``2(L−1)`` if the server is itself a worker), each booked on
every link of its path. With each worker's batch = its whole shard, the trajectory is that of single-QPU
full-batch training on the union of the data. The server is a named node (``server``) — a controller, a
repeater's classical processor or one of the QPUs — by default the topology's controller or its centre.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import Field

from qnet_dqnn.distributed.aggregate import weighted_average
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.dataparallel import (
    ClientSampler,
    Mailboxes,
    SampledOptions,
    Workers,
    central_node,
    data_parallel_problems,
    gather,
    sampling_problems,
    setup_workers,
    wait_until_up,
    worker_names,
)
from qnet_dqnn.distributed.qpu import NodeDown
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import register_strategy
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_ticks


class ParameterServerOptions(SampledOptions):
    """Options of ``parameter_server`` (and the common and sampling ones: ``server`` gathers gradients and
    broadcasts parameters; ``round_timeout_s`` is how long it waits for gradients after a round starts).

    Attributes:
        min_replies: the server waits past the timeout until it has at least this many gradients.
    """

    type: Literal["parameter_server"]
    min_replies: Annotated[int, Field(ge=1)] = 1


@dataclass(frozen=True, slots=True)
class GradientMessage:
    """A worker's gradient for round ``round``, over ``samples`` samples."""

    round: int
    worker: str
    grad: np.ndarray
    samples: int


@dataclass(frozen=True, slots=True)
class RejoinMessage:
    """A worker back from a drop-out asks for the current parameters."""

    worker: str


@dataclass(frozen=True, slots=True)
class ParamsMessage:
    """The server's parameters θ_round; ``stop`` ends the workers."""

    round: int
    params: np.ndarray
    stop: bool = False


def server_problems(
    server: str | None, workers: list[str], topology: TopologySpec, field: str = "server"
) -> list[tuple[str, str]]:
    """Problems with a named server node (unknown)."""
    if server is None:
        return []
    known = [n.name for n in topology.nodes]
    if server not in known:
        return [(field, f"unknown node {server!r} (known: {', '.join(known)})")]
    return []


def _check(options: ParameterServerOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    problems = data_parallel_problems(options, topology, spec)
    workers = worker_names(options, topology)
    problems += server_problems(options.server, workers, topology)
    problems += sampling_problems(options, topology)
    if options.faults.any_dropout and options.round_timeout_s is None:
        problems.append(("round_timeout_s", "a synchronous server needs a round timeout when workers drop out"))
    if options.server is not None and any(d.node == options.server for d in options.faults.dropout):
        problems.append(("faults.dropout", f"the server {options.server!r} cannot drop out"))
    per_round = options.per_round(max(len(workers), 1))
    if options.min_replies > per_round:
        problems.append(("min_replies", f"must be <= the {per_round} workers of a round (got {options.min_replies})"))
    return problems


def worker_loop(
    ctx: TrainingContext,
    name: str,
    server: str,
    mail: Mailboxes,
    workers: Workers,
    rejoin: bool = False,
    start: bool = True,
) -> Generator[simpy.Event, Any, None]:
    """Process of one worker: gradient on the latest parameters, send it, wait for the next parameters.

    Shared by the synchronous and the asynchronous parameter servers. A worker whose node drops out loses the
    gradient under way, and on its return waits for the next parameters the server sends it (after asking
    for them with a :class:`RejoinMessage` if ``rejoin``: an asynchronous server only answers pushes). A worker
    not in the first round's sample (``start`` False) waits for parameters before its first gradient.
    """
    env, qpu, bits = ctx.network.env, workers.qpus[name], ctx.message_bits
    params, rnd = ctx.init_params.copy(), 0
    while True:
        if start:
            x, y = workers.next_batch[name]()
            try:
                _, grad = yield env.process(qpu.gradient(params, x, y))
            except NodeDown:
                if not (yield from _come_back(ctx, name, server, mail, workers, rejoin)):
                    return
            else:
                mail.post(name, server, bits, GradientMessage(rnd, name, grad, len(x)), "gradient")
        start = True
        while True:  # wait for parameters; with rejoin, a drop-out while waiting is noticed and survived
            crash = qpu.next_outage(ctx.network.now) if rejoin else None
            message = yield from mail.receive(name, _is_params, crash)
            if message is not None:
                break
            if not (yield from _come_back(ctx, name, server, mail, workers, rejoin)):
                return
        message = max([message, *mail.drain(name, _is_params)], key=lambda m: m.round)
        if message.stop:
            return
        params, rnd = message.params, message.round


def _come_back(
    ctx: TrainingContext, name: str, server: str, mail: Mailboxes, workers: Workers, rejoin: bool
) -> Generator[simpy.Event, Any, bool]:
    """Wait out a drop-out; ask for parameters again if ``rejoin``. Value: False if the node never returns."""
    if not (yield from wait_until_up(ctx, workers.qpus[name])):
        return False
    if rejoin:
        mail.post(name, server, 1, RejoinMessage(name), "rejoin")
    return True


def _is_params(payload: Any) -> bool:
    return isinstance(payload, ParamsMessage)


def _is_gradient(payload: Any) -> bool:
    return isinstance(payload, GradientMessage)


@register_strategy(
    "parameter_server",
    ParameterServerOptions,
    "synchronous parameter server: gather all gradients, average, broadcast (Dean et al. 2012)",
    _check,
)
def parameter_server(ctx: TrainingContext, options: ParameterServerOptions) -> Generator[simpy.Event, Any, None]:
    """The server's process; it starts the workers' processes and runs the rounds until ``ctx.done``."""
    env = ctx.network.env
    workers = setup_workers(ctx, options)
    server = options.server or central_node(ctx, workers.names)
    mail = Mailboxes(ctx, is_down=workers.is_down)
    choose = ClientSampler(ctx, workers.names, options.per_round(workers.count), "parameter_server:clients")
    chosen = choose()
    for name in workers.names:
        env.process(worker_loop(ctx, name, server, mail, workers, start=name in chosen))
    evaluator = workers.qpus[workers.names[0]]
    timeout = None if options.round_timeout_s is None else to_ticks(options.round_timeout_s)
    params = ctx.init_params.copy()
    state = ctx.optimizer.init(params)
    rnd, late, missing = 0, 0, 0
    suspected: set[str] = set()
    while True:
        expected = [w for w in chosen if w not in suspected] or chosen
        replies, stale = yield from gather(
            mail, server, expected, rnd, _is_gradient, timeout, options.min_replies, allowed=chosen
        )
        late += len(stale)
        missing += len(chosen) - len(replies)
        # a worker that missed the round is not waited for again until it is heard from
        suspected = (suspected | set(expected)) - set(replies) - {m.worker for m in stale}
        rnd += 1
        if replies:
            ordered = [replies[w] for w in chosen if w in replies]
            grad = weighted_average([m.grad for m in ordered], [m.samples for m in ordered])
            params, state = ctx.optimizer.step(params, grad, state)
            ctx.final_params = params
            ctx.record_update(params, evaluator)
        last = ctx.done
        chosen = workers.names if last else choose()
        sends = [
            mail.post(server, w, ctx.message_bits, ParamsMessage(rnd, params.copy(), last), "params") for w in chosen
        ]
        if last:
            yield env.all_of(sends)
            break
    ctx.final_params = params
    ctx.extra_metrics.update(
        {
            "rounds": float(rnd),
            "late_gradients": float(late),
            "missing_gradients": float(missing),
            "lost_messages": float(mail.lost),
        }
    )
