"""The coreset strategy: a whole-shard coreset is the parameter server, a small one costs circuits in proportion
to its size, and bad options name their field."""

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
COMMON: dict[str, Any] = {
    "model": {"qubits": 2, "layers": 1},
    "dataset": {"samples": 40, "validation_samples": 10},  # 30 training samples: shards of 15 and 15
    "noise": False,
    "max_steps": 4,
    "target_accuracy": None,
    "shots": 100,
    "estimator": "exact",
}


@pytest.fixture(scope="module")
def star4() -> TopologySpec:
    return load_topology(ROOT / "topologies" / "star4.yaml")


def test_a_uniform_coreset_of_each_whole_shard_follows_the_parameter_server(star4: TopologySpec) -> None:
    nodes = ["q0", "q1"]
    ps = train_on(star4, {"type": "parameter_server", "nodes": nodes}, batch_size=10_000, **COMMON)
    cs = train_on(star4, {"type": "coreset", "nodes": nodes, "size": 15, "method": "uniform"}, **COMMON)
    assert np.allclose(cs.final_params, ps.final_params, atol=1e-10)
    assert cs.recorder.losses == pytest.approx(ps.recorder.losses, abs=1e-10)
    assert cs.network.ledger.totals()["circuits"] == ps.network.ledger.totals()["circuits"]


def test_circuits_scale_with_the_coreset_size_not_the_shard(star4: TopologySpec) -> None:
    full = train_on(star4, {"type": "coreset", "nodes": ["q0"], "size": 30, "method": "uniform"}, **COMMON)
    small = train_on(star4, {"type": "coreset", "nodes": ["q0"], "size": 6}, **COMMON)
    assert full.network.ledger.totals()["circuits"] == 5 * small.network.ledger.totals()["circuits"]
    assert small.extra_metrics["coreset_points"] == 6
    assert small.extra_metrics["coreset_fraction"] == pytest.approx(0.2)
    # the same 4 rounds with a fifth of the points take about a fifth of the QPU time
    assert small.network.now == pytest.approx(full.network.now / 5, rel=0.01)


def _scenario(strategy: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "t",
        "topology": str(ROOT / "topologies" / "star4.yaml"),
        "stop": {"simulated_time_s": 1e6},
        "workload": {"type": "train", "strategy": {"type": "coreset", **strategy}, **COMMON},
    }


@pytest.mark.parametrize(
    "strategy, field, reason",
    [
        ({"size": 0}, "workload.strategy.size", "greater than or equal to 1"),
        ({"size": -3}, "workload.strategy.size", "greater than or equal to 1"),
        ({"size": 16, "nodes": ["q0", "q1"]}, "workload.strategy.size", "16 is larger than the data set it summarises"),
        ({"size": 31, "sharding": "replicate"}, "workload.strategy.size", "the smallest shard has 30"),
        ({"size": 4, "method": "kmeans"}, "workload.strategy.method", "'lightweight' or 'uniform'"),
        ({"size": 4, "sharding": "capacity"}, "workload.strategy.sharding", "equal or replicate"),
    ],
)
def test_bad_options_name_the_field(strategy: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(_scenario(strategy), "s.yaml")
    lines = str(info.value).splitlines()
    assert any(line.startswith(f"s.yaml: {field}: ") and reason in line for line in lines), str(info.value)
