"""One static HTML page for a results folder: its tables and figures, rebuilt from stored results.

The page stands alone (figures inline, no script or style from elsewhere): tables sort when a header is
clicked, and pointing at a marked point of a figure shows its value (the points a figure function marked
with :func:`qnet_dqnn.report.plotting.hover`, read back from the PNG).
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable
from pathlib import Path

from qnet_dqnn.report.figures import RESULT_FIGURES
from qnet_dqnn.report.plotting import read_hover
from qnet_dqnn.report.sheet import Sheet, cell_text
from qnet_dqnn.report.study import (
    comparison_figures,
    comparison_sheet,
    difference_sheets,
    load_comparison,
    save_sweep_summary,
    summarize,
    sweep_sheet,
)
from qnet_dqnn.report.tables import result_sheets
from qnet_dqnn.scenario import RunResult, write_atomically
from qnet_dqnn.scenario.sweep import load_sweep
from qnet_dqnn.stats import DEFAULT_LEVEL

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 1400px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
caption { caption-side: bottom; text-align: left; color: #555; padding-top: 0.3em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; cursor: pointer; user-select: none; }
th[aria-sort=ascending]::after { content: " \\25B2"; } th[aria-sort=descending]::after { content: " \\25BC"; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 0.5em 0; } .scroll { overflow-x: auto; max-width: 100%; }
.plot { position: relative; width: fit-content; max-width: 100%; }
.plot img { display: block; width: 100%; border: 1px solid #eee; box-sizing: border-box; }
.plot svg { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
.plot circle { fill: transparent; cursor: crosshair; }
.plot circle:hover { fill: rgba(0, 0, 0, 0.25); }
#tip { position: fixed; display: none; background: #222; color: #fff; padding: 0.3em 0.5em; border-radius: 4px;
       font-size: 0.8em; pointer-events: none; max-width: 40em; z-index: 10; }
h2 { border-bottom: 2px solid #6a3d9a; padding-bottom: 0.2em; }
"""

# Sorting: numbers (a cell's leading number) before text, ascending then descending on each click.
# Hover: the element under the pointer carrying data-tip shows its text in #tip.
_SCRIPT = """
function cellKey(cell) {
  const text = cell.textContent.trim();
  const m = text.match(/^[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?/);
  return m ? [0, parseFloat(m[0])] : [1, text.toLowerCase()];
}
function sortBy(th) {
  const table = th.closest("table"), i = Array.from(th.parentNode.children).indexOf(th);
  const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
  table.querySelectorAll("th").forEach(h => h.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
  const body = table.tBodies[0], rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = cellKey(a.cells[i]), y = cellKey(b.cells[i]);
    return dir * (x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
  });
  rows.forEach(r => body.appendChild(r));
}
document.querySelectorAll("th").forEach(th => th.addEventListener("click", () => sortBy(th)));
const tip = document.getElementById("tip");
document.querySelectorAll("[data-tip]").forEach(el => {
  el.addEventListener("mouseenter", () => { tip.textContent = el.dataset.tip; tip.style.display = "block"; });
  el.addEventListener("mousemove", e => {
    tip.style.left = (e.clientX + 14) + "px"; tip.style.top = (e.clientY + 14) + "px";
  });
  el.addEventListener("mouseleave", () => { tip.style.display = "none"; });
});
"""


def html_table(sheet: Sheet) -> str:
    """A sheet as an HTML table (cells as the terminal shows them, sortable by any column)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in sheet.columns) if sheet.show_header else ""
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell_text(v))}</td>" for v in row) + "</tr>" for row in sheet.rows
    )
    title = f"<h3>{html.escape(sheet.title)}</h3>" if sheet.title else ""
    cap = f"<caption>{html.escape(sheet.caption)}</caption>" if sheet.caption else ""
    return f"{title}<div class='scroll'><table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def html_image(path: Path, alt: str) -> str:
    """A PNG embedded in the page, with a transparent layer of its hover points over it."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    img = f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'
    marks = read_hover(path)
    if not marks or not marks["points"]:
        return f'<figure><div class="plot">{img}</div></figure>'
    circles = "".join(
        f'<circle cx="{x}" cy="{y}" r="7" data-tip="{html.escape(text)}"><title>{html.escape(text)}</title></circle>'
        for x, y, text in marks["points"]
    )
    svg = f'<svg viewBox="0 0 {marks["width"]} {marks["height"]}" preserveAspectRatio="none">{circles}</svg>'
    return f'<figure><div class="plot">{img}{svg}</div></figure>'


def _comparison_section(folder: Path, level: float) -> str:
    runs = load_comparison(folder)
    figures = comparison_figures(runs, folder, level)
    sheets = [comparison_sheet(runs, level), *difference_sheets(runs, level)]
    return (
        f"<h2>Comparison: {html.escape(folder.name)}</h2>"
        + "".join(html_table(s) for s in sheets)
        + "".join(html_image(f, f.stem) for f in figures)
    )


def _sweep_section(folder: Path, level: float) -> str:
    axes, points = load_sweep(folder)
    summary = summarize(axes, points, level)
    figures = save_sweep_summary(folder, summary)
    title = html.escape(folder.parent.name)
    return (
        f"<h2>Sweep: {title}</h2><p>{len(points)} finished runs over {html.escape(', '.join(axes))}</p>"
        + html_table(sweep_sheet(summary))
        + "".join(html_image(f, f.stem) for f in figures)
    )


def _run_section(path: Path, level: float) -> str:
    result = RunResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    parts = [
        f"<h2>Run: {html.escape(result.scenario)} ({html.escape(path.parent.name)})</h2>",
        f"<p>workload {html.escape(result.workload)}, seed {result.seed}, topology "
        f"{html.escape(result.topology)}, {result.simulated_time_s:g} s simulated</p>",
    ]
    parts += [f"<p><strong>warning:</strong> {html.escape(w)}</p>" for w in result.warnings]
    parts += [html_table(s) for s in result_sheets(result)]
    figure = RESULT_FIGURES.get(result.workload)
    if figure is not None:
        parts.append(html_image(figure(result, path.parent / f"{result.workload}.png"), result.workload))
    return "".join(parts)


def _section_or_note(build: Callable[[Path, float], str], path: Path, level: float) -> str:
    """A section, or a visible note naming a record that cannot be read (older format, damaged file)."""
    try:
        return build(path, level)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"<h2>Skipped: {html.escape(str(path))}</h2><p>cannot read this record: {html.escape(repr(exc))}</p>"


def build_report(folder: Path | str, level: float = DEFAULT_LEVEL) -> Path:
    """Rebuild tables and figures of every comparison, sweep and run under ``folder``; write report.html.

    Nothing is re-run: everything comes from the stored JSON records. Means over seeds carry their ``level``
    confidence interval.
    """
    folder = Path(folder)
    found: list[tuple[Callable[[Path, float], str], Path]] = [
        (_comparison_section, p.parent) for p in sorted(folder.rglob("compare.json"))
    ]
    found += [(_sweep_section, p.parent) for p in sorted(folder.rglob("sweep.json"))]
    found += [(_run_section, p) for p in sorted(folder.rglob("result.json"))]
    sections = [_section_or_note(build, path, level) for build, path in found]
    if not sections:
        raise FileNotFoundError(f"{folder}: no compare.json, sweep.json or result.json below it")
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>qnet-dqnn report: "
        f"{html.escape(folder.name)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>qnet-dqnn report: {html.escape(str(folder))}</h1>{''.join(sections)}"
        f"<div id='tip'></div><script>{_SCRIPT}</script></body></html>\n"
    )
    target = folder / "report.html"
    write_atomically(target, page)
    return target
