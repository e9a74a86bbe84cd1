"""qnet-dqnn: a discrete-event testbed for distributed quantum neural networks over quantum networks.

The public entry points::

    topology = qnet_dqnn.load_topology("topologies/metro.yaml")
    scenario = qnet_dqnn.load_scenario("scenarios/characterize_metro.yaml")
    result = qnet_dqnn.run(scenario)
"""

from qnet_dqnn import _moved
from qnet_dqnn.errors import ConfigError, QnetError, ScenarioError, SimulationError, TopologyError
from qnet_dqnn.interop import qiskit as _qiskit_bridge  # noqa: F401  (registers the cut finder ``finder: qiskit``)
from qnet_dqnn.scenario import RunResult, load_scenario, run
from qnet_dqnn.topology import load_topology

# Bridges a scenario can name register themselves with the core here, at the top of the house (the core never
# imports interop/), and the old import paths of moved bridges keep working for one release.
_moved.install()

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
