"""`make demo` (scenarios/demo/): one model on one network, every family of strategy, and a table in which the
network's costs show.

The demo trains 30 steps (about half a minute of wall time); here each scenario runs 2 steps, twice, which is
enough to check what the table must show and that reruns give the same bytes.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import qnet_dqnn
from qnet_dqnn.report.study import comparison_rows
from qnet_dqnn.scenario import RunResult, Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios" / "demo"
#: The order `make demo` runs them in (the Makefile's DEMO_SCENARIOS).
ROWS = ("single", "fedavg", "coherent_telegate", "coherent_teleport", "cut_feedforward", "hybrid")
STEPS = 2


def _short(name: str) -> Scenario:
    scenario = load_scenario(DEMO / f"{name}.yaml")
    return scenario.model_copy(update={"workload": scenario.workload.model_copy(update={"max_steps": STEPS})})


@pytest.fixture(scope="module")
def runs() -> dict[str, RunResult]:
    return {name: qnet_dqnn.run(_short(name)) for name in ROWS}


def test_the_makefile_runs_every_demo_scenario_in_order() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    listed = re.search(r"DEMO_SCENARIOS \?= .*,([a-z_ ]+)\)\)", makefile)
    assert listed is not None and tuple(listed.group(1).split()) == ROWS
    assert sorted(p.stem for p in DEMO.glob("*.yaml")) == sorted(ROWS)


def test_one_model_one_network_one_dataset() -> None:
    scenarios = [load_scenario(DEMO / f"{name}.yaml") for name in ROWS]
    first = scenarios[0]
    for s in scenarios[1:]:
        assert s.topology_source == first.topology_source and s.seed == first.seed
        a = s.workload.model_dump(exclude={"strategy", "noise"})
        assert a == first.workload.model_dump(exclude={"strategy", "noise"}), s.name
    assert first.workload.shots is not None  # sampled shots, whichever default lands
    # noise on in every row, on QPUs that have some (the trapped_ion preset's gate and readout errors)
    assert all(s.workload.noise for s in scenarios)
    assert all(n.gates.two_qubit_error > 0 and n.readout_error > 0 for n in first.topology.nodes if n.kind == "qpu")
    assert [s.workload.strategy["type"] for s in scenarios] == [
        "single",
        "fedavg",
        "coherent",
        "coherent",
        "cut",
        "hybrid",
    ]


def test_the_table_shows_what_each_family_spends(runs: dict[str, RunResult]) -> None:
    rows = {r["scenario"]: r for r in comparison_rows({name: [run] for name, run in runs.items()})}
    pairs_and_bits = [n for n, r in rows.items() if r["pairs consumed mean"] > 0 and r["bits mean"] > 0]
    assert pairs_and_bits == ["coherent_telegate", "coherent_teleport", "hybrid"]
    assert rows["coherent_telegate"]["telegates mean"] > 0 and rows["coherent_teleport"]["teleports mean"] > 0
    assert rows["coherent_teleport"]["pairs consumed mean"] == 2 * rows["coherent_telegate"]["pairs consumed mean"]
    assert rows["single"]["messages mean"] == 0 and rows["fedavg"]["messages mean"] > 0
    assert rows["fedavg"]["pairs consumed mean"] == 0 == rows["cut_feedforward"]["pairs consumed mean"]
    assert rows["cut_feedforward"]["sampling overhead mean"] == pytest.approx(81.0)
    assert runs["cut_feedforward"].metrics["feedforward_messages"] > 0
    for name, r in rows.items():
        assert r["shots mean"] > 0 and r["final accuracy mean"] > 0, name
        cone = r["remote ops in cone mean"]  # NaN where nothing is split
        assert cone > 0 if name not in ("single", "fedavg") else math.isnan(cone), name
    # the split rows wait for pairs: the network, not the QPUs, sets their pace
    for name in ("coherent_telegate", "coherent_teleport", "hybrid"):
        assert runs[name].metrics["wait_pairs_s"] > 0, name
        assert any(kind == "wait_pairs" for spans in runs[name].timeline.values() for *_, kind in spans), name


def test_a_rerun_gives_the_same_bytes(runs: dict[str, RunResult]) -> None:
    for name in ROWS:
        assert qnet_dqnn.run(_short(name)).to_json(include_wall=False) == runs[name].to_json(include_wall=False), name
