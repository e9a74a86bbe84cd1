"""SeQUeNCe JSON topologies import as valid qnet-dqnn topologies, with units converted and gaps named.

The fixtures under ``data/sequence/`` are modelled on SeQUeNCe's own examples: ``two_node_bsm.json`` on the
tutorial ``two_node.json`` (routers, an explicit BSMNode, qchannels and cchannels), ``star_qconnections.json``
on ``example/star_network.json`` (qconnections and cconnections); both load with SeQUeNCe 0.8.5's
RouterNetTopo. ``mixed_edge_cases.json`` gathers what the importer must approximate or leave out.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest

from qnet_dqnn.errors import TopologyError
from qnet_dqnn.interop.sequence import import_sequence_data, import_sequence_topology, sequence_import_header
from qnet_dqnn.interop.sequence.reading import M_PER_KM, PS_PER_S, SEQUENCE_LIGHT_SPEED_M_PER_PS
from qnet_dqnn.topology import dump_topology, load_topology, topology_from_data
from qnet_dqnn.units import FIBER_LIGHT_SPEED_KM_PER_S

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data" / "sequence"
FIXTURES = sorted(DATA.glob("*.json"))


def _link(data: dict[str, Any], a: str, b: str) -> dict[str, Any]:
    (link,) = [link for link in data["links"] if set(link["between"]) == {a, b}]
    return link


def _node(data: dict[str, Any], name: str) -> dict[str, Any]:
    (node,) = [node for node in data["nodes"] if node["name"] == name]
    return node


def _one_hop_ps(link: dict[str, Any]) -> float:
    """qnet-dqnn's size-independent one-hop latency (extra latency + propagation), in ps."""
    extra_s = link.get("classical", {}).get("extra_latency_s", 0.0)
    return (extra_s + link["length_km"] / FIBER_LIGHT_SPEED_KM_PER_S) * 1e12


def _warned(warnings: list[str], *words: str) -> bool:
    return any(all(w in line for w in words) for line in warnings)


def test_sequence_and_qnet_use_the_same_fiber_light_speed() -> None:
    # SeQUeNCe's SPEED_OF_LIGHT (m/ps) in km/s: the herald and default-delay conversions rely on it
    assert SEQUENCE_LIGHT_SPEED_M_PER_PS * PS_PER_S / M_PER_KM == FIBER_LIGHT_SPEED_KM_PER_S


# -- the fixtures ----------------------------------------------------------------------------------------


def test_two_routers_with_a_bsm_node_become_one_midpoint_link() -> None:
    data, warnings = import_sequence_topology(DATA / "two_node_bsm.json")
    assert [n["name"] for n in data["nodes"]] == ["router_0", "router_1"]  # the BSM node is the link's station
    assert _node(data, "router_0") == {
        "name": "router_0",
        "kind": "qpu",
        "qubits": 4,
        # bell_diagonal: SeQUeNCe's Pauli decay at rate 1/T is depolarizing with time constant 3T/4;
        # the memory expires after cutoff_ratio x T = 1.5 s
        "memory": {"coherence_time_s": 1.125, "cutoff_s": 1.5},
    }
    (link,) = data["links"]
    assert link["between"] == ["router_0", "router_1"]
    assert link["length_km"] == 20.0  # two 10000 m arms
    assert link["quantum"] == {
        "source_rate_hz": 2e7,
        "attenuation_db_per_km": 0.2,  # 0.0002 dB/m
        "source_fidelity": 0.93,
        "source_efficiency": 0.8,
        "detector_efficiency": 0.95,
        "bsm_success_probability": 0.5,
        "heralding": "midpoint",
    }
    assert link["classical"]["extra_latency_s"] == pytest.approx(1e-4)  # 200 us - 20 km / 2e5 km/s
    assert _one_hop_ps(link) == pytest.approx(200_000_000)  # SeQUeNCe's router_0 -> router_1 delay
    topology = topology_from_data(data)
    assert topology.links[0].quantum is not None and topology.links[0].quantum.heralding == "midpoint"
    for key in ("dark_count", "time_resolution", "count_rate", "formalism", "stop_time", "seed"):
        assert _warned(warnings, key), key
    assert _warned(warnings, "MemoryArray.coherence_time", "bell_diagonal", "3/4 coherence_time")
    # the router-BSM channels match fiber propagation over each 10 km arm: nothing to report about them
    assert not _warned(warnings, "router-BSM")


