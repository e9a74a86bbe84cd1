"""Quantum links: heralded generation of entangled pairs into the memories at both ends."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from qnet_dqnn.errors import ProtocolError
from qnet_dqnn.net.ledger import LinkCounters
from qnet_dqnn.net.memory import QuantumMemory
from qnet_dqnn.net.pairs import Pair
from qnet_dqnn.physics import (
    attempt_period_s,
    attempt_success_probability,
    heralding_time_s,
    storage_before_herald_s,
    transmissivity,
    werner_state,
)
from qnet_dqnn.topology import LinkSpec, QuantumSpec
from qnet_dqnn.units import to_ticks

#: Geometric draws taken from a link's stream at once (a NumPy call per draw costs more than the event it times).
GEOMETRIC_BATCH = 256


class PairGet(simpy.Event):
    """A request for the next pair of a :class:`PairStore`; its value is the pair."""

    def __init__(self, store: PairStore) -> None:
        super().__init__(store.env)
        self.cancelled = False

    def cancel(self) -> None:
        """Withdraw the request if no pair was handed to it yet (a later pair goes to the next request)."""
        if not self.triggered:
            self.cancelled = True


class PairStore:
    """The pairs a link delivered that nobody took yet (first in, first out), and the requests waiting for one.

    What :class:`simpy.Store` does for pairs, in one event instead of two: a pair put while a request waits is
    handed to the oldest request at once (SimPy schedules the put, and the get only when the put is processed).
    """

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        #: Stored pairs, oldest first.
        self.items: list[Pair] = []
        self._waiting: deque[PairGet] = deque()

    def put(self, pair: Pair) -> None:
        """Hand ``pair`` to the oldest waiting request, or keep it."""
        while self._waiting:
            get = self._waiting.popleft()
            if not get.cancelled:
                get.succeed(pair)
                return
        self.items.append(pair)

    def get(self) -> PairGet:
        """A request that fires with the oldest stored pair (at once if there is one)."""
        get = PairGet(self)
        if self.items:
            get.succeed(self.items.pop(0))
        else:
            self._waiting.append(get)
        return get


class QuantumLink:
    """Heralded pair generation over one link.

    Generation runs attempt after attempt from one memory qubit at each end, one attempt per
    :func:`~qnet_dqnn.physics.attempt_period_s`; each attempt succeeds with
    :func:`~qnet_dqnn.physics.attempt_success_probability`. Failed attempts carry no information, so the
    number of attempts up to a success is drawn in one step from the geometric distribution (same
    statistics, one event per pair instead of one per attempt); the draws are taken from the link's stream
    :data:`GEOMETRIC_BATCH` at a time, which yields the same sequence as one draw per pair (NumPy draws an
    array element by element from the same bit stream). A delivered pair is a Werner state of the
    source fidelity, its halves stored since emission (see
    :func:`~qnet_dqnn.physics.storage_before_herald_s`), and goes into :attr:`pairs` (an unbounded store:
    memory capacity is the real bound).
    When either memory is full, generation waits until a qubit is released.

    Outages (:meth:`add_outage`, from :meth:`Network.fail_link <qnet_dqnn.net.Network.fail_link>`): while the
    link is down no attempt is made; a run of attempts under way when it goes down stops there (the attempts
    made so far are counted, a herald still in flight is lost) and generation resumes, with the memory qubits
    it holds, when the link is back up. Pairs already stored stay stored.
    """

    def __init__(
        self,
        env: simpy.Environment,
        link: LinkSpec,
        memories: tuple[QuantumMemory, QuantumMemory],
        rng: np.random.Generator,
        counters: LinkCounters,
        on_delivery: Callable[[Pair], None],
        next_pair_id: Callable[[], int],
    ) -> None:
        if link.quantum is None:
            raise ValueError(f"link {link.name!r} has no quantum channel")
        self.env = env
        self.spec = link
        self.name = link.name
        self.ends = (link.between[0], link.between[1])
        self.memories = memories
        self.rng = rng
        self.counters = counters
        self.pairs = PairStore(env)
        self._on_delivery = on_delivery
        self._next_pair_id = next_pair_id
        q: QuantumSpec = link.quantum
        self.eta = transmissivity(link.length_km, q.attenuation_db_per_km)
        self.success_probability = attempt_success_probability(
            q.heralding, self.eta, q.source_efficiency, q.detector_efficiency, q.multiplexing, q.bsm_success_probability
        )
        self.period_ticks = to_ticks(attempt_period_s(q.heralding, link.length_km, q.source_rate_hz))
        self.herald_ticks = to_ticks(heralding_time_s(q.heralding, link.length_km))
        stored_a, stored_b = storage_before_herald_s(q.heralding, link.length_km)
        self.stored_before_herald_ticks = (to_ticks(stored_a), to_ticks(stored_b))
        self.initial_state = werner_state(q.source_fidelity)
        self.process: simpy.Process | None = None
        self.blocked_since: int | None = None
        self.outages: list[tuple[int, int | None]] = []
        self._next_down: simpy.Event | None = None
        self._attempting = False
        #: Set when the pair timeline (:mod:`qnet_dqnn.net.timeline`) drives this link: one or the other.
        self.driven_by_timeline = False
        self._tries: list[int] = []

    def start(self) -> simpy.Process:
        """Start generating pairs (once)."""
        if self.driven_by_timeline:
            raise ProtocolError(
                f"link {self.name!r} is driven by the pair timeline in this run; the event path (request_pairs, "
                "teleport, Host) cannot generate on it too"
            )
        if self.process is None:
            self.process = self.env.process(self._generate())
        return self.process

    # -- outages ----------------------------------------------------------------------------------------

    def add_outage(self, start_tick: int, end_tick: int | None) -> None:
        """Take the quantum channel down over [start_tick, end_tick) (for good if ``end_tick`` is None)."""
        self.outages.append((start_tick, end_tick))
        timer = self.env.timeout(max(start_tick - self.env.now, 0))
        timer.callbacks.append(self._went_down)

    def is_up(self, tick: int | None = None) -> bool:
        """True when the link is not in an outage at ``tick`` (default: now)."""
        t = self.env.now if tick is None else tick
        return not any(start <= t and (end is None or t < end) for start, end in self.outages)

    def down_until(self) -> int | None:
        """When the current outage ends (the link is down now), or None if it never does."""
        now = self.env.now
        ends = [end for start, end in self.outages if start <= now and (end is None or now < end)]
        return None if None in ends else max(e for e in ends if e is not None)

    def when_down(self) -> simpy.Event:
        """An event that fires the next time an outage of this link starts (one shared event per outage)."""
        if self._next_down is None:
            self._next_down = self.env.event()
        return self._next_down

    def _went_down(self, _event: simpy.Event) -> None:
        if self._next_down is not None:
            self._next_down.succeed()
            self._next_down = None
        if self._attempting and self.process is not None and self.process.is_alive:
            self.process.interrupt("link down")

    def _until_up(self) -> Generator[simpy.Event, Any, None]:
        while self.outages and not self.is_up():
            end = self.down_until()
            yield self.env.event() if end is None else self.env.timeout(end - self.env.now)

    def _attempts(self) -> Generator[simpy.Event, Any, bool]:
        """Attempts until a herald (True), or until an outage cuts them (False); counted in the ledger."""
        tries = self._draw_tries()
        self.counters.attempts += tries
        if not self.outages:
            yield self.env.timeout((tries - 1) * self.period_ticks + self.herald_ticks)
            return True
        start = self.env.now
        self._attempting = True
        try:
            yield self.env.timeout((tries - 1) * self.period_ticks + self.herald_ticks)
        except simpy.Interrupt:
            made = min(tries, -(-(self.env.now - start) // max(self.period_ticks, 1)))
            self.counters.attempts -= tries - made  # the attempts the outage prevented
            return False
        finally:
            self._attempting = False
        return True

    def _draw_tries(self) -> int:
        """Attempts up to and including the next success: geometric with p = :attr:`success_probability`."""
        if not self._tries:
            self._tries = self.rng.geometric(self.success_probability, size=GEOMETRIC_BATCH).tolist()[::-1]
        return self._tries.pop()

    def _free_memory_qubits(self) -> Generator[simpy.Event, Any, None]:
        """Wait until both ends have a free qubit, then take one at each end in the same step."""
        self.blocked_since = self.env.now
        while True:
            full = [m for m in self.memories if m.free == 0]
            if not full:
                break
            yield full[0].when_released()
        for memory in self.memories:
            memory.take()
        self.settle()
        self.blocked_since = None

    def settle(self) -> None:
        """Book the memory wait so far into the ledger (called when a wait ends and when a run ends)."""
        if self.blocked_since is not None:
            self.counters.memory_wait_ticks += self.env.now - self.blocked_since
            self.blocked_since = self.env.now

    def _generate(self) -> Generator[simpy.Event, Any, None]:
        if self.success_probability <= 0.0:  # e.g. eta below the smallest float: this link never delivers
            return
        env, a, b, counters = self.env, self.memories[0], self.memories[1], self.counters
        period, herald = self.period_ticks, self.herald_ticks
        before_a, before_b = self.stored_before_herald_ticks
        while True:
            if self.outages:
                yield from self._until_up()
            if a.free and b.free:  # the usual case, without a generator for the wait
                a.take()
                b.take()
            else:
                yield from self._free_memory_qubits()
            if self.outages:
                while True:
                    yield from self._until_up()
                    heralded = yield from self._attempts()
                    if heralded:
                        break
            else:
                tries = self._tries.pop() if self._tries else self._draw_tries()
                counters.attempts += tries
                yield env.timeout((tries - 1) * period + herald)
            now = env._now
            stored = (now - before_a, now - before_b)
            pair = Pair(self._next_pair_id(), self.name, self.ends, self.initial_state, stored, now)
            counters.pairs_delivered += 1
            self._on_delivery(pair)
            self.pairs.put(pair)
            if period > herald:
                yield env.timeout(period - herald)
