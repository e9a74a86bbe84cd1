"""The ``pipeline`` strategy: a QNN's layers on successive QPUs, the register teleported from stage to stage.

Each step evaluates the batch loss and its parameter-shift gradient: ``C = B·(1 + 2·n_occ)`` circuits of
``S`` shots, ``K = C·S`` shots, each passing every stage (:mod:`~.plan`). Per step and boundary:

- **pairs** — a shot consumes ``n`` end-to-end pairs at each boundary, ``K·n`` in all, every one scheduled on
  the network's pair timeline (:mod:`~.pairs`, :mod:`qnet_dqnn.net.timeline`): each pair's attempts, swaps,
  memory time and state; a shot that finds no pair stalls the pipeline; the pairs' mean Bell coefficients when
  used give the teleport channel;
- **teleports** — ``K·n`` at the sending stage, each one 2-bit message to the receiving stage (booked on
  every link of its route), its latency in the shot's and its local operations in the stages' busy time;
- **time** — ``latency + (K − 1)·period`` (:func:`~.plan.pipeline_timing`: the busiest stage or the latency
  over ``in_flight`` shots, whichever is longer) plus the stalls for pairs; every stage's QPU books the step's
  circuits and shots and ``K`` times its busy time per shot.

Values and gradients come from :func:`~.plan.pipeline_circuit` (the stages' gate noise, the boundaries'
teleport channels, the last stage's readout error) through the coherent split's evaluator
(:class:`~qnet_dqnn.distributed.coherent.SplitEvaluator`: exact sums over Pauli errors, else density
matrices), so over perfect pairs and without gate noise training is single-QPU training to float precision
(a tested invariant). Not modelled: the registers' idling while their outcome bits travel or a stall lasts
(ions: T2 ≈ 1 s against ~0.1 ms).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.distributed.coherent import SplitEvaluator, output_fidelity
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.pipeline.pairs import boundary_demand, boundary_pairs
from qnet_dqnn.distributed.pipeline.plan import (
    pipeline_circuit,
    pipeline_timing,
    segments,
    stage_seconds,
    teleport_local_seconds,
)
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import qpu_node_problems, register_strategy
from qnet_dqnn.errors import NoRouteError
from qnet_dqnn.net.routing import quantum_path
from qnet_dqnn.net.timeline import PairTimeline
from qnet_dqnn.quantum import forward_cost, gradient_cost
from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import TICKS_PER_SECOND, to_seconds, to_ticks

#: Bits of one teleport's outcome message (two measured bits; Bennett et al. 1993).
TELEPORT_BITS = 2
#: Largest register whose output fidelity is taken from density matrices (4^8 complex numbers, 1 MiB, per
#: input; the coherent split's ``dm_max_qubits`` default); larger ones use the exact Pauli-pattern sum.
FIDELITY_DM_MAX_QUBITS = 8


class StageSpec(BaseModel):
    """One stage: a QPU and how many consecutive layers of the ansatz it runs."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    node: Annotated[str, Field(min_length=1)]
    layers: Annotated[int, Field(ge=1)]