def test_qconnections_and_cconnections_of_a_star() -> None:
    data, warnings = import_sequence_topology(DATA / "star_qconnections.json")
    assert [n["name"] for n in data["nodes"]] == ["center", "end1", "end2", "end3"]
    assert _node(data, "center")["qubits"] == 50  # QuantumRouter's default memo_size
    assert _warned(warnings, "nodes[0].memo_size", "50")
    assert _node(data, "end1")["qubits"] == 10
    assert "memory" not in _node(data, "end1")  # coherence_time -1: infinite
    for end in ("end1", "end2", "end3"):
        link = _link(data, "center", end)
        assert link["length_km"] == 2.0
        assert link["quantum"]["heralding"] == "midpoint"
        assert link["quantum"]["source_fidelity"] == 0.9
        assert link["quantum"]["detector_efficiency"] == 0.9  # SeQUeNCe's default Detector
        assert link["classical"]["extra_latency_s"] == pytest.approx(5e-4 - 2.0 / 2e5)
        assert _one_hop_ps(link) == pytest.approx(500_000_000)
    classical_only = _link(data, "end1", "end2")
    assert "quantum" not in classical_only
    assert classical_only["length_km"] == pytest.approx(200.0)  # 1 ms at 2e5 km/s, no fiber distance given
    assert "classical" not in classical_only
    assert _one_hop_ps(classical_only) == pytest.approx(1_000_000_000)
    assert _warned(warnings, "cconnections[3]", "length_km taken from the delay")
    assert _warned(warnings, "is_parallel")
    assert _warned(warnings, "herald", "2.5e+08 ps")  # RouterNetTopo's half of the 500 us router delay


def test_edge_cases_are_approximated_or_named() -> None:
    data, warnings = import_sequence_topology(DATA / "mixed_edge_cases.json")
    assert [n["name"] for n in data["nodes"]] == ["a", "b", "c"]  # QKDNode q and BSMNode bsm_bc left out
    assert _warned(warnings, "nodes[3]", "'QKDNode'")
    assert _warned(warnings, "qchannels[3]", "left out")

    direct = _link(data, "a", "b")
    assert direct["between"] == ["a", "b"]  # the source is the qchannel's sender
    assert direct["quantum"]["heralding"] == "at_node"
    assert direct["quantum"]["attenuation_db_per_km"] == pytest.approx(0.3)
    assert direct["quantum"]["source_fidelity"] == 0.25  # 0.1, clamped
    assert _warned(warnings, "MemoryArray.fidelity", "clamped to 0.25")
    # a -> b has a distance but no delay: SeQUeNCe uses distance / light speed + 10 us
    assert direct["classical"]["extra_latency_s"] == pytest.approx(10e-6)
    assert _warned(warnings, "cchannels[0]", "one-way")

    arms = _link(data, "b", "c")  # arms of 3000 m at 0.2 dB/km and 1000 m at 0.4 dB/km
    assert arms["length_km"] == 4.0
    q = arms["quantum"]
    assert 10 ** (-q["attenuation_db_per_km"] * arms["length_km"] / 10) == pytest.approx(10 ** (-(0.6 + 0.4) / 10))
    assert q["detector_efficiency"] == pytest.approx(math.sqrt(0.8 * 0.9))
    assert q["source_fidelity"] == 0.85  # SeQUeNCe's MemoryArray default
    assert _warned(warnings, "not halfway")
    assert "classical" not in arms  # 1 us is shorter than light needs over 4 km
    assert _warned(warnings, "shorter than light")

    assert _node(data, "b") == {
        "name": "b",
        "kind": "qpu",
        "qubits": 8,
        "communication_qubits": 2,
        "gates": {"two_qubit_error": 0.01},
        "readout_error": 0.02,
    }
    assert _node(data, "c")["bsm_success_probability"] == 0.9
    assert _node(data, "a")["memory"] == {"coherence_time_s": 0.5}  # cutoff_flag false: no expiry
    # ket_vector (the default formalism): SeQUeNCe's memory does not decay; the warning says so
    assert _warned(warnings, "MemoryArray.coherence_time", "ket_vector", "does not decay", "never expires")
    for key in ("gui_layout", "wavelength", "phase_error", "swapping_degradation", "single_atom"):
        assert _warned(warnings, key), key


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_written_yaml_loads_back_equal(path: Path, tmp_path: Path) -> None:
    data, warnings = import_sequence_topology(path)
    header = sequence_import_header(path.name, warnings)
    text = dump_topology(data, header)
    out = tmp_path / "imported.yaml"
    out.write_text(text)
    assert load_topology(out) == topology_from_data(data)
    comment = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert text.startswith("# Imported by `qnet-dqnn topology import` from the SeQUeNCe JSON topology " + path.name)
    for warning in warnings:
        assert " ".join(warning.split()) in " ".join(comment.replace("#", " ").split()), warning


