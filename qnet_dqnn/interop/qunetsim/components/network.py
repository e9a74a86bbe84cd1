"""QuNetSim's ``Network`` singleton: the hosts, their connection graphs and the routing functions.

As in QuNetSim, the classical and quantum graphs are directed, an edge per declared connection, updated
when a host is added (``add_host``, ``update_host``); routes are ``classical_routing_algo(graph, src, dst)``
and ``quantum_routing_algo(graph, src, dst)`` (networkx's ``shortest_path`` by default), so a script's own
routing functions choose the routes. The links those routes run over are the project network's (see
:mod:`qnet_dqnn.interop.qunetsim.runtime.session`).
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import signature
from typing import Any, ClassVar

import networkx as nx

from qnet_dqnn.interop.qunetsim.components.host import Host
from qnet_dqnn.interop.qunetsim.runtime.api import NETWORK_API, Mirrored, unsupported
from qnet_dqnn.interop.qunetsim.runtime.session import Session, active_session


def _topology_graph(kind: str, hosts: list[str]) -> nx.Graph:
    """The undirected graph of one of QuNetSim's generated topologies over ``hosts``."""
    if kind == "mesh":
        return nx.complete_graph(hosts)
    if kind == "star":
        return nx.star_graph(hosts)
    if kind == "linear":
        return nx.path_graph(hosts)
    if kind == "ring":
        graph = nx.path_graph(hosts)
        graph.add_edge(hosts[0], hosts[-1])
        return graph
    graph = nx.empty_graph(hosts)  # tree: host i's children are 2i+1 and 2i+2
    for i in range(len(hosts)):
        for child in (2 * i + 1, 2 * i + 2):
            if child < len(hosts):
                graph.add_edge(hosts[i], hosts[child])
    return graph


