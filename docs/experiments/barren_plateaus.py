"""Barren plateaus and fragment size (issue 20, item 4): the review's remark (Sec. 6.1.2) that splitting a QNN
into small fragments eases trainability (Marshall et al., Quantum 7, 1078 (2023); Tüysüz et al.,
arXiv:2206.09641), tested on McClean et al.'s random circuits (Nat. Commun. 9, 4812 (2018), Fig. 2).

For n = 2 … 12 qubits and L = 2, 8, 32, 128 layers, the variance of ``∂⟨Z₀Z₁⟩/∂θ₀`` over random circuits
(10 structures × 20 parameter vectors per seed, seeds 1–5) is measured

- for the whole n-qubit circuit (exact statevector, parameter-shift rule);
- for its cut fragment holding qubits 0 and 1: :func:`~qnet_dqnn.distributed.cutting.find_cuts` with a
  4-qubit limit (gate cuts; it cuts every CZ between neighbouring blocks of 4 — the layout does not depend on
  the random rotation axes), the fragment's own gates, the cut CZs left out;

with the decay rate ``r`` of ``Var ∝ e^{−r n}`` fitted per seed and its 95 % interval over seeds, and the cost
of putting the whole circuit back together from its fragments: the cut plan's sampling overhead ``γ²``.
Then the same circuits with the noise and shots a real QPU adds (n ≤ 6: density matrices): the metro
network's trapped-ion node lab_east (its depolarizing gate errors and readout error), 1000 shots per circuit.

Run: ``.venv/bin/python docs/experiments/barren_plateaus.py`` (about 15 minutes); writes
``docs/figures/barren_plateaus.png`` and prints the tables of docs/EXPERIMENTS.md.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from qnet_dqnn.distributed.cutting import find_cuts  # noqa: E402

from qnet_dqnn.distributed.qpu import qpu_noise  # noqa: E402
from qnet_dqnn.qml.plateaus import decay_rate, random_pqc, variance_samples  # noqa: E402
from qnet_dqnn.rng import component_rng  # noqa: E402
from qnet_dqnn.stats import mean_interval  # noqa: E402
from qnet_dqnn.topology import load_topology  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "figures"
SEEDS = (1, 2, 3, 4, 5)
QUBITS = (2, 4, 6, 8, 10, 12)
LAYERS = (2, 8, 32, 128)
LIMIT = 4  # qubits per QPU: the fragment size
STRUCTURES, INITS = 10, 20
NOISY_QUBITS, NOISY_LAYERS, SHOTS = (2, 4, 6), (8, 32), 1000


def fragment_plan(n: int, layers: int) -> tuple[list[int] | None, int, float]:
    """The fragment holding qubits 0 and 1 under a ``LIMIT``-qubit cut, the cut count and log10 γ²."""
    if n <= LIMIT:
        return None, 0, 0.0
    plan = find_cuts(random_pqc(n, layers, np.random.default_rng(0)), LIMIT, allow_wire_cuts=False, max_expansions=50)
    first = next(f for f in plan.fragments if (0, 0) in f.segments)
    return sorted(q for q, _ in first.segments), len(plan.cuts), math.log10(plan.sampling_overhead)


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    var: dict[tuple[str, int, int], list[float]] = {}
    plans = {(n, L): fragment_plan(n, L) for n in QUBITS for L in LAYERS}
    for L in LAYERS:
        for n in QUBITS:
            fragment, _, _ = plans[(n, L)]
            for seed in SEEDS:
                rng = component_rng(seed, f"plateau:{n}:{L}")
                s = variance_samples(n, L, STRUCTURES, INITS, rng, fragment=fragment)
                var.setdefault(("whole", n, L), []).append(float(np.var(s["whole"])))
                frag = s.get("fragment", s["whole"])  # a circuit within the limit is its own fragment
                var.setdefault(("fragment", n, L), []).append(float(np.var(frag)))
            w, f = mean_interval(var[("whole", n, L)]), mean_interval(var[("fragment", n, L)])
            _, cuts, log_overhead = plans[(n, L)]
            print(f"L={L:3d} n={n:2d}  Var whole {w}  fragment {f}  cuts {cuts:3d}  log10 γ² {log_overhead:6.1f}")
    print("\ndecay rate r of Var ∝ exp(−r n), fitted per seed (95 % interval over seeds):")
    rates = {}
    for kind in ("whole", "fragment"):
        for L in LAYERS:
            per_seed = [decay_rate(QUBITS, [var[(kind, n, L)][i] for n in QUBITS])[0] for i in range(len(SEEDS))]
            rates[(kind, L)] = mean_interval(per_seed)
            print(f"{kind:8s} L={L:3d}  r = {rates[(kind, L)]} per qubit  (ln 2 = {math.log(2):.3f})")

    print(f"\nnoise (lab_east: depolarizing gate errors, readout) and {SHOTS} shots per circuit:")
    noise = qpu_noise(load_topology(ROOT / "topologies" / "metro.yaml").node("lab_east"))
    noisy: dict[tuple[str, int, int], list[float]] = {}
    for L in NOISY_LAYERS:
        for n in NOISY_QUBITS:
            for seed in SEEDS:
                shot_rng = component_rng(seed, f"plateau-shots:{n}:{L}")
                for kind, kw in (
                    ("exact", {}),
                    ("noisy", {"noise": noise}),
                    ("noisy+shots", {"noise": noise, "shots": SHOTS, "shot_rng": shot_rng}),
                ):
                    rng = component_rng(seed, f"plateau:{n}:{L}")  # the same circuits and parameters for all three
                    s = variance_samples(n, L, STRUCTURES, INITS, rng, **kw)
                    noisy.setdefault((kind, n, L), []).append(float(np.var(s["whole"])))
            row = "  ".join(f"{k} {mean_interval(noisy[(k, n, L)])}" for k in ("exact", "noisy", "noisy+shots"))
            print(f"L={L:3d} n={n:2d}  {row}")
    print(f"shot-noise floor of the estimated variance, ≈ 1/(2S) near ⟨ZZ⟩ = 0: {1 / (2 * SHOTS):.1e}")

    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    curves = [("whole", L) for L in LAYERS] + [("fragment", LAYERS[-1])]  # fragments: the deepest circuits
    for kind, L in curves:
        color = colors[LAYERS.index(L)]
        ivs = [mean_interval(var[(kind, n, L)]) for n in QUBITS]
        label = f"L = {L}, {'whole circuit' if kind == 'whole' else f'fragment of ≤ {LIMIT} qubits'}"
        axes[0].errorbar(
            QUBITS,
            [iv.mean for iv in ivs],
            yerr=[iv.half_width for iv in ivs],
            fmt="o-" if kind == "whole" else "s--",
            color=color,
            ms=4,
            capsize=3,
            label=label,
        )
    n = np.array(QUBITS, dtype=float)
    axes[0].plot(n, 0.25 * 2.0**-n, "k:", lw=1, label="∝ 2⁻ⁿ")
    axes[0].set(yscale="log", xlabel="qubits n", ylabel="Var[∂⟨Z₀Z₁⟩/∂θ₀]", title="gradient variance (95 %, 5 seeds)")
    axes[0].legend(fontsize=7)
    for L, color in zip(LAYERS, colors, strict=False):
        whole = np.array([np.mean(var[("whole", n, L)]) for n in QUBITS])
        overhead = np.array([10 ** plans[(n, L)][2] for n in QUBITS])
        axes[1].plot(QUBITS, np.log10(1 / whole), "o-", color=color, ms=4, label=f"L = {L}: one QPU, 1/Var")
        axes[1].plot(QUBITS, np.log10(overhead / whole), "^:", color=color, ms=4, label=f"L = {L}: cut, γ²/Var")
    axes[1].set(
        xlabel="qubits n",
        ylabel="log10 shots for one gradient at SNR 1",
        title="what resolving the whole circuit's gradient costs",
    )
    axes[1].legend(fontsize=6, ncol=2)
    for L, color in zip(NOISY_LAYERS, colors, strict=False):
        for kind, style in (("exact", "o-"), ("noisy", "s--"), ("noisy+shots", "^:")):
            ivs = [mean_interval(noisy[(kind, n, L)]) for n in NOISY_QUBITS]
            axes[2].errorbar(
                NOISY_QUBITS,
                [iv.mean for iv in ivs],
                yerr=[iv.half_width for iv in ivs],
                fmt=style,
                color=color,
                ms=4,
                capsize=3,
                label=f"L = {L}, {kind}",
            )
    axes[2].axhline(1 / (2 * SHOTS), color="gray", lw=1, ls="-.", label="1/(2S)")
    axes[2].set(yscale="log", xlabel="qubits n", ylabel="variance", title=f"noise (lab_east) and {SHOTS} shots")
    axes[2].legend(fontsize=7)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(FIGURES / "barren_plateaus.png", dpi=120)
    print(f"figure: {FIGURES / 'barren_plateaus.png'}")


if __name__ == "__main__":
    main()
