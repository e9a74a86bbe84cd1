"""Coherent splitting of the 8-qubit classifier against pair fidelity and link length, beside one QPU.

Runs the sweeps of the shipped scenarios (each grid expanded exactly as ``qnet-dqnn sweep`` expands it)
through the public API, over :data:`SEEDS`:

1. Pair-source fidelity 0.8 ... 0.999 (every link's Werner source): the split over 2 and over 4 QPUs of the
   star (``scenarios/train_coherent_star4_{2,4}qpu_fidelity.yaml``) and of the metro network
   (``scenarios/train_coherent_metro_{2,4}qpu_fidelity.yaml``).
2. Length of q0's spoke (hub-q0) 1 ... 100 km on star4_werner, 2 and 4 QPUs
   (``scenarios/train_coherent_star4_{2,4}qpu_length.yaml``).
3. The same model on one QPU (``scenarios/train_single_{star4,metro}_8q.yaml``): the baseline.

Every pair is scheduled on the exact pair timeline (``qnet_dqnn/net/timeline``). Table cells are means over
the seeds with the half-width of their 95 % Student-t interval (:func:`qnet_dqnn.stats.mean_interval`).

The placements keep the readout qubit 0 and qubit 1 on different QPUs, so the telegate of the first layer's
CNOT(0,1) lies in the light cone of the readout <Z_0>; a split that kept {0, 1} together would leave the
classifier blind to the pairs (docs/EXPERIMENTS.md, "Runs": the 4-QPU chain-block split read out on <Z_0>).

Run: ``nice -n 10 .venv/bin/python docs/experiments/coherent.py`` (seeds 1-5: 190 runs of 20 steps, 37 min of
wall time on two cores shared with three other jobs); ``... coherent.py 1 2 3`` runs other seeds; ``--jobs=N`` runs
N at once; ``--report`` reprints everything from ``results/coherent.json`` without running. Writes
``docs/figures/coherent_fidelity.png`` and ``docs/figures/coherent_length.png`` and prints the tables and the
differences the docs quote (Welch's interval, Hedges' g, p: :func:`qnet_dqnn.stats.difference_interval`).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import qnet_dqnn  # noqa: E402
from qnet_dqnn.net.analytic import expected_link  # noqa: E402
from qnet_dqnn.scenario.sweep import expand_sweep  # noqa: E402
from qnet_dqnn.stats import difference_interval, mean_interval  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
FIGURES = ROOT / "docs" / "figures"
SEEDS = tuple(int(s) for s in sys.argv[1:] if not s.startswith("--")) or (1, 2, 3, 4, 5)
#: ``--report``: reprint the tables and contrasts from :data:`RESULTS` without running anything.
REPORT_ONLY = "--report" in sys.argv[1:]
#: Raw values of every run (per scenario, grid point and seed), written for rereading: outside the source tree.
RESULTS = ROOT / "results" / "coherent.json"
#: Runs at once (``--jobs=N``; each run is one process of the pool).
JOBS = next((int(s.split("=", 1)[1]) for s in sys.argv[1:] if s.startswith("--jobs=")), 1)
FIDELITY_AXIS = "topology.defaults.link.quantum.source_fidelity"
LENGTH_AXIS = "topology.links[0].length_km"
FIDELITY_STUDIES = {
    "star, 2 QPUs": "train_coherent_star4_2qpu_fidelity",
    "star, 4 QPUs": "train_coherent_star4_4qpu_fidelity",
    "metro, 2 QPUs": "train_coherent_metro_2qpu_fidelity",
    "metro, 4 QPUs": "train_coherent_metro_4qpu_fidelity",
}
LENGTH_STUDIES = {
    "star, 2 QPUs": "train_coherent_star4_2qpu_length",
    "star, 4 QPUs": "train_coherent_star4_4qpu_length",
}
BASELINES = {"star": "train_single_star4_8q", "metro": "train_single_metro_8q"}
METRICS = (
    "final_accuracy",
    "final_loss",
    "time_to_target_s",
    "pairs_consumed",
    "pair_fidelity",
    "output_fidelity",
    "wait_pairs_s",
)


@dataclass
class Point:
    """One grid point over the seeds: per metric the values, and the topology it ran on."""

    x: float
    values: dict[str, list[float]]
    topology: object

    def mean(self, metric: str) -> float:
        """Mean over the seeds (time to target: over the seeds that reached it; nan if none)."""
        xs = [v for v in self.values[metric] if not math.isnan(v)]
        return statistics.fmean(xs) if xs else math.nan

    def ci(self, metric: str, digits: int = 3) -> str:
        """Mean over the seeds ± the half-width of its 95 % interval (:func:`~qnet_dqnn.stats.mean_interval`)."""
        iv = mean_interval(self.values[metric])
        if iv.n == 0:
            return "–"
        if iv.n < 2 or not math.isfinite(iv.half_width):
            return fmt(iv.mean, digits)
        return f"{fmt(iv.mean, digits)} ± {fmt(iv.half_width, 2)}"

    def reached(self) -> str:
        """Seeds that reached the target, of all seeds."""
        ttt = self.values["time_to_target_s"]
        return f"{sum(not math.isnan(v) for v in ttt)}/{len(ttt)}"


def _run_one(task: tuple[str, int, int]) -> dict[str, float]:
    """Point ``index`` of scenario ``name``'s sweep at ``seed``: its metrics and makespan."""
    name, index, seed = task
    scenario = expand_sweep(SCENARIOS / f"{name}.yaml")[index].scenario()
    result = qnet_dqnn.run(scenario, seed=seed, trace=False)
    return {**{m: float(result.metrics.get(m, 0.0)) for m in METRICS}, "makespan_s": result.simulated_time_s}


