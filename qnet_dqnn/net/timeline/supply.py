"""What the pair timeline needs of each link and repeater: physics in ticks and random draws indexed by number.

A link's pair ``k`` takes ``draws.attempts(k)`` attempts, a repeater's swap attempt ``n`` succeeds when
``draws.uniform(n) < p_BSM``. Both are drawn in fixed-size chunks from the component's own random stream
(the link's, the node's: :func:`qnet_dqnn.rng.component_rng`, the streams the event path uses), so the
``k``-th draw is the same however often a schedule is recomputed and however the demand is cut into steps.

The number of attempts up to a success is geometric with the link's success probability ``p``; it is drawn
as ``⌊E/λ⌋ + 1`` with ``E`` standard exponential and ``λ = −ln(1 − p)``, which has exactly the geometric law
(``P(⌊E/λ⌋ ≥ n) = e^{−λn} = (1 − p)^n``; Devroye, *Non-Uniform Random Variate Generation*, Springer 1986,
Sec. X.2) and is about four times cheaper than numpy's own geometric sampler.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.net.analytic import memory_model
from qnet_dqnn.physics import (
    MemoryModel,
    attempt_period_s,
    attempt_success_probability,
    heralding_time_s,
    storage_before_herald_s,
    transmissivity,
    werner_state,
)
from qnet_dqnn.physics.swapping import BellMeasurement
from qnet_dqnn.topology import LinkSpec, NodeSpec
from qnet_dqnn.units import to_ticks

#: Draws made at a time from a component's stream (fixed, so the k-th draw never depends on the demand).
CHUNK = 1 << 14


class IndexedDraws:
    """Random draws of one component, indexed by number and drawn in chunks of :data:`CHUNK`.

    Args:
        rng: the component's random stream (used by nothing else while the timeline drives the component).
        success_probability: for :meth:`attempts` (geometric draws); None for a stream of uniforms.
    """

    def __init__(self, rng: np.random.Generator, success_probability: float | None = None) -> None:
        self._rng = rng
        self._p = success_probability
        self._inverse_rate = 0.0
        if success_probability is not None and 0.0 < success_probability < 1.0:
            self._inverse_rate = -1.0 / math.log1p(-success_probability)
        self._chunks: list[NDArray] = []
        self._lists: list[list] = []

    def _extend(self, n: int) -> None:
        while len(self._chunks) * CHUNK < n:
            if self._p is None:
                self._chunks.append(self._rng.random(CHUNK))
            elif self._p >= 1.0:
                self._chunks.append(np.ones(CHUNK, dtype=np.int64))
            else:
                e = self._rng.standard_exponential(CHUNK)
                self._chunks.append((e * self._inverse_rate).astype(np.int64) + 1)

    def take(self, start: int, stop: int) -> NDArray:
        """Draws ``start .. stop - 1`` as one array."""
        if stop <= start:
            return np.empty(0, dtype=float if self._p is None else np.int64)
        self._extend(stop)
        lo, hi = start // CHUNK, (stop - 1) // CHUNK + 1
        block = self._chunks[lo] if hi == lo + 1 else np.concatenate(self._chunks[lo:hi])
        return block[start - lo * CHUNK : stop - lo * CHUNK]

    def one(self, n: int) -> int | float:
        """Draw ``n`` (a Python number; the chunk is converted once)."""
        c = n // CHUNK
        if c >= len(self._lists):
            self._extend(n + 1)
            self._lists.extend(chunk.tolist() for chunk in self._chunks[len(self._lists) : c + 1])
        return self._lists[c][n % CHUNK]


@dataclass
class LinkSupply:
    """One quantum link as the timeline drives it (the physics of :class:`~qnet_dqnn.net.QuantumLink`, in ticks).

    Attributes:
        name: the link.
        ends: its two nodes.
        success_probability: per attempt (:func:`~qnet_dqnn.physics.attempt_success_probability`).
        period_ticks: time between attempts from one memory qubit.
        herald_ticks: emission to herald.
        dead_ticks: after a herald, until the next run of attempts may start (``period − herald`` if positive).
        stored_before_herald_ticks: how long each end's qubit has been stored at the herald.
        initial_state: Bell coefficients of a fresh pair (Werner, source fidelity).
        capacity: qubits of each end's memory this link may hold pairs in.
        memory: each end's :class:`~qnet_dqnn.physics.MemoryModel`.
        cutoff_ticks: the smaller of the ends' cutoffs (None: none).
        draws: attempts per pair, indexed by pair number.
    """

    name: str
    ends: tuple[str, str]
    success_probability: float
    period_ticks: int
    herald_ticks: int
    dead_ticks: int
    stored_before_herald_ticks: tuple[int, int]
    initial_state: NDArray[np.float64]
    capacity: tuple[int, int]
    memory: tuple[MemoryModel, MemoryModel]
    cutoff_ticks: int | None
    draws: IndexedDraws = field(repr=False)

    @classmethod
    def of(
        cls, link: LinkSpec, nodes: tuple[NodeSpec, NodeSpec], capacity: tuple[int, int], rng: np.random.Generator
    ) -> LinkSupply:
        """The supply of ``link`` between ``nodes`` with ``capacity`` qubits at each end, drawing from ``rng``."""
        q = link.quantum
        if q is None:
            raise ValueError(f"link {link.name!r} has no quantum channel")
        eta = transmissivity(link.length_km, q.attenuation_db_per_km)
        p = attempt_success_probability(
            q.heralding, eta, q.source_efficiency, q.detector_efficiency, q.multiplexing, q.bsm_success_probability
        )
        period = to_ticks(attempt_period_s(q.heralding, link.length_km, q.source_rate_hz))
        herald = to_ticks(heralding_time_s(q.heralding, link.length_km))
        before = storage_before_herald_s(q.heralding, link.length_km)
        cutoffs = [n.memory.cutoff_s for n in nodes if n.memory.cutoff_s is not None]
        return cls(
            name=link.name,
            ends=(nodes[0].name, nodes[1].name),
            success_probability=p,
            period_ticks=period,
            herald_ticks=herald,
            dead_ticks=max(period - herald, 0),
            stored_before_herald_ticks=(to_ticks(before[0]), to_ticks(before[1])),
            initial_state=werner_state(q.source_fidelity),
            capacity=capacity,
            memory=(memory_model(nodes[0]), memory_model(nodes[1])),
            cutoff_ticks=to_ticks(min(cutoffs)) if cutoffs else None,
            draws=IndexedDraws(rng, p),
        )

    def run_ticks(self, attempts: int) -> int:
        """Ticks from the start of a run of ``attempts`` attempts to its herald."""
        return (attempts - 1) * self.period_ticks + self.herald_ticks


@dataclass
class RepeaterSwaps:
    """One repeater's Bell-state measurements as the timeline does them.

    Attributes:
        node: the repeater.
        bsm: success probability and imperfections (:func:`~qnet_dqnn.net.entanglement.bsm_of`).
        duration_ticks: one BSM (1q + 2q + measurement).
        draws: uniforms deciding success, indexed by swap attempt number at this node.
        attempts: swap attempts so far (the next draw's index).
    """

    node: str
    bsm: BellMeasurement
    duration_ticks: int
    draws: IndexedDraws = field(repr=False)
    attempts: int = 0

    def succeeds(self) -> bool:
        """Draw the next attempt's outcome."""
        if self.bsm.success_probability >= 1.0:
            self.attempts += 1
            return True
        ok = self.draws.one(self.attempts) < self.bsm.success_probability
        self.attempts += 1
        return bool(ok)
