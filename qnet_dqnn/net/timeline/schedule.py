"""The exact schedule of pairs and uses: one loop over uses in priority order, and its vectorized twin.

Per link, pair ``k`` starts its run of attempts at ``s_k = max(h_{k−1} + dead, gate_k)`` — the previous herald
plus the dead time, or the moment a memory qubit is free at both ends: ``gate_k`` is, per end, the ``m``-th
latest time a qubit of the earlier pairs left that end's share of ``m`` qubits — and heralds at
``h_k = s_k + (a_k − 1)·period + herald`` after its ``a_k`` attempts (:class:`~.supply.LinkSupply`). This is the
one-event path's :class:`~qnet_dqnn.net.QuantumLink` step for step. Link pairs go to the uses that need the
link in priority order (:func:`priority`). A use of a one-link path consumes its pair at
``c = max(need, h)``; on a longer path the repeaters swap at ``max(heralds, request)`` for the BSM time,
the end-to-end pair is delivered when the notices have arrived, and consumed at ``max(need, delivered)``. A
use's need is the previous use's consumption plus its gap, so a stall delays the rest of the step. A
repeater's qubit leaves at the swap, an end's qubit when the pair is used; a pair older than the ends'
cutoff (counted from its oldest qubit) is discarded then and the use takes the next one; a failed BSM
loses all the link pairs of the attempt.

:meth:`Schedule.run` walks the uses in priority order in a plain loop (:meth:`Schedule._loop`): the exact
reference. Where a group of uses touches its links alone, with no cutoff and no BSM that can fail, the same
equations are max-plus recurrences, solved for all pairs at once by monotone fixed-point iteration from
below (:mod:`~.vector`); the result is identical to the loop's (tested), and the loop takes over whenever
the vector form's assumption (leaves in pair order at each end) does not hold.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.net.timeline.demand import Contention, Demand, Outcome
from qnet_dqnn.net.timeline.paths import PairPath
from qnet_dqnn.net.timeline.supply import LinkSupply, RepeaterSwaps

#: A time before every tick.
NEVER = -(1 << 62)


@dataclass
class LinkState:
    """A link's place in its pair sequence: the next pair's number, the last herald, and per end the latest
    ``capacity`` times a qubit left (a min-heap); plus its ledger counts."""

    supply: LinkSupply
    next_pair: int = 0
    last_herald: int | None = None
    start_tick: int | None = None
    leaves: tuple[list[int], list[int]] = field(default_factory=lambda: ([], []))
    attempts: int = 0
    delivered: int = 0
    consumed: int = 0
    discarded: Counter[str] = field(default_factory=Counter)
    memory_wait_ticks: int = 0

    def gate(self) -> int:
        """The earliest tick a qubit is free at both ends for the next pair."""
        out = NEVER
        for heap, cap in zip(self.leaves, self.supply.capacity, strict=True):
            if len(heap) >= cap:
                out = max(out, heap[0])
        return out

    def leave(self, end: int, tick: int) -> None:
        """A qubit of this link's share at ``end`` (0 or 1) is freed at ``tick``."""
        heap, cap = self.leaves[end], self.supply.capacity[end]
        if len(heap) < cap:
            heapq.heappush(heap, tick)
        elif tick > heap[0]:
            heapq.heapreplace(heap, tick)

    def ready_tick(self) -> int:
        """When the next run of attempts may start if memory allows (previous herald plus dead time)."""
        assert self.start_tick is not None
        if self.last_herald is None:
            return self.start_tick
        return self.last_herald + self.supply.dead_ticks

    def generate(self) -> tuple[int, int]:
        """Make the next pair: ``(its number, its herald tick)``."""
        supply = self.supply
        ready = self.ready_tick()
        start = ready
        for heap, cap in zip(self.leaves, supply.capacity, strict=True):
            if len(heap) >= cap and heap[0] > start:
                start = heap[0]
        self.memory_wait_ticks += start - ready
        k = self.next_pair
        attempts = supply.draws.one(k)
        herald = start + (attempts - 1) * supply.period_ticks + supply.herald_ticks
        self.attempts += attempts
        self.delivered += 1
        self.next_pair = k + 1
        self.last_herald = herald
        return k, herald

    def expiry(self, herald: int) -> int | None:
        """When a pair heralded at ``herald`` reaches the cutoff (its oldest qubit's age), or None."""
        if self.supply.cutoff_ticks is None:
            return None
        return herald - max(self.supply.stored_before_herald_ticks) + self.supply.cutoff_ticks


