"""QuNetSim's API on qnet-dqnn's timed, noisy network: run QuNetSim programs as they are written.

The package mirrors QuNetSim's layout (``qunetsim.components``, ``qunetsim.objects``, ``qunetsim.backends``),
so a script's ``from qunetsim.components import Host, Network`` resolves here during a run
(:func:`qnet_dqnn.interop.qunetsim.runtime.run_script`, or ``qnet-dqnn qunetsim run SCRIPT.py``). Protocol
threads run on the discrete-event clock, pairs come from the project's heralded links, memories and
swapping, qubits live in its density-matrix engine, and every message pays the links' latency.
"""

from qnet_dqnn.interop.qunetsim.components import Host, Network
from qnet_dqnn.interop.qunetsim.objects import (
    ClassicalConnection,
    DaemonThread,
    Logger,
    Message,
    QuantumConnection,
    Qubit,
)

__all__ = ["ClassicalConnection", "DaemonThread", "Host", "Logger", "Message", "Network", "QuantumConnection", "Qubit"]
