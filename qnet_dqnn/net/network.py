"""The simulated network: one SimPy environment, nodes with memories, classical and quantum links."""

from __future__ import annotations

import itertools
from functools import partial
from typing import Any, Literal

import networkx as nx
import numpy as np
import simpy
from simpy.events import Timeout

from qnet_dqnn.errors import NoRouteError, ProtocolError, ResourceExhausted
from qnet_dqnn.net.classical import ClassicalChannel, Message
from qnet_dqnn.net.ledger import Ledger
from qnet_dqnn.net.memory import QuantumMemory
from qnet_dqnn.net.pairs import Pair, pair_path, stored_state
from qnet_dqnn.net.quantum_link import QuantumLink
from qnet_dqnn.net.routing import RouteMetric, ShortestPaths, checked_quantum_path, quantum_graph
from qnet_dqnn.net.trace import Trace
from qnet_dqnn.physics import bell_diagonal_density_matrix
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import NodeSpec, TopologySpec

PairModel = Literal["auto", "bell_diagonal", "density_matrix"]
_new_tuple = tuple.__new__


def _count_arrival(counters: Any, _event: simpy.Event) -> None:
    """A one-hop message arrived: its receiver's ledger counts it (the hop timeout's callback)."""
    counters.messages_received += 1


MemorySplit = Literal["shared", "per_link"]


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that reports how many events it has processed (with each run).

    The count is read off SimPy's own event ids (every scheduled event takes the next one) less the events still
    queued, rather than by overriding :meth:`step`: a Python frame per event was a tenth of the cost of an event.
    """

    def __init__(self) -> None:
        super().__init__(initial_time=0)

    @property
    def events_processed(self) -> int:
        """Events taken off the queue so far."""
        scheduled = int(repr(self._eid)[len("count(") : -1])  # itertools.count's repr is its next value
        return scheduled - len(self._queue)


class Node:
    """A node at run time: its spec, its memory (if it has communication qubits) and its processor."""

    def __init__(self, env: simpy.Environment, spec: NodeSpec, rng: np.random.Generator) -> None:
        self.spec = spec
        self.name = spec.name
        self.rng = rng
        self.memory = QuantumMemory(env, spec) if spec.memory_capacity > 0 else None
        self.processor = simpy.Resource(env, capacity=1)


class MemoryShare:
    """One link's share of a node's memory: at most ``quota`` qubits, and never more than the memory has free.

    Real repeaters dedicate memories to each side (e.g. Munro et al., IEEE JSTQE 21, 6400112 (2015),
    Sec. IV); without shares, one link can fill a repeater's memory with pairs nobody can swap and starve
    the other link, a deadlock.
    """

    def __init__(self, memory: QuantumMemory, link: str, quota: int) -> None:
        self.memory = memory
        self.link = link
        self.quota = quota
        self.in_use = 0

    @property
    def free(self) -> int:
        """Qubits this link may still take at this node."""
        return min(self.quota - self.in_use, self.memory.free)

    def take(self) -> None:
        """Occupy one qubit of the share (the caller checked :attr:`free`)."""
        if self.in_use >= self.quota:
            raise ResourceExhausted(
                f"link {self.link!r} holds all {self.quota} qubits of its share at node {self.memory.node!r}"
            )
        self.memory.take()
        self.in_use += 1

    def release(self) -> None:
        """Free one qubit of the share."""
        if self.in_use <= 0:
            raise ResourceExhausted(f"link {self.link!r} released more qubits than it held at {self.memory.node!r}")
        self.in_use -= 1
        self.memory.release()

    def when_released(self) -> simpy.Event:
        """An event that fires the next time a qubit of the node is released."""
        return self.memory.when_released()


def _quotas(capacity: int, links: list[str]) -> dict[str, int]:
    """Split a node's pair budget of ``capacity`` qubits (its memory less the qubits holding data) evenly over its
    quantum ``links``, in the topology's order (the first links get the remainder; >= 1 each)."""
    return {name: max(capacity // len(links) + (i < capacity % len(links)), 1) for i, name in enumerate(links)}


class Network:
    """A network built from a topology: nodes, classical channels, quantum links, ledger and trace.

    Simulated time is in integer ticks (:mod:`qnet_dqnn.units`). Random streams are per component,
    derived from ``seed`` and the component's name.

    Args:
        topology: the checked topology.
        seed: root of every random stream.
        trace: keep the event trace.
        pair_model: ``"bell_diagonal"`` (fast path: 4 Bell coefficients per pair), ``"density_matrix"``
            (general path: a 4x4 matrix per pair, untwirled T1/T2 damping, user channels) or ``"auto"`` (the
            default: the fast path while every memory is a Pauli channel, :func:`~qnet_dqnn.net.pairs.pair_path`;
            :attr:`pair_model_reason` says why).
        memory_split: ``"shared"`` (every link of a node draws on the whole memory) or ``"per_link"`` (each
            quantum link gets an even share, see :class:`MemoryShare`; needed for swapping on repeaters).
        env: an environment to run on, shared with other processes (a fresh one by default); the network's
            processes start at its current time.
    """

    def __init__(
        self,
        topology: TopologySpec,
        seed: int,
        trace: bool = True,
        *,
        pair_model: PairModel = "auto",
        memory_split: MemorySplit = "shared",
        env: CountingEnvironment | None = None,
    ) -> None:
        self.topology = topology
        self.seed = seed
        self.env = CountingEnvironment() if env is None else env
        self.ledger = Ledger([link.name for link in topology.links], [n.name for n in topology.nodes])
        self.trace = Trace(enabled=trace)
        self.nodes = {
            spec.name: Node(self.env, spec, component_rng(seed, f"node:{spec.name}")) for spec in topology.nodes
        }
        self.channels: dict[tuple[str, str], ClassicalChannel] = {}
        self.link_of: dict[tuple[str, str], str] = {}
        for link in topology.links:
            a, b = link.between
            self.channels[(a, b)] = ClassicalChannel(link, self.nodes[a].spec.classical_processing_s)
            self.channels[(b, a)] = ClassicalChannel(link, self.nodes[b].spec.classical_processing_s)
            self.link_of[(a, b)] = self.link_of[(b, a)] = link.name
        # the routing graph, built once: idle routes (what a message takes on a network with no outage) and live
        # routes (around the links down now); each keeps its Dijkstra trees until an outage can change them
        graph = nx.DiGraph()
        graph.add_nodes_from(self.nodes)
        for (a, b), channel in self.channels.items():
            graph.add_edge(a, b, weight=channel.idle_delay_ticks(0), link=self.link_of[(a, b)])
        self._idle_routes = ShortestPaths(graph)
        self._live_routes = ShortestPaths(graph)
        self._quantum_routes: dict[tuple[str, bool], ShortestPaths] = {}
        self._quantum_paths: dict[tuple[str, str, str], list[str]] = {}  # checked idle quantum routes
        self._delays: dict[tuple[str, int], dict[str, int]] = {}
        self._paths: dict[tuple[str, str], list[str]] = {}  # the idle routes messages took, by (src, dst)
        self._hops = {hop: (channel, self.ledger.links[self.link_of[hop]]) for hop, channel in self.channels.items()}
        # (src, dst) -> what a one-hop message needs (channel, link counters, sender's counters, arrival callback),
        # or None when the route has several hops: the fast path of send()
        self._direct: dict[tuple[str, str], tuple[ClassicalChannel, Any, Any, Any] | None] = {}
        self._outages: dict[str, list[tuple[int, int | None]]] = {}
        #: True once a quantum link has an outage (services only then look at link states).
        self.has_quantum_outages = False
        self._pair_ids = itertools.count()
        self.quantum_links: dict[str, QuantumLink] = {}
        for link in topology.quantum_links:
            a, b = link.between
            memories = (self.nodes[a].memory, self.nodes[b].memory)
            assert memories[0] is not None and memories[1] is not None  # guaranteed by the topology checks
            self.quantum_links[link.name] = QuantumLink(
                self.env,
                link,
                (memories[0], memories[1]),
                component_rng(seed, f"link:{link.name}"),
                self.ledger.links[link.name],
                self._on_pair_delivered,
                lambda: next(self._pair_ids),
            )
        self._ideal_memories = {n for n, node in self.nodes.items() if node.memory and node.memory.model.is_ideal}
        #: True if some memory discards pairs after a cutoff (else no pair needs a cutoff timer).
        self._any_cutoff = any(n.memory is not None and n.memory.cutoff_ticks for n in self.nodes.values())
        self.pair_model: PairModel = "bell_diagonal"
        #: Why the pair model is what it is.
        self.pair_model_reason = "chosen by the caller"
        self.memory_split: MemorySplit = "shared"
        self.shares: dict[tuple[str, str], MemoryShare] = {}
        self.configure(pair_model=pair_model, memory_split=memory_split)

    def configure(self, *, pair_model: PairModel | None = None, memory_split: MemorySplit | None = None) -> None:
        """Choose the pair model and the memory split (see the class); only before any pair exists."""
        if any(link.process is not None for link in self.quantum_links.values()):
            raise ProtocolError("the pair model and memory split are fixed once generation has started")
        if pair_model is not None:
            if pair_model not in ("auto", "bell_diagonal", "density_matrix"):
                raise ValueError(
                    f"pair_model must be in ('auto', 'bell_diagonal', 'density_matrix') (got {pair_model!r})"
                )
            if pair_model == "auto":
                models = [node.memory.model for node in self.nodes.values() if node.memory is not None]
                pair_model, self.pair_model_reason = pair_path(models)  # type: ignore[assignment]
            else:
                self.pair_model_reason = "chosen by the caller"
            self.pair_model = pair_model
        if memory_split is None:
            return
        if memory_split not in ("shared", "per_link"):
            raise ValueError(f"memory_split must be in ('shared', 'per_link') (got {memory_split!r})")
        self.memory_split = memory_split
        self.shares = {}
        links_at: dict[str, list[str]] = {}
        for name, link in self.quantum_links.items():
            for end in link.ends:
                links_at.setdefault(end, []).append(name)
        quotas = {end: _quotas(self._budget(end), names) for end, names in links_at.items()}
        for link in self.quantum_links.values():
            memories = []
            for end in link.ends:
                node = self.nodes[end]
                assert node.memory is not None
                if memory_split == "per_link":
                    quota = quotas[end][link.name]
                    self.shares[(end, link.name)] = MemoryShare(node.memory, link.name, quota)
                    memories.append(self.shares[(end, link.name)])
                else:
                    memories.append(node.memory)
            link.memories = (memories[0], memories[1])  # type: ignore[assignment]

    @classmethod
    def from_topology(
        cls,
        topology: TopologySpec,
        seed: int,
        trace: bool = True,
        *,
        pair_model: PairModel = "auto",
        memory_split: MemorySplit = "shared",
    ) -> Network:
        """Build the network of ``topology`` with random streams derived from ``seed`` (options as the class)."""
        return cls(topology, seed, trace, pair_model=pair_model, memory_split=memory_split)

    def new_pair_id(self) -> int:
        """A pair id not used before in this run."""
        return next(self._pair_ids)

    @property
    def now(self) -> int:
        """The current simulated time (in ticks)."""
        return int(self.env.now)

    def run(self, until_tick: int | None = None) -> None:
        """Advance the simulation to ``until_tick`` (or until nothing is left to do)."""
        self.env.run(until=until_tick)

    def settle(self) -> None:
        """Book waits still under way into the ledger, so it is complete at the current time."""
        for link in self.quantum_links.values():
            link.settle()

    def reserve_data_qubits(self, node: str, qubits: int) -> None:
        """Hold ``qubits`` of ``node`` for data (a split circuit's qubits): the node's pairs may use only the
        rest (:class:`~qnet_dqnn.net.memory.QuantumMemory`, one budget), and its per-link shares shrink."""
        memory = self.nodes[node].memory
        if memory is None:
            return
        memory.reserve_data(qubits)
        if self.memory_split == "per_link":
            quotas = _quotas(self._budget(node), [name for name, q in self.quantum_links.items() if node in q.ends])
            for (end, link), share in self.shares.items():
                if end == node:
                    share.quota = quotas[link]

    def _budget(self, node: str) -> int:
        """Qubits of ``node`` that pairs may use (its memory less the qubits holding data; one budget)."""
        memory = self.nodes[node].memory
        return memory.budget if memory is not None else 0

    # -- classical messages -------------------------------------------------------------------------

    def route(self, src: str, dst: str) -> list[str]:
        """The lowest-latency path from ``src`` to ``dst`` (for a small message on idle links)."""
        for name in (src, dst):
            if name not in self.nodes:
                raise NoRouteError(f"unknown node {name!r}")
        path = self._idle_routes.path(src, dst)
        if path is None:
            raise NoRouteError(f"no classical path from {src!r} to {dst!r}")
        return path

    def book_messages(self, src: str, dst: str, count: int, bits: int) -> None:
        """Count ``count`` messages of ``bits`` bits from ``src`` to ``dst`` on every link of :meth:`route`, without
        simulating them one by one (per-shot classical traffic: telegate corrections, teleport outcomes, cut
        feed-forward, swap notices; :meth:`~qnet_dqnn.net.ledger.Ledger.book_messages`)."""
        if src != dst:
            self.ledger.book_messages(self.route(src, dst), self.link_of, count, bits)

    def delays_from(self, src: str, bits: int) -> dict[str, int]:
        """Idle-network delay (in ticks) of a ``bits`` message from ``src`` to every node it reaches, along
        :meth:`route`'s paths: each hop's :meth:`~qnet_dqnn.net.classical.ClassicalChannel.idle_delay_ticks`."""
        key = (src, bits)
        if key not in self._delays:
            self.route(src, src)  # checks the name
            tree = self._idle_routes.tree(src)
            delays = {src: 0}
            for node in tree.settled()[1:]:
                parent = tree.parent(node)
                delays[node] = delays[parent] + self.channels[(parent, node)].idle_delay_ticks(bits)
            self._delays[key] = delays
        return self._delays[key]

    def path_delay_ticks(self, src: str, dst: str, bits: int) -> int:
        """Idle-network delay of a ``bits`` message from ``src`` to ``dst`` along its route (in ticks)."""
        delays = self.delays_from(src, bits)
        if dst not in delays:
            self.route(src, dst)  # raises the clear error
        return delays[dst]

    def quantum_route(self, a: str, b: str, metric: RouteMetric = "hops", *, around_outages: bool = False) -> list[str]:
        """The best path of quantum links from ``a`` to ``b`` under ``metric`` (:mod:`qnet_dqnn.net.routing`);
        with ``around_outages``, over the quantum links up now. Routes are kept per network.

        Raises:
            NoRouteError: when a node is unknown or no chain of quantum links (up) joins them.
        """
        if not around_outages and (a, b, metric) in self._quantum_paths:
            return list(self._quantum_paths[(a, b, metric)])
        key = (metric, around_outages)
        if key not in self._quantum_routes:
            self._quantum_routes[key] = ShortestPaths(quantum_graph(self.topology, metric))
        routes = self._quantum_routes[key]
        if around_outages:
            routes.set_down(frozenset(n for n, link in self.quantum_links.items() if link.outages and not link.is_up()))
            return checked_quantum_path(routes, a, b)
        path = self._quantum_paths[(a, b, metric)] = checked_quantum_path(routes, a, b)
        return list(path)

    def send(self, src: str, dst: str, bits: int, payload: Any = None, kind: str = "data") -> simpy.Event:
        """Send a classical message along the lowest-latency path, store-and-forward at every hop.

        Returns an event that fires, with the :class:`Message` as its value, when the message arrives (None if
        it is lost: see :meth:`fail_link`). Each hop is one timeout whose callback hands the message to the next
        channel: no process per message, so a message costs one event per hop (plus one to report a multi-hop
        arrival).
        """
        if bits < 0:
            raise ValueError(f"a message cannot have {bits} bits")
        if type(bits) is not int:
            bits = int(bits)
        key = (src, dst)
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = self.route(src, dst)
            self._direct[key] = self._direct_hop(path)
        now = self.env._now
        # Message(...) without its Python-level __new__ (what namedtuple's own _make does): once per message
        message = _new_tuple(Message, (src, dst, bits, payload, now, kind))
        direct = self._direct[key]
        if direct is not None and not self._outages and not self.trace.enabled:
            # one hop, nothing down, nothing traced: book it and return the hop's timeout (the common case)
            channel, counters, sender, arrived = direct
            sender.messages_sent += 1
            counters.messages += 1
            counters.bits += bits
            timer = Timeout(self.env, channel.schedule(now, bits) - now, message)
            timer.callbacks.append(arrived)
            return timer
        self.ledger.nodes[src].messages_sent += 1
        if self.trace.enabled:
            self.trace.record(now, src, "send", f"{kind} to {dst}, {message.bits} bits")
        if src == dst:
            return self._arrive(self.env.event(), message).succeed(message)
        if len(path) == 2 and not self._outages:
            return self._hop(message, path, None)
        done = self.env.event()
        self._forward(message, src, path, done)
        return done

    def _direct_hop(self, path: list[str]) -> tuple[ClassicalChannel, Any, Any, Any] | None:
        """What :meth:`send` needs to send over the one hop of ``path`` (None for a longer or empty route)."""
        if len(path) != 2:
            return None
        channel, counters = self._hops[(path[0], path[1])]
        return channel, counters, self.ledger.nodes[path[0]], partial(_count_arrival, self.ledger.nodes[path[1]])

    def _hop(self, message: Message, path: list[str], done: simpy.Event | None) -> simpy.Event:
        """Book the first hop of ``path`` and return its arrival timeout (the arrival itself when it ends there);
        the message goes on along ``path`` (store and forward on the sender's route)."""
        a, b = path[0], path[1]
        now = self.env.now
        channel, counters = self._hops[(a, b)]
        arrival = channel.schedule(now, message.bits)
        counters.messages += 1
        counters.bits += message.bits
        timer = Timeout(self.env, arrival - now, message)
        if b == message.dst and done is None:
            timer.callbacks.append(partial(self._received, message))
        else:
            timer.callbacks.append(partial(self._forward, message, b, path[1:], done))
        return timer

    def _arrive(self, event: simpy.Event, message: Message) -> simpy.Event:
        """Book the message's arrival when ``event`` fires (its first callback, before any waiting process)."""
        event.callbacks.append(partial(self._received, message))
        return event

    def _received(self, message: Message, _event: simpy.Event | None = None) -> None:
        self.ledger.nodes[message.dst].messages_received += 1
        if self.trace.enabled:
            self.trace.record(int(self.env.now), message.dst, "receive", f"{message.kind} from {message.src}")

    def _forward(
        self, message: Message, here: str, path: list[str] | None, done: simpy.Event, _event: Any = None
    ) -> None:
        """The message is at ``here``: deliver it, or send it over the next hop (around outages, or wait)."""
        if here == message.dst:
            self._received(message)
            done.succeed(message)
            return
        if self._outages:
            path = self._path_around_outages(here, message)
            if path is None:  # no way now: wait for the next recovery
                retry = self.env.timeout(self._next_recovery() - self.now)
                retry.callbacks.append(partial(self._forward, message, here, None, done))
                return
            if not path:
                done.succeed(None)
                return
        assert path is not None and path[0] == here
        self._hop(message, path, done)

    # -- link outages -------------------------------------------------------------------------------

    def fail_link(self, link: str, start_tick: int, end_tick: int | None = None) -> None:
        """Take ``link``'s classical channel down from ``start_tick`` until ``end_tick`` (for good if None).

        A message about to cross a link that is down goes around it on the lowest-latency path over the links
        that are up; with no such path it waits at the node where it is until a link comes back, and a
        message that could only wait for a link that never returns is lost (``messages_lost`` of its sender).

        A link with a quantum channel also stops heralded generation for the outage (see
        :class:`~qnet_dqnn.net.quantum_link.QuantumLink`): pairs stored on it stay, no attempt is made while it
        is down, generation resumes after. Entanglement requests route around it, or wait for it (see
        :func:`~qnet_dqnn.net.entanglement.request_pairs`).
        """
        if link not in self.ledger.links:
            raise NoRouteError(f"unknown link {link!r}")
        if end_tick is not None and end_tick <= start_tick:
            raise ValueError(f"link {link!r} outage must end after it starts ({start_tick} -> {end_tick})")
        self._outages.setdefault(link, []).append((start_tick, end_tick))
        if link in self.quantum_links:
            self.quantum_links[link].add_outage(start_tick, end_tick)
            self.has_quantum_outages = True

    def link_is_up(self, link: str, tick: int | None = None) -> bool:
        """True when ``link`` is not in an outage at ``tick`` (default: now)."""
        t = self.now if tick is None else tick
        return not any(start <= t and (end is None or t < end) for start, end in self._outages.get(link, ()))

    def path_links(self, path: list[str]) -> list[str]:
        """Names of the links along ``path``, in order (:func:`~qnet_dqnn.net.routing.path_links`, from the
        network's own table)."""
        return [self.link_of[hop] for hop in itertools.pairwise(path)]

    def links_down(self) -> frozenset[str]:
        """The links whose classical channel is down now."""
        return frozenset(link for link in self._outages if not self.link_is_up(link))

    def _path_around_outages(self, here: str, message: Message) -> list[str] | None:
        """The lowest-latency path from ``here`` over the links up now; None if there is none but a link will
        come back; ``[]`` if the message is lost (no path, and no link down now ever returns)."""
        self._live_routes.set_down(self.links_down())
        path = self._live_routes.path(here, message.dst)
        if path is not None:
            return path
        if self._next_recovery() is not None:
            return None
        self.ledger.nodes[message.src].messages_lost += 1
        self.trace.record(self.now, here, "message_lost", f"{message.kind} to {message.dst}: no path")
        return []

    def _next_recovery(self) -> int | None:
        """The first tick at which a link down now comes back (None: none does)."""
        now = self.now
        spans = [span for spans in self._outages.values() for span in spans]
        ends = [end for start, end in spans if end is not None and start <= now < end]
        return min(ends) if ends else None

    # -- entangled pairs ----------------------------------------------------------------------------

    def start_generation(self, links: list[str] | None = None) -> None:
        """Start heralded generation on the named quantum links (all of them by default)."""
        for name in links if links is not None else list(self.quantum_links):
            self.quantum_links[name].start()

    def _memory_models(self, pair: Pair) -> tuple[Any, Any]:
        a, b = (self.nodes[end].memory for end in pair.ends)
        assert a is not None and b is not None
        return a.model, b.model

    def _on_pair_delivered(self, pair: Pair) -> None:
        if self.pair_model == "density_matrix":
            pair.state = bell_diagonal_density_matrix(pair.state)
        if self.trace.enabled:
            self.trace.record(self.now, pair.link, "pair_delivered", f"pair {pair.pair_id}")
        if self._any_cutoff:
            self.watch_cutoff(pair)

    def watch_cutoff(self, pair: Pair) -> None:
        """Discard ``pair`` (reason ``cutoff``) once its oldest qubit reaches the ends' memory cutoff."""
        cutoffs = [m.cutoff_ticks for m in (self.nodes[e].memory for e in pair.ends) if m and m.cutoff_ticks]
        if cutoffs:
            age = self.now - min(pair.in_memory_since)
            timer = self.env.timeout(max(min(cutoffs) - age, 0))
            timer.callbacks.append(lambda _event: self._expire(pair))

    def _expire(self, pair: Pair) -> None:
        if pair.is_stored:
            self.discard_pair(pair, "cutoff")

    def _free(self, pair: Pair, keep_qubits_at: tuple[str, ...] = ()) -> None:
        shares = self.shares
        for end, link in zip(pair.ends, pair.share_links, strict=True):
            if keep_qubits_at and end in keep_qubits_at:
                continue
            memory = shares.get((end, link)) if shares else None
            if memory is None:
                memory = self.nodes[end].memory
                assert memory is not None
            memory.release()
        link = self.quantum_links.get(pair.link)
        if link is not None and link.pairs.items and pair in link.pairs.items:
            link.pairs.items.remove(pair)

    def pair_state(self, pair: Pair) -> np.ndarray:
        """The pair's state now (Bell coefficients or 4x4 matrix), decohered for the time its halves waited."""
        if pair.status != "stored":
            raise ProtocolError(f"pair {pair.pair_id} on {pair.link} is {pair.status}: its state is gone")
        a, b = pair.ends
        if a in self._ideal_memories and b in self._ideal_memories:  # nothing decoheres (stored_state's own test)
            return pair.state
        return stored_state(pair, self.now, self._memory_models(pair))

    def consume_pair(self, pair: Pair, keep_qubits_at: tuple[str, ...] = ()) -> np.ndarray:
        """Use a pair up: return its state now and free both memory qubits. A second use raises.

        ``keep_qubits_at`` names ends whose qubit is not freed because it lives on in a new pair (the outer
        qubits of the pairs an entanglement swap joins).
        """
        state = self.pair_state(pair)
        pair.status = "consumed"
        self._free(pair, keep_qubits_at)
        counters = self.ledger.links.get(pair.link)
        if counters is not None:
            counters.pairs_consumed += 1
        else:
            self.ledger.path(pair.link).e2e_pairs_consumed += 1
        if self.trace.enabled:
            self.trace.record(self.now, pair.link, "pair_consumed", f"pair {pair.pair_id}")
        return state

    def discard_pair(self, pair: Pair, reason: str) -> None:
        """Drop a stored pair (``reason`` goes in the ledger), freeing its memory qubits."""
        if not pair.is_stored:
            raise ProtocolError(f"pair {pair.pair_id} on {pair.link} is {pair.status}: cannot discard it")
        pair.status = f"discarded:{reason}"
        self._free(pair)
        self.ledger.discard(pair.link, reason)
        self.trace.record(self.now, pair.link, "pair_discarded", f"pair {pair.pair_id}: {reason}")
