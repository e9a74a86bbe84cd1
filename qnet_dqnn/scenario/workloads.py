"""The workload registry: each workload has a name (its YAML ``type``), a spec model and a run function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from qnet_dqnn.scenario.context import RunContext
from qnet_dqnn.topology import TopologySpec


@dataclass
class WorkloadOutput:
    """What a workload hands back to the runner.

    Attributes:
        metrics: headline numbers (name -> value).
        tables: named tables, each a list of rows (column -> value).
        curves: named series against simulated time, e.g. ``{"loss": {"t_s": [...], "value": [...]}}``.
        warnings: why the run made no progress (the cause and the field to change), if it made none.
    """

    metrics: dict[str, float] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    curves: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Workload:
    """A registered workload."""

    name: str
    spec: type[BaseModel]
    run: Callable[[RunContext], WorkloadOutput]
    summary: str
    headline: tuple[str, ...] = ()
    check: Callable[[Any, TopologySpec], list[tuple[str, str]]] | None = None
    resolve: Callable[[Any], dict[str, Any]] | None = None

    def resolved(self, spec: BaseModel) -> dict[str, Any]:
        """The spec as plain data with every default filled in (what sweep paths may address)."""
        return self.resolve(spec) if self.resolve is not None else spec.model_dump()


WORKLOADS: dict[str, Workload] = {}


def register_workload(
    name: str,
    spec: type[BaseModel],
    summary: str,
    headline: tuple[str, ...] = (),
    check: Callable[[Any, TopologySpec], list[tuple[str, str]]] | None = None,
    resolve: Callable[[Any], dict[str, Any]] | None = None,
) -> Callable[[Callable[..., WorkloadOutput]], Callable[..., WorkloadOutput]]:
    """Decorator registering a workload's run function under ``name``.

    ``headline`` names the metrics that sweep summaries plot (default: the first three reported);
    ``check(spec, topology)`` returns problems (field path under ``workload``, reason) found when the
    scenario loads, e.g. a node the topology does not have; ``resolve(spec)`` gives the spec as plain data
    with its defaults filled in, where ``model_dump`` leaves a free-form part unresolved.
    """

    def wrap(run: Callable[..., WorkloadOutput]) -> Callable[..., WorkloadOutput]:
        if name in WORKLOADS:
            raise ValueError(f"workload {name!r} is registered twice")
        WORKLOADS[name] = Workload(name, spec, run, summary, headline, check, resolve)
        return run

    return wrap


def headline_metrics(workload: str, metrics: dict[str, float]) -> list[str]:
    """The metrics that summarise a workload's result (its declared headline, or the first three by name)."""
    declared = WORKLOADS[workload].headline if workload in WORKLOADS else ()
    return [m for m in declared if m in metrics] or sorted(metrics)[:3]
