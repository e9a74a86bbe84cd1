"""Comparisons and sweeps: every quantity as a mean over seeds with its confidence interval, the sheets that
show them, the differences between scenarios, and the files of a study."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qnet_dqnn.report.sheet import Measured, Sheet, cell_text, csv_text, flat_rows
from qnet_dqnn.report.study_figures import curves_figure, overhead_figure, sweep_figure, timeline_figure
from qnet_dqnn.scenario import RunResult, write_atomically
from qnet_dqnn.scenario.workloads import headline_metrics
from qnet_dqnn.stats import DEFAULT_LEVEL, difference_interval, mean_interval


@dataclass(frozen=True)
class Quantity:
    """A number every run may report: its label in tables and how to read it (NaN when a run lacks it)."""

    label: str
    read: Callable[[RunResult], float]
    metric: str = ""


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan


def _total(key: str) -> Callable[[RunResult], float]:
    return lambda r: _number(r.ledger.get("totals", {}).get(key, math.nan))


def _metric(key: str) -> Callable[[RunResult], float]:
    return lambda r: _number(r.metrics.get(key, math.nan))


def label_of(key: str) -> str:
    """A metric's label: ``time_to_target_s`` -> ``time to target (s)``.

    Examples:
        >>> label_of("wait_pairs_s"), label_of("pair_fidelity")
        ('wait pairs (s)', 'pair fidelity')
    """
    for suffix, unit in (("_s", "s"), ("_hz", "Hz"), ("_km", "km")):
        if key.endswith(suffix):
            return f"{key.removesuffix(suffix).replace('_', ' ')} ({unit})"
    return key.replace("_", " ")


def _m(key: str) -> Quantity:
    return Quantity(label_of(key), _metric(key), key)


#: What tables show first, when the runs report it: time, learning, fidelity, then the cost in resources.
CORE: list[Quantity] = [
    Quantity("makespan (s)", lambda r: float(r.simulated_time_s)),
    _m("updates"),
    _m("final_accuracy"),
    _m("final_loss"),
    _m("time_to_target_s"),
    _m("output_fidelity"),
    _m("pair_fidelity"),
    Quantity("pairs consumed", _total("pairs_consumed")),
    Quantity("pairs generated", _total("pairs_delivered")),
    Quantity("e2e pairs consumed", _total("e2e_pairs_consumed")),
    Quantity("messages", _total("messages")),
    Quantity("bits", _total("bits")),
    Quantity("teleports", _total("teleports")),
    Quantity("telegates", _total("telegates")),
    Quantity("circuits", _total("circuits")),
    Quantity("shots", _total("shots")),
    _m("sampling_overhead"),
    _m("remote_ops_in_cone"),
]
WALL = Quantity("wall (s)", lambda r: _number(r.wall.get("wall_time_s", math.nan)))


def _all_results(groups: Sequence[Sequence[RunResult]]) -> list[RunResult]:
    return [r for results in groups for r in results]


def quantities(groups: Sequence[Sequence[RunResult]], everything: bool = False) -> list[Quantity]:
    """The quantities to show for these runs: :data:`CORE` and each workload's headline metrics, where some
    run reports a value other than 0; with ``everything``, also every other numeric metric and ledger total
    (the machine-readable record: new metrics appear there as soon as a run reports them)."""
    results = _all_results(groups)
    chosen = list(CORE)
    for workload in dict.fromkeys(r.workload for r in results):
        metrics = next(r.metrics for r in results if r.workload == workload)
        chosen += [_m(k) for k in headline_metrics(workload, metrics)]
    if everything:  # in name order: a record read back from JSON (keys sorted) gives the same columns
        metrics = {k for r in results for k, v in r.metrics.items() if not math.isnan(_number(v))}
        totals = {k for r in results for k, v in r.ledger.get("totals", {}).items() if not math.isnan(_number(v))}
        chosen += [_m(k) for k in sorted(metrics)]
        chosen += [Quantity(f"total {k.replace('_', ' ')}", _total(k)) for k in sorted(totals)]
    unique: dict[str, Quantity] = {}
    for q in chosen:  # the first of each label, in order
        unique.setdefault(q.label, q)
    if everything:
        return list(unique.values())
    return [q for q in unique.values() if any(_shows(q.read(r)) for r in results)]


def _shows(value: float) -> bool:
    return not math.isnan(value) and value != 0.0


def measure(results: Sequence[RunResult], quantity: Quantity, level: float = DEFAULT_LEVEL) -> Measured:
    """The quantity's mean over the runs with its ``level`` confidence interval (runs lacking it left out)."""
    return Measured(mean_interval([quantity.read(r) for r in results], level), len(results))


