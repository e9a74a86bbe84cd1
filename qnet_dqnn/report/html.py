"""One static HTML page for a results folder: its tables and figures, rebuilt from stored results."""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qnet_dqnn.report.figures import RESULT_FIGURES
from qnet_dqnn.report.study import (
    comparison_figures,
    comparison_rows,
    formatted_comparison,
    load_comparison,
    save_sweep_summary,
)
from qnet_dqnn.scenario import RunResult, write_atomically
from qnet_dqnn.scenario.sweep import load_sweep, summarize

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
h2 { border-bottom: 2px solid #6a3d9a; padding-bottom: 0.2em; }
"""


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.5g}"
    return html.escape(str(value))


def html_table(rows: list[dict[str, Any]], caption: str = "") -> str:
    """Rows (column -> value) as an HTML table."""
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in r.values()) + "</tr>" for r in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_image(path: Path, alt: str) -> str:
    """A PNG embedded in the page (the page stands alone)."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


def _comparison_section(folder: Path) -> str:
    runs = load_comparison(folder)
    figures = comparison_figures(runs, folder)
    return (
        f"<h2>Comparison: {html.escape(folder.name)}</h2>"
        + html_table(formatted_comparison(comparison_rows(runs)), "mean ± std over seeds")
        + "".join(html_image(f, f.stem) for f in figures)
    )


def _sweep_section(folder: Path) -> str:
    axes, points = load_sweep(folder)
    rows = summarize(axes, points)
    figures = save_sweep_summary(folder, axes, rows)
    title = html.escape(folder.parent.name)
    return (
        f"<h2>Sweep: {title}</h2><p>{len(points)} finished runs over {html.escape(', '.join(axes))}</p>"
        + html_table(rows, "summary over the swept axes")
        + "".join(html_image(f, f.stem) for f in figures)
    )


def _run_section(path: Path) -> str:
    result = RunResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    parts = [
        f"<h2>Run: {html.escape(result.scenario)} ({html.escape(path.parent.name)})</h2>",
        f"<p>workload {html.escape(result.workload)}, seed {result.seed}, topology "
        f"{html.escape(result.topology)}, {result.simulated_time_s:g} s simulated</p>",
        html_table([{"metric": k, "value": v} for k, v in result.metrics.items()], "metrics"),
    ]
    parts += [html_table(rows, name) for name, rows in result.tables.items()]
    figure = RESULT_FIGURES.get(result.workload)
    if figure is not None:
        parts.append(html_image(figure(result, path.parent / f"{result.workload}.png"), result.workload))
    return "".join(parts)


def _section_or_note(build: Callable[[Path], str], path: Path) -> str:
    """A section, or a visible note naming a record that cannot be read (older format, damaged file)."""
    try:
        return build(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"<h2>Skipped: {html.escape(str(path))}</h2><p>cannot read this record: {html.escape(repr(exc))}</p>"


def build_report(folder: Path | str) -> Path:
    """Rebuild tables and figures of every comparison, sweep and run under ``folder``; write report.html.

    Nothing is re-run: everything comes from the stored JSON records.
    """
    folder = Path(folder)
    found = [(_comparison_section, p.parent) for p in sorted(folder.rglob("compare.json"))]
    found += [(_sweep_section, p.parent) for p in sorted(folder.rglob("sweep.json"))]
    found += [(_run_section, p) for p in sorted(folder.rglob("result.json"))]
    sections = [_section_or_note(build, path) for build, path in found]
    if not sections:
        raise FileNotFoundError(f"{folder}: no compare.json, sweep.json or result.json below it")
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>qnet-dqnn report: "
        f"{html.escape(folder.name)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>qnet-dqnn report: {html.escape(str(folder))}</h1>{''.join(sections)}</body></html>\n"
    )
    target = folder / "report.html"
    write_atomically(target, page)
    return target
