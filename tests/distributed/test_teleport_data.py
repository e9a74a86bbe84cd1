"""Entanglement-assisted aggregation: over perfect pairs it is the parameter server; over real pairs it pays
pairs and fidelity instead of bits; bad options name their field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.scenario import scenario_from_data
from qnet_dqnn.topology import TopologySpec, load_topology

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ["q1", "q2", "q3"]
COMMON: dict[str, Any] = {
    "model": {"qubits": 2, "layers": 1, "encoding": "state"},
    "dataset": {"name": "tfim_phases", "samples": 24, "validation_samples": 6},  # 18 training samples: shards of 6
    "noise": False,
    "max_steps": 4,
    "target_accuracy": None,
    "shots": 50,
    "estimator": "exact",
}


@pytest.fixture(scope="module")
def star4() -> TopologySpec:
    return load_topology(ROOT / "topologies" / "star4.yaml")  # perfect pairs: only loss limits the links


def test_over_perfect_pairs_it_follows_the_parameter_server(star4: TopologySpec) -> None:
    ps = train_on(star4, {"type": "parameter_server", "nodes": CLIENTS, "server": "q0"}, batch_size=100, **COMMON)
    tp = train_on(star4, {"type": "teleport_data", "nodes": CLIENTS, "server": "q0"}, batch_size=100, **COMMON)
    assert np.allclose(tp.final_params, ps.final_params, atol=1e-10)
    assert tp.recorder.losses == pytest.approx(ps.recorder.losses, abs=1e-10)
    m = tp.extra_metrics
    assert m["teleport_mean_state_fidelity"] == pytest.approx(1.0, abs=1e-12)
    assert m["teleport_pairs"] == 18 * 2  # one pair per qubit of every sample
    assert m["teleport_bits"] == 2 * m["teleport_pairs"]
    # no parameter or gradient message: only the teleport outcomes and the swap notices travel
    kinds = {e.detail.split(" ")[0] for e in tp.network.trace.events if e.kind == "send"}
    assert "gradient" not in kinds and "params" not in kinds and "teleport" in kinds
    # the server computes every gradient; the clients' QPUs stay idle
    nodes = tp.network.ledger.nodes
    assert nodes["q0"].circuits > 0 and all(nodes[c].circuits == 0 for c in CLIENTS)


def test_noisy_pairs_degrade_the_data_and_are_booked() -> None:
    metro = load_topology(ROOT / "topologies" / "metro.yaml")
    ctx = train_on(
        metro,
        {"type": "teleport_data", "nodes": ["lab_east", "dc_south"], "server": "dc_north"},
        batch_size=4,
        **COMMON,
    )
    m = ctx.extra_metrics
    assert m["teleport_pairs"] == 18 * 2
    assert 0.5 < m["teleport_mean_pair_fidelity"] < 0.95  # Werner sources of 0.95 and 0.85, a swap at the hub
    assert m["teleport_mean_state_fidelity"] < 1.0
    assert m["teleport_time_s"] > 0
    consumed = sum(p.e2e_pairs_consumed for p in ctx.network.ledger.paths.values())
    assert consumed == m["teleport_pairs"]
    # a per-shot protocol would need n pairs for every shot the server ran
    assert m["teleport_pairs_per_shot_protocol"] == 2 * ctx.network.ledger.nodes["dc_north"].shots


def _scenario(strategy: dict[str, Any], **workload: Any) -> dict[str, Any]:
    return {
        "name": "t",
        "topology": str(ROOT / "topologies" / "star4.yaml"),
        "stop": {"simulated_time_s": 1e6},
        "workload": {"type": "train", "strategy": {"type": "teleport_data", **strategy}, **{**COMMON, **workload}},
    }


@pytest.mark.parametrize(
    "strategy, workload, field, reason",
    [
        ({"nodes": CLIENTS}, {}, "workload.strategy.server", "required field is missing"),
        ({"nodes": CLIENTS, "server": "q9"}, {}, "workload.strategy.server", "unknown node 'q9'"),
        ({"nodes": CLIENTS, "server": "hub"}, {}, "workload.strategy.server", "is a repeater, not a qpu"),
        ({"nodes": CLIENTS, "server": "q0", "sharding": "replicate"}, {}, "workload.strategy.sharding", "no cloning"),
        (
            {"nodes": CLIENTS, "server": "q0"},
            {"model": {"qubits": 2}, "dataset": {"name": "moons"}},
            "workload.strategy.type",
            "use dataset tfim_phases",
        ),
    ],
)
def test_bad_options_name_the_field(
    strategy: dict[str, Any], workload: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(_scenario(strategy, **workload), "s.yaml")
    lines = str(info.value).splitlines()
    assert any(line.startswith(f"s.yaml: {field}: ") and reason in line for line in lines), str(info.value)
