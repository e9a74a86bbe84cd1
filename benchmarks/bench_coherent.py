"""Benchmark of coherent model splitting (issue 6): pair throughput of the strategy and the cost of one step.

(a) Pairs per CPU-second (and wall-second) through the pair timeline (:mod:`qnet_dqnn.net.timeline`, states
    included) against the one-event-per-pair path (``request_pairs`` with QuantumLink processes) on the same
    chain of 5 km links, one link and three links (two repeaters swapping), printed as a ratio.
(b) Wall time of one gradient step (:meth:`CoherentReplica.step`: pair supply, shots, evaluation of the noisy
    split circuit) of the same model at finite shots (``shots: 1000``, so the gradient is by parameter shift
    over sampled expectation values), split over 2 QPUs (as in (a)) and over 4 QPUs (two data qubits each,
    ``communication_qubits: 6``); median of ``--repeats`` steps after one warm-up, and the evaluation alone.

(c) With ``--against DIR`` (another revision's tree, e.g. ``git archive main | tar -x -C DIR``): (b)'s
    step, CPU time per step (``time.process_time``, which other processes on a busy machine disturb least), in
    fresh processes that alternate between this code and DIR's (``PYTHONPATH=DIR``), ``--rounds`` rounds; the
    ratio this / DIR per round. Both run the splits as written here (DIR's own defaults for options it has and
    this code has not, e.g. main's ``representative_pairs`` = 16).

Usage: ``.venv/bin/python benchmarks/bench_coherent.py [--steps 8] [--repeats 5] [--against DIR --rounds 3]``;
writes ``results/benchmarks/bench_coherent.json``. The machine line reports the load average
(``os.getloadavg``): numbers taken on a busy machine are upper bounds.
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
from pathlib import Path
from typing import Any

import numpy as np

import qnet_dqnn
from qnet_dqnn.distributed.coherent import CoherentOptions, CoherentReplica
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.spec import DatasetSpec, TrainSpec, build_dataset, build_model, build_optimizer
from qnet_dqnn.net import Network
from qnet_dqnn.net.entanglement import request_pairs
from qnet_dqnn.topology import load_topology
from qnet_dqnn.units import to_ticks

HERE = Path(__file__).resolve().parent
#: The star of the tree whose package runs (a peer's own file: its loader may not read this tree's fields).
TOPOLOGY = load_topology(Path(qnet_dqnn.__file__).resolve().parent.parent / "topologies" / "star4_werner.yaml")
MODEL = {"qubits": 8, "layers": 2}
COMMON: dict[str, Any] = {
    "noise": False,
    "batch_size": 4,
    "dataset": {"name": "moons", "samples": 60, "validation_samples": 15},
}
SPLITS: dict[str, dict[str, Any]] = {
    "2 QPUs": {"nodes": ["q0", "q1"], "placement": {"q1": [0]}},
    "4 QPUs": {"communication_qubits": 6},
}


def _chain(n_links: int) -> Any:
    from qnet_dqnn.topology import topology_from_data

    gates = {"one_qubit_time_s": 1e-6, "two_qubit_time_s": 5e-6, "measurement_time_s": 5e-6}
    nodes = [
        {"name": f"n{i}", "qubits": 8, "gates": gates, "memory": {"t1_s": 1.0, "t2_s": 0.1}} for i in range(n_links + 1)
    ]
    links = [
        {
            "between": [f"n{i}", f"n{i + 1}"],
            "length_km": 5.0,
            "quantum": {"source_rate_hz": 1e6, "source_fidelity": 0.95},
        }
        for i in range(n_links)
    ]
    return topology_from_data({"name": "chain", "nodes": nodes, "links": links})


def throughput(n_links: int, pairs: int, event_pairs: int) -> dict[str, float]:
    """(a): pairs per CPU-second (and per wall-second) through the timeline (states included) and through the
    event path, same case: uses every 200 us (the supply keeps up), on a chain of ``n_links`` 5 km links (swaps
    at the repeaters). The timeline runs once on 1000 uses first (numba's compile or cache load)."""
    from qnet_dqnn.net.timeline import Demand, PairTimeline

    topology = _chain(n_links)

    def timeline_run(n: int) -> tuple[float, float]:
        net = Network(topology, 1)
        timeline = PairTimeline.of(net)
        path = timeline.path("n0", f"n{n_links}")
        d = Demand("d", [path], np.zeros(n, dtype=np.int64), np.full(n, 200_000), 0, 0)
        t0, c0 = time.perf_counter(), time.process_time()
        outcome = timeline.schedule.run([d])[0]
        timeline.states(outcome, per_use=False)
        return time.process_time() - c0, time.perf_counter() - t0

    timeline_run(1000)
    cpu_t, wall_t = timeline_run(pairs)
    net = Network(topology, 1, memory_split="per_link", pair_model="bell_diagonal")  # the timeline's states
    box = __import__("simpy").Store(net.env)

    def use() -> Any:
        while True:
            pair = yield box.get()
            net.consume_pair(pair)

    net.env.process(use())
    t0, c0 = time.perf_counter(), time.process_time()
    net.env.run(until=request_pairs(net, "n0", f"n{n_links}", event_pairs, deliver_to=box))
    cpu_e, wall_e = time.process_time() - c0, time.perf_counter() - t0
    return {
        "timeline_pairs_per_cpu_s": pairs / cpu_t,
        "event_pairs_per_cpu_s": event_pairs / cpu_e,
        "ratio_cpu": (pairs / cpu_t) / (event_pairs / cpu_e),
        "timeline_pairs_per_s": pairs / wall_t,
        "event_pairs_per_s": event_pairs / wall_e,
    }


def context(shots: int) -> TrainingContext:
    """A training context as the ``train`` workload builds it, at ``shots`` shots per circuit."""
    common = dict(COMMON)
    if "validation_samples" not in DatasetSpec.model_fields:  # a peer from before held-out counts
        common["dataset"] = {k: v for k, v in COMMON["dataset"].items() if k != "validation_samples"}
    spec = TrainSpec.model_validate(
        {"type": "train", "strategy": {"type": "coherent"}, "model": MODEL, "shots": shots, **common}
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
    steps, cpus, evals = [], [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        one()
        steps.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        t0 = time.perf_counter()
        replica.evaluator.loss_and_grad(params, x, y)
        evals.append(time.perf_counter() - t0)
    m = replica.metrics(params)
    return {
        "step_s": statistics.median(steps),
        "step_cpu_s": statistics.median(cpus),
        "evaluation_s": statistics.median(evals),
        "telegates_per_circuit": m["telegates_per_circuit"],
        "pairs_per_step": m["pairs_per_step"],
        "qpus_used": m["qpus_used"],
    }


def against(peer: Path, shots: int, repeats: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    """(c): per split and round, the median CPU time of a step in a fresh process of this code and of ``peer``'s."""
    out: dict[str, dict[str, list[float]]] = {}
    for split in SPLITS:
        runs: dict[str, list[float]] = {"this": [], "peer": []}
        for _ in range(rounds):
            for who in ("this", "peer"):
                env = dict(os.environ)
                if who == "peer":
                    env["PYTHONPATH"] = os.pathsep.join([str(peer), env.get("PYTHONPATH", "")])
                cmd = [sys.executable, __file__, "--step-cpu", split, "--shots", str(shots), "--repeats", str(repeats)]
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                runs[who].append(json.loads(done.stdout.strip().splitlines()[-1])["step_cpu_s"])
        runs["ratio"] = [a / b for a, b in zip(runs["this"], runs["peer"], strict=True)]
        out[split] = runs
    return out


def main() -> None:
    """Run, print a table, write JSON."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--shots", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--against", type=Path, help="a checkout of another revision to compare step CPU times with")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--step-cpu", choices=list(SPLITS), help=argparse.SUPPRESS)  # one (c) measurement, as JSON
    args = ap.parse_args()
    if args.step_cpu:
        print(json.dumps(step_time(args.step_cpu, args.shots, args.repeats)))
        return
    load = os.getloadavg()
    a = {f"{n} link(s)": throughput(n, 200_000, 5_000) for n in (1, 3)}
    b = {split: step_time(split, args.shots, args.repeats) for split in SPLITS}
    c = against(args.against.resolve(), args.shots, args.repeats, args.rounds) if args.against else {}
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
        "shots": args.shots,
        "repeats": args.repeats,
    }
    print(f"machine: {meta['processor']}, {meta['cpus']} CPUs, Python {meta['python']}, numpy {meta['numpy']}")
    print(f"load average (1, 5, 15 min): before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, ", end="")
    print(f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print("\n(a) pairs per CPU-second (per wall-second), pair timeline vs one event per pair (request_pairs)")
    for case, r in a.items():
        print(
            f"    {case}: timeline {r['timeline_pairs_per_cpu_s']:,.0f}/s ({r['timeline_pairs_per_s']:,.0f}/s), "
            f"event path {r['event_pairs_per_cpu_s']:,.0f}/s ({r['event_pairs_per_s']:,.0f}/s), "
            f"ratio {r['ratio_cpu']:.0f}x"
        )
    print(f"\n(b) one gradient step, 8 qubits, shots {args.shots}, median of {args.repeats}")
    head = ("split", "telegates", "pairs/step", "step (s)", "step CPU (s)", "evaluation (s)")
    print("    " + " | ".join(f"{h:>{w}}" for h, w in zip(head, (7, 9, 10, 8, 12, 14), strict=True)))
    for split, r in b.items():
        print(
            f"    {split:>7} | {r['telegates_per_circuit']:>9.0f} | {r['pairs_per_step']:>10.0f} | "
            f"{r['step_s']:>8.3f} | {r['step_cpu_s']:>12.3f} | {r['evaluation_s']:>14.3f}"
        )
    if c:
        print(f"\n(c) step CPU time (s), this code against {args.against}, {args.rounds} rounds (fresh processes)")
        for split, r in c.items():
            trio = zip(r["this"], r["peer"], r["ratio"], strict=True)
            cells = ", ".join(f"{x:.3f}/{y:.3f} = {q:.2f}x" for x, y, q in trio)
            print(f"    {split}: {cells}; median ratio {statistics.median(r['ratio']):.2f}x")
    out = HERE.parent / "results" / "benchmarks"  # outside the source tree, as benchmarks/common.py says
    out.mkdir(parents=True, exist_ok=True)
    record = {"meta": meta, "throughput": a, "step": b, "against": c}
    (out / "bench_coherent.json").write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
