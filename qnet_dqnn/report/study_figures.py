"""Figures of a study: communication overhead, learning curves, per-node timelines, sweep summaries."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from qnet_dqnn.report.plotting import plt, save_figure
from qnet_dqnn.scenario import RunResult

#: Colours of node activities on timelines.
ACTIVITY_COLOURS = {"compute": "#2ca02c", "wait_message": "#1f77b4", "wait_pairs": "#d62728"}


def _mean_total(results: list[RunResult], key: str) -> float:
    values = [r.ledger.get("totals", {}).get(key, 0) for r in results]
    return sum(values) / len(values)


def overhead_figure(runs: dict[str, list[RunResult]], path: Path) -> Path:
    """Communication and QPU overhead per scenario: classical bits, entangled pairs (by fate), QPU shots."""
    names = list(runs)
    x = list(range(len(names)))
    fig, axes = plt.subplots(1, 3, figsize=(max(9, 2.2 * len(names) + 6), 4.2))
    ax = axes[0]
    ax.bar(x, [_mean_total(runs[n], "bits") for n in names], color="#1f77b4")
    ax.set_ylabel("classical bits sent (per run)")
    ax.set_title("classical communication")
    ax = axes[1]
    bottom = [0.0] * len(names)
    for key, label, colour in (("pairs_consumed", "consumed", "#6a3d9a"), ("pairs_discarded", "discarded", "#cab2d6")):
        heights = [_mean_total(runs[n], key) for n in names]
        ax.bar(x, heights, bottom=bottom, color=colour, label=label)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    unused = [max(_mean_total(runs[n], "pairs_delivered") - b, 0.0) for n, b in zip(names, bottom, strict=True)]
    ax.bar(x, unused, bottom=bottom, color="#eeeeee", edgecolor="#999999", label="still stored")
    ax.set_ylabel("entangled pairs (per run)")
    ax.set_title("entanglement")
    ax.legend(fontsize=8)
    ax = axes[2]
    ax.bar(x, [_mean_total(runs[n], "shots") for n in names], color="#ff7f0e")
    ax.set_ylabel("circuit shots on QPUs (per run)")
    ax.set_title("QPU work")
    for ax in axes:
        ax.set_xticks(x, names, rotation=20, ha="right", fontsize=8)
    fig.suptitle("overhead per scenario (mean over seeds)")
    fig.tight_layout()
    return save_figure(fig, path)


def curves_figure(runs: dict[str, list[RunResult]], path: Path) -> Path:
    """Loss and accuracy against simulated time, one line per scenario and seed."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for i, (name, results) in enumerate(runs.items()):
        colour = f"C{i % 10}"
        for j, result in enumerate(results):
            for ax, curve in zip(axes, ("loss", "accuracy"), strict=True):
                series = result.curves.get(curve)
                if series:
                    ax.plot(
                        series["t_s"],
                        series["value"],
                        color=colour,
                        alpha=1.0 if j == 0 else 0.35,
                        label=name if j == 0 else None,
                    )
    for ax, curve in zip(axes, ("loss", "accuracy"), strict=True):
        ax.set_xlabel("simulated time (s)")
        ax.set_ylabel(curve)
        ax.set_title(f"{curve} against simulated time")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def timeline_figure(runs: dict[str, list[RunResult]], path: Path) -> Path:
    """Per-node activity (compute, waiting for messages, waiting for pairs) of each scenario's first seed."""
    shown = {name: results[0] for name, results in runs.items() if results[0].timeline}
    heights = [max(len(r.timeline), 1) for r in shown.values()]
    fig, axes = plt.subplots(
        len(shown),
        1,
        figsize=(11, 1.0 + 0.45 * sum(heights) + 0.6 * len(shown)),
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    for ax, (name, result) in zip(axes[:, 0], shown.items(), strict=True):
        nodes = sorted(result.timeline)
        for row, node in enumerate(nodes):
            for kind, colour in ACTIVITY_COLOURS.items():
                spans = [(s, e - s) for s, e, k in result.timeline[node] if k == kind]
                if spans:
                    ax.broken_barh(spans, (row - 0.4, 0.8), color=colour, label=kind if row == 0 else None)
        ax.set_yticks(range(len(nodes)), nodes, fontsize=8)
        ax.set_title(f"{name} (seed {result.seed})", fontsize=9, loc="left")
        ax.set_xlabel("simulated time (s)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in ACTIVITY_COLOURS.values()]
    fig.legend(handles, list(ACTIVITY_COLOURS), loc="upper right", fontsize=8, ncols=3)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return save_figure(fig, path)


def sweep_figure(axes_names: list[str], rows: list[dict[str, Any]], path: Path) -> Path:
    """Headline metrics against the first swept axis, one line per value of the second (error bars: std)."""
    group_axes = [a for a in axes_names if a != "seed"]
    metrics = [k.removesuffix("_mean") for k in rows[0] if k.endswith("_mean")]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.6 * len(metrics), 4.0), squeeze=False)
    x_axis = group_axes[0] if group_axes else None
    line_axis = group_axes[1] if len(group_axes) > 1 else None
    lines: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        lines.setdefault(str(row[line_axis]) if line_axis else "", []).append(row)
    for ax, metric in zip(axes[0], metrics, strict=True):
        for label, group in lines.items():
            group = sorted(group, key=lambda r: r[x_axis] if x_axis else 0)
            xs = [r[x_axis] if x_axis else i for i, r in enumerate(group)]
            ys = [r[f"{metric}_mean"] for r in group]
            errors = [0.0 if math.isnan(r[f"{metric}_std"]) else r[f"{metric}_std"] for r in group]
            ax.errorbar(xs, ys, yerr=errors, marker="o", capsize=3, label=f"{line_axis}={label}" if line_axis else None)
        ax.set_xlabel(x_axis or "run")
        ax.set_ylabel(metric)
        ax.set_title(metric.replace("_", " "))
        if line_axis:
            ax.legend(fontsize=8)
    fig.suptitle("sweep summary (mean ± std over seeds)")
    fig.tight_layout()
    return save_figure(fig, path)
