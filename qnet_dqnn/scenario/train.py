"""The ``train`` workload: train a QNN on the network with a registered strategy.

The strategy (``workload.strategy.type``) runs as SimPy processes on the nodes; every gradient costs QPU time
by parameter-shift accounting and every message its network delay, so the learning curves are against
simulated time.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from qnet_dqnn.config import validation_problems
from qnet_dqnn.distributed import STRATEGIES, TrainingContext, TrainSpec
from qnet_dqnn.distributed.executor import make_executor
from qnet_dqnn.distributed.quantum_data import quantum_data_problems, strategy_process
from qnet_dqnn.distributed.spec import build_dataset, build_model, build_optimizer, simulable_problems
from qnet_dqnn.scenario.runner import RunContext
from qnet_dqnn.scenario.workloads import WorkloadOutput, register_workload
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds


def check_train(spec: TrainSpec, topology: TopologySpec) -> list[tuple[str, str]]:
    """Problems with the strategy's options against the topology (unknown strategy, unknown nodes, ...)."""
    kind = spec.strategy.get("type")
    if not isinstance(kind, str) or kind not in STRATEGIES:
        known = ", ".join(repr(k) for k in sorted(STRATEGIES))
        return [("strategy.type", f"unknown strategy {kind!r} (known: {known})")]
    strategy = STRATEGIES[kind]
    try:
        options = strategy.options.model_validate(spec.strategy)
    except ValidationError as exc:
        return validation_problems(exc, prefix="strategy")
    problems = strategy.check(options, topology, spec) if strategy.check is not None else []
    scoped = [(f"strategy.{path}".rstrip("."), reason) for path, reason in problems]
    return scoped + quantum_data_problems(spec, topology) + simulable_problems(spec)


def resolve_train(spec: TrainSpec) -> dict[str, Any]:
    """The spec as plain data, the strategy's options with their defaults filled in."""
    data = spec.model_dump()
    strategy = STRATEGIES.get(spec.strategy.get("type"))  # type: ignore[arg-type]
    if strategy is not None:
        data["strategy"] = strategy.options.model_validate(spec.strategy).model_dump()
    return data


@register_workload(
    "train",
    TrainSpec,
    "train a QNN over the network with a distributed strategy",
    headline=("final_accuracy", "time_to_target_s", "final_loss"),
    check=check_train,
    resolve=resolve_train,
)
def train(ctx: RunContext) -> WorkloadOutput:
    """Run the strategy until it is done or the scenario's time runs out; report curves and metrics."""
    spec: TrainSpec = ctx.scenario.workload  # type: ignore[assignment]
    strategy = STRATEGIES[spec.strategy["type"]]
    options = strategy.options.model_validate(spec.strategy)
    model = build_model(spec.model)
    dataset = build_dataset(spec.dataset, spec.model.qubits, ctx.scenario.seed)
    executor = make_executor(ctx.scheduler)
    training = TrainingContext(
        ctx.network,
        spec,
        model,
        dataset,
        build_optimizer(spec.optimizer),
        ctx.scenario.seed,
        ctx.stop_tick,
        ctx.progress,
        executor,
    )
    env = ctx.network.env
    process = env.process(strategy_process(training, strategy.run, options))
    try:
        env.run(until=process | env.timeout(max(ctx.stop_tick - ctx.network.now, 0)))
    finally:
        executor.close()
    warnings = no_update_warnings(training, ctx, ended=process.triggered)
    r = training.recorder
    metrics: dict[str, float] = {
        "updates": float(training.updates),
        "final_loss": r.losses[-1] if r.losses else math.nan,
        "final_accuracy": r.accuracies[-1] if r.accuracies else math.nan,
        "best_accuracy": max(r.accuracies, default=math.nan),
        "time_to_target_s": r.time_to_target_s,
        "parameters": float(model.num_params),
    }
    metrics.update(training.extra_metrics)
    rows: list[dict[str, Any]] = [
        {"update": u, "t_s": t, "loss": loss, "accuracy": a}
        for u, t, loss, a in zip(r.updates, r.times_s, r.losses, r.accuracies, strict=True)
    ]
    curves = {
        "loss": {"t_s": list(r.times_s), "value": list(r.losses)},
        "accuracy": {"t_s": list(r.times_s), "value": list(r.accuracies)},
    }
    return WorkloadOutput(metrics=metrics, tables={"training": rows}, curves=curves, warnings=warnings)


def no_update_warnings(training: TrainingContext, ctx: RunContext, ended: bool) -> list[str]:
    """Why a run ended without a single update: the strategy gave up, every process waited for something
    that never came, or the stop time came before the first step ended. Each names the field to change."""
    if training.updates:
        return []
    env = ctx.network.env
    now_s, stop_s = to_seconds(ctx.network.now), ctx.scenario.stop.simulated_time_s
    if ended:
        if training.extra_metrics.get("stopped_by_fault"):
            cause = "a fault stopped it: see workload.strategy.faults"
        else:
            cause = "see workload.strategy"
        return [f"no update: the strategy ended at {now_s:.4g} s without one ({cause})"]
    # SimPy keeps its scheduled events in ``env._queue`` as (time, priority, id, event); at the stop only the
    # run's own stop condition is due now, so a stalled run has nothing scheduled after this moment
    if not any(when > env.now for when, *_ in env._queue):
        last_s = to_seconds(ctx.network.trace.last_tick)
        full = [
            f"nodes[{i}].{'qubits' if n.communication_qubits is None else 'communication_qubits'} "
            f"(node {n.name!r} holds {n.memory_capacity} pair qubit(s), all taken)"
            for i, n in enumerate(ctx.scenario.topology.nodes)
            if (memory := ctx.network.nodes[n.name].memory) is not None and memory.free == 0
        ]
        faults = ctx.scenario.workload.strategy.get("faults")  # type: ignore[attr-defined]
        dropped = faults.get("dropout") if isinstance(faults, dict) else None
        if full:
            where = f"a resource that never frees: raise {'; or '.join(full)} in {ctx.scenario.topology_source}"
        elif dropped:
            where = f"workload.strategy.faults.dropout takes out {len(dropped)} node(s): the rest wait for them"
        else:
            where = "check the nodes workload.strategy uses and what they wait for"
        return [
            f"no update: nothing was left to happen after {last_s:.4g} s: every process waits for something that "
            f"never comes; {where}"
        ]
    return [
        f"no update: stop.simulated_time_s = {stop_s:g} s ended the run while its first step was still running; "
        "raise stop.simulated_time_s, or make a step cheaper (workload.shots, workload.batch_size, "
        "workload.strategy)"
    ]
