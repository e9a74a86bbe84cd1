"""The discrete-event network (SimPy): nodes, memories, classical and quantum links, ledger, trace."""

from qnet_dqnn.net.analytic import LinkExpectation, expected_link, path_latency_s
from qnet_dqnn.net.classical import ClassicalChannel, Message
from qnet_dqnn.net.ledger import Ledger, LinkCounters, NodeCounters
from qnet_dqnn.net.memory import QuantumMemory
from qnet_dqnn.net.network import Network, Node
from qnet_dqnn.net.pairs import Pair
from qnet_dqnn.net.quantum_link import QuantumLink
from qnet_dqnn.net.trace import Trace, TraceEvent

__all__ = [
    "ClassicalChannel",
    "Ledger",
    "LinkCounters",
    "LinkExpectation",
    "Message",
    "Network",
    "Node",
    "NodeCounters",
    "Pair",
    "QuantumLink",
    "QuantumMemory",
    "Trace",
    "TraceEvent",
    "expected_link",
    "path_latency_s",
]
