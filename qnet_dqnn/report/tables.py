"""The sheets of a topology and of a run's result (printed by :func:`qnet_dqnn.report.sheet.print_sheets`)."""

from __future__ import annotations

import math
from typing import Any

from qnet_dqnn.net import expected_link, path_latency_s
from qnet_dqnn.net.analytic import memory_model
from qnet_dqnn.net.pairs import pair_path
from qnet_dqnn.report.sheet import Sheet, number_text
from qnet_dqnn.report.study import label_of
from qnet_dqnn.scenario import RunResult
from qnet_dqnn.topology import TopologySpec
from qnet_dqnn.units import to_seconds


def _fmt(value: Any, digits: int = 4) -> str:
    return number_text(value, digits) if isinstance(value, int | float) else str(value)


def si_seconds(seconds: float) -> str:
    """A duration with an SI prefix: ``0.0021`` -> ``2.1 ms``."""
    if math.isnan(seconds):
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if abs(seconds) >= scale:
            return f"{seconds / scale:.4g} {unit}"
    return "0 s"


def topology_sheets(topology: TopologySpec) -> list[Sheet]:
    """A nodes sheet and a links sheet with the derived link physics."""
    nodes = Sheet(
        f"{topology.name}: nodes", ["node", "kind", "qubits", "comm", "memory", "cutoff", "2q gate", "2q error"]
    )
    for n in topology.nodes:
        m = n.memory
        memory = (
            f"T1={m.t1_s:g}s T2={m.t2_s:g}s"
            if m.t1_s is not None
            else f"depol. {m.coherence_time_s:g}s"
            if m.coherence_time_s is not None
            else "ideal"
        )
        nodes.rows.append(
            [
                n.name,
                n.kind,
                n.qubits,
                n.memory_capacity,
                memory,
                si_seconds(m.cutoff_s) if m.cutoff_s else "-",
                si_seconds(n.gates.two_qubit_time_s),
                n.gates.two_qubit_error,
            ]
        )
    links = Sheet(
        f"{topology.name}: links",
        ["link", "km", "classical delay (1 kbit)", "quantum", "eta", "p/attempt", "period", "pair rate", "F delivered"],
    )
    for link in topology.links:
        delay = si_seconds(path_latency_s(topology, list(link.between), 1024))
        if link.quantum is None:
            links.rows.append([link.name, link.length_km, delay, "no", None, None, None, None, None])
            continue
        e = expected_link(topology, link)
        links.rows.append(
            [
                link.name,
                link.length_km,
                delay,
                link.quantum.heralding,
                _fmt(e.transmissivity, 3),
                _fmt(e.success_probability, 3),
                si_seconds(e.attempt_period_s),
                f"{e.pair_rate_hz:.4g} Hz",
                _fmt(e.delivered_fidelity, 5),
            ]
        )
    return [nodes, links, *hardware_sheets(topology)]


def hardware_sheets(topology: TopologySpec) -> list[Sheet]:
    """Which values came from a ``hardware`` preset (the others the file gave), and the pair path."""
    path, reason = pair_path([memory_model(n) for n in topology.nodes])
    sheet = Sheet(
        f"{topology.name}: hardware presets",
        ["element", "preset", "from the preset"],
        caption=f"pairs: {path} path ({reason})",
    )
    for entry in [*topology.nodes, *topology.links]:
        if entry.hardware is not None:
            sheet.rows.append([entry.name, entry.hardware, ", ".join(entry.preset_fields) or "- (all overridden)"])
    if not sheet.rows:
        sheet.rows.append(["-", "-", "no element names a preset"])
    return [sheet]


def characterize_sheets(result: RunResult) -> list[Sheet]:
    """Measured vs analytic per quantum link, and latency per node pair."""
    stored_label = f"F after {si_seconds(result.metrics['storage_time_s'])}"
    links = Sheet(
        f"{result.scenario}: quantum links over {result.metrics['duration_s']:g} s (seed {result.seed}); "
        "measured (analytic)",
        ["link", "pairs", "rate Hz", "z", "F delivered", stored_label, "mem. wait"],
    )
    for r in result.tables["links"]:
        links.rows.append(
            [
                r["link"],
                r["pairs_delivered"],
                f"{r['active_rate_hz']:.4g} ({r['analytic_rate_hz']:.4g})",
                f"{r['rate_z']:+.2f}",
                f"{_fmt(r['fidelity_delivered'])} ({_fmt(r['analytic_fidelity_delivered'])})",
                f"{_fmt(r['fidelity_stored'])} ({_fmt(r['analytic_fidelity_stored'])})",
                si_seconds(r["memory_wait_s"]),
            ]
        )
    latency = Sheet(
        "classical one-way latency (lowest-latency path)",
        ["from", "to", "path", "hops", "measured", "analytic"],
        keys=2,
    )
    for r in result.tables["latency"]:
        latency.rows.append(
            [r["src"], r["dst"], r["path"], r["hops"], si_seconds(r["latency_s"]), si_seconds(r["analytic_latency_s"])]
        )
    return [links, latency]


