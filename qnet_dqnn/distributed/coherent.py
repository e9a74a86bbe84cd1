"""The ``coherent`` strategy: one QNN circuit split over several QPUs, remote gates by telegates or teleported qubits.

Coherent model splitting (the review, sec. 6.1.2): the model circuit's qubits are placed on QPUs by the
partitioner (:mod:`qnet_dqnn.distributed.partition`), and every two-qubit gate between qubits on different
QPUs is done by a telegate — cat-entangler and disentangler over one end-to-end pair, one classical bit each
way (Eisert, Jacobs, Papadopoulos & Plenio, PRA 62, 052317 (2000)) — or locally after teleporting one of its
qubits to the other QPU (teledata: one pair and two bits there, one pair and two bits back; Bennett et al.,
PRL 70, 1895 (1993)). ``cx``/``cz`` take one telegate; ``rzz`` is CNOT·RZ·CNOT, ``rxx``/``ryy`` the same in a
rotated basis (two), ``swap`` three CNOTs.

**Telegate or teleport** (``remote_gates``, :func:`remote_plan`). A *run* is what a qubit could do on the
other node once there: the remote gates it shares with qubits of that node, consecutively, with only
single-qubit gates on it in between (done on the other node too); a gate with a qubit anywhere else ends it.
Teleporting the qubit there and back costs :data:`TELEPORT_PAIRS` = 2 pairs, the run's ``k`` telegates ``k``
pairs, so ``auto`` teleports a run of ``k > 2`` telegates (``k ≥ 3``) and uses telegates otherwise
(:func:`teleport_pays`; the telegate-versus-teledata comparison of Wu et al., "AutoComm", MICRO 2022);
``telegate`` never teleports, ``teleport`` teleports every run. Of a gate's two qubits the one with the longer
run moves (ties: the first). A teleported qubit takes a data slot on the receiving node: with none spare
(:func:`~qnet_dqnn.distributed.partition.spare_slots`) the run falls back to telegates. The plan is made once
per circuit, the same for every shot.

**Noise the network causes.** A telegate over a Bell-diagonal pair with coefficients ``c_k`` (k = x + 2z)
acts as the ideal CNOT followed by ``Z^z`` on the control and ``X^x`` on the target with probability ``c_k``
(:func:`qnet_dqnn.physics.telegate.telegate_pauli_errors`); a CZ (CNOT conjugated by H on the target) gets
``Z^z ⊗ Z^x``. A teleport applies ``X^x Z^z`` to the moved qubit with probability ``c_k``
(:func:`qnet_dqnn.physics.teleportation.teleportation_pauli_channel`; average fidelity ``(2F + 1)/3`` for a
Werner pair). :func:`split_circuit` inserts the two-qubit Pauli channel after every remote CNOT/CZ and the
one-qubit one after every teleport (there and back), with the mean Bell coefficients of the pairs the step
consumed — their state when used, i.e. after their wait in memory. The mean is exact for expectation
values: every shot uses fresh pairs and the channels are linear in ``c``. The annotated circuit is evaluated
exactly by summing over the Pauli errors of the channels in the readout's light cone
(:func:`pauli_expansion`, :func:`light_cone_channels`; values and adjoint gradients per error pattern), or
with density matrices (``qubits ≤ dm_max_qubits``) or Pauli trajectories (parameter-shift gradients) when
there are too many patterns, so training sees the degraded values and gradients. With perfect pairs the
circuit has no channels and the adjoint method gives the unsplit circuit's gradient.

**Accounting in bulk (the approximation).** One step evaluates the batch loss and its parameter-shift
gradient: ``C = B·(1 + 2·n_occ)`` circuits of ``S`` shots (``shots``, else ``accounting_shots``), each with
``g`` telegates and ``t`` teleports (there and back count two), so ``(g + t)·C·S`` pairs — far too many for
one SimPy event each. Per step and per pair of nodes ``(a, b)`` that share ``n_ab`` pair uses per run, the
strategy

1. *simulates* a representative batch of ``k = min(representative_pairs, n_ab·C·S)`` pairs through the
   entanglement service (``request_pairs``), each pair held in memory for its hold time (below) and then
   consumed; their states at consumption give the channels, and the batch's duration ``T_k`` gives the
   supply time;
2. charges the other ``n_ab·C·S − k`` pairs at the same mean time per pair (a timeout of
   ``(n_ab·C·S − k)·T_k/k``) and books them in the ledger: pairs delivered and consumed exactly (one link
   pair per link of the path, and one end-to-end pair on ``a~b`` over several links), the other counters the
   batches moved on the links and nodes of their paths and of their swap notices' routes (attempts, swaps,
   messages and bits of the swap notices) scaled by the same ratio;
3. books the telegates (at the control qubit's node) and their two 1-bit messages per telegate, and the
   teleports (``teleports``, at the sender) and their one 2-bit message per teleport;
4. at the end of the step, discards the unclaimed pairs still stored on the path's links that are older than
   the hold time (:func:`_discard_stale`, reason ``stale``, metric ``stale_pairs_discarded``): the links went
   on generating while the bulk pairs were charged, and on hardware the shots would have used those pairs as
   they came; kept, they would enter the next step's batch after a whole step of memory decay.

Representative batches of several replicas on one network (the ``hybrid`` strategy) take turns
(:func:`sampling_lock`), since a batch's counters are read as ledger differences.

**Look-ahead and hold time** (``lookahead_pairs`` = ``L``, ``hold_s``; :func:`lookahead_hold_s`). The
``n_ab`` uses of one node pair are spread over a shot of length ``t_shot``, ``Δ = t_shot / n_ab`` apart. A
pair requested ``L`` uses ahead of need waits ``L_eff·Δ`` in memory, where ``L_eff = min(L, m − 1)`` and ``m``
is the number of qubits that can hold pairs at the emptier end (:func:`~qnet_dqnn.distributed.partition.pair_slots`:
qubits not holding data, at most the memory capacity; one is the pair in use). With ``L_eff ≥ 1`` pair supply
and computation overlap (pairs are made while earlier shots run): the step takes the longer of the two, and a
QPU whose shots are done before the pairs records ``wait_pairs`` for the difference. With ``L = 0`` each pair
is requested when its gate is reached: it is used at once (no hold, no decay in memory) but nothing overlaps,
so the QPUs wait for every pair's generation: the step takes ``T_supply + T_compute`` and ``wait_pairs`` is the
whole supply time. Default (``L`` unset): each pair waits one shot (``t_shot``, i.e. ``L = n_ab``, uncapped),
overlapping. ``hold_s`` overrides the hold (overlapping).

Meanwhile every QPU holding qubits runs the circuits: ``C·S`` shots, each as long as the split circuit's
scheduled depth on the slowest QPU plus, per telegate, the one-way classical delay each way and the extra
local operations (:func:`telegate_seconds`: CNOT and Z measurement at the control's node, X correction and
X-basis measurement at the target's node, Z correction back: ``t2q + 2·tmeas + 2·t1q``), and per teleport the
one-way delay, the Bell measurement and the correction (:func:`teleport_seconds`: ``t2q + 3·t1q + tmeas``).
What this leaves out: pairs are not matched to individual shots (no per-shot stalls when supply and demand
interleave unevenly), qubits do not idle while waiting for a telegate's bits, a teleported qubit's memory
slot and the look-ahead pairs do not compete for the same qubits, and when several replicas (``hybrid``) share
a link, each charges its bulk pairs at the pace its own representative batch measured (the batches take turns),
so a link shared by several groups can deliver more than its rate: hybrid timings are then a lower bound.

**Faults** (``faults:``, :class:`~qnet_dqnn.distributed.faults.FaultsSpec`; only ``dropout`` here). A step
needs every QPU holding qubits of the split circuit. If one of them is down when the step starts, or an outage
begins before the step ends, the step fails: its ``C·S`` shots are lost (``failed_shots``, ``failed_steps`` in
the metrics, a ``step_failed`` trace event), the parameters are not updated, and the run waits until all those
QPUs are up again before the next step (its minibatch is drawn afresh). A crashed QPU stops computing at the
crash (its busy time is booked up to then, its shots are not); the pair supply of the failed step runs to its
end (the network is not down, only the QPU). If a node never comes back, or not before the run's time limit,
the run ends there (``stopped_by_fault`` = 1 and a ``run_stopped`` trace event) instead of waiting forever.

The per-step work is a :class:`CoherentReplica`, so that the ``hybrid`` strategy can run several split
replicas at once, each on its own group of QPUs. Metrics: ``output_fidelity`` — mean ``⟨ψ|ρ|ψ⟩`` of the final
split circuit's output state against the ideal unsplit one over ``fidelity_samples`` validation inputs — and
the cut, pair (``pairs_consumed``, ``telegates``, ``teleports``) and timing numbers.
"""

