"""The pair timeline against the one-event-per-pair path of the entanglement service, closed forms and itself.

The event path serves the same demand with :class:`~qnet_dqnn.net.QuantumLink` processes and
``request_pairs`` (one request per use, all issued at the start in due order, so each link's get queue is the
timeline's FCFS order; on one link a use takes the oldest stored pair at its need). Both runs draw from
different random numbers, so they are compared as distributions (two-sample KS, p > 0.01).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import pytest
import simpy
from scipy.stats import ks_2samp

from qnet_dqnn.errors import ProtocolError, ResourceExhausted
from qnet_dqnn.net import Network
from qnet_dqnn.net.entanglement import request_pairs
from qnet_dqnn.net.timeline import Demand, PairTimeline
from qnet_dqnn.topology import TopologySpec, topology_from_data

GATES = {"one_qubit_time_s": 1e-6, "two_qubit_time_s": 5e-6, "measurement_time_s": 5e-6}


def chain(n_links: int, rate_hz: float = 1e5, qubits: int = 4, memory: dict | None = None) -> TopologySpec:
    """n0 - n1 - ... with 5 km links of Werner fidelity 0.95; memories as given."""
    nodes = [{"name": f"n{i}", "qubits": qubits, "gates": GATES, "memory": memory or {}} for i in range(n_links + 1)]
    links = [
        {
            "between": [f"n{i}", f"n{i + 1}"],
            "length_km": 5.0,
            "quantum": {"source_rate_hz": rate_hz, "source_fidelity": 0.95},
        }
        for i in range(n_links)
    ]
    return topology_from_data({"name": "chain", "nodes": nodes, "links": links})


def dumbbell(slow_hz: float = 2e3) -> TopologySpec:
    """a1, b1 - s1 ==(slow)== s2 - a2, b2: groups (a1, a2) and (b1, b2) share the slow middle link."""
    names = ["a1", "b1", "s1", "s2", "a2", "b2"]
    nodes = [{"name": n, "qubits": 4, "gates": GATES, "memory": {"t1_s": 1.0, "t2_s": 0.05}} for n in names]
    fast = {"source_rate_hz": 1e6, "source_fidelity": 0.97}
    links = [
        {"between": ["a1", "s1"], "length_km": 2.0, "quantum": fast},
        {"between": ["b1", "s1"], "length_km": 2.0, "quantum": fast},
        {"between": ["s1", "s2"], "length_km": 5.0, "quantum": {"source_rate_hz": slow_hz, "source_fidelity": 0.97}},
        {"between": ["s2", "a2"], "length_km": 2.0, "quantum": fast},
        {"between": ["s2", "b2"], "length_km": 2.0, "quantum": fast},
    ]
    return topology_from_data({"name": "dumbbell", "nodes": nodes, "links": links})


Spec = tuple[str, str, np.ndarray]  # (a, b, gaps in ticks)


def by_timeline(topology: TopologySpec, specs: list[Spec], seed: int) -> list[dict[str, np.ndarray]]:
    net = Network(topology, seed)
    timeline = PairTimeline.of(net)
    demands = [
        Demand(f"d{i}", [timeline.path(a, b)], np.zeros(len(g), dtype=np.int64), g, 0, 0)
        for i, (a, b, g) in enumerate(specs)
    ]
    events = [timeline.submit(d) for d in demands]
    net.env.run(until=net.env.all_of(events))
    out = []
    for event in events:
        outcome = event.value
        states = timeline.states(outcome)
        out.append(
            {"wait": outcome.stalls, "age": states.ages, "fidelity": states.coefficients[:, 0], "end": outcome.consumed}
        )
    return out


def by_events(topology: TopologySpec, specs: list[Spec], seed: int) -> list[dict[str, np.ndarray]]:
    net = Network(topology, seed, memory_split="per_link", pair_model="bell_diagonal")  # the timeline's states
    env = net.env
    records = [{k: [] for k in ("wait", "age", "fidelity", "end")} for _ in specs]
    due = sorted((int(np.cumsum(g)[i]), j, i) for j, (_, _, g) in enumerate(specs) for i in range(len(g)))
    stores: dict[tuple[int, int], simpy.Store] = {}
    one_link = [len(net.topology.links) and _hops(net, a, b) == 1 for a, b, _ in specs]
    for _, j, i in due:  # every use's request at the start, in due order
        if not one_link[j]:
            stores[(j, i)] = simpy.Store(env)
            request_pairs(net, specs[j][0], specs[j][1], 1, deliver_to=stores[(j, i)])
    if any(one_link):
        net.start_generation()

    def consumer(j: int) -> Generator[simpy.Event, Any, None]:
        a, b, gaps = specs[j]
        link = (
            net.quantum_links[next(iter(n for n in net.quantum_links if {a, b} == set(net.quantum_links[n].ends)))]
            if one_link[j]
            else None
        )
        for i, gap in enumerate(gaps.tolist()):
            yield env.timeout(gap)
            need = net.now
            pair = yield (link.pairs.get() if link is not None else stores[(j, i)].get())
            state = net.consume_pair(pair)
            r = records[j]
            r["wait"].append(net.now - need)
            r["age"].append(net.now - min(pair.in_memory_since))
            r["fidelity"].append(float(state[0]))
            r["end"].append(net.now)

    procs = [env.process(consumer(j)) for j in range(len(specs))]
    env.run(until=env.all_of(procs))
    return [{k: np.asarray(v) for k, v in r.items()} for r in records]


def _hops(net: Network, a: str, b: str) -> int:
    from qnet_dqnn.net.routing import quantum_path

    return len(quantum_path(net.topology, a, b)) - 1


def lag_correlation(x: np.ndarray, lag: int) -> float:
    """The sample autocorrelation of ``x`` at ``lag`` (0 for a constant series)."""
    x = np.asarray(x, dtype=float) - np.mean(x)
    var = float(np.mean(x * x))
    return float(np.mean(x[:-lag] * x[lag:]) / var) if var > 0 and len(x) > lag else 0.0


def agreement(
    topology: TopologySpec,
    specs_of: Callable[[int], list[Spec]],
    seeds: list[int],
    keys=("wait", "age", "fidelity"),
    thin: int = 1,
) -> tuple[dict[str, float], dict[str, float]]:
    """KS per demand and quantity over the seeds' runs pooled (run ``s`` serves ``specs_of(s)`` on both paths),
    every ``thin``-th use of a run. Value: the KS p-value of each ``demand j, quantity`` (1 where both samples are
    one and the same constant, 0 where they are different constants), and the timeline's mean lag-``thin``
    autocorrelation of each (a stall or a pair's wait carries over to the next uses, so neighbouring uses of one
    run are correlated; KS assumes nearly independent samples)."""
    timeline = [by_timeline(topology, specs_of(s), s) for s in seeds]
    events = [by_events(topology, specs_of(s), s + 1000) for s in seeds]
    pvalues: dict[str, float] = {}
    correlations: dict[str, float] = {}
    for j in range(len(specs_of(seeds[0]))):
        for key in keys:
            label = f"demand {j}, {key}"
            correlations[label] = float(np.mean([lag_correlation(t[j][key], thin) for t in timeline]))
            x = np.concatenate([t[j][key][::thin] for t in timeline])
            y = np.concatenate([e[j][key][::thin] for e in events])
            if np.ptp(x) == 0 and np.ptp(y) == 0:
                pvalues[label] = 1.0 if abs(x[0] - y[0]) <= 1e-12 else 0.0
            else:
                pvalues[label] = float(ks_2samp(x, y).pvalue)
    return pvalues, correlations


def gaps(n: int, mean_ticks: int, seed: int = 0) -> np.ndarray:
    """Uneven gaps between uses: exponential around ``mean_ticks`` (supply and demand interleave unevenly)."""
    return np.random.default_rng(seed).exponential(mean_ticks, n).astype(np.int64) + 1


#: Per case: the network and its demands as (a, b, uses, mean gap in ticks).
CASE_DEMANDS = {
    "one link": (chain(1, memory={"t1_s": 1.0, "t2_s": 0.01}), [("n0", "n1", 400, 40_000)]),
    "one link, cutoff": (chain(1, memory={"t1_s": 1.0, "t2_s": 0.01, "cutoff_s": 1e-4}), [("n0", "n1", 400, 40_000)]),
    "chain with a swap": (chain(2, memory={"t1_s": 1.0, "t2_s": 0.01}), [("n0", "n2", 300, 60_000)]),
    "dumbbell, shared slow link": (dumbbell(), [("a1", "a2", 150, 300_000), ("b1", "b2", 150, 300_000)]),
}
CASES = {
    case: (topology, [(a, b, gaps(n, mean, j)) for j, (a, b, n, mean) in enumerate(demands)])
    for case, (topology, demands) in CASE_DEMANDS.items()
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_timeline_and_the_event_path_agree_in_distribution(case: str) -> None:
    topology, specs = CASES[case]
    pvalues, _ = agreement(topology, lambda _: specs, seeds=[1])
    assert len(pvalues) == 3 * len(specs)
    assert min(pvalues.values()) > 0.01, pvalues


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_the_timeline_and_the_event_path_agree_over_thousands_of_pairs(case: str) -> None:
    topology, demands = CASE_DEMANDS[case]
    # 16 runs of 1600 uses per demand, each with its own random gaps (the same on both paths), every 25th use:
    # 1024 nearly independent uses a side (the lag-25 autocorrelation is checked)

    def specs_of(seed: int) -> list[Spec]:
        return [(a, b, gaps(1600, mean, 100 * seed + j)) for j, (a, b, _, mean) in enumerate(demands)]

    pvalues, correlations = agreement(topology, specs_of, seeds=list(range(1, 17)), thin=25)
    assert max(abs(r) for r in correlations.values()) < 0.1, correlations  # the pooled uses are nearly independent
    assert len(pvalues) == 3 * len(demands)
    assert min(pvalues.values()) > 0.01, pvalues


def test_the_dumbbells_groups_share_the_slow_links_rate() -> None:
    topology, specs = CASES["dumbbell, shared slow link"]
    both = by_timeline(topology, specs, 3)
    alone = by_timeline(topology, specs[:1], 3)
    end = max(int(r["end"][-1]) for r in both)
    # the slow link (2 kHz source, 5 km: p/T per attempt) delivers at most its rate to both groups together
    net = Network(topology, 1)
    link = net.quantum_links["s1-s2"]
    rate_hz = link.success_probability / (link.period_ticks * 1e-9)
    pairs = sum(len(r["end"]) for r in both)
    assert pairs / (end * 1e-9) <= rate_hz * 1.1
    assert int(both[0]["end"][-1]) > int(alone[0]["end"][-1])  # sharing slows group a


def test_single_link_rate_matches_the_closed_form() -> None:
    topology = chain(1, rate_hz=2e4, qubits=100)
    net = Network(topology, 5)
    timeline = PairTimeline.of(net)
    n = 20_000
    d = Demand("d", [timeline.path("n0", "n1")], np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), 0, 0)
    outcome = timeline.schedule.run([d])[0]
    link = net.quantum_links["n0-n1"]
    p, period_s = link.success_probability, link.period_ticks * 1e-9
    # each pair: a geometric number of attempts one period apart (the herald within it): mean T/p, sd T·sqrt(1-p)/p
    duration_s = (int(outcome.consumed[-1]) - link.herald_ticks + link.period_ticks) * 1e-9
    expected = n * period_s / p
    assert abs(duration_s - expected) < 4 * period_s * np.sqrt(n * (1 - p)) / p


def test_same_seed_same_schedule_and_pairs_are_drawn_by_number() -> None:
    topology, specs = CASES["chain with a swap"]
    one, two = by_timeline(topology, specs, 4), by_timeline(topology, specs, 4)
    for key in ("wait", "age", "fidelity"):
        np.testing.assert_array_equal(one[0][key], two[0][key])
    # a demand cut in two submissions gets the same pairs as in one (draws indexed by pair number)
    net = Network(topology, 4)
    timeline = PairTimeline.of(net)
    path = timeline.path("n0", "n2")
    g = specs[0][2]
    first = timeline.schedule.run([Demand("d", [path], np.zeros(150, dtype=np.int64), g[:150], 0, 0)])[0]
    start = int(first.consumed[-1])
    second = timeline.schedule.run([Demand("d", [path], np.zeros(150, dtype=np.int64), g[150:], 0, start)])[0]
    whole = by_timeline(topology, specs, 4)[0]
    np.testing.assert_array_equal(np.concatenate([first.consumed, second.consumed]), whole["end"])


def test_a_link_is_driven_by_the_timeline_or_the_event_path_never_both() -> None:
    net = Network(chain(1), 1)
    PairTimeline.of(net).path("n0", "n1")
    with pytest.raises(ProtocolError, match="driven by the pair timeline"):
        request_pairs(net, "n0", "n1", 1)
    other = Network(chain(1), 1)
    request_pairs(other, "n0", "n1", 1)
    with pytest.raises(ProtocolError, match="event path"):
        PairTimeline.of(other).path("n0", "n1")


def test_one_qubit_budget_data_and_pairs_never_exceed_the_qubits() -> None:
    net = Network(chain(1, qubits=4), 1, memory_split="per_link")
    net.reserve_data_qubits("n0", 3)
    assert net.nodes["n0"].memory.budget == 1 and net.shares[("n0", "n0-n1")].quota == 1
    with pytest.raises(ResourceExhausted, match="do not fit"):
        net.reserve_data_qubits("n0", 2)
    net.reserve_data_qubits("n1", 4)  # every qubit holds data: pairs on the link can never be made
    with pytest.raises(
        ResourceExhausted, match="free qubit at 'n1' that never comes: it has 4 qubits, 4 of them holding data"
    ):
        PairTimeline.of(net).path("n0", "n1")


def test_one_communication_qubit_is_slow_but_never_stalls_for_good() -> None:
    net = Network(chain(2, qubits=3), 2, memory_split="per_link")
    for node in ("n0", "n2"):
        net.reserve_data_qubits(node, 2)  # one qubit left for pairs at each end
    timeline = PairTimeline.of(net)
    d = Demand("d", [timeline.path("n0", "n2")], np.zeros(500, dtype=np.int64), np.full(500, 1000), 0, 0)
    outcome = timeline.schedule.run([d])[0]
    assert outcome.stall_ticks > 0 and np.all(np.diff(outcome.consumed) > 0)


def _staggered(contention: str, second_start: int) -> tuple[list, list]:
    """Groups a and b share the dumbbell's slow link; b's step starts ``second_start`` ticks after a's."""
    topology, specs = CASES["dumbbell, shared slow link"]
    net = Network(topology, 6)
    timeline = PairTimeline.of(net, contention)  # type: ignore[arg-type]
    gaps = np.full(120, 2_000_000)  # a use every 2 ms: one group alone nearly keeps up, two cannot
    outcomes: dict[str, Any] = {}

    def group(name: str, a: str, b: str, start: int) -> Generator[simpy.Event, Any, None]:
        yield net.env.timeout(start)
        d = Demand(name, [timeline.path(a, b)], np.zeros(len(gaps), np.int64), gaps, 0, net.now)
        outcomes[name] = yield timeline.submit(d)
        assert net.now == outcomes[name].end_tick  # the step's event fires when its last use is done

    net.env.process(group("a", "a1", "a2", 0))
    net.env.process(group("b", "b1", "b2", second_start))
    net.env.run()
    alone = Network(topology, 6)
    lone = PairTimeline.of(alone, contention)  # type: ignore[arg-type]
    only_a = lone.schedule.run([Demand("a", [lone.path("a1", "a2")], np.zeros(len(gaps), np.int64), gaps, 0, 0)])[0]
    return [outcomes["a"], outcomes["b"]], [only_a]


