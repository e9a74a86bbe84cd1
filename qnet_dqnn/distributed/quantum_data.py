"""Quantum data: the training set is prepared at a source node and teleported, sample by sample, to its worker.

When the dataset is quantum (``tfim_phases``: one ``n``-qubit state vector per sample) and the ``train``
workload names a ``quantum_data: {source: node}``, a data-distribution phase runs before training. For every
training sample, the worker that trains on it (the strategy's sharding: eq. (7) of the review for the
data-parallel strategies, the one node for ``single``) receives it by teleportation (Bennett et al., PRL 70,
1895 (1993)), one qubit at a time:

- one end-to-end pair per qubit between the source and the worker, from the entanglement service
  (:func:`~qnet_dqnn.net.entanglement.request_pairs`, fidelity from the path: link sources, swaps at the
  repeaters, memory decoherence); waiting for it is a ``wait_pairs`` activity of the worker;
- the source's Bell measurement consumes the pair (after the node's BSM time) and the 2 outcome bits go to
  the worker through :meth:`~qnet_dqnn.net.Network.send`; the qubit is usable once they have arrived and
  one 1q correction gate has run;
- over a Bell-diagonal pair with coefficients ``c`` teleportation is the Pauli channel
  ``(p_I, p_X, p_Z, p_Y) = c`` (:func:`~qnet_dqnn.physics.teleportation.teleportation_pauli_channel`); each
  teleported qubit arrives with ONE Pauli error drawn from it (one trajectory of the channel: a single copy
  of a state sees one random residual correction error, not the average), applied to the state vector.

**To a coherent split** (strategy ``coherent``), a sample has no one worker: qubit ``q`` goes to the node that
holds model qubit ``q`` in the split's partition (:func:`~qnet_dqnn.distributed.coherent.plan_partition`, the
placement the strategy then trains on), one end-to-end pair and 2 bits per qubit as above, the Pauli error drawn
the same way (:func:`distribute_split`). The split's links are driven by the network's pair timeline
(:mod:`qnet_dqnn.net.timeline`; a link is the timeline's or the event path's in a run, never both), so this
delivery takes its pairs there too: one demand of the samples' qubits in order (the source's Bell measurements
one after another, a use stalling when its pair is not there), each pair's state from its own ages. The nodes
hold the delivered qubits as data from then on (their pairs' budget shrinks by them, as the split's does).

Samples are moved, never copied: the source hands each state out once (:class:`SampleSource`; a second
request raises :class:`~qnet_dqnn.errors.ProtocolError`), and an assignment that would send one sample to two
workers (``sharding: replicate``) is refused. Training then sees the degraded states: the delivered state of
training sample ``i`` replaces ``x_train[i]`` (each index belongs to exactly one worker's shard). The
validation set is the experimenter's and stays ideal.

Booked: pairs consumed (ledger, by :meth:`~qnet_dqnn.net.Network.consume_pair`), one teleport per qubit at
the source, the 2-bit messages; metrics ``quantum_data_*`` (pairs, teleports, phase duration, mean pair
fidelity, mean delivered-state fidelity). Left out: the receiving qubit's memory decoherence while the 2 bits
travel (microseconds to a millisecond here) and the source's own preparation time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from qnet_dqnn.distributed.coherent.options import CoherentOptions, plan_partition
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.dataparallel import DataParallelOptions, samples_per_second, worker_names
from qnet_dqnn.distributed.sharding import shard_indices
from qnet_dqnn.distributed.spec import build_model
from qnet_dqnn.distributed.strategies import STRATEGIES
from qnet_dqnn.errors import NoRouteError, ProtocolError, QnetError
from qnet_dqnn.net import Network
from qnet_dqnn.net.entanglement import bsm_duration_ticks, fidelity_of, oriented, request_pairs
from qnet_dqnn.net.routing import quantum_path
from qnet_dqnn.net.timeline import Contention, Demand, PairTimeline
from qnet_dqnn.net.timeline.paths import classical_delay_ticks
from qnet_dqnn.physics.density import bell_coefficients
from qnet_dqnn.physics.teleportation import teleportation_pauli_channel
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds, to_ticks

#: The Paulis in the channel's (I, X, Z, Y) order (index x + 2z).
_PAULIS = (
    np.eye(2, dtype=complex),
    np.array([[0, 1], [1, 0]], dtype=complex),
    np.array([[1, 0], [0, -1]], dtype=complex),
    np.array([[0, -1j], [1j, 0]], dtype=complex),
)


class SampleSource:
    """The source node's prepared samples: each state can be taken out (teleported away) exactly once."""

    def __init__(self, node: str, states: np.ndarray) -> None:
        self.node = node
        self._states = {i: np.asarray(s, dtype=complex) for i, s in enumerate(states)}
        self.sent_to: dict[int, str] = {}

    def take(self, index: int, worker: str) -> np.ndarray:
        """Hand sample ``index`` over for teleportation to ``worker``; the source's copy is gone."""
        if index in self.sent_to:
            raise ProtocolError(
                f"sample {index} was already teleported from {self.node!r} to {self.sent_to[index]!r}: "
                f"it cannot go to {worker!r} too (no cloning)"
            )
        self.sent_to[index] = worker
        return self._states.pop(index)


