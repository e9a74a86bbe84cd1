"""The quantum state of a run's QuNetSim qubits, on the project's density-matrix helpers.

Qubits that have never interacted are separate registers; a two-qubit gate merges two registers (tensor
product) and a destructive measurement traces the measured qubit out. Each register is a density matrix
(qubit 0 most significant, as in ``np.kron``), because pairs from the network are mixed states. Gates are
:func:`qnet_dqnn.quantum.gates.gate_matrix` (N&C conventions, the same rotations as QuNetSim's EQSN
backend) applied with :func:`qnet_dqnn.physics.density.apply_operator`.

Noise is the topology's: a host's one- and two-qubit gate errors depolarize the qubits a gate touched
(Dur et al., PRA 59, 169 (1999), Eq. (5): :func:`~qnet_dqnn.physics.density.depolarize_qubits`), its readout
error flips a reported outcome, and a qubit held at a host decoheres for the time it sits idle with the
host's memory channel (:func:`qnet_dqnn.net.pairs.memory_kraus`: T1/T2 or depolarizing), applied lazily
before its next operation. A pair from the network enters as the pair's state when one of its halves is
first used (:meth:`Network.consume_pair <qnet_dqnn.net.Network.consume_pair>`, decohered up to then by the
network's own model); its memory qubits stay taken until each half is measured or released.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qnet_dqnn.errors import ProtocolError
from qnet_dqnn.interop.qunetsim.runtime.roles import SessionRole
from qnet_dqnn.net.pairs import Pair, memory_kraus
from qnet_dqnn.physics import bell_diagonal_density_matrix
from qnet_dqnn.physics.density import Matrix, apply_kraus, apply_operator, depolarize_qubits, partial_trace
from qnet_dqnn.units import to_seconds

#: Projectors on |0> and |1>.
_PROJECTORS = (np.diag([1.0, 0.0]).astype(complex), np.diag([0.0, 1.0]).astype(complex))


class QubitCell:
    """Where one qubit's state lives: its register, the host holding it, and its memory slot.

    Attributes:
        host: the host holding the qubit now.
        since: tick from which it has been idle at ``host`` (its memory channel applies from then).
        slot: ``(node, link)`` of the network memory qubit it occupies (a pair half), or None.
        alive: False once measured destructively or released.
        gone: why it is gone (for the error a later use raises).
    """

    __slots__ = ("register", "host", "since", "slot", "alive", "gone", "label")

    def __init__(self, host: str, since: int, label: str) -> None:
        self.register: Register | None = None
        self.host = host
        self.since = since
        self.slot: tuple[str, str] | None = None
        self.alive = True
        self.gone = ""
        self.label = label


class Register:
    """A group of qubits with one joint density matrix; ``pair`` is set while it is a network pair not yet read."""

    __slots__ = ("cells", "rho", "pair")

    def __init__(self, cells: list[QubitCell], rho: Matrix | None, pair: Pair | None = None) -> None:
        self.cells = cells
        self.rho = rho
        self.pair = pair
        for cell in cells:
            cell.register = self


class QuantumState:
    """All qubits of one run.

    Args:
        session: the run (its clock, network, hosts' noise and random streams).
    """

    def __init__(self, session: SessionRole) -> None:
        self.session = session

    # -- making qubits ------------------------------------------------------------------------------

    def new_qubit(self, host: str, label: str) -> QubitCell:
        """A fresh qubit in |0> at ``host``."""
        cell = QubitCell(host, self.session.now_tick, label)
        Register([cell], np.diag([1.0, 0.0]).astype(complex))
        return cell

    def new_pair(self, pair: Pair, hosts: tuple[str, str], labels: tuple[str, str]) -> tuple[QubitCell, QubitCell]:
        """The two halves of a delivered network pair (``hosts`` in the order of ``pair.ends``)."""
        now = self.session.now_tick
        a, b = QubitCell(hosts[0], now, labels[0]), QubitCell(hosts[1], now, labels[1])
        a.slot, b.slot = (pair.ends[0], pair.share_links[0]), (pair.ends[1], pair.share_links[1])
        Register([a, b], None, pair)
        return a, b

    def pair_lost(self, cell: QubitCell) -> bool:
        """True if ``cell`` is half of a network pair the network discarded before it was read (a cutoff)."""
        register = cell.register
        return register is not None and register.pair is not None and not register.pair.is_stored

    # -- reading and touching ---------------------------------------------------------------------------

    def _check(self, cell: QubitCell) -> Register:
        if not cell.alive:
            raise ProtocolError(f"qubit {cell.label} {cell.gone}: it no longer exists")
        register = cell.register
        assert register is not None
        if register.pair is not None:
            self._read_pair(register)
        return register

    def _read_pair(self, register: Register) -> None:
        pair = register.pair
        assert pair is not None
        if not pair.is_stored:
            for cell in register.cells:
                cell.alive, cell.gone = False, f"was lost: its network pair {pair.pair_id} was {pair.status}"
            raise ProtocolError(
                f"qubit {register.cells[0].label} was lost: its network pair {pair.pair_id} was "
                f"{pair.status} before it was used (the memories' cutoff)"
            )
        state = self.session.net.consume_pair(pair, keep_qubits_at=pair.ends)
        register.rho = bell_diagonal_density_matrix(state) if np.shape(state) == (4,) else np.asarray(state, complex)
        register.pair = None
        now = self.session.now_tick
        for cell in register.cells:
            cell.since = now

    def _idle(self, register: Register, cells: Sequence[QubitCell]) -> None:
        """Apply each cell's memory channel for the time it sat idle, up to now."""
        now = self.session.now_tick
        for cell in cells:
            if now > cell.since:
                model = self.session.memory_model(cell.host)
                if not model.is_ideal:
                    n = len(register.cells)
                    kraus = memory_kraus(model, to_seconds(now - cell.since))
                    register.rho = apply_kraus(register.rho, kraus, [register.cells.index(cell)], n)
                cell.since = now

    def _merge(self, registers: list[Register]) -> Register:
        first = registers[0]
        for other in registers[1:]:
            if other is first:
                continue
            first.rho = np.kron(first.rho, other.rho)
            first.cells = first.cells + other.cells
            for cell in other.cells:
                cell.register = first
        return first

    # -- operations ---------------------------------------------------------------------------------

    def apply(self, matrix: Matrix, cells: Sequence[QubitCell], error: float = 0.0) -> None:
        """Apply the unitary ``matrix`` to ``cells`` (in order), then depolarize them with probability ``error``."""
        if len({id(c) for c in cells}) != len(cells):
            raise ProtocolError(f"a {len(cells)}-qubit gate needs distinct qubits")
        register = self._merge([self._check(c) for c in cells])
        self._idle(register, cells)
        n = len(register.cells)
        targets = [register.cells.index(c) for c in cells]
        register.rho = apply_operator(register.rho, matrix, targets, n)
        if error > 0.0:
            register.rho = depolarize_qubits(register.rho, error, targets, n)

    def measure(
        self, cell: QubitCell, rng: np.random.Generator, *, destructive: bool = True, readout_error: float = 0.0
    ) -> int:
        """Measure ``cell`` in the computational basis; the state collapses (and loses the qubit if destructive).

        The outcome is drawn with the Born rule from ``rng``; with ``readout_error`` the reported bit is
        flipped with that probability (the state keeps the true outcome).
        """
        register = self._check(cell)
        self._idle(register, [cell])
        n = len(register.cells)
        index = register.cells.index(cell)
        projected = apply_operator(register.rho, _PROJECTORS[1], [index], n)
        p1 = min(max(float(np.real(np.trace(projected))), 0.0), 1.0)
        outcome = int(rng.random() < p1)
        if outcome == 0:
            projected = apply_operator(register.rho, _PROJECTORS[0], [index], n)
        probability = p1 if outcome else 1.0 - p1
        register.rho = projected / probability
        if destructive:
            self._remove(register, cell, "was measured")
        if readout_error > 0.0 and rng.random() < readout_error:
            return 1 - outcome
        return outcome

    def release(self, cell: QubitCell) -> None:
        """Drop ``cell`` from the system (its register keeps the others' reduced state)."""
        register = self._check(cell)
        self._remove(register, cell, "was released")

    def _remove(self, register: Register, cell: QubitCell, why: str) -> None:
        n = len(register.cells)
        index = register.cells.index(cell)
        if n > 1:
            register.rho = partial_trace(register.rho, [i for i in range(n) if i != index], n)
        register.cells = [c for c in register.cells if c is not cell]
        cell.alive, cell.gone, cell.register = False, why, None
        if cell.slot is not None:
            self.session.free_memory_qubit(cell.slot)
            cell.slot = None

    def density_operator(self, cell: QubitCell) -> Matrix:
        """The reduced 2x2 density matrix of ``cell`` now."""
        register = self._check(cell)
        self._idle(register, [cell])
        n = len(register.cells)
        return partial_trace(register.rho, [register.cells.index(cell)], n)

    def move(self, cell: QubitCell, host: str) -> None:
        """``cell`` is now held at ``host`` (its idle decoherence so far is applied at the old host)."""
        register = self._check(cell)
        self._idle(register, [cell])
        cell.host = host

    def forget(self, cell: QubitCell, why: str) -> None:
        """Mark ``cell`` gone without touching any state (its register already dropped it)."""
        cell.alive, cell.gone = False, why
