"""Figures of a study: communication overhead, learning curves, per-node timelines, sweep summaries.

Counts never get a negative axis; several seeds are drawn as their mean with a band (the confidence interval
of the mean, :func:`qnet_dqnn.stats.mean_interval`); time goes on a log axis when runs differ by orders of
magnitude; a node's timeline shows, per training step, the share of the step it spent computing, waiting for
messages and waiting for pairs, so a run of thousands of short spans stays readable.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch

from qnet_dqnn.report.plotting import hover, plt, save_figure
from qnet_dqnn.report.sheet import interval_text
from qnet_dqnn.scenario import RunResult
from qnet_dqnn.stats import DEFAULT_LEVEL, Interval, mean_interval

#: Colours of node activities on timelines (what is left of a step is idle).
ACTIVITY_COLOURS = {"compute": "#2ca02c", "wait_message": "#1f77b4", "wait_pairs": "#d62728"}
ACTIVITY_LABELS = {"compute": "compute", "wait_message": "waiting for messages", "wait_pairs": "waiting for pairs"}

#: Runs whose durations differ by more than this factor share a log time axis.
LOG_TIME_RATIO = 100.0

#: At most this many columns per node on a timeline (more steps than this are merged, evenly).
MAX_TIMELINE_BINS = 120

#: The range a curve's values can take: its band is drawn inside it.
CURVE_RANGE = {"loss": (0.0, math.inf), "accuracy": (0.0, 1.0)}

#: Steps are marked by a thin line when there are at most this many.
MAX_STEP_LINES = 60

#: Points of a mean curve over seeds (the union of the seeds' times, thinned beyond this).
MAX_CURVE_POINTS = 400


def _totals(results: list[RunResult], key: str, level: float = DEFAULT_LEVEL) -> Interval:
    return mean_interval([float(r.ledger.get("totals", {}).get(key, 0)) for r in results], level)


def _count_axis(ax: Any, heights: Sequence[float], what: str) -> None:
    """A count axis starts at 0; with nothing to count it says so instead of drawing an empty range."""
    if not any(h > 0 for h in heights):
        ax.set_ylim(0, 1)
        ax.text(0.5, 0.5, f"no {what}", transform=ax.transAxes, ha="center", va="center", color="#777777")
    else:
        ax.set_ylim(bottom=0)


def _bars(ax: Any, x: list[int], names: list[str], values: list[Interval], colour: str, what: str) -> None:
    means = [v.mean for v in values]
    errors = [v.half_width if math.isfinite(v.half_width) else 0.0 for v in values]
    ax.bar(x, means, yerr=errors if any(errors) else None, capsize=4, color=colour)
    hover(ax, x, means, [f"{n}: {interval_text(v)} {what}" for n, v in zip(names, values, strict=True)])
    _count_axis(ax, means, what)


def overhead_figure(runs: dict[str, list[RunResult]], path: Path, level: float = DEFAULT_LEVEL) -> Path:
    """Communication and QPU overhead per scenario: classical bits, entangled pairs (by fate), QPU shots; the
    bars are means over seeds with their ``level`` confidence interval."""
    names = list(runs)
    x = list(range(len(names)))
    seeds = max(len(r) for r in runs.values())
    fig, axes = plt.subplots(1, 3, figsize=(max(9, 2.2 * len(names) + 6), 4.2))
    _bars(axes[0], x, names, [_totals(runs[n], "bits", level) for n in names], "#1f77b4", "classical bits")
    axes[0].set_ylabel("classical bits sent (per run)")
    axes[0].set_title("classical communication")
    ax = axes[1]
    bottom = [0.0] * len(names)
    for key, label, colour in (("pairs_consumed", "consumed", "#6a3d9a"), ("pairs_discarded", "discarded", "#cab2d6")):
        heights = [_totals(runs[n], key).mean for n in names]
        ax.bar(x, heights, bottom=bottom, color=colour, label=label)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    delivered = [_totals(runs[n], "pairs_delivered", level) for n in names]
    unused = [max(d.mean - b, 0.0) for d, b in zip(delivered, bottom, strict=True)]
    ax.bar(x, unused, bottom=bottom, color="#eeeeee", edgecolor="#999999", label="still stored")
    tops = [b + u for b, u in zip(bottom, unused, strict=True)]
    hover(ax, x, tops, [f"{n}: {interval_text(d)} pairs delivered" for n, d in zip(names, delivered, strict=True)])
    ax.set_ylabel("entangled pairs (per run)")
    ax.set_title("entanglement")
    _count_axis(ax, tops, "entangled pairs used")
    if any(t > 0 for t in tops):
        ax.legend(fontsize=8)
    _bars(axes[2], x, names, [_totals(runs[n], "shots", level) for n in names], "#ff7f0e", "shots")
    axes[2].set_ylabel("circuit shots on QPUs (per run)")
    axes[2].set_title("QPU work")
    for ax in axes:
        ax.set_xticks(x, names, rotation=20, ha="right", fontsize=8)
    what = f"mean over {seeds} seeds, bars: {100 * level:g} % interval" if seeds > 1 else "one seed"
    fig.suptitle(f"overhead per scenario ({what})")
    fig.tight_layout()
    return save_figure(fig, path)


def _log_time(ends: Sequence[float]) -> bool:
    """True when the runs' durations differ by more than :data:`LOG_TIME_RATIO`."""
    positive = [e for e in ends if e > 0 and math.isfinite(e)]
    return len(positive) > 1 and max(positive) / min(positive) > LOG_TIME_RATIO


