"""Every kind of bad topology input gives a TopologyError naming the file, the field and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from qnet_dqnn.errors import TopologyError
from qnet_dqnn.topology import load_topology, topology_from_string

GOOD = """
nodes:
  - {name: q1, qubits: 4}
  - {name: q2, qubits: 4}
links:
  - {between: [q1, q2], length_km: 10, quantum: {source_rate_hz: 1.0e6}}
"""

CASES = {
    "yaml syntax error with line": ("nodes:\n  - {name: q1\nlinks: []\n", "", "line 3"),
    "unknown top-level field": (GOOD + "colour: blue\n", "colour", "unknown field"),
    "unknown node field": (
        GOOD.replace("{name: q1, qubits: 4}", "{name: q1, qubit: 4}"),
        "nodes[0].qubit",
        "unknown field",
    ),
    "unknown nested field": (
        GOOD.replace("source_rate_hz", "source_rate"),
        "links[0].quantum.source_rate",
        "unknown field",
    ),
    "wrong type": (GOOD.replace("qubits: 4}", "qubits: eight}", 1), "nodes[0].qubits", "valid integer"),
    "string where number": (GOOD.replace("length_km: 10", "length_km: '10'"), "links[0].length_km", "valid number"),
    "bool where int": (GOOD.replace("qubits: 4}", "qubits: true}", 1), "nodes[0].qubits", "valid integer"),
    "missing required field": (GOOD.replace(", length_km: 10", ""), "links[0].length_km", "required field"),
    "duplicate node names": (GOOD.replace("name: q2", "name: q1"), "nodes[1].name", "duplicate node name 'q1'"),
    "self-loop": (GOOD.replace("[q1, q2]", "[q1, q1]"), "links[0].between", "cannot join node 'q1' to itself"),
    "duplicate link": (
        GOOD + "  - {between: [q2, q1], length_km: 3}\n",
        "links[1].between",
        "duplicate link 'q2'-'q1' (first at links[0])",
    ),
    "unknown node": (GOOD.replace("[q1, q2]", "[q1, q9]"), "links[0].between", "unknown node 'q9'"),
    "zero length": (GOOD.replace("length_km: 10", "length_km: 0"), "links[0].length_km", "greater than 0"),
    "negative length": (GOOD.replace("length_km: 10", "length_km: -5"), "links[0].length_km", "greater than 0"),
    "zero source rate": (GOOD.replace("1.0e6", "0"), "links[0].quantum.source_rate_hz", "greater than 0"),
    "zero bandwidth": (
        GOOD.replace("length_km: 10,", "length_km: 10, classical: {bandwidth_bps: 0},"),
        "links[0].classical.bandwidth_bps",
        "greater than 0",
    ),
    "fidelity above 1": (
        GOOD.replace("1.0e6}", "1.0e6, source_fidelity: 1.2}"),
        "links[0].quantum.source_fidelity",
        "less than or equal to 1",
    ),
    "fidelity below 1/4": (
        GOOD.replace("1.0e6}", "1.0e6, source_fidelity: 0.2}"),
        "links[0].quantum.source_fidelity",
        "greater than or equal to 0.25",
    ),
    "qpu with 0 qubits": (
        GOOD.replace("{name: q1, qubits: 4}", "{name: q1, qubits: 0}"),
        "nodes[0].qubits",
        "a qpu needs at least 1 qubit",
    ),
    "quantum link to a node without memory": (
        GOOD.replace("{name: q2, qubits: 4}", "{name: q2, kind: controller}"),
        "links[0].quantum",
        "node 'q2' has no qubits",
    ),
    "classical graph not connected": (
        GOOD.replace("nodes:\n", "nodes:\n  - {name: q3, qubits: 1}\n  - {name: q4, qubits: 1}\n")
        + "  - {between: [q3, q4], length_km: 1}\n",
        "links",
        "not connected: components {q1, q2}; {q3, q4}",
    ),
    "NaN": (GOOD.replace("length_km: 10", "length_km: .nan"), "links[0].length_km", "finite number"),
    "infinity": (GOOD.replace("length_km: 10", "length_km: .inf"), "links[0].length_km", "finite number"),
    "t2 above 2 t1": (
        GOOD.replace("{name: q1, qubits: 4}", "{name: q1, qubits: 4, memory: {t1_s: 1, t2_s: 3}}"),
        "nodes[0].memory",
        "t2_s must be <= 2 * t1_s",
    ),
    "unknown heralding model": (
        GOOD.replace("1.0e6}", "1.0e6, heralding: magic}"),
        "links[0].quantum.heralding",
        "'midpoint' or 'at_node'",
    ),
    "duplicate mapping key": (
        GOOD.replace("{name: q1, qubits: 4}", "{name: q1, qubits: 4, qubits: 5}"),
        "",
        "duplicate key 'qubits'",
    ),
    "not a mapping": ("- just\n- a list\n", "", "must be a mapping"),
    "empty file": ("", "", "must be a mapping"),
    "no nodes": ("nodes: []\nlinks: []\n", "nodes", "at least 1 item"),
    "between with three names": (GOOD.replace("[q1, q2]", "[q1, q2, q1]"), "links[0].between", "at most 2 items"),
    "communication qubits above qubits": (
        GOOD.replace("{name: q1, qubits: 4}", "{name: q1, qubits: 4, communication_qubits: 6}"),
        "nodes[0].communication_qubits",
        "exceeds the node's 4 qubits",
    ),
    "defaults not a mapping": ("defaults: 3\n" + GOOD, "defaults", "must be a mapping"),
    "unknown defaults section": ("defaults: {nodes: {qubits: 2}}\n" + GOOD, "defaults.nodes", "unknown field"),
}


@pytest.mark.parametrize("text, field, reason", CASES.values(), ids=list(CASES))
def test_bad_topology_names_file_field_and_reason(tmp_path: Path, text: str, field: str, reason: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(TopologyError) as info:
        load_topology(path)
    message = str(info.value)
    expected_prefix = f"{path}: {field}: " if field else f"{path}: "
    assert any(line.startswith(expected_prefix) and reason in line for line in message.splitlines()), message


def test_every_problem_is_reported_together() -> None:
    text = GOOD.replace("[q1, q2]", "[q1, q9]").replace("name: q2", "name: q1")
    with pytest.raises(TopologyError) as info:
        topology_from_string(text, "t.yaml")
    assert len(info.value.problems) == 2
    assert {path for path, _ in info.value.problems} == {"nodes[1].name", "links[0].between"}


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match=r"nope\.yaml: file not found"):
        load_topology(tmp_path / "nope.yaml")


def test_yaml_tags_never_construct_objects(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(TopologyError, match="YAML error"):
        topology_from_string(text)
    assert not marker.exists()


def test_defaults_are_merged_and_overridden() -> None:
    text = """
