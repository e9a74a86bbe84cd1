"""What the data-parallel strategies share: their common options, the workers and their shards, mailboxes.

Data parallelism (the review, Sec. 2.2.1 and 5): the training set is split over ``L`` QPU workers
(:mod:`~qnet_dqnn.distributed.sharding`, eq. (7)), each holding a full copy of the model; the workers
exchange gradients or parameters over the classical network. Each strategy module (parameter server, ring
all-reduce, asynchronous and stale-synchronous parameter server, federated averaging) builds on this one.

Messages are real: :class:`Mailboxes` sends each through :meth:`qnet_dqnn.net.Network.send` (store-and-forward
over the topology's paths, booked per link in the ledger) and drops it into the receiver's mailbox when it
arrives; a message that arrives at a node that is down is lost and counted. Waiting for a message is
recorded as a ``wait_message`` activity in the trace.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.distributed.aggregate import client_count, sample_clients
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.faults import FaultsSpec, apply_faults, fault_problems
from qnet_dqnn.distributed.qpu import QPU
from qnet_dqnn.distributed.sharding import ShardBy, dirichlet_shards, shard_indices
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import qpu_node_problems
from qnet_dqnn.quantum import gradient_cost
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds


class DataParallelOptions(BaseModel):
    """Options every data-parallel strategy has.

    Attributes:
        nodes: the worker QPUs, in ring order for ring all-reduce (default: the first ``workers`` QPUs of the
            topology, in file order).
        workers: how many QPUs to use when ``nodes`` is not given (default: all of them).
        sharding: ``equal`` (eq. (7) of the review), ``capacity`` (shard sizes proportional to each QPU's
            samples per second), ``replicate`` (every worker holds the whole set) or ``dirichlet`` (non-IID
            label skew of concentration ``dirichlet_alpha``, :func:`~qnet_dqnn.distributed.sharding.dirichlet_shards`).
        dirichlet_alpha: ``α`` > 0 of ``dirichlet`` sharding (0.1: a class or two per client; 100: nearly IID).
        client_shots: heterogeneous clients: worker ``k`` (in worker order) runs ``client_shots[k mod len]`` shots
            per circuit instead of the workload's (None: the workload's for all).
        faults: slow nodes, drop-outs and link outages (:mod:`~qnet_dqnn.distributed.faults`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    nodes: list[Annotated[str, Field(min_length=1)]] | None = None
    workers: Annotated[int, Field(ge=1)] | None = None
    sharding: ShardBy = "equal"
    dirichlet_alpha: Annotated[float, Field(gt=0.0, le=1e6)] | None = None
    client_shots: Annotated[list[Annotated[int, Field(ge=1, le=10**9)]], Field(min_length=1)] | None = None
    faults: FaultsSpec = FaultsSpec()


class SampledOptions(DataParallelOptions):
    """The options of a synchronous server that picks its clients each round (FedAvg, the parameter server).

    Attributes:
        client_fraction: ``C``, the fraction of workers chosen each round, ``m = max(⌈C·L⌉, 1)``.
        clients_per_round: ``m`` itself (give one of the two; neither: every worker, every round).
        server: the aggregating node (default: the topology's first controller, else its centre).
        round_timeout_s: the round's deadline: how long the server waits for replies after sending the model
            (in s; None: for all of them). Stragglers that miss it are dropped from the round.
    """

    client_fraction: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    clients_per_round: Annotated[int, Field(ge=1)] | None = None
    server: Annotated[str, Field(min_length=1)] | None = None
    round_timeout_s: Annotated[float, Field(gt=0.0)] | None = None

    def per_round(self, workers: int) -> int:
        """``m``, the workers chosen per round out of ``workers``."""
        if self.clients_per_round is not None:
            return min(self.clients_per_round, workers)
        return client_count(self.client_fraction if self.client_fraction is not None else 1.0, workers)


def sampling_problems(options: SampledOptions, topology: TopologySpec) -> list[tuple[str, str]]:
    """Problems with client sampling: both ways given, or more clients per round than workers."""
    problems: list[tuple[str, str]] = []
    if options.client_fraction is not None and options.clients_per_round is not None:
        problems.append(("clients_per_round", "give either client_fraction or clients_per_round, not both"))
    count = len(worker_names(options, topology))
    if options.clients_per_round is not None and count and options.clients_per_round > count:
        problems.append(("clients_per_round", f"the run has {count} workers; {options.clients_per_round} asked"))
    return problems


class ClientSampler:
    """Draws each round's clients from its own random stream (:func:`.aggregate.sample_clients`)."""

    def __init__(self, ctx: TrainingContext, names: list[str], per_round: int, stream: str) -> None:
        self.names = names
        self.per_round = per_round
        self.rng = component_rng(ctx.seed, stream)

    def __call__(self) -> list[str]:
        """The next round's clients, in worker order."""
        return [self.names[i] for i in sample_clients(self.rng, len(self.names), self.per_round)]


def worker_names(options: DataParallelOptions, topology: TopologySpec) -> list[str]:
    """The workers the options name (explicit ``nodes``, or the first ``workers`` QPUs)."""
    if options.nodes is not None:
        return list(options.nodes)
    qpus = [n.name for n in topology.nodes if n.kind == "qpu"]
    return qpus if options.workers is None else qpus[: options.workers]


def data_parallel_problems(
    options: DataParallelOptions, topology: TopologySpec, spec: TrainSpec
) -> list[tuple[str, str]]:
    """Problems with the common options: unknown or duplicate workers, too few QPUs, faults that do not fit."""
    problems: list[tuple[str, str]] = []
    if options.nodes is not None and options.workers is not None:
        problems.append(("workers", "give either nodes or workers, not both"))
    names = worker_names(options, topology)
    if options.nodes is not None:
        problems += qpu_node_problems(topology, names, "nodes", spec.model.qubits)
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                problems.append((f"nodes[{i}]", f"node {name!r} is named twice"))
            seen.add(name)
    else:
        qpus = [n.name for n in topology.nodes if n.kind == "qpu"]
        if not qpus:
            problems.append(("", "the topology has no qpu node to train on"))
        elif options.workers is not None and options.workers > len(qpus):
            problems.append(("workers", f"the topology has {len(qpus)} qpu nodes; {options.workers} workers asked"))
        else:
            problems += qpu_node_problems(topology, names, "nodes", spec.model.qubits)
    if options.sharding == "dirichlet" and options.dirichlet_alpha is None:
        problems.append(("dirichlet_alpha", "sharding: dirichlet needs its concentration dirichlet_alpha (> 0)"))
    if options.sharding != "dirichlet" and options.dirichlet_alpha is not None:
        problems.append(("dirichlet_alpha", f"only used with sharding: dirichlet (sharding is {options.sharding!r})"))
    if names:
        training = spec.dataset.training_samples
        if options.sharding != "replicate" and training < len(names):
            problems.append(("sharding", f"{training} training samples cannot be split over {len(names)} workers"))
    problems += fault_problems(options.faults, topology, names)
    return problems


def samples_per_second(qpu: QPU) -> float:
    """A worker's capacity: training samples whose gradient its QPU evaluates per second (no faults)."""
    cost = gradient_cost(qpu.model.circuit, 1, qpu.shots, qpu.timing)
    return 1.0 / max(to_seconds(cost.qpu_ticks), 1e-12)


@dataclass
class Workers:
    """The run's workers: names, QPUs, shards and minibatch sources.

    Attributes:
        names: worker node names, in order.
        qpus: name -> QPU worker (faults applied).
        shards: name -> indices of the training set the worker holds.
        next_batch: name -> an endless minibatch source over its shard.
        batch_sizes: name -> samples per minibatch (``min(batch_size, shard size)``).
    """

    names: list[str]
    qpus: dict[str, QPU]
    shards: dict[str, np.ndarray]
    next_batch: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]]
    batch_sizes: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """``L``, the number of workers."""
        return len(self.names)

    def is_down(self, node: str, tick: int) -> bool:
        """True if ``node`` is a worker in an outage at ``tick`` (a message arriving then is lost)."""
        return node in self.qpus and self.qpus[node].down_at(tick)


