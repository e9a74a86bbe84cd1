"""Placing a circuit's qubits on QPUs: the partitioner of coherent model splitting.

A coherently split circuit (the review, sec. 6.1.2) keeps every qubit on one QPU and does each two-qubit gate
between qubits on different QPUs as a telegate (Eisert, Jacobs, Papadopoulos & Plenio, PRA 62, 052317
(2000)), which consumes one end-to-end pair per CNOT. The partitioner chooses the placement that minimises

    cost = Σ_{remote gates} telegates(gate) · pair_cost(node(a), node(b))

under each node's data capacity (its qubits less the communication qubits kept for pairs), where
``telegates`` is 1 for ``cx``/``cz``, 2 for ``rzz``/``rxx``/``ryy`` (CNOT–rotation–CNOT) and 3 for ``swap``,
and ``pair_cost`` is the number of quantum links on the path between the two nodes (an end-to-end pair over
``h`` links takes ``h`` link pairs and ``h − 1`` swaps; nodes with no quantum path cannot share a gate).

Search: exact branch and bound over all placements when the circuit is small (``qubits ≤ exact_limit``,
qubits in decreasing order of interaction, a branch cut as soon as its partial cost reaches the best);
beyond that a greedy fill (qubits in breadth-first order of the interaction graph, each to the node where it
adds the least cost) refined by Kernighan–Lin bisection (Kernighan & Lin, Bell Syst. Tech. J. 49, 291
(1970); :func:`networkx.algorithms.community.kernighan_lin_bisection`) on every pair of nodes, a refinement
kept only when it lowers the total cost and leaves pinned qubits where they are. KL swaps qubits in pairs, so
the node loads, and with them the capacities, are preserved. Users can pin some or all qubits by hand.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Operation
from qnet_dqnn.topology import TopologySpec

__all__ = [
    "TELEGATES_PER_GATE",
    "Partition",
    "data_capacities",
    "interaction_weights",
    "pair_costs",
    "pair_slots",
    "partition_cost",
    "partition_qubits",
    "remote_gates",
    "spare_slots",
    "telegates_per_gate",
]

#: Telegates (non-local CNOTs) one remote two-qubit gate needs.
TELEGATES_PER_GATE: dict[str, int] = {"cx": 1, "cz": 1, "rzz": 2, "rxx": 2, "ryy": 2, "swap": 3}


def telegates_per_gate(op: Operation) -> int:
    """How many telegates the two-qubit gate ``op`` needs when its qubits sit on different nodes."""
    if op.name not in TELEGATES_PER_GATE:
        raise QnetError(f"gate {op.name!r} cannot be split across nodes (known: {', '.join(TELEGATES_PER_GATE)})")
    return TELEGATES_PER_GATE[op.name]


def interaction_weights(circuit: Circuit) -> dict[tuple[int, int], int]:
    """Telegates needed between each pair of qubits ``(a < b)`` if they were on different nodes."""
    weights: dict[tuple[int, int], int] = {}
    for op in circuit.two_qubit_gates():
        a, b = sorted(op.qubits)
        weights[(a, b)] = weights.get((a, b), 0) + telegates_per_gate(op)
    return weights


def data_capacities(topology: TopologySpec, nodes: Sequence[str], communication_qubits: int = 1) -> dict[str, int]:
    """Qubits each node can give the circuit: its qubits less its communication qubits.

    A node that declares ``communication_qubits`` keeps that many for pairs; one that does not (all its
    qubits may hold pairs) keeps ``communication_qubits`` of them (a telegate needs one at a time).
    """
    known = {n.name: n for n in topology.nodes}
    out = {}
    for name in nodes:
        node = known[name]
        reserved = node.communication_qubits if node.communication_qubits is not None else communication_qubits
        out[name] = max(node.qubits - reserved, 0)
    return out


def spare_slots(
    topology: TopologySpec, nodes: Sequence[str], assignment: Sequence[str], communication_qubits: int = 1
) -> dict[str, int]:
    """Data qubits each node can take in beyond those ``assignment`` places on it (a teleported qubit needs
    one): :func:`data_capacities` less the placed qubits."""
    capacities = data_capacities(topology, nodes, communication_qubits)
    return {name: max(capacities[name] - sum(1 for n in assignment if n == name), 0) for name in nodes}


def pair_slots(topology: TopologySpec, node: str, assignment: Sequence[str]) -> int:
    """Qubits of ``node`` that can hold pairs while the circuit runs: those holding no data qubit, at most its
    memory capacity (its ``communication_qubits`` if it declares them)."""
    spec = topology.node(node)
    return max(min(spec.memory_capacity, spec.qubits - sum(1 for n in assignment if n == node)), 0)


def pair_costs(topology: TopologySpec, nodes: Sequence[str]) -> dict[tuple[str, str], float]:
    """Quantum links on the shortest quantum path between every two of ``nodes`` (``inf``: no path)."""
    graph = nx.Graph()
    graph.add_nodes_from(n.name for n in topology.nodes)
    graph.add_edges_from(tuple(link.between) for link in topology.quantum_links)
    out: dict[tuple[str, str], float] = {}
    for a, b in itertools.combinations(nodes, 2):
        try:
            hops = float(nx.shortest_path_length(graph, a, b))
        except nx.NetworkXNoPath:
            hops = math.inf
        out[(a, b)] = out[(b, a)] = hops
    return out


@dataclass(frozen=True)
class Partition:
    """A placement of a circuit's qubits on nodes.

    Attributes:
        assignment: node of each qubit.
        cost: Σ telegates × pair cost over remote gates.
        cut_gates: indices (into ``circuit.ops``) of the two-qubit gates whose qubits sit on different nodes.
        telegates: telegates one run of the circuit needs (Σ :func:`telegates_per_gate` over ``cut_gates``).
        exact: True when found by exhaustive search (an optimum).
    """

    assignment: tuple[str, ...]
    cost: float
    cut_gates: tuple[int, ...]
    telegates: int
    exact: bool

    @property
    def cut_size(self) -> int:
        """Remote two-qubit gates."""
        return len(self.cut_gates)

    def qubits_on(self, node: str) -> list[int]:
        """The qubits placed on ``node``."""
        return [q for q, n in enumerate(self.assignment) if n == node]

    @property
    def nodes_used(self) -> list[str]:
        """Nodes holding at least one qubit, in first-qubit order."""
        return list(dict.fromkeys(self.assignment))


def remote_gates(circuit: Circuit, assignment: Sequence[str]) -> list[int]:
    """Indices of the two-qubit gates of ``circuit`` whose qubits ``assignment`` puts on different nodes."""
    return [
        i
        for i, op in enumerate(circuit.ops)
        if not op.is_channel and len(op.qubits) == 2 and assignment[op.qubits[0]] != assignment[op.qubits[1]]
    ]


def partition_cost(
    weights: Mapping[tuple[int, int], int], assignment: Sequence[str], costs: Mapping[tuple[str, str], float]
) -> float:
    """Σ weight × pair cost over the qubit pairs ``assignment`` puts on different nodes."""
    total = 0.0
    for (a, b), w in weights.items():
        na, nb = assignment[a], assignment[b]
        if na != nb:
            total += w * costs[(na, nb)]
    return total


def _finish(circuit: Circuit, assignment: Sequence[str], cost: float, exact: bool) -> Partition:
    cut = remote_gates(circuit, assignment)
    telegates = sum(telegates_per_gate(circuit.ops[i]) for i in cut)
    return Partition(tuple(assignment), cost, tuple(cut), telegates, exact)


def _check_inputs(circuit: Circuit, capacities: Mapping[str, int], pinned: Mapping[int, str]) -> None:
    n = circuit.num_qubits
    if sum(capacities.values()) < n:
        raise QnetError(f"the nodes hold {sum(capacities.values())} data qubits in all; the circuit needs {n}")
    load: dict[str, int] = {}
    for q, node in pinned.items():
        if not 0 <= q < n:
            raise QnetError(f"pinned qubit {q} is out of range for a {n}-qubit circuit")
        if node not in capacities:
            raise QnetError(f"qubit {q} is pinned to {node!r}, which is not one of the nodes")
        load[node] = load.get(node, 0) + 1
        if load[node] > capacities[node]:
            raise QnetError(f"more qubits are pinned to {node!r} than its {capacities[node]} data qubits")


def _exact(
    n: int,
    nodes: list[str],
    capacities: Mapping[str, int],
    weights: Mapping[tuple[int, int], int],
    costs: Mapping[tuple[str, str], float],
    pinned: Mapping[int, str],
) -> tuple[list[str], float] | None:
    """Branch and bound over all placements; None if none has a finite cost."""
    degree = [0] * n
    for (a, b), w in weights.items():
        degree[a] += w
        degree[b] += w
    order = sorted(range(n), key=lambda q: (q not in pinned, -degree[q], q))
    position = {q: i for i, q in enumerate(order)}
    # neighbours placed earlier in the order
    earlier: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for (a, b), w in weights.items():
        late, early = (a, b) if position[a] > position[b] else (b, a)
        earlier[late].append((early, w))
    uniform = _uniform(costs)
    best: list[float] = [math.inf]
    best_assignment: list[list[str]] = []
    assignment: list[str] = [""] * n
    load = dict.fromkeys(nodes, 0)

    def visit(i: int, partial: float) -> None:
        if partial >= best[0]:
            return
        if i == n:
            best[0] = partial
            best_assignment[:] = [list(assignment)]
            return
        q = order[i]
        choices = [pinned[q]] if q in pinned else nodes
        tried_empty: set[int] = set()
        for node in choices:
            if load[node] >= capacities[node]:
                continue
            if q not in pinned and load[node] == 0 and uniform:
                # pins are placed first, so empty nodes of equal capacity are interchangeable under uniform
                # pair costs: try one of them only
                if capacities[node] in tried_empty:
                    continue
                tried_empty.add(capacities[node])
            add = sum(w * costs[(node, assignment[p])] for p, w in earlier[q] if assignment[p] != node)
            assignment[q] = node
            load[node] += 1
            visit(i + 1, partial + add)
            load[node] -= 1
            assignment[q] = ""

    visit(0, 0.0)
    if not best_assignment or math.isinf(best[0]):
        return None
    return best_assignment[0], best[0]


def _uniform(costs: Mapping[tuple[str, str], float]) -> bool:
    return len(set(costs.values())) <= 1


def _greedy(
    circuit: Circuit,
    nodes: list[str],
    capacities: Mapping[str, int],
    weights: Mapping[tuple[int, int], int],
    costs: Mapping[tuple[str, str], float],
    pinned: Mapping[int, str],
) -> list[str]:
    """Qubits in breadth-first order of the interaction graph, each to the node where it adds least cost
    (ties: the node already holding most of its neighbours, then the fullest node, then node order)."""
    n = circuit.num_qubits
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from((a, b, w) for (a, b), w in weights.items())
    order = list(pinned)
    for component in nx.connected_components(graph):
        start = min(component)
        order += [q for q in nx.bfs_tree(graph, start) if q not in pinned]
    assignment = [""] * n
    load = dict.fromkeys(nodes, 0)
    for q, node in pinned.items():
        assignment[q] = node
        load[node] += 1
    for q in order:
        if q in pinned:
            continue
        best_key, best_node = None, None
        for i, node in enumerate(nodes):
            if load[node] >= capacities[node]:
                continue
            add = 0.0
            near = 0
            for p in graph.neighbors(q):
                if assignment[p]:
                    w = graph[q][p]["weight"]
                    if assignment[p] != node:
                        add += w * costs[(node, assignment[p])]
                    else:
                        near += w
            key = (add, -near, -load[node] if load[node] else 0, i)
            if best_key is None or key < best_key:
                best_key, best_node = key, node
        assert best_node is not None  # total capacity was checked
        assignment[q] = best_node
        load[best_node] += 1
    return assignment


def _refine(
    assignment: list[str],
    nodes: list[str],
    weights: Mapping[tuple[int, int], int],
    costs: Mapping[tuple[str, str], float],
    pinned: Mapping[int, str],
    seed: int,
) -> list[str]:
    """Kernighan–Lin bisection on every pair of nodes, kept while it lowers the total cost."""
    current = partition_cost(weights, assignment, costs)
    improved = True
    while improved:
        improved = False
        for a, b in itertools.combinations(nodes, 2):
            side_a = {q for q, n in enumerate(assignment) if n == a}
            side_b = {q for q, n in enumerate(assignment) if n == b}
            if not side_a or not side_b:
                continue
            sub = nx.Graph()
            sub.add_nodes_from(side_a | side_b)
            sub.add_weighted_edges_from((p, q, w) for (p, q), w in weights.items() if p in sub and q in sub)
            new_a, new_b = nx.algorithms.community.kernighan_lin_bisection(
                sub, partition=(side_a, side_b), weight="weight", seed=seed
            )
            trial = list(assignment)
            for q in new_a:
                trial[q] = a
            for q in new_b:
                trial[q] = b
            if any(trial[q] != node for q, node in pinned.items()):
                continue
            cost = partition_cost(weights, trial, costs)
            if cost < current - 1e-12:
                assignment, current, improved = trial, cost, True
    return assignment


def partition_qubits(
    circuit: Circuit,
    capacities: Mapping[str, int],
    costs: Mapping[tuple[str, str], float] | None = None,
    *,
    pinned: Mapping[int, str] | None = None,
    exact_limit: int = 10,
    seed: int = 0,
) -> Partition:
    """Place the circuit's qubits on nodes within ``capacities``, minimising the weighted cut.

    Args:
        circuit: the circuit to split.
        capacities: data qubits each node offers (node order is the tie-break order).
        costs: pair cost between two nodes (default 1 for every pair); ``inf`` forbids a gate between them.
        pinned: qubits whose node the user fixes.
        exact_limit: largest number of qubits searched exhaustively (branch and bound).
        seed: seed of the Kernighan–Lin refinement.

    Returns:
        The placement, its cost and its remote gates.

    Raises:
        QnetError: the nodes are too small, a pin is invalid, or every placement needs a gate between nodes
            with no quantum path.

    Examples:
        >>> c = Circuit(4).cx(0, 1).cx(2, 3).cx(1, 2)
        >>> p = partition_qubits(c, {"a": 2, "b": 2})
        >>> p.assignment, p.cut_size
        (('a', 'a', 'b', 'b'), 1)
    """
    nodes = list(capacities)
    pinned = dict(pinned or {})
    _check_inputs(circuit, capacities, pinned)
    costs = dict(costs) if costs is not None else {(a, b): 1.0 for a in nodes for b in nodes if a != b}
    weights = interaction_weights(circuit)
    n = circuit.num_qubits
    if len(pinned) == n:
        assignment = [pinned[q] for q in range(n)]
        cost = partition_cost(weights, assignment, costs)
        if math.isinf(cost):
            raise QnetError("the pinned placement needs a gate between nodes with no quantum path")
        return _finish(circuit, assignment, cost, exact=True)
    if n <= exact_limit:
        found = _exact(n, nodes, capacities, weights, costs, pinned)
        if found is None:
            raise QnetError("every placement needs a gate between nodes with no quantum path")
        return _finish(circuit, found[0], found[1], exact=True)
    assignment = _greedy(circuit, nodes, capacities, weights, costs, pinned)
    assignment = _refine(assignment, nodes, weights, costs, pinned, seed)
    cost = partition_cost(weights, assignment, costs)
    if math.isinf(cost):
        raise QnetError("no placement found that avoids gates between nodes with no quantum path")
    return _finish(circuit, assignment, cost, exact=False)
