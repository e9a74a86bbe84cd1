"""A Python study: does cutting a random circuit into small fragments keep its gradients from vanishing?

The small version of docs/experiments/barren_plateaus.py (issue 20, item 4): McClean et al.'s random circuits
(Nat. Commun. 9, 4812 (2018)) of n = 2, 4, 6, 8 qubits and 2 or 16 layers; the variance of ∂⟨Z₀Z₁⟩/∂θ₀ over
random circuits and parameters for the whole circuit and for its fragment under a 4-qubit cut
(:func:`~qnet_dqnn.cutting.find_cuts`), with the cut plan's sampling overhead γ² — what putting the
whole circuit back together from its fragments would cost in shots. Means over 5 seeds with 95 % intervals.
Writes results/study_barren_plateaus/result.json.
Run with: python scenarios/study_barren_plateaus.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from qnet_dqnn.cutting import find_cuts
from qnet_dqnn.qml.plateaus import decay_rate, random_pqc, variance_samples
from qnet_dqnn.rng import component_rng
from qnet_dqnn.stats import mean_interval

QUBITS = (2, 4, 6, 8)
LAYERS = (2, 16)
LIMIT = 4
SEEDS = (1, 2, 3, 4, 5)


def main() -> None:
    rows = []
    for layers in LAYERS:
        per_seed: dict[str, list[list[float]]] = {"whole": [], "fragment": []}
        for n in QUBITS:
            circuit = random_pqc(n, layers, np.random.default_rng(0))
            plan = find_cuts(circuit, LIMIT, allow_wire_cuts=False, max_expansions=50)
            first = next(f for f in plan.fragments if (0, 0) in f.segments)
            fragment = sorted(q for q, _ in first.segments) if plan.cuts else None
            variances: dict[str, list[float]] = {"whole": [], "fragment": []}
            for seed in SEEDS:
                s = variance_samples(n, layers, 6, 10, component_rng(seed, f"plateau:{n}:{layers}"), fragment=fragment)
                variances["whole"].append(float(np.var(s["whole"])))
                variances["fragment"].append(float(np.var(s.get("fragment", s["whole"]))))
            for kind in per_seed:
                per_seed[kind].append(variances[kind])
            whole, part = mean_interval(variances["whole"]), mean_interval(variances["fragment"])
            rows.append(
                {
                    "qubits": n,
                    "layers": layers,
                    "var_whole": whole.mean,
                    "var_whole_half_width": whole.half_width,
                    "var_fragment": part.mean,
                    "var_fragment_half_width": part.half_width,
                    "cuts": len(plan.cuts),
                    "sampling_overhead": plan.sampling_overhead,
                }
            )
            print(
                f"L={layers:2d} n={n}  Var whole {whole}  fragment {part}  cuts {len(plan.cuts)}  "
                f"γ² {plan.sampling_overhead:.3g}"
            )
        for kind, table in per_seed.items():
            rates = [decay_rate(QUBITS, [table[i][s] for i in range(len(QUBITS))])[0] for s in range(len(SEEDS))]
            print(f"L={layers:2d} {kind:8s} decay rate per qubit {mean_interval(rates)}")
    out = Path("results") / "study_barren_plateaus"
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps({"name": "study_barren_plateaus", "rows": rows}, indent=2) + "\n")
    print(f"results written to {out}")


if __name__ == "__main__":
    main()
