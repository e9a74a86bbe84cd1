"""The ``cut`` strategy: incoherent model splitting by circuit cutting, trained over the network.

The model circuit is too wide for any one QPU, so it is cut once, before training, into fragments that fit
(:func:`~qnet_dqnn.cutting.find_cuts`: gate cuts of any two-qubit gate by its KAK decomposition at the optimal
overhead — Mitarai & Fujii, NJP 23, 023021 (2021) and Quantum 5, 388 (2021); Schmitt, Piveteau & Sutter,
arXiv:2312.11638 (2023) — wire cuts by Peng et al., PRL 125, 150504 (2020), with classical feed-forward by
Brenner, Piveteau & Sutter, arXiv:2302.03366 (2023), and joint CNOT cuts by Piveteau & Sutter, IEEE TIT 70, 2734
(2024); the review, sec. 6.1.1). Every optimizer step then runs as follows:

1. the controller asks for the step's physical runs (:func:`~qnet_dqnn.cutting.plan_runs`; ``samples=None``: every
   distinct fragment circuit; ``samples=N``: the runs of ``N`` joint term choices drawn with ``p_k = |c_k|/γ``);
2. it schedules them on the worker QPUs, balanced by each QPU's speed (greedy list scheduling: longest job first,
   each to the worker where it would finish earliest), fragments joined by a feed-forward cut pinned to distinct
   workers (and, with noise, every fragment pinned to one worker, whose noise it then carries), and sends each
   worker its jobs: one message of ``jobs × circuit_bits`` bits;
3. each worker holds its processor for its jobs' shots and books circuits, shots, busy time and a ``compute``
   activity (as :meth:`qnet_dqnn.distributed.qpu.QPU.gradient` does), then returns its results: one message of
   ``Σ_jobs batch × outputs × precision_bits`` bits (``outputs`` = the fragment's values and derivatives);
4. the controller waits for every result (a ``wait_message`` activity), reconstructs values and gradients
   (:func:`~qnet_dqnn.cutting.evaluate_cut_gradient`, pure), takes one optimizer step and records it.

Steps 1–4 are :meth:`CutReplica.step` (the ``hybrid`` strategy runs several replicas, one per group of workers).
The recorded loss and validation accuracy are reconstructed exactly through the same cuts by :class:`CutEvaluator`
(not charged), so no circuit wider than a fragment is ever simulated — which is what lets the strategy train
32–64-qubit ``blocks`` models on 8-qubit QPUs.

**Shots are sampled.** Every run's shots are drawn from its exact outcome distribution and the estimate is
reconstructed from those counts (:mod:`qnet_dqnn.cutting.sampling`), so the gradient carries the shot noise cutting
really costs. Cutting multiplies the shots needed for a given statistical error by the sampling overhead
``γ² = Π γ_j²`` (Temme, Bravyi & Gambetta, PRL 119, 180509 (2017)): with ``scale_shots`` (the default) every unit
gets ``S·γ²`` shots per circuit in all, ``S`` the shots of an uncut circuit (``shots``),
split over its runs in proportion to their sampling probability; in Monte Carlo mode ``S·γ²/N`` per sample.
Without scaling each run gets ``S`` and the estimate's variance grows as ``γ²``. A run's circuits are its forward
circuit and the parameter-shift pairs of every trainable gate occurrence in its unit (Mitarai et al., PRA 98,
032309 (2018)), each shot as long as :func:`~qnet_dqnn.quantum.shots.circuit_duration` on the worker's gates. The
shots charged are exactly the shots sampled (tested). ``exact: true`` computes exact values instead (the runs
are still charged): training then follows the single-QPU trajectory to float precision (STYLE point 13).

**Feed-forward.** A feed-forward cut needs outcomes at the partner fragment *during* every shot. The two fragments
run on distinct workers; each shot lasts its circuit plus the one-way classical latency of every message on the
shot's critical path (one for a wire cut, ``2n`` for a joint cut of ``n`` gates: each telegate's round trip), and
every received bit books one message on each link of the route in the ledger (counted, not simulated one by one).

**Noise.** With ``workload.noise`` the fragments run under their worker's gate, readout and idle noise (density
matrices; :mod:`qnet_dqnn.cutting.fragments`): the reconstruction is then biased by the noise, and the run reports
that bias (``noise_bias``: mean ``|E_noisy − E_ideal|`` of the exact reconstructions) beside the sampling error
(``sampling_error``: mean ``|Ê − E_noisy|``).

In Monte Carlo mode the values and the Jacobian come from independent draws (forward circuits and shifted
circuits are separate runs anyway), so the loss gradient ``Σ ∂L/∂E(Ê) · Ĵ`` is unbiased whenever ``∂L/∂E`` is
affine in ``E`` (MSE) and carries an ``O(γ²/N)`` bias through the curvature of the loss otherwise; in the sampled
exact enumeration both come from the same runs (the Jacobian's product rule reuses the forward estimates of the
other units), a bias of order ``1/(S γ²)`` through the loss's curvature.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.cutting import (
    CutError,
    CutPlan,
    GateCut,
    JointCut,
    Run,
    draw_terms,
    evaluate_cut,
    evaluate_cut_gradient,
    find_cuts,
    plan_runs,
)
from qnet_dqnn.cutting.fragments import DM_MAX_QUBITS
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.qpu import QPU, qpu_noise, qpu_timing
from qnet_dqnn.distributed.replica import train_replica
from qnet_dqnn.distributed.spec import MAX_UNCUT_QUBITS, TrainSpec, build_model
from qnet_dqnn.distributed.strategies import qpu_node_problems, register_strategy
from qnet_dqnn.errors import QnetError
from qnet_dqnn.net import Network
from qnet_dqnn.net.timeline.paths import classical_delay_ticks
from qnet_dqnn.qml import QNNModel
from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.quantum.light_cone import cone_metrics
from qnet_dqnn.quantum.shots import QPUTiming, ShotTally, circuit_duration
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds, to_ticks

__all__ = [
    "CutEvaluator",
    "CutOptions",
    "CutReplica",
    "CutSetup",
    "StepResult",
    "book_messages",
    "cut_loss_and_grad",
    "feedforward_latency_ticks",
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
        samples: ``None`` runs every sub-experiment (exact enumeration of the terms); ``N`` draws ``N`` joint term
            choices per step (Monte Carlo).
        exact: reconstruct from exact fragment values instead of sampled shots (the shots are still charged): for
            tests and debugging.
        classical_communication: wire cuts feed the measured outcome forward (γ = 3 instead of 4).
        joint: cut controlled-Pauli gates between the same two fragments jointly (γ = 2ⁿ⁺¹ − 1 for ``n`` gates;
            needs ``classical_communication`` and ``n`` spare qubits on each side).
        cuts: the kinds of cut the finder may use: ``any``, ``gates`` or ``wires``.
        finder: ``builtin`` or ``qiskit`` (qiskit-addon-cutting's cut finder; the ``qiskit`` extra).
        scale_shots: sample ``S·γ²`` shots per unit circuit (keeps the uncut circuit's statistical error);
            False samples ``S`` shots per run.
        circuit_bits: size of one sub-experiment's description in a job message (in bits).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    type: Literal["cut"]
    nodes: list[Annotated[str, Field(min_length=1)]] | None = None
    controller: Annotated[str, Field(min_length=1)] | None = None
    qubit_limit: Annotated[int, Field(ge=1, le=100_000)] | None = None
    samples: Annotated[int, Field(ge=2, le=10**7)] | None = None
    exact: bool = False
    classical_communication: bool = False
    joint: bool = False
    cuts: Literal["any", "gates", "wires"] = "any"
    finder: Literal["builtin", "qiskit"] = "builtin"
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
    """The cut plan the options ask for (:func:`~qnet_dqnn.cutting.find_cuts`)."""
    return find_cuts(
        circuit,
        qubit_limit,
        allow_gate_cuts=options.cuts != "wires",
        allow_wire_cuts=options.cuts != "gates",
        classical_communication=options.classical_communication,
        joint=options.joint,
        backend=options.finder,
    )


def _check(options: CutOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    """Problems with the options, found before anything runs: unknown or non-QPU workers, an unknown controller,
    a bad qubit limit, a model that cannot be cut, a shot budget below the runs, too few workers for feed-forward,
    noisy fragments too wide to simulate."""
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
    if options.joint and not options.classical_communication:
        problems.append(("joint", "joint cuts need classical_communication: true"))
    if problems:
        return problems
    smallest = min(known[w].qubits for w in workers)
    limit = options.qubit_limit if options.qubit_limit is not None else smallest
    if limit > smallest:
        small = min(workers, key=lambda w: known[w].qubits)
        return [("qubit_limit", f"{limit} is more than worker {small!r} holds ({smallest} qubits)")]
    model = build_model(spec.model)
    circuit = model.circuit
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
        problems.append(("classical_communication", "feed-forward cuts need at least two worker QPUs"))
    if options.samples is None:
        try:
            plan_runs(
                plan,
                model.observables,
                spec.shots,
                params=model.init_params(np.random.default_rng(0)),
                scale_shots=options.scale_shots,
            )
        except CutError as exc:
            problems.append(("shots", str(exc)))
    elif options.scale_shots and spec.shots * plan.sampling_overhead < options.samples:
        problems.append(
            (
                "samples",
                f"{options.samples} samples need at least one shot each, but S·γ² = "
                f"{spec.shots * plan.sampling_overhead:.6g}",
            )
        )
    if spec.noise:
        for f in plan.fragments:
            gate_sides = sum(
                1 for j, c in enumerate(plan.cuts) if isinstance(c, GateCut) and f.index in plan.cut_sides[j]
            )
            if f.width + gate_sides > DM_MAX_QUBITS:
                problems.append(
                    (
                        "",
                        f"noisy fragments are simulated with density matrices up to {DM_MAX_QUBITS} qubits; "
                        f"fragment {f.index} needs {f.width} plus {gate_sides} for its mid-circuit measurements: set "
                        "workload.noise: false or a smaller qubit_limit",
                    )
                )
                break
    return problems


# ------------------------------------------------------------------------------------------ one step


@dataclass(frozen=True)
class StepResult:
    """What one step's reconstruction gives the strategy.

    Attributes:
        loss: the batch loss at the estimate.
        grad: the loss gradient.
        runs: the runs executed (with their shots) — what the workers are charged.
        sampled_shots: shots drawn per input (0 in exact mode).
        value: the estimated expectation values ``(B, K)``.
    """

    loss: float
    grad: np.ndarray
    runs: tuple[Run, ...]
    sampled_shots: int
    value: np.ndarray


def cut_loss_and_grad(
    plan: CutPlan,
    model: QNNModel,
    params: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    *,
    samples: int | None = None,
    shots: int | None = None,
    exact: bool = False,
    scale_shots: bool = True,
    rng: np.random.Generator | None = None,
    noise=None,
    timing=None,
) -> StepResult:
    """The batch loss and its gradient through the cut decomposition (pure).

    Enumeration (``samples`` None): values and Jacobian from one evaluation of every run — sampled with ``shots``,
    exact without (or with ``exact``: exact values, runs still listed with their shots). Monte Carlo: values from
    ``samples`` term draws and the Jacobian from ``samples`` further, independent draws (:func:`draw_terms`,
    ``rng`` advanced), so the runs dispatched are the ones the estimate used.
    """
    data = model.encoding.transform(x)
    obs = model.observables
    common = {"shots": shots, "scale_shots": scale_shots, "noise": noise, "timing": timing, "exact": exact}
    if samples is None:
        method = "parameter-shift" if (shots is not None and not exact) or noise is not None else "adjoint"
        est = evaluate_cut_gradient(plan, params, data, obs, rng=rng, method=method, **common)
        loss, de = model.loss_from_expectations(est.value, y)
        grad = np.einsum("bk,bkp->p", de, est.jacobian)
        return StepResult(float(loss), grad, est.runs, est.sampled_shots, est.value)
    if rng is None:
        raise QnetError("Monte Carlo cut gradients need an rng")
    qpds = plan.qpds_at(params)
    forward = draw_terms(plan, samples, rng, qpds)
    fwd = evaluate_cut(plan, params, data, obs, terms=forward, rng=rng, **common)
    shifted = draw_terms(plan, samples, rng, qpds)
    jac = evaluate_cut_gradient(plan, params, data, obs, terms=shifted, rng=rng, method="parameter-shift", **common)
    loss, de = model.loss_from_expectations(fwd.value, y)
    grad = np.einsum("bk,bkp->p", de, jac.jacobian)
    return StepResult(float(loss), grad, fwd.runs + jac.runs, fwd.sampled_shots + jac.sampled_shots, fwd.value)


# ------------------------------------------------------------------------------------------ scheduling


@dataclass
class CutSetup:
    """What the strategy fixes before the first step.

    Attributes:
        plan: the cut plan.
        workers: worker QPU names.
        controller: the controller node.
        pins: fragment -> worker for fragments joined by a feed-forward cut (with noise: every fragment).
        partners: ``(feed-forward cut, fragment)`` -> the fragment at the cut's other side.
        timings: worker -> gate timing.
        durations: cache of one shot's duration per (fragment, sub-experiment key, worker) (in s).
    """

    plan: CutPlan
    workers: list[str]
    controller: str
    pins: dict[int, str] = field(default_factory=dict)
    partners: dict[tuple[int, int], int] = field(default_factory=dict)
    timings: dict[str, QPUTiming] = field(default_factory=dict)
    durations: dict[tuple, float] = field(default_factory=dict)


def _pin_all(setup: CutSetup) -> None:
    """Pin every fragment not yet pinned to one worker (least-loaded first), so each carries one worker's noise."""
    load = dict.fromkeys(setup.workers, 0)
    for w in setup.pins.values():
        load[w] += 1
    for f in setup.plan.fragments:
        if f.index not in setup.pins:
            chosen = min(setup.workers, key=lambda w: (load[w], setup.workers.index(w)))
            setup.pins[f.index] = chosen
            load[chosen] += 1


