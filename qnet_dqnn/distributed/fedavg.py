"""Federated averaging (McMahan et al., AISTATS 2017, Algorithm 1 "FederatedAveraging"), as used for QNNs by
Du, Qian & Tao's QUDIO (arXiv:2106.12819, 2021; the review, Sec. 5.3).

Per round ``r``:

1. the server picks ``m = max(⌈C·L⌉, 1)`` of the ``L`` clients at random (``client_fraction`` C; its own
   seeded stream) and sends each the global parameters θ_r: ``m`` messages of ``n·b`` bits;
2. each chosen client takes ``E`` (``local_steps``) optimizer steps on minibatches of its shard, each a
   gradient on its own QPU, starting from θ_r with a fresh optimizer state, and sends its parameters back:
   ``m`` messages of ``n·b`` bits;
3. the server averages the client parameters weighted by shard size, ``θ_{r+1} = Σ_k (n_k / n) θ_k``
   (:func:`~qnet_dqnn.distributed.aggregate.weighted_average`), over the clients that answered (with
   ``round_timeout_s``, those that answered in time); this is one update of the global model. A client
   that missed a round is still invited but not waited for until the server hears from it again.

``E`` counts local *steps* (minibatch gradient evaluations, Du et al.'s "local iterations"), not epochs as in
McMahan et al. With ``E = 1``, full batches and plain SGD the average of the client steps is exactly one
centralized gradient step on the union of the shards; over identical shards (``sharding: replicate``) it is
one centralized step for any optimizer.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import Field

from qnet_dqnn.distributed.aggregate import client_count, weighted_average
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.dataparallel import (
    DataParallelOptions,
    Mailboxes,
    Workers,
    central_node,
    data_parallel_problems,
    gather,
    setup_workers,
    wait_until_up,
    worker_names,
)
from qnet_dqnn.distributed.parameter_server import server_problems
from qnet_dqnn.distributed.qpu import NodeDown
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import register_strategy
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_ticks


class FedAvgOptions(DataParallelOptions):
    """Options of ``fedavg`` (and the common data-parallel ones).

    Attributes:
        local_steps: ``E``, optimizer steps each chosen client takes per round.
        client_fraction: ``C``, the fraction of clients chosen each round (at least one).
        server: the aggregating node (default: the topology's first controller, else its centre).
        round_timeout_s: how long the server waits for the clients' models (in s; None: for all of them).
    """

    type: Literal["fedavg"]
    local_steps: Annotated[int, Field(ge=1, le=10_000)] = 1
    client_fraction: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    server: Annotated[str, Field(min_length=1)] | None = None
    round_timeout_s: Annotated[float, Field(gt=0.0)] | None = None


@dataclass(frozen=True, slots=True)
class GlobalModel:
    """The server's θ_round sent to a chosen client."""

    round: int
    params: np.ndarray


@dataclass(frozen=True, slots=True)
class ClientModel:
    """A client's parameters after its local steps of round ``round``; ``samples`` is its shard size."""

    round: int
    worker: str
    params: np.ndarray
    samples: int


def _check(options: FedAvgOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    problems = data_parallel_problems(options, topology, spec)
    problems += server_problems(options.server, worker_names(options, topology), topology)
    if options.faults.any_dropout and options.round_timeout_s is None:
        problems.append(("round_timeout_s", "federated averaging needs a round timeout when clients drop out"))
    if options.server is not None and any(d.node == options.server for d in options.faults.dropout):
        problems.append(("faults.dropout", f"the server {options.server!r} cannot drop out"))
    return problems


def _is_client_model(payload: Any) -> bool:
    return isinstance(payload, ClientModel)


def _is_global(payload: Any) -> bool:
    return isinstance(payload, GlobalModel)


def _client(
    ctx: TrainingContext, name: str, server: str, mail: Mailboxes, workers: Workers, local_steps: int
) -> Generator[simpy.Event, Any, None]:
    env, qpu = ctx.network.env, workers.qpus[name]
    samples = len(workers.shards[name])
    while True:
        invitation = yield from mail.receive(name, _is_global)
        invitation = max([invitation, *mail.drain(name, _is_global)], key=lambda m: m.round)  # the newest
        params = invitation.params.copy()
        state = ctx.optimizer.init(params)
        try:
            for _ in range(local_steps):
                x, y = workers.next_batch[name]()
                _, grad = yield env.process(qpu.gradient(params, x, y))
                params, state = ctx.optimizer.step(params, grad, state)
        except NodeDown:
            if not (yield from wait_until_up(ctx, qpu)):
                return
            continue
        mail.post(name, server, ctx.message_bits, ClientModel(invitation.round, name, params, samples), "model")


@register_strategy(
    "fedavg",
    FedAvgOptions,
    "federated averaging: E local steps per round on a fraction C of clients (McMahan et al. 2017)",
    _check,
)
def fedavg(ctx: TrainingContext, options: FedAvgOptions) -> Generator[simpy.Event, Any, None]:
    """The server's process: choose clients, send θ, gather and average their models, until ``ctx.done``."""
    env = ctx.network.env
    workers = setup_workers(ctx, options)
    server = options.server or central_node(ctx, workers.names)
    mail = Mailboxes(ctx, is_down=workers.is_down)
    for name in workers.names:
        env.process(_client(ctx, name, server, mail, workers, options.local_steps))
    evaluator = workers.qpus[workers.names[0]]
    choose = component_rng(ctx.seed, "fedavg:clients")
    per_round = client_count(options.client_fraction, workers.count)
    timeout = None if options.round_timeout_s is None else to_ticks(options.round_timeout_s)
    params = ctx.init_params.copy()
    rnd, late, missing = 0, 0, 0
    suspected: set[str] = set()  # chosen clients that missed a round: invited, not waited for, until heard from
    while not ctx.done:
        if per_round == workers.count:
            chosen = list(workers.names)
        else:
            picks = sorted(choose.choice(workers.count, size=per_round, replace=False))
            chosen = [workers.names[i] for i in picks]
        for name in chosen:
            mail.post(server, name, ctx.message_bits, GlobalModel(rnd, params.copy()), "model")
        expected = [w for w in chosen if w not in suspected] or chosen
        replies, stale = yield from gather(mail, server, expected, rnd, _is_client_model, timeout, 1, allowed=chosen)
        late += len(stale)
        missing += len(chosen) - len(replies)
        suspected = (suspected | set(expected)) - set(replies) - {m.worker for m in stale}
        ordered = [replies[w] for w in chosen if w in replies]
        params = weighted_average([m.params for m in ordered], [m.samples for m in ordered])
        rnd += 1
        ctx.final_params = params
        ctx.record_update(params, evaluator)
    ctx.extra_metrics.update(
        {
            "rounds": float(rnd),
            "clients_per_round": float(per_round),
            "local_steps": float(options.local_steps),
            "late_models": float(late),
            "missing_models": float(missing),
            "lost_messages": float(mail.lost),
        }
    )
