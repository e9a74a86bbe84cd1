"""Benchmark of the 8-worker federated-averaging scenario (issue 5): wall-clock time and where it goes.

Scenario: the 8-QPU star (``topologies/star8.yaml``), FedAvg over all 8 QPUs, an 8-qubit 2-layer
hardware-efficient classifier (32 parameters) on 256 samples of the moons set (192 training samples,
24 per worker), 2 local steps of 16 samples per round, 30 rounds, ideal gates (``noise: false``), 1000
shots charged per circuit, validation accuracy evaluated after every round. Target: under 30 s on the
project's 2-core machine.

Usage: ``python benchmarks/bench_fedavg.py [--repeats 3] [--no-profile]``; prints the times and a cProfile
summary (top functions by cumulative and by own time); writes ``benchmarks/results/bench_fedavg.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import platform
import pstats
import time
from pathlib import Path

import qnet_dqnn
from qnet_dqnn.scenario import scenario_from_data

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

SCENARIO = {
    "name": "bench_fedavg",
    "topology": str(ROOT / "topologies" / "star8.yaml"),
    "seed": 1,
    "stop": {"simulated_time_s": 1.0e7},
    "workload": {
        "type": "train",
        "strategy": {"type": "fedavg", "local_steps": 2},
        "model": {"qubits": 8, "layers": 2},
        "dataset": {"name": "moons", "samples": 256, "validation_samples": 64},
        "optimizer": {"type": "adam", "learning_rate": 0.1},
        "batch_size": 16,
        "noise": False,
        "shots": 1000,
        "estimator": "exact",
        "max_steps": 30,
        "target_accuracy": 0.85,
    },
}


def run_once() -> tuple[float, dict[str, float]]:
    """Wall time of one run (scenario build + simulation + metrics) and its metrics."""
    start = time.perf_counter()
    result = qnet_dqnn.run(scenario_from_data(SCENARIO))
    return time.perf_counter() - start, result.metrics


def profile_summary(lines: int = 18) -> str:
    """cProfile of one run: the top functions by cumulative time and by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    run_once()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(lines)
    stats.sort_stats("tottime").print_stats(lines)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    run_once()  # warm-up: imports, caches
    times, metrics = [], {}
    for _ in range(args.repeats):
        wall, metrics = run_once()
        times.append(wall)
    record = {
        "scenario": SCENARIO,
        "wall_s": times,
        "best_wall_s": min(times),
        "target_s": 30.0,
        "metrics": {k: metrics[k] for k in ("updates", "final_accuracy", "time_to_target_s", "parameters")},
        "machine": {"python": platform.python_version(), "processor": platform.processor(), "cores": 2},
    }
    print(
        f"8-worker FedAvg, 30 rounds: wall {', '.join(f'{t:.2f}' for t in times)} s (best {min(times):.2f} s; "
        f"target < 30 s); final accuracy {metrics['final_accuracy']:.3f}"
    )
    if not args.no_profile:
        summary = profile_summary()
        print(summary)
        record["profile"] = summary
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "bench_fedavg.json").write_text(json.dumps(record, indent=2, default=str))


if __name__ == "__main__":
    main()
