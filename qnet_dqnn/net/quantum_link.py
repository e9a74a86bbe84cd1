"""Quantum links: heralded generation of entangled pairs into the memories at both ends."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

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


class QuantumLink:
    """Heralded pair generation over one link.

    Generation runs attempt after attempt from one memory qubit at each end, one attempt per
    :func:`~qnet_dqnn.physics.attempt_period_s`; each attempt succeeds with
    :func:`~qnet_dqnn.physics.attempt_success_probability`. Failed attempts carry no information, so the
    number of attempts up to a success is drawn in one step from the geometric distribution (same
    statistics, one event per pair instead of one per attempt). A delivered pair is a Werner state of the
    source fidelity, its halves stored since emission (see
    :func:`~qnet_dqnn.physics.storage_before_herald_s`), and goes into :attr:`pairs` (an unbounded store:
    memory capacity is the real bound).
    When either memory is full, generation waits until a qubit is released.
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
        self.pairs = simpy.Store(env)
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

    def start(self) -> simpy.Process:
        """Start generating pairs (once)."""
        if self.process is None:
            self.process = self.env.process(self._generate())
        return self.process

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
        while True:
            yield from self._free_memory_qubits()
            tries = int(self.rng.geometric(self.success_probability))
            self.counters.attempts += tries
            yield self.env.timeout((tries - 1) * self.period_ticks + self.herald_ticks)
            now = self.env.now
            pair = Pair(
                pair_id=self._next_pair_id(),
                link=self.name,
                ends=self.ends,
                state=self.initial_state,
                stored_since=(now - self.stored_before_herald_ticks[0], now - self.stored_before_herald_ticks[1]),
                delivered_tick=now,
            )
            self.counters.pairs_delivered += 1
            self._on_delivery(pair)
            self.pairs.put(pair)
            if self.period_ticks > self.herald_ticks:
                yield self.env.timeout(self.period_ticks - self.herald_ticks)
