"""Federated averaging (McMahan et al., AISTATS 2017, Algorithm 1 "FederatedAveraging"), with the adaptive server
optimizers of Reddi et al. ("Adaptive Federated Optimization", ICLR 2021, arXiv:2003.00295) as options. Federated
training of QNNs: Chen & Yoo, Entropy 23, 460 (2021), arXiv:2103.12010; local iterations as in Du, Qian & Tao's
QUDIO, arXiv:2106.12819 (the review, Sec. 5.3).

Per round ``r``, in Flower's configure / fit / aggregate shape (``serverapp/strategy/fedavg.py``):

1. *configure*: the server picks ``m`` of the ``L`` clients (``client_fraction`` C, ``m = max(⌈C·L⌉, 1)``, or
   ``clients_per_round`` m; its own seeded stream) and sends each the global parameters θ_r: ``m`` messages
   of ``n·b`` bits;
2. *fit* (:func:`local_update`, pure): each chosen client takes ``E`` (``local_steps``) steps of its local
   optimizer on minibatches of its shard, starting from θ_r; each step is a gradient on its own QPU and holds
   that QPU for its time. The local optimizer is plain SGD, ``θ ← θ − η g`` (η: the workload optimizer's
   learning rate), unless ``local_optimizer: adam``; its state starts afresh every round (``local_state:
   reset``, McMahan et al.) or goes on from the client's previous round (``kept``: moments kept per client
   across rounds). The client sends its parameters back: ``m`` messages of ``n·b`` bits;
3. *aggregate* (pure, :mod:`~qnet_dqnn.distributed.aggregate`): the average of the client parameters weighted
   by shard size, ``θ̄ = Σ_k (n_k / n) θ_k``, over the clients that answered (with ``round_timeout_s``, the
   round's deadline, those that answered in time: stragglers are dropped from the round). Plain FedAvg takes
   ``θ_{r+1} = θ̄``; with ``server_optimizer`` the server takes a FedAdagrad / FedAdam / FedYogi step on the
   pseudo-gradient ``θ̄ − θ_r``. One round is one update of the global model. A client that missed a round is
   still invited but not waited for until the server hears from it again.

``E`` counts local *steps* (minibatch gradient evaluations, "local iterations"), not epochs as in McMahan et al.
With ``E = 1``, full batches, plain SGD and every client, the average of the client steps is exactly one
synchronous data-parallel gradient step on the union of the shards; over identical shards (``sharding:
replicate``) it is one centralized step for any local optimizer.

A client's local steps are a pure function of its job (:class:`LocalJob`: parameters, batches, optimizer state,
its own random stream for shots), so with a Dask scheduler (:mod:`~qnet_dqnn.distributed.executor`) the chosen
clients' numerics run on the cluster while the event simulation stays here, with the same bytes as a local run.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.distributed.aggregate import FedOptState, fedopt_init, fedopt_step, weighted_average
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
from qnet_dqnn.distributed.parameter_server import server_problems
from qnet_dqnn.distributed.qpu import NodeDown
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import register_strategy
from qnet_dqnn.qml import SGD, Adam, QNNModel
from qnet_dqnn.quantum import NoiseModel, QPUTiming, ShotTally
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_ticks


class ServerOptimizerSpec(BaseModel):
    """A server-side adaptive optimizer (Reddi et al., ICLR 2021, arXiv:2003.00295, Algorithm 2).

    Attributes:
        type: ``fedadagrad``, ``fedadam`` or ``fedyogi``.
        learning_rate: the server learning rate η (required: the paper tunes it per task, there is no default).
        beta1, beta2: moment decay rates (0.9 and 0.99, the values the paper fixes in its experiments, Sec. 5).
        tau: the adaptivity τ, which bounds the step's denominator away from 0 (the paper searches 1e-10 … 1;
            1e-3 here).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    type: Literal["fedadagrad", "fedadam", "fedyogi"]
    learning_rate: Annotated[float, Field(gt=0.0, le=10.0)]
    beta1: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.9
    beta2: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.99
    tau: Annotated[float, Field(gt=0.0, le=1.0)] = 1e-3