def mean_curve(
    series: Sequence[tuple[Sequence[float], Sequence[float]]], level: float = DEFAULT_LEVEL
) -> tuple[np.ndarray, list[Interval]]:
    """Curves of several seeds on one time grid: at each time, each seed's latest value (a seed counts from
    its first point on, and keeps its last value once it has stopped), pooled into a mean and interval."""
    grid = np.unique(np.concatenate([np.asarray(t, dtype=float) for t, _ in series if len(t)] or [np.zeros(0)]))
    if grid.size > MAX_CURVE_POINTS:
        grid = grid[np.linspace(0, grid.size - 1, MAX_CURVE_POINTS).round().astype(int)]
    columns = []
    for t, v in series:
        t, v = np.asarray(t, dtype=float), np.asarray(v, dtype=float)
        at = np.searchsorted(t, grid, side="right") - 1
        columns.append(np.where(at >= 0, v[np.clip(at, 0, max(len(v) - 1, 0))] if len(v) else np.nan, np.nan))
    values = np.column_stack(columns) if columns else np.zeros((0, 0))
    return grid, [mean_interval(row, level) for row in values]


def curves_figure(runs: dict[str, list[RunResult]], path: Path, level: float = DEFAULT_LEVEL) -> Path:
    """Loss and accuracy against simulated time: one line per scenario, the mean of its seeds with a band (the
    ``level`` confidence interval of the mean, kept inside the range the quantity can take)."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    ends = [r.simulated_time_s for results in runs.values() for r in results]
    log = _log_time(ends)
    banded = False
    for i, (name, results) in enumerate(runs.items()):
        colour = f"C{i % 10}"
        for ax, curve in zip(axes, ("loss", "accuracy"), strict=True):
            series = [(s["t_s"], s["value"]) for r in results if (s := r.curves.get(curve)) and s["t_s"]]
            if not series:
                continue
            grid, intervals = mean_curve(series, level)
            mean = np.array([iv.mean for iv in intervals])
            keep = grid > 0 if log else np.ones(grid.size, dtype=bool)
            label = name if len(series) == 1 else f"{name} (mean of {len(series)} seeds)"
            ax.plot(grid[keep], mean[keep], color=colour, label=label, drawstyle="steps-post")
            if len(series) > 1:
                bottom, top = CURVE_RANGE.get(curve, (-math.inf, math.inf))
                low = np.clip([iv.low for iv in intervals], bottom, top)
                high = np.clip([iv.high for iv in intervals], bottom, top)
                ax.fill_between(grid[keep], low[keep], high[keep], color=colour, alpha=0.2, step="post", lw=0)
                banded = True
            texts = [f"{name}: t={t:.4g} s, {curve} {interval_text(iv)}" for t, iv in zip(grid, intervals, strict=True)]
            hover(ax, grid[keep], mean[keep], [t for t, k in zip(texts, keep, strict=True) if k])
    for ax, curve in zip(axes, ("loss", "accuracy"), strict=True):
        ax.set_xlabel("simulated time (s, log scale)" if log else "simulated time (s)")
        ax.set_ylabel(curve)
        ax.set_title(f"{curve} against simulated time")
        if log:
            ax.set_xscale("log")
        handles, labels = ax.get_legend_handles_labels()
        if banded:
            handles.append(Patch(color="#888888", alpha=0.3))
            labels.append(f"{100 * level:g} % interval of the mean over seeds")
        if handles:
            ax.legend(handles, labels, fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def _natural(name: str) -> list[Any]:
    """Sort key reading digits as numbers: q2 before q10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def step_edges(result: RunResult) -> np.ndarray:
    """Time edges of a run's steps (its recorded updates), merged evenly down to :data:`MAX_TIMELINE_BINS`
    columns; a run without updates is cut into equal slices."""
    end = max([result.simulated_time_s] + [e for spans in result.timeline.values() for _, e, _ in spans])
    times = sorted({float(r["t_s"]) for r in result.tables.get("training", []) if 0 < float(r["t_s"]) < end})
    edges = np.array([0.0, *times, end]) if times else np.linspace(0.0, end, 41)
    if edges.size - 1 > MAX_TIMELINE_BINS:
        edges = edges[np.linspace(0, edges.size - 1, MAX_TIMELINE_BINS + 1).round().astype(int)]
    return np.unique(edges)


