"""The compiled schedule and pair states against a plain-Python reference written from the equations.

The reference walks the uses in priority order with a min-heap of leaves per link end, exactly as
:mod:`qnet_dqnn.net.timeline.schedule` describes, and computes every consumed pair's state with the physics
functions (:func:`~qnet_dqnn.physics.decohere_pair`, :func:`~qnet_dqnn.physics.swapping.swap_bell_diagonal`).
It lives here, in the tests, as the check of the kernel and nowhere else.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest

from qnet_dqnn.net import Network
from qnet_dqnn.net.timeline import Demand, PairTimeline
from qnet_dqnn.net.timeline.schedule import Schedule
from qnet_dqnn.net.timeline.states import AGE_BINS, AGE_EDGES_TICKS
from qnet_dqnn.physics import decohere_pair
from qnet_dqnn.physics.swapping import swap_bell_diagonal
from qnet_dqnn.topology import TopologySpec, topology_from_data
from qnet_dqnn.units import TICKS_PER_SECOND

GATES = {"one_qubit_time_s": 1e-6, "two_qubit_time_s": 5e-6, "measurement_time_s": 5e-6}


def chain(n_links: int, qubits: int = 3, memory: dict | None = None, bsm_p: float = 1.0) -> TopologySpec:
    nodes = [
        {"name": f"n{i}", "qubits": qubits, "gates": GATES, "memory": memory or {}, "bsm_success_probability": bsm_p}
        for i in range(n_links + 1)
    ]
    links = [
        {
            "between": [f"n{i}", f"n{i + 1}"],
            "length_km": 5.0,
            "quantum": {"source_rate_hz": 1e5, "source_fidelity": 0.95},
        }
        for i in range(n_links)
    ]
    return topology_from_data({"name": "chain", "nodes": nodes, "links": links})


class Reference:
    """The schedule's equations, one use at a time, in Python."""

    def __init__(self, schedule: Schedule) -> None:
        self.s = schedule
        self.next = {i: 0 for i in range(len(schedule.supplies))}
        self.last: dict[int, int | None] = dict.fromkeys(self.next)
        self.start: dict[int, int | None] = dict.fromkeys(self.next)
        self.leaves: dict[int, tuple[list[int], list[int]]] = {i: ([], []) for i in self.next}
        self.swap_draws = dict.fromkeys(range(len(schedule.repeaters)), 0)
        self.counts = {"cutoff": 0, "partner": 0, "bsm_failed": 0, "swaps": 0, "failed": 0}

    def attempts(self, link: int, k: int) -> int:
        supply = self.s.supplies[link]
        u = float(supply.draws.take(k, k + 1)[0])
        return int(math.log(1.0 - u) * supply.inverse_log_failure) + 1

    def generate(self, link: int) -> int:
        supply = self.s.supplies[link]
        start = self.start[link] if self.last[link] is None else self.last[link] + supply.dead_ticks
        for heap, cap in zip(self.leaves[link], supply.capacity, strict=True):
            if len(heap) >= cap:
                start = max(start, heap[0])
        k = self.next[link]
        self.next[link] += 1
        h = start + (self.attempts(link, k) - 1) * supply.period_ticks + supply.herald_ticks
        self.last[link] = h
        return h

    def leave(self, link: int, end: int, tick: int) -> None:
        heap, cap = self.leaves[link][end], self.s.supplies[link].capacity[end]
        if len(heap) < cap:
            heapq.heappush(heap, tick)
        elif tick > heap[0]:
            heapq.heapreplace(heap, tick)

    def expiry(self, link: int, h: int) -> int | None:
        s = self.s.supplies[link]
        return None if s.cutoff_ticks is None else h - max(s.stored_before_herald_ticks) + s.cutoff_ticks

    def run(self, demands: list[Demand]) -> list[dict[str, np.ndarray]]:
        """FCFS by due time, ties to the earlier demand; every demand submitted at its start tick."""
        for d in demands:
            for p in d.paths:
                for name in p.links:
                    i = self.s.link_index[name]
                    if self.start[i] is None:
                        self.start[i] = d.start_tick
        rows = sorted((int(due), j, i) for j, d in enumerate(demands) for i, due in enumerate(d.nominal_needs()))
        outs = [{k: np.zeros(d.uses, np.int64) for k in ("need", "used", "made")} for d in demands]
        last = [d.start_tick for d in demands]
        for _, j, i in rows:
            d, out = demands[j], outs[j]
            need = last[j] + int(d.gaps[i])
            out["need"][i] = need
            request = d.start_tick
            if d.swap_policy == "on_demand":
                request = int(out["need"][i - d.lookahead]) if i >= d.lookahead else d.start_tick
            path = d.paths[int(d.keys[i])]
            links = [self.s.link_index[n] for n in path.links]
            used, made = self.one(links[0], need) if len(links) == 1 else self.swapped(path, links, need, request)
            out["used"][i], out["made"][i] = used, made
            last[j] = used
        return outs

    def one(self, link: int, need: int) -> tuple[int, int]:
        while True:
            h = self.generate(link)
            used = max(need, h)
            e = self.expiry(link, h)
            if e is not None and e <= used:
                self.counts["cutoff"] += 1
                self.leave(link, 0, e)
                self.leave(link, 1, e)
                continue
            self.leave(link, 0, used)
            self.leave(link, 1, used)
            return used, h

    def swapped(self, path, links: list[int], need: int, request: int) -> tuple[int, int]:  # noqa: PLR0912
        hs: list[int | None] = [None] * len(links)
        while True:
            for x, link in enumerate(links):
                if hs[x] is None:
                    hs[x] = self.generate(link)
            start = max(request, *hs)
            lost = False
            for x, link in enumerate(links):
                e = self.expiry(link, hs[x])
                if e is not None and e <= start:
                    self.counts["cutoff"] += 1
                    self.leave(link, 0, e)
                    self.leave(link, 1, e)
                    hs[x], lost = None, True
            if lost:
                continue
            end = start + path.bsm_ticks
            es = [self.expiry(link, h) for link, h in zip(links, hs, strict=True)]
            if any(e is not None and e <= end for e in es):
                for link, e in zip(links, es, strict=True):
                    hit = e is not None and e <= end
                    self.counts["cutoff" if hit else "partner"] += 1
                    self.leave(link, 0, e if hit else end)
                    self.leave(link, 1, e if hit else end)
                hs = [None] * len(links)
                continue
            ok = True
            for name in path.repeaters:
                r = self.s.repeater_index[name]
                n = self.swap_draws[r]
                self.swap_draws[r] += 1
                p = self.s.repeaters[r].bsm.success_probability
                if p >= 1.0 or float(self.s.repeaters[r].draws.take(n, n + 1)[0]) < p:
                    self.counts["swaps"] += 1
                else:
                    self.counts["failed"] += 1
                    ok = False
            if not ok:
                for link in links:
                    self.counts["bsm_failed"] += 1
                    self.leave(link, 0, end)
                    self.leave(link, 1, end)
                hs = [None] * len(links)
                continue
            for link, ends in zip(links, path.ends_at, strict=True):
                for e, stays in enumerate(ends):
                    if not stays:
                        self.leave(link, e, end)
            delivered = end + path.notice_ticks
            used = max(need, delivered)
            first, last = self.s.supplies[links[0]], self.s.supplies[links[-1]]
            side_a, side_b = path.end_sides
            born = min(
                hs[0] - first.stored_before_herald_ticks[side_a], hs[-1] - last.stored_before_herald_ticks[side_b]
            )
            cutoffs = [c for c in (first.cutoff_ticks, last.cutoff_ticks) if c is not None]
            gone = born + min(cutoffs) if cutoffs else None
            if gone is not None and gone <= used:  # the end-to-end pair ages out before its use
                self.counts["cutoff"] += 1
                used, hs = gone, [None] * len(links)
            for link, ends in zip(links, path.ends_at, strict=True):
                for e, stays in enumerate(ends):
                    if stays:
                        self.leave(link, e, used)
            if hs[0] is None:
                continue
            return used, end


