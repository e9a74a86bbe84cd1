"""The strategy registry: each training strategy has a name (its YAML ``type``), an options model and a process."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy
from pydantic import BaseModel

from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.topology import TopologySpec

StrategyProcess = Callable[[TrainingContext, Any], Generator[simpy.Event, Any, None]]


OptionsCheck = Callable[[Any, TopologySpec, Any], list[tuple[str, str]]]


@dataclass(frozen=True)
class Strategy:
    """A registered strategy.

    Attributes:
        name: its YAML ``type``.
        options: the pydantic model of its options.
        run: ``run(ctx, options)``, a SimPy process that trains until ``ctx.done``.
        summary: one line for listings.
        check: ``check(options, topology, train_spec)`` -> problems as (field path under
            ``workload.strategy``, reason); run when the scenario loads.
    """

    name: str
    options: type[BaseModel]
    run: StrategyProcess
    summary: str
    check: OptionsCheck | None = None


STRATEGIES: dict[str, Strategy] = {}


def register_strategy(
    name: str, options: type[BaseModel], summary: str, check: OptionsCheck | None = None
) -> Callable[[StrategyProcess], StrategyProcess]:
    """Decorator registering a strategy process under ``name``."""

    def wrap(run: StrategyProcess) -> StrategyProcess:
        if name in STRATEGIES:
            raise ValueError(f"strategy {name!r} is registered twice")
        STRATEGIES[name] = Strategy(name, options, run, summary, check)
        return run

    return wrap


def qpu_node_problems(topology: TopologySpec, names: list[str], field: str, qubits: int) -> list[tuple[str, str]]:
    """Problems with nodes named as QPU workers: unknown, not a QPU, or too small for the model."""
    problems = []
    known = {n.name: n for n in topology.nodes}
    for i, name in enumerate(names):
        where = f"{field}[{i}]" if len(names) > 1 or field.endswith("nodes") else field
        node = known.get(name)
        if node is None:
            problems.append((where, f"unknown node {name!r}"))
        elif node.kind != "qpu":
            problems.append((where, f"node {name!r} is a {node.kind}, not a qpu"))
        elif node.qubits < qubits:
            problems.append((where, f"node {name!r} has {node.qubits} qubits; the model needs {qubits}"))
    return problems
