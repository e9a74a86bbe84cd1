"""Asynchronous parameter server (Downpour SGD, Dean et al., NeurIPS 2012; Hogwild-style staleness, Recht et
al., NeurIPS 2011) and its stale-synchronous variant (SSP, Ho et al., NeurIPS 2013); the review, Sec. 2.2.3.

No rounds: each worker evaluates a gradient on the parameters it last received (version ``v``), pushes it to
the server (``n·b`` bits) and waits for parameters; the server applies every gradient *as it arrives* — one
optimizer step, one update of the global model — to its current parameters (version ``V ≥ v``), and sends
the new parameters back to that worker (``n·b`` bits). The gradient really was computed on θ_v, so its
*staleness* is ``V − v`` (the updates other workers made meanwhile); every update's staleness is recorded
(``staleness_mean``, ``staleness_max`` and the per-update list ``ctx.staleness``).

With ``staleness_bound: s`` the server runs SSP: a worker that has pushed ``c_w`` gradients gets new
parameters only once ``c_w − min_alive c ≤ s``, where the minimum runs over the workers heard from within
``worker_timeout_s`` (so a worker that dropped out stops holding the others back). ``s = 0`` keeps the
workers in lock-step; no bound is fully asynchronous. Faster workers never wait for slower ones beyond the
bound, so stragglers cost little time — and their stale gradients cost some accuracy per update.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import Field

from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.dataparallel import (
    DataParallelOptions,
    Mailboxes,
    central_node,
    data_parallel_problems,
    setup_workers,
    worker_names,
)
from qnet_dqnn.distributed.parameter_server import (
    GradientMessage,
    ParamsMessage,
    RejoinMessage,
    server_problems,
    worker_loop,
)
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import register_strategy
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds, to_ticks


class AsyncParameterServerOptions(DataParallelOptions):
    """Options of ``async_parameter_server`` (and the common data-parallel ones).

    Attributes:
        server: the node holding the parameters (default: the topology's first controller, else its centre).
        staleness_bound: ``s`` of stale-synchronous parallel (None: fully asynchronous).
        worker_timeout_s: under SSP, a worker not heard from for this long (in s) no longer holds the
            others back (None: it always does).
    """

    type: Literal["async_parameter_server"]
    server: Annotated[str, Field(min_length=1)] | None = None
    staleness_bound: Annotated[int, Field(ge=0)] | None = None
    worker_timeout_s: Annotated[float, Field(gt=0.0)] | None = None


def _check(options: AsyncParameterServerOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    problems = data_parallel_problems(options, topology, spec)
    problems += server_problems(options.server, worker_names(options, topology), topology)
    if options.server is not None and any(d.node == options.server for d in options.faults.dropout):
        problems.append(("faults.dropout", f"the server {options.server!r} cannot drop out"))
    if options.staleness_bound is not None and options.faults.any_dropout and options.worker_timeout_s is None:
        problems.append(("worker_timeout_s", "a staleness bound needs a worker timeout when workers drop out"))
    return problems


def _is_push(payload: Any) -> bool:
    return isinstance(payload, GradientMessage | RejoinMessage)


@register_strategy(
    "async_parameter_server",
    AsyncParameterServerOptions,
    "asynchronous parameter server, optionally stale-synchronous with bound s (Dean et al. 2012; Ho et al. 2013)",
    _check,
)
def async_parameter_server(
    ctx: TrainingContext, options: AsyncParameterServerOptions
) -> Generator[simpy.Event, Any, None]:
    """The server's process: apply each pushed gradient at once, reply (within the staleness bound)."""
    env, network = ctx.network.env, ctx.network
    workers = setup_workers(ctx, options)
    server = options.server or central_node(ctx, workers.names)
    mail = Mailboxes(ctx, is_down=workers.is_down)
    for name in workers.names:
        env.process(worker_loop(ctx, name, server, mail, workers, rejoin=True))
    evaluator = workers.qpus[workers.names[0]]
    bound = options.staleness_bound
    silence = None if options.worker_timeout_s is None else to_ticks(options.worker_timeout_s)
    params = ctx.init_params.copy()
    state = ctx.optimizer.init(params)
    version = 0
    clock = dict.fromkeys(workers.names, 0)
    heard = dict.fromkeys(workers.names, 0)
    held: dict[str, int] = {}  # worker -> tick since it waits for the bound
    held_ticks = 0
    staleness: list[int] = []

    def alive() -> list[str]:
        if silence is None:
            return list(workers.names)
        return [w for w in workers.names if network.now - heard[w] <= silence or w in held]

    def release() -> None:
        nonlocal held_ticks
        floor = min((clock[w] for w in alive()), default=0)
        for w in [w for w in workers.names if w in held]:
            if bound is None or clock[w] - floor <= bound:
                held_ticks += network.now - held.pop(w)
                mail.post(server, w, ctx.message_bits, ParamsMessage(version, params.copy()), "params")

    while not ctx.done:
        deadline = network.now + silence if held and silence is not None else None
        message = yield from mail.receive(server, _is_push, deadline)
        if message is None:  # a held worker waited out the others' silence
            release()
            continue
        heard[message.worker] = network.now
        if isinstance(message, RejoinMessage):
            clock[message.worker] = max(clock[message.worker], min(clock.values()))
            held[message.worker] = network.now
            release()
            continue
        staleness.append(version - message.round)
        params, state = ctx.optimizer.step(params, message.grad, state)
        version += 1
        clock[message.worker] += 1
        ctx.final_params = params
        ctx.record_update(params, evaluator)
        held[message.worker] = network.now
        release()
    ctx.staleness = staleness
    ctx.extra_metrics.update(
        {
            "staleness_mean": float(np.mean(staleness)) if staleness else 0.0,
            "staleness_max": float(max(staleness, default=0)),
            "ssp_wait_s": to_seconds(held_ticks),
            "lost_messages": float(mail.lost),
            **{f"gradients_{w}": float(clock[w]) for w in workers.names},
        }
    )