def _demands(timeline: PairTimeline, specs: list[tuple[str, str, np.ndarray, str, int]]) -> list[Demand]:
    out = []
    for j, (a, b, gaps, policy, look) in enumerate(specs):
        n = len(gaps)
        out.append(Demand(f"d{j}", [timeline.path(a, b)], np.zeros(n, np.int64), gaps, 0, 0, policy, look))  # type: ignore[arg-type]
    return out


CASES = {
    "one link, one qubit": (chain(1, qubits=1), [("n0", "n1", 40_000, "asap", 0)]),
    "one link, cutoff": (
        chain(1, memory={"t1_s": 1.0, "t2_s": 0.01, "cutoff_s": 1.2e-4}),
        [("n0", "n1", 40_000, "asap", 0)],
    ),
    "swaps, failing BSMs, cutoff": (
        chain(3, memory={"t1_s": 1.0, "t2_s": 0.01, "cutoff_s": 4e-4}, bsm_p=0.6),
        [("n0", "n3", 90_000, "asap", 0)],
    ),
    "on-demand swaps": (chain(2), [("n0", "n2", 70_000, "on_demand", 2)]),
    "two demands, one link": (chain(1, qubits=2), [("n0", "n1", 30_000, "asap", 0), ("n1", "n0", 50_000, "asap", 0)]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_kernel_equals_the_reference_use_by_use(case: str) -> None:
    topology, raw = CASES[case]
    results = []
    for compiled in (True, False):
        net = Network(topology, 11)
        timeline = PairTimeline.of(net)
        rng = np.random.default_rng(5)
        specs = [(a, b, rng.exponential(mean, 600).astype(np.int64) + 1, pol, look) for a, b, mean, pol, look in raw]
        demands = _demands(timeline, specs)
        if compiled:
            outs = timeline.schedule.run(demands)
            results.append([{"need": o.need, "used": o.consumed, "made": o.swap_end} for o in outs])
        else:
            results.append(Reference(timeline.schedule).run(demands))
    for fast, slow in zip(*results, strict=True):
        for key in ("need", "used", "made"):
            np.testing.assert_array_equal(fast[key], slow[key], err_msg=key)


def reference_states(schedule: Schedule, out) -> tuple[np.ndarray, np.ndarray]:
    """Bell coefficients and ages of the consumed pairs, with the physics functions, pair by pair."""
    d = out.demand
    coefficients, ages = [], []
    for i in range(d.uses):
        path = d.paths[int(d.keys[i])]
        supplies = [schedule.supplies[schedule.link_index[n]] for n in path.links]
        used, made = int(out.consumed[i]), int(out.swap_end[i])
        until = used if len(supplies) == 1 else made
        state = None
        for x, s in enumerate(supplies):
            h = int(out.heralds[i, x])
            waits = [(until - h + b) / TICKS_PER_SECOND for b in s.stored_before_herald_ticks]
            link_state = decohere_pair(
                s.initial_state, s.memory[0].bloch_factors(waits[0]), s.memory[1].bloch_factors(waits[1])
            )
            if state is None:
                state = link_state
            else:
                bsm = schedule.repeaters[schedule.repeater_index[path.repeaters[x - 1]]].bsm
                state = swap_bell_diagonal(state, link_state, bsm)
        side_a, side_b = path.end_sides
        if len(supplies) > 1:
            w = (used - made) / TICKS_PER_SECOND
            state = decohere_pair(
                state, supplies[0].memory[side_a].bloch_factors(w), supplies[-1].memory[side_b].bloch_factors(w)
            )
            born = min(
                int(out.heralds[i, 0]) - supplies[0].stored_before_herald_ticks[side_a],
                int(out.heralds[i, len(supplies) - 1]) - supplies[-1].stored_before_herald_ticks[side_b],
            )
        else:
            born = int(out.heralds[i, 0]) - max(supplies[0].stored_before_herald_ticks)
        coefficients.append(state)
        ages.append(used - born)
    return np.array(coefficients), np.array(ages)


@pytest.mark.parametrize(
    "memory", [{"t1_s": 0.02, "t2_s": 0.005}, {"coherence_time_s": 0.003}, {"t1_s": None, "t2_s": None}]
)
def test_the_kernels_pair_states_equal_the_physics_functions(memory: dict) -> None:
    net = Network(chain(2, memory=memory), 3)
    timeline = PairTimeline.of(net)
    n = 400
    gaps = np.random.default_rng(2).exponential(80_000, n).astype(np.int64)
    paths = [timeline.path("n0", "n2"), timeline.path("n1", "n2")]
    d = Demand("d", paths, np.arange(n) % 2, gaps, 0, 0)
    out = timeline.schedule.run([d])[0]
    states = timeline.states(out)
    want_c, want_a = reference_states(timeline.schedule, out)
    np.testing.assert_allclose(states.coefficients, want_c, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(states.ages, want_a)
    # the age histogram (a guide table in the kernel) bins as a search over the edges does
    bins = np.minimum(np.searchsorted(AGE_EDGES_TICKS, want_a, side="right"), AGE_BINS - 1)
    recorded = sum(record.age_hist for record in timeline.records.values())
    np.testing.assert_array_equal(recorded, np.bincount(bins, minlength=AGE_BINS))
    assert len(np.unique(bins)) > 3
    if memory.get("t1_s") is not None or "coherence_time_s" in memory:
        assert not np.allclose(want_c[:, 0], want_c[0, 0])  # the pairs' own ages matter
    np.testing.assert_allclose(
        timeline.states(out, period=2, per_use=False).mean_coefficients, want_c.reshape(-1, 2, 4).mean(0), atol=1e-12
    )
