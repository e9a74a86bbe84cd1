"""Benchmark: federated averaging at scale (issue 18) -- wall time against the number of clients.

(a) FedAvg, 10 rounds, a 4-qubit 2-layer classifier, one local SGD step of 8 samples per client, every client in
    every round, on a star of N client QPUs around a repeater hub (``topology.generators.star``): N = 4, 64, 256.
    The issue's measure is time(256) / time(64) <= 5 (it was ~17 when every new (source, destination) pair
    rebuilt the routing graph).
(b) 1000 clients with 10 % sampled per round: the same job on a 1000-leaf star, and the shipped scenario
    ``scenarios/large/train_fedavg_1000_clients.yaml`` (access networks, heterogeneous clients, Dirichlet shards,
    round deadline, FedAdam). Target: <= 60 s wall on 2 cores.
Wall time covers building the scenario (topology checks) and the run; a warm-up run pays the imports first.

Run: ``.venv/bin/python benchmarks/bench_fedavg.py [--repeats 3] [--profile]``. Writes
``results/benchmarks/bench_fedavg.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from typing import Any

from common import ROOT, write_result

import qnet_dqnn
from qnet_dqnn.scenario import scenario_from_data
from qnet_dqnn.topology import topology_from_data
from qnet_dqnn.topology.generators import star


def fedavg_on_star(clients: int, fraction: float | None = None, rounds: int = 10) -> dict[str, Any]:
    """The scenario of (a) on a star of ``clients`` leaves (``fraction``: clients sampled per round)."""
    strategy: dict[str, Any] = {"type": "fedavg", "local_steps": 1}
    if fraction is not None:
        strategy["client_fraction"] = fraction
    return {
        "name": f"bench_fedavg_{clients}",
        "topology": f"star{clients} (generated)",
        "seed": 1,
        "stop": {"simulated_time_s": 1.0e6},
        "workload": {
            "type": "train",
            "strategy": strategy,
            "model": {"qubits": 4, "layers": 2},
            "dataset": {"name": "moons", "samples": max(200, 2 * clients + 100), "validation_samples": 50},
            "optimizer": {"type": "sgd", "learning_rate": 0.5},
            "batch_size": 8,
            "noise": False,
            "shots": 1000,
            "estimator": "exact",  # the kernel's cost, not the shot sampling's
            "max_steps": rounds,
            "target_accuracy": 0.85,
        },
    }


def timed(data: dict[str, Any] | None = None, path: str | None = None) -> tuple[float, dict[str, float]]:
    """Wall time of building and running one scenario (from data, or a shipped file), and its metrics."""
    start = time.perf_counter()
    if path is not None:
        result = qnet_dqnn.run(ROOT / path)
    else:
        assert data is not None
        clients = int(data["name"].rsplit("_", 1)[1])
        topology = topology_from_data(star(clients, 10.0, 8))
        result = qnet_dqnn.run(scenario_from_data(data, topology=topology, topology_source=data["topology"]))
    return time.perf_counter() - start, result.metrics


def repeat(label: str, make: Any, repeats: int) -> dict[str, Any]:
    """``repeats`` timed runs of a freshly made scenario; wall times, their median and the metrics."""
    walls, metrics = [], {}
    for _ in range(repeats):
        wall, metrics = make()
        walls.append(wall)
    row = {"label": label, "wall_s": walls, "median_wall_s": statistics.median(walls), "metrics": metrics}
    print(f"{label}: {', '.join(f'{w:.2f}' for w in walls)} s; accuracy {metrics.get('final_accuracy', 0):.3f}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the 256-client run")
    args = parser.parse_args()
    timed(fedavg_on_star(4, rounds=1))  # warm-up: imports (scikit-learn), caches
    rows = {
        n: repeat(f"(a) {n} clients, all per round", lambda n=n: timed(fedavg_on_star(n)), args.repeats)
        for n in (4, 64, 256)
    }
    ratio = rows[256]["median_wall_s"] / rows[64]["median_wall_s"]
    ratios = [b / a for a, b in zip(rows[64]["wall_s"], rows[256]["wall_s"], strict=True)]
    print(f"time(256) / time(64) = {ratio:.2f} (pairwise {min(ratios):.2f}-{max(ratios):.2f}; target <= 5)")
    star_1000 = repeat("(b) 1000-leaf star, 10 % per round", lambda: timed(fedavg_on_star(1000, 0.1)), args.repeats)
    shipped = repeat(
        "(b) scenarios/large/train_fedavg_1000_clients.yaml",
        lambda: timed(path="scenarios/large/train_fedavg_1000_clients.yaml"),
        args.repeats,
    )
    record: dict[str, Any] = {
        "star": {str(n): row for n, row in rows.items()},
        "ratio_256_over_64": ratio,
        "ratio_256_over_64_pairwise": ratios,
        "clients_1000_star_sampled": star_1000,
        "clients_1000_shipped": shipped,
        "targets": {"ratio_256_over_64": 5.0, "clients_1000_wall_s": 60.0},
    }
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        timed(fedavg_on_star(256))
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(20)
        print(out.getvalue())
        record["profile_256"] = out.getvalue()
    print(f"written {write_result('bench_fedavg', record)}")


if __name__ == "__main__":
    main()
