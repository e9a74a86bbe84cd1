"""The data-parallel studies of docs/EXPERIMENTS.md, over seeds, with sampled shots and gate noise.

The review (Sec. 5.3) reports two findings of Du, Qian & Tao's QUDIO (arXiv:2106.12819): the speed-up to a
given accuracy grows (linearly) with the number of local nodes, and fewer local gradient evaluations per round
do better. This script measures, on the simulated network:

1. workers: time to 80 % validation accuracy against L = 1, 2, 4, 8 (FedAvg, one local step on the worker's
   whole shard, ``scenarios/train_workers_star8.yaml``), split into rounds to the target (what training
   does) and time per round (what the cost model charges), with a synchronous parameter server on the same
   shards as the control whose update does not depend on L;
2. local steps: accuracy against local gradient evaluations for E = 1, 2, 5, 10 (FedAvg on the 4-QPU star,
   ``scenarios/train_fedavg_local_steps.yaml``, 40 evaluations per client);
3. schemes: the ``scenarios/train_*_star4.yaml`` schemes side by side, and the straggler
   (``scenarios/train_straggler_star4.yaml``, synchronous against asynchronous server).

Every run samples its shots (1000 per circuit) and applies gate and readout errors on every QPU. The shipped
star topologies carry the trapped_ion preset (0.03 % per two-qubit gate, 0.07 % readout); to test the
conclusions on a noisier device the study puts the simultaneous-operation errors of Google's Sycamore processor
on every QPU instead (Arute et al., Nature 574, 505 (2019), Fig. 2: Pauli errors 0.16 % per one-qubit gate, 0.62 % per
two-qubit gate, readout 3.8 %), keeping the topology's gate times. Each seed draws its own data split,
initial parameters, minibatches and shots. Means come with 95 % Student-t intervals, differences with Welch
intervals and Hedges' g (:mod:`qnet_dqnn.stats`).

Run: ``.venv/bin/python docs/experiments/data_parallel.py [seeds] [--cache results/dp_runs]`` (default 10
seeds, 210 runs; about 1.5 min of wall time on a loaded 2-core machine, the noisy gradients coming from the
noisy adjoint; with ``--cache`` finished runs are kept, keyed by scenario, seed, options, workload and
topology, so an interrupted run resumes); writes ``docs/figures/dp_workers.png`` and
``docs/figures/dp_local_steps.png`` and prints the tables of docs/EXPERIMENTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.distributed.qpu import qpu_timing
from qnet_dqnn.distributed.spec import ModelSpec, build_model
from qnet_dqnn.quantum import forward_cost, gradient_cost
from qnet_dqnn.report.plotting import plt, save_figure
from qnet_dqnn.scenario import load_scenario
from qnet_dqnn.stats import Interval, difference_interval, mean_interval
from qnet_dqnn.topology import TopologySpec

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "figures"
SCENARIOS = ROOT / "scenarios"

#: Sycamore's simultaneous-operation Pauli error per one-qubit gate (Arute et al. 2019, Fig. 2).
SYCAMORE_ONE_QUBIT_ERROR = 0.0016
#: Sycamore's simultaneous-operation Pauli error per two-qubit gate (Arute et al. 2019, Fig. 2).
SYCAMORE_TWO_QUBIT_ERROR = 0.0062
#: Sycamore's simultaneous readout error per qubit (Arute et al. 2019, Fig. 2).
SYCAMORE_READOUT_ERROR = 0.038

TARGET = 0.8
WORKERS = (1, 2, 4, 8)
LOCAL_STEPS = (1, 2, 5, 10)
BUDGET = 40  # local gradient evaluations per client in the local-steps study
SCHEMES = ("single", "ps", "ring", "async", "ssp", "fedavg", "dropout")


def with_gate_noise(topology: TopologySpec) -> TopologySpec:
    """``topology`` with Sycamore's gate and readout errors on every QPU."""
    data = topology.model_dump()
    for node in data["nodes"]:
        if node["kind"] == "qpu":
            node["gates"]["one_qubit_error"] = SYCAMORE_ONE_QUBIT_ERROR
            node["gates"]["two_qubit_error"] = SYCAMORE_TWO_QUBIT_ERROR
            node["readout_error"] = SYCAMORE_READOUT_ERROR
    return TopologySpec.model_validate(data)


