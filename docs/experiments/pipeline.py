"""The pipeline (vertical) split against the coherent (horizontal, telegate) split of the same model (issue 20,
item 1).

A 4-qubit, 2-layer hardware-efficient classifier (16 parameters, angle-encoded moons, batch 4, 50 shots sampled
per circuit, Adam 0.1, 15 steps) on the metro network's two trapped-ion sites, each with its gate and readout
errors, joined through the central-office hub (12 + 25 km, Werner sources of fidelity F, memories with
T2 = 1 s):

- ``single`` on dc_north: the baseline, no network;
- ``pipeline``: dc_north encodes and runs layer 1, teleports the 4 qubits to lab_east, which runs layer 2 and
  measures — 4 pairs per shot; 1, 4 or 16 shots in flight;
- ``coherent``: readout qubit 0 on lab_east, qubits 1–3 on dc_north (the placement of the coherent study:
  the partitioner alone would keep every remote gate out of ⟨Z₀⟩'s light cone), CNOT(0,1) by a telegate in
  each layer — 2 pairs per shot.

F = 0.95 (as shipped), 0.9 and 0.99. Seeds 1–5; means with 95 % intervals, differences paired by seed. Also
the output-state fidelity against the ideal circuit (both splits' gate and pair noise; 4 validation inputs at the
trained parameters). Then the timing on a faster network: the same runs on ``topologies/star4.yaml`` (1 MHz
sources, 10 km spokes, perfect pairs, 2 hub memories per spoke), 1, 4 and 16 shots in flight against one QPU,
with the shot period and the boundary's pair period (the time to make one shot's 4 pairs).

The pairs are charged in bulk (a representative sample per step, scaled:
:mod:`qnet_dqnn.distributed.pipeline.pairs`), not on the exact pair timeline.

Run: ``.venv/bin/python docs/experiments/pipeline.py`` (2–5 minutes); writes
``docs/figures/pipeline.png`` and prints the tables of docs/EXPERIMENTS.md.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from qnet_dqnn.config import parse_yaml  # noqa: E402
from qnet_dqnn.distributed.harness import train_on  # noqa: E402
from qnet_dqnn.errors import TopologyError  # noqa: E402
from qnet_dqnn.stats import mean_interval  # noqa: E402
from qnet_dqnn.topology import load_topology, topology_from_data  # noqa: E402
from qnet_dqnn.units import to_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "figures"
SEEDS = (1, 2, 3, 4, 5)
FIDELITIES = (0.9, 0.95, 0.99)
COMMON: dict[str, Any] = {
    "model": {"qubits": 4, "layers": 2},
    "dataset": {"name": "moons", "samples": 200, "validation_samples": 50},
    "optimizer": {"type": "adam", "learning_rate": 0.1},
    "shots": 50,
    "noise": True,
    "batch_size": 4,
    "max_steps": 15,
    "eval_every": 15,
    "target_accuracy": None,
}
STAGES = [{"node": "dc_north", "layers": 1}, {"node": "lab_east", "layers": 1}]
RUNS: dict[str, dict[str, Any]] = {
    "single": {"type": "single", "node": "dc_north"},
    "pipeline": {"type": "pipeline", "stages": STAGES, "in_flight": 4},
    "pipeline, 1 in flight": {"type": "pipeline", "stages": STAGES, "in_flight": 1},
    "pipeline, 16 in flight": {"type": "pipeline", "stages": STAGES, "in_flight": 16},
    "coherent": {
        "type": "coherent",
        "nodes": ["dc_north", "lab_east"],
        "placement": {"lab_east": [0], "dc_north": [1, 2, 3]},
    },
}


def metro(fidelity: float) -> Any:
    """The metro topology with every link's source fidelity set to ``fidelity``."""
    path = ROOT / "topologies" / "metro.yaml"
    data = copy.deepcopy(parse_yaml(path.read_text(encoding="utf-8"), str(path), TopologyError))
    data["defaults"]["link"]["quantum"]["source_fidelity"] = fidelity
    for link in data["links"]:
        if isinstance(link.get("quantum"), dict) and "source_fidelity" in link["quantum"]:
            link["quantum"]["source_fidelity"] = fidelity
    return topology_from_data(data, str(path))


