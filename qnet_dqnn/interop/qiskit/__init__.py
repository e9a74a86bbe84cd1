"""The qiskit bridge: circuits to and from qiskit, and qiskit-addon-cutting's cut finder as a ``find_cuts`` backend.

Importing this package registers ``backend="qiskit"`` with :func:`qnet_dqnn.cutting.register_finder`; the package
root imports it, so the name is there for every user of ``qnet_dqnn``. qiskit itself is imported only when a
circuit is translated (the optional ``qiskit`` extra).
"""

from qnet_dqnn.cutting.finder import register_finder
from qnet_dqnn.interop.qiskit.circuits import TWO_QUBIT_GATES, from_qiskit, to_qiskit
from qnet_dqnn.interop.qiskit.cut_finder import qiskit_find_cuts

register_finder("qiskit", qiskit_find_cuts)

__all__ = ["TWO_QUBIT_GATES", "from_qiskit", "qiskit_find_cuts", "to_qiskit"]