def step_shares(spans: Sequence[Sequence[Any]], edges: np.ndarray) -> dict[str, np.ndarray]:
    """Per activity kind, the share of each step ``[edges[i], edges[i+1])`` a node spent on it.

    Where a node's spans overlap (a worker computing while a message to it is under way), each instant counts
    once, for the first kind of :data:`ACTIVITY_COLOURS` that covers it, so a step's shares never exceed 1."""
    width = np.diff(edges)
    shares = {kind: np.zeros(width.size) for kind in ACTIVITY_COLOURS}
    kept = [(float(s), float(e), str(k)) for s, e, k in spans if k in shares and float(e) > float(s)]
    if kept:
        bounds = np.unique([t for s, e, _ in kept for t in (s, e)])
        covered = np.zeros(bounds.size - 1, dtype=bool)
        for kind in shares:
            depth = np.zeros(bounds.size)
            for s, e, k in kept:
                if k == kind:
                    depth[np.searchsorted(bounds, s)] += 1
                    depth[np.searchsorted(bounds, e)] -= 1
            on = (np.cumsum(depth)[:-1] > 0) & ~covered
            covered |= on
            lo, hi = bounds[:-1][on], bounds[1:][on]  # disjoint, sorted
            if lo.size:
                before = np.concatenate([[0.0], np.cumsum(hi - lo)])  # time on `kind` before each segment
                i = np.clip(np.searchsorted(lo, edges, side="right") - 1, 0, None)
                upto = before[i] + np.clip(edges - lo[i], 0.0, hi[i] - lo[i])  # time on `kind` up to each edge
                shares[kind] = np.diff(upto)
    return {kind: np.divide(s, width, out=np.zeros_like(s), where=width > 0) for kind, s in shares.items()}


def _timeline_axes(ax: Any, side: Any, result: RunResult, name: str) -> None:
    nodes = sorted(result.timeline, key=_natural)
    edges = step_edges(result)
    makespan = edges[-1] - edges[0] or 1.0
    shares = [step_shares(result.timeline[node], edges) for node in nodes]
    kinds = list(ACTIVITY_COLOURS)
    totals = {kind: np.array([float(np.sum(s[kind] * np.diff(edges))) for s in shares]) for kind in kinds}
    for k, kind in enumerate(kinds):
        polygons = []
        for row, s in enumerate(shares):
            base = row - 0.42 + 0.84 * sum((s[j] for j in kinds[:k]), np.zeros(edges.size - 1))
            top = base + 0.84 * s[kind]
            drawn = top > base
            x0, x1 = edges[:-1][drawn], edges[1:][drawn]
            y0, y1 = base[drawn], top[drawn]
            polygons.append(np.stack([np.c_[x0, y0], np.c_[x1, y0], np.c_[x1, y1], np.c_[x0, y1]], axis=1))
        verts = np.concatenate(polygons) if polygons else np.zeros((0, 4, 2))
        ax.add_collection(PolyCollection(list(verts), facecolors=ACTIVITY_COLOURS[kind], edgecolors="none"))
    if edges.size <= MAX_STEP_LINES:
        ax.vlines(edges[1:-1], -0.5, len(nodes) - 0.5, colors="white", linewidths=0.8)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(len(nodes) - 0.5, -0.5)
    fontsize = 8 if len(nodes) <= 16 else 6 if len(nodes) <= 40 else 5
    every = max(1, math.ceil(len(nodes) / 64))
    ax.set_yticks(range(0, len(nodes), every), nodes[::every], fontsize=fontsize)
    steps = len(edges) - 1
    ax.set_title(f"{name} (seed {result.seed}): share of each of {steps} steps per node", fontsize=9, loc="left")
    ax.set_xlabel("simulated time (s)")
    left = np.zeros(len(nodes))
    for kind, colour in ACTIVITY_COLOURS.items():
        share = totals[kind] / makespan
        side.barh(range(len(nodes)), share, left=left, color=colour, height=0.84)
        left += share
    side.set_xlim(0, 1)
    side.set_ylim(len(nodes) - 0.5, -0.5)
    side.set_yticks([])
    side.set_xlabel("share of the run")
    texts = [
        f"{node}: "
        + ", ".join(
            f"{ACTIVITY_LABELS[k]} {totals[k][i]:.4g} s ({100 * totals[k][i] / makespan:.3g} %)"
            for k in ACTIVITY_COLOURS
        )
        for i, node in enumerate(nodes)
    ]
    hover(side, list(left), list(range(len(nodes))), texts)


