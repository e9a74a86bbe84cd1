"""Hardware presets: every field sourced, presets fill what a topology leaves out, overrides win, bad names."""

from __future__ import annotations

import pytest

from qnet_dqnn.errors import TopologyError
from qnet_dqnn.topology import topology_from_string
from qnet_dqnn.topology.hardware import PRESETS, pair_fidelity_from_emitters
from qnet_dqnn.topology.schema import LinkSpec, NodeSpec, _preset_paths

TOPOLOGY = """
nodes:
  - {name: a, qubits: 4, hardware: trapped_ion, gates: {two_qubit_error: 0.01}}
  - {name: b, qubits: 4, hardware: nv_centre}
links:
  - {between: [a, b], length_km: 5.0, hardware: neutral_atom, quantum: {source_rate_hz: 50.0}}
"""


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_value_has_a_source_and_validates(name: str) -> None:
    preset = PRESETS[name]
    for path in _preset_paths(preset.node) + _preset_paths(preset.link):
        section = path.split(".")[0]
        assert path in preset.sources or section in preset.sources, f"{name}: {path} has no source"
    NodeSpec(name="n", qubits=2, hardware=name)
    LinkSpec(between=["a", "b"], length_km=1.0, hardware=name)


def test_presets_fill_the_fields_a_topology_leaves_out() -> None:
    topo = topology_from_string(TOPOLOGY)
    a, b = topo.nodes
    assert a.gates.two_qubit_error == 0.01  # the topology's own value wins
    assert a.gates.one_qubit_error == PRESETS["trapped_ion"].node["gates"]["one_qubit_error"]
    assert "gates.two_qubit_error" not in a.preset_fields and "gates.one_qubit_error" in a.preset_fields
    assert b.memory.t2_s == PRESETS["nv_centre"].node["memory"]["t2_s"]
    link = topo.links[0]
    assert link.quantum.source_rate_hz == 50.0 and "quantum.source_rate_hz" not in link.preset_fields
    assert link.quantum.wavelength_nm == 1522.0 and "quantum.wavelength_nm" in link.preset_fields


def test_an_unknown_preset_lists_the_valid_ones() -> None:
    with pytest.raises(TopologyError, match=r"nodes\[0\]\.hardware.*unknown hardware preset 'ion'.*trapped_ion"):
        topology_from_string("nodes:\n  - {name: a, qubits: 1, hardware: ion}\n")


def test_paired_fidelity_is_the_werner_product() -> None:
    """Two emitter-photon Werner pairs joined at a midpoint: w = w_ep² (Dür & Briegel 2007, Sec. 4.1)."""
    assert pair_fidelity_from_emitters(0.25) == pytest.approx(0.25)
    w = (4 * 0.9 - 1) / 3
    assert pair_fidelity_from_emitters(0.9) == pytest.approx((1 + 3 * w * w) / 4)
