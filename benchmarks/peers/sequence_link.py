"""Peer benchmark: one heralded link in SeQUeNCe (Barrett-Kok over a midpoint BSM node).

Run with the SeQUeNCe venv's python (never the project's), e.g.::

    benchmarks/.venvs/sequence/bin/python benchmarks/peers/sequence_link.py --pairs 100 --seed 0

What it measures: wall time (time.perf_counter) of building and running a SeQUeNCe simulation that
delivers N entangled pairs between two quantum routers 10 km apart, plus the simulated time this took.

Job: routers ``alice``/``bob`` with quantum memories (2 kHz, efficiency 0.75, raw fidelity 0.935,
infinite coherence), a BSM node halfway (two detectors, efficiency 0.8, no dark counts), 2 x 5 km fiber
at 0.2 dB/km, classical delays equal to the fiber propagation time (5 us/km, no extra processing
delay). Entanglement is requested through SeQUeNCe's own stack (RouterNetTopo, RequestApp, reservation,
rules, BarretKokA/B, the SeQUeNCe 0.8.x default generation protocol, ket-vector formalism). The run
stops at the N-th pair delivered to alice's app; ``sim_time_s`` counts from the reservation start.

Prints one JSON line: peer, version, pairs_delivered, wall_s, sim_time_s, rate_hz, mean_fidelity
(the pair fidelity SeQUeNCe reports, MemoryInfo.fidelity), plus diagnostics: attempts (Barrett-Kok
attempts started by alice), p_attempt (pairs / attempts) and attempt_period_s (sim_time_s / attempts).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from importlib.metadata import version
from typing import Any

from sequence.app.request_app import RequestApp
from sequence.entanglement_management.generation import BarretKokA
from sequence.resource_management.memory_manager import MemoryInfo
from sequence.topology.router_net_topo import RouterNetTopo

PS_PER_S = 1e12
LIGHT_SPEED_M_PER_PS = 2e-4  # SeQUeNCe's SPEED_OF_LIGHT in fiber (2e8 m/s)

LINK_M = 10_000.0
ATTENUATION_DB_PER_M = 0.2e-3  # 0.2 dB/km
MEMORY = {"frequency": 2e3, "efficiency": 0.75, "fidelity": 0.935, "coherence_time": -1}
DETECTOR = {"efficiency": 0.8, "dark_count": 0, "time_resolution": 150, "count_rate": 25e6}
REQUEST_START_PS = int(1e9)  # 1 ms: leaves time for the reservation round trip (100 us)
TARGET_FIDELITY = 0.5  # below the raw fidelity, so no purification is ever triggered


def topology_config(seed: int, memories: int) -> dict[str, Any]:
    """RouterNetTopo JSON config: alice -- 5 km -- BSM -- 5 km -- bob."""
    half = LINK_M / 2
    cc = [("alice", "bsm", half), ("bob", "bsm", half), ("alice", "bob", LINK_M)]
    router = {"type": "QuantumRouter", "memo_size": memories, "template": "router"}
    return {
        "templates": {
            "router": {"MemoryArray": MEMORY},
            "bsm": {"SingleAtomBSM": {"detectors": [DETECTOR, DETECTOR]}},
        },
        "nodes": [
            {"name": "alice", "seed": seed, **router},
            {"name": "bob", "seed": seed + 1, **router},
            {"name": "bsm", "type": "BSMNode", "seed": seed + 2, "template": "bsm"},
        ],
        "qchannels": [
            {"source": src, "destination": "bsm", "distance": half, "attenuation": ATTENUATION_DB_PER_M}
            for src in ("alice", "bob")
        ],
        "cconnections": [
            {"node1": a, "node2": b, "distance": d, "delay": int(round(d / LIGHT_SPEED_M_PER_PS))} for a, b, d in cc
        ],
        "formalism": "ket_vector",
    }


class CountingApp(RequestApp):
    """RequestApp that records each delivered pair and stops the timeline at the N-th."""

    def __init__(self, node: Any, target_pairs: int) -> None:
        super().__init__(node)
        self.target_pairs = target_pairs
        self.fidelities: list[float] = []
        self.last_time_ps = 0

    def get_memory(self, info: MemoryInfo) -> None:
        before = self.memory_counter
        fidelity = info.fidelity
        super().get_memory(info)
        if self.memory_counter > before:
            self.fidelities.append(fidelity)
            self.last_time_ps = self.node.timeline.now()
            if self.memory_counter >= self.target_pairs:
                self.node.timeline.stop()


def count_attempts(node_name: str) -> dict[str, int]:
    """Wrap BarretKokA.emit_event to count first-round emissions (= attempts) of one node."""
    counter = {"attempts": 0}
    original = BarretKokA.emit_event

    def emit_event(self: BarretKokA) -> None:
        if self.ent_round == 1 and self.owner.name == node_name:
            counter["attempts"] += 1
        original(self)

    BarretKokA.emit_event = emit_event  # type: ignore[method-assign]
    return counter


def run(pairs: int, seed: int, memories: int) -> dict[str, Any]:
    counter = count_attempts("alice")
    t0 = time.perf_counter()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(topology_config(seed, memories), fh)
    try:
        topo = RouterNetTopo(fh.name)
    finally:
        os.unlink(fh.name)
    tl = topo.get_timeline()
    apps = {r.name: CountingApp(r, pairs) for r in topo.get_nodes_by_type(RouterNetTopo.QUANTUM_ROUTER)}
    tl.init()
    apps["alice"].start("bob", REQUEST_START_PS, int(1e6 * PS_PER_S), memories, TARGET_FIDELITY)
    tl.run()
    wall_s = time.perf_counter() - t0

    app = apps["alice"]
    sim_time_s = (app.last_time_ps - REQUEST_START_PS) / PS_PER_S
    n = app.memory_counter
    attempts = counter["attempts"]
    return {
        "peer": "sequence",
        "version": version("sequence"),
        "pairs_delivered": n,
        "wall_s": wall_s,
        "sim_time_s": sim_time_s,
        "rate_hz": n / sim_time_s if sim_time_s > 0 else 0.0,
        "mean_fidelity": math.fsum(app.fidelities) / n if n else None,
        "attempts": attempts,
        "p_attempt": n / attempts if attempts else None,
        "attempt_period_s": sim_time_s / attempts if attempts else None,
        "memories": memories,
        "seed": seed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100, help="stop after this many delivered pairs")
    parser.add_argument("--seed", type=int, default=0, help="seed of alice (bob: seed+1, BSM node: seed+2)")
    parser.add_argument("--memories", type=int, default=1, help="memories per router (1: no multiplexing)")
    args = parser.parse_args()
    print(json.dumps(run(args.pairs, args.seed, args.memories)))


if __name__ == "__main__":
    main()
