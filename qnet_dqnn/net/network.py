"""The simulated network: one SimPy environment, nodes with memories, classical and quantum links."""

from __future__ import annotations

import itertools
from collections.abc import Generator
from typing import Any

import networkx as nx
import numpy as np
import simpy

from qnet_dqnn.errors import NoRouteError, ProtocolError
from qnet_dqnn.net.classical import ClassicalChannel, Message
from qnet_dqnn.net.ledger import Ledger
from qnet_dqnn.net.memory import QuantumMemory
from qnet_dqnn.net.pairs import Pair, stored_state
from qnet_dqnn.net.quantum_link import QuantumLink
from qnet_dqnn.net.trace import Trace
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import NodeSpec, TopologySpec


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it processes (reported with each run)."""

    def __init__(self) -> None:
        super().__init__(initial_time=0)
        self.events_processed = 0

    def step(self) -> None:
        """Process the next event and count it."""
        self.events_processed += 1
        super().step()


class Node:
    """A node at run time: its spec, its memory (if it has communication qubits) and its processor."""

    def __init__(self, env: simpy.Environment, spec: NodeSpec, rng: np.random.Generator) -> None:
        self.spec = spec
        self.name = spec.name
        self.rng = rng
        self.memory = QuantumMemory(env, spec) if spec.memory_capacity > 0 else None
        self.processor = simpy.Resource(env, capacity=1)


class Network:
    """A network built from a topology: nodes, classical channels, quantum links, ledger and trace.

    Simulated time is in integer ticks (:mod:`qnet_dqnn.units`). Random streams are per component,
    derived from ``seed`` and the component's name.
    """

    def __init__(self, topology: TopologySpec, seed: int, trace: bool = True) -> None:
        self.topology = topology
        self.seed = seed
        self.env = CountingEnvironment()
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
        self._routes: dict[tuple[str, str], list[str]] = {}
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

    @classmethod
    def from_topology(cls, topology: TopologySpec, seed: int, trace: bool = True) -> Network:
        """Build the network of ``topology`` with random streams derived from ``seed``."""
        return cls(topology, seed, trace)

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

    # -- classical messages -------------------------------------------------------------------------

    def route(self, src: str, dst: str) -> list[str]:
        """The lowest-latency path from ``src`` to ``dst`` (for a small message on idle links)."""
        key = (src, dst)
        if key not in self._routes:
            for name in key:
                if name not in self.nodes:
                    raise NoRouteError(f"unknown node {name!r}")
            graph = nx.DiGraph()
            for (a, b), channel in self.channels.items():
                graph.add_edge(a, b, weight=channel.idle_delay_ticks(0))
            try:
                self._routes[key] = nx.dijkstra_path(graph, src, dst)
            except nx.NetworkXNoPath:
                raise NoRouteError(f"no classical path from {src!r} to {dst!r}") from None
        return self._routes[key]

    def send(self, src: str, dst: str, bits: int, payload: Any = None, kind: str = "data") -> simpy.Process:
        """Send a classical message along the lowest-latency path, store-and-forward at every hop.

        Returns a process that ends, with the :class:`Message` as its value, when the message arrives.
        """
        if bits < 0:
            raise ValueError(f"a message cannot have {bits} bits")
        message = Message(src, dst, int(bits), payload, self.now, kind)
        return self.env.process(self._carry(message, self.route(src, dst)))

    def _carry(self, message: Message, path: list[str]) -> Generator[simpy.Event, Any, Message]:
        self.ledger.nodes[message.src].messages_sent += 1
        self.trace.record(self.now, message.src, "send", f"{message.kind} to {message.dst}, {message.bits} bits")
        for a, b in itertools.pairwise(path):
            arrival = self.channels[(a, b)].schedule(self.now, message.bits)
            counters = self.ledger.links[self.link_of[(a, b)]]
            counters.messages += 1
            counters.bits += message.bits
            yield self.env.timeout(arrival - self.now)
        self.ledger.nodes[message.dst].messages_received += 1
        self.trace.record(self.now, message.dst, "receive", f"{message.kind} from {message.src}")
        return message

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
        self.trace.record(self.now, pair.link, "pair_delivered", f"pair {pair.pair_id}")
        cutoffs = [m.cutoff_ticks for m in (self.nodes[e].memory for e in pair.ends) if m and m.cutoff_ticks]
        if cutoffs:
            age = self.now - min(pair.stored_since)
            timer = self.env.timeout(max(min(cutoffs) - age, 0))
            timer.callbacks.append(lambda _event: self._expire(pair))

    def _expire(self, pair: Pair) -> None:
        if pair.is_stored:
            self.discard_pair(pair, "cutoff")

    def _free(self, pair: Pair) -> None:
        for end in pair.ends:
            memory = self.nodes[end].memory
            assert memory is not None
            memory.release()
        store = self.quantum_links[pair.link].pairs
        if pair in store.items:
            store.items.remove(pair)

    def pair_state(self, pair: Pair) -> np.ndarray:
        """The pair's Bell-diagonal state now, decohered for the time its halves have been stored."""
        if not pair.is_stored:
            raise ProtocolError(f"pair {pair.pair_id} on {pair.link} is {pair.status}: its state is gone")
        return stored_state(pair, self.now, self._memory_models(pair))

    def consume_pair(self, pair: Pair) -> np.ndarray:
        """Use a pair up: return its state now and free both memory qubits. A second use raises."""
        state = self.pair_state(pair)
        pair.status = "consumed"
        self._free(pair)
        self.ledger.links[pair.link].pairs_consumed += 1
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
