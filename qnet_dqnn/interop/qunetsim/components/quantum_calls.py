"""The quantum calls of QuNetSim's ``Host``: EPR pairs, teleportation, superdense coding, GHZ and W states.

A pair is a network pair (heralded, stored, swapped along the script's quantum route); a qubit moves only by
teleportation over such a pair (see :mod:`qnet_dqnn.interop.qunetsim.runtime.session`), so each qubit sent
costs a pair and two classical bits.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy

from qnet_dqnn.errors import ProtocolError
from qnet_dqnn.interop.qunetsim.objects.message import Message
from qnet_dqnn.interop.qunetsim.objects.qubit import Qubit
from qnet_dqnn.interop.qunetsim.runtime.api import unsupported
from qnet_dqnn.interop.qunetsim.runtime.session import Session
from qnet_dqnn.interop.qunetsim.runtime.storage import QubitStore
from qnet_dqnn.quantum.gates import gate_matrix

#: The two-bit messages superdense coding carries (Bennett & Wiesner, PRL 69, 2881 (1992)).
SUPERDENSE_MESSAGES = ("00", "01", "10", "11")


def _wait_arg(wait: Any) -> float:
    """QuNetSim's check of a ``wait`` argument."""
    if isinstance(wait, bool) or not isinstance(wait, (int, float)):
        raise Exception("wait parameter should be a number")  # noqa: TRY002  (QuNetSim's own error)
    return wait


