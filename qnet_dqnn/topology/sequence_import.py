"""Deprecated alias of :mod:`qnet_dqnn.interop.sequence` (the SeQUeNCe import moved beside the other bridges).

Kept for one release so old imports keep working; it warns on import. Nothing in the package imports it.
"""

import warnings

warnings.warn(
    "qnet_dqnn.topology.sequence_import moved to qnet_dqnn.interop.sequence; the old import path goes in the "
    "next release",
    DeprecationWarning,
    stacklevel=2,
)

from qnet_dqnn.interop.sequence import (  # noqa: E402
    import_sequence_data,
    import_sequence_topology,
    sequence_import_header,
)
from qnet_dqnn.interop.sequence.reading import (  # noqa: E402
    M_PER_KM,
    PS_PER_S,
    SEQUENCE_DEFAULT_CLASSICAL_EXTRA_PS,
    SEQUENCE_DETECTOR_DEFAULT_EFFICIENCY,
    SEQUENCE_LIGHT_SPEED_M_PER_PS,
    SEQUENCE_MEMORY_DEFAULTS,
    SEQUENCE_ROUTER_DEFAULT_MEMO_SIZE,
)

__all__ = [
    "M_PER_KM",
    "PS_PER_S",
    "SEQUENCE_DEFAULT_CLASSICAL_EXTRA_PS",
    "SEQUENCE_DETECTOR_DEFAULT_EFFICIENCY",
    "SEQUENCE_LIGHT_SPEED_M_PER_PS",
    "SEQUENCE_MEMORY_DEFAULTS",
    "SEQUENCE_ROUTER_DEFAULT_MEMO_SIZE",
    "import_sequence_data",
    "import_sequence_topology",
    "sequence_import_header",
]
