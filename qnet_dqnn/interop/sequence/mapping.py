"""Mapping SeQUeNCe channels onto qnet-dqnn links, and the whole import (parse, read, map, check).

A BSM station between two routers becomes one ``midpoint`` link; a direct quantum channel an ``at_node`` link;
classical channels become the links' classical channels (see :mod:`qnet_dqnn.interop.sequence` for units).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qnet_dqnn.errors import TopologyError
from qnet_dqnn.interop.sequence.reading import (
    M_PER_KM,
    MEET_IN_THE_MIDDLE,
    MIN_LENGTH_KM,
    PS_PER_S,
    SEQUENCE_DEFAULT_CLASSICAL_EXTRA_PS,
    SEQUENCE_LIGHT_SPEED_M_PER_PS,
    TOP_LEVEL_MAPPED,
    Classical,
    Node,
    QuantumLink,
    Reader,
    propagation_ps,
    read_bsm,
    read_nodes,
    read_template,
    read_templates,
    tidy,
)
from qnet_dqnn.interop.sequence.warnings import SEED_NOTE, TOP_LEVEL_UNMAPPED
from qnet_dqnn.topology.loader import topology_from_data
from qnet_dqnn.units import FIBER_LIGHT_SPEED_KM_PER_S

# -- channels --------------------------------------------------------------------------------------------


def _endpoint(imp: Reader, entry: Mapping[str, Any], key: str, path: str, nodes: Mapping[str, Node]) -> Node | None:
    name = imp.name(entry, key, path)
    if name is None:
        return None
    if name not in nodes:
        imp.problem(f"{path}.{key}", f"unknown node {name!r}")
        return None
    return nodes[name]


def _quantum_links(
    imp: Reader, config: Mapping[str, Any], nodes: Mapping[str, Node], templates: Mapping[str, Mapping[str, Any]]
) -> list[QuantumLink]:
    links: list[QuantumLink] = []
    arms: dict[str, list[tuple[str, str, float, float]]] = {}  # BSM name -> (path, router, distance m, dB/m)
    for path, qc in imp.entries(config, "qchannels"):
        imp.unknown_keys(qc, path, ("name", "source", "destination", "distance", "attenuation"))
        src = _endpoint(imp, qc, "source", path, nodes)
        dst = _endpoint(imp, qc, "destination", path, nodes)
        distance = imp.number(qc, "distance", path, low=0.0, low_open=True)  # m (OpticalChannel.distance)
        attenuation = imp.number(qc, "attenuation", path, low=0.0)  # dB/m (OpticalChannel.attenuation)
        if src is None or dst is None or distance is None or attenuation is None:
            continue
        if "skipped" in (src.kind, dst.kind):
            imp.warn(path, "joins a node that is left out; not imported")
            continue
        if src.kind == "bsm":
            imp.problem(f"{path}.source", f"a BSMNode only receives on quantum channels (got {src.name!r})")
        elif src.kind == "controller" or dst.kind == "controller":
            which = src if src.kind == "controller" else dst
            imp.problem(path, f"node {which.name!r} is a {which.type} without quantum memories")
        elif dst.kind == "bsm":
            arms.setdefault(dst.name, []).append((path, src.name, distance, attenuation))
        elif src.name == dst.name:
            imp.problem(f"{path}.destination", f"a quantum channel cannot join node {src.name!r} to itself")
        else:
            imp.warn(
                path,
                "SeQUeNCe's routers generate entanglement only through a BSMNode; this direct quantum channel is "
                "imported as an at_node link with the source at the channel's sender",
            )
            # total loss in dB = attenuation (dB/m) * distance (m), as in QuantumChannel.init()
            links.append(QuantumLink(path, src.name, dst.name, "at_node", (distance,), attenuation * distance, None))
    for node in nodes.values():
        if node.kind != "bsm":
            continue
        got = arms.get(node.name, [])
        routers = [router for _, router, _, _ in got]
        if len(got) != 2 or routers[0] == routers[1]:
            imp.problem(
                f"nodes[{node.index}]",
                f"BSM node {node.name!r} needs quantum channels from exactly two routers (got {len(got)}: {routers})",
            )
            continue
        (path_a, a, len_a, att_a), (_, b, len_b, att_b) = got
        if abs(len_a - len_b) > 1.0:
            imp.warn(
                f"nodes[{node.index}]",
                f"the BSM station is not halfway ({len_a:g} m and {len_b:g} m arms); qnet-dqnn places it at the "
                "midpoint: the loss is kept, the herald arrives after (L1 + L2) / 2v instead of the longer arm's",
            )
        loss = att_a * len_a + att_b * len_b
        links.append(QuantumLink(path_a, a, b, "midpoint", (len_a, len_b), loss, node.bsm, node.name))
    for path, qconn in imp.entries(config, "qconnections"):
        imp.unknown_keys(qconn, path, ("node1", "node2", "attenuation", "distance", "type", "seed", "template"))
        a = _endpoint(imp, qconn, "node1", path, nodes)
        b = _endpoint(imp, qconn, "node2", path, nodes)
        distance = imp.number(qconn, "distance", path, low=0.0, low_open=True)  # m, the whole connection
        attenuation = imp.number(qconn, "attenuation", path, low=0.0)  # dB/m
        kind = qconn.get("type")
        if kind != MEET_IN_THE_MIDDLE:
            got = "missing" if kind is None else repr(kind)
            imp.problem(f"{path}.type", f"unknown quantum connection type ({got}; known: {MEET_IN_THE_MIDDLE!r})")
        template, tpath = read_template(imp, templates, qconn, path)
        if a is None or b is None or distance is None or attenuation is None or template is None:
            continue
        if "skipped" in (a.kind, b.kind):
            imp.warn(path, "joins a node that is left out; not imported")
            continue
        bad = [n.name for n in (a, b) if n.kind != "qpu"]
        if bad:
            imp.problem(path, f"node {bad[0]!r} is not a quantum router")
            continue
        if a.name == b.name:
            imp.problem(f"{path}.node2", f"a quantum connection cannot join node {a.name!r} to itself")
            continue
        bsm = read_bsm(imp, template, tpath or path)
        if "seed" in qconn:
            imp.warn(f"{path}.seed", SEED_NOTE)
        # RouterNetTopo splits the connection into two arms of distance // 2 m each; the whole length is kept
        # here (the two differ by under 2 m).
        half = distance / 2
        links.append(QuantumLink(path, a.name, b.name, "midpoint", (half, half), attenuation * distance, bsm))
    seen: dict[frozenset[str], str] = {}
    unique = []
    for link in links:
        key = frozenset((link.a, link.b))
        if key in seen:
            first = seen[key]
            imp.problem(link.path, f"a second quantum connection between {link.a!r} and {link.b!r} (first at {first})")
        else:
            seen[key] = link.path
            unique.append(link)
    return unique


_Directed = tuple[str, Node, Node, float, float | None]  # (path, source, destination, delay ps, distance m)


def _classical_entries(imp: Reader, config: Mapping[str, Any], nodes: Mapping[str, Node]) -> list[_Directed]:
    """Directed classical channels ``(path, src, dst, delay_ps, distance_m)`` from cchannels and cconnections.

    SeQUeNCe's ClassicalChannel takes ``distance`` in m and ``delay`` in ps, either defaulting to -1; with no
    delay it uses ``distance / SPEED_OF_LIGHT + 10 us``.
    """
    out: list[_Directed] = []
    sources = [("cchannels", "source", "destination"), ("cconnections", "node1", "node2")]
    for key, end_a, end_b in sources:
        for path, cc in imp.entries(config, key):
            imp.unknown_keys(cc, path, ("name", end_a, end_b, "distance", "delay"))
            a = _endpoint(imp, cc, end_a, path, nodes)
            b = _endpoint(imp, cc, end_b, path, nodes)
            distance = imp.number(cc, "distance", path, default=-1.0)
            delay = imp.number(cc, "delay", path, default=-1.0)
            for field_name, value in (("distance", distance), ("delay", delay)):
                if value is not None and value < 0 and value != -1:
                    imp.problem(f"{path}.{field_name}", f"must be >= 0, or -1 for SeQUeNCe's default (got {value!r})")
            if a is None or b is None or distance is None or delay is None:
                continue
            dist_m = distance if distance >= 0 else None
            if delay < 0:
                if dist_m is None:
                    imp.problem(path, "needs a delay (in ps) or a distance (in m)")
                    continue
                delay = round(propagation_ps(dist_m) + SEQUENCE_DEFAULT_CLASSICAL_EXTRA_PS)
            if a.name == b.name:
                imp.problem(path, f"a classical channel cannot join node {a.name!r} to itself")
                continue
            pairs = [(a, b)] if key == "cchannels" else [(a, b), (b, a)]
            out += [(path, s, d, float(delay), dist_m) for s, d in pairs]
    return out


# -- assembly --------------------------------------------------------------------------------------------


def _classical_link(
    imp: Reader, a: str, b: str, directed: Mapping[tuple[str, str], Classical], quantum_length_m: float | None
) -> tuple[float, float, str]:
    """Length (km) and extra latency (s) of the link a-b, and the path of the entry it came from.

    extra_latency_s = delay - L / v: qnet-dqnn's one-hop latency is extra_latency_s + L / v (+ serialisation),
    so it reproduces SeQUeNCe's fixed delay (ps / 1e12 = s) on the same fiber.
    """
    channels = [directed[k] for k in ((a, b), (b, a)) if k in directed]
    paths = " and ".join(dict.fromkeys(c.path for c in channels))
    if not channels:
        imp.warn(
            f"{a}-{b}",
            "no classical channel joins this pair in the SeQUeNCe file; the link's classical channel is imported "
            "with fiber propagation only (extra_latency_s 0)",
        )
        return (quantum_length_m or 0.0) / M_PER_KM, 0.0, ""
    if len(channels) == 1:
        imp.warn(channels[0].path, "a one-way classical channel in SeQUeNCe; qnet-dqnn links carry both directions")
    delays = [c.delay_ps for c in channels]
    if max(delays) - min(delays) > 1.0:
        imp.warn(paths, "the two directions have different delays; qnet-dqnn links are symmetric: using their mean")
    delay_ps = sum(delays) / len(delays)
    distances = [c.distance_m for c in channels if c.distance_m is not None and c.distance_m > 0]
    if quantum_length_m is not None:
        length_m = quantum_length_m
        if any(abs(d - length_m) > 1.0 for d in distances):
            imp.warn(
                paths,
                "the classical channel's distance differs from the quantum channel's; qnet-dqnn links have one "
                "fiber length, the quantum one",
            )
    elif distances:
        length_m = sum(distances) / len(distances)
    else:
        # No fiber distance for this pair: the length that light in fiber covers in the delay, L = delay * v.
        length_m = delay_ps / PS_PER_S * FIBER_LIGHT_SPEED_KM_PER_S * M_PER_KM
        imp.warn(
            paths,
            "no fiber distance for this pair: length_km taken from the delay (delay x 2e5 km/s), extra_latency_s 0",
        )
        if length_m < MIN_LENGTH_KM * M_PER_KM:
            imp.warn(
                paths,
                f"a delay under {MIN_LENGTH_KM * M_PER_KM / SEQUENCE_LIGHT_SPEED_M_PER_PS:g} ps cannot be reproduced "
                f"(qnet-dqnn links have a length > 0): length_km set to {MIN_LENGTH_KM}",
            )
            length_m = MIN_LENGTH_KM * M_PER_KM
    # qnet-dqnn's own propagation (L / FIBER_LIGHT_SPEED_KM_PER_S, equal to SeQUeNCe's) so that the sum is exact.
    propagation_ps = length_m / M_PER_KM / FIBER_LIGHT_SPEED_KM_PER_S * PS_PER_S
    extra_ps = delay_ps - propagation_ps
    if extra_ps < -0.5:  # SeQUeNCe rounds delays to whole ps
        imp.warn(
            paths,
            f"SeQUeNCe's delay ({delay_ps:g} ps) is shorter than light needs over the fiber "
            f"({propagation_ps:g} ps); extra_latency_s set to 0, so the imported latency is longer",
        )
    return length_m / M_PER_KM, max(extra_ps, 0.0) / PS_PER_S, paths


def _quantum_spec(imp: Reader, link: QuantumLink, nodes: Mapping[str, Node]) -> dict[str, Any] | None:
    a, b = nodes[link.a], nodes[link.b]
    if a.memory is None or b.memory is None:
        return None  # a problem was recorded for the template
    length_m = sum(link.arms_m)
    if link.heralding == "midpoint":
        # SeQUeNCe gives each end its own memory's raw fidelity; qnet-dqnn has one pair fidelity per link.
        if a.memory.fidelity != b.memory.fidelity:
            imp.warn(
                link.path,
                f"the two routers' memory fidelities differ ({a.memory.fidelity:g}, {b.memory.fidelity:g}); "
                "qnet-dqnn has one per link: using the lower",
            )
        fidelity = min(a.memory.fidelity, b.memory.fidelity)
        rate = min(a.memory.frequency_hz, b.memory.frequency_hz)  # both memories must emit in each attempt
        # Both photons must be emitted: qnet-dqnn's midpoint success carries source_efficiency^2, so the
        # geometric mean reproduces SeQUeNCe's product of the two memories' efficiencies.
        efficiency = math.sqrt(a.memory.efficiency * b.memory.efficiency)
    else:
        fidelity, rate, efficiency = a.memory.fidelity, a.memory.frequency_hz, a.memory.efficiency
    # attenuation: SeQUeNCe's dB/m; the link's total loss in dB over its length in km gives dB/km, which keeps
    # the transmissivity 10^(-dB/10) of the whole link exact even when the two arms differ.
    quantum: dict[str, Any] = {
        "source_rate_hz": tidy(rate),
        "attenuation_db_per_km": tidy(link.loss_db / (length_m / M_PER_KM)),
        "source_fidelity": tidy(fidelity),
        "source_efficiency": tidy(efficiency),
    }
    if link.bsm is not None:
        quantum["detector_efficiency"] = link.bsm.detector_efficiency
        if link.bsm.success_probability is not None:
            quantum["bsm_success_probability"] = link.bsm.success_probability
    elif link.heralding == "midpoint":
        return None  # the BSM template had a problem
    quantum["heralding"] = link.heralding
    return quantum


def _check_memories(imp: Reader, nodes: Mapping[str, Node], qlinks: list[QuantumLink]) -> None:
    """A router needs communication memories for its quantum links; one with none and no links is classical."""
    linked = {name for link in qlinks for name in (link.a, link.b)}
    for node in nodes.values():
        if node.kind != "qpu" or node.memo_size > 0:
            continue
        if node.name in linked:
            imp.problem(
                f"nodes[{node.index}].memo_size",
                f"{node.name!r} has quantum channels but no memories to hold pairs (memo_size 0)",
            )
        elif node.data_memo_size == 0:
            node.kind = "controller"
            imp.warn(f"nodes[{node.index}].memo_size", "0 memories and no quantum channel: imported as a controller")


def _herald_warnings(imp: Reader, entries: list[_Directed], qlinks: list[QuantumLink]) -> None:
    """Classical channels to a BSM node are the herald's path; qnet-dqnn models it as fiber propagation."""
    arm_of: dict[tuple[str, str], float] = {}
    for link in qlinks:
        if link.station is not None:
            arm_of[(link.a, link.station)], arm_of[(link.b, link.station)] = link.arms_m
    for path, src, dst, delay_ps, _ in entries:
        if "bsm" not in (src.kind, dst.kind):
            continue
        router, bsm = (src, dst) if dst.kind == "bsm" else (dst, src)
        arm = arm_of.get((router.name, bsm.name))
        if arm is None:
            imp.warn(path, "a classical channel to a BSM node that is not this router's station; not imported")
        elif abs(delay_ps - propagation_ps(arm)) > 1.0:
            imp.warn(
                path,
                "the router-BSM classical delay is not imported: qnet-dqnn's herald crosses the arm at 2e5 km/s "
                f"({propagation_ps(arm):g} ps here, SeQUeNCe: {delay_ps:g} ps)",
            )