def _level_text(level: float) -> str:
    return f"{100 * level:g} %"


# ---- comparisons ------------------------------------------------------------------------------------------


def comparison_sheet(runs: dict[str, list[RunResult]], level: float = DEFAULT_LEVEL, everything: bool = False) -> Sheet:
    """One row per scenario: every quantity as mean ± half-width of its ``level`` interval over the seeds."""
    shown = quantities(list(runs.values()), everything) + ([] if everything else [WALL])
    seeds = {len(results) for results in runs.values()}
    caption = (
        f"mean ± {_level_text(level)} confidence half-width (Student t) over seeds; (n/m): only n of m runs report it"
        if max(seeds, default=1) > 1
        else "one seed per scenario: no interval (use --seeds 5 or more)"
    )
    rows: list[list[Any]] = [
        [name, results[0].workload, len(results), *(measure(results, q, level) for q in shown)]
        for name, results in runs.items()
    ]
    return Sheet(
        "comparison", ["scenario", "workload", "seeds", *(q.label for q in shown)], rows, caption=caption, keys=1
    )


def comparison_rows(runs: dict[str, list[RunResult]], level: float = DEFAULT_LEVEL) -> list[dict[str, Any]]:
    """Flat rows of every quantity: ``<label> mean``, ``low``, ``high``, ``std`` and ``n`` per scenario."""
    return flat_rows(comparison_sheet(runs, level, everything=True))


def difference_sheets(runs: dict[str, list[RunResult]], level: float = DEFAULT_LEVEL) -> list[Sheet]:
    """Each scenario against the first: difference of means with Welch's ``level`` interval, Hedges' g and
    Welch's p, per quantity both report over two or more seeds. Empty with fewer than two seeds."""
    names = list(runs)
    if len(names) < 2:
        return []
    base = names[0]
    sheets = []
    for other in names[1:]:
        rows = []
        for q in quantities([runs[base], runs[other]]):
            a = [q.read(r) for r in runs[other]]
            b = [q.read(r) for r in runs[base]]
            d = difference_interval(a, b, level)
            if math.isfinite(d.low):
                rows.append(
                    [q.label, measure(runs[base], q, level), measure(runs[other], q, level), d, d.hedges_g, d.p_value]
                )
        if rows:
            sheets.append(
                Sheet(
                    f"{other} against {base}",
                    ["quantity", base, other, "difference", "Hedges g", "p (Welch)"],
                    rows,
                    caption=f"difference: {other} − {base}, ± {_level_text(level)} Welch half-width; Hedges' g: "
                    "the difference in pooled standard deviations (small-sample corrected)",
                )
            )
    return sheets


def comparison_figures(runs: dict[str, list[RunResult]], folder: Path, level: float = DEFAULT_LEVEL) -> list[Path]:
    """The comparison's figures (overhead bars; curves and timelines when the runs have them)."""
    figures = [overhead_figure(runs, folder / "overhead.png", level)]
    if any(r.curves for results in runs.values() for r in results):
        figures.append(curves_figure(runs, folder / "curves.png", level))
    if any(r.timeline for results in runs.values() for r in results):
        figures.append(timeline_figure(runs, folder / "timeline.png"))
    return figures


