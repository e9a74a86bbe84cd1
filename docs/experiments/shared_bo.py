"""Information sharing between parallel optimisers (issue 20, item 3; Self et al., npj Quantum Inf. 7 (2021)).

Four workers — the metro network's QPU sites lab_east, dc_north (trapped ions), campus (neutral atoms) and
dc_south (NV centre), each with its own gate and readout errors, 100 shots sampled per circuit — minimise the
same cost: the loss of a 2-qubit, 2-layer classifier (8 parameters, angle-encoded moons) on a fixed batch of
32 training samples. Three ways, for the same circuits:

- ``bayes_opt`` with ``sharing: shared``: one surrogate at the controller sees every evaluation;
- ``bayes_opt`` with ``sharing: independent``: four Bayesian optimisers that share nothing (the control);
- ``parameter_server``: gradient descent (Adam, learning rate 0.1), every worker a parameter-shift gradient of
  its own 32-sample minibatch per round (17 circuits per sample).

The measure is the loss on the whole training set (150 points) of the run's model — for Bayesian optimisation
the best point evaluated so far — against the circuits spent, and the final validation accuracy. Seeds 1–12
(each its own data, starting points and shots); means with 95 % intervals, differences as Welch intervals.

Run: ``.venv/bin/python docs/experiments/shared_bo.py`` (about 10 minutes); writes
``docs/figures/shared_bo.png`` and prints the tables of docs/EXPERIMENTS.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from qnet_dqnn.distributed.harness import train_on  # noqa: E402
from qnet_dqnn.stats import difference_interval, mean_interval  # noqa: E402
from qnet_dqnn.topology import load_topology  # noqa: E402
from qnet_dqnn.units import to_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "figures"
SEEDS = tuple(range(1, 13))
NODES = ["lab_east", "dc_north", "campus", "dc_south"]
BATCH = 32
ROUNDS = 10  # parameter-server rounds; the Bayesian optimisers get the same circuits
PS_CIRCUITS_PER_ROUND = len(NODES) * BATCH * 17  # (1 + 2·8) circuits per sample
EVALUATIONS = ROUNDS * PS_CIRCUITS_PER_ROUND // BATCH
COMMON: dict[str, Any] = {
    "model": {"qubits": 2, "layers": 2},
    "dataset": {"name": "moons", "samples": 200, "validation_samples": 50},
    "optimizer": {"type": "adam", "learning_rate": 0.1},
    "shots": 100,
    "noise": True,
    "batch_size": BATCH,
    "target_accuracy": None,
}
RUNS = {
    "shared": ({"type": "bayes_opt", "nodes": NODES, "sharing": "shared"}, EVALUATIONS, BATCH),
    "independent": ({"type": "bayes_opt", "nodes": NODES, "sharing": "independent"}, EVALUATIONS, BATCH),
    "parameter server": ({"type": "parameter_server", "nodes": NODES}, ROUNDS, PS_CIRCUITS_PER_ROUND),
}


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    metro = load_topology(ROOT / "topologies" / "metro.yaml")
    curves: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    final: dict[str, dict[str, list[float]]] = {}
    for name, (strategy, steps, per_update) in RUNS.items():
        curves[name], final[name] = [], {"loss": [], "accuracy": [], "time_s": [], "messages": [], "circuits": []}
        for seed in SEEDS:
            every = max(steps // 20, 1)
            ctx = train_on(metro, strategy, seed=seed, trace=False, max_steps=steps, eval_every=every, **COMMON)
            r = ctx.recorder
            curves[name].append((np.array(r.updates) * per_update, np.array(r.losses)))
            totals = ctx.network.ledger.totals()
            final[name]["loss"].append(r.losses[-1])
            final[name]["accuracy"].append(r.accuracies[-1])
            final[name]["time_s"].append(to_seconds(ctx.network.now))
            final[name]["messages"].append(float(totals["messages"]))
            final[name]["circuits"].append(float(totals["circuits"]))
        f = final[name]
        print(
            f"{name:17s} loss {mean_interval(f['loss'])}  accuracy {mean_interval(f['accuracy'])}  "
            f"circuits {np.mean(f['circuits']):.0f}  messages {np.mean(f['messages']):.0f}  "
            f"time {mean_interval(f['time_s'])} s"
        )
    for a, b in (("shared", "independent"), ("shared", "parameter server"), ("independent", "parameter server")):
        d = difference_interval(final[a]["loss"], final[b]["loss"])
        print(f"loss {a} - {b}: {d.delta:+.4f} [{d.low:+.4f}, {d.high:+.4f}], Hedges' g {d.hedges_g:+.2f}")
    print("\nloss after a budget of circuits, shared - independent paired by seed (95 % interval):")
    for budget in (
        PS_CIRCUITS_PER_ROUND // 2,
        PS_CIRCUITS_PER_ROUND,
        2 * PS_CIRCUITS_PER_ROUND,
        ROUNDS * PS_CIRCUITS_PER_ROUND,
    ):
        at = {
            name: [float(np.interp(budget, x, y)) for x, y in runs]
            for name, runs in curves.items()
            if name != "parameter server"
        }
        d = mean_interval([a - b for a, b in zip(at["shared"], at["independent"], strict=True)])
        print(
            f"{budget:6d} circuits: shared {mean_interval(at['shared'])}  "
            f"independent {mean_interval(at['independent'])}  difference {d.mean:+.4f} [{d.low:+.4f}, {d.high:+.4f}]"
        )

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for (name, runs), style in zip(curves.items(), ("o-", "s--", "^:"), strict=True):
        x = runs[0][0]
        ys = np.array([y for _, y in runs])
        ivs = [mean_interval(ys[:, j]) for j in range(ys.shape[1])]
        mean = np.array([iv.mean for iv in ivs])
        half = np.array([iv.half_width for iv in ivs])
        axes[0].plot(x, mean, style, ms=3, label=name)
        axes[0].fill_between(x, mean - half, mean + half, alpha=0.2)
    axes[0].set(xlabel="circuits spent", ylabel="loss on the whole training set", xscale="log")
    axes[0].legend(title="95 % intervals, 12 seeds")
    names = list(final)
    for i, name in enumerate(names):
        acc = final[name]["accuracy"]
        iv = mean_interval(acc)
        axes[1].errorbar([i], [iv.mean], yerr=[iv.half_width], fmt="o", capsize=4)
        axes[1].plot(np.full(len(acc), i) + 0.08, acc, "k.", alpha=0.4)
    axes[1].set(xticks=range(len(names)), xticklabels=names, ylabel="final validation accuracy")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(FIGURES / "shared_bo.png", dpi=120)
    print(f"figure: {FIGURES / 'shared_bo.png'}")


if __name__ == "__main__":
    main()
