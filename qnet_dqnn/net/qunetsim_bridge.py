"""Deprecated alias of :mod:`qnet_dqnn.interop.qunetsim.bridge` (the bridge moved beside the other bridges).

Kept for one release so old imports keep working; it warns on import. This alias is the one place where
``net/`` names ``interop/``: nothing in the core imports it.
"""

import warnings

warnings.warn(
    "qnet_dqnn.net.qunetsim_bridge moved to qnet_dqnn.interop.qunetsim.bridge; the old import path goes in the "
    "next release",
    DeprecationWarning,
    stacklevel=2,
)

from qnet_dqnn.interop.qunetsim.bridge import build_qunetsim_network, stop_qunetsim_network  # noqa: E402

__all__ = ["build_qunetsim_network", "stop_qunetsim_network"]
