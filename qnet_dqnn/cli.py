"""The ``qnet-dqnn`` command line: a thin face over the library."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from qnet_dqnn.errors import QnetError
from qnet_dqnn.interop.sequence import import_sequence_topology, sequence_import_header
from qnet_dqnn.qunetsim_cli import qunetsim_app
from qnet_dqnn.report import FORMATS, Sheet, draw_topology, print_sheets, result_sheets, save_result, topology_sheets
from qnet_dqnn.report.html import build_report
from qnet_dqnn.report.study import (
    comparison_sheet,
    difference_sheets,
    save_comparison,
    save_sweep_summary,
    summarize,
    sweep_sheet,
)
from qnet_dqnn.scenario import RunResult, load_scenario, run
from qnet_dqnn.scenario.compare import run_comparison
from qnet_dqnn.scenario.sweep import SweepOutcome, expand_sweep, load_sweep, run_sweep
from qnet_dqnn.stats import DEFAULT_LEVEL, check_level
from qnet_dqnn.topology import GENERATORS, dump_topology, load_topology, topology_from_data

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
topology_app = typer.Typer(no_args_is_help=True, help="Validate, show and generate topologies.")
app.add_typer(topology_app, name="topology")
app.add_typer(qunetsim_app, name="qunetsim")

errors = Console(stderr=True, soft_wrap=True)

#: The scenario ``make demo`` runs.
DEFAULT_SCENARIO = Path("scenarios/characterize_metro.yaml")

FormatOption = Annotated[
    str, typer.Option("--format", help=f"how tables are printed: {' | '.join(FORMATS)} (csv/json/markdown to pipe)")
]
ConfidenceOption = Annotated[
    float, typer.Option("--confidence", help="confidence level of the intervals over seeds, in (0, 1)")
]


def _console() -> Console:
    """Standard output, made per command (so the terminal width and ``COLUMNS`` are read when it runs)."""
    return Console(soft_wrap=True, highlight=False)


def table_width(console: Console) -> int | None:
    """Columns a table may use: ``COLUMNS`` if set, the terminal's width, or None (a pipe or file: tables at
    their natural width, never cut)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return console.width if console.is_terminal else None


def _fail(exc: QnetError | str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
    return typer.Exit(code=2)


def _checked(fmt: str, confidence: float = DEFAULT_LEVEL) -> float:
    """Refuse an unknown ``--format`` or a ``--confidence`` outside (0, 1) before anything runs."""
    if fmt not in FORMATS:
        raise _fail(f"--format: unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    try:
        return check_level(confidence, "--confidence")
    except ValueError as exc:
        raise _fail(str(exc)) from None


def _show(sheets: list[Sheet], fmt: str) -> Console:
    """Print sheets on standard output; return where status lines go (stderr unless the format is a table)."""
    out = _console()
    print_sheets(out, sheets, fmt, table_width(out))
    return out if fmt == "table" else errors


def _warn(results: list[RunResult]) -> None:
    for result in results:
        for warning in result.warnings:
            errors.print(
                f"[yellow]warning:[/] {escape(result.scenario)} (seed {result.seed}): {escape(warning)}",
                highlight=False,
            )


@app.command("run")
def run_command(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")] = DEFAULT_SCENARIO,
    seed: Annotated[int | None, typer.Option(help="override the scenario's seed")] = None,
    out: Annotated[Path, typer.Option(help="folder for results/<scenario>/<timestamp>/")] = Path("results"),
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler for a federated run's local training, e.g. tcp://host:8786")
    ] = None,
    fmt: FormatOption = "table",
) -> None:
    """Run a scenario: print its tables, write result.json, CSV tables and a figure.

    Exits with 1 when a training run made no update (a warning says why), 2 on bad input.
    """
    _checked(fmt)
    try:
        loaded = load_scenario(scenario)
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=errors,
            disable=not progress,
            transient=True,
        ) as bar:
            task = bar.add_task(f"{loaded.name} ({loaded.workload_type})", total=1.0)
            result = run(loaded, seed=seed, progress=lambda done: bar.update(task, completed=done), scheduler=scheduler)
    except QnetError as exc:
        raise _fail(exc) from None
    status = _show(result_sheets(result), fmt)
    folder = save_result(result, out)
    status.print(f"results written to [bold]{escape(str(folder))}[/]")
    _warn([result])
    if result.workload == "train" and not result.metrics.get("updates"):
        raise typer.Exit(code=1)


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    )


@app.command("compare")
def compare_command(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario YAML files to compare")],
    seeds: Annotated[int, typer.Option(help="seeds per scenario (the scenario's seed and the next ones)")] = 1,
    out: Annotated[Path, typer.Option(help="folder for results/compare/<timestamp>/")] = Path("results"),
    confidence: ConfidenceOption = DEFAULT_LEVEL,
    fmt: FormatOption = "table",
) -> None:
    """Run scenarios on the same footing and compare them: every quantity as a mean over seeds with its
    confidence interval, differences against the first scenario, CSV, JSON and figures."""
    level = _checked(fmt, confidence)
    if seeds < 1:
        raise _fail("--seeds must be at least 1")
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
    status = _show([comparison_sheet(runs, level), *difference_sheets(runs, level)], fmt)
    folder, figures = save_comparison(runs, out, level)
    status.print(f"results written to [bold]{escape(str(folder))}[/]")
    for figure in figures:
        status.print(f"figure: {escape(str(figure))}")
    _warn([r for results in runs.values() for r in results])


