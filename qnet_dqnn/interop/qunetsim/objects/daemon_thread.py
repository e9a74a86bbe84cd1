"""QuNetSim's ``DaemonThread``: here a protocol thread scheduled on the simulated clock."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from qnet_dqnn.interop.qunetsim.runtime.scheduler import Strand
from qnet_dqnn.interop.qunetsim.runtime.session import active_session


class DaemonThread:
    """Start ``target(*args)`` as a protocol thread; returns the running :class:`Strand` (``join``, ``is_alive``)."""

    def __new__(cls, target: Callable[..., Any], args: Iterable[Any] | None = None) -> Strand:  # type: ignore[misc]
        return active_session("DaemonThread").spawn("", target, tuple(args or ()))
