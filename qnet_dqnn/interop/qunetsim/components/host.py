"""QuNetSim's ``Host`` on the project's network: the same calls, in simulated time, over real links.

Sending calls return at once, as in QuNetSim, while the network carries the message, pair or qubit (see
:mod:`qnet_dqnn.interop.qunetsim.runtime.session` for how); ``await_ack=True`` waits for the receiver's ACK.
Receiving calls wait ``wait`` simulated seconds (0: not at all, -1: for ever). Sequence numbers and ACKs
follow QuNetSim: every message, pair or qubit sent without ``no_ack`` carries the sender's next sequence
number for that receiver, and the receiver answers it with an ACK message over the classical network.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator
from typing import Any

import simpy

from qnet_dqnn.errors import NoRouteError, ProtocolError
from qnet_dqnn.interop.qunetsim.backends import EQSNBackend
from qnet_dqnn.interop.qunetsim.components.quantum_calls import QuantumCalls, _wait_arg
from qnet_dqnn.interop.qunetsim.objects.connections import ClassicalConnection, QuantumConnection
from qnet_dqnn.interop.qunetsim.objects.logger import Logger
from qnet_dqnn.interop.qunetsim.objects.message import Message
from qnet_dqnn.interop.qunetsim.objects.qubit import Qubit
from qnet_dqnn.interop.qunetsim.runtime.api import HOST_API, Mirrored, unsupported
from qnet_dqnn.interop.qunetsim.runtime.scheduler import Strand
from qnet_dqnn.interop.qunetsim.runtime.session import ACK_BITS, Session, active_session, message_bits
from qnet_dqnn.interop.qunetsim.runtime.storage import MessageStore, QubitStore


class Host(QuantumCalls, Mirrored):
    """A node's application layer (QuNetSim's ``qunetsim.components.Host``).

    Args:
        host_id: the host's name (its network node, unless the run maps it to another).
        backend: a QuNetSim backend (accepted; the project's engine holds every qubit).
    """

    _qunetsim_name = "Host"
    _qunetsim_api = HOST_API
    WAIT_TIME = 10

    def __init__(self, host_id: str, backend: Any = None) -> None:
        session = active_session("Host(...)")
        self._session: Session = session
        self._host_id = host_id
        self._backend = backend if backend is not None else EQSNBackend()
        self._classical_connections: dict[str, ClassicalConnection] = {}
        self._quantum_connections: dict[str, QuantumConnection] = {}
        self._messages = MessageStore(session)
        self._qubits = QubitStore(session)
        self._delay = 0.1
        self._max_ack_wait: float | None = None
        self._seq_sender: dict[str, int] = {}
        self._seq_receiver: dict[str, int] = {}
        self._acked: dict[str, set[int]] = {}
        self._ack_waiters: list[tuple[str, int, simpy.Event]] = []
        self.qkd_keys: dict[str, Any] = {}
        self.logger = Logger.get_instance()
        session.add_host(self)

    def __repr__(self) -> str:
        return f"Host({self._host_id!r})"

    # -- properties ---------------------------------------------------------------------------------------

    @property
    def host_id(self) -> str:
        """The host's name."""
        return self._host_id

    @property
    def backend(self) -> Any:
        """The backend the script chose (a name only)."""
        return self._backend

    @property
    def classical_connections(self) -> dict[str, ClassicalConnection]:
        """Classical connections by receiver."""
        return self._classical_connections

    @property
    def quantum_connections(self) -> dict[str, QuantumConnection]:
        """Quantum connections by receiver."""
        return self._quantum_connections

    @property
    def classical(self) -> list[Message]:
        """Every received message, highest sequence number first."""
        return sorted(self._messages.all(), key=lambda m: m.seq_num, reverse=True)

    @property
    def qubit_storage(self) -> QubitStore:
        """The stored qubits."""
        return self._qubits

    @property
    def delay(self) -> float:
        """QuNetSim's queue-processing delay (recorded; timing comes from the topology here)."""
        return self._delay

    @delay.setter
    def delay(self, delay: float) -> None:
        if isinstance(delay, bool) or not isinstance(delay, (int, float)):
            raise Exception("delay should be a number")  # noqa: TRY002
        if delay < 0:
            raise Exception("Delay should not be negative")  # noqa: TRY002
        self._delay = delay
        if delay:
            self._session.settings.note(
                "Host.delay (QuNetSim's wall-clock queue throttle) has no effect: link latency, processing time "
                "and queueing come from the topology"
            )

    @property
    def max_ack_wait(self) -> float | None:
        """Longest wait for an ACK (in simulated s; None: for ever)."""
        return self._max_ack_wait

    @max_ack_wait.setter
    def max_ack_wait(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Exception("max ack wait should be a number")  # noqa: TRY002
        self._max_ack_wait = None if value < 0 else value

    @property
    def storage_epr_limit(self) -> int:
        """Most EPR halves kept per partner (-1: no limit)."""
        return self._qubits.limit

    @storage_epr_limit.setter
    def storage_epr_limit(self, limit: int) -> None:
        if not isinstance(limit, int):
            raise Exception("memory limit should be an integer")  # noqa: TRY002
        self._qubits.limit = limit

    @property
    def storage_limit(self) -> int:
        """Most qubits kept per partner (-1: no limit)."""
        return self._qubits.limit

    @storage_limit.setter
    def storage_limit(self, limit: int) -> None:
        self.storage_epr_limit = limit

    def _no_sniffing(self, name: str, value: Any) -> None:
        if value:
            unsupported(f"Host.{name}", "relays do not inspect traffic here: routes are carried by the network")

    c_relay_sniffing = property(lambda self: False, lambda self, v: self._no_sniffing("c_relay_sniffing", v))
    q_relay_sniffing = property(lambda self: False, lambda self, v: self._no_sniffing("q_relay_sniffing", v))
    c_relay_sniffing_fn = property(lambda self: None, lambda self, v: self._no_sniffing("c_relay_sniffing_fn", v))
    q_relay_sniffing_fn = property(lambda self: None, lambda self, v: self._no_sniffing("q_relay_sniffing_fn", v))
    sniff_full_packet = property(lambda self: False, lambda self, v: self._no_sniffing("sniff_full_packet", v))

    # -- connections --------------------------------------------------------------------------------------

    def get_connections(self) -> list[dict[str, str]]:
        """The connections, as QuNetSim lists them: ``{'type': 'classical' | 'quantum', 'connection': id}``."""
        return [{"type": "classical", "connection": c} for c in self._classical_connections] + [
            {"type": "quantum", "connection": q} for q in self._quantum_connections
        ]

    def add_c_connection(self, receiver_id: str) -> None:
        """A classical connection to ``receiver_id``."""
        self._classical_connections[receiver_id] = ClassicalConnection(self._host_id, receiver_id)

    def add_c_connections(self, receiver_ids: list[str]) -> None:
        """Classical connections to each of ``receiver_ids``."""
        for receiver_id in receiver_ids:
            self.add_c_connection(receiver_id)

    def add_q_connection(self, receiver_id: str) -> None:
        """A quantum connection to ``receiver_id``."""
        self._quantum_connections[receiver_id] = QuantumConnection(self._host_id, receiver_id)

    def add_q_connections(self, receiver_ids: list[str]) -> None:
        """Quantum connections to each of ``receiver_ids``."""
        for receiver_id in receiver_ids:
            self.add_q_connection(receiver_id)

    def add_connection(self, receiver_id: str) -> None:
        """A classical and a quantum connection to ``receiver_id``."""
        self.add_c_connection(receiver_id)
        self.add_q_connection(receiver_id)

    def add_connections(self, receiver_ids: list[str]) -> None:
        """Classical and quantum connections to each of ``receiver_ids``."""
        for receiver_id in receiver_ids:
            self.add_connection(receiver_id)

    def remove_connection(self, receiver_id: str) -> list[bool]:
        """Remove both connections to ``receiver_id``; whether each existed."""
        return [self.remove_c_connection(receiver_id), self.remove_q_connection(receiver_id)]

    def remove_c_connection(self, receiver_id: str) -> bool:
        """Remove the classical connection to ``receiver_id`` (and the network's edge)."""
        if self._session.network is not None:
            self._session.network.remove_c_connection(self._host_id, receiver_id)
        return self._classical_connections.pop(receiver_id, None) is not None

    def remove_q_connection(self, receiver_id: str) -> bool:
        """Remove the quantum connection to ``receiver_id`` (and the network's edge)."""
        if self._session.network is not None:
            self._session.network.remove_q_connection(self._host_id, receiver_id)
        return self._quantum_connections.pop(receiver_id, None) is not None

    # -- sequence numbers and ACKs --------------------------------------------------------------------

    def get_next_sequence_number(self, host: str) -> int:
        """The next sequence number towards ``host`` (0 first)."""
        self._seq_sender[host] = self._seq_sender.get(host, -1) + 1
        return self._seq_sender[host]

    def get_sequence_number(self, host: str) -> int:
        """The last sequence number used towards ``host``."""
        return self._seq_sender.get(host, 0)

    def get_sequence_number_receiver(self, host: str) -> int:
        """How many sequenced packets ``host`` has sent here."""
        return self._seq_receiver.get(host, 0)

    def reset_sequence_numbers(self) -> None:
        """Forget every sequence number and ACK."""
        self._seq_sender.clear()
        self._seq_receiver.clear()
        self._acked.clear()

    def _sequence(self, receiver_id: str, no_ack: bool) -> int:
        return -1 if no_ack else self.get_next_sequence_number(receiver_id)

    def send_ack(self, receiver: str, seq_number: int) -> None:
        """Acknowledge packet ``seq_number`` of ``receiver`` with an ACK message."""
        session = self._session
        self._seq_receiver[receiver] = self._seq_receiver.get(receiver, 0) + 1
        try:
            route = session.classical_route(self._host_id, receiver)
        except NoRouteError as exc:
            session.settings.note(f"ACK dropped: {exc}")
            return
        peer = self._peer(receiver)

        def arrive() -> None:
            peer._ack_arrived(self._host_id, seq_number)

        self._launch(self._carried(route, ACK_BITS, "ack", arrive))

    def _ack_arrived(self, sender: str, seq: int) -> None:
        self._acked.setdefault(sender, set()).add(seq)
        for waiter in [w for w in self._ack_waiters if w[0] == sender and w[1] == seq]:
            self._ack_waiters.remove(waiter)
            waiter[2].succeed(True)

    def await_ack(self, sequence_number: int, sender: str) -> bool:
        """Wait for ``sender``'s ACK of ``sequence_number`` (at most ``max_ack_wait``); whether it came."""
        if sequence_number in self._acked.get(sender, set()):
            return True
        event = self._session.env.event()
        waiter = (sender, sequence_number, event)
        self._ack_waiters.append(waiter)
        what = f"{self._host_id}.await_ack(seq {sequence_number} from {sender!r})"
        if self._session.wait_for(event, self._max_ack_wait, what):
            return True
        self._ack_waiters.remove(waiter)
        return False

    def await_remaining_acks(self, sender: str) -> list[int]:
        """Wait for every ACK still due from ``sender``; the sequence numbers that never came."""
        last = self._seq_sender.get(sender, -1)
        return [seq for seq in range(last + 1) if not self.await_ack(seq, sender)]

    # -- plumbing ---------------------------------------------------------------------------------------

    def _peer(self, host_id: str) -> Host:
        network = self._session.network
        peer = None if network is None else network.get_host(host_id)
        if peer is None:
            raise NoRouteError(f"no host {host_id!r} in the network")
        return peer

    def _launch(self, body: Generator[simpy.Event, Any, Any]) -> simpy.Process:
        """Run ``body`` as a network operation of this host (``is_idle`` is False meanwhile)."""
        session = self._session

        def tracked() -> Generator[simpy.Event, Any, Any]:
            session.started(self._host_id)
            try:
                return (yield from body)
            finally:
                session.ended(self._host_id)

        return session.env.process(tracked())

    def _carried(
        self, route: list[str], bits: int, kind: str, arrive: Callable[[], None]
    ) -> Generator[simpy.Event, Any, None]:
        yield self._session.carry(route, bits, kind)
        arrive()

    def _acknowledged(self, peer: Host, seq: int) -> None:
        if seq != -1:
            peer.send_ack(self._host_id, seq)

    def _reply(self, seq: int, receiver_id: str, await_ack: bool) -> bool | None:
        return self.await_ack(seq, receiver_id) if await_ack and seq != -1 else None

    def is_idle(self) -> bool:
        """True when none of this host's messages, pairs or qubits is still on its way."""
        return self._session.in_flight.get(self._host_id, 0) == 0

    # -- classical messages ---------------------------------------------------------------------------

    def send_classical(self, receiver_id: str, message: Any, await_ack: bool = False, no_ack: bool = False) -> Any:
        """Send ``message``; with ``await_ack``, wait for the ACK and return whether it came."""
        route = self._session.classical_route(self._host_id, receiver_id)
        seq = self._sequence(receiver_id, no_ack)
        self._post(route, receiver_id, Message(self._host_id, message, seq))
        return self._reply(seq, receiver_id, await_ack)

    def _post(self, route: list[str], receiver_id: str, msg: Message) -> None:
        peer = self._peer(receiver_id)

        def arrive() -> None:
            peer._messages.add(msg)
            self._acknowledged(peer, msg.seq_num) if msg.seq_num != -1 else None

        self._launch(self._carried(route, message_bits(msg.content), "classical", arrive))

    def send_broadcast(self, message: Any) -> None:
        """Send ``message`` to every other host of the network (sequenced, acknowledged, not awaited)."""
        network = self._session.network
        for host_id in [] if network is None else list(network.ARP):
            if host_id != self._host_id:
                route = self._session.classical_route(self._host_id, host_id)
                self._post(route, host_id, Message(self._host_id, message, self.get_next_sequence_number(host_id)))

    def get_classical(self, host_id: str, seq_num: int | None = None, wait: float = 0) -> Any:
        """The ``seq_num``-th message from ``host_id``, or all its messages (highest sequence number first)."""
        wait = _wait_arg(wait)
        what = f"{self._host_id}.get_classical({host_id!r}, seq_num={seq_num}, wait={wait})"
        if seq_num is not None:
            return self._messages.nth_from(host_id, seq_num, wait, what)
        return sorted(self._messages.all_from(host_id, wait, what), key=lambda m: m.seq_num, reverse=True)

    def get_next_classical(self, sender_id: str, wait: float = -1) -> Message | None:
        """The next unread message from ``sender_id`` (waits for ever by default)."""
        what = f"{self._host_id}.get_next_classical({sender_id!r}, wait={wait})"
        return self._messages.next_from(sender_id, _wait_arg(wait), what)

    def empty_classical(self, reset_seq_nums: bool = False) -> None:
        """Forget the received messages (and the sequence numbers)."""
        if reset_seq_nums:
            self.reset_sequence_numbers()
        self._messages.empty()

    # -- stored qubits ------------------------------------------------------------------------------------

    def _take(self, host_id: str, q_id: Any, purpose: str, wait: Any, call: str) -> Qubit | None:
        what = f"{self._host_id}.{call}({host_id!r}, q_id={q_id!r}, wait={wait})"
        return self._qubits.take(host_id, q_id, purpose, _wait_arg(wait), what)

    def get_qubit(self, host_id: str, q_id: Any = None, wait: float = 0) -> Qubit | None:
        """Take the data qubit received from ``host_id`` (id ``q_id``, else the oldest)."""
        return self._take(host_id, q_id, Qubit.DATA_QUBIT, wait, "get_qubit")

    def get_data_qubit(self, host_id: str, q_id: Any = None, wait: float = 0) -> Qubit | None:
        """Old name of :meth:`get_qubit`."""
        return self._take(host_id, q_id, Qubit.DATA_QUBIT, wait, "get_data_qubit")

    def get_ghz(self, host_id: str, q_id: Any = None, wait: float = 0) -> Qubit | None:
        """Take the GHZ qubit made by ``host_id``."""
        return self._take(host_id, q_id, Qubit.GHZ_QUBIT, wait, "get_ghz")

    def get_w(self, host_id: str, q_id: Any = None, wait: float = 0) -> Qubit | None:
        """Take the W qubit made by ``host_id``."""
        return self._take(host_id, q_id, Qubit.W_QUBIT, wait, "get_w")

    def get_qubits(self, host_id: str, remove_from_storage: bool = False) -> list[Qubit]:
        """The data qubits from ``host_id`` (taken out if ``remove_from_storage``)."""
        if remove_from_storage:
            return self._qubits.remove_all(host_id, Qubit.DATA_QUBIT)
        return self._qubits.peek(host_id, Qubit.DATA_QUBIT)

    get_data_qubits = get_qubits

    def get_qubit_by_id(self, q_id: Any) -> Qubit | None:
        """A stored qubit with id ``q_id``."""
        return self._qubits.by_id(q_id)

    def get_number_of_data_qubits(self, host_id: str) -> int:
        """How many qubits from ``host_id`` are stored."""
        return self._qubits.count(host_id)

    def reset_data_qubits(self, host_id: str | None = None) -> None:
        """Drop the stored data qubits (from ``host_id``, else from everyone)."""
        self._qubits.remove_all(host_id, Qubit.DATA_QUBIT)

    def _add(self, host_id: str, qubit: Qubit, q_id: Any, purpose: str) -> str:
        if q_id is not None:
            qubit.id = q_id
        self._qubits.add(qubit, purpose, host_id)
        return qubit.id

    def add_qubit(self, host_id: str, qubit: Qubit, q_id: Any = None) -> str:
        """Store ``qubit`` as a data qubit from ``host_id``."""
        return self._add(host_id, qubit, q_id, Qubit.DATA_QUBIT)

    add_data_qubit = add_qubit

    def add_ghz_qubit(self, host_id: str, qubit: Qubit, q_id: Any = None) -> str:
        """Store ``qubit`` as a GHZ qubit made by ``host_id``."""
        return self._add(host_id, qubit, q_id, Qubit.GHZ_QUBIT)

    def add_w_qubit(self, host_id: str, qubit: Qubit, q_id: Any = None) -> str:
        """Store ``qubit`` as a W qubit made by ``host_id``."""
        return self._add(host_id, qubit, q_id, Qubit.W_QUBIT)

    def add_checksum(self, qubits: list[Qubit], size_per_qubit: int = 2) -> list[Qubit]:
        """One parity qubit per ``size_per_qubit`` qubits (CNOTs from each onto it), as QuNetSim builds them."""
        checks = []
        for start in range(0, len(qubits), size_per_qubit):
            check = Qubit(self)
            for q in qubits[start : start + size_per_qubit]:
                q.cnot(check)
            checks.append(check)
        return checks

    # -- running ------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Nothing to start: hosts need no packet thread here."""

    def stop(self, release_qubits: bool = True) -> None:
        """Release the stored qubits (their memory goes back to the network)."""
        if release_qubits:
            for qubit in self._qubits.remove_all(None, None):
                with contextlib.suppress(ProtocolError):  # already measured or lost
                    qubit.release()

    def run_protocol(
        self, protocol: Callable[..., Any], arguments: tuple[Any, ...] = (), blocking: bool = False
    ) -> Strand | None:
        """Run ``protocol(self, *arguments)`` as a protocol thread (wait for it if ``blocking``)."""
        strand = self._session.spawn(self._host_id, protocol, (self, *tuple(arguments)))
        if blocking:
            strand.join()
            return None
        return strand

    # -- QuNetSim calls with no counterpart ----------------------------------------------------------------

    def send_key(self, receiver_id: str, key_size: int, await_ack: bool = True) -> None:
        """Not available (QuNetSim's built-in QKD): write the protocol with send_qubit and classical messages."""
        unsupported("Host.send_key", "QuNetSim's built-in QKD; write BB84 with send_qubit and classical messages")

    def get_key(self, receiver_id: str, wait: float = -1) -> None:
        """Not available (QuNetSim's built-in QKD)."""
        unsupported("Host.get_key", "QuNetSim's built-in QKD; write BB84 with send_qubit and classical messages")

    def delete_key(self, partner_id: str) -> None:
        """Forget a key in ``qkd_keys``."""
        self.qkd_keys.pop(partner_id, None)

    def rec_packet(self, packet: Any) -> None:
        """Not available: QuNetSim's packet layer is not simulated."""
        unsupported("Host.rec_packet", "QuNetSim's packet layer is not simulated; the network carries messages")
