"""Run a training strategy in code, without a scenario file: for tests, experiments and notebooks.

``ctx = train_on(topology, {"type": "parameter_server"}, max_steps=10)`` builds the network, the model, the
data and the optimizer exactly as the ``train`` workload does, runs the strategy to the end, and returns the
:class:`~qnet_dqnn.distributed.context.TrainingContext` (curves in ``ctx.recorder``, parameters in
``ctx.final_params``, extra metrics in ``ctx.extra_metrics``; the ledger and trace in ``ctx.network``).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from qnet_dqnn.config import validation_problems
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.quantum_data import strategy_process
from qnet_dqnn.distributed.spec import TrainSpec, build_dataset, build_model, build_optimizer, simulable_problems
from qnet_dqnn.distributed.strategies import STRATEGIES
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.net import Network
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_ticks


def train_on(
    topology: TopologySpec,
    strategy: dict[str, Any],
    *,
    seed: int = 1,
    stop_s: float = 1.0e6,
    trace: bool = True,
    **spec: Any,
) -> TrainingContext:
    """Train with ``strategy`` on ``topology``; ``spec`` holds the other ``train`` workload fields.

    Raises:
        ScenarioError: the options do not validate, or do not fit the topology (all problems listed).
    """
    train_spec = TrainSpec.model_validate({"type": "train", "strategy": strategy, **spec})
    if strategy.get("type") not in STRATEGIES:
        known = ", ".join(repr(k) for k in sorted(STRATEGIES))
        raise ScenarioError(
            "<train_on>", [("strategy.type", f"unknown strategy {strategy.get('type')!r} (known: {known})")]
        )
    chosen = STRATEGIES[strategy["type"]]
    try:
        options = chosen.options.model_validate(strategy)
    except ValidationError as exc:
        raise ScenarioError("<train_on>", validation_problems(exc, prefix="strategy")) from None
    problems = chosen.check(options, topology, train_spec) if chosen.check is not None else []
    problems = [(f"strategy.{p}".rstrip("."), reason) for p, reason in problems] + simulable_problems(train_spec)
    if problems:
        raise ScenarioError("<train_on>", problems)
    model = build_model(train_spec.model)
    dataset = build_dataset(train_spec.dataset, train_spec.model.qubits, seed)
    network = Network.from_topology(topology, seed, trace)
    ctx = TrainingContext(
        network, train_spec, model, dataset, build_optimizer(train_spec.optimizer), seed, to_ticks(stop_s)
    )
    env = network.env
    process = env.process(strategy_process(ctx, chosen.run, options))
    env.run(until=process | env.timeout(ctx.stop_tick))
    return ctx