def setup_workers(ctx: TrainingContext, options: DataParallelOptions) -> Workers:
    """Create the workers, apply the faults, shard the training set, and make the minibatch sources."""
    names = worker_names(options, ctx.network.topology)
    qpus = {name: ctx.qpu(name) for name in names}
    if options.client_shots is not None:
        for k, name in enumerate(names):
            qpus[name].set_shots(options.client_shots[k % len(options.client_shots)])
    apply_faults(ctx, options.faults)
    if options.sharding == "dirichlet":
        assert options.dirichlet_alpha is not None  # checked with the options
        rng = component_rng(ctx.seed, "sharding:dirichlet")
        pieces = dirichlet_shards(ctx.dataset.y_train, len(names), options.dirichlet_alpha, rng)
    else:
        capacities = [samples_per_second(qpus[name]) for name in names]
        pieces = shard_indices(len(ctx.dataset.x_train), capacities, options.sharding)
    shards = dict(zip(names, pieces, strict=True))
    # one stream per worker, shared by all data-parallel strategies: the same seed gives every scheme the same
    # minibatches, so schemes differ only in how they combine them
    next_batch = {name: ctx.batches(f"data_parallel:{name}", shards[name]) for name in names}
    sizes = {name: min(ctx.spec.batch_size, len(shards[name])) for name in names}
    ctx.extra_metrics["workers"] = float(len(names))
    return Workers(names, qpus, shards, next_batch, sizes)


