"""The ``qnet-dqnn`` command line: a thin face over the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from qnet_dqnn.errors import QnetError
from qnet_dqnn.report import draw_topology, result_tables, save_result, topology_tables
from qnet_dqnn.report.html import build_report
from qnet_dqnn.report.study import (
    comparison_rows,
    comparison_table,
    save_comparison,
    save_sweep_summary,
    sweep_table,
)
from qnet_dqnn.scenario import load_scenario, run
from qnet_dqnn.scenario.compare import run_comparison
from qnet_dqnn.scenario.sweep import load_sweep, run_sweep, summarize
from qnet_dqnn.topology import GENERATORS, dump_topology, load_topology, topology_from_data
from qnet_dqnn.topology.sequence_import import import_sequence_topology, sequence_import_header

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
topology_app = typer.Typer(no_args_is_help=True, help="Validate, show and generate topologies.")
app.add_typer(topology_app, name="topology")

console = Console(width=None if Console().is_terminal else 140)
errors = Console(stderr=True)

#: The scenario ``make demo`` runs.
DEFAULT_SCENARIO = Path("scenarios/characterize_metro.yaml")


def _fail(exc: QnetError) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=2)


@app.command("run")
def run_command(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")] = DEFAULT_SCENARIO,
    seed: Annotated[int | None, typer.Option(help="override the scenario's seed")] = None,
    out: Annotated[Path, typer.Option(help="folder for results/<scenario>/<timestamp>/")] = Path("results"),
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler for a federated run's local training, e.g. tcp://host:8786")
    ] = None,
) -> None:
    """Run a scenario: print its tables, write result.json, CSV tables and a figure."""
    try:
        loaded = load_scenario(scenario)
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            disable=not progress,
            transient=True,
        ) as bar:
            task = bar.add_task(f"{loaded.name} ({loaded.workload_type})", total=1.0)
            result = run(
                loaded, seed=seed, progress=lambda done: bar.update(task, completed=done), scheduler=scheduler
            )
    except QnetError as exc:
        raise _fail(exc) from None
    for table in result_tables(result):
        console.print(table)
    folder = save_result(result, out)
    console.print(f"results written to [bold]{folder}[/]")


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@app.command("compare")
def compare_command(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario YAML files to compare")],
    seeds: Annotated[int, typer.Option(help="seeds per scenario (the scenario's seed and the next ones)")] = 1,
    out: Annotated[Path, typer.Option(help="folder for results/compare/<timestamp>/")] = Path("results"),
) -> None:
    """Run scenarios on the same footing and compare their overheads: table, CSV, JSON and figures."""
    if seeds < 1:
        errors.print("error: --seeds must be at least 1")
        raise typer.Exit(code=2)
    try:
        with _progress_bar() as bar:
            task = bar.add_task("comparing", total=len(scenarios) * seeds)
            runs = run_comparison(
                list(scenarios),
                seeds,
                lambda done, total, label: bar.update(
                    task, completed=done, description=f"comparing: {label}" if label else "comparing"
                ),
            )
    except QnetError as exc:
        raise _fail(exc) from None
    console.print(comparison_table(comparison_rows(runs)))
    folder, figures = save_comparison(runs, out)
    console.print(f"results written to [bold]{folder}[/]")
    for figure in figures:
        console.print(f"figure: {figure}")


@app.command("sweep")
def sweep_command(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file with a sweep: block")],
    out: Annotated[Path, typer.Option(help="results root; the sweep lives in <out>/<scenario>/sweep/")] = Path(
        "results"
    ),
    workers: Annotated[int | None, typer.Option(help="local processes (default: one per CPU)")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786")] = None,
) -> None:
    """Run a scenario's sweep grid (resuming: finished points are skipped); print and plot a summary."""
    try:
        with _progress_bar() as bar:
            task = bar.add_task(f"sweep {scenario.name}", total=None)
            outcome = run_sweep(
                scenario,
                out,
                workers=workers,
                scheduler=scheduler,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except QnetError as exc:
        raise _fail(exc) from None
    axes, points = load_sweep(outcome.folder)
    rows = summarize(axes, points)
    console.print(sweep_table(axes, rows))
    figures = save_sweep_summary(outcome.folder, axes, rows)
    console.print(
        f"{outcome.total} points: {outcome.ran} run now, {outcome.skipped} already done; "
        f"results in [bold]{outcome.folder}[/]"
    )
    for figure in figures:
        console.print(f"figure: {figure}")


@app.command("report")
def report_command(folder: Annotated[Path, typer.Argument(help="a results folder")]) -> None:
    """Rebuild tables and figures from stored results (no re-run) into one static HTML page."""
    try:
        page = build_report(folder)
    except FileNotFoundError as exc:
        errors.print(f"error: {exc}")
        raise typer.Exit(code=2) from None
    console.print(f"report written to [bold]{page}[/]")


@topology_app.command("validate")
def validate_command(files: Annotated[list[Path], typer.Argument(help="topology YAML files")]) -> None:
    """Check topology files; print every problem and exit non-zero if any file is invalid."""
    bad = 0
    for path in files:
        try:
            topology = load_topology(path)
        except QnetError as exc:
            bad += 1
            errors.print(str(exc), highlight=False, markup=False, soft_wrap=True)
            continue
        console.print(
            f"[green]ok[/] {path}: {len(topology.nodes)} nodes, {len(topology.links)} links "
            f"({len(topology.quantum_links)} quantum)"
        )
    if bad:
        raise typer.Exit(code=1)


@topology_app.command("show")
def show_command(
    file: Annotated[Path, typer.Argument(help="topology YAML file")],
    png: Annotated[Path | None, typer.Option(help="where to draw it (default results/topology/<name>.png)")] = None,
) -> None:
    """Print a topology's nodes and links with derived link physics, and draw it as a PNG."""
    try:
        topology = load_topology(file)
    except QnetError as exc:
        raise _fail(exc) from None
    for table in topology_tables(topology):
        console.print(table)
    target = draw_topology(topology, png or Path("results") / "topology" / f"{topology.name}.png")
    console.print(f"drawing written to [bold]{target}[/]")


@topology_app.command("new")
def new_command(
    kind: Annotated[str, typer.Argument(help=f"one of: {', '.join(GENERATORS)}")],
    output: Annotated[Path, typer.Option("-o", "--output", help="YAML file to write")],
    nodes: Annotated[int | None, typer.Option(help="number of nodes (star: leaves; chain: including ends)")] = None,
    length_km: Annotated[float | None, typer.Option(help="link length (in km)")] = None,
    rows: Annotated[int, typer.Option(help="grid rows")] = 2,
    cols: Annotated[int, typer.Option(help="grid columns")] = 3,
    area_km: Annotated[float, typer.Option(help="random: side of the square (in km)")] = 50.0,
    radius_km: Annotated[float, typer.Option(help="random: link nodes closer than this (in km)")] = 20.0,
    seed: Annotated[int, typer.Option(help="random: placement seed")] = 0,
    qubits: Annotated[int, typer.Option(help="qubits per QPU")] = 8,
    networks: Annotated[int, typer.Option(help="access_star: access networks")] = 4,
    clients: Annotated[int, typer.Option(help="access_star: client QPUs on each access network")] = 4,
    qubit_choices: Annotated[str | None, typer.Option(help="access_star: client sizes drawn from e.g. 4,8,16")] = None,
    speed_spread: Annotated[float, typer.Option(help="access_star: clients up to this many times slower")] = 1.0,
) -> None:
    """Generate a topology (star, ring, chain, grid, mesh, random, access_star) and write it as YAML."""
    if kind not in GENERATORS:
        errors.print(f"error: unknown topology kind {kind!r} (known: {', '.join(GENERATORS)})")
        raise typer.Exit(code=2)
    options: dict[str, object] = {"qubits": qubits}
    if kind == "grid":
        options.update(rows=rows, cols=cols)
    elif kind == "random":
        options.update(area_km=area_km, radius_km=radius_km, seed=seed)
    elif kind == "access_star":
        options.update(networks=networks, clients=clients, speed_spread=speed_spread, seed=seed)
        if qubit_choices is not None:
            options["qubits"] = [int(q) for q in qubit_choices.split(",")]
    if nodes is not None and kind not in ("grid", "access_star"):
        options["nodes"] = nodes
    if length_km is not None and kind not in ("random", "access_star"):
        options["length_km"] = length_km
    try:
        data = GENERATORS[kind](**options)
        topology_from_data(data, str(output))
    except QnetError as exc:
        raise _fail(exc) from None
    flags = {"qubits": "qubit-choices"} if kind == "access_star" and qubit_choices is not None else {}
    args = " ".join(
        f"--{flags.get(k, k.replace('_', '-'))} {','.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in options.items()
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        dump_topology(data, f"{data['description']}\nGenerated with: qnet-dqnn topology new {kind} {args}"),
        encoding="utf-8",
    )
    console.print(f"[green]wrote[/] {output}")


@topology_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="a SeQUeNCe JSON topology (distances in m, delays in ps)")],
    output: Annotated[Path, typer.Option("-o", "--output", help="qnet-dqnn YAML file to write")],
) -> None:
    """Convert a SeQUeNCe topology to qnet-dqnn YAML; what cannot be mapped is listed as warnings."""
    try:
        data, warnings = import_sequence_topology(file)
    except QnetError as exc:
        raise _fail(exc) from None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(dump_topology(data, sequence_import_header(file, warnings)), encoding="utf-8")
    for warning in warnings:
        errors.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    console.print(
        f"[green]wrote[/] {output} ({len(data['nodes'])} nodes, {len(data['links'])} links, {len(warnings)} warnings)"
    )


if __name__ == "__main__":
    app()
