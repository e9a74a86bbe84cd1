"""Comparisons and sweeps: the rows, the rich tables and the files of a study."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.table import Table

from qnet_dqnn.report.study_figures import curves_figure, overhead_figure, sweep_figure, timeline_figure
from qnet_dqnn.scenario import RunResult, write_atomically


def _total(key: str) -> Callable[[RunResult], float]:
    return lambda r: float(r.ledger.get("totals", {}).get(key, math.nan))


def _metric(key: str) -> Callable[[RunResult], float]:
    return lambda r: float(r.metrics.get(key, math.nan))


#: Columns of a comparison: (label, how to read it from a result). Missing quantities are NaN.
COMPARE_COLUMNS: list[tuple[str, Callable[[RunResult], float]]] = [
    ("messages", _total("messages")),
    ("bits", _total("bits")),
    ("pairs generated", _total("pairs_delivered")),
    ("pairs consumed", _total("pairs_consumed")),
    ("teleports", _total("teleports")),
    ("telegates", _total("telegates")),
    ("circuits", _total("circuits")),
    ("shots", _total("shots")),
    ("sampling overhead", _metric("sampling_overhead")),
    ("remote ops in cone", _metric("remote_ops_in_cone")),
    ("makespan s", lambda r: r.simulated_time_s),
    ("time to target s", _metric("time_to_target_s")),
    ("final accuracy", _metric("final_accuracy")),
    ("fidelity", _metric("fidelity")),
    ("wall s", lambda r: float(r.wall.get("wall_time_s", math.nan))),
]


def _mean_std(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return math.nan, math.nan
    return statistics.fmean(finite), statistics.stdev(finite) if len(finite) > 1 else 0.0


def comparison_rows(runs: dict[str, list[RunResult]]) -> list[dict[str, Any]]:
    """One row per scenario: each column's mean and standard deviation over its seeds."""
    rows = []
    for scenario, results in runs.items():
        row: dict[str, Any] = {"scenario": scenario, "workload": results[0].workload, "seeds": len(results)}
        for label, read in COMPARE_COLUMNS:
            row[f"{label} mean"], row[f"{label} std"] = _mean_std([read(r) for r in results])
        rows.append(row)
    return rows


def _pm(mean: float, std: float) -> str:
    if math.isnan(mean):
        return "-"
    return f"{mean:.4g}" if std == 0 else f"{mean:.4g} ± {std:.2g}"


def formatted_comparison(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Rows as printed: ``mean ± std`` per column; columns that are 0 or missing everywhere are left out."""
    shown = [
        label
        for label, _ in COMPARE_COLUMNS
        if any(not math.isnan(r[f"{label} mean"]) and r[f"{label} mean"] != 0 for r in rows)
    ]
    return [
        {"scenario": r["scenario"], "seeds": str(r["seeds"]), **{c: _pm(r[f"{c} mean"], r[f"{c} std"]) for c in shown}}
        for r in rows
    ]


def comparison_table(rows: list[dict[str, Any]]) -> Table:
    """Scenarios side by side (mean ± std over seeds)."""
    table = Table(title="comparison (mean ± std over seeds)", title_justify="left")
    printed = formatted_comparison(rows)
    for column in printed[0] if printed else ["scenario"]:
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for r in printed:
        table.add_row(*r.values())
    return table


def sweep_table(axes: list[str], rows: list[dict[str, Any]]) -> Table:
    """A sweep's summary: one row per combination of the swept axes (seeds averaged)."""
    table = Table(title="sweep summary (mean ± std over seeds)", title_justify="left")
    metrics = [k.removesuffix("_mean") for k in (rows[0] if rows else {}) if k.endswith("_mean")]
    group_axes = [a for a in axes if a != "seed"]
    for column in [*group_axes, "runs", *metrics]:
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            *(str(r[a]) for a in group_axes), str(r["runs"]), *(_pm(r[f"{m}_mean"], r[f"{m}_std"]) for m in metrics)
        )
    return table


def csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV text (header from the first row)."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


def comparison_figures(runs: dict[str, list[RunResult]], folder: Path) -> list[Path]:
    """The comparison's figures (overhead bars; curves and timelines when the runs have them)."""
    figures = [overhead_figure(runs, folder / "overhead.png")]
    if any(r.curves for results in runs.values() for r in results):
        figures.append(curves_figure(runs, folder / "curves.png"))
    if any(r.timeline for results in runs.values() for r in results):
        figures.append(timeline_figure(runs, folder / "timeline.png"))
    return figures


def save_comparison(runs: dict[str, list[RunResult]], root: Path | str = "results") -> tuple[Path, list[Path]]:
    """Write compare.json (every run), compare.csv and the figures into ``root/compare/<timestamp>``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    folder, n = Path(root) / "compare" / stamp, 1
    while folder.exists():
        folder, n = Path(root) / "compare" / f"{stamp}-{n}", n + 1
    folder.mkdir(parents=True)
    write_atomically(folder / "compare.csv", csv_text(comparison_rows(runs)))
    figures = comparison_figures(runs, folder)
    record = [{"scenario": name, "runs": [r.to_dict() for r in results]} for name, results in runs.items()]
    write_atomically(folder / "compare.json", json.dumps(record, indent=2, sort_keys=True) + "\n")
    return folder, figures


def load_comparison(folder: Path) -> dict[str, list[RunResult]]:
    """Read back what :func:`save_comparison` wrote."""
    record = json.loads((folder / "compare.json").read_text(encoding="utf-8"))
    return {entry["scenario"]: [RunResult.from_dict(r) for r in entry["runs"]] for entry in record}


def save_sweep_summary(folder: Path, axes: list[str], rows: list[dict[str, Any]]) -> list[Path]:
    """Write a sweep's summary.csv and summary.png."""
    write_atomically(folder / "summary.csv", csv_text(rows))
    return [sweep_figure(axes, rows, folder / "summary.png")] if rows else []