def _pin_feedforward(setup: CutSetup) -> None:
    """Give every fragment on a feed-forward cut its own worker, distinct from its partners' (greedy colouring,
    least-loaded worker first)."""
    plan = setup.plan
    neighbours: dict[int, set[int]] = {}
    for j, (left, right) in enumerate(plan.cut_sides):
        if plan.qpds[j].feedforward:
            setup.partners[(j, left)] = right
            setup.partners[(j, right)] = left
            neighbours.setdefault(left, set()).add(right)
            neighbours.setdefault(right, set()).add(left)
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
    for j in run.sub.feedforward_waits:
        sender = setup.pins[setup.partners[(j, run.fragment)]]
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
            sender = setup.pins[setup.partners[(j, run.fragment)]]
            book_messages(network, sender, node, circuits * run.shots, FEEDFORWARD_BITS)
            counters["feedforward_messages"] += circuits * run.shots
    ledger.busy_ticks += ticks
    network.trace.activity(node, "compute", start, network.now)
    if node != controller:
        bits = sum(batch * run.outputs for run, _ in jobs) * ctx.spec.precision_bits
        yield network.send(node, controller, bits, kind="cut_results")


class CutEvaluator:
    """The experimenter's view of a cut model: loss and accuracy reconstructed through the cuts (exact
    enumeration, not charged; with ``noise``, under the fragments' noise), so no full-width statevector is ever
    simulated.

    Exact enumeration reproduces the uncut circuit's values to float precision (Peng et al., PRL 125, 150504
    (2020), Eq. 3), so the noise-free recorded curves equal the uncut model's wherever that is simulable.

    Attributes:
        plan: the cut plan.
        model: the QNN (encoding, readout, loss).
        noise: per fragment, the noise model of the worker it runs on (None: noise-free).
        timing: per fragment, that worker's gate times.
    """

    def __init__(self, plan: CutPlan, model: QNNModel, noise: dict | None = None, timing: dict | None = None) -> None:
        self.plan = plan
        self.model = model
        self.noise = noise
        self.timing = timing

    def expectations(self, params: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``E_bk`` ``(B, K)`` of the model, reconstructed from the fragments."""
        data = self.model.encoding.transform(x)
        return evaluate_cut(self.plan, params, data, self.model.observables, noise=self.noise, timing=self.timing).value

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
        evaluator: for :meth:`TrainingContext.record_update`: noise-free, the first worker's uncut model up to
            :data:`~qnet_dqnn.distributed.spec.MAX_UNCUT_QUBITS` qubits, else a :class:`CutEvaluator`; noisy, a
            :class:`CutEvaluator` under the fragments' noise.
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
        self.noise: dict | None = None
        self.timing: dict | None = None
        if ctx.spec.noise:
            _pin_all(self.setup)
            self.noise = {f: qpu_noise(network.nodes[w].spec) for f, w in self.setup.pins.items()}
            self.timing = {f: self.setup.timings[w] for f, w in self.setup.pins.items()}
            if all(n.is_ideal for n in self.noise.values()):
                self.noise = self.timing = None
        self.shots = ctx.spec.shots
        self.rng = component_rng(ctx.seed, f"{name}:samples")
        # the recorded curves: the uncut statevector where it is simulable (same values, cheaper), else the cuts
        narrow = model.num_qubits <= MAX_UNCUT_QUBITS and self.noise is None
        self.evaluator: CutEvaluator | QPU = (
            ctx.qpu(self.nodes_used[0]) if narrow else CutEvaluator(self.plan, model, self.noise, self.timing)
        )
        self.stopped = False
        self.counters = {"feedforward_messages": 0, "sampled_shots": 0}
        self.bias: list[float] = []
        self.error: list[float] = []
        self.overheads: list[float] = []
        self.steps = 0
        self.runs_total = 0
        self.used_total = 0

    def step(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> Generator[simpy.Event, Any, np.ndarray | None]:
        """Process: reconstruct the step's gradient from its runs, dispatch the runs, wait for every worker.
        Value: the batch gradient."""
        ctx, options = self.ctx, self.options
        network, env = ctx.network, ctx.network.env
        res = cut_loss_and_grad(
            self.plan,
            ctx.model,
            params,
            x,
            y,
            samples=options.samples,
            shots=self.shots,
            exact=options.exact or ctx.spec.estimator == "exact",
            scale_shots=options.scale_shots,
            rng=self.rng,
            noise=self.noise,
            timing=self.timing,
        )
        if self.noise is not None:
            self._report_noise(params, x, res.value)
        runs = list(res.runs)
        self.counters["sampled_shots"] += res.sampled_shots * len(x)
        if res.sampled_shots:  # the run's tally of draws, which the ledger's charge is held to
            ctx.sampled.add(ShotTally(sum(r.circuits_per_input for r in runs) * len(x), res.sampled_shots * len(x)))
        self.overheads.append(self.plan.sampling_overhead_at(params))
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
        return res.grad

    def _report_noise(self, params: np.ndarray, x: np.ndarray, estimate: np.ndarray) -> None:
        """The step's bias from noise (exact noisy vs exact ideal reconstruction) and its sampling error."""
        data = self.ctx.model.encoding.transform(x)
        obs = self.ctx.model.observables
        ideal = evaluate_cut(self.plan, params, data, obs).value
        noisy = evaluate_cut(self.plan, params, data, obs, noise=self.noise, timing=self.timing).value
        self.bias.append(float(np.mean(np.abs(noisy - ideal))))
        self.error.append(float(np.mean(np.abs(estimate - noisy))))

    def metrics(self, params: np.ndarray) -> dict[str, float]:
        """The cut's numbers for the run's metrics: overhead (the plan's, largest over trainable cut angles, and
        the mean over the steps' angles), cuts, fragments, runs, workers and shots per step, and with noise its
        bias beside the sampling error."""
        plan, steps = self.plan, self.steps
        out = {
            "sampling_overhead": float(plan.sampling_overhead),
            "sampling_overhead_mean": float(np.mean(self.overheads)) if self.overheads else math.nan,
            "cuts": float(len(plan.cuts)),
            "gate_cuts": float(sum(isinstance(c, GateCut) for c in plan.cuts)),
            "wire_cuts": float(sum(not isinstance(c, (GateCut, JointCut)) for c in plan.cuts)),
            "joint_cuts": float(sum(isinstance(c, JointCut) for c in plan.cuts)),
            "trainable_cuts": float(len(plan.trainable_cuts)),
            "feedforward_cuts": float(plan.feedforward_cuts),
            "fragments": float(len(plan.fragments)),
            "max_fragment_width": float(plan.max_width),
            "qubit_limit": float(self.limit),
            "runs_per_step": self.runs_total / steps if steps else math.nan,
            "workers_used_per_step": self.used_total / steps if steps else math.nan,
            "feedforward_messages": float(self.counters["feedforward_messages"]),
            "sampled_shots": float(self.counters["sampled_shots"]),
            **cone_metrics(plan.circuit, plan.fragment_at, self.ctx.model.observables),
        }
        if self.bias:
            out["noise_bias"] = float(np.mean(self.bias))
            out["sampling_error"] = float(np.mean(self.error))
        return out


@register_strategy(
    "cut",
    CutOptions,
    "incoherent model split: cut the circuit into fragments that fit, run them on the QPUs, recombine from "
    "sampled shots (Mitarai & Fujii 2021; Peng et al. 2020; Piveteau & Sutter 2024)",
    _check,
)
def cut(ctx: TrainingContext, options: CutOptions) -> Generator[simpy.Event, Any, None]:
    """The controller's process: plan once, then dispatch, wait, reconstruct and update until ``ctx.done``."""
    yield from train_replica(ctx, CutReplica(ctx, options))
