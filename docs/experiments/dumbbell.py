"""Two groups sharing one slow link on the pair timeline: the link's rate bounds both together (issue 15).

A dumbbell a1, b1 - s1 ==(slow)== s2 - a2, b2 (the case of ``tests/net/test_timeline.py``): groups (a1, a2) and
(b1, b2) each ask for a pair every 0.1 ms, 2 000 uses each, far faster than the slow link's p/T. Over seeds 1-7,
prints how long both groups' 4 000 pairs take, their rate against the link's p/T, and one group alone, as means
with 95 % intervals (:func:`qnet_dqnn.stats.mean_interval`).

Run: ``.venv/bin/python docs/experiments/dumbbell.py`` (a few seconds).
"""

from __future__ import annotations

import numpy as np
import simpy

from qnet_dqnn.net import Network
from qnet_dqnn.net.timeline import Demand, PairTimeline
from qnet_dqnn.stats import mean_interval
from qnet_dqnn.topology import topology_from_data

GATES = {"one_qubit_time_s": 1e-6, "two_qubit_time_s": 5e-6, "measurement_time_s": 5e-6}
USES, GAP_TICKS = 2000, 100_000
SEEDS = range(1, 8)


def dumbbell() -> object:
    names = ["a1", "b1", "s1", "s2", "a2", "b2"]
    nodes = [{"name": n, "qubits": 4, "gates": GATES, "memory": {"t1_s": 1.0, "t2_s": 0.05}} for n in names]
    fast = {"source_rate_hz": 1e6, "source_fidelity": 0.97}
    links = [
        {"between": ["a1", "s1"], "length_km": 2.0, "quantum": fast},
        {"between": ["b1", "s1"], "length_km": 2.0, "quantum": fast},
        {"between": ["s1", "s2"], "length_km": 5.0, "quantum": {"source_rate_hz": 2e3, "source_fidelity": 0.97}},
        {"between": ["s2", "a2"], "length_km": 2.0, "quantum": fast},
        {"between": ["s2", "b2"], "length_km": 2.0, "quantum": fast},
    ]
    return topology_from_data({"name": "dumbbell", "nodes": nodes, "links": links})


def last_use_s(groups: list[tuple[str, str]], seed: int) -> float:
    """When the last use of the groups' demands, submitted together at 0, got its pair (s)."""
    net = Network(dumbbell(), seed)
    timeline = PairTimeline.of(net)
    gaps = np.full(USES, GAP_TICKS)
    events = [
        timeline.submit(Demand(f"{a}{b}", [timeline.path(a, b)], np.zeros(USES, np.int64), gaps, 0, 0))
        for a, b in groups
    ]
    net.env.run(until=simpy.AllOf(net.env, events))
    return max(int(e.value.consumed[-1]) for e in events) * 1e-9


def main() -> None:
    link = Network(dumbbell(), 1).quantum_links["s1-s2"]
    rate_hz = link.success_probability / (link.period_ticks * 1e-9)
    both = [last_use_s([("a1", "a2"), ("b1", "b2")], s) for s in SEEDS]
    alone = [last_use_s([("a1", "a2")], s) for s in SEEDS]
    rates = [2 * USES / t for t in both]
    print(f"slow link p/T: {rate_hz:.1f} Hz; seeds {list(SEEDS)}; means ± 95 % half-widths")
    print(f"both groups: {2 * USES} pairs in {mean_interval(both)} s, {mean_interval(rates)} Hz, ", end="")
    print(f"{mean_interval(np.array(rates) / rate_hz)} of p/T")
    print(f"one group alone: {USES} pairs in {mean_interval(alone)} s")


if __name__ == "__main__":
    main()
