"""QuNetSim programs on noisy, lossy links: do their outcomes degrade as the network's physics predicts?

Runs the unmodified QuNetSim programs of ``examples/qunetsim/`` through the compatibility layer, over
:data:`SEEDS`, and sets each seed's outcome beside the closed form of :mod:`qnet_dqnn.physics.bell_tests`:

1. The CHSH game (``chsh.py``, 400 plays per seed) on a topology whose Alice-Bob link delivers Werner pairs of
   fidelity F = 1 ... 0.7 (ideal memories, 1.3 km): the CHSH value S = 8 p_win - 4 measured from the wins,
   against S = 2 sqrt(2) (4F - 1)/3, and the classical bound 2.
2. BBM92 (``bbm92.py``, 300 pairs per seed) over one link of 1 ... 100 km, midpoint heralding, memories with
   T1 = 10 ms and T2 = 1 ms, a perfect source: the error rate of the Z-basis and of the X-basis key bits.
   Each pair is measured when it is delivered, so each half has been stored since emission for the herald
   time L/v (``physics.storage_before_herald_s``); the prediction decoheres a perfect pair for that long
   (``physics.decohere_pair``) and reads QBER_Z = c1 + c3, QBER_X = c2 + c3 off it.

Points are means over seeds with 95 % Student-t intervals (``qnet_dqnn.stats.mean_interval``); each grid
point has its own seeds, so the points' errors are independent.
What it does not show: the prediction of (2) assumes the pair is used the moment it is heralded, which holds
here (each memory holds one pair and both ends measure on delivery); a protocol that lets pairs wait would
decohere them further.

Run: ``.venv/bin/python docs/experiments/qunetsim.py`` (seeds 1-5, about three minutes on two cores). Writes
``docs/figures/qunetsim_chsh_fidelity.png`` and ``docs/figures/qunetsim_qber_length.png`` and prints tables.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from qnet_dqnn.interop.qunetsim.runtime import run_script  # noqa: E402
from qnet_dqnn.physics import MemoryModel, decohere_pair, werner_state  # noqa: E402
from qnet_dqnn.physics.bell_tests import chsh_value, qber_x, qber_z  # noqa: E402
from qnet_dqnn.physics.heralding import storage_before_herald_s  # noqa: E402
from qnet_dqnn.stats import mean_interval  # noqa: E402
from qnet_dqnn.topology import topology_from_data  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "qunetsim"
FIGURES = ROOT / "docs" / "figures"
SEEDS = tuple(int(s) for s in sys.argv[1:]) or (1, 2, 3, 4, 5)
FIDELITIES = (1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7)
LENGTHS_KM = (1.0, 10.0, 25.0, 50.0, 75.0, 100.0)
PLAYS, PAIRS = 400, 300
#: Seeds of grid point i are SEEDS + i * SEED_STRIDE, so the points do not share random numbers.
SEED_STRIDE = 1000
#: Memories of the BBM92 study: T1 = 10 ms, T2 = 1 ms (NV-centre electron spins hold ~ms coherence with
#: dynamical decoupling: Abobeih et al., Nat. Commun. 9, 2552 (2018)); one communication qubit per node.
MEMORY = {"t1_s": 10e-3, "t2_s": 1e-3}


def run(example: str, seed: int, topology: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """The JSON summary of one run of ``example``."""
    os.environ.update(env)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = run_script(EXAMPLES / f"{example}.py", seed=seed, topology=topology_from_data(topology))
    if result.exit_code != 0:
        raise SystemExit(f"{example} seed {seed}: {result.outcome}\n" + "\n".join(result.errors))
    return json.loads(out.getvalue().strip().splitlines()[-1])


def chsh_topology(fidelity: float) -> dict[str, Any]:
    quantum = {"source_rate_hz": 1e6, "source_fidelity": fidelity}
    return {
        "name": f"chsh_f{fidelity}",
        "nodes": [{"name": h, "qubits": 512} for h in ("Alice", "Bob", "Referee")],
        "links": [
            {"between": ["Alice", "Bob"], "length_km": 1.3, "quantum": quantum},
            {"between": ["Alice", "Referee"], "length_km": 1.3},
            {"between": ["Bob", "Referee"], "length_km": 1.3},
        ],
    }


def bbm92_topology(length_km: float) -> dict[str, Any]:
    node = {"qubits": 4, "communication_qubits": 1, "memory": MEMORY}
    return {
        "name": f"bbm92_{length_km:g}km",
        "nodes": [{"name": "Alice", **node}, {"name": "Bob", **node}],
        "links": [{"between": ["Alice", "Bob"], "length_km": length_km, "quantum": {"source_rate_hz": 1e6}}],
    }


def predicted_bbm92(length_km: float) -> tuple[float, float]:
    """(QBER_Z, QBER_X) of a perfect pair whose halves decohered for the midpoint herald time."""
    model = MemoryModel(t1_s=MEMORY["t1_s"], t2_s=MEMORY["t2_s"])
    wait_a, wait_b = storage_before_herald_s("midpoint", length_km)
    c = decohere_pair(werner_state(1.0), model.bloch_factors(wait_a), model.bloch_factors(wait_b))
    return qber_z(c), qber_x(c)


def fmt(interval: Any) -> str:
    return f"{interval.mean:.3f} [{interval.low:.3f}, {interval.high:.3f}]"


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    print(f"seeds {SEEDS}\n\n| F | S predicted | S measured (95 % CI) |\n|---|---|---|")
    chsh_rows = []
    for i, fidelity in enumerate(FIDELITIES):
        values = []
        for seed in SEEDS:
            out = run("chsh", seed + i * SEED_STRIDE, chsh_topology(fidelity), {"PLAYS": str(PLAYS)})
            values.append(8 * out["wins"] / out["plays"] - 4)
        interval, predicted = mean_interval(values), chsh_value(werner_state(fidelity))
        chsh_rows.append((fidelity, predicted, interval))
        print(f"| {fidelity} | {predicted:.3f} | {fmt(interval)} |")

    print("\n| L (km) | QBER_Z predicted | measured (95 % CI) | QBER_X predicted | measured (95 % CI) |")
    print("|---|---|---|---|---|")
    qber_rows = []
    for i, length in enumerate(LENGTHS_KM):
        z, x = [], []
        for seed in SEEDS:
            sifted = run("bbm92", seed + i * SEED_STRIDE, bbm92_topology(length), {"PAIRS": str(PAIRS)})["sifted"]
            z.append(sifted["Z"][0] / sifted["Z"][1])
            x.append(sifted["X"][0] / sifted["X"][1])
        pz, px = predicted_bbm92(length)
        qber_rows.append((length, pz, mean_interval(z), px, mean_interval(x)))
        print(f"| {length:g} | {pz:.3f} | {fmt(qber_rows[-1][2])} | {px:.3f} | {fmt(qber_rows[-1][4])} |")

    fig, ax = plt.subplots(figsize=(6, 4))
    fine = [0.6 + 0.4 * i / 100 for i in range(101)]
    ax.plot(fine, [chsh_value(werner_state(f)) for f in fine], color="C0", label="2√2 (4F-1)/3")
    ax.errorbar(
        [r[0] for r in chsh_rows],
        [r[2].mean for r in chsh_rows],
        yerr=[[r[2].mean - r[2].low for r in chsh_rows], [r[2].high - r[2].mean for r in chsh_rows]],
        fmt="o",
        color="C1",
        capsize=3,
        label=f"CHSH game via the QuNetSim layer ({len(SEEDS)} seeds × {PLAYS} plays, 95 % CI)",
    )
    ax.axhline(2.0, color="grey", linestyle="--", label="classical bound (S = 2)")
    ax.axhline(2 * math.sqrt(2), color="grey", linestyle=":", label="Tsirelson bound 2√2")
    ax.set_xlabel("Werner pair fidelity F of the Alice-Bob link")
    ax.set_ylabel("CHSH value S = 8 p_win - 4")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FIGURES / "qunetsim_chsh_fidelity.png", dpi=120)

    fig, ax = plt.subplots(figsize=(6, 4))
    fine_l = [1 + i for i in range(100)]
    for index, basis, color in ((1, "Z", "C0"), (3, "X", "C1")):
        ax.plot(fine_l, [predicted_bbm92(L)[index // 2] for L in fine_l], color=color, label=f"QBER_{basis} predicted")
        ax.errorbar(
            [r[0] for r in qber_rows],
            [r[index + 1].mean for r in qber_rows],
            yerr=[
                [r[index + 1].mean - r[index + 1].low for r in qber_rows],
                [r[index + 1].high - r[index + 1].mean for r in qber_rows],
            ],
            fmt="o",
            color=color,
            capsize=3,
            label=f"QBER_{basis} measured ({len(SEEDS)} seeds × {PAIRS} pairs, 95 % CI)",
        )
    ax.set_xlabel("link length L (km), midpoint heralding; memories T1 = 10 ms, T2 = 1 ms")
    ax.set_ylabel("error rate of sifted key bits")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FIGURES / "qunetsim_qber_length.png", dpi=120)
    print("\nfigures written to docs/figures/qunetsim_*.png")


if __name__ == "__main__":
    main()
