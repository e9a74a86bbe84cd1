"""The ``coherent`` strategy: one QNN circuit split over several QPUs, remote gates by telegates.

Coherent model splitting (the review, sec. 6.1.2): the model circuit's qubits are placed on QPUs by the
partitioner (:mod:`qnet_dqnn.distributed.partition`), and every two-qubit gate between qubits on different
QPUs is done by a telegate — cat-entangler and disentangler over one end-to-end pair, one classical bit each
way (Eisert, Jacobs, Papadopoulos & Plenio, PRA 62, 052317 (2000)). ``cx``/``cz`` take one telegate;
``rzz`` is CNOT·RZ·CNOT, ``rxx``/``ryy`` the same in a rotated basis (two), ``swap`` three CNOTs.

**Noise the network causes.** A telegate over a Bell-diagonal pair with coefficients ``c_k`` (k = x + 2z)
acts as the ideal CNOT followed by ``Z^z`` on the control and ``X^x`` on the target with probability ``c_k``
(:func:`qnet_dqnn.physics.telegate.telegate_pauli_errors`); a CZ (CNOT conjugated by H on the target) gets
``Z^z ⊗ Z^x``. :func:`split_circuit` inserts that two-qubit Pauli channel after every remote CNOT/CZ, with the
mean Bell coefficients of the pairs the step consumed — their state when used, i.e. after their wait in
memory. The mean is exact for expectation values: every shot uses fresh pairs and the channel is linear in
``c``. The annotated circuit is evaluated exactly by summing over the Pauli errors of the channels in the
readout's light cone (:func:`pauli_expansion`, :func:`light_cone_channels`; values and adjoint gradients per
error pattern), or with density matrices (``qubits ≤ dm_max_qubits``) or Pauli trajectories (parameter-shift
gradients) when there are too many patterns, so training sees the degraded values and gradients.
With perfect pairs the circuit has no channels and the adjoint method gives the unsplit circuit's gradient.

**Accounting in bulk (the approximation).** One step evaluates the batch loss and its parameter-shift
gradient: ``C = B·(1 + 2·n_occ)`` circuits of ``S`` shots (``shots``, else ``accounting_shots``), each with
``g`` telegates, so ``g·C·S`` pairs — far too many for one SimPy event each. Per step and per pair of nodes
``(a, b)`` that share ``g_ab`` telegates per run, the strategy

1. *simulates* a representative batch of ``k = min(representative_pairs, g_ab·C·S)`` pairs through the
   entanglement service (``request_pairs``), each pair held in memory for ``hold_s`` (default: one shot —
   the look-ahead of a pair made during the previous shot) and then consumed; their states at consumption give
   the channel, and the batch's duration ``T_k`` gives the supply time;
2. charges the other ``g_ab·C·S − k`` pairs at the same mean time per pair (a timeout of
   ``(g_ab·C·S − k)·T_k/k``) and books them in the ledger: pairs delivered and consumed exactly (one link
   pair per link of the path, and one end-to-end pair on ``a~b`` over several links), the other counters the
   batches moved (attempts, swaps, messages and bits of the swap notices) scaled by the same ratio;
3. books the telegates (at the control qubit's node) and their two 1-bit messages per telegate.

Meanwhile every QPU holding qubits runs the circuits: ``C·S`` shots, each as long as the split circuit's
scheduled depth on the slowest QPU plus, per telegate, the one-way classical delay each way and the extra
local operations (CNOT and Z measurement at the control's node, X correction and X-basis measurement at the
target's node, Z correction back: ``t2q + 2·tmeas + 2·t1q``). Pair supply and computation overlap (pairs are
made while earlier shots run): the step takes the longer of the two, and a QPU whose shots are done before
the pairs are records ``wait_pairs`` for the difference. What this leaves out: pairs are not matched to
individual shots (no per-shot stalls when supply and demand interleave unevenly), qubits do not idle while
waiting for a telegate's bits, and teleporting a qubit instead of a telegate is not offered.

**Faults** (``faults:``, :class:`~qnet_dqnn.distributed.faults.FaultsSpec`; only ``dropout`` here). A step
needs every QPU holding qubits of the split circuit. If one of them is down when the step starts, or an outage
begins before the step ends, the step fails: its ``C·S`` shots are lost (``failed_shots``, ``failed_steps`` in
the metrics, a ``step_failed`` trace event), the parameters are not updated, and the run waits until all those
QPUs are up again before the next step (its minibatch is drawn afresh). A crashed QPU stops computing at the
crash (its busy time is booked up to then, its shots are not); the pair supply of the failed step runs to its
end (the network is not down, only the QPU). If a node never comes back, or not before the run's time limit,
the run ends there (``stopped_by_fault`` = 1 and a ``run_stopped`` trace event) instead of waiting forever.

Metrics: ``output_fidelity`` — mean ``⟨ψ|ρ|ψ⟩`` of the final split circuit's output state against the ideal
unsplit one over ``fidelity_samples`` validation inputs — and the cut, pair and timing numbers.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Generator, Mapping, Sequence
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
    partition_qubits,
)
from qnet_dqnn.distributed.qpu import QPU, qpu_noise, qpu_timing
from qnet_dqnn.distributed.spec import TrainSpec, build_model
from qnet_dqnn.distributed.strategies import qpu_node_problems, register_strategy
from qnet_dqnn.errors import QnetError
from qnet_dqnn.net import Network
from qnet_dqnn.net.entanglement import oriented
from qnet_dqnn.net.routing import path_links, quantum_path
from qnet_dqnn.physics.density import bell_coefficients
from qnet_dqnn.qml import QNNModel
from qnet_dqnn.quantum.circuit import Circuit, Operation
from qnet_dqnn.quantum.density_matrix import density_matrix, dm_expectation
from qnet_dqnn.quantum.gradients import adjoint_jacobian, parameter_shift_circuits, parameter_shift_jacobian
from qnet_dqnn.quantum.noise import PAULI2_LABELS, NoiseModel
from qnet_dqnn.quantum.shots import QPUTiming, circuit_duration, shot_evaluator
from qnet_dqnn.quantum.statevector import expectation, statevector
from qnet_dqnn.quantum.trajectories import trajectory_expectation
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds, to_ticks

__all__ = [
    "CoherentOptions",
    "SplitEvaluator",
    "light_cone_channels",
    "output_fidelity",
    "pauli_expansion",
    "plan_partition",
    "split_circuit",
    "step_workload",
    "telegate_probabilities",
]

#: Bell coefficients of a perfect pair.
PERFECT = np.array([1.0, 0.0, 0.0, 0.0])

#: Rows per density-matrix evaluation chunk (bounds memory: 64 x 4**n complex numbers).
DM_CHUNK = 64


class CoherentOptions(BaseModel):
    """Options of the ``coherent`` strategy.

    Attributes:
        nodes: QPUs the partitioner may use (default: every QPU of the topology, in file order).
        placement: pinned qubits, ``{node: [qubits]}``; the partitioner places the rest.
        communication_qubits: qubits kept for pairs on a node that does not declare its own.
        representative_pairs: pairs simulated per pair of nodes and step (the rest are charged in bulk).
        hold_s: time a pair waits in memory before its telegate (default: one shot of the split circuit).
        evaluation: ``enumerate`` (exact sum over the telegates' Pauli errors, see :func:`pauli_expansion`),
            ``density_matrix``, ``trajectories``, or ``auto``: ``enumerate`` while the circuit has at most
            ``max_terms`` error patterns, else density matrices up to ``dm_max_qubits`` qubits, else trajectories.
        max_terms: most error patterns ``enumerate`` sums over.
        dm_max_qubits: largest register ``auto`` simulates with density matrices.
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


def plan_partition(circuit: Circuit, topology: TopologySpec, options: CoherentOptions) -> Partition:
    """The placement the options ask for (:func:`~qnet_dqnn.distributed.partition.partition_qubits`)."""
    nodes = _nodes(options, topology)
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


def split_circuit(
    circuit: Circuit,
    assignment: Sequence[str],
    coefficients: Mapping[tuple[str, str], np.ndarray] | np.ndarray | None = None,
) -> Circuit:
    """The circuit as the split machine runs it: ops tagged with their node, remote gates as telegates.

    Args:
        circuit: the (possibly gate-noisy) model circuit.
        assignment: node of each qubit.
        coefficients: Bell coefficients of the pairs remote gates consume, per node pair ``(a, b)`` with
            ``a <= b`` (or one array for all); None or perfect pairs insert no channel.

    Returns:
        A circuit on the same qubits whose remote two-qubit gates are CNOTs/CZs, each followed by its
        telegate's Pauli channel (:func:`telegate_probabilities`).
    """
    out = Circuit(circuit.num_qubits)
    ops: list[Operation] = []
    for op in circuit.ops:
        node = assignment[op.qubits[0]]
        if op.is_channel or len(op.qubits) == 1 or assignment[op.qubits[1]] == node:
            ops.append(Operation(op.name, op.qubits, op.params, node))
            continue
        for part in _decompose(op):
            where = assignment[part.qubits[0]]
            ops.append(Operation(part.name, part.qubits, part.params, where))
            if len(part.qubits) != 2:
                continue
            c = coefficients
            if isinstance(c, Mapping):
                c = c.get(_key(where, assignment[part.qubits[1]]))
            if c is None or np.allclose(c, PERFECT, rtol=0, atol=1e-15):
                continue
            probs = telegate_probabilities(part.name, np.asarray(c))
            ops.append(Operation("pauli2", part.qubits, tuple(probs), where))
    out.extend(ops)
    return out


def output_fidelity(
    ideal: Circuit,
    noisy: Circuit,
    params: np.ndarray,
    data: np.ndarray | None = None,
    initial_state: np.ndarray | None = None,
) -> np.ndarray:
    """``⟨ψ_b|ρ_b|ψ_b⟩`` per input: the noisy circuit's output against the ideal circuit's pure state."""
    psi = statevector(ideal, params, data, initial_state)
    rho = density_matrix(noisy, params, data, initial_state)
    return np.einsum("bi,bij,bj->b", psi.conj(), rho, psi).real


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
        rows = max(len(x) for x in (np.atleast_2d(params), data, init) if x is not None)
        if rows <= DM_CHUNK:
            return dm_expectation(circ, obs, params, data, init, readout=self.readout)
        parts = []
        for lo in range(0, rows, DM_CHUNK):
            hi = min(lo + DM_CHUNK, rows)

            def cut(x: np.ndarray | None, lo: int = lo, hi: int = hi) -> np.ndarray | None:
                return x[lo:hi] if x is not None and np.ndim(x) == 2 and len(x) == rows else x

            parts.append(dm_expectation(circ, obs, cut(np.asarray(params)), cut(data), cut(init), readout=self.readout))
        return np.concatenate(parts)

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
        else:
            ev = self._evaluator()
            values = ev(circuit, params, data, init)
            jac = parameter_shift_jacobian(circuit, obs, params, data, init, evaluator=ev)
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
        pairs: node pair -> pairs the step consumes (``telegates × shots``).
    """

    circuits: int
    shots: int
    telegates: dict[tuple[str, str], int]
    pairs: dict[tuple[str, str], int]


def _telegate_ops(circuit: Circuit, assignment: Sequence[str]) -> list[Operation]:
    """The CNOT/CZ telegates of one run (remote gates decomposed), node-tagged."""
    split = split_circuit(circuit, assignment)
    return [
        op
        for op in split.ops
        if not op.is_channel and len(op.qubits) == 2 and assignment[op.qubits[0]] != assignment[op.qubits[1]]
    ]


def step_workload(circuit: Circuit, assignment: Sequence[str], batch: int, shots: int) -> StepWorkload:
    """Circuits, shots, telegates and pairs of one step of ``batch`` inputs at ``shots`` per circuit."""
    circuits = batch * (1 + parameter_shift_circuits(circuit))
    per_run: dict[tuple[str, str], int] = {}
    for op in _telegate_ops(circuit, assignment):
        key = _key(assignment[op.qubits[0]], assignment[op.qubits[1]])
        per_run[key] = per_run.get(key, 0) + 1
    total = circuits * shots
    return StepWorkload(circuits, total, per_run, {k: v * total for k, v in per_run.items()})


def _slowest(timings: Sequence[QPUTiming]) -> QPUTiming:
    return QPUTiming(
        t1q_s=max(t.t1q_s for t in timings),
        t2q_s=max(t.t2q_s for t in timings),
        tmeas_s=max(t.tmeas_s for t in timings),
    )


def shot_seconds(network: Network, circuit: Circuit, assignment: Sequence[str], timing: QPUTiming) -> float:
    """One shot of the split circuit (in s): its scheduled depth on ``timing`` plus, per telegate, the
    classical delay each way and the extra local operations ``t2q + 2·tmeas + 2·t1q``."""
    split = split_circuit(circuit, assignment)
    total = circuit_duration(split, timing)
    for op in _telegate_ops(circuit, assignment):
        a, b = assignment[op.qubits[0]], assignment[op.qubits[1]]
        there = feedforward_latency_ticks(network, a, b) + feedforward_latency_ticks(network, b, a)
        total += to_seconds(there) + timing.t2q_s + 2 * timing.tmeas_s + 2 * timing.t1q_s
    return total


_LINK_SCALED = ("messages", "bits", "attempts")
_NODE_SCALED = ("messages_sent", "messages_received", "swaps", "swaps_failed")


def _snapshot(network: Network) -> dict[tuple[str, str, str], int]:
    snap: dict[tuple[str, str, str], int] = {}
    for name, link in network.ledger.links.items():
        for f in (*_LINK_SCALED, "pairs_delivered", "pairs_consumed"):
            snap[("link", name, f)] = getattr(link, f)
    for name, node in network.ledger.nodes.items():
        for f in _NODE_SCALED:
            snap[("node", name, f)] = getattr(node, f)
    return snap


def _book_scaled(network: Network, before: dict, factor: float, exact_links: set[str]) -> None:
    """Add ``factor ×`` what the representative batches moved; the pairs delivered and consumed on
    ``exact_links`` are booked exactly elsewhere."""
    after = _snapshot(network)
    for (kind, name, f), old in before.items():
        diff = after[(kind, name, f)] - old
        if diff <= 0:
            continue
        if kind == "link" and f in ("pairs_delivered", "pairs_consumed") and name in exact_links:
            continue
        extra = round(diff * factor)
        counters = network.ledger.links[name] if kind == "link" else network.ledger.nodes[name]
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


@register_strategy(
    "coherent",
    CoherentOptions,
    "coherent model split: qubits placed on several QPUs, remote gates by telegates over end-to-end pairs "
    "(Eisert et al. 2000; the review, sec. 6.1.2)",
    _check,
)
def coherent(ctx: TrainingContext, options: CoherentOptions) -> Generator[simpy.Event, Any, None]:
    """Partition once; then per step supply the pairs, run the shots, evaluate through the noisy split circuit."""
    network, env, model = ctx.network, ctx.network.env, ctx.model
    topology = network.topology
    partition = plan_partition(model.circuit, topology, options)
    if all(link.process is None for link in network.quantum_links.values()):
        network.configure(memory_split=options.memory_split)
    assignment = partition.assignment
    used = partition.nodes_used
    timing = _slowest([qpu_timing(network.nodes[n].spec) for n in used])
    noise: NoiseModel | None = None
    if ctx.spec.noise:
        noise = qpu_noise(network.nodes[used[0]].spec)
        noise = None if noise.is_ideal else noise
    base = noise.apply(model.circuit, timing) if noise is not None else model.circuit
    fallback = "density_matrix" if model.num_qubits <= options.dm_max_qubits else "trajectories"
    method = "enumerate" if options.evaluation == "auto" else options.evaluation
    rng = component_rng(ctx.seed, "coherent:evaluate")
    evaluator = SplitEvaluator(
        model,
        split_circuit(base, assignment),
        method,
        readout=noise.readout if noise is not None else 0.0,
        shots=ctx.spec.shots,
        trajectories=options.trajectories,
        rng=rng,
        max_terms=options.max_terms,
        fallback=fallback,
    )
    shots = ctx.spec.shots if ctx.spec.shots is not None else ctx.spec.accounting_shots
    per_shot_s = shot_seconds(network, model.circuit, assignment, timing)
    hold_ticks = to_ticks(options.hold_s if options.hold_s is not None else per_shot_s)
    order = _nodes(options, topology)
    home = min(used, key=order.index)  # draws minibatches like a single QPU there would (same stream)
    next_batch = ctx.batches(home, np.arange(len(ctx.dataset.x_train)))
    params = ctx.init_params.copy()
    state = ctx.optimizer.init(params)
    totals = {"pairs": 0, "telegates": 0, "wait_ticks": 0, "steps": 0, "failed_steps": 0, "failed_shots": 0}
    apply_faults(ctx, options.faults)
    qpus = {n: ctx.qpu(n) for n in used} if options.faults.dropout else {}
    stopped = False
    fidelities: list[float] = []
    coefficients: dict[tuple[str, str], np.ndarray] = {}
    control_of = {}
    for op in _telegate_ops(model.circuit, assignment):
        key = _key(assignment[op.qubits[0]], assignment[op.qubits[1]])
        control_of.setdefault(key, {}).setdefault(assignment[op.qubits[0]], 0)
        control_of[key][assignment[op.qubits[0]]] += 1
    while not ctx.done:
        x, y = next_batch()
        work = step_workload(model.circuit, assignment, len(x), shots)
        start = network.now
        down = [n for n, qpu in qpus.items() if qpu.down_at(start)]
        if down:  # a node is down as the step starts: nothing runs
            totals["failed_steps"] += 1
            totals["failed_shots"] += work.shots
            network.trace.record(start, down[0], "step_failed", f"{', '.join(down)} down: {work.shots} shots lost")
            back = _all_up_at(qpus, start)
            if back is None or back >= ctx.stop_tick:
                stopped = True
                network.trace.record(start, down[0], "run_stopped", f"{', '.join(down)} not back in time")
                break
            yield env.timeout(back - start)
            continue
        # pair supply: a representative batch per node pair, simulated; the rest charged at its pace
        before = _snapshot(network)
        states: dict[tuple[str, str], list[np.ndarray]] = {k: [] for k in work.pairs}
        samples = {k: min(options.representative_pairs, n) for k, n in work.pairs.items()}
        supplies = {k: env.process(_supply(network, k[0], k[1], samples[k], hold_ticks, states[k])) for k in work.pairs}
        computes = [
            env.process(_compute(network, n, to_ticks(work.shots * per_shot_s), work.circuits, work.shots, qpus.get(n)))
            for n in used
        ]
        if supplies:
            yield env.all_of(list(supplies.values()))
        rest = []
        paths = {k: quantum_path(topology, *k) for k in work.pairs}
        exact_links = {link for path in paths.values() for link in path_links(topology, path)}
        sampled = sum(len(v) for v in states.values())
        remaining = sum(work.pairs.values()) - sampled
        if sampled:
            _book_scaled(network, before, remaining / sampled, exact_links)
        for k, total in work.pairs.items():
            got = len(states[k])
            taken = supplies[k].value
            extra = total - got
            if got:
                rest.append(env.process(_charge_rest(network, round(taken * extra / got))))
                coefficients[k] = np.mean(states[k], axis=0)
                fidelities.extend(float(s[0]) for s in states[k])
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
            for control, count in control_of[k].items():
                other = k[1] if control == k[0] else k[0]
                network.ledger.nodes[control].telegates += count * work.shots
                book_messages(network, control, other, count * work.shots, 1)
                book_messages(network, other, control, count * work.shots, 1)
        yield env.all_of(rest + computes)
        supplied = network.now - start
        computed = max(p.value for p in computes) - start if computes else 0
        if supplied > computed:
            for n in used:
                network.trace.activity(n, "wait_pairs", start + computed, network.now)
            totals["wait_ticks"] += supplied - computed
        totals["pairs"] += sum(work.pairs.values())
        totals["telegates"] += sum(work.pairs.values())
        totals["steps"] += 1
        crashed = _crashed(qpus, start, network.now)
        if crashed:  # a node went down during the step: its shots are lost, no update
            totals["failed_steps"] += 1
            totals["failed_shots"] += work.shots
            where, detail = crashed[0], f"{', '.join(crashed)} down: {work.shots} shots lost"
            network.trace.record(network.now, where, "step_failed", detail)
            back = _all_up_at(qpus, network.now)
            if back is None or back >= ctx.stop_tick:
                stopped = True
                network.trace.record(network.now, where, "run_stopped", f"{', '.join(crashed)} not back in time")
                break
            if back > network.now:
                yield env.timeout(back - network.now)
            continue
        # the circuit the quantum layer evaluates carries this step's pair noise
        evaluator.circuit = split_circuit(base, assignment, coefficients)
        _, grad = evaluator.loss_and_grad(params, x, y)
        params, state = ctx.optimizer.step(params, grad, state)
        ctx.final_params = params
        ctx.record_update(params, evaluator)  # type: ignore[arg-type]  (duck-types QPU.accuracy/loss)
    ctx.final_params = params
    d = ctx.dataset
    m = min(options.fidelity_samples, len(d.x_val))
    xs = d.x_val[:m]
    fid = output_fidelity(
        base, evaluator.circuit, params, model.encoding.transform(xs), model.encoding.initial_state(xs)
    )
    steps = totals["steps"]
    ctx.extra_metrics.update(
        {
            "output_fidelity": float(np.mean(fid)),
            "pair_fidelity": float(np.mean(fidelities)) if fidelities else 1.0,
            "cut_size": float(partition.cut_size),
            "telegates_per_circuit": float(partition.telegates),
            "partition_cost": float(partition.cost),
            "qpus_used": float(len(used)),
            "pairs_consumed": float(totals["pairs"]),
            "telegates": float(totals["telegates"]),
            "pairs_per_step": totals["pairs"] / steps if steps else math.nan,
            "wait_pairs_s": to_seconds(totals["wait_ticks"]),
            "shot_s": per_shot_s,
            "failed_steps": float(totals["failed_steps"]),
            "failed_shots": float(totals["failed_shots"]),
            "stopped_by_fault": float(stopped),
        }
    )
