"""Options of the ``coherent`` strategy, their checks against the topology, and the placement they ask for."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.distributed.coherent.split import RemoteGates
from qnet_dqnn.distributed.faults import FaultsSpec, fault_problems
from qnet_dqnn.distributed.partition import Partition, data_capacities, pair_costs, partition_qubits
from qnet_dqnn.distributed.spec import TrainSpec, build_model
from qnet_dqnn.distributed.strategies import qpu_node_problems
from qnet_dqnn.errors import NoRouteError, QnetError
from qnet_dqnn.net.routing import path_links, quantum_path
from qnet_dqnn.net.timeline import Contention, SwapPolicy
from qnet_dqnn.physics import storage_before_herald_s, werner_parameter
from qnet_dqnn.physics.purification import Protocol
from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.topology import TopologySpec

#: Most purification rounds a scenario may ask for (each doubles the pairs per use at least).
MAX_ROUNDS = 6


class PurificationSpec(BaseModel):
    """Recurrence purification of every pair a split consumes (:mod:`qnet_dqnn.net.timeline.purify`).

    Attributes:
        protocol: ``bbpssw`` (Bennett et al., PRL 76, 722 (1996)) or ``dejmps`` (Deutsch et al., PRL 77, 2818
            (1996)).
        rounds: ``k``, the rounds a pair goes through (``2^k`` pairs at least per pair used).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    protocol: Protocol
    rounds: Annotated[int, Field(ge=1, le=MAX_ROUNDS)] = 1


class CoherentOptions(BaseModel):
    """Options of the ``coherent`` strategy.

    Attributes:
        nodes: QPUs the partitioner may use (default: every QPU of the topology, in file order).
        placement: pinned qubits, ``{node: [qubits]}``; the partitioner places the rest.
        communication_qubits: qubits kept for pairs on a node that does not declare its own (the partitioner
            places data on the rest; at run time the node's pairs use every qubit not holding data, one budget).
        swap_policy: ``asap`` (a repeater swaps as soon as it holds both halves; the end-to-end pair then waits
            at the ends for its use) or ``on_demand`` (the swap for a use starts when the shot is
            ``lookahead_pairs`` uses before it; 0: at the use itself, which then waits for the BSMs and notices).
        lookahead_pairs: for ``on_demand``: how many uses ahead of need a swap is started.
        contention: how a link shared by several replicas (``hybrid``) hands out its pairs: ``fcfs`` (by due
            time, :mod:`qnet_dqnn.net.timeline`) or ``round_robin`` (the replicas take turns, one use each).
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
        faults: nodes that drop out (``dropout`` only; a step that needs a node that is down fails and its
            shots are lost, see the package docstring).
        purification: purify every pair a shot uses (``{protocol: bbpssw|dejmps, rounds: k}``), on the pair
            timeline; none by default.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    type: Literal["coherent"]
    nodes: list[Annotated[str, Field(min_length=1)]] | None = None
    placement: dict[str, list[Annotated[int, Field(ge=0)]]] | None = None
    communication_qubits: Annotated[int, Field(ge=0, le=1000)] = 1
    swap_policy: SwapPolicy = "asap"
    lookahead_pairs: Annotated[int, Field(ge=0, le=100_000)] = 0
    contention: Contention = "fcfs"
    remote_gates: RemoteGates = "auto"
    evaluation: Literal["auto", "enumerate", "density_matrix", "trajectories"] = "auto"
    max_terms: Annotated[int, Field(ge=1, le=100_000)] = 256
    dm_max_qubits: Annotated[int, Field(ge=1, le=12)] = 8
    trajectories: Annotated[int, Field(ge=2, le=100_000)] = 100
    fidelity_samples: Annotated[int, Field(ge=1, le=1000)] = 4
    exact_limit: Annotated[int, Field(ge=1, le=16)] = 10
    faults: FaultsSpec = FaultsSpec()
    purification: PurificationSpec | None = None


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
        partition = plan_partition(build_model(spec.model).circuit, topology, options)
    except QnetError as exc:
        return [("placement" if options.placement else "nodes", f"no placement of the model: {exc}")]
    return cutoff_problems(topology, partition.nodes_used) + purification_problems(
        topology, partition.nodes_used, options.purification
    )


def purification_problems(
    topology: TopologySpec, nodes: Sequence[str], purification: PurificationSpec | None
) -> list[tuple[str, str]]:
    """Node pairs among ``nodes`` whose pairs purification cannot improve: an end-to-end pair of Werner sources
    swapped at ideal repeaters has Werner parameter ``w = Π w_link`` and fidelity ``(1 + 3w)/4``; at or below
    1/2 the recurrence cannot raise it (Bennett et al., PRL 76, 722 (1996): distillable only for F > 1/2)."""
    if purification is None:
        return []
    problems: list[tuple[str, str]] = []
    for a, b in itertools.combinations(nodes, 2):
        try:
            path = quantum_path(topology, a, b)
        except NoRouteError:
            continue
        w = 1.0
        for name in path_links(topology, path):
            link = next(link for link in topology.quantum_links if link.name == name)
            w *= werner_parameter(link.quantum.source_fidelity) if link.quantum is not None else 1.0
        fidelity = (1.0 + 3.0 * w) / 4.0
        if fidelity <= 0.5:
            problems.append(
                (
                    "purification",
                    f"pairs between {a!r} and {b!r} are made with fidelity {fidelity:.3g} <= 1/2 (their links' "
                    "source_fidelity): recurrence purification cannot raise it",
                )
            )
    return problems


def cutoff_problems(topology: TopologySpec, nodes: Sequence[str]) -> list[tuple[str, str]]:
    """Links between ``nodes`` (on their quantum paths) whose pairs would be older than an end's memory cutoff
    when their herald arrives: no pair would ever survive to be used."""
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for a, b in itertools.combinations(nodes, 2):
        try:
            path = quantum_path(topology, a, b)
        except NoRouteError:  # they share no gate (the partitioner refuses a placement that needs one)
            continue
        for name in path_links(topology, path):
            link = next(link for link in topology.quantum_links if link.name == name)
            if name in seen or link.quantum is None:
                continue
            seen.add(name)
            age_s = max(storage_before_herald_s(link.quantum.heralding, link.length_km))
            for end in link.between:
                cutoff = topology.node(end).memory.cutoff_s
                if cutoff is not None and cutoff <= age_s:
                    problems.append(
                        (
                            "nodes",
                            f"node {end!r}: memory.cutoff_s = {cutoff:g} s is not longer than the {age_s:g} s a pair "
                            f"of link {name!r} has been stored when its herald arrives: no pair would survive",
                        )
                    )
    return problems
