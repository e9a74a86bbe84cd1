"""The pair timeline as a network service: replicas submit a step's demand from SimPy and wait for its end.

One :class:`PairTimeline` per network (:meth:`PairTimeline.of`). Demands submitted at the same tick are
scheduled together (a zero-delay event collects them), after everything submitted before
(:func:`~.schedule.priority`: a later submission never overtakes an earlier one, so nothing already
scheduled changes). The ledger gets the timeline's counts as they are scheduled: attempts, link pairs
delivered, consumed and discarded by reason, swaps, swap notices (messages and bits on every link of their
routes), end-to-end pairs; the consumed pairs' ages and fidelities go into ``ledger.consumed_pairs``.

A link is driven by the timeline or by the event path (:class:`~qnet_dqnn.net.QuantumLink` processes,
``request_pairs``, ``teleport``, the Host API) within one run, never both: claiming a link the event path
started raises :class:`~qnet_dqnn.errors.ProtocolError`, and so does starting the event path on a claimed link.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from qnet_dqnn.errors import ProtocolError, ResourceExhausted
from qnet_dqnn.net.entanglement import bsm_duration_ticks, bsm_of
from qnet_dqnn.net.network import Network
from qnet_dqnn.net.timeline.demand import Contention, Demand, Outcome
from qnet_dqnn.net.timeline.paths import NOTICE_BITS, PairPath
from qnet_dqnn.net.timeline.schedule import LinkState, Schedule
from qnet_dqnn.net.timeline.states import PairRecord, consumed_states
from qnet_dqnn.net.timeline.supply import IndexedDraws, LinkSupply, RepeaterSwaps

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
            raise ProtocolError("the pair timeline computes Bell-diagonal pair states (pair_model 'bell_diagonal')")
        self.network = network
        self.schedule = Schedule({}, {}, contention)
        self.paths: dict[tuple[str, str], PairPath] = {}
        self.records: dict[str, PairRecord] = {}
        self._pending: list[tuple[Demand, simpy.Event]] = []
        self._booked: dict[str, Any] = {}

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
                if r not in self.schedule.repeaters:
                    spec = self.network.topology.node(r)
                    self.schedule.repeaters[r] = RepeaterSwaps(
                        r, bsm_of(spec), bsm_duration_ticks(spec), IndexedDraws(self.network.nodes[r].rng)
                    )
            self.paths[key] = path
        return self.paths[key]

    def _claim_link(self, name: str) -> None:
        if name in self.schedule.links:
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
        if link.success_probability <= 0.0:
            raise ResourceExhausted(f"pairs on link {name!r} never come: its attempts cannot succeed (p = 0)")
        link.driven_by_timeline = True
        specs = (net.topology.node(link.ends[0]), net.topology.node(link.ends[1]))
        self.schedule.links[name] = LinkState(LinkSupply.of(link.spec, specs, capacity, link.rng))  # type: ignore[arg-type]

    # -- demands ------------------------------------------------------------------------------------

    def submit(self, demand: Demand) -> simpy.Event:
        """Schedule ``demand`` (submitted now); the event fires at this tick, once every demand submitted at it
        is in, with the demand's :class:`Outcome` (when each use gets its pair, when the step's compute ends)."""
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
        outcomes = self.schedule.run([d for d, _ in batch])
        self._book()
        for outcome, (_, done) in zip(outcomes, batch, strict=True):
            done.succeed(outcome)

    def states(self, outcome: Outcome) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """The consumed pairs' Bell coefficients ``(uses, 4)`` and ages (ticks); recorded per node pair."""
        coefficients, ages = consumed_states(self.schedule, outcome)
        d = outcome.demand
        stalls = outcome.stalls
        for p, path in enumerate(d.paths):
            idx = np.flatnonzero(d.keys == p)
            name = path.name if len(path.links) > 1 else path.links[0]
            self.records.setdefault(name, PairRecord()).add(ages[idx], coefficients[idx, 0], stalls[idx])
            self.network.ledger.consumed_pairs[name] = self.records[name].to_dict()
        return coefficients, ages

    # -- the ledger ---------------------------------------------------------------------------------

    def _book(self) -> None:
        """Move what the schedule counted since the last booking into the network's ledger."""
        ledger, net = self.network.ledger, self.network
        for name, state in self.schedule.links.items():
            old = self._booked.get(name, (0, 0, 0, 0, Counter()))
            counters = ledger.links[name]
            counters.attempts += state.attempts - old[0]
            counters.pairs_delivered += state.delivered - old[1]
            counters.pairs_consumed += state.consumed - old[2]
            counters.memory_wait_ticks += state.memory_wait_ticks - old[3]
            for reason, n in (state.discarded - old[4]).items():
                ledger.discard(name, reason, n)
            self._booked[name] = (
                state.attempts,
                state.delivered,
                state.consumed,
                state.memory_wait_ticks,
                Counter(state.discarded),
            )
        for kind, table in (("swaps", self.schedule.swaps), ("swaps_failed", self.schedule.swaps_failed)):
            old = self._booked.get(kind, Counter())
            for node, n in (table - old).items():
                setattr(ledger.nodes[node], kind, getattr(ledger.nodes[node], kind) + n)
            self._booked[kind] = Counter(table)
        for path in {p.name: p for p in self.paths.values() if len(p.links) > 1}.values():
            counts = self.schedule.path_counts(path)
            old = self._booked.get(path.name, (0, 0, 0, Counter()))
            counters = ledger.path(path.name)
            counters.e2e_pairs_delivered += counts.delivered - old[0]
            counters.e2e_pairs_consumed += counts.consumed - old[1]
            for reason, n in (counts.discarded - old[3]).items():
                ledger.discard(path.name, reason, n)
            notices = counts.notices - old[2]
            for r in path.repeaters:
                for end in (path.nodes[0], path.nodes[-1]):
                    ledger.book_messages(net.route(r, end), net.link_of, notices, NOTICE_BITS)
            self._booked[path.name] = (counts.delivered, counts.consumed, counts.notices, Counter(counts.discarded))
