"""Benchmark: simulated pair generations per wall-second, against bare SimPy and against SeQUeNCe.

Measures, in one run on this machine:
  1. the raw SimPy event rate of a bare timeout loop (the floor every SimPy simulator pays per event);
  2. pair generations per wall-second on one 10 km link and on the 6-node ring (topologies/ring6.yaml),
     with events per pair and the network's overhead per event as a ratio to (1);
  3. the peer job: two nodes 10 km apart, 0.2 dB/km, memories at 2 kHz with efficiency 0.75 and raw
     fidelity 0.935, detectors at efficiency 0.8, midpoint heralding, until 100 pairs are delivered --
     in qnet-dqnn and, if its virtualenv exists, in SeQUeNCe (benchmarks/peers/sequence_link.py),
     with the delivered fidelity and simulated rate beside the analytic values.

Usage: python benchmarks/bench_link_generation.py [--sequence-python PATH] [--repeats 5]
(``make bench`` sets up the SeQUeNCe venv in benchmarks/.venvs/sequence and runs this.)
Writes results/benchmarks/bench_link_generation.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Generator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import simpy
from common import ROOT, peer_python, results_dir

from qnet_dqnn.net import Network, expected_link
from qnet_dqnn.physics import bell_fidelity
from qnet_dqnn.topology import load_topology, topology_from_data
from qnet_dqnn.units import to_seconds, to_ticks

DEFAULT_SEQUENCE_PYTHON = peer_python("sequence")

#: The peer job of issue 2: SeQUeNCe's two-node example parameters.
PEER_JOB = {
    "nodes": [{"name": "alice", "qubits": 1}, {"name": "bob", "qubits": 1}],
    "links": [
        {
            "between": ["alice", "bob"],
            "length_km": 10.0,
            "quantum": {
                "source_rate_hz": 2.0e3,
                "attenuation_db_per_km": 0.2,
                "source_efficiency": 0.75,
                "source_fidelity": 0.935,
                "detector_efficiency": 0.8,
                "heralding": "midpoint",
            },
        }
    ],
}


def best_and_median(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """Run ``fn`` ``repeats`` times; return (best, median) wall seconds and the last return value."""
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), value


def bare_simpy_events(n: int) -> int:
    """A bare SimPy process doing ``n`` timeouts: the cost floor of one event."""
    env = simpy.Environment()

    def loop() -> Generator[simpy.Event, Any, None]:
        for _ in range(n):
            yield env.timeout(1)

    env.process(loop())
    env.run()
    return n


def generate(topology: Any, duration_s: float, seed: int = 1) -> tuple[int, int]:
    """Generate and consume pairs on every link for ``duration_s``; return (pairs, events)."""
    net = Network.from_topology(topology, seed, trace=False)

    def consume(link: Any) -> Generator[simpy.Event, Any, None]:
        while True:
            net.consume_pair((yield link.pairs.get()))

    for link in net.quantum_links.values():
        net.env.process(consume(link))
    net.start_generation()
    net.run(to_ticks(duration_s))
    return net.ledger.totals()["pairs_delivered"], net.env.events_processed


def until_pairs(topology: Any, pairs: int, seed: int) -> dict[str, float]:
    """The peer job: build the network and run until ``pairs`` pairs are delivered (and measured)."""
    net = Network.from_topology(topology, seed, trace=False)
    link = net.quantum_links["alice-bob"]
    done = net.env.event()
    fidelities: list[float] = []

    def consume() -> Generator[simpy.Event, Any, None]:
        while len(fidelities) < pairs:
            fidelities.append(bell_fidelity(net.consume_pair((yield link.pairs.get()))))
        done.succeed()

    net.env.process(consume())
    net.start_generation()
    net.env.run(until=done)
    sim_s = to_seconds(net.now)
    return {
        "pairs": len(fidelities),
        "sim_time_s": sim_s,
        "rate_hz": len(fidelities) / sim_s,
        "mean_fidelity": sum(fidelities) / len(fidelities),
    }


def sequence_peer(python: Path, pairs: int, seeds: list[int]) -> list[dict[str, Any]] | str:
    """Run the SeQUeNCe peer script once per seed, or say why it cannot run."""
    if not python.exists():
        return f"SeQUeNCe venv not found at {python} (make bench creates it)"
    runs = []
    for seed in seeds:
        out = subprocess.run(
            [
                str(python),
                str(ROOT / "benchmarks" / "peers" / "sequence_link.py"),
                "--pairs",
                str(pairs),
                "--seed",
                str(seed),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sequence-python", type=Path, default=Path(os.environ.get("SEQUENCE_PYTHON", DEFAULT_SEQUENCE_PYTHON))
    )
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
        },
        "versions": {name: version(name) for name in ("simpy", "numpy", "qnet-dqnn")},
    }

    n = 200_000
    best, _, _ = best_and_median(lambda: bare_simpy_events(n), args.repeats)
    simpy_rate = n / best
    report["bare_simpy_events_per_s"] = simpy_rate
    print(f"bare SimPy timeout loop: {simpy_rate:,.0f} events/s")

    one_link = topology_from_data({**PEER_JOB, "links": [{**PEER_JOB["links"][0], "quantum": {"source_rate_hz": 1e6}}]})
    for label, topology, duration in (
        ("one 10 km link", one_link, 5.0),
        ("ring6", load_topology(ROOT / "topologies" / "ring6.yaml"), 2.0),
    ):
        best, median, (pairs, events) = best_and_median(lambda t=topology, d=duration: generate(t, d), args.repeats)
        row = {
            "pairs": pairs,
            "events": events,
            "best_wall_s": best,
            "median_wall_s": median,
            "pairs_per_wall_s": pairs / best,
            "events_per_wall_s": events / best,
            "events_per_pair": events / pairs,
            "overhead_vs_bare_simpy": simpy_rate / (events / best),
        }
        report[label] = row
        print(
            f"{label}: {pairs} pairs in {best * 1e3:.1f} ms -> {row['pairs_per_wall_s']:,.0f} pairs/s, "
            f"{row['events_per_pair']:.2f} events/pair, {row['events_per_wall_s']:,.0f} events/s "
            f"({row['overhead_vs_bare_simpy']:.2f}x the bare SimPy cost per event)"
        )

    peer = topology_from_data(PEER_JOB)
    expect = expected_link(peer, peer.links[0])
    seeds = [0, 1, 2]
    ours = []
    for seed in seeds:
        best, median, value = best_and_median(lambda s=seed: until_pairs(peer, 100, s), args.repeats)
        ours.append({"seed": seed, "best_wall_s": best, "median_wall_s": median, **value})
    ours_wall = statistics.median(r["median_wall_s"] for r in ours)
    report["peer_job"] = {
        "analytic_rate_hz": expect.pair_rate_hz,
        "analytic_fidelity": expect.delivered_fidelity,
        "qnet_dqnn": ours,
    }
    print(
        f"peer job, qnet-dqnn: median {ours_wall * 1e3:.2f} ms for 100 pairs; simulated rate "
        f"{statistics.mean(r['rate_hz'] for r in ours):.1f} Hz (analytic {expect.pair_rate_hz:.1f} Hz), "
        f"fidelity {statistics.mean(r['mean_fidelity'] for r in ours):.4f} (analytic {expect.delivered_fidelity:.4f})"
    )
    seq = sequence_peer(args.sequence_python, 100, seeds)
    report["peer_job"]["sequence"] = seq
    if isinstance(seq, str):
        print(f"peer job, SeQUeNCe: skipped: {seq}")
    else:
        seq_wall = statistics.median(r["wall_s"] for r in seq)
        report["peer_job"]["speedup_vs_sequence"] = seq_wall / ours_wall
        print(
            f"peer job, SeQUeNCe {seq[0]['version']}: median {seq_wall * 1e3:.1f} ms for 100 pairs; simulated rate "
            f"{statistics.mean(r['rate_hz'] for r in seq):.1f} Hz, fidelity {seq[0]['mean_fidelity']:.4f}"
        )
        print(f"speed-up: {seq_wall / ours_wall:.0f}x less wall time")
    out = results_dir() / "bench_link_generation.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    sys.exit(main())
