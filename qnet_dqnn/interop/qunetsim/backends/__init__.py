"""QuNetSim's backends: every name is accepted, and all run on the project's own state engine.

QuNetSim lets a script choose EQSN, ProjectQ, QuTiP or CQC (SimulaQron) to hold its qubits. Here the state is
always the project's density-matrix engine (:mod:`qnet_dqnn.interop.qunetsim.runtime.state`), so each
backend class is a name a script may pass to ``Host(name, backend)`` or ``Network.start(nodes, backend)``.
"""

from __future__ import annotations

from typing import Any

from qnet_dqnn.interop.qunetsim.runtime.api import BACKENDS_API, module_getattr


class Backend:
    """A QuNetSim backend name; qubits live in the project's engine whichever one a script picks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.options = kwargs

    def __repr__(self) -> str:
        return f"{type(self).__name__}() (qnet-dqnn's density-matrix engine)"

    def start(self, **kwargs: Any) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""

    def add_host(self, host: Any) -> None:
        """Hosts need no registration with the engine."""


class EQSNBackend(Backend):
    """QuNetSim's default backend (EQSN)."""


class ProjectQBackend(Backend):
    """QuNetSim's ProjectQ backend."""


class QuTipBackend(Backend):
    """QuNetSim's QuTiP backend."""


class CQCBackend(Backend):
    """QuNetSim's CQC (SimulaQron) backend."""


__all__ = ["Backend", "CQCBackend", "EQSNBackend", "ProjectQBackend", "QuTipBackend"]

__getattr__ = module_getattr("qunetsim.backends", BACKENDS_API, {})
