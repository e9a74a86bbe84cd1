"""The pair timeline: an exact model of when every pair exists and when every shot consumes one.

Split strategies that spend pairs shot by shot (coherent, hybrid, pipeline) take their pairs here instead of one
SimPy event per pair. Per link, heralded attempts (geometric attempt counts from uniforms indexed by pair
number, :mod:`~.supply`), the memory capacity at both ends (one qubit budget with the data qubits), cutoffs;
per path, parallel swaps at the repeaters with their BSM time and success draws, and the swap notices'
delays (:mod:`~.paths`); per demand, consumption in shot order with stalls (:mod:`~.demand`, :mod:`~.schedule`);
each consumed pair's state from its own ages (:mod:`~.states`); recurrence purification of the pairs a use
takes, where a split asks for it (:mod:`~.purify`). Both loops are compiled (:mod:`~.kernel`).
SimPy keeps the coarse events: a replica submits a step's demand and waits for its end (:mod:`~.service`).

**Contention.** When several demands use one link, the link hands its pairs out in one order: ``fcfs``
(default) by due time — each use's need without stalls; ``round_robin``: the active demands take turns, one
use each. Demands submitted later join that order: the provisional part of the schedule is recomputed
(:mod:`~.schedule`), so a shared slow link slows every demand that uses it.
"""

from qnet_dqnn.net.timeline.demand import Contention, Demand, Outcome, SwapPolicy
from qnet_dqnn.net.timeline.paths import PairPath
from qnet_dqnn.net.timeline.schedule import Schedule
from qnet_dqnn.net.timeline.service import PairTimeline
from qnet_dqnn.net.timeline.states import PairRecord, PairStates, consumed_states
from qnet_dqnn.net.timeline.supply import IndexedDraws, LinkSupply, RepeaterSwaps

__all__ = [
    "Contention",
    "Demand",
    "IndexedDraws",
    "LinkSupply",
    "Outcome",
    "PairPath",
    "PairRecord",
    "PairStates",
    "PairTimeline",
    "RepeaterSwaps",
    "Schedule",
    "SwapPolicy",
    "consumed_states",
]
