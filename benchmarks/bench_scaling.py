"""Scaling curves (issue 18): wall time against the number of clients, of network nodes and of model qubits.

- clients, 4 ... 1000: FedAvg, 10 rounds, 4-qubit 2-layer model, one local SGD step of 8 samples, on a star of
  N leaves: every client in every round, and 10 % sampled per round;
- nodes, 5 ... 200: entanglement distribution on a random geometric network of n nodes (the 100-node job of
  ``bench_distribution.py`` scaled: area grows with n so the density stays the same): 10 concurrent flows of 50
  end-to-end pairs between random node pairs;
- qubits, 4 ... 16: FedAvg, 5 rounds on the 8-QPU star, one local step of 8 samples, a 1-layer hardware-efficient
  model of n qubits (the statevector simulation grows as 2^n; the network part does not change).

Each point is the median of ``--repeats`` runs (a warm-up first). Writes ``results/benchmarks/bench_scaling.json``
and the figure ``docs/figures/scaling.png`` (three log-log panels).

Run: ``.venv/bin/python benchmarks/bench_scaling.py [--repeats 3] [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from bench_distribution import flows_job  # noqa: E402
from bench_fedavg import fedavg_on_star, timed  # noqa: E402
from common import ROOT, write_result  # noqa: E402

from qnet_dqnn.distributed.harness import train_on  # noqa: E402
from qnet_dqnn.topology import load_topology  # noqa: E402

CLIENTS = (4, 16, 64, 256, 1000)
NODES = (5, 10, 25, 50, 100, 200)
QUBITS = (4, 8, 12, 16)


def median_wall(job: Callable[[], Any], repeats: int) -> float:
    """The median wall time of ``repeats`` runs of ``job``."""
    walls = []
    for _ in range(repeats):
        start = time.perf_counter()
        job()
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def clients_curve(repeats: int, sizes: tuple[int, ...]) -> dict[str, list[float]]:
    full = [median_wall(lambda n=n: timed(fedavg_on_star(n)), repeats) for n in sizes]
    sampled = [median_wall(lambda n=n: timed(fedavg_on_star(n, 0.1)), repeats) for n in sizes]
    return {"clients": list(sizes), "all_per_round_s": full, "ten_percent_per_round_s": sampled}


def nodes_curve(repeats: int, sizes: tuple[int, ...]) -> dict[str, list[float]]:
    walls = []
    for n in sizes:
        flows = min(10, n * (n - 1) // 2)
        area = 100.0 * math.sqrt(n / 100)  # the 100-node job's density
        walls.append(median_wall(lambda n=n, f=flows, a=area: flows_job(f, 50, n, area_km=a), repeats))
    return {"nodes": list(sizes), "wall_s": walls}


def qubits_curve(repeats: int, sizes: tuple[int, ...]) -> dict[str, list[float]]:
    star8 = load_topology(ROOT / "topologies" / "star8.yaml")

    def job(n: int) -> None:
        train_on(
            star8,
            {"type": "fedavg"},
            model={"qubits": n, "layers": 1},
            dataset={"name": "moons", "samples": 200},
            optimizer={"type": "sgd", "learning_rate": 0.5},
            batch_size=8,
            noise=False,
            max_steps=5,
            target_accuracy=None,
        )

    return {"qubits": list(sizes), "wall_s": [median_wall(lambda n=n: job(n), repeats) for n in sizes]}


def figure(record: dict[str, Any]) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    c, n, q = record["clients"], record["nodes"], record["qubits"]
    axes[0].loglog(c["clients"], c["all_per_round_s"], "o-", label="every client, every round")
    axes[0].loglog(c["clients"], c["ten_percent_per_round_s"], "s--", label="10 % sampled per round")
    axes[0].set(xlabel="clients (star)", ylabel="wall time (s)", title="FedAvg, 10 rounds, 4 qubits")
    axes[1].loglog(n["nodes"], n["wall_s"], "o-")
    axes[1].set(xlabel="network nodes (random geometric)", title="10 flows x 50 end-to-end pairs")
    axes[2].semilogy(q["qubits"], q["wall_s"], "o-")
    axes[2].set(xlabel="model qubits", title="FedAvg, 8 clients, 5 rounds")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"qnet-dqnn wall time (median of {record['repeats']}; {record['when']})", fontsize=10)
    fig.tight_layout()
    out = ROOT / "docs" / "figures" / "scaling.png"
    fig.savefig(out, dpi=110)
    print(f"figure written to {out.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes only, one repeat (a smoke run)")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    timed(fedavg_on_star(4, rounds=1))  # warm-up
    record: dict[str, Any] = {"repeats": repeats, "when": time.strftime("%Y-%m-%d")}
    record["clients"] = clients_curve(repeats, CLIENTS[:2] if args.quick else CLIENTS)
    print(f"clients: {record['clients']}")
    record["nodes"] = nodes_curve(repeats, NODES[:2] if args.quick else NODES)
    print(f"nodes: {record['nodes']}")
    record["qubits"] = qubits_curve(repeats, QUBITS[:2] if args.quick else QUBITS)
    print(f"qubits: {record['qubits']}")
    print(f"written {write_result('bench_scaling', record)}")
    if not args.quick:
        figure(record)


if __name__ == "__main__":
    main()