class PipelineOptions(BaseModel):
    """Options of ``pipeline``.

    Attributes:
        stages: the stages in order; their ``layers`` must add up to the model's. Stage 0 also encodes.
        in_flight: shots in the pipeline at once (1: a shot leaves the last stage before the next enters).
        fidelity_samples: validation inputs averaged for the ``output_fidelity`` metric.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    type: Literal["pipeline"]
    stages: Annotated[list[StageSpec], Field(min_length=1)]
    in_flight: Annotated[int, Field(ge=1, le=1_000_000)] = 4
    fidelity_samples: Annotated[int, Field(ge=1, le=1000)] = 4


def _check(options: PipelineOptions, topology: TopologySpec, spec: TrainSpec) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if spec.model.ansatz != "hardware_efficient":
        problems.append(
            ("stages", f"a pipeline splits a hardware_efficient ansatz between layers (got {spec.model.ansatz})")
        )
    covered = sum(s.layers for s in options.stages)
    if covered != spec.model.layers:
        problems.append(
            (
                "stages",
                f"the stages cover {covered} layers but the model has {spec.model.layers} (workload.model.layers): "
                "give every layer to exactly one stage",
            )
        )
    names = [s.node for s in options.stages]
    for i, name in enumerate(names):
        problems += qpu_node_problems(topology, [name], f"stages[{i}].node", spec.model.qubits)
        if name in names[:i]:
            problems.append((f"stages[{i}].node", f"node {name!r} already runs stage {names.index(name)}"))
    known = {n.name for n in topology.nodes}
    for i, (a, b) in enumerate(zip(names, names[1:], strict=False)):
        if a in known and b in known and a != b:
            try:
                quantum_path(topology, a, b)
            except NoRouteError:
                problems.append((f"stages[{i + 1}].node", f"no quantum path from {a!r} to {b!r} to teleport over"))
    return problems


class PipelineMachine:
    """A pipeline on the network: its stages' QPUs, circuit pieces and per-shot times; :meth:`step` runs one
    training step through it."""

    def __init__(self, ctx: TrainingContext, options: PipelineOptions) -> None:
        self.ctx, self.options = ctx, options
        self.network = ctx.network
        self.names = [s.node for s in options.stages]
        self.qpus = [ctx.qpu(name) for name in self.names]
        self.parts = segments(ctx.model, [s.layers for s in options.stages])
        last = len(self.parts) - 1
        self.busy_s = [
            stage_seconds(part, qpu.timing, i == 0, i == last)
            for i, (part, qpu) in enumerate(zip(self.parts, self.qpus, strict=True))
        ]
        self.boundaries = list(zip(self.names, self.names[1:], strict=False))
        self.delay_s = [to_seconds(ctx.network.path_delay_ticks(a, b, TELEPORT_BITS)) for a, b in self.boundaries]
        self.shots = ctx.spec.shots
        n = ctx.model.num_qubits
        #: Per boundary, when the first shot needs its pairs there: the stages' busy time up to the sender's
        #: Bell measurements, and the earlier boundaries' messages.
        self.offsets_s = [
            sum(self.busy_s[: s + 1]) - teleport_local_seconds(self.qpus[s].timing)[0] + sum(self.delay_s[:s])
            for s in range(len(self.boundaries))
        ]
        self.coefficients: list[np.ndarray | None] = [None] * len(self.boundaries)
        self.pair_period_s: list[float] = [0.0] * len(self.boundaries)
        self.wait_ticks = [0] * len(self.boundaries)
        self.pairs_consumed = 0
        self.timeline: PairTimeline | None = None
        self.steps, self.step_ticks, self.shots_run = 0, 0, 0
        if self.boundaries:
            for name in self.names:  # each stage holds its register; its pairs use the other qubits
                self.network.reserve_data_qubits(name, n)
            self.timeline = PairTimeline.of(self.network)

    def circuit(self) -> Circuit:
        """The pipeline circuit of the last step's pairs (the stages' gate noise, the boundaries' teleports)."""
        noises, timings = [q.noise for q in self.qpus], [q.timing for q in self.qpus]
        return pipeline_circuit(self.parts, self.coefficients, noises, timings)

    def evaluator(self) -> SplitEvaluator:
        """Values and gradients through the pipeline circuit of the last step's pairs."""
        circuit = self.circuit()
        last = self.qpus[-1]
        readout = last.noise.readout if last.noise is not None else 0.0
        return SplitEvaluator(
            self.ctx.model,
            circuit,
            method="enumerate",
            readout=readout,
            shots=self.ctx.spec.sampled_shots,
            tally=self.ctx.sampled,
            rng=last.rng,
        )

    def step(self, params: np.ndarray, x: np.ndarray, y: np.ndarray) -> Generator[simpy.Event, Any, np.ndarray]:
        """Process: one step's shots through the pipeline, its pairs and messages booked. Value: the gradient."""
        net, env, n = self.network, self.network.env, self.ctx.model.num_qubits
        start = net.now
        model = self.ctx.model
        cost = forward_cost(model.circuit, len(x), self.shots, self.qpus[0].timing) + gradient_cost(
            model.circuit, len(x), self.shots, self.qpus[0].timing
        )
        shots = cost.shots
        latency, period = pipeline_timing(self.busy_s, self.delay_s, [], self.options.in_flight)
        end = start + to_ticks(latency) + max(shots - 1, 0) * to_ticks(period)
        if self.timeline is not None:
            demand, which = boundary_demand(
                self.timeline,
                "pipeline",
                self.boundaries,
                n,
                shots,
                [to_ticks(o) for o in self.offsets_s],
                to_ticks(period),
                to_ticks(latency),
                start,
            )
            outcome = yield self.timeline.submit(demand)  # fires when the step's last shot is through
            end = outcome.end_tick
            for i, got in enumerate(boundary_pairs(self.timeline, outcome, which, len(self.boundaries), n)):
                self.coefficients[i] = got.coefficients
                self.pair_period_s[i] = got.period_ticks / TICKS_PER_SECOND
                self.wait_ticks[i] += got.wait_ticks
        if end > net.now:
            yield env.timeout(end - net.now)
        for name, busy in zip(self.names, self.busy_s, strict=True):
            ledger = net.ledger.nodes[name]
            ledger.circuits += cost.circuits
            ledger.shots += shots
            ledger.busy_ticks += shots * to_ticks(busy)
            net.trace.activity(name, "compute", start, net.now)
        for a, b in self.boundaries:
            net.ledger.nodes[a].teleports += shots * n
            self.network.book_messages(a, b, shots * n, TELEPORT_BITS)
            self.pairs_consumed += shots * n
        self.steps += 1
        self.step_ticks += net.now - start
        self.shots_run += shots
        loss_grad = self.evaluator().loss_and_grad(params, x, y)
        return loss_grad[1]

    def metrics(self, params: np.ndarray) -> dict[str, float]:
        """Per boundary: the last step's mean pair fidelity and pace (time between shots passing it), the run's
        wait for its pairs; the pipeline's shot latency, compute-bound period and the period the run kept (stalls
        included); and the output fidelity at ``params`` (the pipeline circuit's state against the ideal model's,
        as the coherent split reports it: gate and pair noise both lower it)."""
        latency, period = pipeline_timing(self.busy_s, self.delay_s, [], self.options.in_flight)
        d, model = self.ctx.dataset, self.ctx.model
        xs = d.x_val[: min(self.options.fidelity_samples, len(d.x_val))]
        method = "density_matrix" if model.num_qubits <= FIDELITY_DM_MAX_QUBITS else "enumerate"
        fid = output_fidelity(
            model.circuit,
            self.circuit(),
            params,
            model.encoding.transform(xs),
            model.encoding.initial_state(xs),
            method=method,
        )
        shot_period = (to_seconds(self.step_ticks) - self.steps * latency) / max(self.shots_run - self.steps, 1)
        out = {
            "output_fidelity": float(np.mean(fid)),
            "pipeline_stages": float(len(self.parts)),
            "shot_latency_s": latency,
            "compute_period_s": period,
            "shot_period_s": max(shot_period, period),
            "pairs_consumed": float(self.pairs_consumed),
            "wait_pairs_s": to_seconds(sum(self.wait_ticks)),
        }
        for i, c in enumerate(self.coefficients):
            out[f"boundary{i}_pair_fidelity"] = float(c[0]) if c is not None else 1.0
            out[f"boundary{i}_pair_period_s"] = self.pair_period_s[i]
            out[f"boundary{i}_wait_s"] = to_seconds(self.wait_ticks[i])
        return out


@register_strategy(
    "pipeline",
    PipelineOptions,
    "vertical split: the model's layers on successive QPUs, the register teleported between stages",
    _check,
)
def pipeline(ctx: TrainingContext, options: PipelineOptions) -> Generator[simpy.Event, Any, None]:
    """Minibatch steps, each through the pipeline; the optimizer runs at the last stage."""
    machine = PipelineMachine(ctx, options)
    params = ctx.init_params.copy()
    state = ctx.optimizer.init(params)
    # the minibatch stream of the first stage's node: the one ``single`` on that node draws
    next_batch = ctx.batches(machine.names[0], np.arange(len(ctx.dataset.x_train)))
    while not ctx.done:
        x, y = next_batch()
        grad = yield from machine.step(params, x, y)
        params, state = ctx.optimizer.step(params, grad, state)
        ctx.final_params = params
        ctx.record_update(params, machine.evaluator())
    ctx.extra_metrics.update(machine.metrics(ctx.final_params))