def shipped(name: str) -> tuple[TopologySpec, dict[str, Any], dict[str, Any], float]:
    """A shipped scenario as ``train_on`` arguments: noisy topology, strategy, workload fields, stop time."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    spec = scenario.workload.model_dump()
    spec.pop("type")
    strategy = spec.pop("strategy")
    spec["noise"] = True
    return with_gate_noise(scenario.topology), strategy, spec, scenario.stop.simulated_time_s


def rounds_to(ctx: TrainingContext, target: float) -> float:
    """Updates until the validation accuracy first reached ``target`` (NaN: never)."""
    r = ctx.recorder
    return next((float(u) for u, a in zip(r.updates, r.accuracies, strict=True) if a >= target), math.nan)


def summary(ctx: TrainingContext, wall_s: float) -> dict[str, Any]:
    """The numbers a study reads from one run."""
    r, links = ctx.recorder, ctx.network.ledger.links.values()
    return {
        "updates": ctx.updates,
        "time_to_target_s": r.time_to_target_s,
        "rounds_to_target": rounds_to(ctx, TARGET),
        "final_accuracy": r.accuracies[-1],
        "best_accuracy": max(r.accuracies),
        "accuracies": list(r.accuracies),
        "times_s": list(r.times_s),
        "updates_curve": list(r.updates),
        "messages": sum(link.messages for link in links),
        "bits": sum(link.bits for link in links),
        "staleness_max": max(ctx.staleness, default=0),
        "staleness_mean": float(np.mean(ctx.staleness)) if ctx.staleness else 0.0,
        "busy_s": {n: ctx.network.ledger.nodes[n].busy_ticks / 1e9 for n in ctx.qpus},
        "wall_s": wall_s,
    }


#: Where finished runs are kept so an interrupted study resumes (``--cache DIR``; None: no cache).
CACHE: Path | None = None


def run(
    name: str, seed: int, strategy: dict[str, Any] | None = None, drop: tuple[str, ...] = (), **override: Any
) -> dict[str, Any]:
    """One seed of a shipped scenario: strategy fields updated (``drop``: removed), workload fields overridden."""
    topology, base, spec, stop_s = shipped(name)
    options = {k: v for k, v in {**base, **(strategy or {})}.items() if k not in drop}
    workload = {**spec, **override}
    inputs = [name, seed, options, workload, topology.model_dump(mode="json")]  # a changed topology reruns
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]
    cached = CACHE / f"{name}-{seed}-{key}.json" if CACHE is not None else None
    if cached is not None and cached.exists():
        return json.loads(cached.read_text())
    start = time.perf_counter()
    ctx = train_on(topology, options, seed=seed, stop_s=stop_s, **workload)
    result = summary(ctx, time.perf_counter() - start)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(result))
    return result


def iv(values: Any, digits: int = 3) -> str:
    """``mean [low, high]`` (95 %) of the finite values, with how many there were when some are missing."""
    i: Interval = mean_interval(values)
    total = len(list(values))
    if i.n == 0:
        return "–"
    fmt = f"{{:.{digits}g}}"
    text = fmt.format(i.mean) if i.n < 2 else f"{fmt.format(i.mean)} [{fmt.format(i.low)}, {fmt.format(i.high)}]"
    return text if i.n == total else f"{text} ({i.n}/{total})"


def column(rows: list[dict[str, Any]], key: str) -> list[float]:
    return [float(r[key]) for r in rows]


# ------------------------------------------------------------------------------------------ 1. workers


def round_cost_s(name: str, largest_shard: int) -> float:
    """The cost model's QPU time of one FedAvg round of one local step on the largest shard (in s)."""
    topology, _, spec, _ = shipped(name)
    circuit = build_model(ModelSpec(**spec["model"])).circuit
    timing = qpu_timing(next(n for n in topology.nodes if n.kind == "qpu"))
    cost = forward_cost(circuit, largest_shard, spec["shots"], timing)
    return (cost + gradient_cost(circuit, largest_shard, spec["shots"], timing)).qpu_time_s


