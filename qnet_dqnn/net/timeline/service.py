"""The pair timeline as a network service: replicas submit a step's demand from SimPy and wait for its end.

One :class:`PairTimeline` per network (:meth:`PairTimeline.of`). Demands submitted at the same tick are
scheduled together (a zero-delay event collects them). A demand's event fires when its step ends, with its
final :class:`~.demand.Outcome`; until then its schedule is provisional: a demand submitted later on a link
it uses takes its place under the contention policy (:mod:`~.schedule`), the steps under way are recomputed
and their ends move, and the service's single wake-up is set again to the earliest end. The ledger gets the
timeline's counts as uses are committed: attempts, link pairs delivered, consumed and discarded by reason,
swaps, swap notices (messages and bits on every link of their routes), end-to-end pairs; the consumed
pairs' ages and fidelities go into ``ledger.consumed_pairs`` (:meth:`PairTimeline.states`).

A link is driven by the timeline or by the event path (:class:`~qnet_dqnn.net.QuantumLink` processes,
``request_pairs``, ``teleport``, the Host API) within one run, never both: claiming a link the event path
started raises :class:`~qnet_dqnn.errors.ProtocolError`, and so does starting the event path on a claimed link.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Generator
from typing import Any

import simpy

from qnet_dqnn.errors import ProtocolError, ResourceExhausted
from qnet_dqnn.net.analytic import memory_model
from qnet_dqnn.net.entanglement import bsm_duration_ticks, bsm_of
from qnet_dqnn.net.network import Network
from qnet_dqnn.net.timeline.demand import Contention, Demand, Outcome
from qnet_dqnn.net.timeline.paths import NOTICE_BITS, PairPath
from qnet_dqnn.net.timeline.schedule import Schedule
from qnet_dqnn.net.timeline.states import PairRecord, PairStates, consumed_states, decay_rates
from qnet_dqnn.net.timeline.supply import IndexedDraws, LinkSupply, RepeaterSwaps

#: :attr:`Network.pair_model_reason` when the caller chose the pair model.
CALLERS_CHOICE = "chosen by the caller"

_TIMELINES: weakref.WeakKeyDictionary[Network, PairTimeline] = weakref.WeakKeyDictionary()


class PairTimeline:
    """The network's pair timeline (see the module docstring).

    Args:
        network: the network.
        contention: how links serve the uses of several demands (``fcfs`` or ``round_robin``).
    """

    def __init__(self, network: Network, contention: Contention = "fcfs") -> None:
        if contention not in ("fcfs", "round_robin"):
            raise ValueError(f"contention must be 'fcfs' or 'round_robin' (got {contention!r})")
        if network.pair_model != "bell_diagonal":
            if network.pair_model_reason == CALLERS_CHOICE:
                raise ProtocolError(
                    "the pair timeline computes Bell-diagonal pair states; this network's pairs were asked to take "
                    f"the {network.pair_model!r} path"
                )
            # chosen by the network for T1 damping: the timeline keeps each pair's Bell-diagonal part (docs/MODEL.md)
            why = network.pair_model_reason
            network.configure(pair_model="bell_diagonal")
            network.pair_model_reason = f"the pair timeline keeps Bell-diagonal states, though {why}"
        self.network = network
        self.schedule = Schedule(contention)
        self.paths: dict[tuple[str, str], PairPath] = {}
        self.records: dict[str, PairRecord] = {}
        self._pending: list[tuple[Demand, simpy.Event]] = []
        self._waiting: dict[int, tuple[Outcome, simpy.Event]] = {}
        self._generation = 0
        self._booked: dict[str, Any] = {}
        self._held: dict[str, int] = {}  # per node, the pair qubits of the links claimed so far
        self._links_at: dict[str, list[str]] = {}

    @classmethod
    def of(cls, network: Network, contention: Contention = "fcfs") -> PairTimeline:
        """The network's timeline (made on first use); asking for another contention policy later raises."""
        timeline = _TIMELINES.get(network)
        if timeline is None:
            timeline = _TIMELINES[network] = cls(network, contention)
        elif timeline.schedule.contention != contention:
            raise ProtocolError(
                f"the network's pair timeline serves contention {timeline.schedule.contention!r}; "
                f"{contention!r} was asked for too"
            )
        return timeline

    # -- paths and links ----------------------------------------------------------------------------

    def path(self, a: str, b: str) -> PairPath:
        """The path of node pair ``(a, b)``; its links and repeaters are claimed for the timeline."""
        key = (a, b)
        if key not in self.paths:
            path = PairPath.of(self.network, a, b)
            for name in path.links:
                self._claim_link(name)
            for r in path.repeaters:
                if r not in self.schedule.repeater_index:
                    spec = self.network.topology.node(r)
                    self.schedule.add_repeater(
                        RepeaterSwaps(
                            r, bsm_of(spec), bsm_duration_ticks(spec), IndexedDraws(self.network.nodes[r].rng)
                        )
                    )
            self.schedule.add_path(path)
            self.paths[key] = path
        return self.paths[key]

    def _claim_link(self, name: str) -> None:
        if name in self.schedule.link_index:
            return
        net = self.network
        link = net.quantum_links[name]
        if link.process is not None:
            raise ProtocolError(
                f"link {name!r} already generates pairs for the event path in this run; the pair timeline cannot "
                "drive it too"
            )
        if net.memory_split != "per_link":
            net.configure(memory_split="per_link")
        capacity = tuple(net.shares[(end, name)].quota for end in link.ends)
        for end, cap in zip(link.ends, capacity, strict=True):
            memory = net.nodes[end].memory
            if cap < 1 or memory is None or memory.budget < 1:
                held = memory.data_qubits if memory is not None else 0
                qubits = memory.qubits if memory is not None else 0
                raise ResourceExhausted(
                    f"pairs on link {name!r} wait for a free qubit at {end!r} that never comes: it has {qubits} "
                    f"qubits, {held} of them holding data"
                )
        for end, cap in zip(link.ends, capacity, strict=True):  # the claimed links' shares fit the node's budget
            self._held[end] = self._held.get(end, 0) + cap
            self._links_at.setdefault(end, []).append(name)
            budget = net.nodes[end].memory.budget  # type: ignore[union-attr]
            if self._held[end] > budget:
                i = next(k for k, n in enumerate(net.topology.nodes) if n.name == end)
                spec = net.topology.nodes[i]
                field = f"nodes[{i}].{'qubits' if spec.communication_qubits is None else 'communication_qubits'}"
                raise ResourceExhausted(
                    f"node {end!r} can hold {budget} pair qubit(s) but its links {', '.join(self._links_at[end])} "
                    f"each need one at least (a swap holds a pair of each at once): raise {field}"
                )
        if link.success_probability <= 0.0:
            raise ResourceExhausted(f"pairs on link {name!r} never come: its attempts cannot succeed (p = 0)")
        for end in link.ends:  # the states' arithmetic needs exponential decay (T1/T2 or depolarizing)
            try:
                decay_rates(memory_model(net.topology.node(end)))
            except ValueError as exc:
                raise ProtocolError(f"node {end!r}: the pair timeline cannot hold pairs in its memory: {exc}") from None
        link.driven_by_timeline = True
        specs = (net.topology.node(link.ends[0]), net.topology.node(link.ends[1]))
        self.schedule.add_link(LinkSupply.of(link.spec, specs, capacity, link.rng))  # type: ignore[arg-type]

    # -- demands ------------------------------------------------------------------------------------

    def submit(self, demand: Demand) -> simpy.Event:
        """Schedule ``demand`` (submitted now); the event fires when its step ends (its last use plus its tail,
        as the demands submitted until then leave it), with the demand's final :class:`~.demand.Outcome`."""
        env = self.network.env
        if demand.start_tick != self.network.now:
            raise ValueError(f"a demand starts when it is submitted (tick {self.network.now}, not {demand.start_tick})")
        done = env.event()
        if not self._pending:
            env.process(self._collect())
        self._pending.append((demand, done))
        return done

    def _collect(self) -> Generator[simpy.Event, Any, None]:
        yield self.network.env.timeout(0)  # every demand submitted at this tick is in
        batch, self._pending = self._pending, []
        outcomes = self.schedule.submit([d for d, _ in batch], self.network.now)
        self._book()
        for outcome, (_, done) in zip(outcomes, batch, strict=True):
            self._waiting[id(outcome)] = (outcome, done)
        self._wake_at_next_end()

    def _wake_at_next_end(self) -> None:
        """(Re)set the one wake-up to the earliest end of a waiting demand."""
        self._generation += 1
        if self._waiting:
            end = min(outcome.end_tick for outcome, _ in self._waiting.values())
            self.network.env.process(self._wake(end, self._generation))

    def _wake(self, end: int, generation: int) -> Generator[simpy.Event, Any, None]:
        yield self.network.env.timeout(max(end - self.network.now, 0))
        if generation != self._generation:  # a later submission moved the ends
            return
        self.schedule.commit(self.network.now)
        self._book()
        active = {id(a.outcome) for a in self.schedule.active}
        for key, (outcome, done) in list(self._waiting.items()):
            if outcome.end_tick <= self.network.now:
                assert key not in active, "a demand ended before its uses were committed"
                del self._waiting[key]
                done.succeed(outcome)
        self._wake_at_next_end()

    def states(self, outcome: Outcome, period: int = 1, per_use: bool = True) -> PairStates:
        """The consumed pairs' states (:func:`~.states.consumed_states`), recorded per node pair in
        ``ledger.consumed_pairs``."""
        states = consumed_states(self.schedule, outcome, period, per_use, self.records)
        for name, record in self.records.items():
            self.network.ledger.consumed_pairs[name] = record.to_dict()
        return states

    # -- the ledger ---------------------------------------------------------------------------------

    def _book(self) -> None:
        """Move what the schedule committed since the last booking into the network's ledger."""
        ledger, net, schedule = self.network.ledger, self.network, self.schedule
        for name in schedule.link_index:
            now = schedule.link_counts(name)
            old = self._booked.get(name, dict.fromkeys(now, 0))
            counters = ledger.links[name]
            counters.attempts += now["attempts"] - old["attempts"]
            counters.pairs_delivered += now["delivered"] - old["delivered"]
            counters.pairs_consumed += now["consumed"] - old["consumed"]
            counters.memory_wait_ticks += now["memory_wait_ticks"] - old["memory_wait_ticks"]
            for reason in ("cutoff", "swap_partner_lost", "bsm_failed"):
                if now[reason] > old[reason]:
                    ledger.discard(name, reason, now[reason] - old[reason])
            self._booked[name] = now
        for node in schedule.repeater_index:
            swaps, failed = schedule.repeater_counts(node)
            old_swaps, old_failed = self._booked.get(("swaps", node), (0, 0))
            ledger.nodes[node].swaps += swaps - old_swaps
            ledger.nodes[node].swaps_failed += failed - old_failed
            self._booked[("swaps", node)] = (swaps, failed)
        for path in {p.name: p for p in self.paths.values() if len(p.links) > 1}.values():
            counts = schedule.path_counts(path.key)
            old = self._booked.get(path.name, (0, 0, 0, Counter()))
            counters = ledger.path(path.name)
            counters.e2e_pairs_delivered += counts.delivered - old[0]
            counters.e2e_pairs_consumed += counts.consumed - old[1]
            for reason, n in (counts.discarded - old[3]).items():
                ledger.discard(path.name, reason, n)
            notices = counts.notices - old[2]
            for r in path.repeaters:
                for end in (path.nodes[0], path.nodes[-1]):
                    net.book_messages(r, end, notices, NOTICE_BITS)
            self._booked[path.name] = (counts.delivered, counts.consumed, counts.notices, Counter(counts.discarded))
