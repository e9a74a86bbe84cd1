"""A QuNetSim-like application layer: one :class:`Host` per node, with the verbs QuNetSim users know.

QuNetSim (DiAdamo, Nötzel, Zanger & Beşe, IEEE TQE 2, 1 (2021)) gives each node a ``Host`` with
``send_classical``, ``send_epr``, ``send_teleport`` and blocking ``get_classical`` / ``get_epr`` /
``get_qubit`` with a wait time. Here the same verbs are SimPy processes in simulated time, so a custom
protocol is a short generator function::

    def alice(host):
        yield host.send_teleport("bob", QubitHandle("alice", [1, 0]))

    def bob(host):
        qubit = yield host.get_qubit("alice", timeout_s=1.0)

The ``get_*`` processes return None when the timeout passes first, as QuNetSim's do.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from qnet_dqnn.net.classical import Message
from qnet_dqnn.net.entanglement import request_pairs
from qnet_dqnn.net.network import Network
from qnet_dqnn.net.pairs import Pair
from qnet_dqnn.net.teleport import QubitHandle, teleport
from qnet_dqnn.units import to_ticks

#: Bits of a classical message whose size the caller does not give (one 64-bit word).
DEFAULT_MESSAGE_BITS = 64


class Host:
    """The application-layer handle of one node; build them all at once with :func:`make_hosts`."""

    def __init__(self, net: Network, name: str, hosts: dict[str, Host]) -> None:
        if name not in net.nodes:
            raise KeyError(f"no node {name!r} in the network")
        self.net = net
        self.name = name
        self._hosts = hosts
        self.classical = simpy.FilterStore(net.env)
        self.epr = simpy.FilterStore(net.env)
        self.qubits = simpy.FilterStore(net.env)

    def __repr__(self) -> str:
        return f"Host({self.name!r})"

    def _peer(self, name: str) -> Host:
        if name not in self._hosts:
            raise KeyError(f"no host {name!r} (hosts: {sorted(self._hosts)})")
        return self._hosts[name]

    # -- sending ------------------------------------------------------------------------------------

    def send_classical(self, dst: str, payload: Any, bits: int = DEFAULT_MESSAGE_BITS) -> simpy.Process:
        """Send ``payload`` (``bits`` long) to ``dst``; the process ends with the :class:`Message` delivered."""
        peer = self._peer(dst)
        return self.net.env.process(self._carry(peer, self.net.send(self.name, dst, bits, payload, kind="app")))

    def _carry(self, peer: Host, sending: simpy.Process) -> Generator[simpy.Event, Any, Message]:
        message = yield sending
        peer.classical.put(message)
        return message

    def send_epr(self, dst: str, n: int = 1, **options: Any) -> simpy.Process:
        """Share ``n`` pairs with ``dst``; both hosts get each pair.

        ``options`` are those of :func:`~qnet_dqnn.net.entanglement.request_pairs`.

        The process's value is the :class:`~qnet_dqnn.net.entanglement.RequestResult`.
        """
        peer = self._peer(dst)
        box = simpy.Store(self.net.env)
        request = request_pairs(self.net, self.name, dst, n, deliver_to=box, **options)
        self.net.env.process(self._hand_out(peer, box, n))
        return request

    def _hand_out(self, peer: Host, box: simpy.Store, n: int) -> Generator[simpy.Event, Any, None]:
        for _ in range(n):
            pair = yield box.get()
            self.epr.put(pair)
            peer.epr.put(pair)

    def send_teleport(self, dst: str, qubit: QubitHandle, pair: Pair | None = None) -> simpy.Process:
        """Teleport ``qubit`` to ``dst`` (over ``pair``, or a fresh pair requested first).

        The process's value is the :class:`~qnet_dqnn.net.teleport.TeleportResult`; ``dst`` gets the new
        handle in its :meth:`get_qubit` queue.
        """
        return self.net.env.process(self._teleport(self._peer(dst), qubit, pair))

    def _teleport(self, peer: Host, qubit: QubitHandle, pair: Pair | None) -> Generator[simpy.Event, Any, Any]:
        if pair is None:
            result = yield request_pairs(self.net, self.name, peer.name, 1)
            pair = result.pairs[0]
        else:
            self._take_epr(pair)
            peer._take_epr(pair)
        done = yield teleport(self.net, qubit, peer.name, pair)
        peer.qubits.put((self.name, done.qubit))
        return done

    def _take_epr(self, pair: Pair) -> None:
        if pair in self.epr.items:
            self.epr.items.remove(pair)

    # -- receiving ----------------------------------------------------------------------------------

    def get_classical(self, src: str | None = None, timeout_s: float | None = None) -> simpy.Process:
        """The next message (from ``src``, or anyone), or None after ``timeout_s``."""
        return self._get(self.classical, lambda m: src is None or m.src == src, timeout_s)

    def get_epr(self, peer: str, timeout_s: float | None = None) -> simpy.Process:
        """The next pair shared with ``peer`` (the same :class:`Pair` both hosts see), or None after ``timeout_s``."""
        return self._get(self.epr, lambda p: p.is_stored and peer in p.ends, timeout_s)

    def get_qubit(self, src: str | None = None, timeout_s: float | None = None) -> simpy.Process:
        """The next qubit teleported here (from ``src``, or anyone), or None after ``timeout_s``."""
        return self.net.env.process(self._unwrap(self._get(self.qubits, lambda i: src in (None, i[0]), timeout_s)))

    def _unwrap(self, getting: simpy.Process) -> Generator[simpy.Event, Any, QubitHandle | None]:
        item = yield getting
        return None if item is None else item[1]

    def _get(self, store: simpy.FilterStore, accept: Any, timeout_s: float | None) -> simpy.Process:
        return self.net.env.process(self._wait(store.get(accept), timeout_s))

    def _wait(self, get: simpy.Event, timeout_s: float | None) -> Generator[simpy.Event, Any, Any]:
        if timeout_s is None:
            return (yield get)
        yield get | self.net.env.timeout(to_ticks(timeout_s))
        if get.triggered:
            return get.value
        get.cancel()  # type: ignore[attr-defined]
        return None


def make_hosts(net: Network) -> dict[str, Host]:
    """One :class:`Host` per node of ``net``, able to reach each other."""
    hosts: dict[str, Host] = {}
    for name in net.nodes:
        hosts[name] = Host(net, name, hosts)
    return hosts