class FedAvgOptions(SampledOptions):
    """Options of ``fedavg`` (and the common and sampling ones, :class:`.dataparallel.SampledOptions`).

    Attributes:
        local_steps: ``E``, optimizer steps each chosen client takes per round.
        local_optimizer: ``sgd`` (plain SGD, the workload optimizer's learning rate and momentum) or ``adam``.
        local_state: ``reset`` (a fresh optimizer state every round) or ``kept`` (each client's state goes on
            across the rounds it takes part in).
        server_optimizer: None (plain FedAvg: the weighted average is the new model) or an adaptive one.
    """

    type: Literal["fedavg"]
    local_steps: Annotated[int, Field(ge=1, le=10_000)] = 1
    local_optimizer: Literal["sgd", "adam"] = "sgd"
    local_state: Literal["reset", "kept"] = "reset"
    server_optimizer: ServerOptimizerSpec | None = None


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


@dataclass(frozen=True)
class LocalJob:
    """Everything a client's local steps need (sent as is to a cluster).

    Attributes:
        model: the QNN.
        noise: the client QPU's noise model (None: ideal), timing: its gate times.
        shots: shots each circuit is estimated from (None: exact expectation values, ``estimator: exact``).
        stream: ``(seed, name)`` of the job's own random stream (shot sampling, trajectories).
        params: the global parameters θ_r the steps start from.
        batches: the ``E`` minibatches, in order.
        optimizer: the local optimizer; state: its state at the start (None: a fresh one).
    """

    model: QNNModel
    noise: NoiseModel | None
    timing: QPUTiming
    shots: int | None
    stream: tuple[int, str]
    params: np.ndarray
    batches: tuple[tuple[np.ndarray, np.ndarray], ...]
    optimizer: SGD | Adam
    state: Any


def local_update(job: LocalJob) -> tuple[np.ndarray, Any, ShotTally]:
    """ClientUpdate of McMahan et al. (Algorithm 1): ``E`` optimizer steps from θ_r.

    Value: (θ_k, final optimizer state, the circuits and shots the steps drew).
    """
    rng = component_rng(*job.stream)
    drawn = ShotTally()
    params = np.asarray(job.params, dtype=float).copy()
    state = job.optimizer.init(params) if job.state is None else job.state
    for x, y in job.batches:
        _, grad = job.model.loss_and_grad(
            params, x, y, noise=job.noise, timing=job.timing, shots=job.shots, rng=rng, tally=drawn
        )
        params, state = job.optimizer.step(params, np.asarray(grad, dtype=float), state)
    return params, state, drawn


def local_optimizer(ctx: TrainingContext, options: FedAvgOptions) -> SGD | Adam:
    """The clients' optimizer: its type from ``local_optimizer``, learning rate (and momentum) from the workload."""
    spec = ctx.spec.optimizer
    if options.local_optimizer == "adam":
        return Adam(lr=spec.learning_rate)
    return SGD(lr=spec.learning_rate, momentum=spec.momentum)


