"""Benchmark: one 16-run sweep serially, on 2 local processes, and on a Dask LocalCluster with 2 workers.

Each point characterises the metro network for 20 s of simulated time (4 seeds x 4 storage times).
Prints wall times and speed-ups; writes results/benchmarks/bench_sweep.json.
Usage: python benchmarks/bench_sweep.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from common import ROOT, results_dir

from qnet_dqnn.scenario.sweep import run_sweep

SWEEP = f"""
name: bench_sweep
topology: {ROOT / "topologies" / "metro.yaml"}
stop: {{simulated_time_s: 20.0}}
workload: {{type: characterize}}
sweep:
  seed: [0, 1, 2, 3]
  workload.storage_time_s: [0.0, 1.0e-4, 1.0e-3, 1.0e-2]
"""


def timed(label: str, **options: object) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "bench_sweep.yaml"
        scenario.write_text(SWEEP)
        start = time.perf_counter()
        outcome = run_sweep(scenario, Path(tmp) / "results", **options)  # type: ignore[arg-type]
        wall = time.perf_counter() - start
    assert outcome.ran == 16
    print(f"{label}: {wall:.2f} s")
    return wall


def main() -> None:
    from distributed import LocalCluster

    serial = timed("serial (1 process)", workers=1)
    local = timed("2 local processes", workers=2)
    start = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        startup = time.perf_counter() - start
        dask = timed("Dask LocalCluster, 2 workers", scheduler=cluster.scheduler_address)
    print(f"(cluster start-up {startup:.2f} s, not counted)")
    report = {
        "runs": 16,
        "serial_s": serial,
        "two_processes_s": local,
        "dask_two_workers_s": dask,
        "dask_startup_s": startup,
        "speedup_two_processes": serial / local,
        "speedup_dask": serial / dask,
    }
    print(f"speed-up: 2 processes {serial / local:.2f}x, Dask {serial / dask:.2f}x")
    out = results_dir() / "bench_sweep.json"
    out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
