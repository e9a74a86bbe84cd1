"""The run context: what a workload gets from the runner (its scenario, its network, a clock with progress).

A module of its own, below both the workload registry (which types its run functions with it) and the runner
(which builds it), so neither has to import the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qnet_dqnn.net import Network
from qnet_dqnn.scenario.schema import Scenario
from qnet_dqnn.units import to_ticks

#: How many slices a run is cut into to report progress.
PROGRESS_SLICES = 100

ProgressCallback = Callable[[float], None]


@dataclass
class RunContext:
    """What a workload gets: the scenario, its network, and a way to advance time with progress."""

    scenario: Scenario
    network: Network
    progress: ProgressCallback | None = None
    #: A Dask scheduler address (or client) for independent numerics of one run (federated local steps).
    scheduler: Any = None

    @property
    def stop_tick(self) -> int:
        """The tick at which the run stops."""
        return to_ticks(self.scenario.stop.simulated_time_s)

    def run_until(self, until_tick: int) -> None:
        """Advance the simulation to ``until_tick``, reporting progress in :data:`PROGRESS_SLICES` steps."""
        start = self.network.now
        span = max(until_tick - start, 1)
        for i in range(1, PROGRESS_SLICES + 1):
            self.network.run(start + span * i // PROGRESS_SLICES)
            if self.progress is not None:
                self.progress(i / PROGRESS_SLICES)
