"""Train a QNN much wider than any one QPU through circuit cutting: the setting of Marshall et al., "High
dimensional quantum machine learning with small quantum computers", Quantum 7, 1078 (2023), that the review
describes (issue 7).

The model is the ``blocks`` ansatz (:func:`qnet_dqnn.qml.ansatz.blocks`): ``n/8`` hardware-efficient blocks
of 8 qubits, two layers, one CZ between neighbouring blocks after the first layer, read out by the mean
``<Z>`` of the middle qubit of every block (``readout: mean``; the ``parity`` readout is a product of one
factor per block and stays at chance at 64 qubits: ``p(y=1) ≈ 1/2``, loss ln 2, for all 40 steps). The cut
finder gate-cuts the ``n/8 − 1`` CZs (γ = 3 each), so every fragment fits an 8-qubit QPU; each step runs
every distinct fragment circuit on the QPUs of a star (exact enumeration), and values, gradients and the
recorded loss/accuracy are reconstructed at the controller — no ``n``-qubit statevector is simulated.

- 32 qubits on ``topologies/star4.yaml`` (four 8-qubit QPUs): digits 0 vs 1, vertical pixel pairs
  averaged to 32 angles;
- 64 qubits on ``topologies/star8.yaml`` (eight 8-qubit QPUs): every pixel its own qubit. Its seven cuts
  make γ² = 9⁷ ≈ 4.8·10⁶: ``S·γ²`` shots per fragment circuit take decades of simulated QPU time per step,
  centuries over the run; the integer-nanosecond clock holds that exactly (:mod:`qnet_dqnn.units`), so both
  widths are charged ``S·γ²``. The fragment values and gradients are exact here (the shots are charged;
  sampled sub-experiments belong to the cut strategy's own estimator).

Run: ``.venv/bin/python docs/experiments/cut_wide.py [steps]`` (default 40 steps; a few minutes on a
shared 2-core machine); writes ``docs/figures/cut_wide.png`` and prints the numbers.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from qnet_dqnn.distributed.cut import exact_runs  # noqa: E402
from qnet_dqnn.distributed.cutting import find_cuts  # noqa: E402
from qnet_dqnn.distributed.harness import train_on  # noqa: E402
from qnet_dqnn.distributed.spec import ModelSpec, build_model  # noqa: E402
from qnet_dqnn.report.plotting import save_figure  # noqa: E402
from qnet_dqnn.topology import load_topology  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "figures"
SEED = 1
CASES = {32: "star4.yaml", 64: "star8.yaml"}


def workload(qubits: int, steps: int) -> dict[str, Any]:
    """The ``train`` workload fields of one case."""
    return {
        "model": {"qubits": qubits, "layers": 2, "ansatz": "blocks", "block_qubits": 8, "couplings": 1},
        "dataset": {"name": "digits", "classes": [0, 1], "samples": 160, "validation_samples": 40},
        "optimizer": {"type": "adam", "learning_rate": 0.1},
        "noise": False,
        "batch_size": 16,
        "shots": 100,
        "max_steps": steps,
        "target_accuracy": 0.9,
        "eval_every": 2,
    }


def run(qubits: int, steps: int) -> dict[str, Any]:
    """Train one case; its curves, the cut's numbers, the ledger per step and the wall time."""
    topology = load_topology(ROOT / "topologies" / CASES[qubits])
    workers = [n.name for n in topology.nodes if n.kind == "qpu"]
    start = time.perf_counter()
    strategy = {"type": "cut", "nodes": workers, "scale_shots": True}
    ctx = train_on(topology, strategy, seed=SEED, stop_s=1e12, **workload(qubits, steps))
    wall = time.perf_counter() - start
    spec = workload(qubits, steps)
    plan = find_cuts(build_model(ModelSpec(**spec["model"])).circuit, 8)
    scaled = exact_runs(plan, spec["shots"], 1, scale_shots=True)
    scaled_shots = sum(r.circuits_per_input * spec["batch_size"] * r.shots for r in scaled)
    ledger = ctx.network.ledger.nodes
    r = ctx.recorder
    return {
        "qubits": qubits,
        "workers": len(workers),
        "updates": ctx.updates,
        "steps": np.array(r.updates),
        "t_s": np.array(r.times_s),
        "loss": np.array(r.losses),
        "accuracy": np.array(r.accuracies),
        "metrics": dict(ctx.extra_metrics),
        "circuits_per_step": sum(ledger[w].circuits for w in workers) / ctx.updates,
        "shots_per_step": sum(ledger[w].shots for w in workers) / ctx.updates,
        "simulated_s": r.times_s[-1],
        "wall_s": wall,
        "time_to_target_s": r.time_to_target_s,
        "scale_shots": True,
        "scaled_shots_per_step": scaled_shots,
    }


def figure(results: list[dict[str, Any]]) -> Path:
    """Loss and validation accuracy against the step, one line per width."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
    for res in results:
        label = f"{res['qubits']} qubits, {res['workers']} QPUs, γ² = {res['metrics']['sampling_overhead']:.3g}"
        label += "" if res["scale_shots"] else " (shots unscaled)"
        ax_loss.plot(res["steps"], res["loss"], marker="o", ms=3, label=label)
        ax_acc.plot(res["steps"], res["accuracy"], marker="o", ms=3, label=label)
    ax_loss.set(xlabel="optimizer step", ylabel="training loss (cross-entropy)", title="loss through the cuts")
    ax_acc.set(xlabel="optimizer step", ylabel="validation accuracy", title="digits 0 vs 1", ylim=(0.0, 1.02))
    ax_acc.axhline(0.5, color="grey", lw=0.8, ls=":")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    ax_acc.legend(loc="lower right", fontsize=8)
    fig.suptitle("Blocks QNN of 8-qubit blocks gate-cut onto 8-qubit QPUs (exact reconstruction)", fontsize=10)
    return save_figure(fig, FIGURES / "cut_wide.png")


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    widths = [int(a) for a in sys.argv[2:]] or [32, 64]
    results = []
    for qubits in widths:
        res = run(qubits, steps)
        m = res["metrics"]
        print(
            f"{qubits} qubits on {res['workers']} QPUs: cuts {m['cuts']:.0f}, fragments {m['fragments']:.0f} "
            f"(max width {m['max_fragment_width']:.0f}), γ² = {m['sampling_overhead']:.6g}, "
            f"sub-experiments per step {m['runs_per_step']:.0f}, circuits per step {res['circuits_per_step']:.0f}, "
            f"shots per step {res['shots_per_step']:.4g} "
            f"({'S·γ² per fragment circuit' if res['scale_shots'] else 'unscaled; S·γ² would be'} "
            f"{res['scaled_shots_per_step']:.4g})"
        )
        print(
            f"  {res['updates']} steps: loss {res['loss'][0]:.4f} -> {res['loss'][-1]:.4f}, "
            f"val. accuracy {res['accuracy'][0]:.3f} -> {res['accuracy'][-1]:.3f} (best {res['accuracy'].max():.3f}), "
            f"time to 0.9: {res['time_to_target_s']:.4g} s, simulated {res['simulated_s']:.4g} s, "
            f"wall {res['wall_s']:.1f} s"
        )
        results.append(res)
    print(f"figure: {figure(results)}")
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (shared)")


if __name__ == "__main__":
    main()
