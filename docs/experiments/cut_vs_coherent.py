"""Cut versus coherent on the same 8-qubit model and network, with gate noise on both sides, over seeds.

The two shipped scenarios ``scenarios/compare_{cut,coherent}_small_qpus.yaml`` train the same 8-qubit, 2-layer
classifier (mean ``<Z>`` readout, moons, batch 4, 50 sampled shots per circuit, 8 Adam steps) on qpu_a and qpu_b of
``topologies/small_qpus_6q.yaml``: ``cut`` gate-cuts it into two 4-qubit fragments (γ² = 81, 50·γ² shots per
fragment circuit), ``coherent`` splits it 4 + 4 with two telegates per circuit over the 1 MHz qpu_a-qpu_b link. The
files keep ``noise: false`` (their test checks the noise-free identity of the two); this study turns the QPUs'
gate, SPAM and idling noise on for **both** (the ``trapped_ion`` preset of the topology), so neither side is
compared noise-free against a noisy other.

Each scenario runs over seeds 1..N (data split, initial parameters, minibatches and shots follow the seed). The
script prints means with 95 % Student-t intervals and the difference cut − coherent with Welch's interval, its
p-value and Hedges' g (:mod:`qnet_dqnn.stats`), and keeps every finished run in ``results/cut_vs_coherent.json``
(an interrupted study resumes).

Run: ``nice -n 10 .venv/bin/python docs/experiments/cut_vs_coherent.py [seeds]`` (default 5 seeds; each noisy run
takes 1-2 min of wall time on a loaded 2-core machine: the 8-qubit density matrices of the noisy circuits).
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import qnet_dqnn
from qnet_dqnn.scenario import load_scenario
from qnet_dqnn.stats import difference_interval, mean_interval

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results" / "cut_vs_coherent.json"
SIDES = {"cut": "compare_cut_small_qpus", "coherent": "compare_coherent_small_qpus"}
#: Seeds 1..N (``N`` the script's argument; 5 by default).
DEFAULT_SEEDS = 5
#: Ledger totals and run metrics reported per side (label, where it is read, key).
QUANTITIES = (
    ("pairs consumed", "ledger", "pairs_consumed"),
    ("telegates", "ledger", "telegates"),
    ("circuits", "ledger", "circuits"),
    ("shots", "ledger", "shots"),
    ("messages", "ledger", "messages"),
    ("bits", "ledger", "bits"),
    ("sampling overhead γ²", "metrics", "sampling_overhead"),
    ("waiting for pairs (s)", "metrics", "wait_pairs_s"),
    ("makespan (s)", "run", "makespan_s"),
    ("final accuracy", "metrics", "final_accuracy"),
    ("final loss", "metrics", "final_loss"),
)
#: The quantities whose cut − coherent difference is reported with its interval and effect size.
CONTRASTS = ("makespan (s)", "final accuracy", "final loss")


def noisy(name: str) -> Any:
    """The shipped scenario ``name`` with the QPUs' gate noise turned on."""
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    return scenario.model_copy(update={"workload": scenario.workload.model_copy(update={"noise": True})})


def run(side: str, seed: int) -> dict[str, Any]:
    """One noisy run of ``side`` at ``seed``: the quantities of :data:`QUANTITIES` and its wall time."""
    start = time.perf_counter()
    result = qnet_dqnn.run(noisy(SIDES[side]), seed=seed, trace=False)
    sources = {
        "ledger": result.ledger["totals"],
        "metrics": result.metrics,
        "run": {"makespan_s": result.simulated_time_s},
    }
    values = {label: float(sources[where].get(key, math.nan)) for label, where, key in QUANTITIES}
    return {"side": side, "seed": seed, "values": values, "wall_s": time.perf_counter() - start}


def cell(values: list[float], digits: int = 3) -> str:
    """Mean ± 95 % half-width (just the mean when every seed gives the same value)."""
    iv = mean_interval(values)
    if iv.n == 0:
        return "–"
    if iv.std == 0.0:
        return f"{iv.mean:.{digits}g}" if abs(iv.mean) < 1e3 else f"{iv.mean:,.0f}".replace(",", " ")
    return f"{iv.mean:.{digits}g} ± {iv.half_width:.2g}"


def report(results: list[dict[str, Any]]) -> list[str]:
    """The markdown table (a row per side) and one line per contrast cut − coherent."""
    by = {side: [r["values"] for r in results if r["side"] == side] for side in SIDES}
    lines = ["| | seeds | " + " | ".join(label for label, _, _ in QUANTITIES) + " |"]
    lines.append("|---|---:|" + "|".join("---:" for _ in QUANTITIES) + "|")
    for side, rows in by.items():
        cells = [cell([r[label] for r in rows], 4 if "loss" in label else 3) for label, _, _ in QUANTITIES]
        lines.append(f"| {side} | {len(rows)} | " + " | ".join(cells) + " |")
    for label in CONTRASTS:
        d = difference_interval([r[label] for r in by["cut"]], [r[label] for r in by["coherent"]])
        lines.append(
            f"cut − coherent, {label}: {d.delta:+.4g} [{d.low:+.4g}, {d.high:+.4g}] (Hedges' g = {d.hedges_g:.2f}, "
            f"Welch p = {d.p_value:.2g})"
        )
    cut, coherent = by["cut"], by["coherent"]
    ratio = mean_interval([c["makespan (s)"] / h["makespan (s)"] for c, h in zip(cut, coherent, strict=False)])
    lines.append(f"makespan cut / coherent per seed: {ratio.mean:.3g} [{ratio.low:.3g}, {ratio.high:.3g}]")
    return lines


def main() -> None:
    seeds = tuple(range(1, 1 + (int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SEEDS)))
    RESULTS.parent.mkdir(exist_ok=True)
    results: list[dict[str, Any]] = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    for seed in seeds:
        for side in SIDES:
            if any(r["side"] == side and r["seed"] == seed for r in results):
                continue
            res = run(side, seed)
            results.append(res)
            RESULTS.write_text(json.dumps(results))  # resumable
            print(f"{side} seed {seed}: {res['values']} wall {res['wall_s']:.0f} s", flush=True)
    kept = [r for r in results if r["seed"] in seeds]
    print(f"\nseeds {list(seeds)}, gate noise on both sides; mean ± 95 % Student-t half-width\n")
    for line in report(kept):
        print(line)


if __name__ == "__main__":
    main()