def new_study_dir(root: Path | str, kind: str) -> Path:
    """A fresh folder ``root/<kind>/<UTC timestamp>`` (suffixed if the name is taken)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    folder, n = Path(root) / kind / stamp, 1
    while folder.exists():
        folder, n = Path(root) / kind / f"{stamp}-{n}", n + 1
    folder.mkdir(parents=True)
    return folder


def save_comparison(
    runs: dict[str, list[RunResult]], root: Path | str = "results", level: float = DEFAULT_LEVEL
) -> tuple[Path, list[Path]]:
    """Write compare.json (every run), compare.csv (every quantity with its interval) and the figures into
    ``root/compare/<timestamp>``."""
    folder = new_study_dir(root, "compare")
    write_atomically(folder / "compare.csv", csv_text(comparison_rows(runs, level)))
    figures = comparison_figures(runs, folder, level)
    record = [{"scenario": name, "runs": [r.to_dict() for r in results]} for name, results in runs.items()]
    write_atomically(folder / "compare.json", json.dumps(record, indent=2, sort_keys=True) + "\n")
    return folder, figures


def load_comparison(folder: Path) -> dict[str, list[RunResult]]:
    """Read back what :func:`save_comparison` wrote."""
    record = json.loads((folder / "compare.json").read_text(encoding="utf-8"))
    return {entry["scenario"]: [RunResult.from_dict(r) for r in entry["runs"]] for entry in record}


# ---- sweeps -----------------------------------------------------------------------------------------------


def constant_value(groups: Sequence[Sequence[RunResult]], quantity: Quantity) -> float | None:
    """The value every run of the grid reports for ``quantity``, or None if it varies (or some lack it)."""
    values = [quantity.read(r) for results in groups for r in results]
    if values and not any(math.isnan(v) for v in values) and min(values) == max(values):
        return values[0]
    return None


@dataclass
class SweepSummary:
    """A sweep's points grouped by the swept values (seeds pooled).

    Attributes:
        axes: the swept axes (``seed`` among them, if swept).
        values: per group, the values of the non-seed axes.
        groups: per group, its runs.
        shown: the quantities that vary over the grid, and the workloads' headline metrics.
        constant: the other quantities, each with the one value every run reports.
        level: confidence level of the intervals.
    """

    axes: list[str]
    values: list[dict[str, Any]]
    groups: list[list[RunResult]]
    shown: list[Quantity]
    constant: list[tuple[Quantity, float]]
    level: float = DEFAULT_LEVEL

    @property
    def group_axes(self) -> list[str]:
        """The swept axes other than ``seed``."""
        return [a for a in self.axes if a != "seed"]

    def measured(self, i: int, quantity: Quantity) -> Measured:
        """Quantity ``quantity`` over the runs of group ``i``."""
        return measure(self.groups[i], quantity, self.level)

    def constant_text(self) -> str:
        """The quantities that do not change over the grid, with their value."""
        return ", ".join(f"{q.label} {cell_text(v)}" for q, v in self.constant)


def summarize(
    axes: list[str], points: list[tuple[dict[str, Any], RunResult]], level: float = DEFAULT_LEVEL
) -> SweepSummary:
    """Group a sweep's finished points by the values of the non-seed axes, in grid order, and sort the
    quantities into those that vary over the grid (and the headline metrics) and those that do not."""
    group_axes = [a for a in axes if a != "seed"]
    groups: dict[str, tuple[dict[str, Any], list[RunResult]]] = {}
    for params, result in points:
        values = {a: params[a] for a in group_axes}
        groups.setdefault(json.dumps(values, sort_keys=True), (values, []))[1].append(result)
    members = [results for _, results in groups.values()]
    headline = {m for results in members for r in results for m in headline_metrics(r.workload, r.metrics)}
    shown, constant = [], []
    for q in quantities(members):
        value = constant_value(members, q)
        if value is None or q.metric in headline:
            shown.append(q)
        else:
            constant.append((q, value))
    return SweepSummary(axes, [v for v, _ in groups.values()], members, shown, constant, level)


def sweep_sheet(summary: SweepSummary, everything: bool = False) -> Sheet:
    """One row per point of the grid (seeds pooled): each quantity that varies as mean ± half-width of its
    interval (``everything``: every quantity, for the machine-readable summary)."""
    shown = quantities(summary.groups, everything=True) if everything else summary.shown
    axes = summary.group_axes
    rows = [
        [*(summary.values[i][a] for a in axes), len(group), *(measure(group, q, summary.level) for q in shown)]
        for i, group in enumerate(summary.groups)
    ]
    runs = {len(g) for g in summary.groups}
    caption = (
        f"mean ± {_level_text(summary.level)} confidence half-width (Student t) over the runs of each point"
        if max(runs, default=1) > 1
        else "one run per point: no interval (sweep a seed axis, or use --seeds 5)"
    )
    if summary.constant and not everything:
        caption += f"; the same in every run: {summary.constant_text()}"
    return Sheet(
        "sweep summary", [*axes, "runs", *(q.label for q in shown)], rows, caption=caption, keys=max(len(axes), 1)
    )


def save_sweep_summary(folder: Path, summary: SweepSummary) -> list[Path]:
    """Write a sweep's summary.csv (every quantity with its interval) and summary.png."""
    write_atomically(folder / "summary.csv", csv_text(flat_rows(sweep_sheet(summary, everything=True))))
    if not summary.groups:
        return []
    series = {q.label: [summary.measured(i, q).interval for i in range(len(summary.groups))] for q in summary.shown}
    figure = sweep_figure(
        summary.group_axes, summary.values, series, summary.level, folder / "summary.png", summary.constant_text()
    )
    return [figure]