defaults:
  node: {qubits: 3, memory: {t1_s: 10.0, t2_s: 1.0}}
  link: {quantum: {source_rate_hz: 5.0e5, source_fidelity: 0.9}}
nodes:
  - {name: a}
  - {name: b, qubits: 7, memory: {t2_s: 2.0}}
  - {name: c, kind: controller, qubits: 0}
links:
  - {between: [a, b], length_km: 1e1}
  - {between: [b, c], length_km: 2, quantum: null}
"""
    topology = topology_from_string(text)
    a, b, _ = topology.nodes
    assert (a.qubits, b.qubits) == (3, 7)
    assert (b.memory.t1_s, b.memory.t2_s) == (10.0, 2.0)
    assert topology.links[0].quantum is not None and topology.links[0].quantum.source_fidelity == 0.9
    assert topology.links[0].length_km == 10.0
    assert topology.links[1].quantum is None
    assert [link.name for link in topology.quantum_links] == ["a-b"]


def test_a_mistake_in_defaults_is_reported_once_where_it_was_written() -> None:
    text = """
defaults:
  node: {qubits: 3, memory: {t1_s: -1.0, t2_s: 1.0}}
  link: {quantum: {source_fidelity: 0.9}}
nodes:
  - {name: a}
  - {name: b}
  - {name: c, memory: {t1_s: 2.0, t2_s: 9.0}}
links:
  - {between: [a, b], length_km: 1}
  - {between: [b, c], length_km: 1}
"""
    with pytest.raises(TopologyError) as info:
        topology_from_string(text, "t.yaml")
    problems = info.value.problems
    paths = [path for path, _ in problems]
    assert paths.count("defaults.node.memory.t1_s") == 1 and "nodes[0].memory.t1_s" not in paths
    assert paths.count("defaults.link.quantum.source_rate_hz") == 1  # missing from the defaults both links take
    assert ("nodes[2].memory", "t2_s must be <= 2 * t1_s (got t2_s=9.0, t1_s=2.0)") in [
        (p, r.removeprefix("Value error, ")) for p, r in problems
    ]  # written on the node itself: reported there


def test_schema_errors_do_not_hide_cross_reference_errors() -> None:
    text = GOOD.replace("{name: q2, qubits: 4}", "{name: q2, qubits: four}").replace("[q1, q2]", "[q1, q9]")
    with pytest.raises(TopologyError) as info:
        topology_from_string(text, "t.yaml")
    assert ("links[0].between", "unknown node 'q9'") in info.value.problems
    assert any(path == "nodes[1].qubits" for path, _ in info.value.problems)


def test_a_scenario_given_as_a_topology_is_named_as_such() -> None:
    text = (Path(__file__).resolve().parents[2] / "scenarios" / "train_single_star4.yaml").read_text()
    with pytest.raises(
        TopologyError,
        match=r"this is a scenario file, not a topology: it has seed, stop, topology, "
        r"workload and no nodes \(it names the topology '../topologies/star4.yaml'\)",
    ):
        topology_from_string(text, "s.yaml")


def test_a_cross_reference_problem_inherited_from_defaults_is_reported_at_defaults() -> None:
    text = """
defaults:
  node: {qubits: 2, communication_qubits: 4}
nodes: [{name: a}, {name: b}, {name: c, communication_qubits: 3}]
links: [{between: [a, b], length_km: 1}, {between: [b, c], length_km: 1}]
"""
    with pytest.raises(TopologyError) as info:
        topology_from_string(text, "t.yaml")
    assert info.value.problems == [
        ("defaults.node.communication_qubits", "4 exceeds the node's 2 qubits"),
        ("nodes[2].communication_qubits", "3 exceeds the node's 2 qubits"),
    ]
