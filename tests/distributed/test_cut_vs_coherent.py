"""Cut versus coherent on the same 8-qubit model and network: the overhead contrast `compare` shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from qnet_dqnn.report.study import comparison_rows
from qnet_dqnn.scenario import load_scenario
from qnet_dqnn.scenario.compare import run_comparison

ROOT = Path(__file__).resolve().parents[2]
CUT = ROOT / "scenarios" / "compare_cut_small_qpus.yaml"
COHERENT = ROOT / "scenarios" / "compare_coherent_small_qpus.yaml"


def test_the_two_scenarios_differ_only_in_strategy() -> None:
    cut, coherent = load_scenario(CUT), load_scenario(COHERENT)
    assert cut.topology_source == coherent.topology_source and cut.seed == coherent.seed
    a = cut.workload.model_dump(exclude={"strategy"})
    b = coherent.workload.model_dump(exclude={"strategy"})
    assert a == b and a["noise"] is False and a["model"]["qubits"] == 8


@pytest.fixture(scope="module")
def runs() -> dict:
    return run_comparison([CUT, COHERENT], seeds=1)


def test_cut_pays_in_circuits_coherent_in_pairs(runs: dict) -> None:
    (cut,), (coherent,) = runs["compare_cut_small_qpus"], runs["compare_coherent_small_qpus"]
    ct, ht = cut.ledger["totals"], coherent.ledger["totals"]
    # cut: no quantum link used, γ² > 1 paid in sub-experiment circuits and shots
    assert ct["pairs_consumed"] == 0 and ct["pairs_delivered"] == 0 and ct["telegates"] == 0
    assert cut.metrics["sampling_overhead"] == pytest.approx(81.0)
    assert cut.metrics["gate_cuts"] == 2 and cut.metrics["max_fragment_width"] <= 4
    assert ct["circuits"] > ht["circuits"] and ct["shots"] > ht["shots"]
    assert ct["bits"] > ht["bits"]  # job and result messages against 1-bit telegate messages
    # coherent: one pair per telegate per shot, two 1-bit messages per telegate
    assert ht["pairs_consumed"] > 0 and ht["pairs_consumed"] == ht["telegates"]
    assert coherent.metrics["pairs_consumed"] == ht["telegates"]
    # every QPU holding qubits books each split circuit's shots: shots / qpus_used runs of the whole circuit
    runs_of_circuit = ht["shots"] / coherent.metrics["qpus_used"]
    assert ht["telegates"] == coherent.metrics["telegates_per_circuit"] * runs_of_circuit
    assert ht["messages"] == 2 * ht["telegates"]
    # same training: the same number of updates, both reach some accuracy
    assert cut.metrics["updates"] == coherent.metrics["updates"] == 8
    assert 0.0 < cut.metrics["final_accuracy"] <= 1.0 and 0.0 < coherent.metrics["final_accuracy"] <= 1.0


def test_comparison_table_has_both_overheads(runs: dict) -> None:
    rows = {r["scenario"]: r for r in comparison_rows(runs)}
    cut, coherent = rows["compare_cut_small_qpus"], rows["compare_coherent_small_qpus"]
    assert cut["pairs consumed mean"] == 0 and coherent["pairs consumed mean"] > 0
    assert cut["sampling overhead mean"] == pytest.approx(81.0)
    assert cut["circuits mean"] > coherent["circuits mean"]
