"""The train workload and the single-QPU strategy: accounting, stop rules, errors, determinism."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import qnet_dqnn
from qnet_dqnn.distributed.qpu import qpu_timing
from qnet_dqnn.distributed.spec import ModelSpec, build_model
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.quantum import forward_cost, gradient_cost
from qnet_dqnn.scenario import scenario_from_data
from qnet_dqnn.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
METRO = ROOT / "topologies" / "metro.yaml"


def _train(**workload: Any) -> dict[str, Any]:
    base = {
        "type": "train",
        "strategy": {"type": "single", "node": "campus"},
        "noise": False,
        "max_steps": 6,
        "batch_size": 4,
        "shots": 100,
        "estimator": "exact",
        "model": {"qubits": 3, "layers": 1},
        "dataset": {"samples": 40, "validation_samples": 10},
    }
    return {
        "name": "t",
        "topology": str(METRO),
        "seed": 3,
        "stop": {"simulated_time_s": 1e4},
        "workload": {**base, **workload},
    }


def test_single_qpu_time_and_ledger_follow_parameter_shift_accounting() -> None:
    result = qnet_dqnn.run(scenario_from_data(_train()))
    node = load_topology(METRO).node("campus")
    circuit = build_model(ModelSpec(qubits=3, layers=1)).circuit
    timing = qpu_timing(node)
    per_step = forward_cost(circuit, 4, 100, timing) + gradient_cost(circuit, 4, 100, timing)
    assert per_step.circuits == 4 * (1 + 2 * 6)  # B forward + 2 per parameter occurrence per sample
    totals = result.ledger["nodes"]["campus"]
    assert totals["circuits"] == 6 * per_step.circuits and totals["shots"] == 6 * per_step.shots
    assert result.simulated_time_s == pytest.approx(6 * per_step.qpu_time_s, rel=1e-6)  # nothing but compute
    assert result.ledger["totals"]["messages"] == 0
    assert result.metrics["updates"] == 6
    [spans] = result.timeline.values()
    assert [kind for _, _, kind in spans] == ["compute"] * 6


def test_training_stops_at_the_target_when_asked() -> None:
    result = qnet_dqnn.run(
        scenario_from_data(
            _train(max_steps=200, target_accuracy=0.6, stop_at_target=True, optimizer={"learning_rate": 0.2})
        )
    )
    assert result.metrics["updates"] < 200
    assert result.metrics["final_accuracy"] >= 0.6
    assert result.metrics["time_to_target_s"] == pytest.approx(result.simulated_time_s)


def test_the_simulated_time_limit_stops_training() -> None:
    data = _train(max_steps=1000)
    data["stop"] = {"simulated_time_s": 10.0}
    result = qnet_dqnn.run(scenario_from_data(data))
    assert 0 < result.metrics["updates"] < 1000
    assert result.simulated_time_s == pytest.approx(10.0)


def test_same_seed_same_curve_and_another_seed_differs() -> None:
    scenario = scenario_from_data(_train())
    first, second = qnet_dqnn.run(scenario), qnet_dqnn.run(scenario)
    assert first.to_json(include_wall=False) == second.to_json(include_wall=False)
    assert qnet_dqnn.run(scenario, seed=4).curves["loss"] != first.curves["loss"]


def test_noise_from_the_topology_lowers_accuracy_or_raises_loss() -> None:
    noisy = _train(noise=True, max_steps=3)
    clean = _train(noise=False, max_steps=3)
    noisy_result, clean_result = (qnet_dqnn.run(scenario_from_data(d)) for d in (noisy, clean))
    assert noisy_result.metrics["final_loss"] != clean_result.metrics["final_loss"]
    assert not math.isnan(noisy_result.metrics["final_accuracy"])


@pytest.mark.parametrize(
    "strategy, field, reason",
    [
        ({"type": "teleportation"}, "workload.strategy.type", "unknown strategy 'teleportation' (known: "),
        ({"type": "single", "node": "q9"}, "workload.strategy.node", "unknown node 'q9'"),
        ({"type": "single", "node": "hub"}, "workload.strategy.node", "node 'hub' is a repeater, not a qpu"),
        ({"type": "single", "node": "dc_south", "extra": 1}, "workload.strategy.extra", "unknown field"),
    ],
)
def test_bad_strategy_options_name_the_field(strategy: dict, field: str, reason: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(_train(strategy=strategy), "s.yaml")
    assert any(line.startswith(f"s.yaml: {field}: ") and reason in line for line in str(info.value).splitlines()), str(
        info.value
    )


def test_a_model_wider_than_the_qpu_is_refused() -> None:
    with pytest.raises(
        ScenarioError, match=r"workload\.strategy\.node: node 'dc_south' has 8 qubits; the model needs 10"
    ):
        scenario_from_data(_train(strategy={"type": "single", "node": "dc_south"}, model={"qubits": 10}), "s.yaml")
