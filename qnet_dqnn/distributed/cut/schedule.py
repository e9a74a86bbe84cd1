"""Where and when the cut's runs execute: fragments pinned to workers (feed-forward partners apart), QPU time
with the feed-forward latency, greedy list scheduling, and the per-shot feed-forward messages booked."""

from __future__ import annotations

from dataclasses import dataclass, field

from qnet_dqnn.cutting import (
    CutPlan,
    Run,
)
from qnet_dqnn.errors import QnetError
from qnet_dqnn.net import Network
from qnet_dqnn.net.timeline.paths import classical_delay_ticks
from qnet_dqnn.quantum.shots import QPUTiming, circuit_duration
from qnet_dqnn.units import to_seconds, to_ticks

#: Bits of one fed-forward measurement outcome.
FEEDFORWARD_BITS = 1


@dataclass
class CutSetup:
    """What the strategy fixes before the first step.

    Attributes:
        plan: the cut plan.
        workers: worker QPU names.
        controller: the controller node.
        pins: fragment -> worker for fragments joined by a feed-forward cut (with noise: every fragment).
        partners: ``(feed-forward cut, fragment)`` -> the fragment at the cut's other side.
        timings: worker -> gate timing.
        durations: cache of one shot's duration per (fragment, sub-experiment key, worker) (in s).
    """

    plan: CutPlan
    workers: list[str]
    controller: str
    pins: dict[int, str] = field(default_factory=dict)
    partners: dict[tuple[int, int], int] = field(default_factory=dict)
    timings: dict[str, QPUTiming] = field(default_factory=dict)
    durations: dict[tuple, float] = field(default_factory=dict)


def _pin_all(setup: CutSetup) -> None:
    """Pin every fragment not yet pinned to one worker (least-loaded first), so each carries one worker's noise."""
    load = dict.fromkeys(setup.workers, 0)
    for w in setup.pins.values():
        load[w] += 1
    for f in setup.plan.fragments:
        if f.index not in setup.pins:
            chosen = min(setup.workers, key=lambda w: (load[w], setup.workers.index(w)))
            setup.pins[f.index] = chosen
            load[chosen] += 1


def _pin_feedforward(setup: CutSetup) -> None:
    """Give every fragment on a feed-forward cut its own worker, distinct from its partners' (greedy colouring,
    least-loaded worker first)."""
    plan = setup.plan
    neighbours: dict[int, set[int]] = {}
    for j, (left, right) in enumerate(plan.cut_sides):
        if plan.qpds[j].feedforward:
            setup.partners[(j, left)] = right
            setup.partners[(j, right)] = left
            neighbours.setdefault(left, set()).add(right)
            neighbours.setdefault(right, set()).add(left)
    load = dict.fromkeys(setup.workers, 0)
    for f in sorted(neighbours):
        taken = {setup.pins[g] for g in neighbours[f] if g in setup.pins}
        free = [w for w in setup.workers if w not in taken]
        if not free:
            raise QnetError(f"fragment {f} needs a worker apart from its feed-forward partners; add workers")
        chosen = min(free, key=lambda w: load[w])
        setup.pins[f] = chosen
        load[chosen] += 1


def run_ticks(setup: CutSetup, run: Run, node: str, batch: int, network: Network) -> int:
    """QPU time of ``run`` on ``node`` for ``batch`` inputs (in ticks), feed-forward latency included."""
    key = (run.fragment, run.sub.key, node)
    if key not in setup.durations:
        setup.durations[key] = circuit_duration(run.sub.circuit, setup.timings[node])
    per_shot = setup.durations[key]
    for j in run.sub.feedforward_waits:
        sender = setup.pins[setup.partners[(j, run.fragment)]]
        per_shot += to_seconds(feedforward_latency_ticks(network, sender, node))
    return to_ticks(run.circuits_per_input * batch * run.shots * per_shot)


def feedforward_latency_ticks(network: Network, src: str, dst: str) -> int:
    """One-way delay of a fed-forward outcome from ``src`` to ``dst`` on an idle network (in ticks), as the pair
    timeline times its classical bits (:func:`~qnet_dqnn.net.timeline.paths.classical_delay_ticks`)."""
    return classical_delay_ticks(network, src, dst, FEEDFORWARD_BITS)


def schedule(setup: CutSetup, runs: list[Run], batch: int, network: Network) -> dict[str, list[tuple[Run, int]]]:
    """Assign runs to workers: pinned fragments to their worker, the rest by greedy list scheduling
    (longest first, each to the worker where it finishes earliest; Graham, SIAM J. Appl. Math. 17, 416 (1969)).

    Returns:
        worker -> ``[(run, ticks)]`` (only workers with work).
    """
    finish = dict.fromkeys(setup.workers, 0)
    out: dict[str, list[tuple[Run, int]]] = {}
    free: list[tuple[int, int, Run]] = []
    for i, run in enumerate(runs):
        if run.fragment in setup.pins:
            node = setup.pins[run.fragment]
            ticks = run_ticks(setup, run, node, batch, network)
            finish[node] += ticks
            out.setdefault(node, []).append((run, ticks))
        else:
            ref = min(run_ticks(setup, run, w, batch, network) for w in setup.workers)
            free.append((-ref, i, run))
    for _, _, run in sorted(free, key=lambda t: (t[0], t[1])):
        costs = {w: run_ticks(setup, run, w, batch, network) for w in setup.workers}
        node = min(setup.workers, key=lambda w: (finish[w] + costs[w], setup.workers.index(w)))
        finish[node] += costs[node]
        out.setdefault(node, []).append((run, costs[node]))
    return {w: out[w] for w in setup.workers if w in out}
