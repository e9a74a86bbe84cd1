"""The ``pipeline`` strategy: a QNN's layers on successive QPUs, the register teleported from stage to stage.

Each step evaluates the batch loss and its parameter-shift gradient: ``C = B·(1 + 2·n_occ)`` circuits of
``S`` shots, ``K = C·S`` shots, each passing every stage (:mod:`~.plan`). Per step and boundary:

- **pairs** — a shot consumes ``n`` end-to-end pairs at each boundary, ``K·n`` in all, charged by
  :func:`~.pairs.charge_boundary_pairs` (a representative sample per boundary through the entanglement service,
  the rest booked by scaling it; kept apart so the exact pair timeline can replace it): their mean Bell
  coefficients when used give the teleport channel, their time the boundary's pair period;
- **teleports** — ``K·n`` at the sending stage, each one 2-bit message to the receiving stage (booked on
  every link of its route), its latency in the shot's and its local operations in the stages' busy time;
- **time** — ``latency + (K − 1)·period`` (:func:`~.plan.pipeline_timing`: the busiest stage, the latency
  over ``in_flight`` shots, or a boundary's pair period, whichever is longest); every stage's QPU books the
  step's circuits and shots and ``K`` times its busy time per shot.

Values and gradients come from :func:`~.plan.pipeline_circuit` (the stages' gate noise, the boundaries'
teleport channels, the last stage's readout error) through the coherent split's evaluator
(:class:`~qnet_dqnn.distributed.coherent.SplitEvaluator`: exact sums over Pauli errors, else density
matrices), so over perfect pairs and without gate noise training is single-QPU training to float precision
(a tested invariant). Not modelled: the registers' idling while their outcome bits travel (ions: T2 ≈ 1 s
against ~0.1 ms), stalls when pairs come in bursts (the sample's mean rate is used).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Annotated, Any, Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field

from qnet_dqnn.distributed.coherent import SplitEvaluator, output_fidelity
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.pipeline.pairs import charge_boundary_pairs, discard_stale
from qnet_dqnn.distributed.pipeline.plan import (
    pipeline_circuit,
    pipeline_timing,
    segments,
    stage_seconds,
    step_seconds,
)
from qnet_dqnn.distributed.spec import TrainSpec
from qnet_dqnn.distributed.strategies import qpu_node_problems, register_strategy
from qnet_dqnn.errors import NoRouteError
from qnet_dqnn.net.routing import path_links, quantum_path
from qnet_dqnn.quantum import forward_cost, gradient_cost
from qnet_dqnn.quantum.circuit import Circuit
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds, to_ticks

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
        pairs_sample: pairs per boundary and step taken through the entanglement service (the rest scaled).
        fidelity_samples: validation inputs averaged for the ``output_fidelity`` metric.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    type: Literal["pipeline"]
    stages: Annotated[list[StageSpec], Field(min_length=1)]
    in_flight: Annotated[int, Field(ge=1, le=1_000_000)] = 4
    pairs_sample: Annotated[int, Field(ge=1, le=100_000)] = 16
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
        self.coefficients: list[np.ndarray | None] = [None] * len(self.boundaries)
        self.pair_period_s: list[float] = [0.0] * len(self.boundaries)
        self.pairs_consumed = 0
        self.stale_pairs = 0
        self.links = sorted(
            {
                name
                for a, b in self.boundaries
                for name in path_links(ctx.network.topology, quantum_path(ctx.network.topology, a, b))
            }
        )
        if self.boundaries:
            self.network.configure(memory_split="per_link")  # every link its share at the repeaters (no deadlock)

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
        if self.boundaries:
            compute_latency, compute_period = pipeline_timing(self.busy_s, self.delay_s, [], self.options.in_flight)
            hold = to_ticks(compute_period)
            charged = yield from charge_boundary_pairs(net, self.boundaries, n, shots, self.options.pairs_sample, hold)
            self.coefficients = [c.coefficients for c in charged]
            self.pair_period_s = [c.period_s for c in charged]
        latency, period = pipeline_timing(self.busy_s, self.delay_s, self.pair_period_s, self.options.in_flight)
        end = start + to_ticks(step_seconds(shots, latency, period))
        if end > net.now:
            yield env.timeout(end - net.now)
        if self.boundaries:
            self.stale_pairs += discard_stale(net, self.links, hold)
        for name, busy in zip(self.names, self.busy_s, strict=True):
            ledger = net.ledger.nodes[name]
            ledger.circuits += cost.circuits
            ledger.shots += shots
            ledger.busy_ticks += to_ticks(shots * busy)
            net.trace.activity(name, "compute", start, net.now)
        for a, b in self.boundaries:
            net.ledger.nodes[a].teleports += shots * n
            self.network.book_messages(a, b, shots * n, TELEPORT_BITS)
            self.pairs_consumed += shots * n
        loss_grad = self.evaluator().loss_and_grad(params, x, y)
        return loss_grad[1]


    def metrics(self, params: np.ndarray) -> dict[str, float]:
        """Per boundary: the last step's mean pair fidelity and pair period; the pipeline's shot times; and the
        output fidelity at ``params`` (the pipeline circuit's state against the ideal model's, as the coherent
        split reports it: gate and pair noise both lower it)."""
        latency, period = pipeline_timing(self.busy_s, self.delay_s, self.pair_period_s, self.options.in_flight)
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
        out = {
            "output_fidelity": float(np.mean(fid)),
            "pipeline_stages": float(len(self.parts)),
            "shot_latency_s": latency,
            "shot_period_s": period,
            "pairs_consumed": float(self.pairs_consumed),
            "stale_pairs_discarded": float(self.stale_pairs),
        }
        for i, c in enumerate(self.coefficients):
            out[f"boundary{i}_pair_fidelity"] = float(c[0]) if c is not None else 1.0
            out[f"boundary{i}_pair_period_s"] = self.pair_period_s[i]
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
