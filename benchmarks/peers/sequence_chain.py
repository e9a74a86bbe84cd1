"""Peer benchmark: end-to-end pairs over a 5-router chain in SeQUeNCe (4 links of 10 km, swapping at 3 routers).

Run with the SeQUeNCe venv's python, e.g.::

    benchmarks/.venvs/sequence/bin/python benchmarks/peers/sequence_chain.py --pairs 100 --seed 0

Job: routers r0..r4 joined by 4 links of 10 km, each with a BSM node halfway (the hardware of
``sequence_link.py``: memories 2 kHz, efficiency 0.75, raw fidelity 0.935, infinite coherence; detectors
0.8). r0 requests entanglement with r4 through SeQUeNCe's own stack (static routing, reservation, rules,
Barrett-Kok generation, swapping at r1..r3; purification off: target fidelity 0.5). The run stops at the
N-th end-to-end pair delivered to r0's app. Prints one JSON line like ``sequence_link.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from importlib.metadata import version
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sequence.topology.router_net_topo import RouterNetTopo  # noqa: E402
from sequence_link import (  # noqa: E402
    ATTENUATION_DB_PER_M,
    DETECTOR,
    LIGHT_SPEED_M_PER_PS,
    MEMORY,
    PS_PER_S,
    REQUEST_START_PS,
    TARGET_FIDELITY,
    CountingApp,
)

LINK_M = 10_000.0
ROUTERS = 5


def topology_config(seed: int, memories: int) -> dict[str, Any]:
    """RouterNetTopo JSON config: r0 -(BSM)- r1 -(BSM)- ... - r4, 10 km per link."""
    routers = [f"r{i}" for i in range(ROUTERS)]
    nodes: list[dict[str, Any]] = [
        {"name": r, "type": "QuantumRouter", "seed": seed + i, "memo_size": 2 * memories, "template": "router"}
        for i, r in enumerate(routers)
    ]
    qchannels, positions = [], {r: i * LINK_M for i, r in enumerate(routers)}
    for i in range(ROUTERS - 1):
        bsm = f"bsm{i}"
        nodes.append({"name": bsm, "type": "BSMNode", "seed": seed + 100 + i, "template": "bsm"})
        positions[bsm] = (i + 0.5) * LINK_M
        for r in (routers[i], routers[i + 1]):
            qchannels.append(
                {"source": r, "destination": bsm, "distance": LINK_M / 2, "attenuation": ATTENUATION_DB_PER_M}
            )
    names = list(positions)
    cconnections = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            d = abs(positions[a] - positions[b])
            cconnections.append({"node1": a, "node2": b, "distance": d, "delay": int(round(d / LIGHT_SPEED_M_PER_PS))})
    return {
        "templates": {
            "router": {"MemoryArray": MEMORY},
            "bsm": {"SingleAtomBSM": {"detectors": [DETECTOR, DETECTOR]}},
        },
        "nodes": nodes,
        "qchannels": qchannels,
        "cconnections": cconnections,
        "formalism": "ket_vector",
    }


def run(pairs: int, seed: int, memories: int) -> dict[str, Any]:
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
    apps["r0"].start("r4", REQUEST_START_PS, int(1e6 * PS_PER_S), memories, TARGET_FIDELITY)
    tl.run()
    wall_s = time.perf_counter() - t0
    app = apps["r0"]
    sim_time_s = (app.last_time_ps - REQUEST_START_PS) / PS_PER_S
    n = app.memory_counter
    return {
        "peer": "sequence",
        "version": version("sequence"),
        "pairs_delivered": n,
        "wall_s": wall_s,
        "sim_time_s": sim_time_s,
        "rate_hz": n / sim_time_s if sim_time_s > 0 else 0.0,
        "mean_fidelity": math.fsum(app.fidelities) / n if n else None,
        "memories": memories,
        "seed": seed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100, help="stop after this many end-to-end pairs")
    parser.add_argument("--seed", type=int, default=0, help="seed of r0 (r_i: seed + i, BSM nodes: seed + 100 + i)")
    parser.add_argument(
        "--memories", type=int, default=1, help="memories per request at each router (repeaters get twice as many)"
    )
    args = parser.parse_args()
    print(json.dumps(run(args.pairs, args.seed, args.memories)))


if __name__ == "__main__":
    main()
