"""The flagship study of issue 16: where does distributing a QNN stop beating the best one-QPU alternative?

Reads the sweeps of ``scenarios/study/*.yaml`` (run first: ``qnet-dqnn sweep scenarios/study/*.yaml --out
results/study``; nothing is re-run here), and from the stored records

1. per swept value, the mean final accuracy and simulated time to target over the seeds, with 95 % Student-t
   intervals (:func:`qnet_dqnn.stats.mean_interval`);
2. per swept value, the difference to the one-QPU alternative (the 4-qubit model on one QPU) with Welch's
   interval, and the crossover (:func:`qnet_dqnn.stats.crossover`): a value counts as a win only when the
   interval excludes 0;
3. the effect of each axis on the coherent and cut curves: the difference between its two ends with Welch's
   interval and Hedges' g (:func:`qnet_dqnn.stats.difference_interval`);
4. the quantum-data part (``study_tfim_*``: TFIM parity sectors teleported from a sensor to a 6-qubit model):
   against the best any 4-qubit QPU could do, the Helstrom bound of its marginal
   (:func:`qnet_dqnn.qml.datasets.helstrom_accuracy_bound`, on each seed's validation fields), with the
   crossover where the 6-qubit model stops beating it; for the coherent split on that task
   (``study_tfim_coherent_*``: each chain teleported qubit by qubit to the two QPUs holding the split model's
   qubits) also its difference to the ceiling (the whole model on one wide QPU) at each swept value;
5. the digits part (``study_digits_*``: 3 vs 8 on principal components, 10 seeds): the 6-qubit split against
   the 4-qubit model on one QPU and against the same 6-qubit model on one 7-qubit QPU (the ceiling), paired by
   seed, with the crossover along pair fidelity and spoke length.

Run: ``.venv/bin/python docs/experiments/flagship_study.py [results/study]``; writes ``docs/figures/study.png``,
``docs/figures/study_tfim.png`` and ``docs/figures/study_digits.png`` and prints the tables of
docs/EXPERIMENTS.md ("The flagship study").
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from qnet_dqnn.distributed.spec import build_dataset  # noqa: E402
from qnet_dqnn.qml.datasets import (  # noqa: E402
    helstrom_accuracy_bound,
    marginal_fidelity,
    marginal_trace_distance,
    tfim_sector_state,
)
from qnet_dqnn.scenario import RunResult, load_scenario  # noqa: E402
from qnet_dqnn.scenario.sweep import load_sweep  # noqa: E402
from qnet_dqnn.stats import Difference, crossover, difference_interval, mean_interval  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "figures"
STUDY = ROOT / "scenarios" / "study"
#: The swept axes, by their field path in the study's scenarios, and how the tables and figures name them.
AXES = {
    "topology.defaults.link.quantum.source_fidelity": "source fidelity",
    "topology.defaults.link.length_km": "spoke length (km)",
    "topology.defaults.node.memory.t2_s": "memory T2 (s)",
}
#: Quantities compared, each with its better direction.
QUANTITIES: dict[str, tuple[str, Callable[[RunResult], float]]] = {
    "final accuracy": ("higher", lambda r: float(r.metrics.get("final_accuracy", math.nan))),
    "final loss": ("lower", lambda r: float(r.metrics.get("final_loss", math.nan))),
    "time to target (s)": ("lower", lambda r: time_to_target(r)),
}


#: Parts of the study with their own baselines, left out of part 1's tables and figure (which compare with the
#: 4-qubit moons model on one QPU).
OWN_BASELINES = ("study_tfim", "study_tfim_coherent", "study_digits")


def time_to_target(r: RunResult) -> float:
    """The simulated time to the target accuracy; for a run that never reached it, its whole simulated time,
    a lower bound (so a comparison can only flatter the run that missed the target)."""
    t = float(r.metrics.get("time_to_target_s", math.nan))
    return t if math.isfinite(t) else float(r.simulated_time_s)


def reached(runs: list[RunResult]) -> int:
    return sum(math.isfinite(float(r.metrics.get("time_to_target_s", math.nan))) for r in runs)


LABELS = {
    "study_digits": "digits 3 vs 8, 6-qubit split by telegates",
    "study_coherent": "coherent (6 qubits, telegates)",
    "study_cut": "cut (6 qubits, 2 wire cuts)",
    "study_fedavg": "FedAvg (4 qubits x 4 QPUs)",
    "study_single": "one QPU (4 qubits)",
    "study_tfim_coherent": "6-qubit model split over two 4-qubit QPUs, chain teleported qubit by qubit",
    "study_tfim": "6-qubit model on one wide QPU, chain teleported in (ceiling of distributing)",
}


def print_quantity_rows(groups: dict, xs: list) -> None:
    """One table row per quantity: mean ± 95 % half-width per swept value (with how many runs reached the target)."""
    for q in QUANTITIES:
        cells = []
        for x in xs:
            iv = mean_interval(values(groups[x], q))
            k = reached(groups[x])
            note = f" ({k}/{len(groups[x])} reached)" if q.startswith("time") and k < len(groups[x]) else ""
            cells.append(f"{iv.mean:.4g} ± {iv.half_width:.2g}{note}")
        print(f"| {q} | " + " | ".join(cells) + " |")


def print_axis_effects(groups: dict, axis: str, quantities: tuple[str, ...]) -> None:
    """The effect of an axis, its highest value against its lowest, on each quantity: Welch's interval and the
    interval of the per-seed differences (the seeds share their data along an axis)."""
    xs = list(groups)
    lo, hi = xs[0], xs[-1]
    for q in quantities:
        a, b = paired(groups[hi], groups[lo], q)
        d = difference_interval(a, b)
        pair = mean_interval(np.subtract(a, b))
        print(
            f"- effect of {AXES[axis]} {hi:g} vs {lo:g} on {q}: unpaired {fmt(d)}; "
            f"paired by seed {pair.mean:+.3g} [{pair.low:+.3g}, {pair.high:+.3g}] (n = {pair.n})"
        )


def load(root: Path) -> dict[str, tuple[str | None, dict[float, list[RunResult]]]]:
    """Every finished sweep under ``root``: its name -> (swept axis or None, {value: runs over seeds}). A sweep
    with points still to run is left out (and said so): a curve missing some seeds would mislead."""
    out: dict[str, tuple[str | None, dict[float, list[RunResult]]]] = {}
    for manifest in sorted(root.rglob("sweep.json")):
        axes, points = load_sweep(manifest.parent)
        planned = len(json.loads(manifest.read_text(encoding="utf-8"))["points"])
        if len(points) < planned:
            print(f"{manifest.parent}: {len(points)} of {planned} points finished: left out (run the sweep again)")
            continue
        axis = next((a for a in axes if a != "seed"), None)
        groups: dict[float, list[RunResult]] = {}
        for params, result in points:
            groups.setdefault(float(params[axis]) if axis else math.nan, []).append(result)
        out[manifest.parent.parent.name] = (axis, dict(sorted(groups.items())))
    return out


def values(runs: list[RunResult], quantity: str) -> list[float]:
    if quantity == "output fidelity":
        return [float(r.metrics.get("output_fidelity", math.nan)) for r in runs]
    return [QUANTITIES[quantity][1](r) for r in runs]


def paired(a: list[RunResult], b: list[RunResult], quantity: str) -> tuple[list[float], list[float]]:
    """The values of the seeds both sides ran, in seed order: the same data split, initial parameters and
    minibatches on each side (every random stream is named by the seed), so their differences isolate the
    swept quantity and a paired interval (the mean of the differences) is the sharper test."""
    by_a, by_b = {r.seed: r for r in a}, {r.seed: r for r in b}
    seeds = sorted(set(by_a) & set(by_b))
    return values([by_a[s] for s in seeds], quantity), values([by_b[s] for s in seeds], quantity)


def fmt(d: Difference) -> str:
    return f"{d.delta:+.3g} [{d.low:+.3g}, {d.high:+.3g}] (g = {d.hedges_g:.2g}, p = {d.p_value:.2g})"


def family(name: str) -> str:
    return next(k for k in LABELS if name.startswith(k))


def report(root: Path) -> None:
    sweeps = load(root)
    single = sweeps["study_single"][1][math.nan] if "study_single" in sweeps else []
    if not single:
        if not any(family(n) in OWN_BASELINES for n in sweeps):
            raise SystemExit(f"{root}: no study sweep (run: qnet-dqnn sweep scenarios/study/*.yaml --out {root})")
        print(f"{root}: no study_single sweep: part 1 (moons) left out")
        own_baseline_reports(sweeps)
        return
    print(f"one QPU (4 qubits), {len(single)} seeds:")
    for q in QUANTITIES:
        v = values(single, q)
        print(f"  {q}: {mean_interval(v)} ({sum(map(math.isfinite, v))} of {len(v)} finite)")
    for name, (axis, groups) in sweeps.items():
        if axis is None or family(name) in OWN_BASELINES:
            continue
        print(f"\n## {name}: {LABELS[family(name)]} against {AXES[axis]}")
        xs = list(groups)
        print("| " + AXES[axis] + " | " + " | ".join(f"{x:g}" for x in xs) + " |")
        print("|---|" + "---:|" * len(xs))
        extra = [("pair_fidelity", "e2e pair F"), ("output_fidelity", "output F"), ("wait_pairs_s", "wait pairs (s)")]
        for key, label in extra:
            cells = [mean_interval([float(r.metrics.get(key, math.nan)) for r in groups[x]]) for x in xs]
            if any(c.n for c in cells):
                print(f"| {label} | " + " | ".join(f"{c.mean:.4g}" for c in cells) + " |")
        print_quantity_rows(groups, xs)
        for q, (better, _) in QUANTITIES.items():
            diffs = [(x, difference_interval(values(groups[x], q), values(single, q))) for x in xs]
            found = crossover(diffs, better=better)  # type: ignore[arg-type]
            print(f"- vs one QPU, {q}: " + "; ".join(f"{x:g}: {fmt(d)}" for x, d in diffs))
            worse = crossover(diffs, better="lower" if better == "higher" else "higher")  # where one QPU wins
            print(
                f"  wins {found.wins}, ties {found.ties}, losses {found.losses}; crossover (stops winning) between "
                f"{found.between}; one QPU starts to win between {worse.between}"
            )
        print_axis_effects(groups, axis, (*QUANTITIES, "output fidelity"))
    figure({n: v for n, v in sweeps.items() if family(n) not in OWN_BASELINES}, single)
    own_baseline_reports(sweeps)


def own_baseline_reports(sweeps: dict[str, tuple[str | None, dict[float, list[RunResult]]]]) -> None:
    """Parts 2 and 3, each against its own baselines, for the sweeps of theirs that are finished."""
    tfim = {n: v for n, v in sweeps.items() if family(n).startswith("study_tfim")}
    if tfim:
        tfim_report(tfim)
    digits = {n: v for n, v in sweeps.items() if family(n) == "study_digits"}
    if digits:
        digits_report(digits)


def _band(
    ax: plt.Axes,
    xs: list[float],
    runs: list[list[RunResult]],
    q: str,
    label: str,
    color: str,
    clip: tuple[float, float] | None = None,
) -> None:
    """The mean over seeds per swept value and its 95 % band (drawn inside ``clip``, the quantity's range)."""
    ivs = [mean_interval(values(r, q)) for r in runs]
    mean = np.array([iv.mean for iv in ivs])
    low, high = np.array([iv.low for iv in ivs]), np.array([iv.high for iv in ivs])
    if clip is not None:
        low, high = np.clip(low, *clip), np.clip(high, *clip)
    ax.plot(xs, mean, "o-", color=color, label=label)
    ax.fill_between(xs, low, high, color=color, alpha=0.2)


def figure(sweeps: dict[str, tuple[str | None, dict[float, list[RunResult]]]], single: list[RunResult]) -> Path:
    colors = {"study_coherent": "C0", "study_cut": "C1", "study_fedavg": "C2", "study_single": "C7"}
    shown = ["final accuracy", "final loss", "time to target (s)"]
    fig, axes = plt.subplots(len(shown), len(AXES), figsize=(15, 11), squeeze=False)
    for col, (axis, title) in enumerate(AXES.items()):
        for row, q in enumerate(shown):
            ax = axes[row][col]
            members = [(n, g) for n, (a, g) in sweeps.items() if a == axis]
            xs_all = sorted({x for _, g in members for x in g})
            for name, groups in members:
                xs = list(groups)
                _band(ax, xs, list(groups.values()), q, LABELS[family(name)], colors[family(name)])
            if xs_all:
                iv = mean_interval(values(single, q))
                ax.axhline(iv.mean, color="C7", label=f"{LABELS['study_single']} (95 % band)")
                ax.axhspan(iv.low, iv.high, color="C7", alpha=0.2)
            if "T2" in title or "length" in title:
                ax.set_xscale("log")
            if q.startswith("time"):
                ax.set_yscale("log")
            ax.set_xlabel(title)
            ax.set_ylabel(q + (" (missed: makespan)" if q.startswith("time") else ""))
            ax.grid(alpha=0.3)
            if row == 0 and members:
                ax.legend(fontsize=8)
    fig.suptitle(
        "Flagship study: a 6-qubit model distributed over two 4-qubit QPUs against the 4-qubit model on one "
        "(5 seeds, 95 % bands)"
    )
    fig.tight_layout()
    FIGURES.mkdir(parents=True, exist_ok=True)
    path = FIGURES / "study.png"
    fig.savefig(path, dpi=110)
    print(f"\nfigure: {path.relative_to(ROOT)}")
    return path


def marginal_bounds(psi: np.ndarray, phi: np.ndarray, qubits: int, copies: tuple[int, ...]) -> list[float]:
    """Per number of copies ``S``: the best accuracy any classifier holding ``qubits`` of the chain (the best
    such subset) can reach on a sample that is ``psi`` or ``phi`` with equal odds, reading ``S`` copies of it
    (Helstrom bound)."""
    n = int(np.log2(len(psi)))
    tf = [
        (marginal_trace_distance(psi, phi, k), marginal_fidelity(psi, phi, k))
        for k in itertools.combinations(range(n), qubits)
    ]
    return [max(helstrom_accuracy_bound(t, f, s) for t, f in tf) for s in copies]


def seed_bounds(scenario: Path, seeds: list[int], qubits: int, copies: tuple[int, ...]) -> dict[int, list[float]]:
    """Per number of copies, per seed: the Helstrom bound of a ``qubits``-qubit QPU averaged over that seed's
    validation fields (the labels are balanced and drawn independently of ``g``, so the bound of the set is the
    mean of the per-field bounds)."""
    spec = load_scenario(scenario).workload
    n = spec.model.qubits
    out: dict[int, list[float]] = {s: [] for s in copies}
    for seed in seeds:
        data = build_dataset(spec.dataset, n, seed)
        per_g = []
        for g in data.meta["g_val"]:
            plus, minus = tfim_sector_state(n, float(g), 1)[0], tfim_sector_state(n, float(g), -1)[0]
            per_g.append(marginal_bounds(plus, minus, qubits, copies))
        for s, column in zip(copies, np.mean(per_g, axis=0), strict=True):
            out[s].append(float(column))
    return out


def parity_flip_probability(pair_fidelity: float, qubits: int) -> float:
    """The chance a chain teleported qubit by qubit through Werner pairs of Bell fidelity ``F`` arrives with
    its spin-flip parity ``Π X_i`` flipped: teleporting through a Werner pair is a depolarising channel applying
    each of X, Y, Z with probability ``(1 − F)/3`` (Bennett et al., PRA 54, 3824 (1996), sec. III; Horodecki,
    Horodecki & Horodecki, PRA 60, 1888 (1999)); ``Z`` and ``Y`` anticommute with ``X``, so a qubit flips the
    parity with ``p = 2(1 − F)/3`` and an odd number of the ``N`` do with ``(1 − (1 − 2p)^N)/2``."""
    p = 2.0 * (1.0 - pair_fidelity) / 3.0
    return 0.5 * (1.0 - (1.0 - 2.0 * p) ** qubits)


def tfim_report(sweeps: dict[str, tuple[str | None, dict[float, list[RunResult]]]]) -> None:
    """The quantum-data part: each 6-qubit curve's accuracy against the best a 4-qubit (or 3-data-qubit) QPU can
    reach on its marginal, per swept value, with the crossover; the coherent split's also against the ceiling
    (the whole model on one wide QPU) at the same value; the effect of each axis."""
    bounds: dict[int, list[float]] = {}
    copies = (1, 10, 100, 1000, 10000)
    ceilings = {axis: groups for name, (axis, groups) in sweeps.items() if family(name) == "study_tfim"}
    for name, (axis, groups) in sweeps.items():
        assert axis is not None
        seeds = sorted({r.seed for runs in groups.values() for r in runs})
        shots = int(load_scenario(STUDY / f"{name}.yaml").workload.shots)
        for k in (4, 3):
            if k not in bounds:
                by_copies = seed_bounds(STUDY / f"{name}.yaml", seeds, k, tuple(sorted({*copies, shots})))
                bounds[k] = by_copies[shots]
                print(f"\nHelstrom bound of a QPU holding {k} of the 6 qubits, reading S copies (seeds {seeds}):")
                for s, b in sorted(by_copies.items()):
                    print(f"  S = {s}: {mean_interval(b)}")
        split = family(name) == "study_tfim_coherent"
        print(f"\n## {name}: {LABELS[family(name)]} against {AXES[axis]}")
        xs = list(groups)
        print("| " + AXES[axis] + " | " + " | ".join(f"{x:g}" for x in xs) + " |")
        print("|---|" + "---:|" * len(xs))
        rows = [
            ("quantum_data_mean_pair_fidelity", "e2e pair F (delivery)"),
            ("quantum_data_mean_state_fidelity", "delivered state F"),
            ("quantum_data_time_s", "delivery time (s)"),
        ]
        if split:
            rows += [
                ("pair_fidelity", "telegate pair F"),
                ("output_fidelity", "output F"),
                ("wait_pairs_s", "wait pairs (s)"),
            ]
        for key, label in rows:
            cells = [mean_interval([float(r.metrics.get(key, math.nan)) for r in groups[x]]) for x in xs]
            print(f"| {label} | " + " | ".join(f"{c.mean:.4g}" for c in cells) + " |")
        cells = [mean_interval([float(r.simulated_time_s) for r in groups[x]]) for x in xs]
        print("| makespan (s) | " + " | ".join(f"{c.mean:.4g} ± {c.half_width:.2g}" for c in cells) + " |")
        flips = [
            parity_flip_probability(
                mean_interval([float(r.metrics["quantum_data_mean_pair_fidelity"]) for r in groups[x]]).mean, 6
            )
            for x in xs
        ]
        print("| P(parity flipped), Werner | " + " | ".join(f"{f:.3f}" for f in flips) + " |")
        print_quantity_rows(groups, xs)
        per_seed = [
            " ".join(f"{v:.2f}" for v in values(sorted(groups[x], key=lambda r: r.seed), "final accuracy")) for x in xs
        ]
        print("| accuracy per seed | " + " | ".join(per_seed) + " |")
        for k in (4, 3):
            diffs = [(x, difference_interval(values(groups[x], "final accuracy"), bounds[k])) for x in xs]
            found = crossover(diffs, better="higher")
            print(f"- accuracy minus the {k}-qubit bound: " + "; ".join(f"{x:g}: {fmt(d)}" for x, d in diffs))
            worse = crossover(diffs, better="lower")
            print(
                f"  wins {found.wins}, ties {found.ties}, losses {found.losses}; "
                f"crossover (stops winning) between {found.between}; the bound starts to win between {worse.between}"
            )
        ceiling = ceilings.get(axis, {})
        common = [x for x in xs if x in ceiling]
        if split and common:
            for q in ("final accuracy", "final loss"):
                diffs = [(x, difference_interval(values(groups[x], q), values(ceiling[x], q))) for x in common]
                print(f"- split minus ceiling, {q}: " + "; ".join(f"{x:g}: {fmt(d)}" for x, d in diffs))
                for x in common:
                    a, b = paired(groups[x], ceiling[x], q)
                    pair = mean_interval(np.subtract(a, b))
                    print(f"    {x:g} paired by seed: {pair.mean:+.3g} [{pair.low:+.3g}, {pair.high:+.3g}]")
            diffs = [
                (x, difference_interval(values(groups[x], "final accuracy"), values(ceiling[x], "final accuracy")))
                for x in common
            ]
            worse = crossover(diffs, better="lower")
            print(f"  the ceiling beats the split between {worse.between} (wins for the ceiling: {worse.wins})")
        print_axis_effects(groups, axis, ("final accuracy", "final loss"))
    tfim_figure(sweeps, bounds)


def tfim_figure(
    sweeps: dict[str, tuple[str | None, dict[float, list[RunResult]]]], bounds: dict[int, list[float]]
) -> Path:
    axes_shown = [a for a in AXES if any(axis == a for axis, _ in sweeps.values())]
    fig, axes = plt.subplots(1, len(axes_shown), figsize=(5.5 * len(axes_shown), 4.6), squeeze=False)
    colors = {"study_tfim": "C0", "study_tfim_coherent": "C2"}
    shift = {"study_tfim": -1, "study_tfim_coherent": 1}  # each curve's seeds drawn a little to its side
    for ax, axis in zip(axes[0], axes_shown, strict=True):
        log = "length" in AXES[axis] or "T2" in AXES[axis]
        for name, (a, groups) in sweeps.items():
            if a == axis:
                fam = family(name)
                xs = list(groups)
                _band(ax, xs, list(groups.values()), "final accuracy", LABELS[fam], colors[fam], clip=(0.0, 1.0))
                for x, runs in groups.items():
                    at = x * 1.04 ** shift[fam] if log else x + 0.004 * shift[fam]
                    seeds = values(runs, "final accuracy")
                    ax.plot([at] * len(seeds), seeds, ".", color=colors[fam], alpha=0.6, ms=5, label="_seeds")
        for k, color in ((4, "C3"), (3, "C1")):
            iv = mean_interval(bounds[k])
            ax.axhline(
                iv.mean, color=color, ls="--", label=f"best any QPU holding {k} qubits can do (Helstrom, 100 shots)"
            )
            ax.axhspan(iv.low, iv.high, color=color, alpha=0.12)
        ax.axhline(0.5, color="C7", lw=0.8)
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(AXES[axis])
        ax.set_ylabel("final accuracy (200 held out)")
        ax.set_ylim(0.0, 1.05)
        ax.grid(alpha=0.3)
    handles: dict[str, object] = {}
    for ax in axes[0]:  # one legend under the panels, every curve once: none covers data
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if not label.startswith("_"):
                handles.setdefault(label, h)
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.suptitle(
        "TFIM parity sectors teleported to a 6-qubit model: on one wide QPU (ceiling) and coherently split "
        "(dots: the 5 seeds; 95 % bands, clipped to [0, 1])"
    )
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    path = FIGURES / "study_tfim.png"
    fig.savefig(path, dpi=110)
    print(f"\nfigure: {path.relative_to(ROOT)}")
    return path


def _paired_line(label: str, a: list[RunResult], b: list[RunResult], q: str) -> Difference:
    """Print ``a − b`` on ``q``: Welch's interval, and the interval of the per-seed differences."""
    d = difference_interval(values(a, q), values(b, q))
    x, y = paired(a, b, q)
    pair = mean_interval(np.subtract(x, y))
    print(f"- {label}, {q}: {fmt(d)}; paired by seed {pair.mean:+.3g} [{pair.low:+.3g}, {pair.high:+.3g}]")
    return d


def digits_report(sweeps: dict[str, tuple[str | None, dict[float, list[RunResult]]]]) -> None:
    """The digits part: the split against the 4-qubit model on one QPU (the alternative) and against the 6-qubit
    model on one 7-qubit QPU (the ceiling: what the width gives without a network), per swept value."""
    single = sweeps.get("study_digits_single", (None, {}))[1].get(math.nan, [])
    wide = sweeps.get("study_digits_wide", (None, {}))[1].get(math.nan, [])
    if not single or not wide:
        print("\ndigits: study_digits_single or study_digits_wide not finished: part left out")
        return
    print(f"\n## digits 3 vs 8 on principal components ({len(single)} seeds)")
    for label, runs in (("one QPU, 4 qubits (4 components)", single), ("one 7-qubit QPU, 6 qubits (ceiling)", wide)):
        print(f"{label}: " + "; ".join(f"{q} {mean_interval(values(runs, q))}" for q in QUANTITIES))
    for q in ("final accuracy", "final loss"):
        _paired_line("width without a network: ceiling minus one 4-qubit QPU", wide, single, q)
    for name, (axis, groups) in sweeps.items():
        if axis is None:
            continue
        xs = list(groups)
        print(f"\n### {name}: {LABELS['study_digits']} against {AXES[axis]}")
        print("| " + AXES[axis] + " | " + " | ".join(f"{x:g}" for x in xs) + " |")
        print("|---|" + "---:|" * len(xs))
        for key, label in (("pair_fidelity", "e2e pair F"), ("output_fidelity", "output F"), ("wait_pairs_s", "wait")):
            cells = [mean_interval([float(r.metrics.get(key, math.nan)) for r in groups[x]]) for x in xs]
            print(f"| {label} | " + " | ".join(f"{c.mean:.4g}" for c in cells) + " |")
        print_quantity_rows(groups, xs)
        for q, (better, _) in QUANTITIES.items():
            for other, runs in (("one QPU", single), ("the ceiling", wide)):
                diffs = [(x, difference_interval(values(groups[x], q), values(runs, q))) for x in xs]
                found = crossover(diffs, better=better)  # type: ignore[arg-type]
                print(f"- vs {other}, {q}: " + "; ".join(f"{x:g}: {fmt(d)}" for x, d in diffs))
                print(f"  wins {found.wins}, ties {found.ties}, losses {found.losses}; stops winning {found.between}")
        print_axis_effects(groups, axis, (*QUANTITIES, "output fidelity"))
    digits_figure(sweeps, single, wide)


def digits_figure(
    sweeps: dict[str, tuple[str | None, dict[float, list[RunResult]]]], single: list[RunResult], wide: list[RunResult]
) -> Path:
    members = [(axis, groups) for axis, groups in sweeps.values() if axis is not None]
    shown = ("final accuracy", "time to target (s)")
    fig, axes = plt.subplots(len(shown), len(members), figsize=(6 * len(members), 8), squeeze=False)
    for col, (axis, groups) in enumerate(members):
        for row, q in enumerate(shown):
            ax = axes[row][col]
            _band(ax, list(groups), list(groups.values()), q, LABELS["study_digits"], "C0")
            for runs, label, color in (
                (single, "one QPU, 4 qubits (95 % band)", "C7"),
                (wide, "6 qubits on one 7-qubit QPU: the ceiling (95 % band)", "C2"),
            ):
                iv = mean_interval(values(runs, q))
                ax.axhline(iv.mean, color=color, label=label)
                ax.axhspan(iv.low, iv.high, color=color, alpha=0.15)
            if "length" in AXES[str(axis)]:
                ax.set_xscale("log")
            if q.startswith("time"):
                ax.set_yscale("log")
            ax.set_xlabel(AXES[str(axis)])
            ax.set_ylabel(q + (" (missed: makespan)" if q.startswith("time") else ""))
            ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()  # one legend under the panels: none covers data
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    n = len(single)
    fig.suptitle(f"Digits 3 vs 8: a 6-qubit model split over two 4-qubit QPUs ({n} seeds, 95 % bands)")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    path = FIGURES / "study_digits.png"
    fig.savefig(path, dpi=110)
    print(f"\nfigure: {path.relative_to(ROOT)}")
    return path


if __name__ == "__main__":
    report(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "results" / "study")
