"""The pipeline's pairs on the network's pair timeline: every shot's ``n`` pairs at every stage boundary.

One step is one :class:`~qnet_dqnn.net.timeline.Demand` (:func:`boundary_demand`): shot ``k`` reaches boundary
``s`` at ``offset_s + k·P`` (``offset_s`` the time the first shot reaches it — the stages' gates up to it and
the earlier boundaries' messages — and ``P`` the compute-bound shot period of :func:`~.plan.pipeline_timing`)
and then needs ``n`` end-to-end pairs between the boundary's two nodes, one per qubit it teleports. The uses of
all boundaries are merged in order of need, so boundaries that share a link compete for it on the timeline
(its contention policy) and a boundary whose link is slow holds the pipeline: as in an in-order instruction
pipeline, a stall at one boundary delays every shot behind it, at every boundary (Hennessy & Patterson,
*Computer Architecture: A Quantitative Approach*, 5th ed. 2012, App. C.2, "pipeline hazards": a stalled stage
holds the ones before it). The step ends at its last use plus the rest of the last shot's latency.

What the timeline gives back (:func:`boundary_pairs`): per boundary the mean Bell coefficients of the pairs
when used (each pair's own age and memory decay; the teleport channel is linear in them, so the mean channel is
the channel of the mean state), the shots' wait for pairs, and the pace at which the boundary passed them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qnet_dqnn.net.timeline import Demand, Outcome, PairTimeline


@dataclass(frozen=True)
class BoundaryPairs:
    """What one step's pairs at a boundary gave.

    Attributes:
        coefficients: mean Bell coefficients of the consumed pairs, the sender's half first (None: no shot).
        wait_ticks: the shots' wait for this boundary's pairs (their stalls, ticks).
        period_ticks: mean time between consecutive shots passing the boundary (0 for one shot).
    """

    coefficients: NDArray[np.float64] | None
    wait_ticks: int
    period_ticks: float


def boundary_demand(
    timeline: PairTimeline,
    name: str,
    boundaries: list[tuple[str, str]],
    qubits: int,
    shots: int,
    offsets_ticks: list[int],
    period_ticks: int,
    latency_ticks: int,
    start_tick: int,
) -> tuple[Demand, NDArray[np.int64]]:
    """The step's demand (module docstring) and, per use, the boundary it serves.

    Args:
        timeline: the network's pair timeline (the boundaries' paths are claimed on it).
        name: the demand's stream name.
        boundaries: per boundary, (sending node, receiving node).
        qubits: pairs a shot consumes at each boundary.
        shots: shots of the step.
        offsets_ticks: per boundary, when the first shot needs its pairs there (from the step's start).
        period_ticks: the compute-bound time between shots entering the pipeline.
        latency_ticks: one shot's time through the whole pipeline.
        start_tick: the step's start (now).
    """
    paths = [timeline.path(a, b) for a, b in boundaries]
    offsets = np.asarray(offsets_ticks, dtype=np.int64)
    needs = offsets[None, :] + period_ticks * np.arange(shots, dtype=np.int64)[:, None]  # (shot, boundary)
    which = np.broadcast_to(np.arange(len(boundaries), dtype=np.int64), needs.shape)
    needs, which = np.repeat(needs.ravel(), qubits), np.repeat(which.ravel(), qubits)
    order = np.argsort(needs, kind="stable")  # by need; a tie goes to the older shot
    needs, which = needs[order], which[order]
    gaps = np.diff(needs, prepend=0)
    last = int(needs[-1]) if len(needs) else 0
    tail = latency_ticks + period_ticks * max(shots - 1, 0) - last
    return Demand(name, paths, which, gaps, max(tail, 0), start_tick), which


def boundary_pairs(
    timeline: PairTimeline, outcome: Outcome, which: NDArray[np.int64], count: int, qubits: int
) -> list[BoundaryPairs]:
    """Per boundary (``which`` from :func:`boundary_demand`, ``count`` boundaries, ``qubits`` uses per shot at
    each), what its pairs gave; the consumed pairs' ages and fidelities go into the ledger
    (:meth:`PairTimeline.states`)."""
    states = timeline.states(outcome, per_use=True)
    stalls = outcome.stalls
    out = []
    for s in range(count):
        mine = which == s
        if not mine.any():
            out.append(BoundaryPairs(None, 0, 0.0))
            continue
        passed = outcome.consumed[mine][qubits - 1 :: qubits]  # when each shot had its last pair there
        period = (int(passed[-1]) - int(passed[0])) / (len(passed) - 1) if len(passed) > 1 else 0.0
        out.append(BoundaryPairs(states.coefficients[mine].mean(axis=0), int(stalls[mine].sum()), period))
    return out
