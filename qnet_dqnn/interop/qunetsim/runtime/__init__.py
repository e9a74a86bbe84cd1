"""How QuNetSim programs run here: protocol threads on the SimPy clock, the session, the state engine."""

from qnet_dqnn.interop.qunetsim.runtime.api import UnsupportedAPIError
from qnet_dqnn.interop.qunetsim.runtime.run import (
    EXIT_RAISED,
    EXIT_STUCK,
    ScriptRun,
    qunetsim_imports,
    run_script,
    simulate,
)
from qnet_dqnn.interop.qunetsim.runtime.scheduler import NotScheduledError, Wait
from qnet_dqnn.interop.qunetsim.runtime.session import DEFAULT_STOP_TIME_S

__all__ = [
    "DEFAULT_STOP_TIME_S",
    "EXIT_RAISED",
    "EXIT_STUCK",
    "NotScheduledError",
    "ScriptRun",
    "UnsupportedAPIError",
    "Wait",
    "qunetsim_imports",
    "run_script",
    "simulate",
]