def training_sheet(result: RunResult, max_rows: int = 12) -> Sheet:
    """Loss and validation accuracy against simulated time (evenly thinned to ``max_rows``), then the outcome."""
    m = result.metrics
    reached = "not reached" if math.isnan(m.get("time_to_target_s", math.nan)) else si_seconds(m["time_to_target_s"])
    cone = ""
    if "remote_ops_in_cone" in m:  # a split strategy: its remote operations that the readout sees
        links = ", ".join(f"{k[19:-1]}: {v:g}" for k, v in m.items() if k.startswith("remote_ops_in_cone["))
        cone = f"; remote ops in the readout's light cone: {m['remote_ops_in_cone']:g} ({links or 'per link: -'})"
    sheet = Sheet(
        f"{result.scenario}: training (seed {result.seed})",
        ["update", "simulated time (s)", "loss", "val. accuracy"],
        caption=f"{_fmt(m.get('updates', 0))} updates; final accuracy {_fmt(m.get('final_accuracy', math.nan), 3)}; "
        f"target reached: {reached}{cone}",
    )
    rows = result.tables.get("training", [])
    step = max(1, -(-len(rows) // max_rows))
    shown = rows[::step] + ([rows[-1]] if rows and (len(rows) - 1) % step else [])
    sheet.rows = [[r["update"], r["t_s"], r["loss"], r["accuracy"]] for r in shown]
    return sheet


def metrics_sheet(result: RunResult) -> Sheet:
    """Every numeric metric the run reports (output and pair fidelity of a split, cut overhead, ...)."""
    sheet = Sheet(f"{result.scenario}: metrics", ["metric", "value"], show_header=False)
    sheet.rows = [
        [label_of(k), v] for k, v in result.metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return sheet


def summary_sheet(result: RunResult) -> Sheet:
    """Headline metrics, ledger totals and wall-clock figures of any run."""
    sheet = Sheet(f"{result.scenario}: summary", ["what", "value"], show_header=False)
    sheet.rows.append(["simulated time", si_seconds(result.simulated_time_s)])
    for key, value in result.ledger.get("totals", {}).items():
        if value and key.endswith("_ticks"):
            sheet.rows.append([key.removesuffix("_ticks").replace("_", " "), si_seconds(to_seconds(value))])
        elif value:
            sheet.rows.append([key.replace("_", " "), value])
    sheet.rows.append(["events processed", result.events_processed])
    sheet.rows.append(["wall time", si_seconds(result.wall.get("wall_time_s", math.nan))])
    return sheet


def distribute_sheets(result: RunResult) -> list[Sheet]:
    """Per node pair: status, pairs, rate, latency and fidelity (with the ideal-swap closed form)."""
    sheet = Sheet(
        f"{result.scenario}: end-to-end pairs (seed {result.seed})",
        ["a", "b", "path", "status", "pairs", "rate Hz", "latency mean/p95", "F mean (min)", "F ideal"],
        keys=2,
    )
    for r in result.tables["requests"]:
        sheet.rows.append(
            [
                r["a"],
                r["b"],
                r["path"],
                r["status"] if r["status"] == "done" else f"{r['status']}: {r['reason']}",
                r["delivered"],
                r["rate_hz"],
                f"{si_seconds(r['latency_mean_s'])} / {si_seconds(r['latency_p95_s'])}" if r["delivered"] else "-",
                f"{_fmt(r['fidelity_mean'])} ({_fmt(r['fidelity_min'])})",
                r["ideal_fidelity"],
            ]
        )
    cost = Sheet("resources per delivered pair", ["what", "value"], show_header=False)
    for key in ("attempts_per_pair", "link_pairs_per_pair", "bits_per_pair"):
        cost.rows.append([key.removesuffix("_per_pair").replace("_", " "), result.metrics[key]])
    return [sheet, cost]


#: Sheets per workload type; a workload without an entry gets only the summary.
RESULT_SHEETS = {
    "characterize": characterize_sheets,
    "distribute": distribute_sheets,
    "train": lambda result: [training_sheet(result), metrics_sheet(result)],
}


def result_sheets(result: RunResult) -> list[Sheet]:
    """The workload's own sheets followed by the summary."""
    own = RESULT_SHEETS.get(result.workload)
    return ([*own(result)] if own else []) + [summary_sheet(result)]
