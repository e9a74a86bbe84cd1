"""``qnet-dqnn qunetsim run SCRIPT.py``: a QuNetSim program, as written, on the timed, noisy network.

A face like ``cli.py`` (which registers it): it checks the inputs, runs the script (its own output appears
as it runs), then prints how the run ended, the simulated time and the ledger, and writes ``result.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from qnet_dqnn.errors import QnetError, TopologyError
from qnet_dqnn.interop.qunetsim.runtime import DEFAULT_STOP_TIME_S, ScriptRun, run_script
from qnet_dqnn.report import Sheet, print_sheets, summary_sheet
from qnet_dqnn.report.save import new_run_dir
from qnet_dqnn.scenario import write_atomically
from qnet_dqnn.topology import TopologySpec, load_topology

qunetsim_app = typer.Typer(no_args_is_help=True, help="Run QuNetSim programs on the timed, noisy network.")

errors = Console(stderr=True, soft_wrap=True)


def parse_map(entries: list[str], topology: TopologySpec | None) -> dict[str, str]:
    """``["Alice=q1", "Bob=q2,Eve=q3"]`` -> ``{"Alice": "q1", ...}``, checked against ``topology``'s nodes.

    Examples:
        >>> parse_map(["Alice=a", "Bob=b,Eve=e"], None)
        {'Alice': 'a', 'Bob': 'b', 'Eve': 'e'}
    """
    mapping: dict[str, str] = {}
    problems = []
    for entry in (part.strip() for item in entries for part in item.split(",")):
        host, sep, node = entry.partition("=")
        if not sep or not host.strip() or not node.strip():
            problems.append(f"--map {entry!r}: expected HOST=NODE")
            continue
        if host.strip() in mapping:
            problems.append(f"--map {entry!r}: host {host.strip()!r} is mapped twice")
        mapping[host.strip()] = node.strip()
    if topology is not None:
        names = {n.name for n in topology.nodes}
        problems += [
            f"--map {h}={n}: no node {n!r} in topology {topology.name!r} (nodes: {', '.join(sorted(names))})"
            for h, n in mapping.items()
            if n not in names
        ]
    if problems:
        raise QnetError("\n".join(problems))
    return mapping


def waits_sheet(run: ScriptRun) -> Sheet:
    """Who still waited on what when the run ended."""
    title = f"{run.name}: {run.outcome} (exit {run.exit_code}, seed {run.seed})"
    if run.outcome == "finished":
        title += "; protocol threads still waiting when the script returned (stopped, like QuNetSim's daemon threads)"
    elif run.outcome in ("deadlock", "stop_time"):
        title += "; who waited on what"
    sheet = Sheet(title, ["thread", "host", "waiting on", "since (s)"])
    sheet.rows = [[w.thread, w.host or "(script)", w.what, w.since_s] for w in run.waits]
    return sheet


@qunetsim_app.command("run")
def run_command(
    script: Annotated[Path, typer.Argument(help="a QuNetSim program (.py), run as written")],
    topology: Annotated[
        Path | None, typer.Option(help="topology YAML (default: links from the script's connections)")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="HOST=NODE (repeat, or comma-separate) for hosts not named as nodes"),
    ] = None,
    seed: Annotated[int, typer.Option(help="seed of every random stream, the script's random module included")] = 0,
    stop_time_s: Annotated[float, typer.Option(help="end the run at this simulated time (in s)")] = DEFAULT_STOP_TIME_S,
    out: Annotated[Path, typer.Option(help="folder for results/qunetsim-<script>/<timestamp>/")] = Path("results"),
) -> None:
    """Run a QuNetSim script on qnet-dqnn's network; print its output, the simulated time and the ledger."""
    try:
        if not script.is_file():
            raise QnetError(f"{script}: no such script")
        if not stop_time_s > 0:
            raise QnetError(f"--stop-time-s must be > 0 (got {stop_time_s})")
        spec = load_topology(topology) if topology is not None else None
        if map_ and spec is None:
            raise QnetError("--map needs --topology (without one, hosts are the nodes)")
        host_map = parse_map(list(map_ or []), spec)
    except (QnetError, TopologyError) as exc:
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
        raise typer.Exit(code=2) from None
    folder = new_run_dir(out, f"qunetsim-{script.stem}")
    try:
        run = run_script(
            script, seed=seed, topology=spec, host_map=host_map, stop_time_s=stop_time_s, figures_dir=folder
        )
    except QnetError as exc:
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
        raise typer.Exit(code=2) from None
    result = run.to_result()
    out = Console(soft_wrap=True, highlight=False)
    width = out.width if out.is_terminal else None  # a pipe or a file: tables at their natural width
    if not run.waits:
        out.print(f"{run.name}: {run.outcome} (exit {run.exit_code}, seed {run.seed})")
    print_sheets(out, [waits_sheet(run)] if run.waits else [], "table", width)
    for note in run.notes:
        out.print(f"note: {note}")
    print_sheets(out, [summary_sheet(result)], "table", width)
    write_atomically(folder / "result.json", result.to_json())
    out.print(f"results written to {folder}")
    raise typer.Exit(code=run.exit_code)
