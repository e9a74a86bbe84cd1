"""Coreset size against accuracy and against the circuits spent (issue 20, item 2).

Harrow (arXiv:2004.00026, 2020) hands a small quantum computer a weighted coreset of a large classical data
set; Tomesh et al. (Electronics 10, 1690 (2021)) compare coresets with uniform random subsets. Here a
2-qubit, 2-layer classifier (8 parameters, angle-encoded moons: 150 training and 50 validation points) trains
by full-batch Adam (40 steps, learning rate 0.1) on a coreset of m points of the training set, on the metro
network's trapped-ion QPU lab_east (its gate and readout errors on, 100 shots sampled per circuit):

1. ``lightweight`` coresets (Bachem et al., KDD 2018) against the control, uniform random subsets with equal
   weights, for m = 2 … 150 (m = 150 uniform is the whole training set);
2. the data-parallel variant: two workers (lab_east and dc_north, both trapped ions) each train on a
   lightweight coreset of m/2 points of its own half of the data — the same circuits per round as one
   worker with m points, in half the QPU time.

Every point is the mean over seeds 1–8 (each seed its own data set, initialisation, coresets and shots) with
its 95 % Student-t interval (:mod:`qnet_dqnn.stats`).

Run: ``.venv/bin/python docs/experiments/coresets.py`` (about 5 minutes); writes ``docs/figures/coresets.png``
and prints the tables of docs/EXPERIMENTS.md. Differences are paired by seed (the same data, start and
shot stream on both sides): the mean of the per-seed differences with its Student-t interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from qnet_dqnn.distributed.harness import train_on  # noqa: E402
from qnet_dqnn.stats import mean_interval  # noqa: E402
from qnet_dqnn.topology import load_topology  # noqa: E402
from qnet_dqnn.units import to_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "figures"
SEEDS = tuple(range(1, 9))
SIZES = (2, 4, 8, 16, 32, 64, 150)
COMMON: dict[str, Any] = {
    "model": {"qubits": 2, "layers": 2},
    "dataset": {"name": "moons", "samples": 200, "validation_samples": 50},
    "optimizer": {"type": "adam", "learning_rate": 0.1},
    "shots": 100,
    "noise": True,
    "max_steps": 40,
    "eval_every": 40,
    "target_accuracy": None,
}


def run(topology: Any, nodes: list[str], size: int, method: str, seed: int) -> dict[str, float]:
    """One training run; its final validation accuracy, full training loss, circuits, shots and time."""
    strategy = {"type": "coreset", "nodes": nodes, "size": size, "method": method}
    ctx = train_on(topology, strategy, seed=seed, trace=False, **COMMON)
    totals = ctx.network.ledger.totals()
    return {
        "accuracy": ctx.recorder.accuracies[-1],
        "loss": ctx.recorder.losses[-1],
        "circuits": float(totals["circuits"]),
        "shots": float(totals["shots"]),
        "time_s": to_seconds(ctx.network.now),
    }


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    metro = load_topology(ROOT / "topologies" / "metro.yaml")
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    for method, nodes in (
        ("lightweight", ["lab_east"]),
        ("uniform", ["lab_east"]),
        ("2 workers", ["lab_east", "dc_north"]),
    ):
        for size in SIZES:
            per_worker = size // len(nodes)
            if per_worker < 2:
                continue
            kind = "lightweight" if method == "2 workers" else method
            results[(method, size)] = [run(metro, nodes, per_worker, kind, s) for s in SEEDS]
            acc = mean_interval([r["accuracy"] for r in results[(method, size)]])
            loss = mean_interval([r["loss"] for r in results[(method, size)]])
            r0 = results[(method, size)][0]
            print(
                f"{method:11s} m={size:4d}  accuracy {acc}  full-data loss {loss}  circuits {r0['circuits']:.0f}  "
                f"shots {r0['shots']:.3g}  time {np.mean([r['time_s'] for r in results[(method, size)]]):.1f} s"
            )

    def paired(key: str, a: str, b: str, size: int) -> str:
        """Mean of the per-seed differences (same data, start and shots stream) with its 95 % interval."""
        d = [x[key] - y[key] for x, y in zip(results[(a, size)], results[(b, size)], strict=True)]
        iv = mean_interval(d)
        return f"{iv.mean:+.3f} [{iv.low:+.3f}, {iv.high:+.3f}]"

    print("\nlightweight - uniform, paired by seed (95 % interval):")
    for size in SIZES:
        print(
            f"m={size:4d}  accuracy {paired('accuracy', 'lightweight', 'uniform', size)}  "
            f"loss {paired('loss', 'lightweight', 'uniform', size)}"
        )
    print("\n2 workers (m/2 each) - 1 worker (m), lightweight, paired by seed:")
    for size in SIZES:
        if ("2 workers", size) not in results:
            continue
        t2 = np.mean([r["time_s"] for r in results[("2 workers", size)]])
        t1 = np.mean([r["time_s"] for r in results[("lightweight", size)]])
        print(
            f"m={size:4d}  accuracy {paired('accuracy', '2 workers', 'lightweight', size)}  "
            f"loss {paired('loss', '2 workers', 'lightweight', size)}  time ratio {t2 / t1:.2f}"
        )

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    labels = {
        "lightweight": "lightweight, 1 worker",
        "uniform": "uniform, 1 worker",
        "2 workers": "lightweight, 2 workers",
    }
    for (method, style), shift in zip(
        (("lightweight", "o-"), ("uniform", "s--"), ("2 workers", "^:")), (0.93, 1.0, 1.07), strict=True
    ):
        sizes = [m for m in SIZES if (method, m) in results]
        circuits = [results[(method, m)][0]["circuits"] * shift for m in sizes]
        for ax, key in zip(axes, ("accuracy", "loss"), strict=True):
            ivs = [mean_interval([r[key] for r in results[(method, m)]]) for m in sizes]
            mean = np.array([iv.mean for iv in ivs])
            half = np.array([iv.half_width for iv in ivs])
            ax.errorbar(circuits, mean, yerr=half, fmt=style, ms=4, capsize=3, label=labels[method])
    axes[0].set(xscale="log", xlabel="circuits run (40 full-batch steps)", ylabel="validation accuracy")
    axes[1].set(xscale="log", xlabel="circuits run (40 full-batch steps)", ylabel="loss on the whole training set")
    axes[0].legend(title="coreset of m points (95 %, 8 seeds)", fontsize=8)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(FIGURES / "coresets.png", dpi=120)
    print(f"figure: {FIGURES / 'coresets.png'}")


if __name__ == "__main__":
    main()
