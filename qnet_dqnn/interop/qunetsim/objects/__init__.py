"""QuNetSim's ``qunetsim.objects`` on qnet-dqnn: ``Qubit``, ``Message``, ``Logger``, ``DaemonThread``, connections."""

from qnet_dqnn.interop.qunetsim.objects.connections import ClassicalConnection, QuantumConnection
from qnet_dqnn.interop.qunetsim.objects.daemon_thread import DaemonThread
from qnet_dqnn.interop.qunetsim.objects.logger import Logger
from qnet_dqnn.interop.qunetsim.objects.message import Message
from qnet_dqnn.interop.qunetsim.objects.qubit import Qubit
from qnet_dqnn.interop.qunetsim.runtime.api import OBJECTS_API, module_getattr

__all__ = ["ClassicalConnection", "DaemonThread", "Logger", "Message", "QuantumConnection", "Qubit"]

__getattr__ = module_getattr("qunetsim.objects", OBJECTS_API, {})
