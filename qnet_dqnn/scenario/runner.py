"""Run a scenario: build the network, run its workload, and collect the result record."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from qnet_dqnn.net import Network
from qnet_dqnn.scenario.context import ProgressCallback, RunContext
from qnet_dqnn.scenario.loader import load_scenario
from qnet_dqnn.scenario.result import RunResult
from qnet_dqnn.scenario.schema import Scenario
from qnet_dqnn.scenario.workloads import WORKLOADS
from qnet_dqnn.units import to_seconds


def run(
    scenario: Scenario | str | Path,
    *,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
    trace: bool = True,
    scheduler: Any = None,
) -> RunResult:
    """Run a scenario (a loaded one, or a file's path) and return its result record.

    Args:
        scenario: the scenario, or the path of its YAML file.
        seed: overrides the scenario's seed.
        progress: called with the fraction done (0..1) as the run advances.
        trace: keep the event trace (turn off for very long runs).
        scheduler: a Dask scheduler address (``tcp://host:8786``) or ``distributed.Client``: the clients' local
            training of a federated run goes to that cluster while the events stay here; same bytes as local.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": seed})
    started = dt.datetime.now(dt.UTC)
    wall_start = time.perf_counter()
    network = Network.from_topology(scenario.topology, scenario.seed, trace=trace)
    workload = WORKLOADS[scenario.workload_type]
    output = workload.run(RunContext(scenario, network, progress, scheduler))
    network.settle()
    network.ledger.check()
    return RunResult(
        scenario=scenario.name,
        workload=scenario.workload_type,
        seed=scenario.seed,
        topology=scenario.topology.name,
        simulated_time_s=to_seconds(network.now),
        events_processed=network.env.events_processed,
        metrics=output.metrics,
        tables=output.tables,
        curves=output.curves,
        ledger=network.ledger.to_dict(),
        timeline={
            node: [[to_seconds(start), to_seconds(end), kind] for start, end, kind in spans]
            for node, spans in network.trace.timeline().items()
        },
        wall={
            "started_utc": started.isoformat(timespec="seconds"),
            "wall_time_s": time.perf_counter() - wall_start,
        },
        warnings=list(output.warnings),
    )