def test_shipped_example_is_the_import_of_its_fixture() -> None:
    source = "tests/interop/data/sequence/star_qconnections.json"
    data, warnings = import_sequence_topology(ROOT / source)
    shipped = ROOT / "topologies" / "imported_sequence_example.yaml"
    assert shipped.read_text() == dump_topology(data, sequence_import_header(source, warnings))


# -- malformed input -------------------------------------------------------------------------------------


BASE: dict[str, Any] = {
    "templates": {"t": {"MemoryArray": {"fidelity": 0.9}}},
    "nodes": [
        {"name": "r0", "type": "QuantumRouter", "memo_size": 2, "template": "t"},
        {"name": "r1", "type": "QuantumRouter", "memo_size": 2},
        {"name": "m", "type": "BSMNode"},
    ],
    "qchannels": [
        {"source": "r0", "destination": "m", "distance": 500, "attenuation": 0.0002},
        {"source": "r1", "destination": "m", "distance": 500, "attenuation": 0.0002},
    ],
    "cchannels": [
        {"source": "r0", "destination": "r1", "delay": 10_000_000},
        {"source": "r1", "destination": "r0", "delay": 10_000_000},
    ],
}


def _edit(edit: Any) -> dict[str, Any]:
    config = copy.deepcopy(BASE)
    edit(config)
    return config


def test_the_base_of_the_malformed_cases_imports() -> None:
    data, _ = import_sequence_data(copy.deepcopy(BASE))
    assert _link(data, "r0", "r1")["length_km"] == 1.0


