"""One run of a QuNetSim program on the project's network: clock, strands, qubits, links and the ledger.

The QuNetSim objects (``Host``, ``Network``, ``Qubit``) are thin faces; what happens lives here. The network
is built when a script first uses it: from a topology file (hosts are its nodes, by name or a mapping), or
else from the script's connections, one link per connected pair of hosts with default, perfect-state
parameters (:data:`SCRIPT_LINK`). Every route is the script's own (QuNetSim's ``classical_routing_algo`` and
``quantum_routing_algo`` on its connection graphs), each hop carried over the topology:

* a classical message goes hop by hop with :meth:`Network.send <qnet_dqnn.net.Network.send>` (its latency,
  queueing, ledger), and an acknowledged one (QuNetSim's default) is answered by an ACK message;
* an EPR pair is a network pair (:func:`~qnet_dqnn.net.entanglement.request_pairs`: heralded generation,
  memories, swapping along the route), given to both hosts with one QuNetSim qubit id when it is delivered;
* a qubit moves only by teleportation (the network has no other way: ARCHITECTURE, "quantum data must be
  teleported"): a Bell measurement at the sender (its BSM time), the 2 bits over the classical network, the
  Pauli correction at the receiver. ``send_qubit``, ``send_teleport``, ``send_superdense`` and ``send_ghz``
  all move qubits this way, so each costs a pair and 2 bits, as the ledger shows.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import simpy

from qnet_dqnn.errors import NoRouteError, ProtocolError, QnetError
from qnet_dqnn.interop.qunetsim.runtime.roles import HostRole, NetworkRole
from qnet_dqnn.interop.qunetsim.runtime.scheduler import Scheduler, Strand
from qnet_dqnn.interop.qunetsim.runtime.state import QuantumState, QubitCell
from qnet_dqnn.net import Network as NetNetwork
from qnet_dqnn.net.analytic import memory_model
from qnet_dqnn.net.entanglement import bsm_duration_ticks, request_pairs
from qnet_dqnn.net.network import CountingEnvironment
from qnet_dqnn.net.pairs import Pair
from qnet_dqnn.net.routing import quantum_path
from qnet_dqnn.physics import MemoryModel
from qnet_dqnn.quantum.gates import gate_matrix
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import TopologySpec, topology_from_data
from qnet_dqnn.topology.generators import GENERATED_QUANTUM_LINK
from qnet_dqnn.units import to_seconds, to_ticks

#: Length of a link made from a script's connection (in km): a campus-scale fiber, the 1.3 km of the first
#: loophole-free Bell test between two memories (Hensen et al., Nature 526, 682 (2015)).
SCRIPT_LINK_LENGTH_KM = 1.3

#: A link made from a script's ``add_connection``: the generators' quantum link (1 MHz source over standard
#: fiber, perfect Werner pairs of fidelity 1, ideal detectors), so states are as perfect as QuNetSim's while
#: generation, loss and latency are timed.
SCRIPT_LINK: dict[str, Any] = {"length_km": SCRIPT_LINK_LENGTH_KM, "quantum": dict(GENERATED_QUANTUM_LINK)}

#: Memory qubits of a host made from a script (QuNetSim's storage is unbounded): enough for the pre-shared
#: stocks of its examples (up to 1000 pairs in the benchmarks) while bounding what idle links pre-generate.
SCRIPT_HOST_QUBITS = 4096

#: Default stop time of a run (in simulated s): QuNetSim waits are seconds to tens of seconds (wait=5, 10).
DEFAULT_STOP_TIME_S = 3600.0

#: Bits of an ACK message: QuNetSim's ACK names the sequence number it acknowledges (one 32-bit word).
ACK_BITS = 32

#: Bits that carry a teleportation's Bell outcome (Bennett et al., PRL 70, 1895 (1993)).
TELEPORT_BITS = 2

_ACTIVE: Session | None = None


def active_session(call: str = "this call") -> Session:
    """The session of the run in progress; a clear error outside a run."""
    if _ACTIVE is None:
        raise QnetError(
            f"{call} needs a qnet-dqnn run: run the script with `qnet-dqnn qunetsim run SCRIPT.py`, or call "
            "qnet_dqnn.interop.qunetsim.runtime.simulate(main)"
        )
    return _ACTIVE


def message_bits(content: Any) -> int:
    """Bits of a classical message: 8 per byte of its text form (UTF-8), at least one byte.

    Examples:
        >>> message_bits("01"), message_bits(3)
        (16, 8)
    """
    return 8 * max(1, len(str(content).encode("utf-8")))


@dataclass
class Settings:
    """QuNetSim settings a script made that have no counterpart here, reported with the run."""

    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Record ``text`` once."""
        if text not in self.notes:
            self.notes.append(text)