@dataclass
class PathCounts:
    """End-to-end pairs of one node pair over several links (the ledger's ``a~b``)."""

    delivered: int = 0
    consumed: int = 0
    discarded: Counter[str] = field(default_factory=Counter)
    notices: int = 0


def priority(demands: list[Demand], contention: Contention) -> NDArray[np.int64]:
    """The order links serve the uses of demands submitted together: ``(demand, use)`` rows, first first.

    ``fcfs``: by due time (each use's need without stalls), ties by demand order then use order; a later
    submission never overtakes an earlier one (its uses come after). ``round_robin``: the demands take turns,
    one use each (use ``i`` of every demand, in demand order, before use ``i + 1``).
    """
    rows = [np.stack([np.full(d.uses, j), np.arange(d.uses)], axis=1) for j, d in enumerate(demands)]
    if not rows:
        return np.empty((0, 2), dtype=np.int64)
    order = np.concatenate(rows)
    if contention == "round_robin":
        keys = (order[:, 0], order[:, 1])
    elif contention == "fcfs":
        due = np.concatenate([d.nominal_needs() for d in demands])
        keys = (order[:, 1], order[:, 0], due)
    else:
        raise ValueError(f"contention must be 'fcfs' or 'round_robin' (got {contention!r})")
    return order[np.lexsort(keys)]


