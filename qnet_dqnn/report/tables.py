"""Rich tables for topologies and run results."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

from qnet_dqnn.net import expected_link, path_latency_s
from qnet_dqnn.scenario import RunResult
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds


def _fmt(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.{digits}g}"
    return str(value)


def _si_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return "0 s"


def topology_tables(topology: TopologySpec) -> list[Table]:
    """A nodes table and a links table with the derived link physics."""
    nodes = Table(title=f"{topology.name}: nodes", title_justify="left")
    for column in ("node", "kind", "qubits", "comm", "memory", "cutoff", "2q gate", "2q error"):
        nodes.add_column(column)
    for n in topology.nodes:
        m = n.memory
        memory = (
            f"T1={m.t1_s:g}s T2={m.t2_s:g}s"
            if m.t1_s is not None
            else f"depol. {m.coherence_time_s:g}s"
            if m.coherence_time_s is not None
            else "ideal"
        )
        nodes.add_row(
            n.name,
            n.kind,
            str(n.qubits),
            str(n.memory_capacity),
            memory,
            _si_seconds(m.cutoff_s) if m.cutoff_s else "-",
            _si_seconds(n.gates.two_qubit_time_s),
            _fmt(n.gates.two_qubit_error),
        )
    links = Table(title=f"{topology.name}: links", title_justify="left")
    for column in (
        "link",
        "km",
        "classical delay (1 kbit)",
        "quantum",
        "eta",
        "p/attempt",
        "period",
        "pair rate",
        "F delivered",
    ):
        links.add_column(column, justify="right" if column != "link" else "left")
    for link in topology.links:
        delay = path_latency_s(topology, list(link.between), 1024)
        if link.quantum is None:
            links.add_row(link.name, _fmt(link.length_km), _si_seconds(delay), "no", "-", "-", "-", "-", "-")
            continue
        e = expected_link(topology, link)
        links.add_row(
            link.name,
            _fmt(link.length_km),
            _si_seconds(delay),
            link.quantum.heralding,
            _fmt(e.transmissivity, 3),
            _fmt(e.success_probability, 3),
            _si_seconds(e.attempt_period_s),
            f"{e.pair_rate_hz:.4g} Hz",
            _fmt(e.delivered_fidelity, 5),
        )
    return [nodes, links]


def characterize_tables(result: RunResult) -> list[Table]:
    """Measured vs analytic per quantum link, and latency per node pair."""
    stored_label = f"F after {_si_seconds(result.metrics['storage_time_s'])}"
    links = Table(
        title=f"{result.scenario}: quantum links over {result.metrics['duration_s']:g} s "
        f"(seed {result.seed}); measured (analytic)",
        title_justify="left",
    )
    for column in ("link", "pairs", "rate Hz", "z", "F delivered", stored_label, "mem. wait"):
        links.add_column(column, justify="left" if column == "link" else "right")
    for r in result.tables["links"]:
        links.add_row(
            r["link"],
            str(r["pairs_delivered"]),
            f"{r['active_rate_hz']:.4g} ({r['analytic_rate_hz']:.4g})",
            f"{r['rate_z']:+.2f}",
            f"{_fmt(r['fidelity_delivered'], 4)} ({_fmt(r['analytic_fidelity_delivered'], 4)})",
            f"{_fmt(r['fidelity_stored'], 4)} ({_fmt(r['analytic_fidelity_stored'], 4)})",
            _si_seconds(r["memory_wait_s"]),
        )
    latency = Table(title="classical one-way latency (lowest-latency path)", title_justify="left")
    for column in ("from", "to", "path", "hops", "measured", "analytic"):
        latency.add_column(column, justify="right" if column in ("hops", "measured", "analytic") else "left")
    for r in result.tables["latency"]:
        latency.add_row(
            r["src"],
            r["dst"],
            r["path"],
            str(r["hops"]),
            _si_seconds(r["latency_s"]),
            _si_seconds(r["analytic_latency_s"]),
        )
    return [links, latency]


def summary_table(result: RunResult) -> Table:
    """Headline metrics, ledger totals and wall-clock figures of any run."""
    table = Table(title=f"{result.scenario}: summary", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("simulated time", _si_seconds(result.simulated_time_s))
    for key, value in result.ledger.get("totals", {}).items():
        if value and key.endswith("_ticks"):
            table.add_row(key.removesuffix("_ticks").replace("_", " "), _si_seconds(to_seconds(value)))
        elif value:
            table.add_row(key.replace("_", " "), _fmt(value))
    table.add_row("events processed", str(result.events_processed))
    table.add_row("wall time", _si_seconds(result.wall.get("wall_time_s", math.nan)))
    return table


#: Tables per workload type; a workload without an entry gets only the summary.
RESULT_TABLES = {"characterize": characterize_tables}


def result_tables(result: RunResult) -> list[Table]:
    """The workload's own tables followed by the summary."""
    own = RESULT_TABLES.get(result.workload)
    return ([*own(result)] if own else []) + [summary_table(result)]