def workers_study(seeds: list[int]) -> dict[str, dict[int, list[dict[str, Any]]]]:
    """FedAvg (E = 1, whole shards) and the synchronous parameter server on the same shards, L = 1..8."""
    out: dict[str, dict[int, list[dict[str, Any]]]] = {"fedavg": {}, "parameter_server": {}}
    for kind in out:
        drop = ("local_steps",) if kind == "parameter_server" else ()
        for workers in WORKERS:
            runs = []
            for seed in seeds:
                runs.append(run("train_workers_star8", seed, {"type": kind, "workers": workers}, drop))
                progress(f"workers {kind} L={workers} seed {seed}", runs[-1])
            out[kind][workers] = runs
    return out


def print_workers(study: dict[str, dict[int, list[dict[str, Any]]]]) -> None:
    training = load_scenario(SCENARIOS / "train_workers_star8.yaml").workload.dataset.training_samples
    print(f"\n### workers: time to {TARGET:.0%} (FedAvg E = 1, whole shards; {training} training samples)\n")
    print(
        "| L | scheme | rounds to target | time to target (s) | speed-up vs L = 1 (per seed) | range | "
        "cost-model speed-up | rounds(L=1)/rounds(L) |"
    )
    print("|---|---|---:|---:|---:|---|---:|---:|")
    for kind, by_l in study.items():
        base = by_l[1]
        for workers, runs in by_l.items():
            speed = [a["time_to_target_s"] / b["time_to_target_s"] for a, b in zip(base, runs, strict=True)]
            ratio = [a["rounds_to_target"] / b["rounds_to_target"] for a, b in zip(base, runs, strict=True)]
            finite = [s for s in speed if math.isfinite(s)]
            span = f"{min(finite):.2f}–{max(finite):.2f}" if finite else "–"
            model = training / math.ceil(training / workers)
            print(
                f"| {workers} | {kind} | {iv(column(runs, 'rounds_to_target'))} | "
                f"{iv(column(runs, 'time_to_target_s'), 4)} | {iv(speed)} | {span} | {model:.2f} | {iv(ratio)} |"
            )
    # what the simulation adds beyond the cost model's compute: messages and waiting
    print("\nround time against the cost model (FedAvg):")
    for workers, runs in study["fedavg"].items():
        cost = round_cost_s("train_workers_star8", math.ceil(training / workers))
        per_round = [
            r["time_to_target_s"] / r["rounds_to_target"] for r in runs if math.isfinite(r["rounds_to_target"])
        ]
        extra = [(t - cost) / t for t in per_round]
        print(
            f"  L={workers}: cost model {cost:.2f} s/round, simulated {iv(per_round, 6)} s/round, "
            f"beyond the cost model {iv(extra, 3)} of a round"
        )
    for workers in WORKERS:
        d = difference_interval(
            column(study["fedavg"][workers], "rounds_to_target"),
            column(study["parameter_server"][workers], "rounds_to_target"),
        )
        print(f"  rounds FedAvg − PS at L={workers}: {d.delta:.3g} [{d.low:.3g}, {d.high:.3g}], g = {d.hedges_g:.2f}")


