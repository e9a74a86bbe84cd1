"""Purification on the pair timeline: the recurrence's draws against its success probability, the rounds' states
against the protocols' closed forms and the memory physics, and the pairs a purified use costs on a link."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.net import Network
from qnet_dqnn.net.timeline import Demand, IndexedDraws, PairTimeline
from qnet_dqnn.net.timeline.purify import (
    RecurrencePlan,
    decohere,
    expand,
    fresh_coefficients,
    purified_states,
    recurrence_plan,
    round_probabilities,
)
from qnet_dqnn.net.timeline.states import decay_rates
from qnet_dqnn.physics import MemoryModel, decohere_pair
from qnet_dqnn.physics.purification import dejmps
from qnet_dqnn.topology import topology_from_data

GATES = {"one_qubit_time_s": 1e-6, "two_qubit_time_s": 5e-6, "measurement_time_s": 5e-6}


def werner(f: float) -> np.ndarray:
    return np.array([f, (1 - f) / 3, (1 - f) / 3, (1 - f) / 3])


def bbpssw_published(f: float) -> tuple[float, float]:
    """Bennett et al., PRL 76, 722 (1996), Eq. (2)-(3): success probability and output fidelity of two Werner
    pairs of fidelity F."""
    p = f**2 + 2 * f * (1 - f) / 3 + 5 * (1 - f) ** 2 / 9
    return p, (f**2 + (1 - f) ** 2 / 9) / p


def link(rate_hz: float = 2e4, fidelity: float = 0.9, memory: dict | None = None) -> Network:
    nodes = [{"name": n, "qubits": 200, "gates": GATES, "memory": memory or {}} for n in ("a", "b")]
    quantum = {"source_rate_hz": rate_hz, "source_fidelity": fidelity}
    links = [{"between": ["a", "b"], "length_km": 5.0, "quantum": quantum}]
    return Network(topology_from_data({"name": "one", "nodes": nodes, "links": links}), 2)


@pytest.mark.parametrize("rounds", [1, 2])
def test_the_recurrence_succeeds_at_its_probability_and_costs_two_pairs_per_attempt(rounds: int) -> None:
    p = np.array([0.6, 0.8])[:rounds]
    uses = 4000
    plan = recurrence_plan(np.tile(p, (uses, 1)), IndexedDraws(np.random.default_rng(1)), 0)
    for level in range(rounds):  # measured success frequency within 4 binomial standard errors
        n = plan.attempts[level]
        assert abs(plan.successes[level] / n - p[level]) < 4 * np.sqrt(p[level] * (1 - p[level]) / n)
    assert plan.successes[-1] == uses  # every use ends with one success at the top level
    assert int(plan.rounds.sum()) == int(plan.attempts.sum())  # per use and per level: the same rounds
    assert int(plan.wins.sum()) == int(plan.successes.sum())
    assert plan.rounds.min() >= 2**rounds - 1  # a tree of 2^k leaves takes 2^k - 1 successful rounds
    # a round takes two pairs of the level below: the pairs consumed are twice the level-0 attempts
    assert int(plan.counts.sum()) == 2 * int(plan.attempts[0])
    # Dür & Briegel (2007), Sec. 5.2: E_k = 2 E_(k-1) / p_k pairs per output
    expected = 2**rounds / np.prod(p)
    assert plan.counts.min() >= 2**rounds
    assert plan.counts.mean() == pytest.approx(expected, rel=4 * plan.counts.std() / expected / np.sqrt(uses))
    # the output's pairs: 2^k of the use's own, in order, the last one the last pair consumed
    assert np.all(np.diff(plan.leaves, axis=1) > 0) and np.all(plan.leaves[:, -1] == plan.counts - 1)


def test_draws_are_by_use_number_same_seed_same_plan() -> None:
    p = np.full((300, 2), 0.7)
    whole = recurrence_plan(p, IndexedDraws(np.random.default_rng(4)), 0)
    draws = IndexedDraws(np.random.default_rng(4))
    parts = [recurrence_plan(p[:100], draws, 0), recurrence_plan(p[100:], draws, 100)]
    np.testing.assert_array_equal(np.concatenate([q.counts for q in parts]), whole.counts)
    np.testing.assert_array_equal(np.concatenate([q.leaves for q in parts]), whole.leaves)
    other = recurrence_plan(p, IndexedDraws(np.random.default_rng(5)), 0)
    assert not np.array_equal(other.counts, whole.counts)


def test_one_round_on_werner_pairs_is_bbpssws_closed_form_and_memory_decay_is_the_physics() -> None:
    f = 0.9
    plan = RecurrencePlan(
        np.array([2, 3]), np.array([[0, 1], [0, 2]]), np.array([3]), np.array([2]), np.array([1, 2]), np.array([1, 1])
    )
    coefficients, consumed = np.tile(werner(f), (5, 1)), np.array([10, 10, 0, 0, 0])
    none = np.zeros((2, 3))
    out, ready, probs = purified_states(coefficients, consumed, plan, np.array([7, 7]), none, none, "bbpssw")
    p, f1 = bbpssw_published(f)
    np.testing.assert_allclose(out[:, 0], f1, atol=1e-14)
    assert probs[0] == pytest.approx(p, abs=1e-14) and list(ready) == [17, 7]
    # with T1/T2 memories: the pair that came first waits for its partner, the output for the exchange
    memory = MemoryModel(t1_s=2e-3, t2_s=1e-3)
    rxy, rz, shift = decay_rates(memory)
    rates = np.array([[rxy * 1e-9, rz * 1e-9, shift]])
    one = RecurrencePlan(np.array([2]), np.array([[0, 1]]), np.array([1]), np.array([1]), np.array([1]), np.array([1]))
    a, b = werner(0.95), np.array([0.9, 0.05, 0.03, 0.02])
    got, _, _ = purified_states(
        np.array([a, b]), np.array([0, 400_000]), one, np.array([100_000]), rates, rates, "dejmps"
    )
    waited = decohere_pair(a, memory.bloch_factors(4e-4), memory.bloch_factors(4e-4))
    kept = dejmps(waited, b).coefficients
    want = decohere_pair(kept, memory.bloch_factors(1e-4), memory.bloch_factors(1e-4))
    np.testing.assert_allclose(got[0], want, atol=1e-12)
    np.testing.assert_allclose(decohere(a, 0, 0, rates[0], rates[0]), a, atol=1e-15)


def test_a_purified_use_costs_its_pairs_at_the_links_rate() -> None:
    """On a pair-limited link, k rounds cut the pairs served per second by 2^k/Π p at least (each output takes
    ≥ 2^k pairs; in the mean 2^k/Π p_i): the expanded demand takes as long as its pairs at the link's pace."""
    net = link()
    timeline = PairTimeline.of(net)
    path = timeline.path("a", "b")
    uses, rounds = 3000, 2
    fresh = fresh_coefficients(timeline.schedule, timeline.schedule.path_index[path.key])
    probs = round_probabilities(fresh, "bbpssw", rounds)
    assert fresh[0] == pytest.approx(0.9, abs=1e-3) and probs[0] == pytest.approx(bbpssw_published(fresh[0])[0])
    plan = recurrence_plan(np.tile(probs, (uses, 1)), IndexedDraws(np.random.default_rng(3)), 0)
    plain = Demand("d", [path], np.zeros(uses, np.int64), np.zeros(uses, np.int64), 0, 0)
    outcome = timeline.schedule.run([expand(plain, plan.counts)])[0]
    span_s = int(outcome.consumed[-1]) * 1e-9
    q = net.quantum_links["a-b"]
    pairs = int(plan.counts.sum())
    assert outcome.demand.uses == pairs and timeline.schedule.link_counts("a-b")["consumed"] == pairs
    served_hz, link_hz = uses / span_s, q.success_probability / (q.period_ticks * 1e-9)
    assert served_hz <= link_hz * np.prod(probs) / 2**rounds * 1.1
    assert served_hz == pytest.approx(link_hz * uses / pairs, rel=0.05)
