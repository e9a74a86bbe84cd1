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


def training_table(result: RunResult, max_rows: int = 12) -> Table:
    """Loss and validation accuracy against simulated time (evenly thinned to ``max_rows``), then the outcome."""
    m = result.metrics
    reached = "not reached" if math.isnan(m["time_to_target_s"]) else _si_seconds(m["time_to_target_s"])
    cone = ""
    if "remote_ops_in_cone" in m:  # a split strategy: its remote operations that the readout sees
        links = ", ".join(f"{k[19:-1]}: {v:g}" for k, v in m.items() if k.startswith("remote_ops_in_cone["))
        cone = f"; remote ops in the readout's light cone: {m['remote_ops_in_cone']:g} ({links or 'per link: -'})"
    table = Table(
        title=f"{result.scenario}: training (seed {result.seed})",
        title_justify="left",
        caption=f"final accuracy {_fmt(m['final_accuracy'], 3)}; target reached: {reached}{cone}",
        caption_justify="left",
    )
    for column in ("update", "simulated time", "loss", "val. accuracy"):
        table.add_column(column, justify="right")
    rows = result.tables.get("training", [])
    step = max(1, -(-len(rows) // max_rows))
    shown = rows[::step] + ([rows[-1]] if rows and (len(rows) - 1) % step else [])
    for r in shown:
        table.add_row(str(r["update"]), _si_seconds(r["t_s"]), _fmt(r["loss"], 4), _fmt(r["accuracy"], 3))
    return table


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


def distribute_tables(result: RunResult) -> list[Table]:
    """Per node pair: status, pairs, rate, latency and fidelity (with the ideal-swap closed form)."""
    table = Table(title=f"{result.scenario}: end-to-end pairs (seed {result.seed})", title_justify="left")
    for column in ("a", "b", "path", "status", "pairs", "rate Hz", "latency mean/p95", "F mean (min)", "F ideal"):
        table.add_column(column, justify="left" if column in ("a", "b", "path", "status") else "right")
    for r in result.tables["requests"]:
        table.add_row(
            r["a"],
            r["b"],
            r["path"],
            r["status"] if r["status"] == "done" else f"{r['status']}: {r['reason']}",
            str(r["delivered"]),
            _fmt(r["rate_hz"]),
            f"{_si_seconds(r['latency_mean_s'])} / {_si_seconds(r['latency_p95_s'])}" if r["delivered"] else "-",
            f"{_fmt(r['fidelity_mean'])} ({_fmt(r['fidelity_min'])})",
            _fmt(r["ideal_fidelity"]),
        )
    cost = Table(title="resources per delivered pair", title_justify="left", show_header=False)
    cost.add_column("what")
    cost.add_column("value", justify="right")
    for key in ("attempts_per_pair", "link_pairs_per_pair", "bits_per_pair"):
        cost.add_row(key.removesuffix("_per_pair").replace("_", " "), _fmt(result.metrics[key]))
    return [table, cost]


#: Tables per workload type; a workload without an entry gets only the summary.
RESULT_TABLES = {
    "characterize": characterize_tables,
    "distribute": distribute_tables,
    "train": lambda result: [training_table(result)],
}


def result_tables(result: RunResult) -> list[Table]:
    """The workload's own tables followed by the summary."""
    own = RESULT_TABLES.get(result.workload)
    return ([*own(result)] if own else []) + [summary_table(result)]
