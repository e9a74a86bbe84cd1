"""Scenarios: loading errors, shipped scenarios run, determinism under a seed, the result record on disk."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import qnet_dqnn
from qnet_dqnn.errors import ScenarioError, TopologyError
from qnet_dqnn.report import save_result
from qnet_dqnn.scenario import RunResult, scenario_from_data

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
CHARACTERIZE = [p for p in SHIPPED if qnet_dqnn.load_scenario(p).workload_type == "characterize"]


def _scenario_data(**overrides: object) -> dict:
    data = {
        "name": "tiny",
        "topology": str(ROOT / "topologies" / "star4.yaml"),
        "seed": 1,
        "stop": {"simulated_time_s": 0.01},
        "workload": {"type": "characterize", "storage_time_s": 1e-4},
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_loads_with_its_topology(path: Path) -> None:
    scenario = qnet_dqnn.load_scenario(path)
    assert scenario.topology.nodes and path.read_text().startswith("#"), "each file opens with a comment"


@pytest.mark.parametrize("path", CHARACTERIZE, ids=[p.stem for p in CHARACTERIZE])
def test_shipped_characterization_runs_and_agrees_with_theory(path: Path) -> None:
    result = qnet_dqnn.run(path)
    assert result.metrics["pairs_delivered"] > 100
    for row in result.tables["links"]:
        assert abs(row["rate_z"]) < 4, row
        assert row["fidelity_delivered"] == pytest.approx(row["analytic_fidelity_delivered"], abs=1e-9)
        assert row["fidelity_stored"] == pytest.approx(row["analytic_fidelity_stored"], abs=1e-9)
    for row in result.tables["latency"]:
        assert row["latency_s"] == pytest.approx(row["analytic_latency_s"], abs=1e-9 * (row["hops"] + 1) * 3)


def test_same_seed_gives_an_identical_record_and_another_seed_differs() -> None:
    scenario = scenario_from_data(_scenario_data())
    first, second = qnet_dqnn.run(scenario), qnet_dqnn.run(scenario)
    assert first.to_json(include_wall=False) == second.to_json(include_wall=False)
    assert first.wall and "wall" not in json.loads(first.to_json(include_wall=False))
    other = qnet_dqnn.run(scenario, seed=2)
    assert other.to_json(include_wall=False) != first.to_json(include_wall=False)
    assert [r["pairs_delivered"] for r in other.tables["links"]] != [
        r["pairs_delivered"] for r in first.tables["links"]
    ]


def test_ledger_totals_equal_the_sum_over_links() -> None:
    result = qnet_dqnn.run(scenario_from_data(_scenario_data()))
    links = result.ledger["links"].values()
    for key in ("messages", "bits", "attempts", "pairs_delivered", "pairs_consumed"):
        assert result.ledger["totals"][key] == sum(link[key] for link in links)
    assert result.ledger["totals"]["pairs_delivered"] == result.metrics["pairs_delivered"]


def test_result_is_written_and_reads_back(tmp_path: Path) -> None:
    result = qnet_dqnn.run(scenario_from_data(_scenario_data()))
    folder = save_result(result, tmp_path)
    assert folder.parent == tmp_path / "tiny"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["characterize.png", "latency.csv", "links.csv", "result.json"]
    back = RunResult.from_dict(json.loads((folder / "result.json").read_text()))
    assert back.to_json() == result.to_json()
    assert (folder / "characterize.png").stat().st_size > 10_000
    assert not list(folder.glob(".*"))  # no temporary files left behind
    again = save_result(result, tmp_path)
    assert again != folder  # a second save never overwrites the first


SCENARIO_CASES = {
    "unknown workload": ({"workload": {"type": "dance"}}, "workload.type", "unknown workload 'dance' (known: "),
    "bad workload field": (
        {"workload": {"type": "characterize", "storage_s": 1}},
        "workload.storage_s",
        "unknown field",
    ),
    "negative storage": (
        {"workload": {"type": "characterize", "storage_time_s": -1.0}},
        "workload.storage_time_s",
        "greater than or equal to 0",
    ),
    "missing stop": ({"stop": None}, "stop", "valid dictionary"),
    "zero duration": ({"stop": {"simulated_time_s": 0}}, "stop.simulated_time_s", "greater than 0"),
    "negative seed": ({"seed": -3}, "seed", "greater than or equal to 0"),
    "bad name": ({"name": "a/b"}, "name", "should match pattern"),
    "missing topology": ({"topology": "nowhere.yaml"}, "topology", "file not found: 'nowhere.yaml'"),
    "unknown field": ({"colour": 1}, "colour", "unknown field"),
}


@pytest.mark.parametrize("overrides, field, reason", SCENARIO_CASES.values(), ids=list(SCENARIO_CASES))
def test_bad_scenario_names_field_and_reason(overrides: dict, field: str, reason: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(_scenario_data(**overrides), "s.yaml")
    assert any(line.startswith(f"s.yaml: {field}: ") and reason in line for line in str(info.value).splitlines()), str(
        info.value
    )


def test_a_bad_topology_is_reported_with_the_topology_file(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("nodes: [{name: a, qubits: 0}]\n")
    (tmp_path / "s.yaml").write_text(
        "name: s\ntopology: t.yaml\nstop: {simulated_time_s: 1}\nworkload: {type: characterize}\n"
    )
    with pytest.raises(TopologyError, match=r"t\.yaml: nodes\[0\]\.qubits: a qpu needs"):
        qnet_dqnn.load_scenario(tmp_path / "s.yaml")


def test_progress_is_reported_up_to_completion() -> None:
    seen: list[float] = []
    qnet_dqnn.run(scenario_from_data(_scenario_data()), progress=seen.append)
    assert seen == sorted(seen) and math.isclose(seen[-1], 1.0) and len(seen) >= 10


def test_every_problem_of_a_scenario_file_is_reported_in_one_pass() -> None:
    data = _scenario_data(stop={"simulated_time_s": 0}, workload={"type": "characterize", "storage_s": 1}, colour=1)
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(data, "s.yaml")
    assert {path for path, _ in info.value.problems} == {"stop.simulated_time_s", "colour", "workload.storage_s"}


def test_a_topology_given_as_a_scenario_is_named_as_such() -> None:
    with pytest.raises(ScenarioError, match=r"this is a topology file, not a scenario: it has defaults, links, nodes"):
        qnet_dqnn.load_scenario(ROOT / "topologies" / "star4.yaml")
