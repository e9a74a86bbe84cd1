"""What the runtime needs from the QuNetSim faces above it, stated as protocols.

The runtime (session, state, storage) sits below the faces a script touches (``Host``, ``Network``, ``Qubit``,
``Message``), yet it holds them: the session keeps the hosts and the network, a store keeps qubits and messages.
It names them here by the few members it uses, so the faces import the runtime and never the other way round
(``typing.Protocol``, PEP 544: a class satisfies a protocol by having the members, without naming it).
"""

from __future__ import annotations

from typing import Any, Protocol

import networkx as nx
import simpy

from qnet_dqnn.net import Network as NetNetwork
from qnet_dqnn.physics import MemoryModel


class HostRole(Protocol):
    """A host, as the runtime knows it: by its name."""

    @property
    def host_id(self) -> str: ...


class NetworkRole(Protocol):
    """The script's ``Network``: its hosts (``ARP``) and the connections the hosts declared."""

    ARP: dict[str, Any]
    quantum_network: nx.DiGraph
    classical_network: nx.DiGraph


class QubitRole(Protocol):
    """A stored qubit: found and renamed by its id."""

    id: str


class MessageRole(Protocol):
    """A stored classical message: kept per sender, read by sequence number."""

    sender: str
    content: Any
    seq_num: int


class SessionRole(Protocol):
    """The run, as the qubit state and the stores use it: its clock, its network and its waits."""

    env: simpy.Environment
    net: NetNetwork | None

    @property
    def now_tick(self) -> int: ...

    def wait_for(self, event: simpy.Event, wait_s: float | None, what: str) -> bool: ...

    def memory_model(self, host: str) -> MemoryModel: ...

    def free_memory_qubit(self, slot: tuple[str, str]) -> None: ...
