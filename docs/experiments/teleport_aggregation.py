"""Entanglement-assisted aggregation (issue 20, item 5): move the quantum data to the model by teleportation,
or move the model to the data in classical messages?

Three clients of the metro network — lab_east (trapped ions), campus (neutral atoms), dc_south (NV centre) —
hold quantum data: 2-qubit ground states of the transverse-field Ising chain, labelled by phase
(``tfim_phases``, 160 samples, 120 for training, 40 for validation). The 20-qubit trapped-ion QPU dc_north
trains a 2-qubit, 2-layer classifier (8 parameters) for 40 updates of 24 samples (Adam, learning rate 0.1; gate
and readout errors on, 100 shots sampled per circuit), either

- ``parameter_server`` (server dc_north): every round each client computes the gradient of 8 of its own
  samples and sends it (8 × 64 bits), dc_north averages and sends the parameters back; or
- ``teleport_data``: each client teleports its 40 samples to dc_north once (one end-to-end pair and 2 bits per
  qubit, through the central-office hub: one swap), and dc_north trains alone on what arrived,

with every link's source fidelity F set to 0.85 … 1 (the network's memories keep decohering the pairs while
they wait). The model is judged on ideal data (the experimenter's view, exact expectations at dc_north):
validation accuracy and the loss on the clean training set. Seeds 1–6; means with 95 % intervals,
differences paired by seed.

Run: ``.venv/bin/python docs/experiments/teleport_aggregation.py`` (about 10 minutes); writes
``docs/figures/teleport_aggregation.png`` and prints the tables of docs/EXPERIMENTS.md.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from qnet_dqnn.config import parse_yaml  # noqa: E402
from qnet_dqnn.distributed.harness import train_on  # noqa: E402
from qnet_dqnn.distributed.spec import DatasetSpec, build_dataset  # noqa: E402
from qnet_dqnn.errors import TopologyError  # noqa: E402
from qnet_dqnn.stats import mean_interval  # noqa: E402
from qnet_dqnn.topology import topology_from_data  # noqa: E402
from qnet_dqnn.units import to_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "figures"
SEEDS = tuple(range(1, 7))
FIDELITIES = (0.85, 0.9, 0.95, 0.99, 1.0)
CLIENTS = ["lab_east", "campus", "dc_south"]
SERVER = "dc_north"
COMMON: dict[str, Any] = {
    "model": {"qubits": 2, "layers": 2, "encoding": "state"},
    "dataset": {"name": "tfim_phases", "samples": 160, "validation_samples": 40},
    "optimizer": {"type": "adam", "learning_rate": 0.1},
    "shots": 100,
    "noise": True,
    "batch_size": 8,
    "max_steps": 40,
    "eval_every": 40,
    "target_accuracy": None,
}


def metro_with_fidelity(fidelity: float | None) -> Any:
    """The metro topology with every link's source fidelity set to ``fidelity`` (None: as shipped)."""
    path = ROOT / "topologies" / "metro.yaml"
    data = parse_yaml(path.read_text(encoding="utf-8"), str(path), TopologyError)
    if fidelity is not None:
        data = copy.deepcopy(data)
        data["defaults"]["link"]["quantum"]["source_fidelity"] = fidelity
        for link in data["links"]:
            if isinstance(link.get("quantum"), dict) and "source_fidelity" in link["quantum"]:
                link["quantum"]["source_fidelity"] = fidelity
    return topology_from_data(data, str(path))