@pytest.mark.parametrize("contention", ["fcfs", "round_robin"])
def test_a_step_under_way_slows_down_when_another_group_starts_on_its_link(contention: str) -> None:
    (a, b), (only_a,) = _staggered(contention, 30_000_000)
    # a's first uses, due before b arrived, are exactly what a alone got; a's step then ends later
    first = a.need <= 30_000_000
    np.testing.assert_array_equal(a.consumed[first][:-1], only_a.consumed[first][:-1])
    assert a.end_tick > only_a.end_tick and b.end_tick > b.demand.start_tick + int(b.demand.gaps.sum())
    # while both are active the slow link alternates between them (FCFS by due time: same gaps, same pace)
    both = (a.consumed > b.demand.start_tick) & (a.consumed < min(a.end_tick, b.end_tick))
    a_times, b_times = (
        a.consumed[both],
        b.consumed[(b.consumed > a.consumed[both].min()) & (b.consumed < a.consumed[both].max())],
    )
    merged = np.sort(np.concatenate([a_times, b_times]))
    owner = np.isin(merged, a_times).astype(int)
    assert len(merged) > 20 and np.mean(np.abs(np.diff(owner))) > 0.8  # they take turns, not blocks


def test_a_memory_whose_decay_the_timeline_cannot_hold_is_named_before_the_run() -> None:
    dephasing = {"channel": {"collapse": [[[10.0, 0.0], [0.0, -10.0]]]}}  # a Pauli user channel: Bell-diagonal path
    net = Network(chain(1, memory=dephasing), 1)
    with pytest.raises(ProtocolError, match="node 'n0': the pair timeline cannot hold pairs in its memory"):
        PairTimeline.of(net).path("n0", "n1")
    asked = Network(chain(1, memory={"t1_s": 1.0, "t2_s": 0.01}), 1, pair_model="density_matrix")
    with pytest.raises(ProtocolError, match="asked to take the 'density_matrix' path"):
        PairTimeline.of(asked)