@dataclass
class QuantumDataReport:
    """What the distribution phase did.

    Attributes:
        source: the source node.
        delivered: training index -> the state the worker holds (degraded by its qubits' Pauli errors).
        owner: training index -> the worker it went to (for a split: its nodes joined by ``+``).
        errors: training index -> the Pauli drawn for each qubit (0 I, 1 X, 2 Z, 3 Y).
        pair_fidelities: Bell fidelity of every pair consumed, in consumption order.
        state_fidelities: training index -> ``|<psi|psi'>|^2`` of the delivered state (experimenter's view).
        pairs: pairs consumed; teleports: qubits teleported.
        started_tick, finished_tick: the phase's span.
        layout: for a split (:func:`distribute_split`), the node each qubit went to; None otherwise.
    """

    source: str
    delivered: dict[int, np.ndarray] = field(default_factory=dict)
    owner: dict[int, str] = field(default_factory=dict)
    errors: dict[int, list[int]] = field(default_factory=dict)
    pair_fidelities: list[float] = field(default_factory=list)
    state_fidelities: dict[int, float] = field(default_factory=dict)
    pairs: int = 0
    teleports: int = 0
    started_tick: int = 0
    finished_tick: int = 0
    layout: tuple[str, ...] | None = None


def apply_pauli_errors(state: np.ndarray, errors: list[int]) -> np.ndarray:
    """``state`` (``2**n`` amplitudes, qubit 0 most significant) with Pauli ``errors[q]`` applied to qubit q."""
    n = len(errors)
    psi = np.asarray(state, dtype=complex).reshape((2,) * n)
    for q, k in enumerate(errors):
        if k:
            psi = np.moveaxis(np.tensordot(_PAULIS[k], psi, axes=([1], [q])), 0, q)
    return psi.reshape(-1)


def check_assignment(assignment: dict[str, np.ndarray], total: int) -> None:
    """Raise ProtocolError if a sample would be teleported to two workers; QnetError on a bad index."""
    seen: dict[int, str] = {}
    for worker, indices in assignment.items():
        for i in (int(v) for v in indices):
            if not 0 <= i < total:
                raise QnetError(f"sample index {i} is out of range [0, {total})")
            if i in seen:
                raise ProtocolError(
                    f"sample {i} would be teleported to both {seen[i]!r} and {worker!r}: quantum data cannot be "
                    "copied (use disjoint shards, not sharding: replicate)"
                )
            seen[i] = worker


def _state_vectors(states: np.ndarray) -> tuple[np.ndarray, int]:
    """``states`` as complex state vectors, and their qubit count; QnetError unless ``2**n`` amplitudes each."""
    states = np.asarray(states, dtype=complex)
    if states.ndim != 2 or states.shape[1] < 2 or states.shape[1] & (states.shape[1] - 1):
        raise QnetError(f"quantum data must be state vectors of 2**n amplitudes (got shape {states.shape})")
    return states, int(states.shape[1]).bit_length() - 1