from __future__ import annotations

import itertools
import math
import weakref
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.cut import book_messages, feedforward_latency_ticks
from qnet_dqnn.distributed.faults import FaultsSpec, apply_faults, fault_problems
from qnet_dqnn.distributed.partition import (
    Partition,
    data_capacities,
    pair_costs,
    pair_slots,
    partition_qubits,
    spare_slots,
    telegates_per_gate,
)
from qnet_dqnn.distributed.qpu import QPU, qpu_noise, qpu_timing
from qnet_dqnn.distributed.replica import train_replica
from qnet_dqnn.distributed.spec import TrainSpec, build_model
from qnet_dqnn.distributed.strategies import qpu_node_problems, register_strategy
from qnet_dqnn.errors import QnetError
from qnet_dqnn.net import Network
from qnet_dqnn.net.entanglement import oriented
from qnet_dqnn.net.routing import path_links, quantum_path
from qnet_dqnn.physics.density import bell_coefficients
from qnet_dqnn.physics.teleportation import teleportation_pauli_channel
from qnet_dqnn.qml import QNNModel
from qnet_dqnn.quantum.circuit import Circuit, Operation
from qnet_dqnn.quantum.density_matrix import density_matrix
from qnet_dqnn.quantum.gradients import (
    adjoint_jacobian,
    combine_shifts,
    parameter_shift_circuits,
    parameter_shift_jacobian,
)
from qnet_dqnn.quantum.noise import PAULI2_LABELS, NoiseModel
from qnet_dqnn.quantum.noisy_adjoint import noisy_expectation, noisy_shift_values, noisy_vjp
from qnet_dqnn.quantum.shots import QPUTiming, circuit_duration, shot_evaluator
from qnet_dqnn.quantum.statevector import expectation, statevector
from qnet_dqnn.quantum.trajectories import trajectory_expectation
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds, to_ticks

__all__ = [
    "TELEPORT_PAIRS",
    "CoherentOptions",
    "CoherentReplica",
    "RemoteGates",
    "RemoteOp",
    "SplitEvaluator",
    "StepWorkload",
    "light_cone_channels",
    "effective_lookahead",
    "lookahead_hold_s",
    "output_fidelity",
    "pauli_expansion",
    "plan_partition",
    "remote_ops",
    "remote_plan",
    "shot_seconds",
    "split_circuit",
    "step_workload",
    "telegate_probabilities",
    "telegate_seconds",
    "teleport_pays",
    "teleport_probabilities",
    "teleport_seconds",
]

#: Bell coefficients of a perfect pair.
PERFECT = np.array([1.0, 0.0, 0.0, 0.0])

#: Pairs a teleported run costs: one to teleport the qubit to the other node, one to bring it back (Bennett
#: et al., PRL 70, 1895 (1993): one pair and two bits per teleport).
TELEPORT_PAIRS = 2

#: How a remote gate is done: by telegates, by teleporting a qubit there and back, or chosen per run.
RemoteGates = Literal["auto", "telegate", "teleport"]

#: The two ways a remote gate uses a pair (:class:`RemoteOp`).
KINDS = ("telegate", "teleport")