def test_a_recycled_outcome_lends_its_arrays_and_changes_nothing() -> None:
    """Demand.recycle: the next demand of a stream writes into the arrays of an outcome its caller is done with;
    the schedule is the one fresh arrays give (each row overwritten), and a misfit outcome is not used."""
    gaps = np.random.default_rng(4).exponential(30_000, 300).astype(np.int64) + 1
    runs = []
    for recycle in (False, True):
        net = Network(chain(2, memory={"t1_s": 1.0, "t2_s": 0.05}), 7)
        timeline = PairTimeline.of(net)
        paths = [timeline.path("n0", "n2"), timeline.path("n0", "n1")]
        keys = np.arange(300) % 2
        first = timeline.schedule.run([Demand("s", paths, keys, gaps, 0, 0)])[0]
        lent = (first.need, first.consumed, first.swap_end, first.heralds)
        expected = [a.copy() for a in lent]
        d = Demand("s", paths, keys[::-1].copy(), gaps, 0, int(first.end_tick))
        if recycle:
            d.recycle = first
        second = timeline.schedule.run([d])[0]
        got = (second.need, second.consumed, second.swap_end, second.heralds)
        assert all((g is a) == recycle for g, a in zip(got, lent, strict=True))
        assert d.recycle is None  # the schedule let go of the old outcome
        runs.append([a.copy() for a in got])
        if not recycle:
            for a, b in zip(lent, expected, strict=True):
                np.testing.assert_array_equal(a, b)
    for fresh, reused in zip(*runs, strict=True):
        np.testing.assert_array_equal(fresh, reused)
    misfit = Demand("s", paths, keys[:100], gaps[:100], 0, int(second.end_tick), recycle=second)
    third = timeline.schedule.run([misfit])[0]
    assert third.need is not second.need and len(third.need) == 100