def run_grids(grids: dict[str, str | None]) -> dict[str, list[Point]]:
    """Every point of each scenario's sweep (the sweep's own expansion; ``grids``: scenario -> swept axis), each
    over :data:`SEEDS`, :data:`JOBS` runs at once."""
    sweeps = {name: expand_sweep(SCENARIOS / f"{name}.yaml") for name in grids}
    tasks = [(name, i, seed) for name, points in sweeps.items() for i in range(len(points)) for seed in SEEDS]
    if JOBS > 1:
        with ProcessPoolExecutor(JOBS) as pool:
            values = dict(zip(tasks, pool.map(_run_one, tasks), strict=True))
    else:
        values = {task: _run_one(task) for task in tasks}
    out = {}
    for name, axis in grids.items():
        points = []
        for i, sweep_point in enumerate(sweeps[name]):
            runs = [values[(name, i, seed)] for seed in SEEDS]
            x = float(sweep_point.params[axis]) if axis else math.nan
            points.append(Point(x, {m: [r[m] for r in runs] for m in runs[0]}, sweep_point.scenario().topology))
        out[name] = sorted(points, key=lambda p: p.x)
    return out


def load_grids(grids: dict[str, str | None]) -> dict[str, list[Point]]:
    """The points of an earlier run, read back from :data:`RESULTS` (topologies from the scenarios' sweeps)."""
    saved = json.loads(RESULTS.read_text())["points"]
    out = {}
    for name in grids:
        sweep = sorted(expand_sweep(SCENARIOS / f"{name}.yaml"), key=lambda p: float(p.params.get(grids[name], 0)))
        points = [Point(x, values, sp.scenario().topology) for (x, values), sp in zip(saved[name], sweep, strict=True)]
        out[name] = sorted(points, key=lambda p: p.x)
    return out


def contrast(label: str, a: Point, b: Point, metric: str) -> str:
    """``a − b`` in ``metric`` over the seeds: Welch's 95 % interval, p-value and Hedges' g."""
    d = difference_interval(a.values[metric], b.values[metric])
    return (
        f"{label}, {metric}: {d.delta:+.4g} [{d.low:+.4g}, {d.high:+.4g}] (g = {d.hedges_g:.2f}, p = {d.p_value:.2g})"
    )


def contrasts(
    baselines: dict[str, Point], fidelity: dict[str, list[Point]], length: dict[str, list[Point]]
) -> list[str]:
    """The differences the docs claim or deny, each with its interval and effect size."""
    lines = []
    for label, points in fidelity.items():
        low, high = points[0], points[-1]
        base = baselines[label.split(",")[0]]
        at95 = next(p for p in points if abs(p.x - 0.95) < 1e-9)
        for metric in ("final_accuracy", "final_loss"):
            lines.append(contrast(f"{label}: F = {low.x:g} − F = {high.x:g}", low, high, metric))
            # the seeds are paired (each seed draws the same data, parameters and minibatches at every F)
            per_seed = [a - b for a, b in zip(low.values[metric], high.values[metric], strict=True)]
            iv = mean_interval(per_seed)
            lines.append(
                f"{label}: F = {low.x:g} − F = {high.x:g}, {metric}, paired by seed: {iv.mean:+.4g} "
                f"[{iv.low:+.4g}, {iv.high:+.4g}] (per seed {', '.join(f'{v:+.3f}' for v in per_seed)})"
            )
        for metric in ("final_accuracy", "final_loss", "time_to_target_s", "makespan_s"):
            lines.append(contrast(f"{label}: F = 0.95 − one QPU", at95, base, metric))
    two, four = fidelity["star, 2 QPUs"], fidelity["star, 4 QPUs"]
    for a, b in zip(four, two, strict=True):
        if abs(a.x - 0.95) < 1e-9:
            lines.append(contrast("star at F = 0.95: 4 QPUs − 2 QPUs", a, b, "time_to_target_s"))
            same = a.values["final_loss"] == b.values["final_loss"]
            lines.append(f"star at F = 0.95: 4- and 2-QPU final losses identical seed for seed: {same}")
    for label, points in length.items():
        short, far = points[0], points[-1]
        for metric in ("time_to_target_s", "makespan_s", "final_accuracy"):
            lines.append(contrast(f"{label}: {far.x:g} km − {short.x:g} km", far, short, metric))
        lines.append(contrast(f"{label}: {short.x:g} km − one QPU", short, baselines["star"], "time_to_target_s"))
    return lines