def figure_workers(study: dict[str, dict[int, list[dict[str, Any]]]], training: int) -> Path:
    """Rounds to the target and the speed-up per seed against L, beside the cost model's ⌈N/L⌉."""
    fig, (ax_rounds, ax_speed) = plt.subplots(1, 2, figsize=(9.5, 3.8))
    ls = np.array(WORKERS)
    for k, (kind, marker) in enumerate((("fedavg", "o"), ("parameter_server", "s"))):
        ivs = [mean_interval(column(study[kind][w], "rounds_to_target")) for w in WORKERS]
        shift = ls * (1.04 if k else 0.96)
        ax_rounds.errorbar(
            shift,
            [i.mean for i in ivs],
            yerr=[[i.mean - i.low for i in ivs], [i.high - i.mean for i in ivs]],
            marker=marker,
            capsize=3,
            label=f"{kind} (mean, 95 % CI)",
        )
        base = study[kind][1]
        for w, x in zip(WORKERS, shift, strict=True):
            speed = [a["time_to_target_s"] / b["time_to_target_s"] for a, b in zip(base, study[kind][w], strict=True)]
            ax_speed.plot(
                [x] * len(speed),
                speed,
                marker,
                ms=4,
                alpha=0.6,
                color=f"C{k}",
                label=f"{kind}, per seed" if w == 1 else None,
            )
    ax_speed.plot(
        ls,
        [training / math.ceil(training / w) for w in WORKERS],
        "k--",
        lw=1,
        label=f"cost model: {training}/⌈{training}/L⌉",
    )
    ax_rounds.set(xscale="log", xlabel="workers L", ylabel=f"rounds to {TARGET:.0%} validation accuracy")
    ax_speed.set(xscale="log", yscale="log", xlabel="workers L", ylabel="speed-up in simulated time vs L = 1")
    for ax in (ax_rounds, ax_speed):
        ax.set_xticks(ls, [str(x) for x in ls])
        ax.minorticks_off()
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    ax_speed.set_yticks(ls, [str(x) for x in ls])
    return save_figure(fig, FIGURES / "dp_workers.png")


# ------------------------------------------------------------------------------------------ 2. local steps