class CoherentOptions(BaseModel):
    """Options of the ``coherent`` strategy.

    Attributes:
        nodes: QPUs the partitioner may use (default: every QPU of the topology, in file order).
        placement: pinned qubits, ``{node: [qubits]}``; the partitioner places the rest.
        communication_qubits: qubits kept for pairs on a node that does not declare its own.
        representative_pairs: pairs simulated per pair of nodes and step (the rest are charged in bulk).
        hold_s: time a pair waits in memory before its use (in s; overrides ``lookahead_pairs``).
        lookahead_pairs: pairs of a node pair requested ahead of need, ``L`` (see the module docstring,
            :func:`lookahead_hold_s`): a pair waits ``L_eff`` uses of its node pair, ``L_eff`` capped by the
            free memory; 0 requests each pair at need (the QPUs wait for its generation). Default (None):
            one shot ahead (each pair waits one shot, as before look-ahead was an option).
        remote_gates: ``telegate`` (every remote gate by telegates), ``teleport`` (every run of remote gates
            of a qubit with one node by teleporting the qubit there and back) or ``auto`` (teleport a run
            of more than :data:`TELEPORT_PAIRS` telegates, :func:`teleport_pays`); a teleport needs a spare
            data slot on the receiving node (:func:`spare_slots`), else telegates.
        evaluation: ``enumerate`` (exact sum over the telegates' Pauli errors, see :func:`pauli_expansion`),
            ``density_matrix``, ``trajectories``, or ``auto``: ``enumerate`` while the circuit has at most
            ``max_terms`` error patterns, else density matrices up to ``dm_max_qubits`` qubits, else trajectories.
        max_terms: most error patterns ``enumerate`` sums over.
        dm_max_qubits: largest register ``auto`` simulates with density matrices (and the output-fidelity
            metric uses; beyond, it sums ``max_terms`` Pauli patterns over statevectors, NaN if more).
        trajectories: trajectories per evaluation with ``trajectories``.
        fidelity_samples: validation inputs averaged for the output-fidelity metric.
        exact_limit: largest circuit (in qubits) the partitioner searches exhaustively.
        memory_split: how nodes share their memory among their quantum links (``per_link``, the default, keeps
            a repeater from filling up with one link's pairs while swaps wait for another's; see
            :meth:`qnet_dqnn.net.Network.configure`); applied if no pair exists yet.
        faults: nodes that drop out (``dropout`` only; a step that needs a node that is down fails and its
            shots are lost, see the module docstring).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    type: Literal["coherent"]
    nodes: list[Annotated[str, Field(min_length=1)]] | None = None
    placement: dict[str, list[Annotated[int, Field(ge=0)]]] | None = None
    communication_qubits: Annotated[int, Field(ge=0, le=1000)] = 1
    representative_pairs: Annotated[int, Field(ge=1, le=100_000)] = 16
    hold_s: Annotated[float, Field(ge=0.0)] | None = None
    lookahead_pairs: Annotated[int, Field(ge=0, le=100_000)] | None = None
    remote_gates: RemoteGates = "auto"
    evaluation: Literal["auto", "enumerate", "density_matrix", "trajectories"] = "auto"
    max_terms: Annotated[int, Field(ge=1, le=100_000)] = 256
    dm_max_qubits: Annotated[int, Field(ge=1, le=12)] = 8
    trajectories: Annotated[int, Field(ge=2, le=100_000)] = 100
    fidelity_samples: Annotated[int, Field(ge=1, le=1000)] = 4
    exact_limit: Annotated[int, Field(ge=1, le=16)] = 10
    memory_split: Literal["per_link", "shared"] = "per_link"
    faults: FaultsSpec = FaultsSpec()


# ------------------------------------------------------------------------------------------ options


def _nodes(options: CoherentOptions, topology: TopologySpec) -> list[str]:
    if options.nodes is not None:
        return list(options.nodes)
    return [n.name for n in topology.nodes if n.kind == "qpu"]


def _pins(options: CoherentOptions) -> dict[int, str]:
    return {q: node for node, qubits in (options.placement or {}).items() for q in qubits}


def plan_partition(
    circuit: Circuit, topology: TopologySpec, options: CoherentOptions, nodes: Sequence[str] | None = None
) -> Partition:
    """The placement the options ask for (:func:`~qnet_dqnn.distributed.partition.partition_qubits`), over
    ``nodes`` if given (else ``options.nodes``, else every QPU)."""
    nodes = list(nodes) if nodes is not None else _nodes(options, topology)
    capacities = data_capacities(topology, nodes, options.communication_qubits)
    return partition_qubits(
        circuit,
        capacities,
        pair_costs(topology, nodes),
        pinned=_pins(options),
        exact_limit=options.exact_limit,
    )


def _check(options: CoherentOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    """Problems with the options: unknown or repeated nodes, bad pins, a model that does not fit."""
    nodes = _nodes(options, topology)
    if not nodes:
        return [("", "the topology has no qpu node to place qubits on")]
    problems: list[tuple[str, str]] = []
    if options.nodes is not None:
        problems += qpu_node_problems(topology, nodes, "nodes", 1)
        for i, name in enumerate(nodes):
            if name in nodes[:i]:
                problems.append((f"nodes[{i}]", f"node {name!r} is named twice"))
    n = spec.model.qubits
    seen: dict[int, str] = {}
    for node, qubits in (options.placement or {}).items():
        if node not in nodes:
            problems.append((f"placement.{node}", f"{node!r} is not one of the nodes ({', '.join(nodes)})"))
        for i, q in enumerate(qubits):
            if q >= n:
                problems.append((f"placement.{node}[{i}]", f"qubit {q} is out of range for a {n}-qubit model"))
            elif q in seen:
                problems.append((f"placement.{node}[{i}]", f"qubit {q} is already pinned to {seen[q]!r}"))
            else:
                seen[q] = node
    faults = options.faults
    if faults.slow:
        problems.append(("faults.slow", "the coherent strategy supports only faults.dropout (no slow nodes)"))
    if faults.link_down:
        problems.append(("faults.link_down", "the coherent strategy supports only faults.dropout (no link outages)"))
    problems += [p for p in fault_problems(faults, topology, nodes) if p[0].startswith("faults.dropout")]
    if problems:
        return problems
    capacities = data_capacities(topology, nodes, options.communication_qubits)
    if sum(capacities.values()) < n:
        detail = ", ".join(f"{k}: {v}" for k, v in capacities.items())
        return [("nodes", f"the nodes hold {sum(capacities.values())} data qubits ({detail}); the model needs {n}")]
    for node, qubits in (options.placement or {}).items():
        if len(qubits) > capacities[node]:
            problems.append((f"placement.{node}", f"{len(qubits)} qubits pinned; {node!r} holds {capacities[node]}"))
    if problems:
        return problems
    try:
        plan_partition(build_model(spec.model).circuit, topology, options)
    except QnetError as exc:
        return [("placement" if options.placement else "nodes", f"no placement of the model: {exc}")]
    return []


# ------------------------------------------------------------------------------------------ the split circuit


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def telegate_probabilities(name: str, coefficients: np.ndarray) -> list[float]:
    """The 15 probabilities (``pauli2`` order IX, IY, …, ZZ on (control, target)) of a telegate's error.

    ``cx``: (I, X), (Z, I), (Z, X) with ``c1, c2, c3``; ``cz``: (I, Z), (Z, I), (Z, Z) (Eisert et al. 2000;
    :func:`qnet_dqnn.physics.telegate.telegate_pauli_errors`).
    """
    c = np.clip(np.asarray(coefficients, dtype=float), 0.0, None)
    c = c / c.sum()
    target = "X" if name == "cx" else "Z"
    probs = dict.fromkeys(PAULI2_LABELS, 0.0)
    probs["I" + target] += float(c[1])
    probs["ZI"] += float(c[2])
    probs["Z" + target] += float(c[3])
    return [probs[label] for label in PAULI2_LABELS]


def _decompose(op: Operation) -> list[Operation]:
    """A remote two-qubit gate as CNOTs/CZs and local gates (the identities of the module docstring)."""
    a, b = op.qubits
    if op.name in ("cx", "cz"):
        return [op]
    if op.name == "swap":
        return [Operation("cx", (a, b)), Operation("cx", (b, a)), Operation("cx", (a, b))]
    theta = op.params[0]
    core = [Operation("cx", (a, b)), Operation("rz", (b,), (theta,)), Operation("cx", (a, b))]
    if op.name == "rzz":
        return core
    if op.name == "rxx":
        h = [Operation("h", (a,)), Operation("h", (b,))]
        return h + core + h
    if op.name == "ryy":  # S X S† = Y, so RYY = (S⊗S) RXX (S†⊗S†)
        pre = [Operation("sdg", (a,)), Operation("sdg", (b,)), Operation("h", (a,)), Operation("h", (b,))]
        post = [Operation("h", (a,)), Operation("h", (b,)), Operation("s", (a,)), Operation("s", (b,))]
        return pre + core + post
    raise QnetError(f"gate {op.name!r} cannot be split across nodes")


@dataclass(frozen=True)
class RemoteOp:
    """One use of an end-to-end pair in a run of the split circuit.

    Attributes:
        kind: ``telegate`` (a remote CNOT/CZ) or ``teleport`` (a data qubit moved to another node).
        src: the control's node (telegate) or the sender (teleport).
        dst: the target's node (telegate) or the receiver (teleport).
        qubits: the gate's (control, target), or the teleported qubit.
    """

    kind: Literal["telegate", "teleport"]
    src: str
    dst: str
    qubits: tuple[int, ...]

    @property
    def key(self) -> tuple[str, str]:
        """The node pair ``(a, b)``, ``a <= b``, whose pair it consumes."""
        return _key(self.src, self.dst)


def teleport_pays(telegates: int, remote_gates: RemoteGates) -> bool:
    """Whether a run of ``telegates`` telegates between the same two nodes is done by teleporting the qubit.

    ``auto``: teleport when the run needs more pairs as telegates (``k``, one each: Eisert et al., PRA 62,
    052317 (2000)) than teleporting the qubit there and back (:data:`TELEPORT_PAIRS` = 2, one pair each way:
    Bennett et al., PRL 70, 1895 (1993)), i.e. ``k > 2`` — the per-qubit comparison of telegate versus
    teledata cost of Wu et al., "AutoComm", MICRO 2022. ``telegate``: never; ``teleport``: always.

    Examples:
        >>> [teleport_pays(k, "auto") for k in (1, 2, 3)]
        [False, False, True]
    """
    if remote_gates == "telegate":
        return False
    if remote_gates == "teleport":
        return True
    return telegates > TELEPORT_PAIRS


def _run_from(
    ops: Sequence[Operation], start: int, qubit: int, dest: str, loc: Sequence[str], visiting: Mapping[int, int]
) -> tuple[int, int, set[int]]:
    """The run of remote gates ``qubit`` would do at ``dest`` from ``ops[start]``: (telegates, last op, partners).

    The run goes on over single-qubit gates on ``qubit`` (done at ``dest`` while it is there) and two-qubit
    gates with qubits that sit at ``dest`` (and are not visiting); it stops before the first two-qubit gate
    with a qubit elsewhere (at home, or on a third node). Channels are transparent.
    """
    telegates, end, partners = 0, start, set()
    for j in range(start, len(ops)):
        op = ops[j]
        if op.is_channel or qubit not in op.qubits or len(op.qubits) == 1:
            continue
        other = op.qubits[1] if op.qubits[0] == qubit else op.qubits[0]
        if loc[other] != dest or other in visiting:
            break
        telegates += telegates_per_gate(op)
        end = j
        partners.add(other)
    return telegates, end, partners


def remote_plan(
    circuit: Circuit,
    assignment: Sequence[str],
    remote_gates: RemoteGates = "telegate",
    spare: Mapping[str, int] | None = None,
) -> list[Operation | RemoteOp]:
    """How the split machine runs the circuit: its ops (node-tagged) and the pair uses between them.

    Walks the ops in order with each qubit's current node. A remote two-qubit gate whose qubits are both at
    home starts a *run* for one of them (the one with the longer run, ties: the first qubit; see
    :func:`_run_from`); if :func:`teleport_pays` for the run's telegates and the receiving node has a spare
    data slot (``spare``: data qubits a node can take in beyond those placed on it; None: no limit), the qubit
    is teleported there (a ``teleport`` :class:`RemoteOp`), the run's gates are done locally there, and the
    qubit is teleported home right after the run (before the next gate of the circuit; channels that follow
    the run's last gate act on it where it is), freeing its slot. Otherwise the gate is
    decomposed (:func:`_decompose`) and each remote CNOT/CZ is a ``telegate``. A qubit a run still needs at
    its node is not moved away by another run meanwhile.

    Returns:
        The circuit's ops tagged with the node that runs them, with the remote CNOTs/CZs of telegates in
        place, each followed by its ``telegate`` :class:`RemoteOp`; each ``teleport`` :class:`RemoteOp` sits
        where the qubit moves. Channels are kept, tagged with their first qubit's node.
    """
    ops = circuit.ops
    loc = list(assignment)
    visiting: dict[int, int] = {}  # qubit away from home -> index of the last op of its run
    needed: dict[int, int] = {}  # qubit a run needs where it is -> until that op index
    free = dict(spare) if spare is not None else None
    out: list[Operation | RemoteOp] = []

    def home(q: int) -> None:
        out.append(RemoteOp("teleport", loc[q], assignment[q], (q,)))
        if free is not None:
            free[loc[q]] += 1
        loc[q] = assignment[q]
        del visiting[q]

    for i, op in enumerate(ops):
        if op.is_channel:
            out.append(Operation(op.name, op.qubits, op.params, loc[op.qubits[0]]))
            continue
        for q in [q for q, end in visiting.items() if i > end]:  # runs over: home before the next gate
            home(q)
        if len(op.qubits) == 1 or loc[op.qubits[0]] == loc[op.qubits[1]]:
            out.append(Operation(op.name, op.qubits, op.params, loc[op.qubits[0]]))
            continue
        if remote_gates != "telegate" and not any(q in visiting for q in op.qubits):
            best: tuple[int, int, int, set[int]] | None = None
            for q, other in (op.qubits, op.qubits[::-1]):
                dest = loc[other]
                if needed.get(q, -1) >= i or (free is not None and free.get(dest, 0) < 1):
                    continue
                k, end, partners = _run_from(ops, i, q, dest, loc, visiting)
                if best is None or k > best[0]:
                    best = (k, q, end, partners)
            if best is not None and teleport_pays(best[0], remote_gates):
                k, q, end, partners = best
                dest = loc[op.qubits[1] if op.qubits[0] == q else op.qubits[0]]
                out.append(RemoteOp("teleport", loc[q], dest, (q,)))
                if free is not None:
                    free[dest] -= 1
                loc[q] = dest
                visiting[q] = end
                for p in partners:
                    needed[p] = max(needed.get(p, -1), end)
                out.append(Operation(op.name, op.qubits, op.params, dest))
                continue
        for part in _decompose(op):
            where = loc[part.qubits[0]]
            out.append(Operation(part.name, part.qubits, part.params, where))
            if len(part.qubits) == 2 and loc[part.qubits[1]] != where:
                out.append(RemoteOp("telegate", where, loc[part.qubits[1]], part.qubits))
    for q in list(visiting):
        home(q)
    return out


def teleport_probabilities(coefficients: np.ndarray) -> list[float]:
    """The ``pauli1`` probabilities ``(p_X, p_Y, p_Z)`` of teleporting a qubit over a Bell-diagonal pair.

    Teleportation over ``c`` is the Pauli channel ``X^x Z^z`` with probability ``c_(x+2z)`` (Bennett et al.,
    PRL 70, 1895 (1993); Bowen & Bose, PRL 87, 267901 (2001);
    :func:`qnet_dqnn.physics.teleportation.teleportation_pauli_channel`, order ``(p_I, p_X, p_Z, p_Y)``).
    """
    c = np.clip(np.asarray(coefficients, dtype=float), 0.0, None)
    p = teleportation_pauli_channel(c / c.sum())
    return [float(p[1]), float(p[3]), float(p[2])]


def split_circuit(
    circuit: Circuit,
    assignment: Sequence[str],
    coefficients: Mapping[tuple[str, str], np.ndarray] | np.ndarray | None = None,
    *,
    remote_gates: RemoteGates = "telegate",
    spare: Mapping[str, int] | None = None,
) -> Circuit:
    """The circuit as the split machine runs it: ops tagged with their node, remote gates as telegates or
    done locally after teleporting a qubit (:func:`remote_plan`).

    Args:
        circuit: the (possibly gate-noisy) model circuit.
        assignment: node of each qubit.
        coefficients: Bell coefficients of the pairs remote gates consume, per node pair ``(a, b)`` with
            ``a <= b`` (or one array for all); None or perfect pairs insert no channel.
        remote_gates: ``telegate`` (every remote gate by telegates), ``teleport`` or ``auto``
            (:func:`teleport_pays`).
        spare: data qubits each node can take in (for teleported qubits); None: no limit.

    Returns:
        A circuit on the same qubits whose remote two-qubit gates are CNOTs/CZs, each followed by its
        telegate's Pauli channel (:func:`telegate_probabilities`), and with a one-qubit Pauli channel
        (:func:`teleport_probabilities`) after each teleport of a qubit, there and back.
    """
    out = Circuit(circuit.num_qubits)
    ops: list[Operation] = []
    for item in remote_plan(circuit, assignment, remote_gates, spare):
        if isinstance(item, Operation):
            ops.append(item)
            continue
        c = coefficients
        if isinstance(c, Mapping):
            c = c.get(item.key)
        if c is None or np.allclose(c, PERFECT, rtol=0, atol=1e-15):
            continue
        if item.kind == "teleport":
            ops.append(Operation("pauli1", item.qubits, tuple(teleport_probabilities(np.asarray(c))), item.dst))
        else:
            name = ops[-1].name
            ops.append(Operation("pauli2", item.qubits, tuple(telegate_probabilities(name, np.asarray(c))), item.src))
    out.extend(ops)
    return out


def output_fidelity(
    ideal: Circuit,
    noisy: Circuit,
    params: np.ndarray,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
    *,
    method: Literal["density_matrix", "enumerate"] = "density_matrix",
    max_terms: int = 256,
) -> np.ndarray:
    """``⟨ψ_b|ρ_b|ψ_b⟩`` per input: the noisy circuit's output against the ideal circuit's pure state.

    ``density_matrix`` simulates ``ρ_b`` (``4^n`` numbers per input). ``enumerate`` needs statevectors only:
    for a circuit whose channels are Pauli channels, ``ρ = Σ_e w_e |ψ_e⟩⟨ψ_e|`` over the error patterns
    (:func:`pauli_expansion`), so ``⟨ψ|ρ|ψ⟩ = Σ_e w_e |⟨ψ|ψ_e⟩|²`` exactly; with more than ``max_terms``
    patterns (or a non-Pauli channel) the value is NaN.
    """
    psi = statevector(ideal, params, data, initial_state)
    if method == "density_matrix":
        rho = density_matrix(noisy, params, data, initial_state)
        return np.einsum("bi,bij,bj->b", psi.conj(), rho, psi).real
    terms = pauli_expansion(noisy, max_terms)
    if terms is None:
        return np.full(len(psi), math.nan)
    out = np.zeros(len(psi))
    for w, circuit in terms:
        phi = statevector(circuit, params, data, initial_state)
        out += w * np.abs(np.einsum("bi,bi->b", psi.conj(), phi)) ** 2
    return out


# ------------------------------------------------------------------------------------------ evaluation

_PAULI_CHANNELS = ("pauli1", "pauli2", "depolarize1", "depolarize2")


def pauli_expansion(circuit: Circuit, max_terms: int = 256) -> list[tuple[float, Circuit]] | None:
    """The circuit's Pauli channels unravelled exactly: ``[(weight, circuit with those Paulis as gates)]``.

    A Pauli channel is a mixture of Pauli gates, so ``Tr(P ρ) = Σ_e w_e ⟨ψ_e|P|ψ_e⟩`` over the error patterns
    ``e`` (one Pauli per channel, ``w_e`` the product of their probabilities) — exact, and each term a
    noiseless circuit that the statevector and the adjoint method handle. None when a channel is not a Pauli
    channel (T1/T2) or there are more than ``max_terms`` patterns with non-zero weight.
    """
    from qnet_dqnn.quantum.noise import pauli_probabilities  # noqa: PLC0415

    slots: list[list[tuple[float, tuple[Operation, ...]]]] = []
    count = 1
    for op in circuit.ops:
        if not op.is_channel:
            slots.append([(1.0, (op,))])
            continue
        if op.name not in _PAULI_CHANNELS:
            return None
        labels, probs = pauli_probabilities(op)
        choices = []
        for label, p in zip(labels, probs, strict=True):
            if p <= 0.0:
                continue
            gates = tuple(
                Operation(s.lower(), (q,), (), op.node) for q, s in zip(op.qubits, label, strict=True) if s != "I"
            )
            choices.append((float(p), gates))
        count *= len(choices)
        if count > max_terms:
            return None
        slots.append(choices)
    out = []
    for combo in itertools.product(*slots):
        weight = math.prod(w for w, _ in combo)
        out.append((weight, Circuit(circuit.num_qubits, [g for _, gates in combo for g in gates])))
    return out


def light_cone_channels(circuit: Circuit, qubits: Sequence[int]) -> Circuit:
    """``circuit`` without the channels outside the backward light cone of ``qubits`` (exact for observables
    on ``qubits``: a channel on qubits that never interact, later, with the measured ones cannot change
    their reduced state). Gates are kept as they are."""
    cone = set(qubits)
    keep: list[Operation] = []
    for op in reversed(circuit.ops):
        touches = any(q in cone for q in op.qubits)
        if op.is_channel:
            if touches:
                keep.append(op)
            continue
        if touches:
            cone.update(op.qubits)
        keep.append(op)
    return Circuit(circuit.num_qubits, keep[::-1])


@dataclass
class SplitEvaluator:
    """Values and gradients of the model through the split (noisy) circuit.

    Duck-types the :class:`~qnet_dqnn.distributed.qpu.QPU` methods :meth:`accuracy` and :meth:`loss` that
    :meth:`~qnet_dqnn.distributed.context.TrainingContext.record_update` uses.

    Attributes:
        model: the QNN (encoding, readout, loss).
        circuit: the split circuit, with its channels.
        method: ``enumerate`` (exact sum over the channels' Pauli errors while there are at most
            ``max_terms`` error patterns, density matrices beyond), ``density_matrix`` or ``trajectories``.
        readout: readout error probability.
        shots: finite shots per circuit (None: exact values).
        trajectories: trajectories per evaluation.
        rng: random stream for shots and trajectories.
        max_terms: most Pauli-error patterns ``enumerate`` sums over.
        fallback: ``density_matrix`` or ``trajectories``, for ``enumerate`` beyond ``max_terms``.
    """

    model: QNNModel
    circuit: Circuit
    method: str = "density_matrix"
    readout: float = 0.0
    shots: int | None = None
    trajectories: int = 100
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    max_terms: int = 256
    fallback: str = "density_matrix"

    def _raw(self, circ: Circuit, params: np.ndarray, data: np.ndarray | None, init: np.ndarray | None) -> np.ndarray:
        obs = self.model.observables
        factor = np.array([(1.0 - 2.0 * self.readout) ** len(o.qubits) for o in obs])
        circ = light_cone_channels(circ, self.model.readout)
        if not circ.has_channels:
            return expectation(circ, obs, params, data, init) * factor
        if self.method == "enumerate":
            terms = pauli_expansion(circ, self.max_terms)
            if terms is not None:
                return sum(w * expectation(c, obs, params, data, init) for w, c in terms) * factor
        if self.method == "trajectories" or (self.method == "enumerate" and self.fallback == "trajectories"):
            return trajectory_expectation(
                circ, obs, params, data, init, trajectories=self.trajectories, rng=self.rng, readout=self.readout
            )[0]
        return noisy_expectation(circ, obs, params, data, init, readout=self.readout)

    def _evaluator(self) -> Callable[..., np.ndarray]:
        if self.shots is None:
            return self._raw
        return shot_evaluator(self._raw, self.model.observables, self.shots, self.rng)

    def expectations(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``E_bk`` of a batch through the split circuit (with shots if set)."""
        data, init = self.model.encoding.transform(x), self.model.encoding.initial_state(x)
        return self._evaluator()(self.circuit, params, data, init)

    def loss_and_grad(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Batch loss and gradient: adjoint when the split circuit is ideal and exact, else parameter shift."""
        data, init = self.model.encoding.transform(x), self.model.encoding.initial_state(x)
        obs = self.model.observables
        circuit = light_cone_channels(self.circuit, self.model.readout)
        terms = None
        if self.shots is None and self.method == "enumerate":
            terms = pauli_expansion(circuit, self.max_terms)
        if terms is not None:
            factor = np.array([(1.0 - 2.0 * self.readout) ** len(o.qubits) for o in obs])
            values, jac = 0.0, 0.0
            for w, c in terms:
                v, j = adjoint_jacobian(c, obs, params, data, init)
                values, jac = values + w * v, jac + w * j
            values, jac = values * factor, jac * factor[None, :, None]
        elif self.method == "trajectories" or (self.method == "enumerate" and self.fallback == "trajectories"):
            ev = self._evaluator()
            values = ev(circuit, params, data, init)
            jac = parameter_shift_jacobian(circuit, obs, params, data, init, evaluator=ev)
        elif self.shots is None:  # exact: one vector-Jacobian product of the noisy adjoint
            values, grad = noisy_vjp(
                circuit,
                obs,
                params,
                data,
                init,
                readout=self.readout,
                cotangent=lambda e: self.model.loss_from_expectations(e, y)[1],
            )
            return float(self.model.loss_from_expectations(values, y)[0]), grad
        else:  # every shifted circuit estimated from its own shots, exact values from one adjoint sweep
            exact, _, shifted = noisy_shift_values(circuit, obs, params, data, init, readout=self.readout)
            rows = np.concatenate([exact, shifted.reshape(-1, exact.shape[1])])
            est = shot_evaluator(lambda *_: rows, obs, self.shots, self.rng)(circuit, None, None, None)
            values = est[: len(exact)]
            jac = combine_shifts(circuit, est[len(exact) :].reshape(shifted.shape), len(params))
        loss, de = self.model.loss_from_expectations(values, y)
        return float(loss), np.einsum("bk,bkp->p", de, jac)

    def accuracy(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """Accuracy through the split circuit (exact values; the experimenter's view, not charged)."""
        data, init = self.model.encoding.transform(x), self.model.encoding.initial_state(x)
        return float(self.model.score(self._raw(self.circuit, params, data, init), y))

    def loss(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """Loss through the split circuit (exact values, not charged)."""
        data, init = self.model.encoding.transform(x), self.model.encoding.initial_state(x)
        return float(self.model.loss_from_expectations(self._raw(self.circuit, params, data, init), y)[0])


# ------------------------------------------------------------------------------------------ accounting


@dataclass(frozen=True)
class StepWorkload:
    """What one training step asks of the split machine.

    Attributes:
        circuits: circuits run (``B·(1 + 2·n_occ)``).
        shots: shots in all (``circuits × S``).
        telegates: node pair ``(a, b)`` -> telegates per run of the circuit.
        pairs: node pair -> pairs the step consumes (``(telegates + teleports) × shots``).
        teleports: node pair -> qubit teleports per run (there and back count two).
    """

    circuits: int
    shots: int
    telegates: dict[tuple[str, str], int]
    pairs: dict[tuple[str, str], int]
    teleports: dict[tuple[str, str], int] = field(default_factory=dict)


def remote_ops(
    circuit: Circuit,
    assignment: Sequence[str],
    remote_gates: RemoteGates = "telegate",
    spare: Mapping[str, int] | None = None,
) -> list[RemoteOp]:
    """The pair uses of one run of the split circuit, in order (:func:`remote_plan`)."""
    return [item for item in remote_plan(circuit, assignment, remote_gates, spare) if isinstance(item, RemoteOp)]


def step_workload(
    circuit: Circuit,
    assignment: Sequence[str],
    batch: int,
    shots: int,
    *,
    remote_gates: RemoteGates = "telegate",
    spare: Mapping[str, int] | None = None,
) -> StepWorkload:
    """Circuits, shots, telegates, teleports and pairs of one step of ``batch`` inputs at ``shots`` per circuit."""
    circuits = batch * (1 + parameter_shift_circuits(circuit))
    telegates: dict[tuple[str, str], int] = {}
    teleports: dict[tuple[str, str], int] = {}
    for op in remote_ops(circuit, assignment, remote_gates, spare):
        counts = telegates if op.kind == "telegate" else teleports
        counts[op.key] = counts.get(op.key, 0) + 1
    total = circuits * shots
    per_run = {k: telegates.get(k, 0) + teleports.get(k, 0) for k in dict.fromkeys([*telegates, *teleports])}
    return StepWorkload(circuits, total, telegates, {k: v * total for k, v in per_run.items()}, teleports)


def _slowest(timings: Sequence[QPUTiming]) -> QPUTiming:
    return QPUTiming(
        t1q_s=max(t.t1q_s for t in timings),
        t2q_s=max(t.t2q_s for t in timings),
        tmeas_s=max(t.tmeas_s for t in timings),
    )


def telegate_seconds(timing: QPUTiming, round_trip_s: float) -> float:
    """Time one telegate adds to a shot (in s): the classical bit each way plus the protocol's local
    operations beyond the CNOT itself, ``t2q + 2·tmeas + 2·t1q`` (CNOT and Z measurement at the control's
    node, X correction and X-basis measurement at the target's, Z correction back; Eisert et al., PRA 62,
    052317 (2000), Fig. 1)."""
    return round_trip_s + timing.t2q_s + 2 * timing.tmeas_s + 2 * timing.t1q_s


def teleport_seconds(timing: QPUTiming, one_way_s: float) -> float:
    """Time one teleport of a qubit adds to a shot (in s): the 2-bit message one way plus the Bell
    measurement (CNOT, H, both qubits measured at once: ``t2q + t1q + tmeas``) and the ``X^x Z^z``
    correction (``2·t1q``) (Bennett et al., PRL 70, 1895 (1993))."""
    return one_way_s + timing.t2q_s + timing.t1q_s + timing.tmeas_s + 2 * timing.t1q_s


def shot_seconds(
    network: Network,
    circuit: Circuit,
    assignment: Sequence[str],
    timing: QPUTiming,
    *,
    remote_gates: RemoteGates = "telegate",
    spare: Mapping[str, int] | None = None,
) -> float:
    """One shot of the split circuit (in s): its scheduled depth on ``timing`` plus :func:`telegate_seconds`
    per telegate and :func:`teleport_seconds` per teleport."""
    split = split_circuit(circuit, assignment, remote_gates=remote_gates, spare=spare)
    total = circuit_duration(split, timing)
    for op in remote_ops(circuit, assignment, remote_gates, spare):
        a, b = op.src, op.dst
        if op.kind == "telegate":
            there = feedforward_latency_ticks(network, a, b) + feedforward_latency_ticks(network, b, a)
            total += telegate_seconds(timing, to_seconds(there))
        else:
            total += teleport_seconds(timing, to_seconds(feedforward_latency_ticks(network, a, b)))
    return total


def effective_lookahead(lookahead: int, slots: int) -> int:
    """Pairs that can really wait ahead of need: ``L_eff = max(min(L, m − 1), 0)`` with ``m`` the qubits that
    can hold pairs at the emptier end (one of them holds the pair in use).

    Examples:
        >>> effective_lookahead(4, 8), effective_lookahead(4, 3), effective_lookahead(4, 1)
        (4, 2, 0)
    """
    return max(min(lookahead, slots - 1), 0)


def lookahead_hold_s(lookahead: int, shot_s: float, uses_per_shot: int) -> float:
    """How long a pair requested ``lookahead`` uses ahead of need waits in memory before its gate (in s).

    A node pair's ``n`` pair uses (telegates and teleports) per shot are spread over the shot, ``Δ = shot_s/n``
    apart, so a pair made ``L`` uses ahead waits ``L·Δ`` (the mean over the uses of a shot, each pair made
    when the use ``L`` before it starts).

    Examples:
        >>> lookahead_hold_s(2, 1e-3, 4), lookahead_hold_s(0, 1e-3, 4)
        (0.0005, 0.0)
    """
    if uses_per_shot < 1:
        raise ValueError(f"uses_per_shot must be >= 1 (got {uses_per_shot!r})")
    return lookahead * shot_s / uses_per_shot


_LINK_SCALED = ("messages", "bits", "attempts")
_NODE_SCALED = ("messages_sent", "messages_received", "swaps", "swaps_failed")


def _snapshot(network: Network, links: set[str], nodes: set[str]) -> dict[tuple[str, str, str], int]:
    """The counters of ``links`` and ``nodes`` that the representative batches move (to scale them)."""
    snap: dict[tuple[str, str, str], int] = {}
    for name, link in network.ledger.links.items():
        if name in links:
            for f in (*_LINK_SCALED, "pairs_delivered", "pairs_consumed"):
                snap[("link", name, f)] = getattr(link, f)
    for name, node in network.ledger.nodes.items():
        if name in nodes:
            for f in _NODE_SCALED:
                snap[("node", name, f)] = getattr(node, f)
    return snap


def _book_scaled(network: Network, before: dict, factor: float, exact_links: set[str]) -> None:
    """Add ``factor ×`` what the representative batches moved; the pairs delivered and consumed on
    ``exact_links`` are booked exactly elsewhere."""
    for (kind, name, f), old in before.items():
        counters = network.ledger.links[name] if kind == "link" else network.ledger.nodes[name]
        diff = getattr(counters, f) - old
        if diff <= 0:
            continue
        if kind == "link" and f in ("pairs_delivered", "pairs_consumed") and name in exact_links:
            continue
        extra = round(diff * factor)
        setattr(counters, f, getattr(counters, f) + extra)


def _use_pair(
    network: Network, pair: Any, first: str, hold_ticks: int, out: list[np.ndarray]
) -> Generator[simpy.Event, Any, None]:
    """Hold ``pair`` in memory for ``hold_ticks`` (waiting for its gate), then consume it."""
    if hold_ticks:
        yield network.env.timeout(hold_ticks)
    if not pair.is_stored:  # lost to a memory cutoff while held
        return
    state = oriented(network.consume_pair(pair), pair, first)
    out.append(bell_coefficients(state) if np.shape(state) == (4, 4) else np.asarray(state, dtype=float))


def _supply(
    network: Network, a: str, b: str, sample: int, hold_ticks: int, out: list[np.ndarray]
) -> Generator[simpy.Event, Any, int]:
    """Process: deliver ``sample`` pairs between ``a`` and ``b``, each held then consumed. Value: ticks taken."""
    start = network.now
    store = simpy.Store(network.env)
    request = network.request_pairs(a, b, sample, deliver_to=store)
    users = []
    while len(users) < sample:
        pair = yield store.get()
        users.append(network.env.process(_use_pair(network, pair, a, hold_ticks, out)))
    yield request
    yield network.env.all_of(users)
    return network.now - start


def _compute(
    network: Network, node: str, ticks: int, circuits: int, shots: int, qpu: QPU | None = None
) -> Generator[simpy.Event, Any, int]:
    """Process: hold ``node``'s processor for the step's shots; book them. Value: the tick it finished.

    With ``qpu`` (its outages), a node that is down at the start computes nothing, and one whose outage begins
    before the end stops there (busy time booked up to the crash, no shots): the value is then that tick.
    """
    with network.nodes[node].processor.request() as turn:
        yield turn
        start = network.now
        if qpu is not None:
            if qpu.down_at(start):
                return start
            crash = qpu.next_outage(start)
            if crash is not None and crash < start + ticks:
                yield network.env.timeout(crash - start)
                network.ledger.nodes[node].busy_ticks += crash - start
                network.trace.activity(node, "compute", start, crash)
                return crash
        yield network.env.timeout(ticks)
    ledger = network.ledger.nodes[node]
    ledger.circuits += circuits
    ledger.shots += shots
    ledger.busy_ticks += ticks
    network.trace.activity(node, "compute", start, network.now)
    return network.now


def _charge_rest(network: Network, ticks: int) -> Generator[simpy.Event, Any, None]:
    yield network.env.timeout(ticks)


def _crashed(qpus: Mapping[str, QPU], start: int, end: int) -> list[str]:
    """The nodes down at ``start`` or whose outage begins before ``end``."""
    out = []
    for name, qpu in qpus.items():
        crash = qpu.next_outage(start)
        if qpu.down_at(start) or (crash is not None and crash < end):
            out.append(name)
    return out


def _all_up_at(qpus: Mapping[str, QPU], tick: int) -> int | None:
    """The first tick >= ``tick`` at which every one of ``qpus`` is up (None: one never comes back)."""
    while True:
        back = tick
        for qpu in qpus.values():
            up = qpu.up_again_at(tick)
            if up is None:
                return None
            back = max(back, up)
        if back == tick:
            return tick
        tick = back


# ------------------------------------------------------------------------------------------ the strategy


_SAMPLING_LOCKS: weakref.WeakKeyDictionary[Network, simpy.Resource] = weakref.WeakKeyDictionary()


def sampling_lock(network: Network) -> simpy.Resource:
    """The network's one-at-a-time lock on representative pair batches.

    A batch's counters are read as differences of the ledger before and after it (:func:`_book_scaled`), so
    two replicas sampling through a shared repeater at the same time would each scale the other's swaps and
    notices, and the bulk bookings of the other. Batches therefore run one after another; a replica waits at
    most for the other's batch of ``representative_pairs`` pairs, a ``k/(n_ab·C·S)`` part of its supply time.
    """
    if network not in _SAMPLING_LOCKS:
        _SAMPLING_LOCKS[network] = simpy.Resource(network.env, capacity=1)
    return _SAMPLING_LOCKS[network]


def _discard_stale(network: Network, links: Iterable[str], max_age_ticks: int) -> int:
    """Discard the unclaimed pairs stored on ``links`` that are older than ``max_age_ticks`` (reason ``stale``).

    While a step's bulk pairs are charged as one timeout, the links go on filling their memories; on hardware
    those pairs would have been used by the step's shots as they came, so a pair still waiting when the step
    ends is older than any look-ahead asks for. Kept, it would enter the next step's representative batch
    with up to a whole step of memory decay. Value: the pairs discarded.
    """
    now, dropped = network.now, 0
    for name in sorted(links):
        link = network.quantum_links.get(name)
        if link is None:
            continue
        for pair in [p for p in link.pairs.items if now - min(p.stored_since) > max_age_ticks]:
            link.pairs.items.remove(pair)
            network.discard_pair(pair, "stale")
            dropped += 1
    return dropped


def _footprint(network: Network, paths: Iterable[list[str]]) -> tuple[set[str], set[str]]:
    """The links and nodes the pairs of ``paths`` touch: the quantum links of each path and the classical
    routes of the swap notices from its repeaters to its ends."""
    links: set[str] = set()
    nodes: set[str] = set()
    for path in paths:
        links.update(path_links(network.topology, path))
        nodes.update(path)
        for repeater in path[1:-1]:
            for end in (path[0], path[-1]):
                route = network.route(repeater, end)
                nodes.update(route)
                links.update(network.link_of[(a, b)] for a, b in itertools.pairwise(route))
    return links, nodes


class CoherentReplica:
    """One coherently split copy of the model on a group of QPUs: per call of :meth:`step`, one gradient
    evaluation through the network (pairs, shots, faults), as described in the module docstring.

    The ``coherent`` strategy runs one replica over all its nodes; the ``hybrid`` strategy runs several at
    once on disjoint groups and averages their gradients.

    Args:
        ctx: the training context (network, model, spec, seed).
        options: the ``coherent`` options (``nodes`` is overridden by ``nodes``).
        nodes: the QPUs this replica may use (default: ``options.nodes``, else every QPU of the topology).
        name: names the replica's random streams (``{name}:evaluate``), so two replicas never share one; the
            ``coherent`` strategy's replica is ``coherent``.

    The replica books its nodes' dropouts from ``options.faults`` (only those of the nodes it uses) and
    watches its QPUs' outages; other faults are refused by the strategy's check.
    """

    def __init__(
        self, ctx: TrainingContext, options: CoherentOptions, nodes: list[str] | None = None, name: str = "coherent"
    ) -> None:
        self.ctx, self.options, self.name = ctx, options, name
        network, model = ctx.network, ctx.model
        topology = network.topology
        self.order = list(nodes) if nodes is not None else _nodes(options, topology)
        self.partition = plan_partition(model.circuit, topology, options, nodes=self.order)
        if all(link.process is None for link in network.quantum_links.values()):
            network.configure(memory_split=options.memory_split)
        assignment = self.partition.assignment
        #: QPUs holding qubits, in first-qubit order.
        self.nodes_used: list[str] = self.partition.nodes_used
        used = self.nodes_used
        #: The replica's first used node in node order (draws its minibatches, sends its gradient).
        self.home: str = min(used, key=self.order.index)
        self.timing = _slowest([qpu_timing(network.nodes[n].spec) for n in used])
        noise: NoiseModel | None = None
        if ctx.spec.noise:
            noise = qpu_noise(network.nodes[used[0]].spec)
            noise = None if noise.is_ideal else noise
        self.base = noise.apply(model.circuit, self.timing) if noise is not None else model.circuit
        self.spare = spare_slots(topology, self.order, assignment, options.communication_qubits)
        self.remote = {"remote_gates": options.remote_gates, "spare": self.spare}
        fallback = "density_matrix" if model.num_qubits <= options.dm_max_qubits else "trajectories"
        method = "enumerate" if options.evaluation == "auto" else options.evaluation
        #: Values and gradients through the split circuit (duck-types ``QPU.loss``/``QPU.accuracy``).
        self.evaluator = SplitEvaluator(
            model,
            split_circuit(self.base, assignment, **self.remote),
            method,
            readout=noise.readout if noise is not None else 0.0,
            shots=ctx.spec.shots,
            trajectories=options.trajectories,
            rng=component_rng(ctx.seed, f"{name}:evaluate"),
            max_terms=options.max_terms,
            fallback=fallback,
        )
        self.shots = ctx.spec.shots if ctx.spec.shots is not None else ctx.spec.accounting_shots
        self.per_shot_s = shot_seconds(network, model.circuit, assignment, self.timing, **self.remote)
        ops = remote_ops(model.circuit, assignment, **self.remote)
        #: node pair -> {"telegate"|"teleport": {node booking it (control or sender): count per run}}
        self.booked: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
        for op in ops:
            per = self.booked.setdefault(op.key, {}).setdefault(op.kind, {})
            per[op.src] = per.get(op.src, 0) + 1
        #: node pair -> pairs requested ahead of need (None: the default one-shot hold, or ``hold_s``).
        self.lookahead: dict[tuple[str, str], int | None] = {k: self._lookahead(k) for k in self.booked}
        #: node pair -> how long its pairs wait in memory before use (in ticks).
        self.hold_ticks = {k: to_ticks(self._hold_s(k, ops)) for k in self.booked}
        #: No look-ahead anywhere: the QPUs wait for the pairs, then compute (see the module docstring).
        self.serial = bool(self.lookahead) and all(v == 0 for v in self.lookahead.values())
        mine = [drop for drop in options.faults.dropout if drop.node in used]
        apply_faults(ctx, options.faults.model_copy(update={"dropout": mine}))
        self.qpus = {n: ctx.qpu(n) for n in used} if options.faults.dropout else {}
        #: True once a node will never come back (or not before the time limit): the run should end.
        self.stopped = False
        self.totals = dict.fromkeys(
            ("pairs", "telegates", "teleports", "wait_ticks", "steps", "failed_steps", "failed_shots", "stale_pairs"), 0
        )
        self.fidelities: list[float] = []
        self.coefficients: dict[tuple[str, str], np.ndarray] = {}

    def _lookahead(self, key: tuple[str, str]) -> int | None:
        """``L_eff`` of the pairs of ``key``: ``lookahead_pairs`` capped by the memory (None if not used)."""
        options = self.options
        if options.hold_s is not None or options.lookahead_pairs is None:
            return None
        slots = min(pair_slots(self.ctx.network.topology, n, self.partition.assignment) for n in key)
        return effective_lookahead(options.lookahead_pairs, slots)

    def _hold_s(self, key: tuple[str, str], ops: Sequence[RemoteOp]) -> float:
        """The hold of the pairs of ``key`` (``hold_s``; else from the look-ahead; else one shot)."""
        if self.options.hold_s is not None:
            return self.options.hold_s
        lookahead = self.lookahead[key]
        if lookahead is None:
            return self.per_shot_s
        return lookahead_hold_s(lookahead, self.per_shot_s, sum(1 for op in ops if op.key == key))

    def _fail(self, when: int, down: list[str], shots: int) -> Generator[simpy.Event, Any, None]:
        """Book a failed step; wait for the nodes to come back, or set :attr:`stopped`."""
        self.totals["failed_steps"] += 1
        self.totals["failed_shots"] += shots
        network = self.ctx.network
        network.trace.record(when, down[0], "step_failed", f"{', '.join(down)} down: {shots} shots lost")
        back = _all_up_at(self.qpus, when)
        if back is None or back >= self.ctx.stop_tick:
            self.stopped = True
            network.trace.record(when, down[0], "run_stopped", f"{', '.join(down)} not back in time")
            return
        if back > network.now:
            yield network.env.timeout(back - network.now)

    def _waited(self, start: int, end: int) -> None:
        """Book the QPUs' wait for pairs from ``start`` to ``end`` (nothing if empty)."""
        if end > start:
            for n in self.nodes_used:
                self.ctx.network.trace.activity(n, "wait_pairs", start, end)
            self.totals["wait_ticks"] += end - start

    def step(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> Generator[simpy.Event, Any, np.ndarray | None]:
        """Process: one gradient of the batch ``(x, y)`` through the network; None if the step failed (a node
        was down; the wait for it is done, or :attr:`stopped` is set)."""
        network, env, topology = self.ctx.network, self.ctx.network.env, self.ctx.network.topology
        assignment, totals = self.partition.assignment, self.totals
        work = step_workload(self.ctx.model.circuit, assignment, len(x), self.shots, **self.remote)
        start = network.now
        down = [n for n, qpu in self.qpus.items() if qpu.down_at(start)]
        if down:  # a node is down as the step starts: nothing runs
            yield from self._fail(start, down, work.shots)
            return None
        ticks = to_ticks(work.shots * self.per_shot_s)

        def computes() -> list[simpy.Process]:
            return [
                env.process(_compute(network, n, ticks, work.circuits, work.shots, self.qpus.get(n)))
                for n in self.nodes_used
            ]

        running = [] if self.serial else computes()
        # pair supply: a representative batch per node pair, simulated; the rest charged at its pace
        paths = {k: quantum_path(topology, *k) for k in work.pairs}
        exact_links = {link for path in paths.values() for link in path_links(topology, path)}
        lock = sampling_lock(network)
        with lock.request() as turn:
            if not turn.triggered:  # another replica's batch is under way: wait for its end
                yield turn
            before = _snapshot(network, *_footprint(network, paths.values()))
            states: dict[tuple[str, str], list[np.ndarray]] = {k: [] for k in work.pairs}
            samples = {k: min(self.options.representative_pairs, n) for k, n in work.pairs.items()}
            supplies = {
                k: env.process(_supply(network, k[0], k[1], samples[k], self.hold_ticks[k], states[k]))
                for k in work.pairs
            }
            if supplies:
                yield env.all_of(list(supplies.values()))
            sampled = sum(len(v) for v in states.values())
            remaining = sum(work.pairs.values()) - sampled
            if sampled:
                _book_scaled(network, before, remaining / sampled, exact_links)
        rest = []
        for k, total in work.pairs.items():
            got = len(states[k])
            taken = supplies[k].value
            extra = total - got
            if got:
                rest.append(env.process(_charge_rest(network, round(taken * extra / got))))
                self.coefficients[k] = np.mean(states[k], axis=0)
                self.fidelities.extend(float(s[0]) for s in states[k])
            path = paths[k]
            links = path_links(topology, path)
            for link in links:  # one link pair per link and end-to-end pair
                counters = network.ledger.links[link]
                counters.pairs_delivered += extra
                counters.pairs_consumed += extra
            if len(links) > 1:
                counters_path = network.ledger.path(f"{path[0]}~{path[-1]}")
                counters_path.e2e_pairs_delivered += extra
                counters_path.e2e_pairs_consumed += extra
            for control, count in self.booked[k].get("telegate", {}).items():
                other = k[1] if control == k[0] else k[0]
                network.ledger.nodes[control].telegates += count * work.shots
                book_messages(network, control, other, count * work.shots, 1)
                book_messages(network, other, control, count * work.shots, 1)
            for sender, count in self.booked[k].get("teleport", {}).items():
                other = k[1] if sender == k[0] else k[0]
                network.ledger.nodes[sender].teleports += count * work.shots
                book_messages(network, sender, other, count * work.shots, 2)
        if self.serial:  # no look-ahead: the QPUs wait for the pairs, then compute
            yield env.all_of(rest)
            self._waited(start, network.now)
            running = computes()
            yield env.all_of(running)
        else:  # pairs made while earlier shots run: the QPUs wait only if the supply is the slower
            yield env.all_of(rest + running)
            computed = max(p.value for p in running) - start if running else 0
            self._waited(start + computed, network.now)
        totals["stale_pairs"] += _discard_stale(network, exact_links, max(self.hold_ticks.values(), default=0))
        totals["pairs"] += sum(work.pairs.values())
        totals["telegates"] += sum(work.telegates.values()) * work.shots
        totals["teleports"] += sum(work.teleports.values()) * work.shots
        totals["steps"] += 1
        crashed = _crashed(self.qpus, start, network.now)
        if crashed:  # a node went down during the step: its shots are lost, no update
            yield from self._fail(network.now, crashed, work.shots)
            return None
        # the circuit the quantum layer evaluates carries this step's pair noise
        self.evaluator.circuit = split_circuit(self.base, assignment, self.coefficients, **self.remote)
        _, grad = self.evaluator.loss_and_grad(params, x, y)
        return grad

    def metrics(self, params: np.ndarray) -> dict[str, float]:
        """What the replica reports: output fidelity at ``params``, pair, cut and timing numbers."""
        d, model, totals = self.ctx.dataset, self.ctx.model, self.totals
        m = min(self.options.fidelity_samples, len(d.x_val))
        xs = d.x_val[:m]
        data, init = model.encoding.transform(xs), model.encoding.initial_state(xs)
        # density matrices while they fit (dm_max_qubits), else the exact Pauli-pattern sum over statevectors
        method = "density_matrix" if model.num_qubits <= self.options.dm_max_qubits else "enumerate"
        fid = output_fidelity(  # against the ideal circuit: gate noise and pair noise both lower it
            model.circuit, self.evaluator.circuit, params, data, init, method=method, max_terms=self.options.max_terms
        )
        steps = totals["steps"]
        partition = self.partition
        per_run = {kind: sum(sum(v.get(kind, {}).values()) for v in self.booked.values()) for kind in KINDS}
        return {
            "output_fidelity": float(np.mean(fid)),
            "pair_fidelity": float(np.mean(self.fidelities)) if self.fidelities else 1.0,
            "cut_size": float(partition.cut_size),
            "telegates_per_circuit": float(per_run["telegate"]),
            "partition_cost": float(partition.cost),
            "qpus_used": float(len(self.nodes_used)),
            "pairs_consumed": float(totals["pairs"]),
            "stale_pairs_discarded": float(totals["stale_pairs"]),
            "telegates": float(totals["telegates"]),
            "pairs_per_step": totals["pairs"] / steps if steps else math.nan,
            "wait_pairs_s": to_seconds(totals["wait_ticks"]),
            "shot_s": self.per_shot_s,
            "failed_steps": float(totals["failed_steps"]),
            "failed_shots": float(totals["failed_shots"]),
            "stopped_by_fault": float(self.stopped),
            "teleports": float(totals["teleports"]),
            "teleports_per_circuit": float(per_run["teleport"]),
        }


@register_strategy(
    "coherent",
    CoherentOptions,
    "coherent model split: qubits placed on several QPUs, remote gates by telegates or teleported qubits over "
    "end-to-end pairs (Eisert et al. 2000; the review, sec. 6.1.2)",
    _check,
)
def coherent(ctx: TrainingContext, options: CoherentOptions) -> Generator[simpy.Event, Any, None]:
    """Partition once (:class:`CoherentReplica`); then per step a gradient through the network, one update."""
    yield from train_replica(ctx, CoherentReplica(ctx, options))
