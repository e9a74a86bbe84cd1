"""QuNetSim's ``qunetsim.components`` on qnet-dqnn: ``Host`` and ``Network``."""

from qnet_dqnn.interop.qunetsim.components.host import Host
from qnet_dqnn.interop.qunetsim.components.network import Network

__all__ = ["Host", "Network"]