def run(topology: Any, strategy: dict[str, Any], seed: int) -> dict[str, float]:
    ctx = train_on(topology, strategy, seed=seed, trace=False, **COMMON)
    ledger = ctx.network.ledger
    shots = max(node.shots for node in ledger.nodes.values())
    pairs = ctx.extra_metrics.get("pairs_consumed", 0.0)
    return {
        "loss": ctx.recorder.losses[-1],
        "accuracy": ctx.recorder.accuracies[-1],
        "time_s": to_seconds(ctx.network.now),
        "pairs_per_shot": pairs / shots if shots else 0.0,
        "messages": float(ledger.totals()["messages"]),
        "pair_fidelity": ctx.extra_metrics.get("boundary0_pair_fidelity", ctx.extra_metrics.get("pair_fidelity", 1.0)),
        "output_fidelity": ctx.extra_metrics.get("output_fidelity", float("nan")),
        "shot_period_s": ctx.extra_metrics.get("shot_period_s", 0.0),
        "pair_period_s": ctx.extra_metrics.get("boundary0_pair_period_s", 0.0),
    }


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    results: dict[tuple[str, float], list[dict[str, float]]] = {}
    for fidelity in FIDELITIES:
        topology = metro(fidelity)
        for name, strategy in RUNS.items():
            if fidelity != 0.95 and name in ("single", "pipeline, 1 in flight", "pipeline, 16 in flight"):
                continue
            rows = results[(name, fidelity)] = [run(topology, strategy, s) for s in SEEDS]

            def iv(key: str, rows: list[dict[str, float]] = rows) -> Any:
                return mean_interval([r[key] for r in rows])

            print(
                f"F={fidelity:.2f} {name:22s} loss {iv('loss')}  accuracy {iv('accuracy')}  time {iv('time_s')} s  "
                f"pairs/shot {iv('pairs_per_shot').mean:.2f}  messages {iv('messages').mean:.3g}  "
                f"pair F {iv('pair_fidelity').mean:.3f}  shot period {1e3 * iv('shot_period_s').mean:.2f} ms  "
                f"output F {iv('output_fidelity') if name != 'single' else '-'}"
            )
    print("\npaired by seed, loss difference (95 % interval):")
    base = results[("single", 0.95)]
    for fidelity in FIDELITIES:
        for name in ("pipeline", "coherent"):
            d = mean_interval([a["loss"] - b["loss"] for a, b in zip(results[(name, fidelity)], base, strict=True)])
            print(f"F={fidelity:.2f} {name:9s} - single: {d.mean:+.4f} [{d.low:+.4f}, {d.high:+.4f}]")
        d = mean_interval(
            [
                a["loss"] - b["loss"]
                for a, b in zip(results[("pipeline", fidelity)], results[("coherent", fidelity)], strict=True)
            ]
        )
        print(f"F={fidelity:.2f} pipeline - coherent: {d.mean:+.4f} [{d.low:+.4f}, {d.high:+.4f}]")
        d = mean_interval(
            [
                a["output_fidelity"] - b["output_fidelity"]
                for a, b in zip(results[("pipeline", fidelity)], results[("coherent", fidelity)], strict=True)
            ]
        )
        print(f"F={fidelity:.2f} output fidelity, pipeline - coherent: {d.mean:+.4f} [{d.low:+.4f}, {d.high:+.4f}]")

    star4 = load_topology(ROOT / "topologies" / "star4.yaml")
    fast = {
        "single": {"type": "single", "node": "q0"},
        **{
            f"pipeline, {k} in flight": {
                "type": "pipeline",
                "stages": [{"node": "q0", "layers": 1}, {"node": "q1", "layers": 1}],
                "in_flight": k,
            }
            for k in (1, 4, 16)
        },
        "coherent": {"type": "coherent", "nodes": ["q0", "q1"], "placement": {"q1": [0], "q0": [1, 2, 3]}},
    }
    print("\nstar4 (perfect pairs at 1 MHz over 10 km spokes), simulated time of 15 steps:")
    for name, strategy in fast.items():
        rows = [run(star4, strategy, s) for s in SEEDS]
        print(
            f"{name:22s} time {mean_interval([r['time_s'] for r in rows])} s  "
            f"loss {mean_interval([r['loss'] for r in rows])}  "
            f"shot period {1e3 * rows[0]['shot_period_s']:.3f} ms  pair period {1e3 * rows[0]['pair_period_s']:.3f} ms"
        )

    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
    for name, style in (("pipeline", "o-"), ("coherent", "s--")):
        for ax, key in ((axes[0], "loss"), (axes[2], "output_fidelity")):
            ivs = [mean_interval([r[key] for r in results[(name, f)]]) for f in FIDELITIES]
            ax.errorbar(
                FIDELITIES, [i.mean for i in ivs], yerr=[i.half_width for i in ivs], fmt=style, capsize=3, label=name
            )
    axes[2].set(xlabel="link source fidelity F", ylabel="output-state fidelity vs the ideal circuit")
    axes[2].legend(fontsize=8)
    single = mean_interval([r["loss"] for r in base])
    axes[0].axhspan(single.low, single.high, color="gray", alpha=0.2)
    axes[0].axhline(single.mean, color="gray", label="single QPU (95 % band)")
    axes[0].set(xlabel="link source fidelity F", ylabel="training loss after 15 steps")
    axes[0].legend(fontsize=8)
    names = ["single", "pipeline, 1 in flight", "pipeline", "pipeline, 16 in flight", "coherent"]
    times = [mean_interval([r["time_s"] for r in results[(n, 0.95)]]) for n in names]
    axes[1].bar(range(len(names)), [t.mean for t in times], yerr=[t.half_width for t in times], capsize=3)
    axes[1].set(
        xticks=range(len(names)),
        xticklabels=["single", "pipe\n1 in flight", "pipe\n4 in flight", "pipe\n16 in flight", "coherent"],
        ylabel="simulated time for 15 steps (s)",
        yscale="log",
    )
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(FIGURES / "pipeline.png", dpi=120)
    print(f"figure: {FIGURES / 'pipeline.png'}")


if __name__ == "__main__":
    main()