def distribute(
    network: Network,
    source: str,
    states: np.ndarray,
    assignment: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> Generator[simpy.Event, Any, QuantumDataReport]:
    """Process: teleport sample ``i`` of ``states`` to the worker whose ``assignment`` holds ``i``.

    Workers take turns (one sample's ``n`` pairs at a time, first come first served); each worker's samples
    go in order, qubit by qubit; the outcome bits of a sample travel while the next sample's pairs come.
    Value: a :class:`QuantumDataReport`.
    """
    states, qubits = _state_vectors(states)
    check_assignment(assignment, len(states))
    samples = SampleSource(source, states)
    report = QuantumDataReport(source, started_tick=network.now)
    env = network.env
    # one stream per worker, so the errors one worker draws do not depend on how the others' pairs interleave
    # the source serves one sample's request at a time (round robin over the workers, FIFO): concurrent
    # requests that share the source's link can each hold half of what the other needs
    lock = simpy.Resource(env, capacity=1)
    procs = [
        env.process(_to_worker(network, samples, worker, indices, qubits, rng.spawn(1)[0], report, lock))
        for worker, indices in assignment.items()
    ]
    yield env.all_of(procs)
    report.finished_tick = network.now
    return report


def distribute_split(
    network: Network,
    source: str,
    states: np.ndarray,
    layout: Sequence[str],
    rng: np.random.Generator,
    contention: Contention = "fcfs",
) -> Generator[simpy.Event, Any, QuantumDataReport]:
    """Process: teleport qubit ``q`` of every sample of ``states`` from ``source`` to node ``layout[q]``.

    One demand on the network's pair timeline: the samples in order, each sample's qubits in order (those
    already at ``source`` stay), one end-to-end pair per qubit between ``source`` and its node, the source's
    Bell measurements one after another (a use needs its pair one BSM time after the previous use got its own;
    one that finds none stalls, and the rest move with it). The phase ends when the last qubit's 2 outcome
    bits have arrived and its correction has run. Each qubit arrives with one Pauli error drawn from its pair's
    Bell coefficients (:func:`~qnet_dqnn.physics.teleportation.teleportation_pauli_channel`), in use order.
    The nodes hold their delivered qubits as data from the start (:meth:`~qnet_dqnn.net.Network.reserve_data_qubits`).
    Value: a :class:`QuantumDataReport` (``layout`` set, ``owner`` the nodes joined by ``+``).
    """
    states, qubits = _state_vectors(states)
    layout = tuple(layout)
    if len(layout) != qubits:
        raise QnetError(f"the layout places {len(layout)} qubits; the samples have {qubits}")
    topology = network.topology
    for node, count in Counter(layout).items():  # the delivered qubits are data there from now on
        network.reserve_data_qubits(node, count)
    label = "+".join(dict.fromkeys(layout))
    samples = SampleSource(source, states)
    report = QuantumDataReport(source, started_tick=network.now, layout=layout)
    moved = [q for q in range(qubits) if layout[q] != source]
    errors = np.zeros((len(states), qubits), dtype=np.int64)
    if moved and len(states):
        timeline = PairTimeline.of(network, contention)
        nodes = list(dict.fromkeys(layout[q] for q in moved))
        pattern = np.array([nodes.index(layout[q]) for q in moved], dtype=np.int64)
        bsm_ticks = bsm_duration_ticks(topology.node(source))
        uses = len(states) * len(moved)
        gaps = np.full(uses, bsm_ticks, dtype=np.int64)
        gaps[0] = 0
        tail = bsm_ticks + max(
            classical_delay_ticks(network, source, node, 2) + to_ticks(topology.node(node).gates.one_qubit_time_s)
            for node in nodes
        )
        demand = Demand(
            "quantum_data", [timeline.path(source, node) for node in nodes], np.tile(pattern, len(states)), gaps,
            tail, network.now,
        )  # fmt: skip
        outcome = yield timeline.submit(demand)
        coefficients = timeline.states(outcome, per_use=True).coefficients
        for j, c in enumerate(coefficients):
            p = np.clip(teleportation_pauli_channel(c), 0.0, None)
            errors[j // len(moved), moved[j % len(moved)]] = int(rng.choice(4, p=p / p.sum()))
        report.pair_fidelities = [float(f) for f in coefficients[:, 0]]
        report.pairs = report.teleports = uses
        network.ledger.nodes[source].teleports += uses
        for k, node in enumerate(nodes):
            network.book_messages(source, node, len(states) * int(np.sum(pattern == k)), 2)
        for j in np.flatnonzero(outcome.stalls > 0).tolist():
            node = nodes[pattern[j % len(moved)]]
            network.trace.known_activity(node, "wait_pairs", int(outcome.need[j]), int(outcome.consumed[j]))
    for i in range(len(states)):
        psi = samples.take(i, label)
        degraded = apply_pauli_errors(psi, errors[i].tolist())
        report.delivered[i], report.owner[i], report.errors[i] = degraded, label, errors[i].tolist()
        report.state_fidelities[i] = float(abs(np.vdot(psi, degraded)) ** 2)
    report.finished_tick = network.now
    for node, count in Counter(layout[q] for q in moved).items():
        network.trace.record(
            network.now, node, "teleported", f"{count} qubits of each of {len(states)} samples from {source}"
        )
    return report


def _to_worker(
    network: Network,
    samples: SampleSource,
    worker: str,
    indices: np.ndarray,
    qubits: int,
    rng: np.random.Generator,
    report: QuantumDataReport,
    lock: simpy.Resource,
) -> Generator[simpy.Event, Any, None]:
    env, source = network.env, samples.node
    if len(indices) == 0:
        return
    if worker == source:  # the data is already there: nothing to teleport
        for i in (int(v) for v in indices):
            psi = samples.take(i, worker)
            report.delivered[i], report.owner[i], report.errors[i] = psi, worker, [0] * qubits
            report.state_fidelities[i] = 1.0
        return
    store = simpy.Store(env)
    bsm_ticks = bsm_duration_ticks(network.topology.node(source))
    correction_ticks = to_ticks(network.topology.node(worker).gates.one_qubit_time_s)
    arrivals = []
    for i in (int(v) for v in indices):
        errors: list[int] = []
        bits = []
        psi: np.ndarray | None = None
        with lock.request() as turn:  # one sample's pairs at a time out of the source
            waited = network.now
            yield turn
            requests = [request_pairs(network, source, worker, qubits, deliver_to=store)]
            while len(errors) < qubits:
                pair = yield store.get()
                network.trace.activity(worker, "wait_pairs", waited, network.now)
                if bsm_ticks:
                    yield env.timeout(bsm_ticks)
                waited = network.now
                if not pair.is_stored:  # lost to a memory cutoff: ask for a replacement
                    requests.append(request_pairs(network, source, worker, 1, deliver_to=store))
                    continue
                if psi is None:
                    psi = samples.take(i, worker)  # the first Bell measurement starts moving the sample
                state = oriented(network.consume_pair(pair), pair, source)
                coefficients = bell_coefficients(state) if np.shape(state) == (4, 4) else np.asarray(state, float)
                p = np.clip(teleportation_pauli_channel(coefficients), 0.0, None)
                errors.append(int(rng.choice(4, p=p / p.sum())))
                report.pair_fidelities.append(fidelity_of(state))
                report.pairs += 1
                report.teleports += 1
                network.ledger.nodes[source].teleports += 1
                bits.append(network.send(source, worker, 2, payload=(i, len(errors) - 1), kind="teleport"))
            yield env.all_of(requests)
        assert psi is not None
        arrivals.append(env.process(_arrive(network, worker, i, psi, errors, bits, correction_ticks, report)))
    yield env.all_of(arrivals)


def _arrive(
    network: Network,
    worker: str,
    index: int,
    psi: np.ndarray,
    errors: list[int],
    bits: list[simpy.Process],
    correction_ticks: int,
    report: QuantumDataReport,
) -> Generator[simpy.Event, Any, None]:
    """Process: wait for the sample's outcome bits, correct, and store the degraded state at the worker."""
    yield network.env.all_of(bits)
    yield network.env.timeout(correction_ticks)
    degraded = apply_pauli_errors(psi, errors)
    report.delivered[index], report.owner[index], report.errors[index] = degraded, worker, errors
    report.state_fidelities[index] = float(abs(np.vdot(psi, degraded)) ** 2)
    network.trace.record(
        network.now, worker, "teleported", f"sample {index} ({len(errors)} qubits) from {report.source}"
    )


def training_assignment(ctx: TrainingContext, options: Any) -> dict[str, np.ndarray]:
    """Which worker trains on which training samples, as the strategy will shard them.

    Data-parallel strategies: the workers and shards of
    :func:`~qnet_dqnn.distributed.dataparallel.setup_workers` (same names, same capacities); ``single``: its
    node holds everything. Other strategies have no data assignment and are refused.
    """
    total = len(ctx.dataset.x_train)
    if isinstance(options, DataParallelOptions):
        if options.sharding == "replicate":
            raise ProtocolError("quantum data cannot be replicated over workers (no cloning): use equal or capacity")
        names = worker_names(options, ctx.network.topology)
        capacities = [samples_per_second(ctx.qpu(name)) for name in names]
        return dict(zip(names, shard_indices(total, capacities, options.sharding), strict=True))
    if getattr(options, "type", None) == "single":
        node = options.node or ctx.qpu_nodes()[0]
        return {node: np.arange(total)}
    raise QnetError(f"quantum_data works with the single, data-parallel and coherent strategies (got {options!r})")


def split_layout(ctx: TrainingContext, options: CoherentOptions) -> list[str]:
    """The node of each model qubit in the coherent split the strategy will train (its partition)."""
    return plan_partition(ctx.model.circuit, ctx.network.topology, options).assignment


def distribute_training_set(ctx: TrainingContext, options: Any) -> Generator[simpy.Event, Any, QuantumDataReport]:
    """Process: the distribution phase of a run whose spec has ``quantum_data``; degrades ``x_train`` in place."""
    spec = ctx.spec.quantum_data
    if spec is None:
        raise QnetError("the train spec has no quantum_data")
    if not ctx.dataset.meta.get("quantum"):
        raise QnetError(f"quantum_data needs a quantum dataset (got {ctx.dataset.name!r})")
    rng = component_rng(ctx.seed, "quantum_data")
    if isinstance(options, CoherentOptions):
        layout = split_layout(ctx, options)
        x_train = ctx.dataset.x_train
        report = yield from distribute_split(ctx.network, spec.source, x_train, layout, rng, options.contention)
    else:
        assignment = training_assignment(ctx, options)
        report = yield from distribute(ctx.network, spec.source, ctx.dataset.x_train, assignment, rng)
    x = np.array(ctx.dataset.x_train, dtype=complex)
    for i, state in report.delivered.items():
        x[i] = state
    ctx.dataset.x_train = x
    ctx.dataset.meta["quantum_data"] = report
    fidelities = list(report.state_fidelities.values())
    ctx.extra_metrics.update(
        {
            "quantum_data_pairs": float(report.pairs),
            "quantum_data_teleports": float(report.teleports),
            "quantum_data_time_s": to_seconds(report.finished_tick - report.started_tick),
            "quantum_data_mean_pair_fidelity": float(np.mean(report.pair_fidelities))
            if report.pair_fidelities
            else 1.0,
            "quantum_data_mean_state_fidelity": float(np.mean(fidelities)) if fidelities else 1.0,
        }
    )
    return report


def strategy_process(ctx: TrainingContext, run: Any, options: Any) -> Generator[simpy.Event, Any, None]:
    """The run's process: the strategy ``run(ctx, options)``, after the distribution phase if the spec has one."""
    if ctx.spec.quantum_data is not None:
        yield from distribute_training_set(ctx, options)
    yield from run(ctx, options)


def quantum_data_problems(spec: Any, topology: TopologySpec) -> list[tuple[str, str]]:
    """Problems with ``quantum_data`` against the strategy and the topology: an unknown source node, a strategy
    that has no one place for a sample, a coherent split with a qubit on a node the source has no quantum path to.
    """
    if spec.quantum_data is None:
        return []
    source = spec.quantum_data.source
    if source not in {n.name for n in topology.nodes}:
        return [("quantum_data.source", f"unknown node {source!r}")]
    kind = spec.strategy.get("type")
    strategy = STRATEGIES.get(kind)
    if strategy is None:
        return []  # the strategy's own check names it
    if kind not in ("single", "coherent") and not issubclass(strategy.options, DataParallelOptions):
        return [
            (
                "quantum_data",
                f"the {kind!r} strategy has no one node for each sample's qubits: quantum_data works with the single, "
                "data-parallel and coherent strategies",
            )
        ]
    if kind != "coherent":
        return []
    try:
        options = strategy.options.model_validate(spec.strategy)
        layout = plan_partition(build_model(spec.model).circuit, topology, options).assignment
    except (ValueError, QnetError):
        return []  # the strategy's own check says why there is no partition
    problems = []
    for node in dict.fromkeys(layout):
        if node == source:
            continue
        try:
            quantum_path(topology, source, node)
        except NoRouteError:
            held = [q for q, n in enumerate(layout) if n == node]
            reason = f"no quantum path from {source!r} to {node!r}, which holds qubits {held} of the split"
            problems.append(("quantum_data.source", reason))
    return problems