class Mailboxes:
    """One mailbox per node; messages travel over the simulated network into them.

    Args:
        ctx: the training context (its network carries the messages).
        is_down: ``is_down(node, tick)``: True if a message arriving at ``node`` now is lost.
    """

    def __init__(self, ctx: TrainingContext, is_down: Callable[[str, int], bool] | None = None) -> None:
        self.network = ctx.network
        self.env = ctx.network.env
        self.is_down = is_down or (lambda _node, _tick: False)
        self.boxes: dict[str, simpy.FilterStore] = {}
        self.lost = 0
        self.local = 0

    def box(self, node: str) -> simpy.FilterStore:
        """The mailbox of ``node`` (created on first use)."""
        if node not in self.boxes:
            self.boxes[node] = simpy.FilterStore(self.env)
        return self.boxes[node]

    def post(self, src: str, dst: str, bits: int, payload: Any, kind: str) -> simpy.Process:
        """Send ``payload`` (``bits`` on the wire) from ``src`` to ``dst``; a process ending at delivery.

        A message to oneself is handed over at once and never touches the network.
        """
        return self.env.process(self._carry(src, dst, bits, payload, kind))

    def _carry(self, src: str, dst: str, bits: int, payload: Any, kind: str) -> Generator[simpy.Event, Any, bool]:
        if src == dst:
            self.local += 1
            yield self.box(dst).put(payload)
            return True
        yield self.network.send(src, dst, bits, payload, kind)
        if self.is_down(dst, self.network.now):
            self.lost += 1
            return False
        yield self.box(dst).put(payload)
        return True

    def receive(
        self, node: str, match: Callable[[Any], bool] | None = None, deadline_tick: int | None = None
    ) -> Generator[simpy.Event, Any, Any]:
        """Process: wait for the next payload at ``node`` (that ``match`` accepts); None if the deadline passes.

        The wait is recorded as a ``wait_message`` activity of ``node``.
        """
        start = self.network.now
        get = self.box(node).get(match) if match is not None else self.box(node).get()
        if deadline_tick is None:
            payload = yield get
        else:
            timer = self.env.timeout(max(deadline_tick - self.network.now, 0))
            fired = yield get | timer
            if get in fired:
                payload = fired[get]
            else:
                get.cancel()
                payload = None
        self.network.trace.activity(node, "wait_message", start, self.network.now)
        return payload

    def drain(self, node: str, match: Callable[[Any], bool]) -> list[Any]:
        """Take every payload waiting at ``node`` that ``match`` accepts, without waiting."""
        store = self.box(node)
        taken = [item for item in store.items if match(item)]
        for item in taken:
            store.items.remove(item)
        return taken


def wait_until_up(ctx: TrainingContext, qpu: QPU) -> Generator[simpy.Event, Any, bool]:
    """Process: wait until ``qpu``'s node is up again; value False if it never comes back."""
    back = qpu.up_again_at(ctx.network.now)
    if back is None:
        return False
    if back > ctx.network.now:
        yield ctx.network.env.timeout(back - ctx.network.now)
    return True


def central_node(ctx: TrainingContext, workers: list[str]) -> str:
    """The default server: the topology's first ``controller`` node, else the node with the least total
    message delay to the workers (the graph's centre; ties go to the node listed first)."""
    nodes = ctx.network.topology.nodes
    controllers = [n.name for n in nodes if n.kind == "controller"]
    if controllers:
        return controllers[0]
    net, bits = ctx.network, ctx.message_bits
    return min((n.name for n in nodes), key=lambda c: sum(net.path_delay_ticks(c, w, bits) for w in workers))


def gather(
    mail: Mailboxes,
    node: str,
    expected: list[str],
    rnd: int,
    match: Callable[[Any], bool],
    timeout_ticks: int | None,
    min_replies: int,
    allowed: list[str] | None = None,
) -> Generator[simpy.Event, Any, tuple[dict[str, Any], list[Any]]]:
    """Process: collect round ``rnd``'s replies (payloads with ``.round`` and ``.worker``).

    Waits until every worker in ``expected`` has replied or, with ``timeout_ticks``, until the timeout has
    passed and at least ``min_replies`` replies arrived. Replies of this round from other workers in
    ``allowed`` (default: ``expected``) are taken too; replies of earlier rounds are set aside.

    Value: (replies by worker, the set-aside payloads).
    """
    allowed = expected if allowed is None else allowed
    deadline = None if timeout_ticks is None else mail.network.now + timeout_ticks
    replies: dict[str, Any] = {}
    stale: list[Any] = []
    while not set(expected) <= set(replies):
        wait_until = deadline if len(replies) >= min_replies else None
        message = yield from mail.receive(node, match, wait_until)
        if message is None:
            break
        if message.round != rnd or message.worker not in allowed:
            stale.append(message)
            continue
        replies[message.worker] = message
    return replies, stale
