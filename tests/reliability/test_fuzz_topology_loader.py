"""Fuzzing the topology loader: whatever the input, it loads or raises a well-shaped TopologyError, quickly.

Inputs: random unicode and YAML-flavoured text, random bytes on disk, shipped topologies truncated, with
lines deleted/duplicated/moved/re-indented, with random bytes overwritten, and with their parsed data
mutated (keys deleted, added, renamed; values replaced by wrong types, extreme numbers, NaN/inf, unicode,
deeply nested junk, alias bombs, tags). See ``yaml_fuzz`` for the generators and the error-shape check.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qnet_dqnn.config import parse_yaml
from qnet_dqnn.errors import TopologyError
from qnet_dqnn.topology import TopologySpec, load_topology, topology_from_data, topology_from_string
from tests.reliability.yaml_fuzz import (
    HARD_LIMIT_S,
    SHIPPED_TOPOLOGIES,
    AliasBomb,
    Nested,
    byte_mutated,
    checked_load_or_clean_error,
    fuzz_settings,
    line_mutated,
    mutated,
    shipped_data,
    time_bound,
    to_flow_yaml,
)

SOURCE = "<fuzz>"
TEXTS = {path.name: path.read_text(encoding="utf-8") for path in SHIPPED_TOPOLOGIES}
DATA = {path.name: shipped_data(path) for path in SHIPPED_TOPOLOGIES}
YAML_ALPHABET = st.sampled_from(list(":-[]{}&*!|>'\"%@`#,? \n\t.~0123456789eE+_namequbitslink") + ["\n  ", ": ", "- "])


def _checked_load_text(text: str) -> TopologySpec | TopologyError:
    return checked_load_or_clean_error(lambda: topology_from_string(text, SOURCE), TopologyError, SOURCE)


def test_shipped_topologies_load_as_the_fuzzers_starting_point() -> None:
    assert len(TEXTS) >= 6
    for name, text in TEXTS.items():
        assert isinstance(topology_from_string(text, name), TopologySpec)


@fuzz_settings(300)
@given(st.text(max_size=400))
def test_random_unicode_text(text: str) -> None:
    _checked_load_text(text)


@fuzz_settings(300)
@given(st.lists(YAML_ALPHABET, max_size=200).map("".join))
def test_random_yaml_flavoured_text(text: str) -> None:
    _checked_load_text(text)


@fuzz_settings(200)
@given(st.sampled_from(sorted(TEXTS)), st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
def test_truncated_shipped_topologies(name: str, fraction: float) -> None:
    text = TEXTS[name]
    _checked_load_text(text[: int(fraction * len(text))])


@fuzz_settings(300)
@given(st.sampled_from(sorted(TEXTS)).flatmap(lambda name: line_mutated(TEXTS[name])))
def test_line_mutations_of_shipped_topologies(text: str) -> None:
    _checked_load_text(text)


@fuzz_settings(500)
@given(st.sampled_from(sorted(DATA)).flatmap(lambda name: mutated(DATA[name])))
def test_data_mutations_of_shipped_topologies(data: object) -> None:
    text = to_flow_yaml(data)
    result = _checked_load_text(text)
    # still valid and the YAML said exactly what the data holds (no tags, bombs, or folded strings in it):
    # the same data loads the same way without YAML
    if isinstance(result, TopologySpec) and parse_yaml(text, SOURCE, TopologyError) == data:
        assert topology_from_data(data, SOURCE) == result


@fuzz_settings(150)
@given(
    st.one_of(
        st.sampled_from(sorted(TEXTS)).flatmap(lambda name: byte_mutated(TEXTS[name])),
        st.binary(max_size=300),
    )
)
def test_random_bytes_on_disk(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzzed_topology.yaml"
    path.write_bytes(data)
    checked_load_or_clean_error(lambda: load_topology(path), TopologyError, str(path))


# ------------------------------------------------------------------------------------------------------
# the worst cases, explicitly
# ------------------------------------------------------------------------------------------------------

#: Where a bomb goes, and whether it is a mapping bomb (the defaults one is merged into a node that is the
#: same mapping, so a naive merge would walk every expanded key).
BOMB_SITES = {
    "top level": ("{}", False),
    "node field": ("nodes: [{{name: q, qubits: 1, position_km: {}}}]", False),
    "link field": ("nodes: [{{name: a, qubits: 1}}, {{name: b, qubits: 1}}]\nlinks: [{{between: {}}}]", False),
    "defaults merged into a node": ("defaults: {{node: &top {{memory: {}}}}}\nnodes: [*top]", True),
    "workload-like free mapping": ("description: {}\nnodes: [{{name: q, qubits: 1}}]", True),
}


@pytest.mark.parametrize("site", sorted(BOMB_SITES))
@pytest.mark.parametrize("levels", [3, 6, 9, 12, 20])
def test_billion_laughs_is_refused_in_bounded_memory(site: str, levels: int) -> None:
    template, mapping = BOMB_SITES[site]
    text = template.format(to_flow_yaml(AliasBomb(width=9, levels=levels, mapping=mapping)))
    tracemalloc.start()
    try:
        result = checked_load_or_clean_error(lambda: topology_from_string(text, SOURCE), TopologyError, SOURCE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(result, TopologyError)
    if 9**levels > 2_000_000:  # expansion well past the bound: refused before anything walks it
        assert "aliases expand the document" in str(result)
        assert peak < 8 * 2**20, peak
    else:
        assert peak < 256 * 2**20, peak


def test_recursive_aliases_are_refused() -> None:
    for text in ("nodes: &a [*a]", "defaults: {node: &a {x: *a}}\nnodes: [&b {x: *b}]", "&r {nodes: [*r]}"):
        result = checked_load_or_clean_error(lambda t=text: topology_from_string(t, SOURCE), TopologyError, SOURCE)
        assert isinstance(result, TopologyError)
        assert "recursive aliases are not allowed" in str(result)


@pytest.mark.parametrize("depth", [10, 300, 1000])
@pytest.mark.parametrize("mapping", [False, True])
def test_deeply_nested_junk_is_a_clean_error(depth: int, mapping: bool) -> None:
    junk = to_flow_yaml(Nested(depth, mapping))
    for text in (
        junk,
        f"nodes: {junk}",
        f"nodes: [{{name: q, qubits: 1, position_km: {junk}}}]",
        f"defaults: {{node: {junk}}}\nnodes: [{junk}]",
        "nodes:\n" + "- " * depth + "x\n",  # block sequences nested on one line
    ):
        result = checked_load_or_clean_error(lambda t=text: topology_from_string(t, SOURCE), TopologyError, SOURCE)
        assert isinstance(result, TopologyError)


def test_unreadable_files_are_clean_errors(tmp_path: Path) -> None:
    cases = {
        "missing.yaml": None,
        "latin1.yaml": "name: caf\xe9\n".encode("latin-1"),
        "bom.yaml": "\ufeffnodes: [{name: q, qubits: 1}]\n".encode("utf-16"),
        "nul.yaml": b"nodes: [{name: q\x00}]\n",
    }
    for name, content in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with time_bound():
            result = checked_load_or_clean_error(lambda p=path: load_topology(p), TopologyError, str(path))
        assert isinstance(result, TopologyError), name
    result = checked_load_or_clean_error(lambda: load_topology(tmp_path), TopologyError, str(tmp_path))
    assert isinstance(result, TopologyError) and "cannot read" in str(result)


# ------------------------------------------------------------------------------------------------------
# what the loader admits must also run: values at the edges of every bound
# ------------------------------------------------------------------------------------------------------

_EDGES = {
    "shortest link": {"length_km": 5e-324},
    "longest link": {"length_km": 1e6},
    "slowest source": {"quantum": {"source_rate_hz": 1e-6}},
    "fastest source": {"quantum": {"source_rate_hz": 1e308}},
    "slowest classical channel": {"classical": {"bandwidth_bps": 1.0}},
    "longest extra latency": {"classical": {"extra_latency_s": 1e9}},
    "longest processing": {"node": {"classical_processing_s": 1e9}},
    "shortest memory": {"node": {"memory": {"t1_s": 5e-324, "t2_s": 5e-324}}},
    "longest memory": {"node": {"memory": {"coherence_time_s": 1e9}}},
    "shortest cutoff": {"node": {"memory": {"cutoff_s": 5e-324}}},
    "longest cutoff": {"node": {"memory": {"cutoff_s": 1e9}}},
    "opaque fiber": {"quantum": {"attenuation_db_per_km": 1e308}},
    "most multiplexed": {"quantum": {"multiplexing": 1_000_000}},
}
#: Probes that outlast the run must not extend it (a 1e9 s latency would be a practical hang): cut after 1 s.
_PROBES_OUTLAST_RUN = {"longest extra latency", "longest processing", "slowest classical channel"}


@pytest.mark.parametrize("case", sorted(_EDGES))
def test_topologies_at_the_edges_of_the_bounds_run_or_fail_cleanly(case: str) -> None:
    from qnet_dqnn.errors import QnetError
    from qnet_dqnn.scenario import run, scenario_from_data

    edge = _EDGES[case]
    node = {"qubits": 2, **edge.get("node", {})}
    quantum = {"source_rate_hz": 1.0e6, **edge.get("quantum", {})}
    link = {"between": ["a", "b"], "length_km": edge.get("length_km", 10.0), "quantum": quantum}
    link["classical"] = edge.get("classical", {})
    topology = topology_from_data({"nodes": [{"name": "a", **node}, {"name": "b", **node}], "links": [link]}, case)
    scenario = scenario_from_data(
        {
            "name": "edges",
            "topology": "in code",
            "stop": {"simulated_time_s": 0.01},
            "workload": {"type": "characterize", "storage_time_s": 1e-3},
        },
        topology=topology,
    )
    with time_bound(1.0 if case in _PROBES_OUTLAST_RUN else HARD_LIMIT_S):
        try:
            result = run(scenario, trace=False)
        except QnetError:
            return
    assert result.simulated_time_s >= 0.01
