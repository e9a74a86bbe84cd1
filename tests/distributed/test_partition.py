"""The partitioner of coherent splitting: optimal for small circuits, within capacity, pins honoured."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from qnet_dqnn.distributed.partition import (
    data_capacities,
    interaction_weights,
    pair_costs,
    partition_cost,
    partition_qubits,
)
from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml import hardware_efficient
from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]


def _random_two_qubit(n: int, gates: int, rng: np.random.Generator) -> Circuit:
    c = Circuit(n)
    for _ in range(gates):
        a, b = rng.choice(n, size=2, replace=False)
        name = str(rng.choice(["cx", "cz", "rzz", "swap"]))
        c.append(name, [a, b], [0.3] if name == "rzz" else [])
    return c


def _brute_force(circuit: Circuit, capacities: dict[str, int], costs: dict, pinned: dict[int, str]) -> float:
    weights = interaction_weights(circuit)
    best = math.inf
    for assignment in itertools.product(list(capacities), repeat=circuit.num_qubits):
        if any(assignment.count(n) > cap for n, cap in capacities.items()):
            continue
        if any(assignment[q] != n for q, n in pinned.items()):
            continue
        best = min(best, partition_cost(weights, assignment, costs))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_exact_search_finds_the_brute_force_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 7))
    circuit = _random_two_qubit(n, int(rng.integers(3, 12)), rng)
    nodes = ["a", "b", "c"]
    capacities = {m: int(rng.integers(1, n)) for m in nodes}
    while sum(capacities.values()) < n:
        capacities["a"] += 1
    costs = {}
    for x, y in itertools.combinations(nodes, 2):
        costs[(x, y)] = costs[(y, x)] = float(rng.integers(1, 4))
    pinned = {0: "b"} if seed % 2 else {}
    part = partition_qubits(circuit, capacities, costs, pinned=pinned)
    assert part.exact
    assert part.cost == pytest.approx(_brute_force(circuit, capacities, costs, pinned))
    for node, cap in capacities.items():
        assert len(part.qubits_on(node)) <= cap
    assert all(part.assignment[q] == node for q, node in pinned.items())
    # the reported cut is the gates whose qubits are apart, and telegates weight them
    apart = [i for i, op in enumerate(circuit.ops) if part.assignment[op.qubits[0]] != part.assignment[op.qubits[1]]]
    assert list(part.cut_gates) == apart
    assert part.telegates == sum({"cx": 1, "cz": 1, "rzz": 2, "swap": 3}[circuit.ops[i].name] for i in apart)


def test_a_hardware_efficient_chain_is_cut_once_per_layer() -> None:
    circuit = hardware_efficient(8, 3)
    part = partition_qubits(circuit, {"q0": 7, "q1": 7})
    assert part.cut_size == 3 and part.telegates == 3 and part.cost == 3.0
    four = partition_qubits(circuit, {"a": 2, "b": 2, "c": 2, "d": 2})
    assert four.cut_size == 9  # 3 boundaries of a chain, every layer
    assert sorted(len(four.qubits_on(n)) for n in "abcd") == [2, 2, 2, 2]


def test_pair_costs_steer_remote_gates_to_near_nodes() -> None:
    # two clusters of 3 qubits joined by one CNOT; three nodes of 3, a-c far apart (cost 5)
    c = Circuit(6).cx(0, 1).cx(1, 2).cx(0, 2).cx(3, 4).cx(4, 5).cx(3, 5).cx(2, 3)
    costs = {("a", "b"): 1.0, ("b", "a"): 1.0, ("b", "c"): 1.0, ("c", "b"): 1.0, ("a", "c"): 5.0, ("c", "a"): 5.0}
    part = partition_qubits(c, {"a": 3, "b": 3, "c": 3}, costs, pinned={0: "a"})
    assert part.cost == 1.0 and set(part.assignment[3:]) == {"b"}


def test_unreachable_nodes_never_share_a_gate() -> None:
    c = Circuit(4).cx(0, 1).cx(1, 2).cx(2, 3)
    costs = {("a", "b"): math.inf, ("b", "a"): math.inf}
    with pytest.raises(QnetError, match="no quantum path"):
        partition_qubits(c, {"a": 2, "b": 2}, costs)
    # a disconnected circuit can still be placed
    assert partition_qubits(Circuit(4).cx(0, 1).cx(2, 3), {"a": 2, "b": 2}, costs).cost == 0.0


def test_kernighan_lin_refinement_for_large_circuits() -> None:
    # two 8-qubit clusters, qubit order interleaved so the greedy fill alone is not enough
    rng = np.random.default_rng(3)
    perm = rng.permutation(16)
    c = Circuit(16)
    for cluster in (perm[:8], perm[8:]):
        for a, b in itertools.combinations(cluster, 2):
            c.cx(int(a), int(b))
    c.cx(int(perm[0]), int(perm[8]))
    part = partition_qubits(c, {"a": 8, "b": 8}, exact_limit=10)
    assert not part.exact
    assert part.cost == 1.0
    assert {part.assignment[q] for q in perm[:8]} != {part.assignment[q] for q in perm[8:]}


def test_heuristic_is_close_to_exact_on_random_circuits() -> None:
    for seed in range(5):
        rng = np.random.default_rng(seed)
        c = _random_two_qubit(8, 14, rng)
        caps = {"a": 4, "b": 4}
        exact = partition_qubits(c, caps)
        heuristic = partition_qubits(c, caps, exact_limit=1, pinned={})
        assert heuristic.cost >= exact.cost
        assert heuristic.cost <= exact.cost + 3
        assert sorted(len(heuristic.qubits_on(n)) for n in caps) == [4, 4]


def test_pins_are_honoured_and_checked() -> None:
    c = hardware_efficient(4, 1)
    full = partition_qubits(c, {"a": 3, "b": 3}, pinned={0: "b", 1: "a", 2: "a", 3: "b"})
    assert full.assignment == ("b", "a", "a", "b") and full.cut_size == 2
    with pytest.raises(QnetError, match="more qubits are pinned"):
        partition_qubits(c, {"a": 1, "b": 3}, pinned={0: "a", 1: "a"})
    with pytest.raises(QnetError, match="not one of the nodes"):
        partition_qubits(c, {"a": 2, "b": 2}, pinned={0: "z"})
    with pytest.raises(QnetError, match="data qubits in all"):
        partition_qubits(c, {"a": 1, "b": 2})


def test_capacities_and_costs_from_topologies() -> None:
    star = load_topology(ROOT / "topologies" / "star4.yaml")
    assert data_capacities(star, ["q0", "q1"]) == {"q0": 7, "q1": 7}
    assert data_capacities(star, ["q0"], communication_qubits=6) == {"q0": 2}
    costs = pair_costs(star, ["q0", "q1", "q2"])
    assert costs[("q0", "q1")] == 2.0 and costs[("q2", "q0")] == 2.0
    small = load_topology(ROOT / "topologies" / "small_qpus.yaml")
    assert data_capacities(small, ["qpu_a", "qpu_far"]) == {"qpu_a": 2, "qpu_far": 3}
    costs = pair_costs(small, ["qpu_a", "qpu_b", "qpu_far"])
    assert costs[("qpu_a", "qpu_b")] == 1.0 and math.isinf(costs[("qpu_a", "qpu_far")])
