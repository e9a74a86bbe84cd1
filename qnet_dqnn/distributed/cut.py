"""The ``cut`` strategy: incoherent model splitting by circuit cutting, trained over the network.

The model circuit is too wide for any one QPU, so it is cut once, before training, into fragments that fit
(:func:`~qnet_dqnn.distributed.cutting.find_cuts`: gate cuts by Mitarai & Fujii's quasi-probability
decomposition, NJP 23, 023021 (2021); wire cuts by Peng et al., PRL 125, 150504 (2020); wire cuts with
classical feed-forward, γ = 3, by Brenner, Piveteau & Sutter, arXiv:2302.03366 (2023); the review, sec.
6.1.1). Every optimizer step then runs as follows:

1. the controller draws a minibatch and asks for the fragment sub-experiments (``samples=None``: all of them,
   exact enumeration; ``samples=N``: ``N`` joint term choices drawn with ``p_k = |c_k|/γ``);
2. it schedules them on the worker QPUs, balanced by each QPU's speed (greedy list scheduling: longest job
   first, each to the worker where it would finish earliest), fragments joined by a feed-forward wire cut
   pinned to distinct workers, and sends each worker its jobs: one message of
   ``jobs × circuit_bits`` bits;
3. each worker holds its processor for the parameter-shift cost of its jobs and books circuits, shots,
   busy time and a ``compute`` activity (as :meth:`qnet_dqnn.distributed.qpu.QPU.gradient` does), then
   returns its results: one message of ``Σ_jobs batch × outputs × precision_bits`` bits (``outputs`` = the
   fragment's value and its derivatives for each observable);
4. the controller waits for every result (a ``wait_message`` activity), reconstructs values and gradients
   (:func:`~qnet_dqnn.distributed.cutting.evaluate_cut_gradient`, pure), takes one optimizer step and
   records it.

Steps 1–4 are :meth:`CutReplica.step` (the ``hybrid`` strategy runs several replicas, one per group of
workers). The recorded loss and validation accuracy are reconstructed through the same cuts by
:class:`CutEvaluator` (exact enumeration, not charged), so no circuit wider than a fragment is ever simulated
— which is what lets the strategy train 32–64-qubit ``blocks`` models on 8-qubit QPUs.

**Cost.** A sub-experiment (one fragment circuit) is charged like a whole circuit on a single QPU:
``(1 + 2·n_occ)`` circuits per input (forward and parameter-shift, Mitarai et al., PRA 98, 032309 (2018)),
``n_occ`` the trainable gate occurrences *in that fragment*, each shot as long as
:func:`~qnet_dqnn.quantum.shots.circuit_duration` on the worker's gates. Cutting multiplies the shots needed
for a given statistical error by the sampling overhead γ² = Π γ_j² (Temme, Bravyi & Gambetta, PRL 119,
180509 (2017); Mitarai & Fujii 2021, Sec. 2): with ``scale_shots`` (the default), each fragment gets
``S·γ²`` shots per circuit in all, ``S`` the shots an uncut circuit would use (``shots``) — in exact mode
split over its distinct sub-experiments in proportion to their sampling probability ``Π_j |c_{j,k}|/γ_j`` (so
every estimate ``Σ_k c_k V̂_k`` has a variance of at most ``1/S``, that of the uncut circuit), in Monte Carlo
mode ``S·γ²/N`` per sample. The numbers themselves are
exact fragment values (adjoint gradients): shots are charged, not sampled.

**Feed-forward.** A wire cut with classical communication needs the sender's measured outcome at the
receiver *during* every shot. The two fragments run on distinct workers; each shot of the receiving
fragment lasts its circuit plus the one-way classical latency from the sender (the idle delay of a 1-bit
message along :meth:`~qnet_dqnn.net.Network.route`), and every such shot books one message on each link of
that route in the ledger (counted, not simulated one by one).

With exact enumeration the reconstructed values and gradients equal the uncut circuit's to float precision,
so training through cuts follows the single-QPU trajectory (STYLE point 13). In Monte Carlo mode the values
and the Jacobian come from independent draws (forward circuits and shifted circuits are separate runs
anyway), so the loss gradient ``Σ ∂L/∂E(Ê) · Ĵ`` is unbiased whenever ``∂L/∂E`` is affine in ``E`` (MSE) and
carries an ``O(γ²/N)`` bias through the curvature of the loss otherwise.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.cutting import (
    CutPlan,
    GateCut,
    SubExperiment,
    WireCut,
    draw_terms,
    evaluate_cut,
    evaluate_cut_gradient,
    find_cuts,
)
from qnet_dqnn.distributed.cutting.experiments import cut_sides, fragment_subexperiment, physical_key
from qnet_dqnn.distributed.qpu import QPU, qpu_timing
from qnet_dqnn.distributed.replica import train_replica
from qnet_dqnn.distributed.spec import MAX_UNCUT_QUBITS, TrainSpec, build_model
from qnet_dqnn.distributed.strategies import qpu_node_problems, register_strategy
from qnet_dqnn.errors import QnetError
from qnet_dqnn.net import Network
from qnet_dqnn.net.timeline.paths import classical_delay_ticks
from qnet_dqnn.qml import QNNModel
from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.quantum.gradients import parameter_shift_circuits
from qnet_dqnn.quantum.light_cone import cone_metrics
from qnet_dqnn.quantum.shots import QPUTiming, circuit_duration
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds, to_ticks

__all__ = [
    "CutEvaluator",
    "CutOptions",
    "CutReplica",
    "CutSetup",
    "Run",
    "book_messages",
    "cut_loss_and_grad",
    "exact_runs",
    "feedforward_latency_ticks",
    "monte_carlo_runs",
    "plan_for",
    "run_ticks",
    "schedule",
]

#: Bits of one fed-forward measurement outcome.
FEEDFORWARD_BITS = 1


class CutOptions(BaseModel):
    """Options of the ``cut`` strategy.

    Attributes:
        nodes: the worker QPUs (default: every QPU of the topology, in file order).
        controller: where the cuts are planned, results reconstructed and the optimizer runs (default: the
            topology's first controller node, else its first QPU).
        qubit_limit: qubits per fragment (default: the smallest worker's qubit count).
        samples: ``None`` runs every sub-experiment (exact enumeration); ``N`` draws ``N`` joint term choices
            per step (Monte Carlo).
        classical_communication: wire cuts feed the measured outcome forward (γ = 3 instead of 4).
        cuts: the kinds of cut the finder may use: ``any``, ``gates`` or ``wires``.
        scale_shots: charge ``S·γ²`` shots per fragment circuit (keeps the uncut circuit's statistical error);
            False charges ``S`` shots per sub-experiment circuit.
        circuit_bits: size of one sub-experiment's description in a job message (in bits).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    type: Literal["cut"]
    nodes: list[Annotated[str, Field(min_length=1)]] | None = None
    controller: Annotated[str, Field(min_length=1)] | None = None
    qubit_limit: Annotated[int, Field(ge=1, le=100_000)] | None = None
    samples: Annotated[int, Field(ge=2, le=10**7)] | None = None
    classical_communication: bool = False
    cuts: Literal["any", "gates", "wires"] = "any"
    scale_shots: bool = True
    circuit_bits: Annotated[int, Field(ge=1, le=10**9)] = 4096


# ------------------------------------------------------------------------------------------ options


def _workers(options: CutOptions, topology: TopologySpec) -> list[str]:
    if options.nodes is not None:
        return list(options.nodes)
    return [n.name for n in topology.nodes if n.kind == "qpu"]


def _controller(options: CutOptions, topology: TopologySpec) -> str | None:
    if options.controller is not None:
        return options.controller
    for kind in ("controller", "qpu"):
        found = [n.name for n in topology.nodes if n.kind == kind]
        if found:
            return found[0]
    return None


def plan_for(circuit: Circuit, qubit_limit: int, options: CutOptions) -> CutPlan:
    """The cut plan the options ask for (:func:`~qnet_dqnn.distributed.cutting.find_cuts`)."""
    return find_cuts(
        circuit,
        qubit_limit,
        allow_gate_cuts=options.cuts != "wires",
        allow_wire_cuts=options.cuts != "gates",
        classical_communication=options.classical_communication,
    )


def _check(options: CutOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    """Problems with the options: unknown or non-QPU workers, an unknown controller, a bad qubit limit."""
    problems: list[tuple[str, str]] = []
    workers = _workers(options, topology)
    if not workers:
        return [("", "the topology has no qpu node to run sub-experiments on")]
    if options.nodes is not None:
        problems += qpu_node_problems(topology, workers, "nodes", 1)
        for i, name in enumerate(workers):
            if name in workers[:i]:
                problems.append((f"nodes[{i}]", f"node {name!r} is named twice"))
    known = {n.name: n for n in topology.nodes}
    if options.controller is not None and options.controller not in known:
        problems.append(("controller", f"unknown node {options.controller!r} (known: {', '.join(known)})"))
    if spec.noise:
        problems.append(("", "the cut strategy simulates fragments without gate noise: set workload.noise: false"))
    if problems:
        return problems
    smallest = min(known[w].qubits for w in workers)
    limit = options.qubit_limit if options.qubit_limit is not None else smallest
    if limit > smallest:
        small = min(workers, key=lambda w: known[w].qubits)
        return [("qubit_limit", f"{limit} is more than worker {small!r} holds ({smallest} qubits)")]
    circuit = build_model(spec.model).circuit
    try:
        plan = plan_for(circuit, limit, options)
    except QnetError as exc:
        return [("qubit_limit", f"the model cannot be cut into fragments of {limit} qubits ({exc})")]
    widest = max((len(op.qubits) for op in circuit), default=1)
    if limit < widest:  # no fragment could hold one gate: every such gate cut, gamma^2 growing without bound
        return [
            ("qubit_limit", f"{limit} is below the width of the model's {widest}-qubit gates: give at least {widest}")
        ]
    if plan.feedforward_cuts and len(workers) < 2:
        problems.append(("classical_communication", "feed-forward wire cuts need at least two worker QPUs"))
    return problems


# ------------------------------------------------------------------------------------------ runs


@dataclass(frozen=True)
class Run:
    """One job for a worker: a fragment circuit run with its parameter-shift companions.

    Attributes:
        fragment: index of the fragment.
        sub: the sub-experiment (its circuit sets the shot duration and the trainable occurrences).
        circuits_per_input: circuits per batch input (``1 + 2·n_occ``, or a part of it in Monte Carlo mode).
        shots: shots per circuit.
        outputs: numbers returned per batch input.
    """

    fragment: int
    sub: SubExperiment
    circuits_per_input: int
    shots: int
    outputs: int


def _terms_of(plan: CutPlan, f: int) -> list[int]:
    return sorted({s.cut for pair in cut_sides(plan) for s in pair if s.fragment == f})


def _sub_for(plan: CutPlan, f: int, terms: dict[int, int], sides: list) -> SubExperiment:
    """The fragment's sub-experiment for term ``terms[j]`` of each cut touching it (first branch)."""
    choice = {}
    for j, pair in enumerate(sides):
        for s, cs in enumerate(pair):
            if cs.fragment == f:
                br = plan.qpds[j].terms[terms[j]].branches[0]
                choice[(j, s)] = br.left if s == 0 else br.right
    return fragment_subexperiment(plan, plan.fragments[f], choice, sides)


def _fragment_params(sub: SubExperiment) -> int:
    return len({p.index for _, _, p in sub.circuit.trainable_occurrences()})


def exact_runs(plan: CutPlan, shots: int, outputs: int, *, scale_shots: bool = True) -> list[Run]:
    """The physical runs of an exact enumeration, with their shots.

    A run is a distinct fragment circuit; the branches of a feed-forward term are one run
    (:func:`~qnet_dqnn.distributed.cutting.experiments.physical_key`), so per fragment there are as many runs
    as :attr:`CutEstimate.circuits_per_fragment` says. With ``scale_shots``, a fragment's ``S·γ²`` shots per
    circuit are split over its runs in proportion to their sampling probability ``Σ Π_j |c_{j,k_j}|/γ_j``.

    Args:
        plan: the cut plan.
        shots: ``S``, the shots of one uncut circuit.
        outputs: observables read out (``K``).
        scale_shots: multiply by γ² (see the module docstring).
    """
    sides = cut_sides(plan)
    total = shots * plan.sampling_overhead
    out: list[Run] = []
    for frag in plan.fragments:
        cuts = _terms_of(plan, frag.index)
        found: dict[tuple, tuple[SubExperiment, float]] = {}
        for ks in itertools.product(*[range(len(plan.qpds[j].terms)) for j in cuts]):
            terms = dict(zip(cuts, ks, strict=True))
            prob = math.prod(abs(plan.qpds[j].terms[k].coefficient) / plan.qpds[j].gamma for j, k in terms.items())
            sub = _sub_for(plan, frag.index, terms, sides)
            key = physical_key(plan, sub, terms)
            old = found.get(key)
            found[key] = (sub, prob + (old[1] if old else 0.0))
        for sub, prob in found.values():
            n = max(1, round(total * prob)) if scale_shots else shots
            occ = parameter_shift_circuits(sub.circuit)
            out.append(Run(frag.index, sub, 1 + occ, n, outputs * (1 + _fragment_params(sub))))
    return out


def monte_carlo_runs(
    plan: CutPlan,
    forward: np.ndarray,
    shifted: np.ndarray,
    shots: int,
    outputs: int,
    *,
    scale_shots: bool = True,
    cache: dict | None = None,
) -> list[Run]:
    """The runs of one Monte Carlo step: per sample and fragment a forward run (terms ``forward[s]``) and a
    run of its shifted circuits (terms ``shifted[s]``), each of ``S·γ²/N`` shots (``S`` without scaling)."""
    sides = cut_sides(plan)
    cache = {} if cache is None else cache
    samples = len(forward)
    n = max(1, round(shots * plan.sampling_overhead / samples)) if scale_shots else shots
    out: list[Run] = []
    for draws, is_forward in ((forward, True), (shifted, False)):
        for row in draws:
            for frag in plan.fragments:
                terms = {j: int(row[j]) for j in _terms_of(plan, frag.index)}
                key = (frag.index, tuple(sorted(terms.items())))
                if key not in cache:
                    cache[key] = _sub_for(plan, frag.index, terms, sides)
                sub = cache[key]
                if is_forward:
                    out.append(Run(frag.index, sub, 1, n, outputs))
                else:
                    occ = parameter_shift_circuits(sub.circuit)
                    if occ:
                        out.append(Run(frag.index, sub, occ, n, outputs * _fragment_params(sub)))
    return out


def cut_loss_and_grad(
    plan: CutPlan,
    model: QNNModel,
    params: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    *,
    samples: int | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[float, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The batch loss and its gradient through the cut decomposition (pure).

    Exact mode: values and Jacobian from one exact enumeration (adjoint fragment gradients). Monte Carlo
    mode: values from ``samples`` draws and the Jacobian from ``samples`` further, independent draws, both
    drawn here (:func:`~qnet_dqnn.distributed.cutting.draw_terms`, ``rng`` advanced) and passed to the
    reconstruction as ``terms``, so the runs dispatched are the ones the estimate used.

    Returns:
        ``(loss, grad, forward_terms, shifted_terms)``; the term arrays ``(samples, cuts)`` are the draws
        (None in exact mode).
    """
    data = model.encoding.transform(x)
    obs = model.observables
    if samples is None:
        est = evaluate_cut_gradient(plan, params, data, obs)
        loss, de = model.loss_from_expectations(est.value, y)
        return float(loss), np.einsum("bk,bkp->p", de, est.jacobian), None, None
    if rng is None:
        raise QnetError("Monte Carlo cut gradients need an rng")
    forward = draw_terms(plan, samples, rng)
    value = evaluate_cut(plan, params, data, obs, terms=forward).value
    shifted = draw_terms(plan, samples, rng)
    jac = evaluate_cut_gradient(plan, params, data, obs, terms=shifted).jacobian
    loss, de = model.loss_from_expectations(value, y)
    return float(loss), np.einsum("bk,bkp->p", de, jac), forward, shifted


# ------------------------------------------------------------------------------------------ scheduling


@dataclass
class CutSetup:
    """What the strategy fixes before the first step.

    Attributes:
        plan: the cut plan.
        workers: worker QPU names.
        controller: the controller node.
        pins: fragment -> worker for fragments joined by a feed-forward cut.
        senders: feed-forward cut -> sending fragment.
        timings: worker -> gate timing.
        durations: cache of one shot's duration per (fragment, sub-experiment key, worker) (in s).
    """

    plan: CutPlan
    workers: list[str]
    controller: str
    pins: dict[int, str] = field(default_factory=dict)
    senders: dict[int, int] = field(default_factory=dict)
    timings: dict[str, QPUTiming] = field(default_factory=dict)
    durations: dict[tuple, float] = field(default_factory=dict)


def _pin_feedforward(setup: CutSetup) -> None:
    """Give every fragment on a feed-forward cut its own worker, distinct from its partners' (greedy colouring,
    least-loaded worker first)."""
    plan = setup.plan
    neighbours: dict[int, set[int]] = {}
    for j, (left, right) in enumerate(cut_sides(plan)):
        if plan.qpds[j].feedforward:
            setup.senders[j] = left.fragment
            neighbours.setdefault(left.fragment, set()).add(right.fragment)
            neighbours.setdefault(right.fragment, set()).add(left.fragment)
    load = dict.fromkeys(setup.workers, 0)
    for f in sorted(neighbours):
        taken = {setup.pins[g] for g in neighbours[f] if g in setup.pins}
        free = [w for w in setup.workers if w not in taken]
        if not free:
            raise QnetError(f"fragment {f} needs a worker apart from its feed-forward partners; add workers")
        chosen = min(free, key=lambda w: load[w])
        setup.pins[f] = chosen
        load[chosen] += 1


def run_ticks(setup: CutSetup, run: Run, node: str, batch: int, network: Network) -> int:
    """QPU time of ``run`` on ``node`` for ``batch`` inputs (in ticks), feed-forward latency included."""
    key = (run.fragment, run.sub.key, node)
    if key not in setup.durations:
        setup.durations[key] = circuit_duration(run.sub.circuit, setup.timings[node])
    per_shot = setup.durations[key]
    for j in run.sub.feedforward_receives:
        sender = setup.pins[setup.senders[j]]
        per_shot += to_seconds(feedforward_latency_ticks(network, sender, node))
    return to_ticks(run.circuits_per_input * batch * run.shots * per_shot)


def feedforward_latency_ticks(network: Network, src: str, dst: str) -> int:
    """One-way delay of a fed-forward outcome from ``src`` to ``dst`` on an idle network (in ticks), as the pair
    timeline times its classical bits (:func:`~qnet_dqnn.net.timeline.paths.classical_delay_ticks`)."""
    return classical_delay_ticks(network, src, dst, FEEDFORWARD_BITS)


def schedule(setup: CutSetup, runs: list[Run], batch: int, network: Network) -> dict[str, list[tuple[Run, int]]]:
    """Assign runs to workers: pinned fragments to their worker, the rest by greedy list scheduling
    (longest first, each to the worker where it finishes earliest; Graham, SIAM J. Appl. Math. 17, 416 (1969)).

    Returns:
        worker -> ``[(run, ticks)]`` (only workers with work).
    """
    finish = dict.fromkeys(setup.workers, 0)
    out: dict[str, list[tuple[Run, int]]] = {}
    free: list[tuple[int, int, Run]] = []
    for i, run in enumerate(runs):
        if run.fragment in setup.pins:
            node = setup.pins[run.fragment]
            ticks = run_ticks(setup, run, node, batch, network)
            finish[node] += ticks
            out.setdefault(node, []).append((run, ticks))
        else:
            ref = min(run_ticks(setup, run, w, batch, network) for w in setup.workers)
            free.append((-ref, i, run))
    for _, _, run in sorted(free, key=lambda t: (t[0], t[1])):
        costs = {w: run_ticks(setup, run, w, batch, network) for w in setup.workers}
        node = min(setup.workers, key=lambda w: (finish[w] + costs[w], setup.workers.index(w)))
        finish[node] += costs[node]
        out.setdefault(node, []).append((run, costs[node]))
    return {w: out[w] for w in setup.workers if w in out}


def book_messages(network: Network, src: str, dst: str, count: int, bits: int) -> None:
    """Book ``count`` messages of ``bits`` bits from ``src`` to ``dst`` on every link of the route, without
    simulating them one by one (for per-shot feed-forward traffic; :meth:`~qnet_dqnn.net.Ledger.book_messages`)."""
    if src != dst:
        network.ledger.book_messages(network.route(src, dst), network.link_of, count, bits)


# ------------------------------------------------------------------------------------------ the strategy


def _worker(
    ctx: TrainingContext,
    setup: CutSetup,
    node: str,
    jobs: list[tuple[Run, int]],
    batch: int,
    circuit_bits: int,
    counters: dict[str, int],
) -> Generator[simpy.Event, Any, None]:
    """Process of one worker for one step: receive the jobs, run them, return the results."""
    network, env = ctx.network, ctx.network.env
    controller = setup.controller
    if node != controller:
        yield network.send(controller, node, len(jobs) * circuit_bits, kind="cut_jobs")
    ticks = sum(t for _, t in jobs)
    with network.nodes[node].processor.request() as turn:
        yield turn
        start = network.now
        yield env.timeout(ticks)
    ledger = network.ledger.nodes[node]
    for run, _ in jobs:
        circuits = run.circuits_per_input * batch
        ledger.circuits += circuits
        ledger.shots += circuits * run.shots
        for j in run.sub.feedforward_receives:
            book_messages(network, setup.pins[setup.senders[j]], node, circuits * run.shots, FEEDFORWARD_BITS)
            counters["feedforward_messages"] += circuits * run.shots
    ledger.busy_ticks += ticks
    network.trace.activity(node, "compute", start, network.now)
    if node != controller:
        bits = sum(batch * run.outputs for run, _ in jobs) * ctx.spec.precision_bits
        yield network.send(node, controller, bits, kind="cut_results")


class CutEvaluator:
    """The experimenter's view of a cut model: loss and accuracy reconstructed through the cuts (exact
    enumeration, not charged), so no full-width statevector is ever simulated.

    Exact enumeration reproduces the uncut circuit's values to float precision (Peng et al., PRL 125, 150504
    (2020), Eq. 3), so the recorded curves equal the uncut model's wherever that is simulable.

    Attributes:
        plan: the cut plan.
        model: the QNN (encoding, readout, loss).
    """

    def __init__(self, plan: CutPlan, model: QNNModel) -> None:
        self.plan = plan
        self.model = model

    def expectations(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``E_bk`` ``(B, K)`` of the model, reconstructed from the fragments."""
        return evaluate_cut(self.plan, params, self.model.encoding.transform(x), self.model.observables).value

    def loss(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """The loss of ``params`` on ``(x, y)``."""
        return float(self.model.loss_from_expectations(self.expectations(params, x), y)[0])

    def accuracy(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
        """The accuracy of ``params`` on ``(x, y)``."""
        return float(self.model.score(self.expectations(params, x), y))


class CutReplica:
    """One model split by cutting: plan once, then per step dispatch the sub-experiments to the workers,
    wait for them and reconstruct the gradient (the ``cut`` strategy runs one; ``hybrid`` runs several).

    Attributes:
        nodes_used: the worker QPUs.
        home: the controller (plans, reconstructs; where the gradient is).
        evaluator: for :meth:`TrainingContext.record_update`: the first worker's uncut model up to
            :data:`~qnet_dqnn.distributed.spec.MAX_UNCUT_QUBITS` qubits, else a :class:`CutEvaluator`.
        stopped: always False (the cut strategy has no faults); kept for the replica interface.
        plan: the cut plan.
        limit: qubits per fragment.
    """

    def __init__(self, ctx: TrainingContext, options: CutOptions, nodes: list[str] | None = None, name: str = "cut"):
        """Plan the cuts for ``ctx.model`` on ``nodes`` (default: the options' workers).

        Args:
            ctx: the training context.
            options: the cut options (``nodes`` is overridden by the argument).
            nodes: the worker QPUs; the controller then defaults to the first of them.
            name: names the replica's random stream (``{name}:samples``; ``cut`` for the plain strategy).
        """
        network, model = ctx.network, ctx.model
        topology = network.topology
        self.ctx = ctx
        self.options = options
        self.name = name
        self.nodes_used: list[str] = list(nodes) if nodes is not None else _workers(options, topology)
        # a replica on a given group (hybrid) reconstructs at the group's first QPU unless a controller is named
        home = options.controller or (nodes[0] if nodes else _controller(options, topology))
        if home is None:  # the check refuses a topology without QPUs
            raise QnetError("the cut strategy needs a controller or a qpu node")
        self.home: str = home
        self.limit = options.qubit_limit or min(network.nodes[w].spec.qubits for w in self.nodes_used)
        self.plan = plan_for(model.circuit, self.limit, options)
        self.setup = CutSetup(
            self.plan,
            self.nodes_used,
            self.home,
            timings={w: qpu_timing(network.nodes[w].spec) for w in self.nodes_used},
        )
        _pin_feedforward(self.setup)
        self.shots = ctx.spec.shots
        self.outputs = len(model.observables)
        self.rng = component_rng(ctx.seed, f"{name}:samples")
        # the recorded curves: the uncut statevector where it is simulable (same values, cheaper), else the cuts
        narrow = model.num_qubits <= MAX_UNCUT_QUBITS
        self.evaluator: CutEvaluator | QPU = ctx.qpu(self.nodes_used[0]) if narrow else CutEvaluator(self.plan, model)
        self.stopped = False
        self.counters = {"feedforward_messages": 0}
        self.exact = (
            exact_runs(self.plan, self.shots, self.outputs, scale_shots=options.scale_shots)
            if options.samples is None
            else None
        )
        self._sub_cache: dict = {}
        self.steps = 0
        self.runs_total = 0
        self.used_total = 0

    def step(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> Generator[simpy.Event, Any, np.ndarray | None]:
        """Process: dispatch the step's runs, wait for every worker, reconstruct. Value: the batch gradient."""
        ctx, options = self.ctx, self.options
        network, env = ctx.network, ctx.network.env
        _, grad, forward, shifted = cut_loss_and_grad(
            self.plan, ctx.model, params, x, y, samples=options.samples, rng=self.rng
        )
        if self.exact is not None:
            runs = self.exact
        else:
            assert forward is not None and shifted is not None
            runs = monte_carlo_runs(
                self.plan,
                forward,
                shifted,
                self.shots,
                self.outputs,
                scale_shots=options.scale_shots,
                cache=self._sub_cache,
            )
        assignment = schedule(self.setup, runs, len(x), network)
        start = network.now
        yield env.all_of(
            [
                env.process(_worker(ctx, self.setup, w, jobs, len(x), options.circuit_bits, self.counters))
                for w, jobs in assignment.items()
            ]
        )
        network.trace.activity(self.home, "wait_message", start, network.now)
        self.steps += 1
        self.runs_total += len(runs)
        self.used_total += len(assignment)
        return grad

    def metrics(self, params: np.ndarray) -> dict[str, float]:
        """The cut's numbers for the run's metrics: overhead, cuts, fragments, runs and workers per step."""
        plan, steps = self.plan, self.steps
        return {
            "sampling_overhead": float(plan.sampling_overhead),
            "cuts": float(len(plan.cuts)),
            "gate_cuts": float(sum(isinstance(c, GateCut) for c in plan.cuts)),
            "wire_cuts": float(sum(isinstance(c, WireCut) for c in plan.cuts)),
            "feedforward_cuts": float(plan.feedforward_cuts),
            "fragments": float(len(plan.fragments)),
            "max_fragment_width": float(plan.max_width),
            "qubit_limit": float(self.limit),
            "runs_per_step": self.runs_total / steps if steps else math.nan,
            "workers_used_per_step": self.used_total / steps if steps else math.nan,
            "feedforward_messages": float(self.counters["feedforward_messages"]),
            **cone_metrics(plan.circuit, plan.fragment_at, self.ctx.model.observables),
        }


@register_strategy(
    "cut",
    CutOptions,
    "incoherent model split: cut the circuit into fragments that fit, run them on the QPUs, recombine "
    "(Mitarai & Fujii 2021; Peng et al. 2020)",
    _check,
)
def cut(ctx: TrainingContext, options: CutOptions) -> Generator[simpy.Event, Any, None]:
    """The controller's process: plan once, then dispatch, wait, reconstruct and update until ``ctx.done``."""
    yield from train_replica(ctx, CutReplica(ctx, options))
