"""QuNetSim's ``Qubit`` on the project's state engine.

Gates are those of QuNetSim (I, X, Y, Z, H, T, K, rx/ry/rz, cnot, cphase and custom unitaries), with
QuNetSim's conventions (``rx(phi) = exp(-i phi X / 2)``, as :func:`qnet_dqnn.quantum.gates.gate_matrix`), the
holding host's gate errors, and the memory decoherence of the time the qubit sat idle. Local gates take no
simulated time, as in QuNetSim; what crosses the network does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from qnet_dqnn.interop.qunetsim.runtime.api import QUBIT_API, Mirrored, unsupported
from qnet_dqnn.interop.qunetsim.runtime.roles import HostRole
from qnet_dqnn.interop.qunetsim.runtime.session import active_session
from qnet_dqnn.interop.qunetsim.runtime.state import QubitCell

#: QuNetSim's K gate, as its default (EQSN) backend defines it: K = (1/2)[[1+i, 1-i], [-1+i, -1-i]], which
#: maps the Z eigenbasis onto the Y eigenbasis (up to phases).
K_GATE = 0.5 * np.array([[1 + 1j, 1 - 1j], [-1 + 1j, -1 - 1j]], dtype=complex)


def _checked_unitary(gate: Any, size: int, call: str) -> np.ndarray:
    if not isinstance(gate, np.ndarray) or gate.shape != (size, size):
        raise ValueError(f"Qubit.{call}: the gate must be a {size}x{size} numpy array (got {gate!r})")
    if not np.allclose(gate.conj().T @ gate, np.eye(size), atol=1e-8):
        raise ValueError(f"Qubit.{call}: the gate is not unitary")
    return gate.astype(complex)


def _controlled(gate: np.ndarray) -> np.ndarray:
    """|0><0| (x) I + |1><1| (x) U, the control first."""
    d = gate.shape[0]
    out = np.eye(2 * d, dtype=complex)
    out[d:, d:] = gate
    return out


class Qubit(Mirrored):
    """A qubit held by a host (QuNetSim's ``qunetsim.objects.Qubit``).

    Args:
        host: the host that makes and holds it.
        qubit: a backend qubit (not supported: the state lives in the project's engine).
        q_id: its id (a fresh UUID4 from the run's seed by default).
        blocked: QuNetSim's blocked flag (kept, no effect).
    """

    _qunetsim_name = "Qubit"
    _qunetsim_api = QUBIT_API

    DATA_QUBIT = "data"
    EPR_QUBIT = "EPR"
    GHZ_QUBIT = "GHZ"
    W_QUBIT = "W"

    def __init__(self, host: HostRole, qubit: Any = None, q_id: Any = None, blocked: bool = False) -> None:
        session = active_session("Qubit(host)")
        if qubit is not None:
            unsupported("Qubit(host, qubit=...)", "backend qubits do not exist here; make Qubit(host)")
        self._session = session
        self._host = host
        self._id = str(q_id) if q_id is not None else session.new_id()
        self._blocked = bool(blocked)
        self._cell: QubitCell = session.state.new_qubit(host.host_id, self._label())

    @classmethod
    def _of_cell(cls, host: HostRole, cell: QubitCell, q_id: str) -> Qubit:
        """A qubit whose state is already in the engine (a pair half)."""
        qubit = cls.__new__(cls)
        qubit._session = active_session()
        qubit._host = host
        qubit._id = str(q_id)
        qubit._blocked = False
        qubit._cell = cell
        return qubit

    def _label(self) -> str:
        return f"{self._id!r} of {self._host.host_id!r}"

    def __repr__(self) -> str:
        return f"Qubit({self._id!r} at {self._host.host_id!r})"

    # -- what QuNetSim keeps about a qubit -------------------------------------------------------------

    @property
    def host(self) -> HostRole:
        """The host holding the qubit."""
        return self._host

    @host.setter
    def host(self, host: HostRole) -> None:
        unsupported("Qubit.host = ...", "a qubit moves between hosts with host.send_qubit (a teleportation here)")

    @property
    def id(self) -> str:
        """The qubit's id."""
        return self._id

    @id.setter
    def id(self, new_id: Any) -> None:
        self._id = str(new_id)

    @property
    def blocked(self) -> bool:
        """QuNetSim's blocked flag."""
        return self._blocked

    @blocked.setter
    def blocked(self, state: bool) -> None:
        self._blocked = bool(state)

    @property
    def qubit(self) -> QubitCell:
        """The engine's handle of this qubit."""
        return self._cell

    def send_to(self, receiver_id: str) -> None:
        """Not available: qubits move with ``host.send_qubit``."""
        unsupported("Qubit.send_to", "a qubit moves between hosts with host.send_qubit (a teleportation here)")

    def _lost(self) -> bool:
        return self._session.state.pair_lost(self._cell)

    def _moved(self, host: HostRole, cell: QubitCell) -> None:
        """The qubit now lives at ``host`` in ``cell`` (after a teleportation)."""
        self._host = host
        self._cell = cell

    # -- gates ------------------------------------------------------------------------------------------

    def _gate(self, name: str, angle: float | None = None) -> None:
        self._session.gate(name, [self._cell], angle)

    def I(self) -> None:  # noqa: E743, N802  (QuNetSim's names)
        """Identity (its gate error and idle decoherence still apply)."""
        self._gate("i")

    def X(self) -> None:  # noqa: N802
        """Pauli X."""
        self._gate("x")

    def Y(self) -> None:  # noqa: N802
        """Pauli Y."""
        self._gate("y")

    def Z(self) -> None:  # noqa: N802
        """Pauli Z."""
        self._gate("z")

    def H(self) -> None:  # noqa: N802
        """Hadamard."""
        self._gate("h")

    def T(self) -> None:  # noqa: N802
        """T = diag(1, e^(i pi/4))."""
        self._gate("t")

    def K(self) -> None:  # noqa: N802
        """QuNetSim's K gate (:data:`K_GATE`)."""
        self._session.unitary(K_GATE, [self._cell])

    def rx(self, phi: float) -> None:
        """Rotation exp(-i phi X / 2)."""
        self._gate("rx", float(phi))

    def ry(self, phi: float) -> None:
        """Rotation exp(-i phi Y / 2)."""
        self._gate("ry", float(phi))

    def rz(self, phi: float) -> None:
        """Rotation exp(-i phi Z / 2)."""
        self._gate("rz", float(phi))

    def cnot(self, target: Qubit) -> None:
        """CNOT with this qubit as control."""
        self._session.gate("cx", [self._cell, target._cell])

    def cphase(self, target: Qubit) -> None:
        """Controlled Z."""
        self._session.gate("cz", [self._cell, target._cell])

    def custom_gate(self, gate: np.ndarray) -> None:
        """Apply a 2x2 unitary."""
        self._session.unitary(_checked_unitary(gate, 2, "custom_gate"), [self._cell])

    def custom_controlled_gate(self, target: Qubit, gate: np.ndarray) -> None:
        """Apply the 2x2 unitary ``gate`` to ``target``, controlled by this qubit."""
        matrix = _controlled(_checked_unitary(gate, 2, "custom_controlled_gate"))
        self._session.unitary(matrix, [self._cell, target._cell])

    def custom_two_qubit_control_gate(self, q1: Qubit, q2: Qubit, gate: np.ndarray) -> None:
        """Apply the 4x4 unitary ``gate`` to (``q1``, ``q2``), controlled by this qubit."""
        matrix = _controlled(_checked_unitary(gate, 4, "custom_two_qubit_control_gate"))
        self._session.unitary(matrix, [self._cell, q1._cell, q2._cell])

    def custom_two_qubit_gate(self, other_qubit: Qubit, gate: np.ndarray) -> None:
        """Apply the 4x4 unitary ``gate`` to (this qubit, ``other_qubit``)."""
        self._session.unitary(_checked_unitary(gate, 4, "custom_two_qubit_gate"), [self._cell, other_qubit._cell])

    # -- reading ----------------------------------------------------------------------------------------

    def measure(self, non_destructive: bool = False) -> int:
        """Measure in the computational basis: 0 or 1 (the qubit is gone unless ``non_destructive``)."""
        return self._session.measure(self._cell, destructive=not non_destructive)

    def density_operator(self) -> np.ndarray:
        """The qubit's reduced density matrix (mixed if it is entangled)."""
        return self._session.state.density_operator(self._cell)

    def fidelity(self, other_qubit: Qubit) -> float:
        """Uhlmann fidelity (Tr sqrt(sqrt(rho) sigma sqrt(rho)))^2 of the two qubits' reduced states (N&C Eq. 9.53)."""
        rho, sigma = self.density_operator(), other_qubit.density_operator()
        root = scipy.linalg.sqrtm(rho)
        return float(np.real(np.trace(scipy.linalg.sqrtm(root @ sigma @ root))) ** 2)

    def release(self) -> None:
        """Remove the qubit from the system."""
        self._session.state.release(self._cell)