def _check(options: FedAvgOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    problems = data_parallel_problems(options, topology, spec)
    problems += sampling_problems(options, topology)
    problems += server_problems(options.server, worker_names(options, topology), topology)
    if options.faults.any_dropout and options.round_timeout_s is None:
        problems.append(("round_timeout_s", "federated averaging needs a round timeout when clients drop out"))
    if options.server is not None and any(d.node == options.server for d in options.faults.dropout):
        problems.append(("faults.dropout", f"the server {options.server!r} cannot drop out"))
    if "type" in spec.optimizer.model_fields_set and spec.optimizer.type != options.local_optimizer:
        problems.append(
            (
                "local_optimizer",
                f"the workload's optimizer is {spec.optimizer.type!r} but fedavg's clients step with local_optimizer "
                f"({options.local_optimizer!r}; plain SGD by default): set local_optimizer: {spec.optimizer.type} "
                "(local_state: kept keeps each client's moments across rounds), or optimizer.type: "
                f"{options.local_optimizer}",
            )
        )
    return problems


def _is_client_model(payload: Any) -> bool:
    return isinstance(payload, ClientModel)


def _is_global(payload: Any) -> bool:
    return isinstance(payload, GlobalModel)


def _client(
    ctx: TrainingContext,
    name: str,
    server: str,
    mail: Mailboxes,
    workers: Workers,
    options: FedAvgOptions,
    optimizer: SGD | Adam,
) -> Generator[simpy.Event, Any, None]:
    """A client's process: wait for θ, submit its local steps, hold its QPU for their time, send θ_k."""
    qpu = workers.qpus[name]
    samples = len(workers.shards[name])
    kept: Any = None  # the optimizer state carried across rounds (local_state: kept)
    while True:
        invitation = yield from mail.receive(name, _is_global)
        invitation = max([invitation, *mail.drain(name, _is_global)], key=lambda m: m.round)  # the newest
        batches = tuple(workers.next_batch[name]() for _ in range(options.local_steps))
        job = LocalJob(
            ctx.model,
            qpu.noise,
            qpu.timing,
            None if qpu.exact else qpu.shots,
            (ctx.seed, f"fedavg:local:{name}:{invitation.round}"),
            invitation.params,
            batches,
            optimizer,
            kept if options.local_state == "kept" else None,
        )
        handle = ctx.executor.submit(local_update, job)
        try:
            for x, _ in batches:
                yield ctx.network.env.process(qpu.occupy(len(x)))
        except NodeDown:  # the round's work is lost with the node
            if not (yield from wait_until_up(ctx, qpu)):
                return
            continue
        params, state, drawn = ctx.executor.result(handle)
        qpu.sampled.add(drawn)
        kept = state
        mail.post(name, server, ctx.message_bits, ClientModel(invitation.round, name, params, samples), "model")


def aggregate_round(
    params: np.ndarray,
    replies: list[ClientModel],
    server: ServerOptimizerSpec | None,
    state: FedOptState | None,
) -> tuple[np.ndarray, FedOptState | None]:
    """The server's update from the round's replies (pure): their weighted average, or a FedOpt step toward it."""
    average = weighted_average([m.params for m in replies], [m.samples for m in replies])
    if server is None:
        return average, None
    assert state is not None
    return fedopt_step(
        server.type,
        params,
        average,
        state,
        learning_rate=server.learning_rate,
        beta1=server.beta1,
        beta2=server.beta2,
        tau=server.tau,
    )


@register_strategy(
    "fedavg",
    FedAvgOptions,
    "federated averaging: E local steps per round on a sample of clients, optional FedAdam/FedYogi/FedAdagrad "
    "server (McMahan et al. 2017; Reddi et al. 2021)",
    _check,
)
def fedavg(ctx: TrainingContext, options: FedAvgOptions) -> Generator[simpy.Event, Any, None]:
    """The server's process: choose clients, send θ, gather and aggregate their models, until ``ctx.done``."""
    env = ctx.network.env
    workers = setup_workers(ctx, options)
    server = options.server or central_node(ctx, workers.names)
    mail = Mailboxes(ctx, is_down=workers.is_down)
    optimizer = local_optimizer(ctx, options)
    for name in workers.names:
        env.process(_client(ctx, name, server, mail, workers, options, optimizer))
    evaluator = workers.qpus[workers.names[0]]
    per_round = options.per_round(workers.count)
    choose = ClientSampler(ctx, workers.names, per_round, "fedavg:clients")
    timeout = None if options.round_timeout_s is None else to_ticks(options.round_timeout_s)
    params = ctx.init_params.copy()
    state = None if options.server_optimizer is None else fedopt_init(params, options.server_optimizer.tau)
    rnd, late, missing = 0, 0, 0
    suspected: set[str] = set()  # chosen clients that missed a round: invited, not waited for, until heard from
    while not ctx.done:
        chosen = choose()
        for name in chosen:
            mail.post(server, name, ctx.message_bits, GlobalModel(rnd, params.copy()), "model")
        expected = [w for w in chosen if w not in suspected] or chosen
        replies, stale = yield from gather(mail, server, expected, rnd, _is_client_model, timeout, 1, allowed=chosen)
        late += len(stale)
        missing += len(chosen) - len(replies)
        suspected = (suspected | set(expected)) - set(replies) - {m.worker for m in stale}
        rnd += 1
        if replies:
            answered = [replies[w] for w in chosen if w in replies]
            params, state = aggregate_round(params, answered, options.server_optimizer, state)
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