@app.command("sweep")
def sweep_command(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario YAML file(s) with a sweep: block")],
    out: Annotated[Path, typer.Option(help="results root; each sweep lives in <out>/<scenario>/sweep/")] = Path(
        "results"
    ),
    workers: Annotated[int | None, typer.Option(help="local processes (default: one per CPU)")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786")] = None,
    seeds: Annotated[
        int | None, typer.Option(help="run every point over this many seeds (the scenario's seed and the next)")
    ] = None,
    confidence: ConfidenceOption = DEFAULT_LEVEL,
    fmt: FormatOption = "table",
) -> None:
    """Run scenarios' sweep grids (resuming: finished points are skipped); print and plot every quantity
    against the swept values, as means over seeds with their confidence intervals. With several files (a
    study: ``scenarios/study_*.yaml``) every point of every file is checked before the first one runs."""
    level = _checked(fmt, confidence)
    try:
        for scenario in scenarios:
            expand_sweep(scenario, seeds)
    except QnetError as exc:
        raise _fail(exc) from None
    sheets: list[Sheet] = []
    done: list[tuple[SweepOutcome, list[Path]]] = []
    results: list[RunResult] = []
    for scenario in scenarios:
        try:
            with _progress_bar() as bar:
                task = bar.add_task(f"sweep {scenario.name}", total=None)
                outcome = run_sweep(
                    scenario,
                    out,
                    workers=workers,
                    scheduler=scheduler,
                    progress=lambda done, total, task=task: bar.update(task, completed=done, total=total),
                    seeds=seeds,
                )
        except QnetError as exc:
            raise _fail(exc) from None
        axes, points = load_sweep(outcome.folder)
        summary = summarize(axes, points, level)
        sheets.append(sweep_sheet(summary))
        done.append((outcome, save_sweep_summary(outcome.folder, summary)))
        results += [result for _, result in points]
    status = _show(sheets, fmt)
    for outcome, figures in done:
        status.print(
            f"{outcome.total} points: {outcome.ran} run now, {outcome.skipped} already done; "
            f"results in [bold]{escape(str(outcome.folder))}[/]"
        )
        for figure in figures:
            status.print(f"figure: {escape(str(figure))}")
    _warn(results)


@app.command("report")
def report_command(
    folder: Annotated[Path, typer.Argument(help="a results folder")], confidence: ConfidenceOption = DEFAULT_LEVEL
) -> None:
    """Rebuild tables and figures from stored results (no re-run) into one static HTML page."""
    level = _checked("table", confidence)
    try:
        page = build_report(folder, level)
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from None
    _console().print(f"report written to [bold]{escape(str(page))}[/]")


def _topology_files(paths: list[Path]) -> list[Path]:
    """The files to validate: each file given, and the YAML files directly inside each folder given."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                raise _fail(f"{path}: no .yaml or .yml file in this folder")
            files += found
        else:
            files.append(path)
    return files


@topology_app.command("validate")
def validate_command(
    files: Annotated[list[Path], typer.Argument(help="topology YAML files, or folders of them")],
) -> None:
    """Check topology files; print every problem and exit non-zero if any file is invalid."""
    out = _console()
    bad = 0
    for path in _topology_files(files):
        try:
            topology = load_topology(path)
        except QnetError as exc:
            bad += 1
            errors.print(str(exc), highlight=False, markup=False)
            continue
        out.print(
            f"[green]ok[/] {escape(str(path))}: {len(topology.nodes)} nodes, {len(topology.links)} links "
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
    out = _console()
    print_sheets(out, topology_sheets(topology), "table", table_width(out))
    target = draw_topology(topology, png or Path("results") / "topology" / f"{topology.name}.png")
    out.print(f"drawing written to [bold]{escape(str(target))}[/]")


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
    hardware: Annotated[
        str | None, typer.Option(help="a hardware preset for every node (its gate errors, readout, memory)")
    ] = None,
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
        if hardware is not None:  # node fields the generator gives (e.g. gate times) win over the preset's
            data["defaults"]["node"]["hardware"] = hardware
        topology_from_data(data, str(output))
    except QnetError as exc:
        raise _fail(exc) from None
    flags = {"qubits": "qubit-choices"} if kind == "access_star" and qubit_choices is not None else {}
    args = " ".join(
        f"--{flags.get(k, k.replace('_', '-'))} {','.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in options.items()
    ) + (f" --hardware {hardware}" if hardware is not None else "")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        dump_topology(data, f"{data['description']}\nGenerated with: qnet-dqnn topology new {kind} {args}"),
        encoding="utf-8",
    )
    _console().print(f"[green]wrote[/] {escape(str(output))}")


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
    _console().print(
        f"[green]wrote[/] {escape(str(output))} ({len(data['nodes'])} nodes, {len(data['links'])} links, "
        f"{len(warnings)} warnings)"
    )


if __name__ == "__main__":
    app()
