"""Benchmark of coherent model splitting (issue 6): pair throughput of the strategy and the cost of one step.

(a) Pairs consumed per wall-second: the ``coherent`` strategy trains the 8-qubit, 2-layer model split over two
    QPUs of ``topologies/star4_werner.yaml`` (qubit 0 pinned to q1, as ``scenarios/train_coherent_star4.yaml``)
    for ``--steps`` steps; pairs are the ledger's end-to-end pairs consumed (one per telegate or teleport,
    almost all of them booked in bulk, see :mod:`qnet_dqnn.distributed.coherent`) and, separately, the pairs
    simulated one by one through the entanglement service (``representative_pairs`` per node pair and step).
(b) Wall time of one gradient step (:meth:`CoherentReplica.step`: pair supply, shots, evaluation of the noisy
    split circuit) of the same model at finite shots (``shots: 1000``, so the gradient is by parameter shift
    over sampled expectation values), split over 2 QPUs (as in (a)) and over 4 QPUs (two data qubits each,
    ``communication_qubits: 6``); median of ``--repeats`` steps after one warm-up, and the evaluation alone.

Usage: ``.venv/bin/python benchmarks/bench_coherent.py [--steps 8] [--repeats 5]``; writes
``results/benchmarks/bench_coherent.json``. The machine line reports the load average (``os.getloadavg``):
numbers taken on a busy machine are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from qnet_dqnn.distributed.coherent import CoherentOptions, CoherentReplica
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.distributed.spec import TrainSpec, build_dataset, build_model, build_optimizer
from qnet_dqnn.net import Network
from qnet_dqnn.topology import load_topology
from qnet_dqnn.units import to_ticks

HERE = Path(__file__).resolve().parent
TOPOLOGY = load_topology(HERE.parent / "topologies" / "star4_werner.yaml")
MODEL = {"qubits": 8, "layers": 2}
COMMON: dict[str, Any] = {"noise": False, "batch_size": 4, "dataset": {"name": "moons", "samples": 60}}
SPLITS: dict[str, dict[str, Any]] = {
    "2 QPUs": {"nodes": ["q0", "q1"], "placement": {"q1": [0]}, "representative_pairs": 32},
    "4 QPUs": {"communication_qubits": 6, "representative_pairs": 16},
}


def throughput(steps: int, accounting_shots: int) -> dict[str, float]:
    """(a): one training run of the 2-QPU split (after a one-step warm-up run); pairs per wall-second.

    The run's wall time includes the end-of-run metrics (the output fidelity, by density matrices).
    """
    strategy = {"type": "coherent", **SPLITS["2 QPUs"]}
    train_on(TOPOLOGY, strategy, seed=1, max_steps=1, model=MODEL, accounting_shots=accounting_shots, **COMMON)
    t0 = time.perf_counter()  # after a warm-up run (first-call costs: imports, caches)
    ctx = train_on(
        TOPOLOGY, strategy, seed=1, max_steps=steps, model=MODEL, accounting_shots=accounting_shots, **COMMON
    )
    wall = time.perf_counter() - t0
    ledger = ctx.network.ledger
    e2e = sum(p.e2e_pairs_consumed for p in ledger.paths.values())
    simulated = strategy["representative_pairs"] * ctx.updates
    return {
        "steps": float(ctx.updates),
        "wall_s": wall,
        "e2e_pairs": float(e2e),
        "e2e_pairs_per_wall_s": e2e / wall,
        "simulated_pairs_per_wall_s": simulated / wall,
        "simulated_s": ctx.network.now * 1e-9,
    }


def context(shots: int) -> TrainingContext:
    """A training context as the ``train`` workload builds it, at ``shots`` shots per circuit."""
    spec = TrainSpec.model_validate(
        {"type": "train", "strategy": {"type": "coherent"}, "model": MODEL, "shots": shots, **COMMON}
    )
    network = Network.from_topology(TOPOLOGY, 1, trace=False)
    model = build_model(spec.model)
    dataset = build_dataset(spec.dataset, spec.model.qubits, 1)
    return TrainingContext(network, spec, model, dataset, build_optimizer(spec.optimizer), 1, to_ticks(1e6))


def step_time(split: str, shots: int, repeats: int) -> dict[str, float]:
    """(b): median wall time of one replica step, and of the evaluation of the split circuit alone."""
    ctx = context(shots)
    replica = CoherentReplica(ctx, CoherentOptions.model_validate({"type": "coherent", **SPLITS[split]}))
    env = ctx.network.env
    x, y = ctx.dataset.x_train[:4], ctx.dataset.y_train[:4]
    params = ctx.init_params

    def one() -> None:
        env.run(until=env.process(replica.step(params, x, y)))

    one()
    steps, evals = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        one()
        steps.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        replica.evaluator.loss_and_grad(params, x, y)
        evals.append(time.perf_counter() - t0)
    m = replica.metrics(params)
    return {
        "step_s": statistics.median(steps),
        "evaluation_s": statistics.median(evals),
        "telegates_per_circuit": m["telegates_per_circuit"],
        "pairs_per_step": m["pairs_per_step"],
        "qpus_used": m["qpus_used"],
    }


def main() -> None:
    """Run, print a table, write JSON."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--accounting-shots", type=int, default=1000)
    ap.add_argument("--shots", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    load = os.getloadavg()
    a = throughput(args.steps, args.accounting_shots)
    b = {split: step_time(split, args.shots, args.repeats) for split in SPLITS}
    load_after = os.getloadavg()
    import scipy
    import simpy

    meta = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "simpy": simpy.__version__,
        "machine": platform.machine(),
        "processor": platform.processor() or platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_before": load,
        "load_average_after": load_after,
        "steps": args.steps,
        "accounting_shots": args.accounting_shots,
        "shots": args.shots,
        "repeats": args.repeats,
    }
    print(f"machine: {meta['processor']}, {meta['cpus']} CPUs, Python {meta['python']}, numpy {meta['numpy']}")
    print(f"load average (1, 5, 15 min): before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, ", end="")
    print(f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"\n(a) coherent, 8 qubits over 2 QPUs of star4_werner, {a['steps']:.0f} steps, ", end="")
    print(f"{args.accounting_shots} accounting shots")
    print(f"    wall {a['wall_s']:.2f} s, {a['e2e_pairs']:.0f} end-to-end pairs consumed")
    print(f"    {a['e2e_pairs_per_wall_s']:,.0f} pairs consumed / wall-s (booked in bulk)")
    print(f"    {a['simulated_pairs_per_wall_s']:,.1f} representative pairs (simulated one by one) / wall-s")
    print(f"\n(b) one gradient step, 8 qubits, shots {args.shots}, median of {args.repeats}")
    print(f"    {'split':>7} | {'telegates':>9} | {'pairs/step':>10} | {'step (s)':>8} | {'evaluation (s)':>14}")
    for split, r in b.items():
        print(
            f"    {split:>7} | {r['telegates_per_circuit']:>9.0f} | {r['pairs_per_step']:>10.0f} | "
            f"{r['step_s']:>8.3f} | {r['evaluation_s']:>14.3f}"
        )
    out = HERE.parent / "results" / "benchmarks"  # outside the source tree, as benchmarks/common.py says
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_coherent.json").write_text(json.dumps({"meta": meta, "throughput": a, "step": b}, indent=2))


if __name__ == "__main__":
    main()
