"""Reproduce the qualitative data-parallel findings of Du et al. (2021) that the review (Sec. 5.3) reports.

1. Simulated time to a target accuracy against the number of workers L = 1, 2, 4, 8 (FedAvg, one local
   step per round on the worker's whole shard; 8-QPU star).
2. Accuracy against local gradient evaluations for E = 1, 2, 5, 10 local steps per round (FedAvg on the
   4-QPU star).

Run: ``.venv/bin/python docs/experiments/data_parallel.py`` (about a minute); writes
``docs/figures/dp_workers.png``, ``docs/figures/dp_local_steps.png`` and prints the numbers.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from qnet_dqnn.distributed.harness import train_on  # noqa: E402
from qnet_dqnn.topology import load_topology  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "figures"
SEEDS = (1, 2, 3)
MODEL = {
    "model": {"qubits": 4, "layers": 2},
    "dataset": {"name": "moons", "samples": 200},
    "noise": False,
    "accounting_shots": 1000,
    "optimizer": {"type": "adam", "learning_rate": 0.1},
}


def workers_study() -> dict[int, list[float]]:
    """Time to 85 % validation accuracy against L (each worker's batch is its whole shard)."""
    star8 = load_topology(ROOT / "topologies" / "star8.yaml")
    out: dict[int, list[float]] = {}
    for workers in (1, 2, 4, 8):
        times = []
        for seed in SEEDS:
            ctx = train_on(
                star8,
                {"type": "fedavg", "workers": workers, "local_steps": 1},
                seed=seed,
                batch_size=10_000,
                max_steps=60,
                target_accuracy=0.85,
                stop_at_target=True,
                **MODEL,
            )
            times.append(ctx.recorder.time_to_target_s)
        out[workers] = times
    return out


def local_steps_study() -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, list[float]]]:
    """Mean validation accuracy against local gradient evaluations per client and simulated time, per E."""
    star4 = load_topology(ROOT / "topologies" / "star4.yaml")
    budget = 40  # local gradient evaluations per client
    out = {}
    for steps in (1, 2, 5, 10):
        curves, times, ttt = [], [], []
        for seed in SEEDS:
            ctx = train_on(
                star4,
                {"type": "fedavg", "local_steps": steps},
                seed=seed,
                batch_size=8,
                max_steps=budget // steps,
                target_accuracy=0.85,
                **MODEL,
            )
            curves.append(ctx.recorder.accuracies)
            times.append(ctx.recorder.times_s)
            ttt.append(ctx.recorder.time_to_target_s)
        evals = steps * np.arange(1, budget // steps + 1)
        out[steps] = (evals, np.mean(curves, axis=0), np.mean(times, axis=0), ttt)
    return out


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    workers = workers_study()
    print("L  time to 85% (s) per seed      mean   speed-up vs L=1")
    base = np.mean(workers[1])
    for w, t in workers.items():
        print(f"{w:<2} {[round(x, 1) for x in t]}  {np.mean(t):8.1f}  {base / np.mean(t):5.2f}")
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ls = np.array(list(workers))
    ax.plot(ls, [np.mean(workers[w]) for w in ls], "o-", label="FedAvg, E = 1 (mean of 3 seeds)")
    ax.plot(ls, base / ls, "k--", lw=1, label="ideal: T(1) / L")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="workers L",
        ylabel="simulated time to 85 % accuracy (s)",
        xticks=ls,
        xticklabels=[str(x) for x in ls],
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(FIGURES / "dp_workers.png", dpi=120)

    local = local_steps_study()
    print("E  final acc  acc@10 evals  acc@20 evals  time to 85% per seed (s)")
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for steps, (evals, acc, times, ttt) in local.items():
        at = {n: acc[np.searchsorted(evals, n)] if n >= evals[0] else math.nan for n in (10, 20)}
        print(f"{steps:<2} {acc[-1]:9.3f}  {at[10]:12.3f}  {at[20]:12.3f}  {[round(x, 1) for x in ttt]}")
        axes[0].plot(evals, acc, "o-", ms=3, label=f"E = {steps}")
        axes[1].plot(times, acc, "o-", ms=3, label=f"E = {steps}")
    axes[0].set(xlabel="local gradient evaluations per client", ylabel="validation accuracy (mean of 3 seeds)")
    axes[1].set(xlabel="simulated time (s)", ylabel="validation accuracy")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(FIGURES / "dp_local_steps.png", dpi=120)


if __name__ == "__main__":
    main()