MALFORMED = {
    "unknown qchannel destination": (
        lambda c: c["qchannels"].append({"source": "r0", "destination": "x", "distance": 1, "attenuation": 0}),
        "qchannels[2].destination",
        "unknown node 'x'",
    ),
    "missing node type": (lambda c: c["nodes"][1].pop("type"), "nodes[1].type", "required field is missing"),
    "duplicate node name": (
        lambda c: c["nodes"].append({"name": "r0", "type": "QuantumRouter"}),
        "nodes[3].name",
        "duplicate node name 'r0' (first at nodes[0])",
    ),
    "negative distance": (
        lambda c: c["qchannels"][0].update(distance=-5),
        "qchannels[0].distance",
        "must be > 0 (got -5)",
    ),
    "string attenuation": (
        lambda c: c["qchannels"][1].update(attenuation="0.2 dB/km"),
        "qchannels[1].attenuation",
        "must be a finite number",
    ),
    "unknown qconnection type": (
        lambda c: c.update(
            qconnections=[{"node1": "r0", "node2": "r1", "distance": 10, "attenuation": 0, "type": "direct"}]
        ),
        "qconnections[0].type",
        "unknown quantum connection type ('direct'",
    ),
    "classical channel without delay or distance": (
        lambda c: c["cchannels"][0].pop("delay"),
        "cchannels[0]",
        "needs a delay (in ps) or a distance (in m)",
    ),
    "unknown template": (lambda c: c["nodes"][1].update(template="fast"), "nodes[1].template", "unknown template"),
    "BSM with one arm": (lambda c: c["qchannels"].pop(1), "nodes[2]", "exactly two routers (got 1: ['r0'])"),
    "zero efficiency": (
        lambda c: c["templates"]["t"]["MemoryArray"].update(efficiency=0),
        "templates.t.MemoryArray.efficiency",
        "must be > 0 and <= 1 (got 0)",
    ),
    "negative memo_size": (lambda c: c["nodes"][0].update(memo_size=-1), "nodes[0].memo_size", ">= 0"),
    "router without memories on a quantum link": (
        lambda c: c["nodes"][1].update(memo_size=0),
        "nodes[1].memo_size",
        "quantum channels but no memories",
    ),
    "two quantum connections for one pair": (
        lambda c: c.update(
            qconnections=[
                {"node1": "r1", "node2": "r0", "distance": 10, "attenuation": 0, "type": "meet_in_the_middle"}
            ]
        ),
        "qconnections[0]",
        "a second quantum connection between 'r1' and 'r0' (first at qchannels[0])",
    ),
    "nodes not a list": (lambda c: c.update(nodes={"r0": {}}), "nodes", "must be a list"),
    "BSM node sends": (
        lambda c: c["qchannels"].append({"source": "m", "destination": "r0", "distance": 1, "attenuation": 0}),
        "qchannels[2].source",
        "a BSMNode only receives",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_input_names_the_json_path(case: str) -> None:
    edit, path, reason = MALFORMED[case]
    with pytest.raises(TopologyError) as info:
        import_sequence_data(_edit(edit), "net.json")
    assert any(p == path and reason in r for p, r in info.value.problems), info.value.problems
    assert f"net.json: {path}: " in str(info.value)


def test_classical_nodes_become_controllers() -> None:
    def edit(c: dict[str, Any]) -> None:
        c["nodes"] += [{"name": "idle", "type": "QuantumRouter", "memo_size": 0}, {"name": "ctl", "type": "Controller"}]
        c["cconnections"] = [
            {"node1": "r0", "node2": "idle", "delay": 10**7},
            {"node1": "r1", "node2": "ctl", "delay": 10**7},
        ]

    data, warnings = import_sequence_data(_edit(edit))
    assert _node(data, "idle") == {"name": "idle", "kind": "controller"}
    assert _node(data, "ctl") == {"name": "ctl", "kind": "controller"}
    assert _warned(warnings, "nodes[3].memo_size", "controller")
    assert "quantum" not in _link(data, "r1", "ctl")


def test_every_problem_is_reported_together() -> None:
    def edit(c: dict[str, Any]) -> None:
        c["qchannels"][0]["destination"] = "x"
        c["cchannels"][1]["delay"] = -7

    with pytest.raises(TopologyError) as info:
        import_sequence_data(_edit(edit))
    paths = [p for p, _ in info.value.problems]
    assert "qchannels[0].destination" in paths and "cchannels[1].delay" in paths


def test_a_file_that_is_not_a_sequence_topology(tmp_path: Path) -> None:
    cases = {
        "syntax.json": ('{"nodes": [\n  {"name": "r0",}\n]}', "line 2"),
        "dupkey.json": ('{"nodes": [], "nodes": []}', "duplicate key 'nodes'"),
        "nan.json": ('{"nodes": [{"name": "r", "type": "QuantumRouter", "memo_size": NaN}]}', "NaN"),
        "list.json": ("[1, 2]", "must be a JSON object"),
    }
    for name, (text, reason) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(TopologyError, match=reason) as info:
            import_sequence_topology(path)
        assert str(info.value).startswith(str(path)), name
    with pytest.raises(TopologyError, match="file not found"):
        import_sequence_topology(tmp_path / "absent.json")


def test_an_import_that_is_not_a_valid_qnet_topology_is_an_error() -> None:
    # two routers and nothing joining them: qnet-dqnn needs a connected classical network
    config = {"nodes": [{"name": n, "type": "QuantumRouter", "memo_size": 1} for n in ("r0", "r1")]}
    with pytest.raises(TopologyError, match="not connected"):
        import_sequence_data(config)
    with pytest.raises(TopologyError, match="no node has a qnet-dqnn equivalent"):
        import_sequence_data({"nodes": [{"name": "alice", "type": "QKDNode"}]})
