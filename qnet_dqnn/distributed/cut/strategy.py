"""The cut strategy's processes: the workers of one step, the evaluator of the recorded curves, the replica
(one step after another over the network) and the registered ``cut`` strategy."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from qnet_dqnn.cutting import (
    CutPlan,
    GateCut,
    JointCut,
    Run,
    evaluate_cut,
)
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.cut.options import CutOptions, _check, _controller, _workers, plan_for
from qnet_dqnn.distributed.cut.schedule import (
    FEEDFORWARD_BITS,
    CutSetup,
    _pin_all,
    _pin_feedforward,
    schedule,
)
from qnet_dqnn.distributed.cut.step import cut_loss_and_grad
from qnet_dqnn.distributed.qpu import QPU, qpu_noise, qpu_timing
from qnet_dqnn.distributed.replica import train_replica
from qnet_dqnn.distributed.spec import MAX_UNCUT_QUBITS
from qnet_dqnn.distributed.strategies import register_strategy
from qnet_dqnn.errors import QnetError
from qnet_dqnn.qml import QNNModel
from qnet_dqnn.quantum.light_cone import cone_metrics
from qnet_dqnn.quantum.shots import ShotTally
from qnet_dqnn.rng import component_rng


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
            network.book_messages(sender, node, circuits * run.shots, FEEDFORWARD_BITS)
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
        self.plan = plan_for(model.circuit, self.limit, options, model.observables)
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
