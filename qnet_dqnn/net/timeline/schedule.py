"""The exact schedule of pairs and uses, and how demands that arrive at different times share links.

Per link, pair ``k`` starts its run of attempts at ``s_k = max(h_{k−1} + dead, gate_k)`` — the previous herald
plus the dead time, or the moment a memory qubit is free at both ends: ``gate_k`` is, per end, the ``m``-th
latest time a qubit of the earlier pairs left that end's share of ``m`` qubits — and heralds at
``h_k = s_k + (a_k − 1)·period + herald`` after its ``a_k`` attempts (:class:`~.supply.LinkSupply`). This is the
one-event path's :class:`~qnet_dqnn.net.QuantumLink` step for step. Link pairs go to the uses that need the
link in priority order. A use of a one-link path consumes its pair at ``c = max(need, h)``; on a longer path
the repeaters swap at ``max(heralds, request)`` for the BSM time, the end-to-end pair is delivered when the
notices have arrived, and consumed at ``max(need, delivered)``. A use's need is the previous use's
consumption plus its gap, so a stall delays the rest of the step. A repeater's qubit leaves at the swap, an
end's qubit when the pair is used; a pair older than the ends' cutoff (counted from its oldest qubit) is
discarded then and the use takes the next one; a failed BSM loses all the link pairs of the attempt. The
loop is compiled (:func:`~.kernel.run_uses`).

**Priority.** Every use has a key, nondecreasing along its demand; links serve uses in key order, ties to the
demand submitted first. ``fcfs``: the key is the use's due time (its need without stalls). ``round_robin``:
the key is a turn number, ``join + i`` for use ``i`` of a demand that joined at turn ``join`` — the turn the
most advanced active demand has reached with its uses due by the submission — so the active demands take
turns, one use each.

**Demands that arrive later.** A demand submitted at tick ``t`` can only come after the uses already decided:
every use due by ``t`` (``fcfs``) or of a turn before its join (``round_robin``) keeps its pair, and those
uses are *committed* (the state after them is kept). Everything after is *provisional*: it is recomputed
from the committed state whenever a new demand arrives, with the new demand's uses merged in by key, so a
step under way slows down when another group starts using its link. The random draws are indexed by pair
number (:class:`~.supply.IndexedDraws`), so a recomputation draws the same numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.net.timeline import kernel
from qnet_dqnn.net.timeline.demand import Contention, Demand, Outcome
from qnet_dqnn.net.timeline.kernel import NEVER
from qnet_dqnn.net.timeline.paths import PairPath
from qnet_dqnn.net.timeline.supply import LinkSupply, RepeaterSwaps

#: The largest key: run every use.
ALL = (1 << 62) - 1


@dataclass
class State:
    """Everything the schedule carries from one use to the next, as arrays (copied to snapshot it)."""

    lk: NDArray[np.int64]
    ring: NDArray[np.int64]  # per link end, its latest leaves (:func:`~.kernel.run_uses`)
    rk: NDArray[np.int64]
    pc: NDArray[np.int64]

    def copy(self) -> State:
        return State(self.lk.copy(), self.ring.copy(), self.rk.copy(), self.pc.copy())


@dataclass
class Active:
    """A demand not yet committed to its last use: its keys, where it stands, and its outcome so far."""

    demand: Demand
    order: int
    prio: NDArray[np.int64]
    outcome: Outcome
    paths: NDArray[np.int64]  # per path of the demand, the schedule's index
    ptr: int = 0  # committed uses
    last: int = 0  # the consumption of the last committed use


@dataclass
class PathCounts:
    """End-to-end pairs of one node pair over several links (the ledger's ``a~b``)."""

    delivered: int = 0
    consumed: int = 0
    discarded: Counter[str] = field(default_factory=Counter)
    notices: int = 0


class Schedule:
    """The pair timeline's state and arithmetic (no SimPy): links, repeaters, end-to-end paths, demands.

    Args:
        contention: how links serve uses of several demands (see the module docstring).
    """

    def __init__(self, contention: Contention = "fcfs") -> None:
        if contention not in ("fcfs", "round_robin"):
            raise ValueError(f"contention must be 'fcfs' or 'round_robin' (got {contention!r})")
        self.contention: Contention = contention
        self.supplies: list[LinkSupply] = []
        self.link_index: dict[str, int] = {}
        self.repeaters: list[RepeaterSwaps] = []
        self.repeater_index: dict[str, int] = {}
        self.paths: list[PairPath] = []
        self.path_index: dict[tuple[str, str], int] = {}
        self.committed = State(
            np.zeros((0, kernel.LINK_FIELDS), np.int64),
            np.zeros((0, 2, 1), np.int64),
            np.zeros((0, 3), np.int64),
            np.zeros((0, kernel.PATH_FIELDS), np.int64),
        )
        self.active: list[Active] = []
        self._orders = 0
        self._provisional: State | None = None  # the state after every active use, if the last run went there
        self._path_arrays: tuple[NDArray, ...] | None = None
        self._links: tuple[NDArray, NDArray, NDArray] | None = None

    # -- components --------------------------------------------------------------------------------

    def add_link(self, supply: LinkSupply) -> None:
        """A link the demands may use."""
        self.link_index[supply.name] = len(self.supplies)
        self.supplies.append(supply)
        c = self.committed
        row = np.zeros((1, kernel.LINK_FIELDS), np.int64)
        row[0, kernel.READY] = NEVER
        width = max(c.ring.shape[2], *supply.capacity)
        ring = np.full((len(self.supplies), 2, width), NEVER, np.int64)  # no leave yet: no gate
        ring[: c.ring.shape[0], :, : c.ring.shape[2]] = c.ring  # a ring lives in its link's first capacity slots
        self.committed = State(np.concatenate([c.lk, row]), ring, c.rk, c.pc)
        self._provisional = None

    def add_repeater(self, swaps: RepeaterSwaps) -> None:
        """A node that may swap."""
        self.repeater_index[swaps.node] = len(self.repeaters)
        self.repeaters.append(swaps)
        c = self.committed
        self.committed = State(c.lk, c.ring, np.concatenate([c.rk, np.zeros((1, 3), np.int64)]), c.pc)
        self._provisional = None

    def add_path(self, path: PairPath) -> int:
        """An end-to-end path (its links and repeaters added first); its index."""
        if path.key not in self.path_index:
            self.path_index[path.key] = len(self.paths)
            self.paths.append(path)
            c = self.committed
            pc = np.concatenate([c.pc, np.zeros((1, kernel.PATH_FIELDS), np.int64)])
            self.committed = State(c.lk, c.ring, c.rk, pc)
            self._provisional = None
            self._path_arrays = None
        return self.path_index[path.key]

    def path_arrays(self) -> tuple[NDArray, ...]:
        """Per path: links, link count, repeaters, BSM ticks, notice ticks, which ends stay, end sides, and
        whether it is simple (no cutoff on its links, no repeater whose BSM can fail: the loop's short way)."""
        if self._path_arrays is None:
            n, width = len(self.paths), max((len(p.links) for p in self.paths), default=1)
            plinks = np.full((n, width), -1, np.int64)
            preps = np.full((n, width), -1, np.int64)
            pstay = np.zeros((n, width, 2), np.bool_)
            for i, p in enumerate(self.paths):
                plinks[i, : len(p.links)] = [self.link_index[name] for name in p.links]
                preps[i, 1 : len(p.links)] = [self.repeater_index[r] for r in p.repeaters]
                pstay[i, : len(p.links)] = p.ends_at
            self._path_arrays = (
                plinks,
                np.array([len(p.links) for p in self.paths], np.int64),
                preps,
                np.array([p.bsm_ticks for p in self.paths], np.int64),
                np.array([p.notice_ticks for p in self.paths], np.int64),
                pstay,
                np.array([p.end_sides for p in self.paths], np.int64).reshape(n, 2),
                np.array([self._simple(p) for p in self.paths], np.bool_),
            )
        return self._path_arrays

    def _simple(self, path: PairPath) -> bool:
        links = [self.supplies[self.link_index[name]] for name in path.links]
        repeaters = [self.repeaters[self.repeater_index[r]] for r in path.repeaters]
        return all(s.cutoff_ticks is None for s in links) and all(r.bsm.success_probability >= 1.0 for r in repeaters)

    def link_params(self) -> NDArray[np.int64]:
        """Per link: period, herald, dead time, storage before the herald at each end, cutoff, capacities."""
        return np.array(
            [
                [
                    s.period_ticks,
                    s.herald_ticks,
                    s.dead_ticks,
                    *s.stored_before_herald_ticks,
                    -1 if s.cutoff_ticks is None else s.cutoff_ticks,
                    *s.capacity,
                ]
                for s in self.supplies
            ],
            np.int64,
        ).reshape(len(self.supplies), 8)

    # -- demands -----------------------------------------------------------------------------------

    def submit(self, demands: list[Demand], tick: int) -> list[Outcome]:
        """Add demands submitted at ``tick`` (after every earlier one): commit what they cannot change,
        recompute the rest with them. Value: their outcomes (provisional while other demands may come)."""
        self.commit(tick)
        join = self._join(tick)
        added = []
        for d in demands:
            for name in {name for p in d.paths for name in p.links}:
                row = self.committed.lk[self.link_index[name]]
                if row[kernel.READY] == NEVER:  # the link's first demand: its attempts start then
                    row[kernel.READY] = d.start_tick
            prio = d.nominal_needs() if self.contention == "fcfs" else join + np.arange(d.uses, dtype=np.int64)
            width = max((len(p.links) for p in d.paths), default=1)
            old, d.recycle = d.recycle, None
            if old is not None and old.heralds.shape == (d.uses, width):  # the kernel writes every use's row
                out = Outcome(d, old.need, old.consumed, old.swap_end, old.heralds)
            else:
                out = Outcome(
                    d,
                    np.zeros(d.uses, np.int64),
                    np.zeros(d.uses, np.int64),
                    np.zeros(d.uses, np.int64),
                    np.zeros((d.uses, width), np.int64),
                )
            self._orders += 1
            paths = np.array([self.path_index[p.key] for p in d.paths], np.int64)
            added.append(Active(d, self._orders, prio, out, paths, 0, d.start_tick))
        self.active += added
        self._provisional = None
        self._run(ALL)
        return [a.outcome for a in added]

    def commit(self, tick: int) -> list[Outcome]:
        """Commit every use no demand submitted at ``tick`` or later can change; drop the demands that are
        then complete. Value: their (final) outcomes."""
        if not self.active:
            return []
        limit = tick if self.contention == "fcfs" else self._join(tick) - 1
        if all(a.prio[-1] <= limit for a in self.active if a.demand.uses) and self._provisional is not None:
            self.committed = self._provisional  # the last run went exactly this far
            for a in self.active:
                a.ptr, a.last = a.demand.uses, int(a.outcome.consumed[-1]) if a.demand.uses else a.last
        else:
            self._run(limit, commit=True)
        done = [a for a in self.active if a.ptr == a.demand.uses]
        self.active = [a for a in self.active if a.ptr < a.demand.uses]
        if not self.active:
            self._provisional = self.committed
        return [a.outcome for a in done]

    def _join(self, tick: int) -> int:
        """The turn a demand submitted at ``tick`` joins (``round_robin``)."""
        turn = 0
        for a in self.active:
            due = a.demand.nominal_needs()
            turn = max(turn, int(a.prio[0]) + int(np.searchsorted(due, tick, side="right")) if a.demand.uses else 0)
        return turn

    def _run(self, limit: int, commit: bool = False) -> None:
        """Run the active demands' uses from the committed state up to key ``limit``; keep the state as the
        committed one (``commit``) or as the provisional end state."""
        active = self.active
        n = [a.demand.uses for a in active]
        doff = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64) if active else np.zeros(0, np.int64)
        cat = _concat if len(active) > 1 else _single
        keys = cat([a.demand.keys for a in active])
        dpaths = np.zeros((len(active), max((len(a.paths) for a in active), default=1)), np.int64)
        for j, a in enumerate(active):
            dpaths[j, : len(a.paths)] = a.paths
        gaps = cat([a.demand.gaps for a in active])
        prio = cat([a.prio for a in active])
        outs = [a.outcome for a in active]
        need, used, made = cat([o.need for o in outs]), cat([o.consumed for o in outs]), cat([o.swap_end for o in outs])
        width = max((o.heralds.shape[1] for o in outs), default=1)
        heralds = cat([_widen(o.heralds, width) for o in outs])
        dstart = np.array([a.demand.start_tick for a in active], np.int64)
        dlook = np.array([a.demand.lookahead if a.demand.swap_policy == "on_demand" else -1 for a in active], np.int64)
        lp = self.link_params()
        paths = self.path_arrays()
        links = self._link_arrays()
        r_success = np.array([r.bsm.success_probability for r in self.repeaters], np.float64)
        r_keys = np.array([r.draws.key for r in self.repeaters], np.uint64)
        state = self.committed.copy()
        dptr = np.array([a.ptr for a in active], np.int64)
        dlast = np.array([a.last for a in active], np.int64)
        kernel.run_uses(
            state.lk, lp, state.ring, *links, state.rk, r_success, r_keys,
            *paths, state.pc,
            doff, np.array(n, np.int64), dstart, dlook, dptr, dlast,
            keys, dpaths, gaps, prio, need, used, made, heralds, limit,
        )  # fmt: skip
        if len(active) > 1:
            for a, off in zip(active, doff.tolist(), strict=True):
                o, m = a.outcome, a.demand.uses
                o.need[:], o.consumed[:], o.swap_end[:] = need[off : off + m], used[off : off + m], made[off : off + m]
                o.heralds[:] = heralds[off : off + m, : o.heralds.shape[1]]
        for a in active:
            d, o = a.demand, a.outcome
            o.end_tick = (int(o.consumed[-1]) if d.uses else d.start_tick) + d.tail_ticks
        if commit:
            self.committed = state
            for a, p, last in zip(active, dptr.tolist(), dlast.tolist(), strict=True):
                a.ptr, a.last = p, last
            self._provisional = None
        else:
            self._provisional = state

    def _link_arrays(self) -> tuple[NDArray, NDArray, NDArray]:
        """Per link: its stream key, attempt table (:func:`~.kernel.attempt_table`) and ``1/ln(1 − p)``."""
        if self._links is None or len(self._links[0]) != len(self.supplies):
            self._links = (
                np.array([s.draws.key for s in self.supplies], np.uint64),
                np.array([s.attempt_table for s in self.supplies], np.uint8).reshape(len(self.supplies), -1)
                if self.supplies
                else np.zeros((0, 1), np.uint8),  # a step that needs no pair (no remote gate) has no link
                np.array([s.inverse_log_failure for s in self.supplies], np.float64),
            )
        return self._links

    # -- counts ------------------------------------------------------------------------------------

    def link_counts(self, name: str) -> dict[str, int]:
        """The committed counts of link ``name``."""
        row = self.committed.lk[self.link_index[name]]
        return {
            "attempts": int(row[kernel.ATTEMPTS]),
            "delivered": int(row[kernel.NEXT]),
            "consumed": int(row[kernel.CONSUMED]),
            "memory_wait_ticks": int(row[kernel.MEM_WAIT]),
            "cutoff": int(row[kernel.CUT]),
            "swap_partner_lost": int(row[kernel.PARTNER]),
            "bsm_failed": int(row[kernel.BSM_FAILED]),
        }

    def path_counts(self, key: tuple[str, str]) -> PathCounts:
        """The committed counts of the path of ``key``."""
        row = self.committed.pc[self.path_index[key]]
        counts = PathCounts(
            int(row[kernel.P_DELIVERED]), int(row[kernel.P_CONSUMED]), Counter(), int(row[kernel.P_NOTICES])
        )
        if row[kernel.P_CUT]:
            counts.discarded["cutoff"] = int(row[kernel.P_CUT])
        return counts

    def repeater_counts(self, node: str) -> tuple[int, int]:
        """Committed swaps and failed swaps of repeater ``node``."""
        row = self.committed.rk[self.repeater_index[node]]
        return int(row[kernel.R_SWAPS]), int(row[kernel.R_FAILED])

    def run(self, demands: list[Demand], tick: int | None = None) -> list[Outcome]:
        """Schedule demands submitted together at ``tick`` (default: their start) and commit everything
        (no SimPy: later demands queue behind these)."""
        if tick is None:
            tick = demands[0].start_tick if demands else 0
        outcomes = self.submit(demands, tick)
        self.commit(ALL)
        return outcomes


def _concat(arrays: list[NDArray]) -> NDArray:
    return np.concatenate(arrays) if arrays else np.zeros(0, np.int64)


def _single(arrays: list[NDArray]) -> NDArray:
    return arrays[0] if arrays else np.zeros(0, np.int64)


def _widen(heralds: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    if heralds.shape[1] == width:
        return heralds
    out = np.full((len(heralds), width), -1, np.int64)
    out[:, : heralds.shape[1]] = heralds
    return out
