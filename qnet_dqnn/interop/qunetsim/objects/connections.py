"""QuNetSim's connection objects: who a host may reach; their channel models are the topology's here."""

from __future__ import annotations

from typing import Any

from qnet_dqnn.interop.qunetsim.runtime.api import unsupported


class _Connection:
    def __init__(self, sender_id: str, receiver_id: str) -> None:
        self.sender_id = sender_id
        self.receiver_id = receiver_id

    @property
    def model(self) -> None:
        """The channel model: none here, the topology's link physics applies."""
        return None

    @model.setter
    def model(self, value: Any) -> None:
        unsupported(f"{type(self).__name__}.model", "link physics comes from the topology file (--topology)")


class ClassicalConnection(_Connection):
    """A classical connection from ``sender_id`` to ``receiver_id``."""


class QuantumConnection(_Connection):
    """A quantum connection from ``sender_id`` to ``receiver_id``."""
