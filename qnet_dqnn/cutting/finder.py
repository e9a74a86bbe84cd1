"""The cut finder: which gates and wires to cut so every fragment fits a QPU, at the least sampling overhead.

:func:`find_cuts` runs a uniform-cost (best-first) search over sets of candidate cuts ordered by ``Σ log γ²``: it is
exact — the first set whose fragments all fit the qubit limit has the minimum overhead — and is used while it stays
within ``max_expansions``; beyond that a heuristic partitions the qubits (greedy growth by interaction weight, then
Kernighan–Lin-style swaps) and gate-cuts every crossing gate. The heuristic runs first and is returned at once when
it meets :func:`cut_count_lower_bound` (how 32–64-qubit block circuits are cut in milliseconds).

With ``joint=True`` (and classical communication), controlled-Pauli gate cuts between the same two fragments are
then merged into joint cuts of up to :data:`~qnet_dqnn.cutting.joint.MAX_JOINT` gates (``γ = 2ⁿ⁺¹ − 1`` instead of
``3ⁿ``) where the fragments have room for the joint cut's ``n`` ancillas.

Other finders plug in by name with :func:`register_finder`: the bridge :mod:`qnet_dqnn.interop.qiskit` registers
``backend="qiskit"`` (qiskit-addon-cutting's ``find_cuts``; the ``qiskit`` extra) when the package is imported.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from qnet_dqnn.cutting.gate_cuts import cut_operation
from qnet_dqnn.cutting.joint import JOINT_GATES, MAX_JOINT
from qnet_dqnn.cutting.plan import CutPlan, GateCut, JointCut, WireCut, fragments_of
from qnet_dqnn.cutting.qpd import CutError
from qnet_dqnn.quantum.circuit import Circuit, Data, Trainable

__all__ = ["FinderBackend", "cut_count_lower_bound", "find_cuts", "finder_backends", "register_finder"]

#: A finder other than the built-in one: ``(circuit, qubit_limit, allow_gate_cuts, allow_wire_cuts, seed) -> plan``.
FinderBackend = Callable[[Circuit, int, bool, bool, Any], CutPlan]
#: Finders registered by name beside ``"builtin"`` (bridges add theirs: :func:`register_finder`).
_BACKENDS: dict[str, FinderBackend] = {}


def register_finder(name: str, finder: FinderBackend) -> None:
    """Make ``finder`` available as ``find_cuts(..., backend=name)`` (a bridge calls this when imported)."""
    if name == "builtin":
        raise CutError("'builtin' is the search of this module; register another name")
    _BACKENDS[name] = finder


def finder_backends() -> tuple[str, ...]:
    """The finder names :func:`find_cuts` accepts now."""
    return ("builtin", *sorted(_BACKENDS))


#: Slack when comparing sums of ``log γ²`` (float rounding of a few logarithms).
_LOG_TOLERANCE = 1e-9
#: Gate angles at which a trainable gate's γ is sampled to find its largest value.
_ANGLES = np.linspace(-np.pi, np.pi, 181)


def _gate_overhead(op) -> float | None:
    """``γ²`` of cutting ``op`` (its largest over the angle when trainable); None when it cannot be cut."""
    try:
        if op.params and isinstance(op.params[0], Data):
            return None
        if op.params and isinstance(op.params[0], Trainable):
            ref = op.params[0]
            p = np.zeros(ref.index + 1)
            worst = 0.0
            for a in _ANGLES:
                p[ref.index] = a / ref.scale
                worst = max(worst, cut_operation(op, p).gamma)
            return worst**2
        return cut_operation(op).overhead
    except CutError:
        return None


def _candidates(
    circuit: Circuit, allow_gate: bool, allow_wire: bool, classical_communication: bool
) -> list[tuple[float, GateCut | WireCut]]:
    out: list[tuple[float, GateCut | WireCut]] = []
    if allow_gate:
        for i, op in enumerate(circuit.ops):
            if len(op.qubits) == 2 and not op.is_channel:
                o = _gate_overhead(op)
                if o is not None:
                    out.append((o, GateCut(i)))
    if allow_wire:
        wo = 9.0 if classical_communication else 16.0
        ops_on: dict[int, list[int]] = {}
        for i, op in enumerate(circuit.ops):
            for q in op.qubits:
                ops_on.setdefault(q, []).append(i)
        for q, idx in ops_on.items():
            for a, b in zip(idx[:-1], idx[1:], strict=True):
                # a cut between two one-qubit-only stretches never helps; only cut before a two-qubit gate
                if len(circuit.ops[b].qubits) == 2:
                    out.append((wo, WireCut(q, a, classical_communication)))
    return out


def cut_count_lower_bound(num_qubits: int, qubit_limit: int, components: int) -> int:
    """Fewest cuts that can leave every fragment within ``qubit_limit`` qubits.

    Every qubit has at least one wire segment, so at least ``⌈n / limit⌉`` fragments are needed; a gate cut
    removes one edge and a wire cut splits one node of the segment graph, so each cut adds at most one
    connected component to the ``components`` of the uncut circuit (Diestel, *Graph Theory*, 5th ed., 2017,
    §1.5: deleting an edge raises the component count by at most one). Hence ``cuts ≥ ⌈n/limit⌉ − components``,
    and ``Σ log γ² ≥ cuts · min_candidate log γ²``.
    """
    return max(0, -(-num_qubits // qubit_limit) - components)


def _max_width(circuit: Circuit, cuts: tuple) -> int:
    return max(len(f.segments) for f in fragments_of(circuit, cuts))


def find_cuts(
    circuit: Circuit,
    qubit_limit: int,
    *,
    allow_gate_cuts: bool = True,
    allow_wire_cuts: bool = True,
    classical_communication: bool = False,
    joint: bool = False,
    max_expansions: int = 5000,
    backend: str = "builtin",
    seed: int | None = None,
) -> CutPlan:
    """Choose cuts so every fragment fits in ``qubit_limit`` qubits at minimum overhead.

    Args:
        circuit: the circuit to cut.
        qubit_limit: qubits available on one QPU.
        allow_gate_cuts: consider cutting two-qubit gates (any, by their KAK decomposition; a trainable angle at its
            largest γ; a data-dependent angle never).
        allow_wire_cuts: consider cutting a wire just before a two-qubit gate.
        classical_communication: wire cuts use the feed-forward QPD (γ = 3) instead of γ = 4.
        joint: merge controlled-Pauli gate cuts between the same fragments into joint cuts (needs
            ``classical_communication``; each side of a joint cut of ``n`` gates needs ``n`` more qubits).
        max_expansions: budget of the exact best-first search before falling back to the heuristic.
        backend: ``"builtin"`` or a registered finder (:func:`finder_backends`; ``"qiskit"``:
            qiskit-addon-cutting's finder, gate and Peng wire cuts).
        seed: a registered finder's seed.

    Returns:
        A :class:`CutPlan` (with ``qubit_limit`` set).

    Raises:
        CutError: for a bad limit or backend, ``joint`` without classical communication, or when no combination of
            the allowed cuts fits the limit.
    """
    if qubit_limit < 1:
        raise CutError(f"qubit_limit must be >= 1 (got {qubit_limit!r})")
    if backend != "builtin" and backend not in _BACKENDS:
        raise CutError(f"backend must be one of {list(finder_backends())} (got {backend!r})")
    if joint and not classical_communication:
        raise CutError("joint cuts need classical communication (classical_communication=True)")
    if backend != "builtin":
        return _BACKENDS[backend](circuit, qubit_limit, allow_gate_cuts, allow_wire_cuts, seed)
    plan = _search(circuit, qubit_limit, allow_gate_cuts, allow_wire_cuts, classical_communication, max_expansions)
    return _merge_joint(plan) if joint else plan


def _search(
    circuit: Circuit, qubit_limit: int, allow_gate: bool, allow_wire: bool, cc: bool, max_expansions: int
) -> CutPlan:
    uncut = fragments_of(circuit, ())
    if max(f.width for f in uncut) <= qubit_limit:
        return CutPlan(circuit, (), qubit_limit)
    cands = sorted(_candidates(circuit, allow_gate, allow_wire, cc), key=lambda t: t[0])
    logc = [math.log(c) for c, _ in cands]
    if allow_gate and cands:
        # certify the heuristic before searching: a plan that meets the lower bound is optimal
        bound = cut_count_lower_bound(circuit.num_qubits, qubit_limit, len(uncut)) * logc[0]
        try:
            quick = _heuristic(circuit, qubit_limit)
        except CutError:
            quick = None
        if quick is not None and math.log(quick.sampling_overhead) <= bound + _LOG_TOLERANCE:
            return quick
    # best-first search over subsets in canonical (increasing index) order: pop order = overhead order
    heap: list[tuple[float, tuple[int, ...]]] = [(0.0, ())]
    expansions = 0
    while heap and expansions < max_expansions:
        cost, chosen = heapq.heappop(heap)
        cuts = tuple(cands[i][1] for i in chosen)
        if _max_width(circuit, cuts) <= qubit_limit:
            try:
                return CutPlan(circuit, cuts, qubit_limit)
            except CutError:  # pragma: no cover - defensive (duplicate wire positions cannot occur)
                pass
        expansions += 1
        start = chosen[-1] + 1 if chosen else 0
        for j in range(start, len(cands)):
            heapq.heappush(heap, (cost + logc[j], chosen + (j,)))
    if not allow_gate:
        raise CutError(
            f"no wire cuts found within {max_expansions} expansions that leave every fragment within {qubit_limit} "
            "qubits (the heuristic fallback needs gate cuts)"
        )
    return _heuristic(circuit, qubit_limit)


def _heuristic(circuit: Circuit, qubit_limit: int) -> CutPlan:
    """Partition qubits into groups of ``≤ qubit_limit`` and gate-cut every gate that crosses groups."""
    n = circuit.num_qubits
    weight = np.zeros((n, n))
    for op in circuit.ops:
        if len(op.qubits) == 2 and not op.is_channel:
            a, b = op.qubits
            o = _gate_overhead(op)
            w = math.log(o) if o is not None else 1e6  # an uncuttable gate must not cross groups
            weight[a, b] += w
            weight[b, a] += w
    k = math.ceil(n / qubit_limit)
    groups: list[list[int]] = [[] for _ in range(k)]
    unplaced = set(range(n))
    for g in groups:
        if not unplaced:
            break
        seed = min(unplaced)
        g.append(seed)
        unplaced.discard(seed)
        while len(g) < qubit_limit and unplaced:
            best = max(sorted(unplaced), key=lambda q: weight[q, g].sum())
            g.append(best)
            unplaced.discard(best)
    label = np.empty(n, dtype=int)
    for gi, g in enumerate(groups):
        label[g] = gi

    def cut_cost(lab: np.ndarray) -> float:
        return float(weight[lab[:, None] != lab[None, :]].sum() / 2)

    best = cut_cost(label)
    improved = True
    while improved:
        improved = False
        for a in range(n):
            for b in range(a + 1, n):
                if label[a] == label[b]:
                    continue
                label[a], label[b] = label[b], label[a]
                c = cut_cost(label)
                if c < best - 1e-12:
                    best, improved = c, True
                else:
                    label[a], label[b] = label[b], label[a]
    cuts = tuple(
        GateCut(i)
        for i, op in enumerate(circuit.ops)
        if len(op.qubits) == 2 and not op.is_channel and label[op.qubits[0]] != label[op.qubits[1]]
    )
    return CutPlan(circuit, cuts, qubit_limit)


def _merge_joint(plan: CutPlan) -> CutPlan:
    """Merge controlled-Pauli gate cuts between the same (ordered) fragment pair into joint cuts, largest first,
    where the widths allow the ancillas."""
    groups: dict[tuple[int, int], list[int]] = {}
    for j, c in enumerate(plan.cuts):
        if isinstance(c, GateCut) and plan.circuit.ops[c.op_index].name in JOINT_GATES:
            groups.setdefault(plan.cut_sides[j], []).append(c.op_index)
    current = list(plan.cuts)
    for (left, right), ops in groups.items():
        if left == right or len(ops) < 2:
            continue
        for start in range(0, len(ops), MAX_JOINT):
            chunk = ops[start : start + MAX_JOINT]
            while len(chunk) >= 2:
                trial = [c for c in current if not (isinstance(c, GateCut) and c.op_index in chunk)]
                trial.append(JointCut(tuple(chunk)))
                try:
                    candidate = CutPlan(plan.circuit, tuple(trial), plan.qubit_limit)
                except CutError:
                    chunk = chunk[:-1]
                    continue
                before = CutPlan(plan.circuit, tuple(current), plan.qubit_limit).sampling_overhead
                if candidate.sampling_overhead < before:
                    current = trial
                break
    return CutPlan(plan.circuit, tuple(current), plan.qubit_limit)