class QuantumCalls:
    """The pair and qubit calls of :class:`~qnet_dqnn.interop.qunetsim.components.host.Host` (a mixin).

    It uses the host's session, storage and plumbing (``_peer``, ``_launch``, ``_sequence``, ACKs).
    """

    _session: Session
    _host_id: str
    _qubits: QubitStore

    # -- EPR pairs -------------------------------------------------------------------------------------

    def send_epr(
        self, receiver_id: str, q_id: Any = None, await_ack: bool = False, no_ack: bool = False, block: bool = False
    ) -> Any:
        """Share a pair with ``receiver_id`` (both store a half under one id); the id (and the ACK status)."""
        session = self._session
        route = session.quantum_route(self._host_id, receiver_id)
        peer = self._peer(receiver_id)
        q_id = str(q_id) if q_id is not None else session.new_id()
        seq = self._sequence(receiver_id, no_ack)

        def share() -> Generator[simpy.Event, Any, None]:
            mine, theirs = yield from self._new_pair(peer, route, q_id)
            mine.blocked = theirs.blocked = block
            self._qubits.add(mine, Qubit.EPR_QUBIT, receiver_id)
            peer._qubits.add(theirs, Qubit.EPR_QUBIT, self._host_id)
            self._acknowledged(peer, seq)

        self._launch(share())
        if await_ack and seq != -1:
            return q_id, self.await_ack(seq, receiver_id)
        return q_id

    def _new_pair(
        self, peer: QuantumCalls, route: list[str], q_id: str
    ) -> Generator[simpy.Event, Any, tuple[Qubit, Qubit]]:
        pair = yield self._session.request_pair(self._host_id, peer.host_id, route)
        labels = (f"{q_id!r} of {self._host_id!r}", f"{q_id!r} of {peer.host_id!r}")
        a, b = self._session.pair_halves(pair, self._host_id, peer.host_id, labels)
        return Qubit._of_cell(self, a, q_id), Qubit._of_cell(peer, b, q_id)

    def _shared_pair(
        self, peer: QuantumCalls, route: list[str], q_id: str
    ) -> Generator[simpy.Event, Any, tuple[Qubit, Qubit]]:
        """The oldest EPR pair stored with ``peer`` (both halves taken), else a new one from the network."""
        mine = self._qubits._take(peer.host_id, None, Qubit.EPR_QUBIT)
        if mine is None:
            return (yield from self._new_pair(peer, route, q_id))
        theirs = peer._qubits._take(self._host_id, mine.id, Qubit.EPR_QUBIT)
        if theirs is None:
            raise ProtocolError(
                f"{self._host_id!r} holds EPR half {mine.id!r} but {peer.host_id!r} no longer stores its partner"
            )
        return mine, theirs

    def shares_epr(self, receiver_id: str) -> bool:
        """True if an EPR half shared with ``receiver_id`` is stored here."""
        return bool(self._qubits.peek(receiver_id, Qubit.EPR_QUBIT))

    def get_epr(self, host_id: str, q_id: Any = None, wait: float = 0) -> Qubit | None:
        """Take the EPR half shared with ``host_id`` (id ``q_id``, else the oldest)."""
        what = f"{self._host_id}.get_epr({host_id!r}, q_id={q_id!r}, wait={wait})"
        return self._qubits.take(host_id, q_id, Qubit.EPR_QUBIT, _wait_arg(wait), what)

    def get_epr_pairs(self, host_id: str) -> list[Qubit]:
        """The EPR halves shared with ``host_id``, left in storage."""
        if host_id is None:
            raise ValueError("Host id has to be specified!")
        return self._qubits.peek(host_id, Qubit.EPR_QUBIT)

    def change_epr_qubit_id(self, host_id: str, new_id: Any, old_id: Any = None) -> str | None:
        """Rename the EPR half ``old_id`` (else the oldest) shared with ``host_id``; the old id."""
        return self._qubits.change_id(host_id, str(new_id), old_id)

    def add_epr(self, host_id: str, qubit: Qubit, q_id: Any = None, blocked: bool = False) -> str:
        """Store ``qubit`` as an EPR half shared with ``host_id``."""
        if q_id is not None:
            qubit.id = q_id
        qubit.blocked = blocked
        self._qubits.add(qubit, Qubit.EPR_QUBIT, host_id)
        return qubit.id

    def set_epr_memory_limit(self, limit: int, host_id: str | None = None) -> None:
        """Keep at most ``limit`` qubits (from ``host_id``, or from each host)."""
        if host_id is None:
            self._qubits.limit = limit
        else:
            self._qubits.limits[host_id] = limit

    set_data_qubit_memory_limit = set_epr_memory_limit

    # -- moving qubits (by teleportation) ----------------------------------------------------------------

    def _teleported(
        self, qubit: Qubit, peer: QuantumCalls, route: list[str], pair: tuple[Qubit, Qubit] | None = None
    ) -> Generator[simpy.Event, Any, Any]:
        """Teleport ``qubit`` to ``peer`` (over ``pair``, else a new network pair); the receiver's cell."""
        session = self._session
        if qubit.host is not self:
            raise ProtocolError(f"{self._host_id!r} cannot send {qubit!r}: the qubit is held at {qubit.host.host_id!r}")
        if pair is None:
            pair = yield from self._new_pair(peer, route, qubit.id)
        mine, theirs = pair
        bits_route = session.classical_route(self._host_id, peer.host_id)
        return (yield session.teleport(qubit._cell, mine._cell, theirs._cell, bits_route))

    def send_teleport(
        self,
        receiver_id: str,
        q: Qubit,
        await_ack: bool = False,
        no_ack: bool = False,
        payload: Any = None,
        generate_epr_if_none: bool = True,
    ) -> bool | None:
        """Teleport ``q`` to ``receiver_id`` over the oldest EPR pair stored with it (a new one if none)."""
        if payload is not None:
            unsupported("Host.send_teleport(payload=...)", "a QuNetSim-internal argument")
        route = self._session.quantum_route(self._host_id, receiver_id)
        peer = self._peer(receiver_id)
        seq = self._sequence(receiver_id, no_ack)

        def teleport() -> Generator[simpy.Event, Any, None]:
            pair = yield from self._shared_pair(peer, route, q.id)
            cell = yield from self._teleported(q, peer, route, pair)
            q._cell.gone = f"was teleported to {receiver_id!r} (no cloning: use the qubit {receiver_id!r} received)"
            peer._qubits.add(Qubit._of_cell(peer, cell, q.id), Qubit.DATA_QUBIT, self._host_id)
            self._acknowledged(peer, seq)

        self._launch(teleport())
        return self._reply(seq, receiver_id, await_ack)

    def send_qubit(self, receiver_id: str, q: Qubit, await_ack: bool = False, no_ack: bool = False) -> Any:
        """Move ``q`` to ``receiver_id`` (by teleportation over a new network pair); its id (and the ACK status)."""
        route = self._session.quantum_route(self._host_id, receiver_id)
        peer = self._peer(receiver_id)
        seq = self._sequence(receiver_id, no_ack)
        q.blocked = True
        self._launch(self._move(q, peer, route, Qubit.DATA_QUBIT, seq))
        if await_ack and seq != -1:
            return q.id, self.await_ack(seq, receiver_id)
        return q.id

    def _move(
        self, q: Qubit, peer: QuantumCalls, route: list[str], purpose: str, seq: int
    ) -> Generator[simpy.Event, Any, None]:
        cell = yield from self._teleported(q, peer, route)
        q._moved(peer, cell)
        q.blocked = False
        peer._qubits.add(q, purpose, self._host_id)
        self._acknowledged(peer, seq)

    def send_superdense(self, receiver_id: str, message: str, await_ack: bool = False, no_ack: bool = False) -> Any:
        """Send two bits by superdense coding (Bennett & Wiesner, PRL 69, 2881 (1992)) over a shared pair.

        The encoded half then moves to the receiver by teleportation (the network's only way to move a
        qubit), who decodes with CNOT, H and two measurements and stores the bits as a message.
        """
        if message not in SUPERDENSE_MESSAGES:
            raise ValueError("Can only sent one of '00', '01', '10', or '11' as a superdense message")
        route = self._session.quantum_route(self._host_id, receiver_id)
        peer = self._peer(receiver_id)
        seq = self._sequence(receiver_id, no_ack)

        def superdense() -> Generator[simpy.Event, Any, None]:
            mine, theirs = yield from self._shared_pair(peer, route, self._session.new_id())
            if message[1] == "1":
                mine.X()
            if message[0] == "1":
                mine.Z()
            cell = yield from self._teleported(mine, peer, route)
            arrived = Qubit._of_cell(peer, cell, mine.id)
            arrived.cnot(theirs)
            arrived.H()
            bits = f"{arrived.measure()}{theirs.measure()}"
            peer._messages.add(Message(self._host_id, bits, seq))
            self._acknowledged(peer, seq)

        self._launch(superdense())
        return self._reply(seq, receiver_id, await_ack)

    def _distribute(
        self, qubits: list[Qubit], receiver_list: list[str], purpose: str, await_ack: bool, no_ack: bool
    ) -> bool | None:
        routes = [self._session.quantum_route(self._host_id, r) for r in receiver_list]
        peers = [self._peer(r) for r in receiver_list]
        seqs = [self._sequence(r, no_ack) for r in receiver_list]
        for qubit, peer, route, seq in zip(qubits, peers, routes, seqs, strict=True):
            self._launch(self._move(qubit, peer, route, purpose, seq))
        if not await_ack or no_ack:
            return None
        return all([self.await_ack(seq, r) for seq, r in zip(seqs, receiver_list, strict=True)])

    def send_ghz(
        self,
        receiver_list: list[str],
        q_id: Any = None,
        await_ack: bool = False,
        no_ack: bool = False,
        distribute: bool = False,
    ) -> Any:
        """Make a GHZ state here (H, then CNOTs) and send one qubit to each receiver; keep one unless ``distribute``.

        GHZ state (Greenberger, Horne & Zeilinger 1989): (|0...0> + |1...1>)/sqrt(2).
        """
        own = Qubit(self, q_id=q_id)
        own.H()
        qubits = []
        for _ in range(len(receiver_list) - (1 if distribute else 0)):
            new = Qubit(self, q_id=own.id)
            own.cnot(new)
            qubits.append(new)
        if distribute:
            qubits.append(own)
        else:
            self.add_ghz_qubit(self._host_id, own)
        status = self._distribute(qubits, list(receiver_list), Qubit.GHZ_QUBIT, await_ack, no_ack)
        return own.id if status is None else (own.id, status)

    def send_w(
        self,
        receiver_list: list[str],
        q_id: Any = None,
        await_ack: bool = False,
        no_ack: bool = False,
        distribute: bool = False,
    ) -> Any:
        """Make a W state here and send one qubit to each receiver; keep one unless ``distribute``.

        W state (Dur, Vidal & Cirac, PRA 62, 062314 (2000)): the equal superposition of the n states with one
        excitation. Made from |10...0> by passing the excitation down the line: at step k a controlled-RY
        leaves amplitude sqrt(1/(n-k)) on qubit k and a CNOT moves the rest to qubit k+1.
        """
        n = len(receiver_list) + (0 if distribute else 1)
        qubits = [Qubit(self, q_id=q_id)]
        qubits += [Qubit(self, q_id=qubits[0].id) for _ in range(n - 1)]
        qubits[0].X()
        for k in range(n - 1):
            theta = 2.0 * math.acos(math.sqrt(1.0 / (n - k)))
            qubits[k].custom_controlled_gate(qubits[k + 1], gate_matrix("ry", theta))
            qubits[k + 1].cnot(qubits[k])
        if not distribute:
            self.add_w_qubit(self._host_id, qubits.pop(0))
        status = self._distribute(qubits, list(receiver_list), Qubit.W_QUBIT, await_ack, no_ack)
        return qubits[0].id if status is None else (qubits[0].id, status)
