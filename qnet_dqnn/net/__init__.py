"""The discrete-event network (SimPy): nodes, memories, classical and quantum links, services, ledger, trace."""

from qnet_dqnn.net.analytic import LinkExpectation, expected_link, path_latency_s
from qnet_dqnn.net.classical import ClassicalChannel, Message
from qnet_dqnn.net.ledger import Ledger, LinkCounters, NodeCounters, PathCounters
from qnet_dqnn.net.memory import QuantumMemory
from qnet_dqnn.net.network import MemoryShare, Network, Node
from qnet_dqnn.net.pairs import Pair
from qnet_dqnn.net.quantum_link import QuantumLink
from qnet_dqnn.net.trace import Trace, TraceEvent

from qnet_dqnn.net.entanglement import Delivery, RequestResult, request_pairs  # isort: skip
from qnet_dqnn.net.routing import quantum_path  # isort: skip
from qnet_dqnn.net.teleport import QubitHandle, TelegateResult, TeleportResult, telegate, teleport  # isort: skip
from qnet_dqnn.net.host import Host, make_hosts  # isort: skip

__all__ = [
    "ClassicalChannel",
    "Delivery",
    "Host",
    "Ledger",
    "LinkCounters",
    "LinkExpectation",
    "MemoryShare",
    "Message",
    "Network",
    "Node",
    "NodeCounters",
    "Pair",
    "PathCounters",
    "QuantumLink",
    "QuantumMemory",
    "QubitHandle",
    "RequestResult",
    "TelegateResult",
    "TeleportResult",
    "Trace",
    "TraceEvent",
    "expected_link",
    "make_hosts",
    "path_latency_s",
    "quantum_path",
    "request_pairs",
    "telegate",
    "teleport",
]
