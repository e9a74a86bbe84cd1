"""Figures: topology drawings and per-workload result plots (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from qnet_dqnn.report.plotting import hover, plt, save_figure
from qnet_dqnn.report.study_figures import curves_figure
from qnet_dqnn.scenario import RunResult
from qnet_dqnn.topology import TopologySpec

_KIND_COLOURS = {"qpu": "#1f77b4", "repeater": "#ff7f0e", "controller": "#7f7f7f", "source": "#2ca02c"}


def draw_topology(topology: TopologySpec, path: Path) -> Path:
    """Draw the network: nodes coloured by kind, quantum links solid, classical-only links dashed."""
    graph = nx.Graph()
    graph.add_nodes_from(n.name for n in topology.nodes)
    for link in topology.links:
        graph.add_edge(*link.between, length=link.length_km, quantum=link.quantum is not None)
    if all(n.position_km is not None for n in topology.nodes):
        pos = {n.name: tuple(n.position_km) for n in topology.nodes}  # type: ignore[arg-type]
    else:
        pos = nx.kamada_kawai_layout(graph, weight="length")
    fig, ax = plt.subplots(figsize=(7, 5.5))
    quantum = [(a, b) for a, b, q in graph.edges(data="quantum") if q]
    classical = [(a, b) for a, b, q in graph.edges(data="quantum") if not q]
    nx.draw_networkx_edges(graph, pos, edgelist=quantum, ax=ax, width=2.5, edge_color="#6a3d9a")
    nx.draw_networkx_edges(graph, pos, edgelist=classical, ax=ax, width=1.5, style="dashed", edge_color="#999999")
    for kind, colour in _KIND_COLOURS.items():
        names = [n.name for n in topology.nodes if n.kind == kind]
        if names:
            nx.draw_networkx_nodes(graph, pos, nodelist=names, node_color=colour, node_size=220, ax=ax, label=kind)
    xs, ys = [x for x, _ in pos.values()], [y for _, y in pos.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0  # a square view: flat layouts stay drawable
    centre = ((max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2)
    ax.set_xlim(centre[0] - 0.65 * span, centre[0] + 0.65 * span)
    ax.set_ylim(centre[1] - 0.65 * span, centre[1] + 0.65 * span)
    label_pos = {name: (x, y - 0.06 * span) for name, (x, y) in pos.items()}
    nx.draw_networkx_labels(graph, label_pos, font_size=8, ax=ax)
    nx.draw_networkx_edge_labels(
        graph, pos, edge_labels={(a, b): f"{d:g} km" for a, b, d in graph.edges(data="length")}, font_size=7, ax=ax
    )
    ax.plot([], [], color="#6a3d9a", lw=2.5, label="quantum + classical link")
    ax.plot([], [], color="#999999", lw=1.5, ls="--", label="classical-only link")
    ax.legend(loc="best", fontsize=8, markerscale=0.5)
    ax.set_title(f"{topology.name}: {len(topology.nodes)} nodes, {len(topology.links)} links")
    ax.set_axis_off()
    return save_figure(fig, path)


def characterize_figure(result: RunResult, path: Path) -> Path:
    """Pair rate and fidelity per link (measured vs analytic) and latency per node pair."""
    rows = result.tables["links"]
    names = [r["link"] for r in rows]
    x = range(len(rows))
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    ax = axes[0]
    ax.bar(
        x,
        [r["active_rate_hz"] for r in rows],
        yerr=[2 * r["rate_standard_error_hz"] for r in rows],
        color="#9ecae1",
        capsize=4,
        label="measured (±2 s.e.)",
    )
    ax.scatter(x, [r["analytic_rate_hz"] for r in rows], color="k", marker="_", s=400, zorder=3, label="analytic")
    hover(
        ax,
        list(x),
        [r["active_rate_hz"] for r in rows],
        [f"{r['link']}: {r['active_rate_hz']:.4g} Hz measured, {r['analytic_rate_hz']:.4g} Hz analytic" for r in rows],
    )
    ax.set_ylabel("pair rate while generating (Hz)")
    ax.set_title("pair rate per link")
    ax = axes[1]
    width = 0.38
    ax.bar(
        [i - width / 2 for i in x],
        [r["fidelity_delivered"] for r in rows],
        width,
        color="#a1d99b",
        label="measured at delivery",
    )
    ax.bar(
        [i + width / 2 for i in x],
        [r["fidelity_stored"] for r in rows],
        width,
        color="#fdae6b",
        label=f"measured after {result.metrics['storage_time_s'] * 1e3:g} ms",
    )
    ax.scatter(
        [i - width / 2 for i in x],
        [r["analytic_fidelity_delivered"] for r in rows],
        color="k",
        marker="_",
        s=250,
        zorder=3,
        label="analytic",
    )
    ax.scatter(
        [i + width / 2 for i in x],
        [r["analytic_fidelity_stored"] for r in rows],
        color="k",
        marker="_",
        s=250,
        zorder=3,
    )
    for shift, key in ((-width / 2, "fidelity_delivered"), (width / 2, "fidelity_stored")):
        hover(
            ax,
            [i + shift for i in x],
            [r[key] for r in rows],
            [f"{r['link']}: {key.replace('_', ' ')} {r[key]:.5g} (analytic {r['analytic_' + key]:.5g})" for r in rows],
        )
    lows = [min(r["fidelity_stored"], r["fidelity_delivered"]) for r in rows]
    ax.set_ylim(max(0.25, min(lows, default=0.5) - 0.05), 1.0)
    ax.set_ylabel("Bell fidelity")
    ax.set_title("pair fidelity per link")
    for ax in axes[:2]:
        ax.set_xticks(list(x), names, rotation=30, ha="right", fontsize=8)
        ax.legend(fontsize=8)
    ax = axes[2]
    latency = result.tables["latency"]
    dots = ax.scatter(
        [r["analytic_latency_s"] * 1e3 for r in latency],
        [r["latency_s"] * 1e3 for r in latency],
        c=[r["hops"] for r in latency],
        cmap="viridis",
    )
    hover(
        ax,
        [r["analytic_latency_s"] * 1e3 for r in latency],
        [r["latency_s"] * 1e3 for r in latency],
        [f"{r['src']} -> {r['dst']} ({r['hops']} hops): {r['latency_s'] * 1e3:.4g} ms" for r in latency],
    )
    fig.colorbar(dots, ax=ax, label="hops")
    top = max([r["latency_s"] * 1e3 for r in latency], default=1.0) * 1.1
    ax.plot([0, top], [0, top], "k:", lw=1, label="measured = analytic")
    ax.set_xlabel("analytic latency (ms)")
    ax.set_ylabel("simulated latency (ms)")
    ax.set_title("classical one-way latency per node pair")
    ax.legend(fontsize=8)
    fig.suptitle(
        f"{result.scenario}: network characterisation (seed {result.seed}, "
        f"{result.metrics['duration_s']:g} s simulated)"
    )
    fig.tight_layout()
    return save_figure(fig, path)


def distribute_figure(result: RunResult, path: Path) -> Path:
    """Latency and fidelity distributions of the delivered pairs, one colour per node pair."""
    rows = result.tables["deliveries"]
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["a"], r["b"]), []).append(r)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for (a, b), items in groups.items():
        label = f"{a}~{b}"
        axes[0].hist([r["latency_s"] * 1e3 for r in items], bins=30, alpha=0.6, label=label)
        axes[1].hist([r["fidelity"] for r in items], bins=30, alpha=0.6, label=label)
    for r in result.tables["requests"]:
        axes[1].axvline(r["ideal_fidelity"], color="k", ls=":", lw=1)
    axes[0].set_xlabel("latency per pair (ms)")
    axes[1].set_xlabel("Bell fidelity at delivery (dotted: ideal-swap closed form)")
    for ax in axes:
        ax.set_ylabel("pairs")
        if groups:
            ax.legend(fontsize=7)
    fig.suptitle(f"{result.scenario}: {len(rows)} end-to-end pairs (seed {result.seed})")
    fig.tight_layout()
    return save_figure(fig, path)


#: Figures per workload type.
RESULT_FIGURES = {
    "characterize": characterize_figure,
    "distribute": distribute_figure,
    "train": lambda result, path: curves_figure({result.scenario: [result]}, path),
}
