"""Soak: 100 000 pair generations with the trace off, and memory use that stays flat.

One quantum link with T1/T2 memories and a cutoff runs until it has delivered 100 000 pairs. Half the pairs
are consumed on delivery, the other half are left in memory until the cutoff discards them, so both ways
out of a memory are exercised. Memory is measured in two tracemalloc windows of 10 000 pairs, one right
after a 20 000-pair warm-up and one ending at 100 000 (tracing all the way would make the test five times
slower): what each window leaves alive must stay within a few tens of kilobytes and the two peaks must
agree, and Python's allocated-block count from the warm-up to the end must not grow. Nothing may be kept
per pair: no pair objects, ledger rows, trace entries, pending events or waiters piling up.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections import deque
from collections.abc import Generator
from typing import Any

import simpy

from qnet_dqnn.net import Network, Pair
from qnet_dqnn.topology import topology_from_data
from qnet_dqnn.units import to_ticks

WARM_UP_PAIRS = 20_000
TOTAL_PAIRS = 100_000
#: Pairs per tracemalloc window (one right after the warm-up, one ending at TOTAL_PAIRS).
WINDOW_PAIRS = 10_000
#: Live memory a window may leave behind, and how far the two windows' peaks may differ (in bytes).
BOUND_BYTES = 64 * 1024
#: Growth allowed in Python's allocated blocks from the warm-up to the end (objects, all sizes).
BOUND_BLOCKS = 1_000

TOPOLOGY = {
    "name": "soak",
    "defaults": {
        "node": {"kind": "qpu", "qubits": 4, "memory": {"t1_s": 1.0, "t2_s": 0.5, "cutoff_s": 2.0e-5}},
    },
    "nodes": [{"name": "a"}, {"name": "b"}],
    "links": [
        {
            "between": ["a", "b"],
            "length_km": 1.0,
            "quantum": {"source_rate_hz": 1.0e7, "source_fidelity": 0.95, "bsm_success_probability": 0.9},
        }
    ],
}


def _measure() -> dict[str, int]:
    """Run the soak; return the ledger's counts and the memory figures."""
    net = Network.from_topology(topology_from_data(TOPOLOGY), seed=2024, trace=False)
    link = net.quantum_links["a-b"]
    counters = net.ledger.links["a-b"]
    left: deque[Pair] = deque(maxlen=16)  # the latest pairs left to the cutoff (older ones are long gone)

    def consumer() -> Generator[simpy.Event, Any, None]:
        while True:
            pair: Pair = yield link.pairs.get()
            if pair.pair_id % 2 == 0:
                net.consume_pair(pair)
            else:
                left.append(pair)

    def run_until_delivered(n: int) -> None:
        while counters.pairs_delivered < n:
            net.run(net.now + to_ticks(1e-3))

    def traced_window(n: int) -> tuple[int, int]:
        """Trace allocations while generating up to ``n`` pairs: (still alive at the end, peak)."""
        tracemalloc.start()
        try:
            run_until_delivered(n)
            gc.collect()
            return tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    net.env.process(consumer())
    net.start_generation()
    run_until_delivered(WARM_UP_PAIRS)
    gc.collect()
    blocks_warm = sys.getallocatedblocks()
    first_live, first_peak = traced_window(WARM_UP_PAIRS + WINDOW_PAIRS)
    run_until_delivered(TOTAL_PAIRS - WINDOW_PAIRS)
    last_live, last_peak = traced_window(TOTAL_PAIRS)
    blocks_end = sys.getallocatedblocks()
    memories = [node.memory for node in net.nodes.values() if node.memory is not None]
    return {
        "delivered": counters.pairs_delivered,
        "consumed": counters.pairs_consumed,
        "discarded": counters.pairs_discarded,
        "stored": sum(p.is_stored for p in left) + sum(p.is_stored for p in link.pairs.items),
        "qubits_in_use": max(m.in_use for m in memories),
        "capacity": min(m.capacity for m in memories),
        "pending_events": len(net.env._queue),
        "events": net.env.events_processed,
        "trace_events": len(net.trace.events),
        "first_window_live": first_live,
        "first_window_peak": first_peak,
        "last_window_live": last_live,
        "last_window_peak": last_peak,
        "blocks_growth": blocks_end - blocks_warm,
    }


def test_100k_pair_generations_keep_memory_flat() -> None:
    m = _measure()
    print(f"\nsoak: {m}")
    assert m["delivered"] >= TOTAL_PAIRS
    # every pair left the memory exactly once (consumed or discarded) or is still in it: no leak, no double free
    assert m["consumed"] + m["discarded"] + m["stored"] == m["delivered"]
    assert m["consumed"] >= TOTAL_PAIRS // 2 - 1 and m["discarded"] >= TOTAL_PAIRS // 2 - m["capacity"] - 1
    # the stored pairs hold a qubit at each end, plus at most one reserved by the attempt under way
    assert m["stored"] <= m["qubits_in_use"] <= min(m["stored"] + 1, m["capacity"])
    assert m["trace_events"] == 0
    assert m["pending_events"] < 20  # a few timers per stored pair, not one per pair ever made
    assert m["first_window_live"] < BOUND_BYTES and m["last_window_live"] < BOUND_BYTES, m
    assert abs(m["last_window_peak"] - m["first_window_peak"]) < BOUND_BYTES, m
    assert m["blocks_growth"] < BOUND_BLOCKS, m
