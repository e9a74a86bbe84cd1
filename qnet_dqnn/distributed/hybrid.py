"""The ``hybrid`` strategy: data parallelism over L groups of QPUs, each group one split replica of the model.

The review's hybrid of data and model parallelism (Pira & Ferrie 2023, Sec. 2.2 and 6): the model circuit is
too wide for one QPU, so each of ``L`` groups of QPUs holds one replica split over its members — coherently
(:class:`~qnet_dqnn.distributed.coherent.CoherentReplica`: telegates over shared pairs) or incoherently
(:class:`~qnet_dqnn.distributed.cut.CutReplica`: circuit cutting) — and the training set is sharded over the
groups (eq. (7) of the review, :mod:`~qnet_dqnn.distributed.sharding`). Per round:

1. every group evaluates the gradient of its minibatch through its split (pairs, shots, sub-experiments:
   whatever its replica pays), all groups at the same time on the one network, so they compete for the
   links and memories they share;
2. each group's home node sends the gradient to the server: one message of ``n·b`` bits;
3. the server averages the gradients it got, weighted by their samples
   (:func:`~qnet_dqnn.distributed.aggregate.weighted_average`: the mean gradient of the union of the
   batches, as a synchronous parameter server — Dean et al., NeurIPS 2012), takes one optimizer step and
   sends the parameters to every home node (``n·b`` bits each); the next round starts when all have them.

The recorded loss and accuracy curves are those of group 0's split (its evaluator, with its pairs' noise).
Pair supply: every coherent group's shots take their pairs from the network's one pair timeline
(:mod:`qnet_dqnn.net.timeline`), all groups' demands of a round scheduled together, so groups that share a
link or a repeater's memory share its pairs under the replicas' ``contention`` policy (``fcfs`` by due time,
or ``round_robin``): a shared slow link slows every group that uses it, exactly (purified pairs too, when the
coherent replica asks for ``purification``: their rounds' pairs are the groups' demands). A group whose step fails
(a coherent replica's node is down) contributes no gradient that round; if one of its nodes never comes back
the run ends. With every group's
batch its whole shard and exact replicas (perfect pairs, exact cut enumeration), the trajectory is that of
single-QPU full-batch training on the union.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qnet_dqnn.config import validation_problems
from qnet_dqnn.distributed.aggregate import weighted_average
from qnet_dqnn.distributed.coherent import CoherentReplica
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.cut import CutReplica
from qnet_dqnn.distributed.dataparallel import central_node
from qnet_dqnn.distributed.replica import SplitReplica
from qnet_dqnn.distributed.sharding import shard_indices
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import STRATEGIES, qpu_node_problems, register_strategy
from qnet_dqnn.topology import TopologySpec

#: The split strategies a group can run, by their YAML ``type``.
REPLICAS: dict[str, type[CoherentReplica] | type[CutReplica]] = {"coherent": CoherentReplica, "cut": CutReplica}

#: Metrics of the replicas that add up over groups (the others are averaged).
SUMMED = (
    "pairs_consumed",
    "telegates",
    "teleports",
    "failed_steps",
    "failed_shots",
    "feedforward_messages",
    "purified_pairs",
    "purification_rounds",
    "purification_successes",
)


class HybridOptions(BaseModel):
    """Options of the ``hybrid`` strategy.

    Attributes:
        replica: the split each group runs: ``{type: coherent, ...}`` or ``{type: cut, ...}`` with that
            strategy's options, except ``nodes`` (the groups give them).
        groups: the QPUs of each group (default: the topology's QPUs in file order, cut into ``replicas``
            consecutive groups of equal size; the QPU count must divide evenly).
        replicas: ``L``, the number of groups when ``groups`` is not given.
        server: the node that averages the gradients (default: the topology's first controller, else the node
            with the least total delay to the groups' home nodes).
        sharding: ``equal`` (consecutive shards, eq. (7) of the review) or ``replicate`` (every group holds the
            whole training set).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    type: Literal["hybrid"]
    replica: dict[str, Any]
    groups: Annotated[list[list[Annotated[str, Field(min_length=1)]]], Field(min_length=1)] | None = None
    replicas: Annotated[int, Field(ge=1, le=1000)] = 2
    server: Annotated[str, Field(min_length=1)] | None = None
    sharding: Literal["equal", "replicate"] = "equal"


def groups_of(options: HybridOptions, topology: TopologySpec) -> list[list[str]]:
    """The groups the options name, or the topology's QPUs cut into ``replicas`` consecutive equal groups."""
    if options.groups is not None:
        return [list(g) for g in options.groups]
    qpus = [n.name for n in topology.nodes if n.kind == "qpu"]
    size = len(qpus) // options.replicas
    return [qpus[i * size : (i + 1) * size] for i in range(options.replicas)]


def _replica_options(options: HybridOptions) -> BaseModel:
    kind = options.replica["type"]
    return STRATEGIES[kind].options.model_validate(options.replica)


def _check(options: HybridOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    """Problems: an unknown replica type or bad replica options, groups that overlap or name unknown nodes,
    too few QPUs, an unknown server, and each group's own split problems (``groups[i]: ...``)."""
    kind = options.replica.get("type")
    if not isinstance(kind, str) or kind not in REPLICAS:
        known = ", ".join(repr(k) for k in REPLICAS)
        return [("replica.type", f"a group runs a split replica: one of {known} (got {kind!r})")]
    if "nodes" in options.replica:
        return [("replica.nodes", "the groups give each replica its nodes: set groups, not replica.nodes")]
    try:
        inner = _replica_options(options)
    except ValidationError as exc:
        return validation_problems(exc, prefix="replica")
    if options.groups is not None and "replicas" in options.model_fields_set:
        return [("replicas", "give either groups or replicas, not both")]
    groups = groups_of(options, topology)
    qpus = [n.name for n in topology.nodes if n.kind == "qpu"]
    if options.groups is None and len(qpus) < options.replicas:
        return [("replicas", f"the topology has {len(qpus)} qpu nodes; {options.replicas} groups asked")]
    if options.groups is None and len(qpus) % options.replicas:
        return [("replicas", f"{len(qpus)} qpu nodes do not split into {options.replicas} equal groups: give groups")]
    problems: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for i, group in enumerate(groups):
        if not group:
            problems.append((f"groups[{i}]", "a group needs at least one qpu"))
        problems += qpu_node_problems(topology, group, f"groups[{i}]", 1)
        for j, name in enumerate(group):
            if name in seen:
                problems.append((f"groups[{i}][{j}]", f"node {name!r} is already in groups[{seen[name]}]"))
            seen.setdefault(name, i)
    known = [n.name for n in topology.nodes]
    if options.server is not None and options.server not in known:
        problems.append(("server", f"unknown node {options.server!r} (known: {', '.join(known)})"))
    training = spec.dataset.training_samples
    if options.sharding == "equal" and training < len(groups):
        problems.append(("sharding", f"{training} training samples cannot be split over {len(groups)} groups"))
    if problems:
        return problems
    check = STRATEGIES[kind].check
    for i, group in enumerate(groups):
        scoped = inner.model_copy(update={"nodes": group})
        for path, reason in check(scoped, topology, spec) if check is not None else []:
            if path in ("", "nodes"):
                problems.append((f"groups[{i}]", reason))
            else:
                problems.append((f"replica.{path}", f"in group {i}: {reason}"))
    return problems


def combine_metrics(per_replica: list[dict[str, float]]) -> dict[str, float]:
    """The replicas' metrics as one set: counts in :data:`SUMMED` added up, the others averaged."""
    keys = [k for k in per_replica[0] if all(k in m for m in per_replica)]
    return {
        k: float(np.sum([m[k] for m in per_replica]) if k in SUMMED else np.mean([m[k] for m in per_replica]))
        for k in keys
    }


def _group_round(
    ctx: TrainingContext, replica: SplitReplica, params: np.ndarray, x: np.ndarray, y: np.ndarray, server: str
) -> Generator[simpy.Event, Any, np.ndarray | None]:
    """Process: one group's gradient through its split, then sent from its home to the server."""
    grad = yield from replica.step(params, x, y)
    if grad is not None and replica.home != server:
        yield ctx.network.send(replica.home, server, ctx.message_bits, kind="gradient")
    return grad


@register_strategy(
    "hybrid",
    HybridOptions,
    "data parallelism over groups of QPUs, each group a coherently split or cut replica of the model "
    "(the review, Sec. 2.2 and 6)",
    _check,
)
def hybrid(ctx: TrainingContext, options: HybridOptions) -> Generator[simpy.Event, Any, None]:
    """The server's process: per round every group's gradient in parallel, averaged, one update, broadcast."""
    network, env = ctx.network, ctx.network.env
    groups = groups_of(options, network.topology)
    inner = _replica_options(options)
    replicas: list[SplitReplica] = [
        REPLICAS[inner.type](ctx, inner, nodes=g, name=f"hybrid:{i}") for i, g in enumerate(groups)
    ]
    server = options.server or central_node(ctx, [r.home for r in replicas])
    shards = shard_indices(len(ctx.dataset.x_train), [1.0] * len(groups), options.sharding)
    next_batch = [ctx.batches(f"hybrid:{i}", shard) for i, shard in enumerate(shards)]
    params = ctx.init_params.copy()
    state = ctx.optimizer.init(params)
    rounds, missing = 0, 0
    while not ctx.done:
        start = network.now
        batches = [draw() for draw in next_batch]
        procs = [
            env.process(_group_round(ctx, r, params, x, y, server)) for r, (x, y) in zip(replicas, batches, strict=True)
        ]
        yield env.all_of(procs)
        rounds += 1
        got = [(p.value, len(x)) for p, (x, _) in zip(procs, batches, strict=True) if p.value is not None]
        missing += len(replicas) - len(got)
        if any(r.stopped for r in replicas):
            break
        if not got:
            if network.now == start:  # nothing ran and no time passed: the groups cannot make progress
                break
            continue
        grad = weighted_average([g for g, _ in got], [n for _, n in got])
        params, state = ctx.optimizer.step(params, grad, state)
        ctx.final_params = params
        sends = [network.send(server, r.home, ctx.message_bits, kind="params") for r in replicas if r.home != server]
        yield env.all_of(sends)
        ctx.record_update(params, replicas[0].evaluator)
    ctx.final_params = params
    ctx.extra_metrics.update(combine_metrics([r.metrics(params) for r in replicas]))
    ctx.extra_metrics.update(
        {"replicas": float(len(replicas)), "rounds": float(rounds), "missing_gradients": float(missing)}
    )
