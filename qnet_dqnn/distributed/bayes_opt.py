"""Parallel Bayesian optimisers of one QNN cost, sharing their evaluations through a common surrogate or not.

Self et al. (npj Quantum Inf. 7 (2021), arXiv:2103.16161; the review, Sec. 7.1, "information sharing") run
several Bayesian optimisers at once and let each use every optimiser's circuit evaluations. Here ``L`` QPU
workers minimise the same cost — the model's loss on a fixed evaluation batch of ``batch_size`` training
samples, estimated from the circuits' shots, one circuit per sample and no gradient — each from its own
starting point (its own random initialisation; :mod:`~qnet_dqnn.qml.bayesopt` for the surrogate):

- ``sharing: shared`` — the server holds one surrogate. A worker sends each evaluation ``(θ, C(θ))`` to it
  (``(n + 1)·b`` bits), the server adds it to the common observations, fits the GP on *all* of them and
  sends the worker its next point (``n·b`` bits): the candidate of lowest confidence bound in a box of
  half-side ``trust_radius`` around the best point any worker has found;
- ``sharing: independent`` — every worker fits its own GP on its own evaluations, around its own best point,
  and sends nothing (``L`` independent runs: the control).

A worker's first ``initial_points`` evaluations are its start and random points in the box around it. Each
evaluation arriving at the server (or made, when independent) is one update of the run; the run's model is
the best point evaluated so far by anyone (the experimenter's view), so ``max_steps`` counts evaluations and
two runs with the same ``max_steps`` spend the same circuits. Fitting the GP and choosing a point cost
classical time that is not charged here.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.dataparallel import Mailboxes, central_node
from qnet_dqnn.distributed.parameter_server import server_problems
from qnet_dqnn.distributed.qpu import QPU
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import qpu_node_problems, register_strategy
from qnet_dqnn.qml.bayesopt import SharedSurrogate, propose
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import TopologySpec


class BayesOptOptions(BaseModel):
    """Options of ``bayes_opt``.

    Attributes:
        nodes: the optimisers' QPUs (default: the first ``workers`` QPUs, or all of them).
        workers: how many QPUs when ``nodes`` is not given.
        sharing: ``shared`` (one surrogate at the server sees every evaluation) or ``independent``.
        server: the node holding the shared surrogate (default: the topology's controller, else its centre).
        initial_points: evaluations of each optimiser before its first surrogate-guided one (its start and
            random points around it).
        trust_radius: half-side of the box (in radians, per parameter) the next point is chosen in.
        candidates: random candidates scored per proposal.
        exploration: ``κ`` of the lower confidence bound ``μ − κσ``.
        surrogate_points: the GP is fitted on at most this many observations, those nearest the box's centre
            (a local surrogate; keeps each fit's cubic cost bounded).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    type: Literal["bayes_opt"]
    nodes: list[Annotated[str, Field(min_length=1)]] | None = None
    workers: Annotated[int, Field(ge=1)] | None = None
    sharing: Literal["shared", "independent"] = "shared"
    server: Annotated[str, Field(min_length=1)] | None = None
    initial_points: Annotated[int, Field(ge=1, le=1000)] = 3
    trust_radius: Annotated[float, Field(gt=0.0, le=math.pi)] = 0.5
    candidates: Annotated[int, Field(ge=1, le=100_000)] = 256
    exploration: Annotated[float, Field(ge=0.0)] = 1.0
    surrogate_points: Annotated[int, Field(ge=2, le=2000)] = 100


def _names(options: BayesOptOptions, topology: TopologySpec) -> list[str]:
    if options.nodes is not None:
        return list(options.nodes)
    qpus = [n.name for n in topology.nodes if n.kind == "qpu"]
    return qpus if options.workers is None else qpus[: options.workers]


def _check(options: BayesOptOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if options.nodes is not None and options.workers is not None:
        problems.append(("workers", "give either nodes or workers, not both"))
    names = _names(options, topology)
    qpus = [n.name for n in topology.nodes if n.kind == "qpu"]
    if options.nodes is None and options.workers is not None and options.workers > len(qpus):
        problems.append(("workers", f"the topology has {len(qpus)} qpu nodes; {options.workers} workers asked"))
    elif not names:
        problems.append(("", "the topology has no qpu node to optimise on"))
    problems += qpu_node_problems(topology, names, "nodes", spec.model.qubits)
    if len(set(names)) != len(names):
        problems.append(("nodes", "a node is named twice"))
    if options.sharing == "shared" and len(names) < 2:
        problems.append(
            (
                "sharing",
                f"information sharing needs at least two optimisers (got {len(names)}); "
                "use sharing: independent for one",
            )
        )
    problems += server_problems(options.server, names, topology)
    return problems


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A worker's cost estimate ``value`` at ``point``."""

    worker: str
    point: np.ndarray
    value: float


@dataclass(frozen=True, slots=True)
class Proposal:
    """The server's next point for a worker; ``stop`` ends it."""

    point: np.ndarray
    stop: bool = False


class _Run:
    """What the optimisers share in one run: the cost batch, the starts, the observations, the bookkeeping."""

    def __init__(self, ctx: TrainingContext, options: BayesOptOptions, names: list[str]) -> None:
        self.ctx, self.options, self.names = ctx, options, names
        order = component_rng(ctx.seed, "bayes_opt:cost_batch").permutation(len(ctx.dataset.x_train))
        self.batch = order[: min(ctx.spec.batch_size, len(order))]
        self.qpus: dict[str, QPU] = {name: ctx.qpu(name) for name in names}
        self.rngs = {name: component_rng(ctx.seed, f"bayes_opt:{name}") for name in names}
        self.starts = {
            name: ctx.init_params.copy() if i == 0 else ctx.model.init_params(self.rngs[name])
            for i, name in enumerate(names)
        }
        self.surrogate = SharedSurrogate()
        self.scale = options.trust_radius * math.sqrt(ctx.model.num_params)

    def evaluate(self, name: str, point: np.ndarray) -> Generator[simpy.Event, Any, float]:
        x, y = self.ctx.dataset.x_train[self.batch], self.ctx.dataset.y_train[self.batch]
        value = yield self.ctx.network.env.process(self.qpus[name].loss_estimate(point, x, y))
        return value

    def next_point(self, name: str, source: str | None) -> np.ndarray:
        """``name``'s next point from the surrogate of ``source``'s observations (None: everyone's)."""
        rng, o = self.rngs[name], self.options
        if self.surrogate.seen_from(name) < o.initial_points:
            start = self.starts[name]
            if self.surrogate.seen_from(name) == 0:
                return start
            return start + rng.uniform(-o.trust_radius, o.trust_radius, size=start.size)
        centre, _ = self.surrogate.best(source)
        gp = self.surrogate.surrogate(source, self.scale, centre, o.surrogate_points)
        return propose(gp, centre, o.trust_radius, o.candidates, o.exploration, rng)

    def record(self, name: str, point: np.ndarray, value: float) -> None:
        self.surrogate.observe(name, point, value)
        best, _ = self.surrogate.best()
        self.ctx.final_params = best
        self.ctx.record_update(best, self.qpus[self.names[0]])


def _independent(run: _Run, name: str) -> Generator[simpy.Event, Any, None]:
    """One optimiser alone: propose from its own observations, evaluate, repeat."""
    while not run.ctx.done:
        point = run.next_point(name, name)
        value = yield from run.evaluate(name, point)
        if run.ctx.done:  # another optimiser ended the run meanwhile
            return
        run.record(name, point, value)


def _shared_worker(run: _Run, name: str, server: str, mail: Mailboxes) -> Generator[simpy.Event, Any, None]:
    """Evaluate the point the server sent, report it, wait for the next one."""
    ctx = run.ctx
    point = run.next_point(name, None)  # the start needs no message
    n = ctx.model.num_params
    while True:
        value = yield from run.evaluate(name, point)
        mail.post(name, server, (n + 1) * ctx.spec.precision_bits, Evaluation(name, point, value), "evaluation")
        proposal = yield from mail.receive(name, lambda m: isinstance(m, Proposal))
        if proposal.stop:
            return
        point = proposal.point


@register_strategy(
    "bayes_opt",
    BayesOptOptions,
    "parallel Bayesian optimisers of one cost, sharing their evaluations or not (Self et al. 2021)",
    _check,
)
def bayes_opt(ctx: TrainingContext, options: BayesOptOptions) -> Generator[simpy.Event, Any, None]:
    """Start the optimisers; with sharing, run the server that holds the surrogate."""
    env = ctx.network.env
    names = _names(options, ctx.network.topology)
    run = _Run(ctx, options, names)
    ctx.extra_metrics["workers"] = float(len(names))
    if options.sharing == "independent":
        yield env.all_of([env.process(_independent(run, name)) for name in names])
    else:
        server = options.server or central_node(ctx, names)
        mail = Mailboxes(ctx)
        for name in names:
            env.process(_shared_worker(run, name, server, mail))
        bits = ctx.model.num_params * ctx.spec.precision_bits
        while True:
            message = yield from mail.receive(server, lambda m: isinstance(m, Evaluation))
            run.record(message.worker, message.point, message.value)
            if ctx.done:
                break
            mail.post(server, message.worker, bits, Proposal(run.next_point(message.worker, None)), "proposal")
        stops = [mail.post(server, w, bits, Proposal(np.zeros(0), stop=True), "proposal") for w in names]
        yield env.all_of(stops)  # workers still evaluating stop once they report (the run ends first)
    ctx.extra_metrics["evaluations"] = float(len(run.surrogate.values))
    for name in names:
        ctx.extra_metrics[f"evaluations_{name}"] = float(run.surrogate.seen_from(name))
    ctx.extra_metrics["best_observed_loss"] = min(run.surrogate.values) if run.surrogate.values else math.nan
