"""qnet-dqnn: a discrete-event testbed for distributed quantum neural networks over quantum networks.

The public entry points::

    topology = qnet_dqnn.load_topology("topologies/metro.yaml")
    scenario = qnet_dqnn.load_scenario("scenarios/characterize_metro.yaml")
    result = qnet_dqnn.run(scenario)
"""

from qnet_dqnn.errors import ConfigError, QnetError, ScenarioError, SimulationError, TopologyError
from qnet_dqnn.scenario import RunResult, load_scenario, run
from qnet_dqnn.topology import load_topology

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "QnetError",
    "RunResult",
    "ScenarioError",
    "SimulationError",
    "TopologyError",
    "__version__",
    "load_scenario",
    "load_topology",
    "run",
]