class Schedule:
    """The pair timeline's state and arithmetic (no SimPy): links, repeaters, end-to-end paths.

    Args:
        links: every link the demands may use, by name.
        repeaters: every node that may swap, by name.
        contention: how links serve uses of several demands (:func:`priority`).
    """

    def __init__(
        self, links: dict[str, LinkSupply], repeaters: dict[str, RepeaterSwaps], contention: Contention = "fcfs"
    ) -> None:
        self.links: dict[str, LinkState] = {name: LinkState(supply) for name, supply in links.items()}
        self.repeaters = repeaters
        self.contention: Contention = contention
        self.swaps: Counter[str] = Counter()
        self.swaps_failed: Counter[str] = Counter()
        self.paths: dict[str, PathCounts] = {}
        self.vectorized_uses = 0

    def path_counts(self, path: PairPath) -> PathCounts:
        """The counts of ``path`` (created on first use)."""
        return self.paths.setdefault(path.name, PathCounts())

    def run(self, demands: list[Demand]) -> list[Outcome]:
        """Schedule demands submitted at the same tick, after everything scheduled before. Value: their
        outcomes, in the same order."""
        from qnet_dqnn.net.timeline.vector import solve  # noqa: PLC0415  (vector imports this module)

        outcomes = [_blank(d) for d in demands]
        for d in demands:
            for path in d.paths:
                for name in path.links:
                    state = self.links[name]
                    if state.start_tick is None:
                        state.start_tick = d.start_tick
        for group in _groups(demands, self):
            members = [demands[i] for i in group]
            if len(group) == 1 and solve(self, members[0], outcomes[group[0]]):
                self.vectorized_uses += members[0].uses
                continue
            order = priority(members, self.contention)
            self._loop(members, [outcomes[i] for i in group], order)
        for out in outcomes:
            d = out.demand
            last = int(out.consumed[-1]) if d.uses else d.start_tick
            out.end_tick = last + d.tail_ticks
        return outcomes

    # -- the loop ------------------------------------------------------------------------------------------

    def _loop(self, demands: list[Demand], outcomes: list[Outcome], order: NDArray[np.int64]) -> None:
        last = [d.start_tick for d in demands]  # per demand: the previous use's consumption
        for j, i in order.tolist():
            d, out = demands[j], outcomes[j]
            need = last[j] + int(d.gaps[i])
            out.need[i] = need
            if d.swap_policy == "on_demand":
                request = int(out.need[i - d.lookahead]) if i >= d.lookahead else d.start_tick
            else:
                request = d.start_tick
            path = d.paths[int(d.keys[i])]
            if len(path.links) == 1:
                consumed, made, heralds = self._one_link(path, need)
            else:
                consumed, made, heralds = self._swapped(path, need, request)
            out.consumed[i], out.swap_end[i] = consumed, made
            out.heralds[i, : len(heralds)] = heralds
            last[j] = consumed

    def _one_link(self, path: PairPath, need: int) -> tuple[int, int, list[int]]:
        state = self.links[path.links[0]]
        while True:
            _, herald = state.generate()
            used = max(need, herald)
            expiry = state.expiry(herald)
            if expiry is not None and expiry <= used:
                state.discarded["cutoff"] += 1
                state.leave(0, expiry)
                state.leave(1, expiry)
                continue
            state.consumed += 1
            state.leave(0, used)
            state.leave(1, used)
            return used, herald, [herald]

    def _swapped(self, path: PairPath, need: int, request: int) -> tuple[int, int, list[int]]:
        states = [self.links[name] for name in path.links]
        counts = self.path_counts(path)
        heralds: list[int | None] = [None] * len(states)
        while True:
            for i, state in enumerate(states):  # one stored pair on every link at once
                if heralds[i] is None:
                    heralds[i] = state.generate()[1]
            hs = [h for h in heralds if h is not None]
            start = max(request, *hs)
            lost = False
            for i, state in enumerate(states):  # a pair that ages out while its partners come is replaced
                expiry = state.expiry(hs[i])
                if expiry is not None and expiry <= start:
                    state.discarded["cutoff"] += 1
                    state.leave(0, expiry)
                    state.leave(1, expiry)
                    heralds[i], lost = None, True
            if lost:
                continue
            end = start + path.bsm_ticks
            expiries = [state.expiry(h) for state, h in zip(states, hs, strict=True)]
            if any(e is not None and e <= end for e in expiries):  # a cutoff during the BSMs loses them all
                for state, e in zip(states, expiries, strict=True):
                    expired = e is not None and e <= end
                    state.discarded["cutoff" if expired else "swap_partner_lost"] += 1
                    gone = e if expired and e is not None else end
                    state.leave(0, gone)
                    state.leave(1, gone)
                heralds = [None] * len(states)
                continue
            ok = True
            for r in path.repeaters:
                if self.repeaters[r].succeeds():
                    self.swaps[r] += 1
                else:
                    self.swaps_failed[r] += 1
                    ok = False
            if not ok:
                for state in states:
                    state.discarded["bsm_failed"] += 1
                    state.leave(0, end)
                    state.leave(1, end)
                heralds = [None] * len(states)
                continue
            for state, ends in zip(states, path.ends_at, strict=True):  # repeater qubits freed by the swap
                state.consumed += 1
                for e, at_end in enumerate(ends):
                    if not at_end:
                        state.leave(e, end)
            counts.notices += 1
            first, last_ = states[0].supply, states[-1].supply
            side_a, side_b = path.end_sides
            born = min(
                hs[0] - first.stored_before_herald_ticks[side_a], hs[-1] - last_.stored_before_herald_ticks[side_b]
            )
            cutoffs = [c for c in (first.cutoff_ticks, last_.cutoff_ticks) if c is not None]
            expiry = born + min(cutoffs) if cutoffs else None
            delivered = end + path.notice_ticks
            used = max(need, delivered)
            if expiry is not None and expiry <= used:
                if expiry > delivered:
                    counts.delivered += 1
                counts.discarded["cutoff"] += 1
                self._leave_ends(path, states, expiry)
                heralds = [None] * len(states)
                continue
            counts.delivered += 1
            counts.consumed += 1
            self._leave_ends(path, states, used)
            return used, end, [int(h) for h in hs]

    @staticmethod
    def _leave_ends(path: PairPath, states: list[LinkState], tick: int) -> None:
        for state, ends in zip(states, path.ends_at, strict=True):
            for e, at_end in enumerate(ends):
                if at_end:
                    state.leave(e, tick)


def _blank(d: Demand) -> Outcome:
    width = max((len(p.links) for p in d.paths), default=1)
    n = d.uses
    return Outcome(
        d,
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.full((n, width), -1, dtype=np.int64),
    )


def _groups(demands: list[Demand], schedule: Schedule) -> list[list[int]]:
    """Demands that share a link, or a repeater whose BSM can fail, in one group (they run in one loop)."""
    parent = list(range(len(demands)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, d in enumerate(demands):
        used = {name for p in d.paths for name in p.links}
        used |= {r for p in d.paths for r in p.repeaters if schedule.repeaters[r].bsm.success_probability < 1.0}
        for name in used:
            if name in owner:
                parent[find(i)] = find(owner[name])
            else:
                owner[name] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(demands)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())