def run(topology: Any, strategy: dict[str, Any], seed: int) -> dict[str, float]:
    """One run, judged on the clean data at the server."""
    ctx = train_on(topology, strategy, seed=seed, trace=False, **COMMON)
    clean = build_dataset(DatasetSpec(name="tfim_phases", samples=160, validation_samples=40), 2, seed)
    judge = ctx.qpu(SERVER)
    totals = ctx.network.ledger.totals()
    out = {
        "accuracy": judge.accuracy(ctx.final_params, clean.x_val, clean.y_val),
        "loss": judge.loss(ctx.final_params, clean.x_train, clean.y_train),
        "bits": float(totals["bits"]),
        "messages": float(totals["messages"]),
        "time_s": to_seconds(ctx.network.now),
    }
    for key in ("teleport_pairs", "teleport_mean_pair_fidelity", "teleport_mean_state_fidelity", "teleport_time_s"):
        if key in ctx.extra_metrics:
            out[key] = ctx.extra_metrics[key]
    if "teleport_pairs_per_shot_protocol" in ctx.extra_metrics:
        out["per_shot_pairs"] = ctx.extra_metrics["teleport_pairs_per_shot_protocol"]
    return out


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    ps_strategy = {"type": "parameter_server", "nodes": CLIENTS, "server": SERVER}
    tp_strategy = {"type": "teleport_data", "nodes": CLIENTS, "server": SERVER}
    ps = [run(metro_with_fidelity(None), ps_strategy, s) for s in SEEDS]
    tp = {f: [run(metro_with_fidelity(f), tp_strategy, s) for s in SEEDS] for f in FIDELITIES}

    def iv(rows: list[dict[str, float]], key: str) -> Any:
        return mean_interval([r[key] for r in rows])

    print(
        f"parameter server: accuracy {iv(ps, 'accuracy')}  clean loss {iv(ps, 'loss')}  bits {iv(ps, 'bits')}  "
        f"messages {iv(ps, 'messages')}  time {iv(ps, 'time_s')} s"
    )
    for f, rows in tp.items():
        diff = mean_interval([a["accuracy"] - b["accuracy"] for a, b in zip(rows, ps, strict=True)])
        dloss = mean_interval([a["loss"] - b["loss"] for a, b in zip(rows, ps, strict=True)])
        print(
            f"teleport F={f:.2f}: pair F {iv(rows, 'teleport_mean_pair_fidelity')}  state F "
            f"{iv(rows, 'teleport_mean_state_fidelity')}  accuracy {iv(rows, 'accuracy')} (vs PS {diff.mean:+.3f} "
            f"[{diff.low:+.3f}, {diff.high:+.3f}])  clean loss {iv(rows, 'loss')} (vs PS {dloss.mean:+.4f} "
            f"[{dloss.low:+.4f}, {dloss.high:+.4f}])  pairs {iv(rows, 'teleport_pairs')}  bits {iv(rows, 'bits')}  "
            f"phase {iv(rows, 'teleport_time_s')} s  time {iv(rows, 'time_s')} s  "
            f"per-shot pairs {iv(rows, 'per_shot_pairs')}"
        )
    per_round = np.mean([r["bits"] for r in ps]) / COMMON["max_steps"]
    tp_bits = np.mean([r["bits"] for r in tp[0.95]])
    print(
        f"classical bits per parameter-server round {per_round:.0f}; "
        f"the teleport's bits match {tp_bits / per_round:.2f} rounds"
    )

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for key, ax, label in (("accuracy", axes[0], "validation accuracy (clean data)"),):
        ivs = [iv(tp[f], key) for f in FIDELITIES]
        ax.errorbar(
            FIDELITIES,
            [i.mean for i in ivs],
            yerr=[i.half_width for i in ivs],
            fmt="o-",
            capsize=3,
            label="teleport_data",
        )
        base = iv(ps, key)
        ax.axhspan(base.low, base.high, color="C1", alpha=0.2)
        ax.axhline(base.mean, color="C1", label="parameter_server (95 % band)")
        ax.set(xlabel="link source fidelity F", ylabel=label)
        ax.legend(fontsize=8)
    ivs = [iv(tp[f], "loss") for f in FIDELITIES]
    axes[1].errorbar(
        FIDELITIES, [i.mean for i in ivs], yerr=[i.half_width for i in ivs], fmt="o-", capsize=3, label="teleport_data"
    )
    base = iv(ps, "loss")
    axes[1].axhspan(base.low, base.high, color="C1", alpha=0.2)
    axes[1].axhline(base.mean, color="C1", label="parameter_server")
    axes[1].set(xlabel="link source fidelity F", ylabel="loss on the clean training set")
    axes[1].legend(fontsize=8)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(FIGURES / "teleport_aggregation.png", dpi=120)
    print(f"figure: {FIGURES / 'teleport_aggregation.png'}")


if __name__ == "__main__":
    main()