def timeline_figure(runs: dict[str, list[RunResult]], path: Path) -> Path:
    """Per node and step, the share of the step spent computing, waiting for messages and waiting for pairs
    (each scenario's first seed), with each node's totals over the run beside it."""
    shown = {name: results[0] for name, results in runs.items() if results[0].timeline}
    heights = [max(len(r.timeline), 1) for r in shown.values()]
    row_inches = min(0.4, max(0.1, 6.0 / max(heights)))
    fig, axes = plt.subplots(
        len(shown),
        2,
        figsize=(12, 1.2 + row_inches * sum(heights) + 0.9 * len(shown)),
        squeeze=False,
        gridspec_kw={"height_ratios": [h + 2 for h in heights], "width_ratios": [5, 1]},
    )
    for (ax, side), (name, result) in zip(axes, shown.items(), strict=True):
        _timeline_axes(ax, side, result, name)
    handles = [Patch(color=c) for c in ACTIVITY_COLOURS.values()] + [Patch(facecolor="white", edgecolor="#999999")]
    labels = [*ACTIVITY_LABELS.values(), "idle"]
    fig.legend(handles, labels, loc="upper right", fontsize=8, ncols=4)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return save_figure(fig, path)


def sweep_figure(
    axis_names: list[str],
    values: list[dict[str, Any]],
    series: dict[str, list[Interval]],
    level: float,
    path: Path,
    constant: str = "",
) -> Path:
    """Each quantity against the first swept axis that changes, one line per combination of the others that
    change; error bars: the ``level`` confidence interval of the mean over each point's runs. ``constant``
    (the quantities the same in every run) is written under the panels."""
    shown = {label: ivs for label, ivs in series.items() if any(iv.n for iv in ivs)}
    cols = min(3, max(len(shown), 1))
    rows = max(1, math.ceil(len(shown) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows + 0.6), squeeze=False)
    changing = [a for a in axis_names if len({json.dumps(v[a], sort_keys=True) for v in values}) > 1]
    x_axis = changing[0] if changing else (axis_names[0] if axis_names else None)
    others = changing[1:]
    lines: dict[str, list[int]] = {}
    for i, v in enumerate(values):
        lines.setdefault(", ".join(f"{a}={v[a]}" for a in others), []).append(i)
    numeric = x_axis is not None and all(_real(v[x_axis]) for v in values)
    xs_all = [float(v[x_axis]) for v in values] if numeric else list(range(len(values)))
    log_x = numeric and min(xs_all) > 0 and max(xs_all) / min(xs_all) > LOG_TIME_RATIO
    for ax, (label, intervals) in zip(axes.flat, shown.items(), strict=False):
        for line, members in lines.items():
            members = sorted(members, key=lambda i: xs_all[i])
            xs = [xs_all[i] for i in members]
            ys = [intervals[i].mean for i in members]
            errors = [intervals[i].half_width if math.isfinite(intervals[i].half_width) else 0.0 for i in members]
            ax.errorbar(xs, ys, yerr=errors, marker="o", capsize=3, label=line or None)
            hover(
                ax, xs, ys, [f"{_point(values[i], axis_names)}: {label} {interval_text(intervals[i])}" for i in members]
            )
        if not numeric and x_axis is not None:
            ax.set_xticks(range(len(values)), [str(v[x_axis]) for v in values], rotation=20, fontsize=7)
        if log_x:
            ax.set_xscale("log")
        ax.set_xlabel(x_axis or "all runs", fontsize=8)
        ax.set_ylabel(label)
        ax.set_title(label, fontsize=10)
        if others:
            ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(shown) :]:
        ax.set_visible(False)
    fig.suptitle(f"sweep summary (mean over each point's runs; bars: {100 * level:g} % interval)")
    if constant:
        fig.text(0.01, 0.005, textwrap.fill(f"the same in every run: {constant}", 160), fontsize=7, va="bottom")
    fig.tight_layout(rect=(0, 0.03 if constant else 0, 1, 0.97))
    return save_figure(fig, path)


def _real(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _point(values: dict[str, Any], axes: list[str]) -> str:
    return ", ".join(f"{a}={values[a]}" for a in axes) or "all runs"