class Session:
    """One run.

    Args:
        seed: root of every random stream (measurements, qubit ids, the script's ``random``/``numpy.random``).
        topology: the network to run on; None builds one from the script's connections.
        host_map: host name -> node name (hosts not in it are the node of the same name).
        stop_time_s: the run ends at this simulated time at the latest.
        figures_dir: where ``draw_*_network`` writes its PNGs.
    """

    def __init__(
        self,
        seed: int,
        topology: TopologySpec | None = None,
        host_map: dict[str, str] | None = None,
        stop_time_s: float = DEFAULT_STOP_TIME_S,
        figures_dir: Path | None = None,
    ) -> None:
        self.seed = seed
        self.topology = topology
        self.host_map = dict(host_map or {})
        self.env = CountingEnvironment()
        self.scheduler = Scheduler(self.env, to_ticks(stop_time_s), lambda strand: None)
        self.state = QuantumState(self)
        self.net: NetNetwork | None = None
        self.network: NetworkRole | None = None
        self.hosts: dict[str, HostRole] = {}
        self.settings = Settings()
        self.figures_dir = figures_dir
        self.figures: list[Path] = []
        self.in_flight: dict[str, int] = {}
        self._ids = random.Random(int(component_rng(seed, "qunetsim:ids").integers(2**63)))
        self._rngs: dict[str, np.random.Generator] = {}
        self._models: dict[str, MemoryModel] = {}
        self._threads = 0
        if topology is not None:
            self._check_map(topology)

    # -- the run's bookkeeping ------------------------------------------------------------------------

    @property
    def now_tick(self) -> int:
        """The simulated time (in ticks)."""
        return int(self.env.now)

    def activate(self) -> None:
        """Make this the run in progress (one at a time per process)."""
        global _ACTIVE
        if _ACTIVE is not None:
            raise QnetError("a QuNetSim run is already in progress in this process")
        _ACTIVE = self

    def deactivate(self) -> None:
        """End this run's hold on the QuNetSim API."""
        global _ACTIVE
        if _ACTIVE is self:
            _ACTIVE = None

    def new_id(self) -> str:
        """A QuNetSim-style qubit id (a UUID4), drawn from the run's seed."""
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def rng(self, host: str) -> np.random.Generator:
        """The random stream of ``host`` (measurement outcomes)."""
        if host not in self._rngs:
            self._rngs[host] = component_rng(self.seed, f"qunetsim-host:{host}")
        return self._rngs[host]

    def spawn(self, host: str, target: Callable[..., Any], args: tuple[Any, ...]) -> Strand:
        """Start a protocol thread of ``host`` running ``target(*args)``."""
        self._threads += 1
        name = f"{getattr(target, '__name__', 'protocol')}#{self._threads}"
        return self.scheduler.spawn(name, host, target, args)

    def block(self, event: simpy.Event, what: str) -> Any:
        """Wait (simulated time) for ``event`` in the calling protocol thread."""
        return self.scheduler.wait(event, what)

    def wait_for(self, event: simpy.Event, wait_s: float | None, what: str) -> bool:
        """Wait for ``event`` at most ``wait_s`` simulated seconds (None: forever); True if it happened."""
        if event.processed:
            return True
        if wait_s is None:
            self.block(event, what)
            return True
        return self.scheduler.sleep_until_any(event, wait_s, what)

    # -- hosts, nodes and noise -------------------------------------------------------------------------

    def add_host(self, host: HostRole) -> None:
        """Register a newly made host (names are unique within a run)."""
        if host.host_id in self.hosts and self.hosts[host.host_id] is not host:
            raise QnetError(f"a host named {host.host_id!r} already exists in this run")
        self.hosts[host.host_id] = host

    def node_of(self, host: str) -> str:
        """The network node that ``host`` runs on."""
        return self.host_map.get(host, host)

    def _check_map(self, topology: TopologySpec) -> None:
        names = {n.name for n in topology.nodes}
        bad = [f"{h}={n}" for h, n in self.host_map.items() if n not in names]
        if bad:
            known = ", ".join(sorted(names))
            raise QnetError(f"--map {', '.join(bad)}: no such node in topology {topology.name!r} (nodes: {known})")

    def memory_model(self, host: str) -> MemoryModel:
        """The decoherence of qubits held at ``host`` (ideal before the network exists)."""
        if self.net is None:
            return MemoryModel()
        if host not in self._models:
            self._models[host] = memory_model(self.net.topology.node(self.node_of(host)))
        return self._models[host]

    def node_spec(self, host: str) -> Any:
        """The topology's spec of ``host``'s node (None before the network exists)."""
        return None if self.net is None else self.net.topology.node(self.node_of(host))

    def gate(self, name: str, cells: list[QubitCell], angle: float | None = None) -> None:
        """Apply gate ``name`` of :mod:`qnet_dqnn.quantum.gates` with the holding host's gate error."""
        self.unitary(gate_matrix(name, angle), cells)

    def unitary(self, matrix: np.ndarray, cells: list[QubitCell]) -> None:
        """Apply ``matrix`` to ``cells``, all held at one host, with that host's gate error."""
        hosts = {c.host for c in cells}
        if len(hosts) > 1:
            raise ProtocolError(
                f"a {len(cells)}-qubit gate on qubits held at {' and '.join(sorted(map(repr, hosts)))}: a gate "
                "needs its qubits at one host (move one there first, e.g. with send_qubit)"
            )
        spec = self.node_spec(cells[0].host)
        error = 0.0
        if spec is not None:
            error = spec.gates.one_qubit_error if len(cells) == 1 else spec.gates.two_qubit_error
        self.state.apply(np.asarray(matrix, dtype=complex), cells, error)

    def measure(self, cell: QubitCell, destructive: bool = True) -> int:
        """Measure ``cell`` with its host's random stream and readout error."""
        spec = self.node_spec(cell.host)
        readout = 0.0 if spec is None else spec.readout_error
        return self.state.measure(cell, self.rng(cell.host), destructive=destructive, readout_error=readout)

    def free_memory_qubit(self, slot: tuple[str, str]) -> None:
        """Give back the network memory qubit a pair half held (``slot`` = (node, link))."""
        assert self.net is not None
        node, link = slot
        share = self.net.shares.get((node, link))
        memory = share if share is not None else self.net.nodes[node].memory
        assert memory is not None
        memory.release()

    # -- the network ------------------------------------------------------------------------------------

    def build_network(self) -> NetNetwork:
        """The project's network, built on first use (from the topology or the script's connections)."""
        if self.net is not None:
            return self.net
        network = self._facade()
        topology = self.topology if self.topology is not None else self._script_topology(network)
        missing = sorted({h for h in network.ARP if self.node_of(h) not in {n.name for n in topology.nodes}})
        if missing:
            raise QnetError(
                f"host {', '.join(map(repr, missing))} is not a node of topology {topology.name!r} (nodes: "
                f"{', '.join(n.name for n in topology.nodes)}): map it with --map HOST=NODE"
            )
        self.net = NetNetwork(topology, self.seed, trace=False, env=self.env)
        return self.net

    def _facade(self) -> NetworkRole:
        if self.network is None:
            raise QnetError("the script uses the network before Network.get_instance()")
        return self.network

    def _script_topology(self, network: NetworkRole) -> TopologySpec:
        """A topology with one node per host and one link per pair of connected hosts."""

        def pairs(graph: nx.DiGraph) -> set[frozenset[str]]:  # edges between hosts of the network
            return {frozenset(e) for e in graph.edges if e[0] != e[1] and e[0] in network.ARP and e[1] in network.ARP}

        quantum = pairs(network.quantum_network)
        classical = pairs(network.classical_network) | quantum
        links = []
        for pair in sorted(classical, key=sorted):
            a, b = sorted(pair)
            link: dict[str, Any] = {"between": [a, b], "length_km": SCRIPT_LINK["length_km"]}
            if pair in quantum:
                link["quantum"] = dict(SCRIPT_LINK["quantum"])
            links.append(link)
        nodes = [{"name": h, "qubits": SCRIPT_HOST_QUBITS} for h in network.ARP]
        return topology_from_data({"name": "script", "nodes": nodes, "links": links}, "<script connections>")

    def check_new_connection(self, a: str, b: str, quantum: bool) -> None:
        """A connection added after the network was built must exist in it already."""
        if self.net is None:
            return
        na, nb = self.node_of(a), self.node_of(b)
        if self.topology is not None:
            return  # the topology is fixed; routes go over it
        links = self.net.topology.quantum_links if quantum else self.net.topology.links
        if not any({na, nb} == set(link.between) for link in links):
            kind = "quantum " if quantum else ""
            raise QnetError(
                f"Host {a!r} adds a {kind}connection to {b!r} after the network started carrying traffic; links "
                "are built once: declare every connection before the first send, or run on a topology file"
            )

    def classical_route(self, src: str, dst: str) -> list[str]:
        """The script's classical route (host names), or :class:`NoRouteError`."""
        return self._route(self._facade().get_classical_route, src, dst, "classical path")

    def quantum_route(self, src: str, dst: str) -> list[str]:
        """The script's quantum route (host names), or :class:`NoRouteError`."""
        return self._route(self._facade().get_quantum_route, src, dst, "path of quantum links")

    @staticmethod
    def _route(routing: Callable[[str, str], Any], src: str, dst: str, what: str) -> list[str]:
        if src == dst:
            raise NoRouteError(f"{src!r} cannot send to itself")
        try:
            route = routing(src, dst)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            route = None
        if not route or len(route) < 2 or route[0] != src or route[-1] != dst:
            raise NoRouteError(f"no {what} from {src!r} to {dst!r}")
        return list(route)

    def physical_path(self, route: list[str]) -> list[str]:
        """The nodes of the topology's quantum path along the script's route of hosts."""
        net = self.build_network()
        nodes = [self.node_of(h) for h in route]
        path = [nodes[0]]
        for u, v in zip(nodes, nodes[1:], strict=False):
            path += quantum_path(net.topology, u, v)[1:]
        return path

    def carry(self, route: list[str], bits: int, kind: str) -> simpy.Process:
        """A process that carries a message of ``bits`` along ``route`` (hosts), hop by hop."""
        net = self.build_network()
        nodes = [self.node_of(h) for h in route]
        if len(nodes) == 2 and nodes[0] != nodes[1]:  # one hop: the network's own process
            return net.send(nodes[0], nodes[1], bits, kind=kind)
        return self.env.process(self._carry(net, route, bits, kind))

    def _carry(self, net: NetNetwork, route: list[str], bits: int, kind: str) -> Generator[simpy.Event, Any, None]:
        for u, v in zip(route, route[1:], strict=False):
            nu, nv = self.node_of(u), self.node_of(v)
            if nu != nv:
                yield net.send(nu, nv, bits, kind=kind)

    def started(self, host: str) -> None:
        """``host`` began a network operation (it is not idle until it ends)."""
        self.in_flight[host] = self.in_flight.get(host, 0) + 1

    def ended(self, host: str) -> None:
        """A network operation of ``host`` ended."""
        self.in_flight[host] -= 1

    def request_pair(self, src: str, dst: str, route: list[str]) -> simpy.Process:
        """A process whose value is a network pair between the nodes of ``src`` and ``dst``, along ``route``."""
        net = self.build_network()
        path = self.physical_path(route)
        return self.env.process(self._pair(net, path))

    def _pair(self, net: NetNetwork, path: list[str]) -> Generator[simpy.Event, Any, Pair]:
        result = yield request_pairs(net, path[0], path[-1], 1, path=path)
        return result.pairs[0]

    def pair_halves(self, pair: Pair, src: str, dst: str, labels: tuple[str, str]) -> tuple[QubitCell, QubitCell]:
        """The halves of ``pair`` as qubit cells held at ``src`` and ``dst`` (in that order)."""
        if pair.ends[0] == self.node_of(src):
            return self.state.new_pair(pair, (src, dst), labels)
        b, a = self.state.new_pair(pair, (dst, src), (labels[1], labels[0]))
        return a, b

    def teleport(self, data: QubitCell, mine: QubitCell, theirs: QubitCell, route: list[str]) -> simpy.Process:
        """Teleport ``data`` over the pair (``mine`` at the sender, ``theirs`` at the receiver) along ``route``.

        The process's value is ``theirs``, now holding the data qubit's state (Bennett et al., PRL 70, 1895
        (1993)): CNOT(data -> mine), H(data), both measured after the sender's BSM time; the 2 bits cross the
        network; the receiver applies X^m2 then Z^m1 (QuNetSim's correction order) with its 1q gate time.
        """
        net = self.build_network()
        return self.env.process(self._teleport(net, data, mine, theirs, route))

    def _teleport(
        self, net: NetNetwork, data: QubitCell, mine: QubitCell, theirs: QubitCell, route: list[str]
    ) -> Generator[simpy.Event, Any, QubitCell]:
        sender = mine.host
        yield self.env.timeout(bsm_duration_ticks(net.topology.node(self.node_of(sender))))
        self.gate("cx", [data, mine])
        self.gate("h", [data])
        m1, m2 = self.measure(data), self.measure(mine)
        net.ledger.nodes[self.node_of(sender)].teleports += 1
        yield self.carry(route, TELEPORT_BITS, "teleport")
        if m2:
            self.gate("x", [theirs])
        if m1:
            self.gate("z", [theirs])
        spec = net.topology.node(self.node_of(theirs.host))
        yield self.env.timeout(to_ticks(spec.gates.one_qubit_time_s))
        return theirs

    # -- drawing --------------------------------------------------------------------------------------

    def draw(self, graph: nx.DiGraph, name: str) -> Path:
        """Draw ``graph`` into ``<figures_dir>/<name>.png`` (never a window)."""
        from matplotlib.figure import Figure  # noqa: PLC0415  (matplotlib only when a script draws)

        folder = self.figures_dir if self.figures_dir is not None else Path.cwd()
        folder.mkdir(parents=True, exist_ok=True)
        figure = Figure(figsize=(5, 4))
        ax = figure.add_subplot()
        nx.draw_networkx(graph, pos=nx.spring_layout(graph, seed=self.seed), ax=ax, with_labels=True)
        ax.set_axis_off()
        ax.set_title(name.replace("_", " "))
        path = folder / f"{name}.png"
        figure.savefig(path, dpi=100)
        self.figures.append(path)
        return path

    # -- the end ----------------------------------------------------------------------------------------

    def memory_report(self) -> list[str]:
        """One line per node whose memory is full (why a pair request may wait forever)."""
        if self.net is None:
            return []
        return [
            f"memory of node {name!r} is full ({node.memory.capacity} qubits)"
            for name, node in self.net.nodes.items()
            if node.memory is not None and node.memory.free == 0
        ]

    def simulated_time_s(self) -> float:
        """The simulated time now (in s)."""
        return to_seconds(self.now_tick)
