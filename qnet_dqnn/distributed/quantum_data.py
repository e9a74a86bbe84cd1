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

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.dataparallel import DataParallelOptions, samples_per_second, worker_names
from qnet_dqnn.distributed.sharding import shard_indices
from qnet_dqnn.errors import ProtocolError, QnetError
from qnet_dqnn.net import Network
from qnet_dqnn.net.entanglement import bsm_duration_ticks, fidelity_of, oriented, request_pairs
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
        owner: training index -> the worker it went to.
        errors: training index -> the Pauli drawn for each qubit (0 I, 1 X, 2 Z, 3 Y).
        pair_fidelities: Bell fidelity of every pair consumed, in consumption order.
        state_fidelities: training index -> ``|<psi|psi'>|^2`` of the delivered state (experimenter's view).
        pairs: pairs consumed; teleports: qubits teleported.
        started_tick, finished_tick: the phase's span.
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
    states = np.asarray(states, dtype=complex)
    if states.ndim != 2 or states.shape[1] < 2 or states.shape[1] & (states.shape[1] - 1):
        raise QnetError(f"quantum data must be state vectors of 2**n amplitudes (got shape {states.shape})")
    check_assignment(assignment, len(states))
    qubits = int(states.shape[1]).bit_length() - 1
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
    raise QnetError(f"quantum_data works with the single and data-parallel strategies (got {options!r})")


def distribute_training_set(ctx: TrainingContext, options: Any) -> Generator[simpy.Event, Any, QuantumDataReport]:
    """Process: the distribution phase of a run whose spec has ``quantum_data``; degrades ``x_train`` in place."""
    spec = ctx.spec.quantum_data
    if spec is None:
        raise QnetError("the train spec has no quantum_data")
    if not ctx.dataset.meta.get("quantum"):
        raise QnetError(f"quantum_data needs a quantum dataset (got {ctx.dataset.name!r})")
    assignment = training_assignment(ctx, options)
    rng = component_rng(ctx.seed, "quantum_data")
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
    """Problems with ``quantum_data`` against the topology (unknown source node)."""
    if spec.quantum_data is None:
        return []
    if spec.quantum_data.source not in {n.name for n in topology.nodes}:
        return [("quantum_data.source", f"unknown node {spec.quantum_data.source!r}")]
    return []
