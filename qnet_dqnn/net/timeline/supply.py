"""What the pair timeline needs of each link and repeater: physics in ticks and random draws indexed by number.

Each component's uniforms are indexed by number: draw ``k`` is SplitMix64's ``k``-th output from a key taken
from the component's own random stream (the link's, the node's: :func:`qnet_dqnn.rng.component_rng`, the
streams the event path uses; :class:`IndexedDraws`), so the ``k``-th draw is the same however often a
schedule is recomputed and however the demand is cut into steps, and nothing is stored. A repeater's
swap attempt ``n`` succeeds when ``u_n < p_BSM``. A link's pair ``k`` takes ``⌊ln(1 − u_k)/ln(1 − p)⌋ + 1``
attempts (:data:`LinkSupply.log_failure`; computed in :func:`~.kernel.run_uses`): with ``V = 1 − u``
uniform on (0, 1], ``P(⌊ln V/ln(1 − p)⌋ ≥ n) = P(V ≤ (1 − p)^n) = (1 − p)^n``, exactly the geometric law of
the attempts up to a success with probability ``p`` each (inversion: Devroye, *Non-Uniform Random Variate
Generation*, Springer 1986, Sec. X.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.net.analytic import memory_model
from qnet_dqnn.net.timeline import kernel
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


class IndexedDraws:
    """Uniform draws on [0, 1) of one component, indexed by number: draw ``k`` is the top 53 bits of
    SplitMix64's ``k``-th output from :attr:`key` (Steele, Lea & Flood, OOPSLA 2014), the same function the
    compiled schedule evaluates (:func:`~.kernel.draw_bits`).

    Args:
        rng: the component's random stream (gives the key; used by nothing else while the timeline drives
            the component).
    """

    def __init__(self, rng: np.random.Generator) -> None:
        #: The stream's key (its SplitMix64 start).
        self.key = np.uint64(rng.integers(0, np.iinfo(np.uint64).max, dtype=np.uint64, endpoint=True))

    def take(self, start: int, stop: int) -> NDArray[np.float64]:
        """Draws ``start .. stop - 1`` (numpy's wrapping uint64 arithmetic, for checks and references)."""
        return self.at(np.arange(start, stop, dtype=np.int64))

    def at(self, numbers: NDArray[np.int64]) -> NDArray[np.float64]:
        """The draws of the given numbers (any order, any shape)."""
        k = np.asarray(numbers).astype(np.uint64) + np.uint64(1)
        z = self.key + k * kernel.GOLDEN
        z = (z ^ (z >> np.uint64(30))) * kernel.MIX1
        z = (z ^ (z >> np.uint64(27))) * kernel.MIX2
        z = z ^ (z >> np.uint64(31))
        return (z >> np.uint64(11)).astype(np.float64) * kernel.UNIT


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
        draws: one uniform per pair, indexed by pair number (its attempts, see the module docstring).
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
            draws=IndexedDraws(rng),
        )

    @property
    def attempt_table(self) -> NDArray[np.uint8]:
        """The attempts of a draw by its top bits where they fix it (:func:`~.kernel.attempt_table`)."""
        table = np.zeros(1 << kernel.GUIDE_BITS, np.uint8)
        kernel.attempt_table(self.inverse_log_failure, table)
        return table

    @property
    def inverse_log_failure(self) -> float:
        """``1/ln(1 − p)`` (0 when every attempt succeeds): attempts ``= ⌊ln(1 − u)·this⌋ + 1``."""
        return 0.0 if self.success_probability >= 1.0 else 1.0 / math.log1p(-self.success_probability)

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
    """

    node: str
    bsm: BellMeasurement
    duration_ticks: int
    draws: IndexedDraws = field(repr=False)
