"""The distribute workload: shipped scenarios, determinism, the record, deadline failures."""

from __future__ import annotations

from pathlib import Path

import pytest

import qnet_dqnn
from qnet_dqnn.report import save_result
from qnet_dqnn.scenario import scenario_from_data

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("distribute_*.yaml"))


def _data(**workload: object) -> dict:
    return {
        "name": "dist",
        "topology": str(ROOT / "topologies" / "chain5_noisy.yaml"),
        "seed": 1,
        "stop": {"simulated_time_s": 0.5},
        "workload": {"type": "distribute", "pairs": [["qa", "qb"]], "pairs_per_request": 20, **workload},
    }


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_distribute_scenarios_deliver_what_they_ask(path: Path) -> None:
    result = qnet_dqnn.run(path, trace=False)
    assert result.metrics["requests_done"] == result.metrics["requests"]
    for row in result.tables["requests"]:
        assert row["status"] == "done" and row["delivered"] > 0
        assert 0.25 <= row["fidelity_min"] <= row["fidelity_mean"] <= 1.0
    assert result.ledger["totals"]["e2e_pairs_delivered"] == result.metrics["e2e_pairs_delivered"]


def test_purified_pairs_meet_the_target_and_cost_more() -> None:
    plain = qnet_dqnn.run(scenario_from_data(_data()))
    purified = qnet_dqnn.run(scenario_from_data(_data(min_fidelity=0.85)))
    assert all(r["fidelity"] >= 0.85 for r in purified.tables["deliveries"])
    assert plain.metrics["fidelity_mean"] < 0.85
    assert purified.metrics["link_pairs_per_pair"] > 2 * plain.metrics["link_pairs_per_pair"]
    assert purified.metrics["purification_successes"] <= purified.metrics["purification_attempts"]


def test_same_seed_same_record_and_the_record_is_saved(tmp_path: Path) -> None:
    scenario = scenario_from_data(_data(pair_model="density_matrix"))
    first, second = qnet_dqnn.run(scenario), qnet_dqnn.run(scenario)
    assert first.to_json(include_wall=False) == second.to_json(include_wall=False)
    folder = save_result(first, tmp_path)
    assert {"deliveries.csv", "requests.csv", "result.json", "distribute.png"} <= {p.name for p in folder.iterdir()}


def test_a_request_past_its_deadline_is_reported_as_failed() -> None:
    result = qnet_dqnn.run(scenario_from_data(_data(pairs_per_request=10_000, deadline_s=0.01)))
    [row] = result.tables["requests"]
    assert row["status"] == "failed" and "missed its deadline of 0.01 s" in row["reason"]