def _by_pair(imp: Reader, entries: list[_Directed]) -> dict[frozenset[str], dict[tuple[str, str], Classical]]:
    """The classical channels between imported nodes, per node pair and direction."""
    directed: dict[frozenset[str], dict[tuple[str, str], Classical]] = {}
    for path, src, dst, delay_ps, distance_m in entries:
        if "skipped" in (src.kind, dst.kind):
            imp.warn(path, "joins a node that is left out; not imported")
            continue
        if "bsm" in (src.kind, dst.kind):
            continue  # the herald's path (see _herald_warnings)
        by_direction = directed.setdefault(frozenset((src.name, dst.name)), {})
        previous = by_direction.get((src.name, dst.name))
        if previous is not None and previous.delay_ps != delay_ps:
            # Node.assign_cchannel keeps one channel per receiver: the last one set (cconnections come last).
            imp.warn(path, f"replaces {previous.path} for this direction, as in SeQUeNCe (the last one wins)")
        by_direction[(src.name, dst.name)] = Classical(path, delay_ps, distance_m)
    return directed


def _links(
    imp: Reader,
    qlinks: list[QuantumLink],
    directed: dict[frozenset[str], dict[tuple[str, str], Classical]],
    nodes: Mapping[str, Node],
) -> list[dict[str, Any]]:
    """One qnet-dqnn link per node pair: the quantum links first, then the classical-only ones."""
    links: list[dict[str, Any]] = []
    pairs: list[tuple[str, str, QuantumLink | None]] = [(q.a, q.b, q) for q in qlinks]
    quantum_pairs = {frozenset((q.a, q.b)) for q in qlinks}
    pairs += [(*next(iter(d)), None) for key, d in directed.items() if key not in quantum_pairs]
    for a, b, qlink in pairs:
        channels = directed.get(frozenset((a, b)), {})
        length_km, extra_s, _ = _classical_link(imp, a, b, channels, None if qlink is None else sum(qlink.arms_m))
        link: dict[str, Any] = {"between": [a, b], "length_km": tidy(length_km)}
        if extra_s > 0:
            link["classical"] = {"extra_latency_s": tidy(extra_s)}
        if qlink is not None:
            if qlink.path.startswith("qconnections") and channels:
                # RouterNetTopo gives the router-BSM channels it generates half the routers' mean delay (in ps).
                delays = [c.delay_ps for c in channels.values()]
                herald_ps = (sum(delays) / len(delays)) // 2
                fiber_ps = propagation_ps(sum(qlink.arms_m) / 2)
                if abs(herald_ps - fiber_ps) > 1.0:
                    imp.warn(
                        qlink.path,
                        "SeQUeNCe sends the herald with half the routers' classical delay "
                        f"({herald_ps:g} ps); qnet-dqnn's herald crosses half the fiber at 2e5 km/s ({fiber_ps:g} ps)",
                    )
            quantum = _quantum_spec(imp, qlink, nodes)
            if quantum is not None:
                link["quantum"] = quantum
        links.append(link)
    if links:
        imp.warn(
            "",
            "SeQUeNCe's classical delay does not depend on message size; qnet-dqnn adds serialisation at "
            "classical.bandwidth_bps (default 1 Gb/s)",
        )
    return links


