"""Benchmark: entanglement distribution and teleportation, qnet-dqnn beside SeQUeNCe in the same run.

Jobs (issue 3):
  (a) a chain of 5 nodes, 4 links of 10 km, 100 end-to-end pairs (swapping at 3 repeaters);
  (b) 100 sequential teleportations over one 10 km link;
  (c) job (a) on the fast (Bell-diagonal) and the exact (density-matrix) pair paths.
The hardware copies ``benchmarks/peers/sequence_link.py``: Barrett-Kok-like midpoint heralding (BSM
success 1/2), 2 kHz sources, emission efficiency 0.75, detectors 0.8, raw fidelity 0.935, ideal memories,
0.2 dB/km. Peers run via subprocess with their own venv; a missing venv or script is skipped with a note.

Run from the repository root: ``.venv/bin/python benchmarks/bench_distribution.py``. Prints one JSON object.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from qnet_dqnn.net import Network, QubitHandle
from qnet_dqnn.physics import fidelity_from_werner, werner_parameter
from qnet_dqnn.physics.teleportation import average_teleportation_fidelity
from qnet_dqnn.topology import TopologySpec, topology_from_data

ROOT = Path(__file__).resolve().parents[1]
SEQUENCE_PYTHON = Path("/work/peer-venvs/sequence/bin/python")
PAIRS, TELEPORTS, SOURCE_FIDELITY = 100, 100, 0.935


def chain(n_nodes: int) -> TopologySpec:
    """n_nodes in a line, 10 km links, the SeQUeNCe job's hardware."""
    quantum = {
        "source_rate_hz": 2e3,
        "source_fidelity": SOURCE_FIDELITY,
        "source_efficiency": 0.75,
        "detector_efficiency": 0.8,
        "heralding": "midpoint",
        "bsm_success_probability": 0.5,
    }
    fast = {"one_qubit_time_s": 0.0, "two_qubit_time_s": 0.0, "measurement_time_s": 0.0}
    nodes = [{"name": f"r{i}", "qubits": 2, "gates": fast} for i in range(n_nodes)]
    links = [{"between": [f"r{i}", f"r{i + 1}"], "length_km": 10.0, "quantum": quantum} for i in range(n_nodes - 1)]
    return topology_from_data({"name": f"chain{n_nodes}", "nodes": nodes, "links": links})


def ours_chain(pair_model: str, seed: int = 0) -> dict[str, Any]:
    t0 = time.perf_counter()
    net = Network(chain(5), seed, trace=False, pair_model=pair_model, memory_split="per_link")  # type: ignore[arg-type]
    box = simpy.Store(net.env)

    def use() -> Generator[simpy.Event, Any, None]:
        while True:
            net.consume_pair((yield box.get()))

    net.env.process(use())
    request = net.request_pairs("r0", "r4", PAIRS, deliver_to=box)
    net.env.run(until=request)
    wall = time.perf_counter() - t0
    deliveries = request.value.deliveries
    return {
        "wall_s": wall,
        "pairs_delivered": len(deliveries),
        "sim_time_s": net.now / 1e9,
        "mean_fidelity": float(np.mean([d.fidelity for d in deliveries])),
        "closed_form_fidelity": fidelity_from_werner(werner_parameter(SOURCE_FIDELITY) ** 4),
        "events": net.env.events_processed,
    }


def ours_teleport(seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    net = Network(chain(2), seed, trace=False)
    fidelities: list[float] = []

    def run() -> Generator[simpy.Event, Any, None]:
        for _ in range(TELEPORTS):
            ket = rng.normal(size=2) + 1j * rng.normal(size=2)
            ket /= np.linalg.norm(ket)
            request = yield net.request_pairs("r0", "r1", 1)
            done = yield net.teleport(QubitHandle("r0", ket), "r1", request.pairs[0])
            fidelities.append(float(np.real(ket.conj() @ done.qubit.state @ ket)))

    net.env.run(until=net.env.process(run()))
    return {
        "wall_s": time.perf_counter() - t0,
        "teleports": len(fidelities),
        "sim_time_s": net.now / 1e9,
        "mean_fidelity": float(np.mean(fidelities)),
        "closed_form_fidelity": average_teleportation_fidelity(SOURCE_FIDELITY),
    }


def peer(script: str, *args: str) -> dict[str, Any]:
    path = ROOT / "benchmarks" / "peers" / script
    if not SEQUENCE_PYTHON.exists() or not path.exists():
        return {"skipped": f"missing {SEQUENCE_PYTHON if not SEQUENCE_PYTHON.exists() else path}"}
    out = subprocess.run(
        [str(SEQUENCE_PYTHON), str(path), *args], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    if out.returncode != 0:
        return {"skipped": f"{script} failed: {out.stderr.strip().splitlines()[-1:]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ours_chain("bell_diagonal")  # warm-up (imports, caches)
    a_ours = ours_chain("bell_diagonal")
    a_peer = peer("sequence_chain.py", "--pairs", str(PAIRS))
    b_ours = ours_teleport()
    b_peer = peer("sequence_teleport.py", "--teleports", str(TELEPORTS))
    c_exact = ours_chain("density_matrix")
    report = {
        "a_chain5_100_pairs": {"qnet_dqnn": a_ours, "sequence": a_peer},
        "b_100_teleports_10km": {"qnet_dqnn": b_ours, "sequence": b_peer},
        "c_fast_vs_exact": {"bell_diagonal": a_ours, "density_matrix": c_exact},
    }
    for key, ours in (("a_chain5_100_pairs", a_ours), ("b_100_teleports_10km", b_ours)):
        other = report[key]["sequence"]
        if "wall_s" in other:
            report[key]["speedup"] = other["wall_s"] / ours["wall_s"]
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
