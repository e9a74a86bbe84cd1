"""Scaling curves (issue 18): run time against the number of clients, of network nodes and of model qubits.

- clients, 4 ... 1000: FedAvg, 10 rounds, 4-qubit 2-layer model, one local SGD step of 8 samples, on a star of
  N leaves: every client in every round, and 10 % sampled per round;
- nodes, 5 ... 200: entanglement distribution on a random geometric network of n nodes (the 100-node job of
  ``bench_distribution.py`` scaled: area grows with n so the density stays the same): 10 concurrent flows of 50
  end-to-end pairs between random node pairs;
- qubits, 4 ... 16: FedAvg, 5 rounds on a star of 8 16-qubit QPUs, one local step of 8 samples, a 1-layer
  hardware-efficient model of n qubits (the statevector simulation grows as 2^n; the network part does not change).

Each point is the median CPU time (``time.process_time``; one core, so the wall time of an idle machine) of
``--repeats`` runs (a warm-up first). Writes ``results/benchmarks/bench_scaling.json``
(a rerun of some curves, ``--curves nodes,qubits``, keeps the others) and, once all three curves are there, the
figure ``docs/figures/scaling.png``.

Run: ``.venv/bin/python benchmarks/bench_scaling.py [--repeats 3] [--curves clients,nodes,qubits] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
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
from common import ROOT, results_dir, write_result  # noqa: E402

from qnet_dqnn.distributed.harness import train_on  # noqa: E402
from qnet_dqnn.topology import topology_from_data  # noqa: E402
from qnet_dqnn.topology.generators import star  # noqa: E402

CLIENTS = (4, 16, 64, 256, 1000)
NODES = (5, 10, 25, 50, 100, 200)
QUBITS = (4, 8, 12, 16)


def median_cpu(job: Callable[[], Any], repeats: int) -> float:
    """The median CPU time of ``repeats`` runs of ``job`` (the machine is shared: its wall time is the CPU time
    stretched by the load of the other jobs; on an idle core the two agree)."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        job()
        times.append(time.process_time() - start)
    return statistics.median(times)


def clients_curve(repeats: int, sizes: tuple[int, ...]) -> dict[str, list[float]]:
    full = [median_cpu(lambda n=n: timed(fedavg_on_star(n)), repeats) for n in sizes]
    sampled = [median_cpu(lambda n=n: timed(fedavg_on_star(n, 0.1)), repeats) for n in sizes]
    return {"clients": list(sizes), "all_per_round_s": full, "ten_percent_per_round_s": sampled}


def nodes_curve(repeats: int, sizes: tuple[int, ...]) -> dict[str, list[float]]:
    times, hops = [], []
    for n in sizes:
        flows = min(10, n * (n - 1) // 2)
        area = 100.0 * math.sqrt(n / 100)  # the 100-node job's density
        times.append(median_cpu(lambda n=n, f=flows, a=area: flows_job(f, 50, n, area_km=a), repeats))
        hops.append(flows_job(flows, 50, n, area_km=area)["mean_hops"])
    per_pair_hop = [w / (10 * 50 * h) for w, h in zip(times, hops, strict=True)]
    return {"nodes": list(sizes), "cpu_s": times, "mean_hops": hops, "cpu_per_pair_hop_s": per_pair_hop}


def qubits_curve(repeats: int, sizes: tuple[int, ...]) -> dict[str, list[float]]:
    star8 = topology_from_data(star(8, 10.0, max(sizes)))

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

    return {"qubits": list(sizes), "cpu_s": [median_cpu(lambda n=n: job(n), repeats) for n in sizes]}


def figure(record: dict[str, Any]) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    c, n, q = record["clients"], record["nodes"], record["qubits"]
    axes[0].loglog(c["clients"], c["all_per_round_s"], "o-", label="every client, every round")
    axes[0].loglog(c["clients"], c["ten_percent_per_round_s"], "s--", label="10 % sampled per round")
    axes[0].set(xlabel="clients (star)", ylabel="CPU time (s)", title="FedAvg, 10 rounds, 4 qubits")
    axes[1].loglog(n["nodes"], n["cpu_s"], "o-", label="CPU time (s)")
    axes[1].loglog(n["nodes"], [1e3 * w for w in n["cpu_per_pair_hop_s"]], "s--", label="per pair and hop (ms)")
    for x, y, h in zip(n["nodes"], n["cpu_s"], n["mean_hops"], strict=True):
        axes[1].annotate(f"{h:.1f} hops", (x, y), textcoords="offset points", xytext=(-10, 6), fontsize=7)
    axes[1].set(xlabel="network nodes (random geometric)", title="10 flows x 50 end-to-end pairs")
    axes[1].legend(fontsize=8)
    axes[2].semilogy(q["qubits"], q["cpu_s"], "o-")
    axes[2].set(xlabel="model qubits", title="FedAvg, 8 clients, 5 rounds")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"qnet-dqnn CPU time per run (median of {record['repeats']}; {record['when']})", fontsize=10)
    fig.tight_layout()
    out = ROOT / "docs" / "figures" / "scaling.png"
    fig.savefig(out, dpi=110)
    print(f"figure written to {out.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--curves", default="clients,nodes,qubits", help="which curves to (re)measure")
    parser.add_argument("--quick", action="store_true", help="small sizes only, one repeat (a smoke run)")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    timed(fedavg_on_star(4, rounds=1))  # warm-up
    previous = results_dir() / "bench_scaling.json"
    record: dict[str, Any] = json.loads(previous.read_text()) if previous.exists() and not args.quick else {}
    record.pop("machine", None)
    record.update({"repeats": repeats, "when": time.strftime("%Y-%m-%d")})
    curves = {"clients": (clients_curve, CLIENTS), "nodes": (nodes_curve, NODES), "qubits": (qubits_curve, QUBITS)}
    for name in filter(None, args.curves.split(",")):
        measure, sizes = curves[name]
        record[name] = measure(repeats, sizes[:2] if args.quick else sizes)
        print(f"{name}: {record[name]}")
    print(f"written {write_result('bench_scaling', record)}")
    if not args.quick and all(name in record for name in curves):
        figure(record)


if __name__ == "__main__":
    main()