def _node_data(node: Node) -> dict[str, Any]:
    """The qnet-dqnn node entry of an imported router or controller."""
    if node.kind == "controller":
        return {"name": node.name, "kind": "controller"}
    entry: dict[str, Any] = {"name": node.name, "kind": "qpu", "qubits": node.memo_size + node.data_memo_size}
    if node.data_memo_size:
        entry["communication_qubits"] = node.memo_size
    memory = node.memory
    if memory is not None and memory.coherence_time_s is not None:
        entry["memory"] = {"coherence_time_s": memory.coherence_time_s}
        if memory.cutoff_s is not None:
            entry["memory"]["cutoff_s"] = tidy(memory.cutoff_s)
    entry.update(node.extra)
    return entry


def import_sequence_data(config: Any, source: str = "<data>") -> tuple[dict[str, Any], list[str]]:
    """Convert a parsed SeQUeNCe JSON topology to qnet-dqnn topology data.

    Args:
        config: the parsed JSON (a mapping with ``nodes``, ``qchannels``, ``cchannels``, ``qconnections``,
            ``cconnections`` and ``templates``).
        source: the file it came from, used in errors and in the topology's name.

    Returns:
        The topology data (the shape of a topology YAML file, checked with :func:`topology_from_data`) and the
        warnings, one per thing that was not imported or was imported approximately.

    Raises:
        TopologyError: naming each malformed field by its JSON path, e.g.
            ``qchannels[3].destination: unknown node 'x'``, or if the result is not a valid qnet-dqnn topology.
    """
    imp = Reader(source)
    if not isinstance(config, Mapping):
        raise TopologyError(source, [("", f"a SeQUeNCe topology must be a JSON object (got {type(config).__name__})")])
    for key in config:
        if key in TOP_LEVEL_UNMAPPED:
            imp.warn(key, TOP_LEVEL_UNMAPPED[key])
        elif key not in TOP_LEVEL_MAPPED:
            imp.warn(key, "unknown key, not imported")
    formalism = config.get("formalism", "ket_vector")
    imp.formalism = formalism if isinstance(formalism, str) else repr(formalism)
    templates = read_templates(imp, config)
    nodes = read_nodes(imp, config, templates)
    qlinks = _quantum_links(imp, config, nodes, templates)
    entries = _classical_entries(imp, config, nodes)
    if imp.problems:
        raise TopologyError(source, imp.problems)

    _check_memories(imp, nodes, qlinks)
    if imp.problems:
        raise TopologyError(source, imp.problems)
    _herald_warnings(imp, entries, qlinks)
    links = _links(imp, qlinks, _by_pair(imp, entries), nodes)
    out_nodes = [_node_data(node) for node in nodes.values() if node.kind in ("qpu", "controller")]
    if not out_nodes:
        raise TopologyError(source, [("nodes", "no node has a qnet-dqnn equivalent (QuantumRouter, DQCNode, ...)")])
    data = {
        "name": Path(source).stem or "imported",
        "description": f"imported from the SeQUeNCe topology {Path(source).name}",
        "nodes": out_nodes,
        "links": links,
    }
    try:
        topology_from_data(data, source)
    except TopologyError as exc:
        # the paths name the imported topology (its links and nodes), not the JSON file
        raise TopologyError(
            source, [(f"imported topology: {p}" if p else "imported topology", r) for p, r in exc.problems]
        ) from None
    return data, imp.warnings()


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r} in a JSON object")
        out[key] = value
    return out


def import_sequence_topology(path: str | Path) -> tuple[dict[str, Any], list[str]]:
    """Read a SeQUeNCe JSON topology file and convert it to qnet-dqnn topology data.

    Write the result with ``dump_topology(data, sequence_import_header(path, warnings))``.

    Returns:
        The topology data and the warnings (see :func:`import_sequence_data`).

    Raises:
        TopologyError: the file cannot be read, is not JSON, or is malformed (each problem with its JSON path).
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TopologyError(source, [("", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TopologyError(source, [("", f"cannot read the file: {exc}")]) from None
    try:
        config = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise TopologyError(source, [("", f"line {exc.lineno}, column {exc.colno}: JSON error: {exc.msg}")]) from None
    except ValueError as exc:
        raise TopologyError(source, [("", f"JSON error: {exc}")]) from None
    return import_sequence_data(config, source)
