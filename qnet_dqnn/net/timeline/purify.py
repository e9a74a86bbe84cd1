"""Recurrence purification of the pairs a demand consumes: ``k`` rounds of BBPSSW or DEJMPS per use.

A purified use consumes end-to-end pairs of its node pair from the timeline until ``k`` rounds have
succeeded in a row of the recurrence scheme (Bennett et al., PRL 76, 722 (1996); Deutsch et al., PRL 77,
2818 (1996); Dür & Briegel, Rep. Prog. Phys. 70, 1381 (2007), Sec. 5.2): a pair at level ``i`` waits for a
second one at that level, the two go through one round (a bilateral CNOT, the sacrificed pair measured at both
ends, the results exchanged); on success the kept pair moves to level ``i + 1``, on failure both are lost.
The use is served when a pair reaches level ``k``. Purification starts when the shot asks for its pair
(purify on demand: pairs are not purified ahead while they wait in memory).

**Schedule.** Whether a round succeeds is drawn per use and attempt (:class:`~.supply.IndexedDraws`, by
number) before the step is scheduled, so the timeline knows how many pairs each use consumes
(:func:`recurrence_plan`, :func:`expand`); those pairs are consumed one after another in the use's place
(each at ``max(need, delivered)``, as any use). After the last of them, the rounds still open are a chain of
``k`` (the last pair goes through every level), each taking the local operations and the outcome exchange:
``δ = t_2q + t_meas + d``, ``d`` the slower one-way delay of a 1-bit message between the ends (both ends send
their result at once). The purified pair is ready ``k·δ`` after the last pair; the shot plan counts that
time in every purified use.

**States** (:func:`purified_states`). Each consumed pair's state is the timeline's (its own ages, swaps).
The pass then runs the rounds of the pairs that made the output, level by level for every use at once: a pair
waits in memory (both ends' T1/T2 or depolarizing decay, :func:`decohere`) from when it is ready until its
partner is, the round's output is :func:`~qnet_dqnn.physics.purification.purify_many` of the two, and it waits
``δ`` in memory for the outcome exchange.

**What it approximates.** The success draws use each round's probability on the pairs as delivered
(:func:`round_probabilities`: the fresh pair of the path, heralded and swapped at once, purified round by
round), not on each pair's own aged state, which is known only once the step is scheduled: where pairs wait
long in decaying memories the real rounds fail a little more often than drawn. The output state is exact for
the pairs that made it. Local operations are ideal, and the qubits of pairs handed to purification are freed
on the timeline when consumed (the pairs waiting for their partner at a level, and the kept pair during the
exchange, hold no memory qubit there; their decay is counted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.net.timeline.demand import Demand
from qnet_dqnn.net.timeline.schedule import Schedule
from qnet_dqnn.net.timeline.states import decay_rates, pauli_eigenvalues, to_coefficients
from qnet_dqnn.net.timeline.supply import IndexedDraws
from qnet_dqnn.physics.purification import Protocol, purify_many
from qnet_dqnn.units import TICKS_PER_SECOND

#: Draw numbers per use: use ``u``'s ``r``-th round attempt takes draw ``u·STRIDE + r``.
STRIDE = 1 << 20

#: Pauli eigenvalues λ = c @ FROM_BELL.T of Bell coefficients c (linear: :func:`~.states.pauli_eigenvalues`).
FROM_BELL = np.array([pauli_eigenvalues(e) for e in np.eye(4)]).T


def to_eigenvalues(coefficients: NDArray[np.float64]) -> NDArray[np.float64]:
    """λ of rows of Bell coefficients ``(..., 4) -> (..., 3)``."""
    return np.asarray(coefficients, float) @ FROM_BELL.T


def decohere(
    coefficients: NDArray[np.float64],
    wait_a: NDArray[np.int64],
    wait_b: NDArray[np.int64],
    rates_a: NDArray[np.float64],
    rates_b: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Pairs ``(..., 4)`` after their halves waited ``wait_a`` and ``wait_b`` ticks ``(...)`` in memories of
    decay rates ``(rate_xy, rate_z, shift)`` per tick ``(..., 3)`` (:func:`~.states.decay_rates`): the map of
    :func:`~qnet_dqnn.physics.decohere_pair` on the Pauli eigenvalues, as :func:`~.kernel_states._pair_states`
    applies it (both ends at once: the λ form keeps no local Bloch vector, so the ends do not factorise)."""
    lam = to_eigenvalues(coefficients)
    wa, wb = np.asarray(wait_a, float), np.asarray(wait_b, float)
    lxy = np.exp(-(wa * rates_a[..., 0] + wb * rates_b[..., 0]))
    lz_a, lz_b = np.exp(-wa * rates_a[..., 1]), np.exp(-wb * rates_b[..., 1])
    shift = rates_a[..., 2] * (1.0 - lz_a) * rates_b[..., 2] * (1.0 - lz_b)
    lam = np.stack([lam[..., 0] * lxy, lam[..., 1] * lxy, lz_a * lz_b * lam[..., 2] + shift], axis=-1)
    return to_coefficients(lam)