def fmt(value: float, digits: int = 3) -> str:
    """A table cell: nan as a dash, large numbers with thousands separators."""
    if math.isnan(value):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.{digits}g}" if digits else f"{value:.0f}"


def table(title: str, xname: str, points: list[Point], extra: dict[str, list[str]] | None = None) -> None:
    """Print one markdown table: a row per grid point, means over the seeds ± 95 % half-widths."""
    extra = extra or {}
    print(f"\n**{title}**\n")
    head = [
        xname,
        *extra,
        "e2e pair F",
        "output F",
        "final acc.",
        "final loss",
        "reached",
        "time to target (s)",
        "makespan (s)",
        "pairs consumed",
        "pair throughput (Hz)",
        "wait_pairs (s)",
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---:" for _ in head) + "|")
    for i, p in enumerate(points):
        cells = [fmt(p.x, 4), *(col[i] for col in extra.values())]
        cells += [
            p.ci("pair_fidelity"),
            p.ci("output_fidelity"),
            p.ci("final_accuracy", 2),
            p.ci("final_loss", 4),
            p.reached(),
            p.ci("time_to_target_s"),
            p.ci("makespan_s"),
            fmt(p.mean("pairs_consumed")),
            fmt(p.mean("pairs_consumed") / p.mean("makespan_s") if p.mean("pairs_consumed") else math.nan),
            p.ci("wait_pairs_s"),
        ]
        print("| " + " | ".join(cells) + " |")


def baseline_line(point: Point) -> str:
    return (
        f"single QPU: final accuracy {fmt(point.mean('final_accuracy'), 2)}, final loss "
        f"{fmt(point.mean('final_loss'), 4)}, target reached {point.reached()}, time to target "
        f"{fmt(point.mean('time_to_target_s'))} s, makespan {fmt(point.mean('makespan_s'))} s"
    )


#: colour, marker, line style and marker size per study: the 2-QPU markers are large and hollow so that a
#: 4-QPU curve lying on top of its 2-QPU one (same telegate in the readout's light cone) leaves both visible.
STYLE = {
    "star, 2 QPUs": ("C0", "o", "-", 10),
    "star, 4 QPUs": ("C1", "s", "-", 5),
    "metro, 2 QPUs": ("C2", "^", "--", 10),
    "metro, 4 QPUs": ("C3", "v", "--", 5),
}


def _plot_series(ax: plt.Axes, xs: list[float], studies: dict[str, list[Point]], metric: str) -> None:
    """Means over the seeds with their 95 % intervals as error bars (none for times to target: on a log axis, and
    over the few seeds that reached the target, their intervals mostly reach below zero)."""
    for label, points in studies.items():
        colour, marker, line, size = STYLE[label]
        hollow = {"markerfacecolor": "none", "markeredgewidth": 1.5} if size > 6 else {}
        ys = [p.mean(metric) for p in points]
        errs = [mean_interval(p.values[metric]).half_width for p in points]
        errs = [e if metric != "time_to_target_s" and math.isfinite(e) else 0.0 for e in errs]
        ax.errorbar(
            xs,
            ys,
            yerr=errs,
            marker=marker,
            ms=size,
            ls=line,
            color=colour,
            capsize=3,
            label=f"coherent, {label}",
            **hollow,
        )


def _baselines(ax: plt.Axes, baselines: dict[str, Point], metric: str) -> None:
    for (name, point), ls in zip(baselines.items(), ("-", ":"), strict=False):
        ax.axhline(point.mean(metric), color="k", ls=ls, lw=1.2, label=f"single QPU ({name})")


def fidelity_figure(studies: dict[str, list[Point]], baselines: dict[str, Point], target: float) -> Path:
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.3))
    first = next(iter(studies.values()))
    xs = [1.0 - p.x for p in first]  # infidelity on a log axis, labelled by the fidelity
    for ax, metric, ylabel in zip(
        axes,
        ("final_accuracy", "final_loss", "time_to_target_s"),
        ("final validation accuracy", "final loss (training set, exact)", f"simulated time to {target:.0%} (s)"),
        strict=True,
    ):
        _plot_series(ax, xs, studies, metric)
        _baselines(ax, baselines, metric)
        ax.set(xscale="log", xlabel="pair-source fidelity F (log scale in 1 − F)", ylabel=ylabel)
        ax.set_xticks(xs, [f"{p.x:g}" for p in first], rotation=45)
        ax.minorticks_off()
        ax.invert_xaxis()
        ax.grid(alpha=0.3)
    axes[2].set_yscale("log")
    axes[0].set_ylim(0.6, 1.0)  # 200 validation samples: accuracy moves in steps of 0.005
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncols=len(labels), fontsize=9, frameon=False)
    fig.suptitle(
        f"8-qubit classifier split coherently: mean and 95 % interval over {len(SEEDS)} seed(s), {_steps()} Adam "
        "steps (star: 2- and 4-QPU curves coincide except in time)"
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    path = FIGURES / "coherent_fidelity.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def length_figure(studies: dict[str, list[Point]], baseline: Point) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.3))
    first = next(iter(studies.values()))
    xs = [p.x for p in first]
    for ax, metric, ylabel in zip(
        axes,
        ("final_accuracy", "makespan_s"),
        ("final validation accuracy", f"simulated time of the {_steps()} steps (makespan, s)"),
        strict=True,
    ):
        _plot_series(ax, xs, studies, metric)
        _baselines(ax, {"star": baseline}, metric)
        ax.set(xscale="log", xlabel="length of the hub–q0 spoke (km)", ylabel=ylabel)
        ax.set_xticks(xs, [f"{x:g}" for x in xs])
        ax.minorticks_off()
        ax.grid(alpha=0.3)
    axes[1].set_yscale("log")
    axes[0].set_ylim(0.5, 1.0)
    axes[1].legend(fontsize=8, loc="upper left")
    fig.suptitle(
        f"8-qubit classifier split coherently on star4_werner (source F = 0.95, other spokes 10 km):\n"
        f"mean and 95 % interval over {len(SEEDS)} seed(s), {_steps()} Adam steps"
    )
    fig.tight_layout()
    path = FIGURES / "coherent_length.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _steps() -> int:
    """Adam steps per run: the sweep's ``workload.max_steps`` (the files' base point is a 2-step smoke test)."""
    return int(expand_sweep(SCENARIOS / f"{BASELINES['star']}.yaml")[0].scenario().workload.max_steps)


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    grids: dict[str, str | None] = {name: None for name in BASELINES.values()}
    grids |= {name: FIDELITY_AXIS for name in FIDELITY_STUDIES.values()}
    grids |= {name: LENGTH_AXIS for name in LENGTH_STUDIES.values()}
    if REPORT_ONLY:
        points = load_grids(grids)
    else:
        points = run_grids(grids)
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(
            json.dumps({"seeds": list(SEEDS), "points": {n: [(p.x, p.values) for p in ps] for n, ps in points.items()}})
        )
    baselines = {net: points[name][0] for net, name in BASELINES.items()}
    target = float(expand_sweep(SCENARIOS / f"{BASELINES['star']}.yaml")[0].scenario().workload.target_accuracy)
    fidelity = {label: points[name] for label, name in FIDELITY_STUDIES.items()}
    length = {label: points[name] for label, name in LENGTH_STUDIES.items()}
    print(
        f"seeds {list(SEEDS)}; target accuracy {target}; means over the seeds (time to target: over those "
        "that reached it)"
    )
    for net, point in baselines.items():
        print(f"\n{net} baseline ({BASELINES[net]}): {baseline_line(point)}")
    for label, points in fidelity.items():
        table(f"{label}: source fidelity swept ({FIDELITY_STUDIES[label]})", "source F", points)
    for label, points in length.items():
        rates = []
        for p in points:
            link = p.topology.links[0]  # type: ignore[attr-defined]
            rates.append(fmt(expected_link(p.topology, link).pair_rate_hz))  # type: ignore[arg-type]
        table(
            f"{label}: hub–q0 length swept ({LENGTH_STUDIES[label]})",
            "hub–q0 (km)",
            points,
            {"hub–q0 p/T per memory slot (Hz)": rates},
        )
    print("\nDifferences over the seeds (Welch 95 % interval, Hedges' g, p):")
    for line in contrasts(baselines, fidelity, length):
        print(line)
    figures = [fidelity_figure(fidelity, baselines, target), length_figure(length, baselines["star"])]
    for path in figures:
        print(f"\nfigure: {path.relative_to(ROOT)}")
    print(f"wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
