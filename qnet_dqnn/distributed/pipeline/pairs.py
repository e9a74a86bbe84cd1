"""The pipeline's pair accounting: a step's pairs at every stage boundary, charged in bulk from a sample.

One entry point, :func:`charge_boundary_pairs`: per step and boundary a representative sample of ``sample``
pairs is requested from the entanglement service (:func:`~qnet_dqnn.net.entanglement.request_pairs`, all
boundaries at once, so boundaries that share links compete), each held in memory for one compute-bound shot
period and consumed. Their time sets the boundary's pair period (``n × time / sample``) and their mean Bell
coefficients, in their state when used, the teleport channel; the rest of the step's ``uses`` are booked by
scaling what the sample moved (attempts, link and end-to-end pairs, swaps and their notices). Pairs the links
store while the step's bulk runs are discarded as ``stale`` when it ends (:meth:`BoundaryPairs.end_step`): on
hardware the shots would have used them as they came.

This is the representative-batch approximation the coherent split's event path used. It is kept here, apart
from the pipeline's algorithm, so that it can be replaced by the exact pair timeline (one demand of ``n`` uses
per shot at each boundary) without touching :mod:`~.strategy`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from qnet_dqnn.net import Network
from qnet_dqnn.net.entanglement import oriented, request_pairs
from qnet_dqnn.physics.density import bell_coefficients
from qnet_dqnn.units import to_seconds

_SCALED = {
    "link": ("messages", "bits", "attempts", "memory_wait_ticks"),
    "node": ("messages_sent", "messages_received", "swaps", "swaps_failed"),
    "path": (),
}
#: Counted per pair consumed: every extra pair consumed was delivered too (so no count of held pairs changes).
_PAIRS = {"link": ("pairs_consumed", "pairs_delivered"), "path": ("e2e_pairs_consumed", "e2e_pairs_delivered")}


@dataclass(frozen=True)
class BoundaryPairs:
    """What one step's pairs at a boundary gave: the mean Bell coefficients of the pairs when used (``None``: none
    arrived) and the time the boundary needs to make one shot's ``n`` pairs (s)."""

    coefficients: np.ndarray | None
    period_s: float


def charge_boundary_pairs(
    network: Network,
    boundaries: list[tuple[str, str]],
    qubits: int,
    shots: int,
    sample: int,
    hold_ticks: int,
) -> Generator[simpy.Event, Any, list[BoundaryPairs]]:
    """Process: the pairs of ``shots`` shots, ``qubits`` per shot at every boundary, from a sample of ``sample``
    pairs per boundary (each held ``hold_ticks``), the rest booked by scaling. Value: per boundary, what its pairs
    gave. Call :func:`discard_stale` with the same ``hold_ticks`` when the step ends."""
    env = network.env
    before = _counters(network)
    samples: list[list[np.ndarray]] = [[] for _ in boundaries]
    procs = [
        env.process(_sample_pairs(network, a, b, sample, hold_ticks, out))
        for (a, b), out in zip(boundaries, samples, strict=True)
    ]
    took = yield env.all_of(procs)
    _book_scaled(network, before, shots * qubits / sample - 1.0)
    return [
        BoundaryPairs(
            np.mean(out, axis=0) if out else None,
            qubits * to_seconds(took[proc]) / max(len(out), 1),
        )
        for proc, out in zip(procs, samples, strict=True)
    ]


def discard_stale(network: Network, links: list[str], max_age_ticks: int) -> int:
    """Discard the pairs stored on ``links`` longer than ``max_age_ticks`` (reason ``stale``). While a step's bulk
    is charged as one timeout the links keep filling their memories; on hardware the step's shots would have used
    those pairs as they came, so kept they would enter the next step's sample with a whole step of memory decay
    (the coherent split's event path does the same). Value: the pairs discarded."""
    now, dropped = network.now, 0
    for name in links:
        link = network.quantum_links[name]
        for pair in [p for p in link.pairs.items if now - min(p.stored_since) > max_age_ticks]:
            link.pairs.items.remove(pair)
            network.discard_pair(pair, "stale")
            dropped += 1
    return dropped


def _sample_pairs(
    network: Network, a: str, b: str, count: int, hold_ticks: int, out: list[np.ndarray]
) -> Generator[simpy.Event, Any, int]:
    """Process: ``count`` pairs between ``a`` and ``b``, each held ``hold_ticks`` then consumed (its Bell
    coefficients, ``a``'s half first, into ``out``). Value: the ticks it took."""
    start, env = network.now, network.env
    store = simpy.Store(env)
    request = request_pairs(network, a, b, count, deliver_to=store)

    def use(pair: Any) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(hold_ticks)
        if pair.is_stored:
            state = oriented(network.consume_pair(pair), pair, a)
            out.append(bell_coefficients(state) if np.shape(state) == (4, 4) else np.asarray(state, dtype=float))

    users = []
    while len(users) < count:
        pair = yield store.get()
        users.append(env.process(use(pair)))
    yield request
    yield env.all_of(users)
    return network.now - start


def _tables(network: Network) -> dict[str, dict[str, Any]]:
    return {"link": network.ledger.links, "node": network.ledger.nodes, "path": network.ledger.paths}


def _counters(network: Network) -> dict[tuple[str, str, str], int]:
    fields = {kind: (*_SCALED[kind], *_PAIRS.get(kind, ())[:1]) for kind in _SCALED}
    return {
        (kind, name, f): getattr(c, f)
        for kind, table in _tables(network).items()
        for name, c in table.items()
        for f in fields[kind]
    }


def _book_scaled(network: Network, before: dict[tuple[str, str, str], int], factor: float) -> None:
    """Add ``factor ×`` what happened since ``before`` (the sample stands for ``1 + factor`` times itself);
    pairs consumed are scaled, and as many pairs delivered added."""
    tables = _tables(network)
    for (kind, name, f), now in _counters(network).items():
        diff = now - before.get((kind, name, f), 0)
        if diff <= 0:
            continue
        counters = tables[kind][name]
        extra = round(diff * factor)
        for field in _PAIRS[kind] if f in _PAIRS.get(kind, ()) else (f,):
            setattr(counters, field, getattr(counters, field) + extra)