class Network(Mirrored):
    """The network of a run (``Network.get_instance()``): hosts, connection graphs, routing functions."""

    _qunetsim_name = "Network"
    _qunetsim_api = NETWORK_API
    topologies: ClassVar[tuple[str, ...]] = ("mesh", "ring", "star", "linear", "tree")

    def __init__(self, session: Session | None = None) -> None:
        if session is None:  # a script's own Network(): QuNetSim's singleton rule
            session = active_session("Network()")
            if session.network is not None:
                raise Exception("this is a singleton class")  # noqa: TRY002  (QuNetSim's own error)
            session.network = self
        self._session = session
        self.ARP: dict[str, Host] = {}
        self.classical_network = nx.DiGraph()
        self.quantum_network = nx.DiGraph()
        self._quantum_routing_algo: Callable[..., Any] = nx.shortest_path
        self._classical_routing_algo: Callable[..., Any] = nx.shortest_path
        self._use_hop_by_hop = True
        self._use_ent_swap = False
        self._delay = 0.1
        self._packet_drop_rate = 0.0

    @staticmethod
    def get_instance() -> Network:
        """The run's network."""
        session = active_session("Network.get_instance()")
        if session.network is None:
            session.network = Network(session)
        return session.network

    @staticmethod
    def reset_network() -> None:
        """Forget the hosts and connections (only before the network has carried anything)."""
        session = active_session("Network.reset_network()")
        if session.net is not None:
            unsupported("Network.reset_network() after the network has carried traffic")
        session.network = Network(session)

    # -- settings -------------------------------------------------------------------------------------

    @property
    def use_ent_swap(self) -> bool:
        """QuNetSim's switch for swapping along routes (always on here: multi-hop pairs are swapped)."""
        return self._use_ent_swap

    @use_ent_swap.setter
    def use_ent_swap(self, value: bool) -> None:
        self._use_ent_swap = bool(value)

    @property
    def use_hop_by_hop(self) -> bool:
        """QuNetSim's routing style (messages follow the script's route either way)."""
        return self._use_hop_by_hop

    @use_hop_by_hop.setter
    def use_hop_by_hop(self, should_use: bool) -> None:
        if not isinstance(should_use, bool):
            raise Exception("use_hop_by_hop should be a boolean value.")  # noqa: TRY002
        self._use_hop_by_hop = should_use

    @property
    def classical_routing_algo(self) -> Callable[..., Any]:
        """``f(graph, src, dst) -> [hosts]`` for classical messages."""
        return self._classical_routing_algo

    @classical_routing_algo.setter
    def classical_routing_algo(self, algorithm: Callable[..., Any]) -> None:
        self._classical_routing_algo = algorithm

    @property
    def quantum_routing_algo(self) -> Callable[..., Any]:
        """``f(graph, src, dst) -> [hosts]`` for pairs and qubits."""
        return self._quantum_routing_algo

    @quantum_routing_algo.setter
    def quantum_routing_algo(self, algorithm: Callable[..., Any]) -> None:
        if not callable(algorithm):
            raise Exception("The quantum routing algorithm must be a function.")  # noqa: TRY002
        if len(signature(algorithm).parameters) != 3:
            raise Exception(  # noqa: TRY002
                "The quantum routing algorithm function should take three parameters: the (nx) graph "
                "representation of the network, the sender address and the receiver address."
            )
        self._quantum_routing_algo = algorithm

    @property
    def delay(self) -> float:
        """QuNetSim's per-packet delay (recorded; latency comes from the topology here)."""
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
                f"Network.delay = {delay} s (QuNetSim's wall-clock throttle per packet) has no effect: latency and "
                "queueing come from the topology's links"
            )

    @property
    def packet_drop_rate(self) -> float:
        """Probability of dropping a packet (only 0 is available: classical links are lossless here)."""
        return self._packet_drop_rate

    @packet_drop_rate.setter
    def packet_drop_rate(self, drop_rate: float) -> None:
        if drop_rate:
            unsupported(
                "Network.packet_drop_rate > 0",
                "classical messages are not dropped at random here (model failures with link outages)",
            )
        self._packet_drop_rate = 0.0

    # -- hosts ------------------------------------------------------------------------------------------

    @property
    def arp(self) -> dict[str, Host]:
        """Hosts by id."""
        return self.ARP

    @property
    def num_hosts(self) -> int:
        """How many hosts the network has."""
        return len(self.ARP)

    def add_host(self, host: Host) -> None:
        """Add ``host`` and its declared connections to the graphs."""
        self.ARP[host.host_id] = host
        self._update_network_graph(host)

    def add_hosts(self, hosts: list[Host]) -> None:
        """Add each of ``hosts``."""
        for host in hosts:
            self.add_host(host)

    def remove_host(self, host: Host) -> None:
        """Remove ``host`` and its edges."""
        if host.host_id in self.ARP:
            del self.ARP[host.host_id]
            for graph in (self.quantum_network, self.classical_network):
                if graph.has_node(host.host_id):
                    graph.remove_node(host.host_id)

    def remove_hosts(self, hosts: list[Host]) -> None:
        """Remove each of ``hosts``."""
        for host in hosts:
            self.remove_host(host)

    def update_host(self, host: Host) -> None:
        """Re-read ``host``'s connections."""
        self.remove_host(host)
        self.add_host(host)

    def remove_c_connection(self, sender: str, receiver: str) -> None:
        """Drop the classical edge ``sender -> receiver``."""
        if self.classical_network.has_edge(sender, receiver):
            self.classical_network.remove_edge(sender, receiver)

    def remove_q_connection(self, sender: str, receiver: str) -> None:
        """Drop the quantum edge ``sender -> receiver``."""
        if self.quantum_network.has_edge(sender, receiver):
            self.quantum_network.remove_edge(sender, receiver)

    def _update_network_graph(self, host: Host) -> None:
        for graph in (self.classical_network, self.quantum_network):
            graph.add_node(host.host_id)
        for receiver in host.classical_connections:
            self._session.check_new_connection(host.host_id, receiver, quantum=False)
            self.classical_network.add_edge(host.host_id, receiver, weight=1)
        for receiver in host.quantum_connections:
            self._session.check_new_connection(host.host_id, receiver, quantum=True)
            self.quantum_network.add_edge(host.host_id, receiver, weight=1)

    def get_host(self, host_id: str) -> Host | None:
        """The host ``host_id``, or None."""
        return self.ARP.get(host_id)

    def get_ARP(self) -> dict[str, Host]:  # noqa: N802  (QuNetSim's name)
        """Hosts by id."""
        return self.ARP

    def get_host_name(self, host_id: str) -> str | None:
        """The host's name (its id here), or None."""
        return host_id if host_id in self.ARP else None

    def shares_epr(self, sender: str, receiver: str) -> bool:
        """True if both hosts store halves of pairs shared with each other."""
        a, b = self.get_host(sender), self.get_host(receiver)
        return a is not None and b is not None and a.shares_epr(receiver) and b.shares_epr(sender)

    # -- routes ------------------------------------------------------------------------------------------

    def get_quantum_route(self, source: str, dest: str) -> list[str]:
        """The route of pairs and qubits (the quantum routing function on the quantum graph)."""
        return self._quantum_routing_algo(self.quantum_network, source, dest)

    def get_classical_route(self, source: str, dest: str) -> list[str]:
        """The route of messages (the classical routing function on the classical graph)."""
        return self._classical_routing_algo(self.classical_network, source, dest)

    # -- running and drawing -----------------------------------------------------------------------------

    def start(self, nodes: list[str] | None = None, backend: Any = None) -> None:
        """Nothing to start: the network is built when the script first uses it."""

    def stop(self, stop_hosts: bool = False) -> None:
        """Stop the hosts (their stored qubits are released)."""
        if stop_hosts:
            for host in list(self.ARP.values()):
                host.stop(release_qubits=True)

    def draw_classical_network(self) -> None:
        """Draw the classical graph to ``classical_network.png`` in the run's folder (no window)."""
        self._session.draw(self.classical_network, "classical_network")

    def draw_quantum_network(self) -> None:
        """Draw the quantum graph to ``quantum_network.png`` in the run's folder (no window)."""
        self._session.draw(self.quantum_network, "quantum_network")

    def send(self, packet: Any) -> None:
        """Not available: QuNetSim's packet layer is not simulated."""
        unsupported("Network.send", "QuNetSim's packet layer is not simulated; use the Host calls")

    def _generate(self, host_names: list[str], topology: str, add: Callable[[Host, list[str]], None]) -> None:
        if len(host_names) < 2:
            raise ValueError("insufficient hosts")
        if topology not in self.topologies:
            raise ValueError("topology not implemented")
        graph = _topology_graph(topology, list(host_names))
        for name in host_names:
            if name not in self.ARP:
                self.add_host(Host(name))
        for node, neighbours in graph.adjacency():
            host = self.ARP[node]
            add(host, list(neighbours))
            self.add_host(host)

    def generate_topology(self, host_names: list[str], topology: str = "mesh") -> None:
        """Connect ``host_names`` (made if new) classically and quantumly as a mesh, ring, star, linear or tree."""
        self.generate_c_topology(host_names, topology)
        self.generate_q_topology(host_names, topology)

    def generate_q_topology(self, host_names: list[str], topology: str = "mesh") -> None:
        """Quantum connections only, as :meth:`generate_topology`."""
        self._generate(host_names, topology, lambda host, others: host.add_q_connections(others))

    def generate_c_topology(self, host_names: list[str], topology: str = "mesh") -> None:
        """Classical connections only, as :meth:`generate_topology`."""
        self._generate(host_names, topology, lambda host, others: host.add_c_connections(others))
