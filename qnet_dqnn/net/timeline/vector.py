"""The schedule of one demand that has its links to itself, for all its pairs at once.

With no cutoff and no BSM that can fail, every use takes exactly one pair of each link of its path, so link
``ℓ``'s pair ``i`` belongs to the ``i``-th use that needs ``ℓ``. The equations of :mod:`~.schedule` are then
max-plus recurrences (Baccelli, Cohen, Olsder & Quadrat, *Synchronization and Linearity*, Wiley 1992, ch. 7):

* per link, with ``S_k = Σ_{i≤k}(g_i + dead)`` and ``x_{−1}`` the link's ready tick,
  ``h_k + dead − S_k = max(x_{−1}, max_{j≤k}(gate_j − S_{j−1}))``: one cumulative maximum;
* per use, with ``Q_j = start + Σ_{i≤j} gap_i``, ``c_j − Q_j = max(0, max_{i≤j}(delivered_i − Q_i))``.

The gates (a qubit free at both ends) and the requests of ``on_demand`` swaps couple the two. Every map is
monotone, so iterating from the gate-free lower bound climbs to the least fixed point, which is the schedule
(the recurrences are causal, so it has one fixed point); in practice in two to four rounds. The gate of pair
``k`` at an end of ``m`` qubits is the ``m``-th latest earlier leave, i.e. leave ``k − m`` when leaves come in
pair order; that is checked on the result, and :func:`solve` declines (the loop takes over) if it fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.net.timeline.demand import Demand, Outcome

if TYPE_CHECKING:
    from qnet_dqnn.net.timeline.schedule import Schedule

#: Fixed-point rounds before the loop takes over.
MAX_ROUNDS = 6

NEVER = -(1 << 62)


class _Link:
    """One link's pairs within the demand."""

    def __init__(self, schedule: Schedule, name: str, d: Demand, owners: NDArray[np.int64]) -> None:
        self.state = schedule.links[name]
        supply = self.state.supply
        self.uses = np.flatnonzero(np.isin(d.keys, owners))
        k0 = self.state.next_pair
        self.attempts = supply.draws.take(k0, k0 + len(self.uses))
        self.g = (self.attempts - 1) * supply.period_ticks + supply.herald_ticks
        self.dead = supply.dead_ticks
        self.base = self.state.ready_tick()
        self.S = np.cumsum(self.g + self.dead)
        self.S_prev = self.S - (self.g + self.dead)
        # per pair, per end: does the qubit stay until the use (a path end) or leave at the swap (a repeater)?
        stays = np.zeros((len(d.paths), 2), dtype=bool)
        self.position = np.zeros(len(d.paths), dtype=np.int64)
        for p, path in enumerate(d.paths):
            if name in path.links:
                at = path.links.index(name)
                stays[p] = path.ends_at[at]
                self.position[p] = at
        keys = d.keys[self.uses]
        self.stays = (stays[keys, 0], stays[keys, 1])
        self.at = self.position[keys]
        self.old = [np.sort(np.asarray(heap, dtype=np.int64)) for heap in self.state.leaves]
        self.h = np.empty(0, dtype=np.int64)

    def herald(self, leaves: tuple[NDArray[np.int64], NDArray[np.int64]] | None) -> NDArray[np.int64]:
        """Heralds given the leaves (None: no memory gate, the lower bound)."""
        gate = np.full(len(self.uses), NEVER, dtype=np.int64)
        if leaves is not None:
            for e in (0, 1):
                gate = np.maximum(gate, self._gate(e, leaves[e]))
        y = np.maximum.accumulate(np.maximum(gate - self.S_prev, self.base))
        return y + self.S - self.dead

    def _gate(self, e: int, leaves: NDArray[np.int64]) -> NDArray[np.int64]:
        cap = self.state.supply.capacity[e]
        combined = np.concatenate([self.old[e], leaves])
        index = len(self.old[e]) + np.arange(len(self.uses)) - cap
        out = np.full(len(self.uses), NEVER, dtype=np.int64)
        ok = index >= 0
        out[ok] = combined[index[ok]]
        return out

    def leaves(self, made: NDArray[np.int64], used: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Per end, when each pair's qubit there is freed."""
        m, c = made[self.uses], used[self.uses]
        return np.where(self.stays[0], c, m), np.where(self.stays[1], c, m)

    def in_order(self, leaves: tuple[NDArray[np.int64], NDArray[np.int64]]) -> bool:
        """Whether the earlier leaves then these come in nondecreasing order at both ends."""
        for e in (0, 1):
            combined = np.concatenate([self.old[e], leaves[e]])
            if len(combined) > 1 and bool(np.any(np.diff(combined) < 0)):
                return False
        return True


def eligible(schedule: Schedule, d: Demand) -> bool:
    """Whether :func:`solve` can take ``d``: no cutoff on its links, no BSM that can fail on its paths."""
    for path in d.paths:
        if any(schedule.links[name].supply.cutoff_ticks is not None for name in path.links):
            return False
        if any(schedule.repeaters[r].bsm.success_probability < 1.0 for r in path.repeaters):
            return False
    return True


def solve(schedule: Schedule, d: Demand, out: Outcome) -> bool:
    """Fill ``out`` and advance the schedule's state for demand ``d`` alone; False (nothing changed) if the
    loop must do it."""
    if not eligible(schedule, d) or d.uses == 0:
        return False
    names = list(dict.fromkeys(name for path in d.paths for name in path.links))
    links = [
        _Link(schedule, name, d, np.array([p for p, path in enumerate(d.paths) if name in path.links]))
        for name in names
    ]
    hops = np.array([len(path.links) for path in d.paths])[d.keys]
    bsm = np.array([path.bsm_ticks for path in d.paths], dtype=np.int64)[d.keys]
    notice = np.array([path.notice_ticks for path in d.paths], dtype=np.int64)[d.keys]
    swapped = hops > 1
    Q = d.start_tick + np.cumsum(d.gaps)
    used = Q.copy()
    leaves = None
    heralds = [link.herald(None) for link in links]
    for _ in range(MAX_ROUNDS):
        if d.swap_policy == "on_demand":
            need = np.concatenate([[d.start_tick], used[:-1]]) + d.gaps
            request = np.full(d.uses, d.start_tick, dtype=np.int64)
            if d.lookahead < d.uses:
                request[d.lookahead :] = need[: d.uses - d.lookahead]
        else:
            request = np.full(d.uses, d.start_tick, dtype=np.int64)
        start = np.where(swapped, request, NEVER)
        for link, h in zip(links, heralds, strict=True):
            start[link.uses] = np.maximum(start[link.uses], h)
        made = start + np.where(swapped, bsm, 0)
        delivered = made + np.where(swapped, notice, 0)
        used = Q + np.maximum.accumulate(np.maximum(delivered - Q, 0))
        leaves = [link.leaves(made, used) for link in links]
        new = [link.herald(lv) for link, lv in zip(links, leaves, strict=True)]
        if all(np.array_equal(a, b) for a, b in zip(new, heralds, strict=True)):
            break
        heralds = new
    else:
        return False
    assert leaves is not None
    if not all(link.in_order(lv) for link, lv in zip(links, leaves, strict=True)):
        return False
    _commit(schedule, d, out, links, heralds, leaves, made, used, swapped)
    return True


def _commit(
    schedule: Schedule,
    d: Demand,
    out: Outcome,
    links: list[_Link],
    heralds: list[NDArray[np.int64]],
    leaves: list[tuple[NDArray[np.int64], NDArray[np.int64]]],
    made: NDArray[np.int64],
    used: NDArray[np.int64],
    swapped: NDArray[np.bool_],
) -> None:
    out.need[:] = np.concatenate([[d.start_tick], used[:-1]]) + d.gaps
    out.consumed[:] = used
    out.swap_end[:] = made
    for link, h, lv in zip(links, heralds, leaves, strict=True):
        state = link.state
        out.heralds[link.uses, link.at] = h
        if not len(h):
            continue
        ready = np.concatenate([[link.base], h[:-1] + link.dead])
        state.memory_wait_ticks += int((h - link.g - ready).sum())
        state.attempts += int(link.attempts.sum())
        state.delivered += len(h)
        state.consumed += len(h)
        state.next_pair += len(h)
        state.last_herald = int(h[-1])
        for e in (0, 1):
            cap = state.supply.capacity[e]
            combined = np.concatenate([link.old[e], lv[e]])
            state.leaves[e][:] = combined[-cap:].tolist() if cap else []
    counts = np.bincount(d.keys[swapped], minlength=len(d.paths))
    for p, path in enumerate(d.paths):
        n = int(counts[p])
        if not n or len(path.links) < 2:
            continue
        for r in path.repeaters:
            schedule.repeaters[r].attempts += n
            schedule.swaps[r] += n
        c = schedule.path_counts(path)
        c.delivered += n
        c.consumed += n
        c.notices += n
