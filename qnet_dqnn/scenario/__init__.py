"""Scenarios: the schema, loading, the workload registry and the runner."""

from qnet_dqnn.scenario import characterize as _characterize  # noqa: F401  (registers the workload)
from qnet_dqnn.scenario import distribute as _distribute  # noqa: F401  (registers the workload)
from qnet_dqnn.scenario import train as _train  # noqa: F401  (registers the workload)
from qnet_dqnn.scenario.context import RunContext
from qnet_dqnn.scenario.loader import load_scenario, scenario_from_data
from qnet_dqnn.scenario.result import RunResult, write_atomically
from qnet_dqnn.scenario.runner import run
from qnet_dqnn.scenario.schema import Scenario, StopSpec
from qnet_dqnn.scenario.workloads import WORKLOADS, WorkloadOutput, register_workload

__all__ = [
    "WORKLOADS",
    "RunContext",
    "RunResult",
    "Scenario",
    "StopSpec",
    "WorkloadOutput",
    "load_scenario",
    "register_workload",
    "run",
    "scenario_from_data",
    "write_atomically",
]