def local_steps_study(seeds: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for steps in LOCAL_STEPS:
        runs = []
        for seed in seeds:
            runs.append(
                run("train_fedavg_local_steps", seed, {"local_steps": steps}, max_steps=BUDGET // steps, eval_every=1)
            )
            progress(f"local steps E={steps} seed {seed}", runs[-1])
        out[steps] = runs
    return out


def accuracy_at(run_: dict[str, Any], steps: int, evals: int) -> float:
    """Validation accuracy after ``evals`` local gradient evaluations per client (NaN: not recorded)."""
    rounds = evals // steps
    return next((a for u, a in zip(run_["updates_curve"], run_["accuracies"], strict=True) if u == rounds), math.nan)


def print_local_steps(study: dict[int, list[dict[str, Any]]]) -> None:
    print("\n### local steps: validation accuracy after n local gradient evaluations per client\n")
    print(f"| E | n = 10 | n = 20 | n = 40 | time to {TARGET:.0%} (s) |")
    print("|---|---:|---:|---:|---:|")
    for steps, runs in study.items():
        cells = [iv([accuracy_at(r, steps, n) for r in runs]) for n in (10, 20, 40)]
        print(f"| {steps} | {' | '.join(cells)} | {iv(column(runs, 'time_to_target_s'), 4)} |")
    for n in (10, 20, 40):
        a = [accuracy_at(r, 1, n) for r in study[1]]
        b = [accuracy_at(r, 10, n) for r in study[10]]
        d = difference_interval(a, b)
        print(
            f"  E=1 − E=10 after {n}: {d.delta:+.3f} [{d.low:+.3f}, {d.high:+.3f}], g = {d.hedges_g:.2f}, "
            f"p = {d.p_value:.2g}"
        )


def figure_local_steps(study: dict[int, list[dict[str, Any]]]) -> Path:
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    for steps, runs in study.items():
        evals = steps * np.arange(1, BUDGET // steps + 1)
        ivs = [mean_interval([accuracy_at(r, steps, int(n)) for r in runs]) for n in evals]
        mean = np.array([i.mean for i in ivs])
        ax.plot(evals, mean, "o-", ms=3, label=f"E = {steps}")
        ax.fill_between(evals, [i.low for i in ivs], [i.high for i in ivs], alpha=0.15)
    ax.set(xlabel="local gradient evaluations per client", ylabel="validation accuracy (mean, 95 % CI)")
    ax.legend(fontsize=8)
    return save_figure(fig, FIGURES / "dp_local_steps.png")


# ------------------------------------------------------------------------------------------ 3. schemes


def schemes_study(seeds: list[int]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for scheme in SCHEMES:
        out[scheme] = []
        for seed in seeds:
            out[scheme].append(run(f"train_{scheme}_star4", seed))
            progress(f"scheme {scheme} seed {seed}", out[scheme][-1])
    for kind in ("parameter_server", "async_parameter_server"):
        out[f"straggler {kind}"] = []
        for seed in seeds:
            out[f"straggler {kind}"].append(run("train_straggler_star4", seed, {"type": kind}))
            progress(f"straggler {kind} seed {seed}", out[f"straggler {kind}"][-1])
    return out


def print_schemes(study: dict[str, list[dict[str, Any]]]) -> None:
    print("\n### schemes (star4, batch 8 per worker)\n")
    print(f"| scenario | updates | time to {TARGET:.0%} (s) | final accuracy | messages | bits | max staleness |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, runs in study.items():
        msgs, bits = column(runs, "messages"), column(runs, "bits")
        m = f"{min(msgs):.0f}" if min(msgs) == max(msgs) else f"{min(msgs):.0f}–{max(msgs):.0f}"
        b = f"{min(bits):.0f}" if min(bits) == max(bits) else f"{min(bits):.0f}–{max(bits):.0f}"
        print(
            f"| {name} | {iv(column(runs, 'updates'))} | {iv(column(runs, 'time_to_target_s'), 4)} | "
            f"{iv(column(runs, 'final_accuracy'))} | {m} | {b} | {iv(column(runs, 'staleness_max'))} |"
        )
    sync, asyn = study["straggler parameter_server"], study["straggler async_parameter_server"]
    ratio = [s["time_to_target_s"] / a["time_to_target_s"] for s, a in zip(sync, asyn, strict=True)]
    finite = [r for r in ratio if math.isfinite(r)]
    span = f"{min(finite):.2f}–{max(finite):.2f}" if finite else "–"
    d = difference_interval(column(sync, "time_to_target_s"), column(asyn, "time_to_target_s"))
    print(
        f"\nstraggler: sync/async time to target per seed {iv(ratio)}, range "
        f"{span}; sync − async {d.delta:.4g} s [{d.low:.4g}, {d.high:.4g}], "
        f"g = {d.hedges_g:.2f}, p = {d.p_value:.2g}; async mean staleness {iv(column(asyn, 'staleness_mean'))}, "
        f"max {iv(column(asyn, 'staleness_max'))}"
    )
    ps, asyn0 = study["ps"], study["async"]
    d0 = difference_interval(column(ps, "time_to_target_s"), column(asyn0, "time_to_target_s"))
    print(f"control, no straggler: ps − async {d0.delta:.4g} s [{d0.low:.4g}, {d0.high:.4g}], g = {d0.hedges_g:.2f}")


def progress(label: str, result: dict[str, Any]) -> None:
    print(
        f"  {label}: updates {result['updates']}, to target {result['time_to_target_s']:.5g} s, "
        f"final {result['final_accuracy']:.3f} ({result['wall_s']:.0f} s wall)",
        file=sys.stderr,
        flush=True,
    )


def main() -> None:
    global CACHE
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("seeds", nargs="?", type=int, default=10, help="seeds 1..N per point")
    ap.add_argument("--cache", type=Path, default=None, help="keep finished runs here and resume from them")
    args = ap.parse_args()
    CACHE = args.cache
    seeds = list(range(1, args.seeds + 1))
    started = time.perf_counter()
    workers = workers_study(seeds)
    local = local_steps_study(seeds)
    schemes = schemes_study(seeds)
    training = load_scenario(SCENARIOS / "train_workers_star8.yaml").workload.dataset.training_samples
    print(
        f"seeds {seeds[0]}–{seeds[-1]}, shots sampled, Sycamore gate noise; wall {time.perf_counter() - started:.0f} s"
    )
    print_workers(workers)
    print_local_steps(local)
    print_schemes(schemes)
    print(f"figures: {figure_workers(workers, training)}, {figure_local_steps(local)}")


if __name__ == "__main__":
    main()