def end_rates(schedule: Schedule, path: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Decay rates per tick ``(rate_xy, rate_z, shift)`` of the memories at the two ends of ``path``."""
    plinks, nlinks, _, _, _, _, pside, _ = schedule.path_arrays()
    first, last = schedule.supplies[plinks[path, 0]], schedule.supplies[plinks[path, nlinks[path] - 1]]
    out = []
    for supply, side in ((first, pside[path, 0]), (last, pside[path, 1])):
        rxy, rz, shift = decay_rates(supply.memory[side])
        out.append(np.array([rxy / TICKS_PER_SECOND, rz / TICKS_PER_SECOND, shift]))
    return out[0], out[1]


def fresh_coefficients(schedule: Schedule, path: int) -> NDArray[np.float64]:
    """Bell coefficients of a pair of ``path`` as delivered: each link's source state decayed for the time its
    halves were stored before the herald, the link pairs swapped at once (the repeaters' BSM channels), as
    :func:`~.kernel_states._pair_states` computes a pair with no wait."""
    plinks, nlinks, preps, _, _, _, _, _ = schedule.path_arrays()
    lam = np.ones(3)
    for x in range(nlinks[path]):
        s = schedule.supplies[plinks[path, x]]
        rates = [decay_rates(m) for m in s.memory]
        rate_a = np.array([rates[0][0] / TICKS_PER_SECOND, rates[0][1] / TICKS_PER_SECOND, rates[0][2]])
        rate_b = np.array([rates[1][0] / TICKS_PER_SECOND, rates[1][1] / TICKS_PER_SECOND, rates[1][2]])
        before = s.stored_before_herald_ticks
        c = decohere(s.initial_state, np.int64(before[0]), np.int64(before[1]), rate_a, rate_b)
        lam = lam * to_eigenvalues(c)
        if x:
            lam = lam * pauli_eigenvalues(schedule.repeaters[preps[path, x]].bsm.pauli_probabilities)
    return to_coefficients(lam)


def round_probabilities(fresh: NDArray[np.float64], protocol: Protocol, rounds: int) -> NDArray[np.float64]:
    """Success probability of each of ``rounds`` rounds of ``protocol`` starting from two ``fresh`` pairs
    (round ``i`` purifies two outputs of round ``i − 1``)."""
    c, out = np.asarray(fresh, float), []
    for _ in range(rounds):
        p, c = purify_many(c, c, protocol)
        out.append(float(p))
    return np.array(out)


@dataclass(frozen=True)
class RecurrencePlan:
    """How the uses of a step are purified.

    Attributes:
        counts: per use, the pairs it consumes.
        leaves: per use, the ``2^k`` pairs (offsets in its block, in order) that make its output.
        attempts: per round level, the rounds tried.
        successes: per round level, the rounds that succeeded.
        rounds: per use, the rounds tried (each exchanges one outcome bit each way between the pair's ends).
        wins: per use, the rounds that succeeded.
    """

    counts: NDArray[np.int64]
    leaves: NDArray[np.int64]
    attempts: NDArray[np.int64]
    successes: NDArray[np.int64]
    rounds: NDArray[np.int64]
    wins: NDArray[np.int64]


def recurrence_plan(probabilities: NDArray[np.float64], draws: IndexedDraws, first: int) -> RecurrencePlan:
    """Draw the rounds of every use (module docstring): ``probabilities[u, i]`` is use ``u``'s success
    probability at level ``i``; the uses are numbered from ``first`` for the draws. All uses advance at once,
    one pair each per pass, its carries through the levels vectorized."""
    probabilities = np.asarray(probabilities, float)
    uses, k = probabilities.shape
    if uses and float(probabilities.min()) <= 0.0:
        raise ValueError("a purification round that can never succeed")
    width = 1 << k
    counts = np.zeros(uses, np.int64)
    tries = np.zeros(uses, np.int64)
    wins = np.zeros(uses, np.int64)
    pending = np.zeros((uses, k), np.bool_)
    trees = np.zeros((uses, k, width), np.int64)  # level i's pending subtree: its first 2^i entries
    leaves = np.zeros((uses, width), np.int64)
    attempts, successes = np.zeros(k, np.int64), np.zeros(k, np.int64)
    active = np.arange(uses)
    while len(active):
        if int(tries[active].max()) >= STRIDE - k:
            raise ValueError(f"a use needed more than {STRIDE} purification rounds")
        cur = np.zeros((len(active), width), np.int64)
        cur[:, 0] = counts[active]
        counts[active] += 1
        carry = np.ones(len(active), np.bool_)
        for level in range(k):
            size = 1 << level
            held = pending[active, level]
            place = carry & ~held
            trees[active[place], level, :size] = cur[place, :size]
            pending[active[place], level] = True
            meet = np.flatnonzero(carry & held)
            rows = active[meet]
            u = draws.at((first + rows) * STRIDE + tries[rows])
            tries[rows] += 1
            ok = u < probabilities[rows, level]
            attempts[level] += len(rows)
            successes[level] += int(ok.sum())
            wins[rows[ok]] += 1  # a use meets at most once per level in a pass: rows are distinct
            pending[rows, level] = False
            cur[meet, size : 2 * size] = cur[meet, :size]
            cur[meet, :size] = trees[rows, level, :size]
            carry = np.zeros(len(active), np.bool_)
            carry[meet[ok]] = True
        leaves[active[carry]] = cur[carry]
        active = active[~carry]
    return RecurrencePlan(counts, leaves, attempts, successes, tries, wins)


def expand(demand: Demand, counts: NDArray[np.int64]) -> Demand:
    """The demand of the pairs behind ``demand``'s uses: use ``u`` becomes ``counts[u]`` uses of its path, the
    first with its gap, the rest due at once (each still waits for its pair)."""
    keys = np.repeat(demand.keys, counts)
    gaps = np.zeros(len(keys), np.int64)
    gaps[block_starts(counts)] = demand.gaps
    return Demand(
        demand.stream,
        demand.paths,
        keys,
        gaps,
        demand.tail_ticks,
        demand.start_tick,
        demand.swap_policy,
        demand.lookahead,
    )


def block_starts(counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """Index of each use's first pair in the expanded demand."""
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if len(counts) else np.zeros(0, np.int64)


def purified_states(
    coefficients: NDArray[np.float64],
    consumed: NDArray[np.int64],
    plan: RecurrencePlan,
    delta_ticks: NDArray[np.int64],
    rates_a: NDArray[np.float64],
    rates_b: NDArray[np.float64],
    protocol: Protocol,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """The purified pair of every use (module docstring).

    Args:
        coefficients: per consumed pair of the expanded demand, its Bell coefficients when consumed.
        consumed: per consumed pair, when.
        plan: the uses' :class:`RecurrencePlan`.
        delta_ticks: per use, one round's local operations and outcome exchange.
        rates_a, rates_b: per use, its ends' memory decay rates per tick ``(rate_xy, rate_z, shift)``.
        protocol: ``bbpssw`` or ``dejmps``.

    Value: per use, the output's Bell coefficients, when it is ready, and per round level the mean success
    probability of the rounds that made the outputs on their own inputs.
    """
    uses, width = plan.leaves.shape
    if not uses:
        return np.zeros((0, 4)), np.zeros(0, np.int64), np.zeros(0)
    idx = block_starts(plan.counts)[:, None] + plan.leaves
    c, t = coefficients[idx], consumed[idx]
    ra, rb, delta = rates_a[:, None, :], rates_b[:, None, :], np.asarray(delta_ticks, np.int64)[:, None]
    probabilities = []
    while c.shape[1] > 1:
        ta, tb = t[:, 0::2], t[:, 1::2]
        start = np.maximum(ta, tb)
        a = decohere(c[:, 0::2], start - ta, start - ta, ra, rb)
        b = decohere(c[:, 1::2], start - tb, start - tb, ra, rb)
        p, out = purify_many(a, b, protocol)
        probabilities.append(float(p.mean()))
        wait = np.broadcast_to(delta, start.shape)
        c, t = decohere(out, wait, wait, ra, rb), start + delta
    return c[:, 0], t[:, 0], np.array(probabilities)
