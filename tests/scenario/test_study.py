"""The flagship study (issue 16 item 4, docs/EXPERIMENTS.md): its scenarios meet the bar for a finding, and a
swept value outside its physical range stops the whole study, naming the sweep entry, before any run.

Resuming (a finished point is skipped) is the sweep's own, tested in ``test_sweep.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qnet_dqnn.cli import app
from qnet_dqnn.config import read_yaml_file
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
STUDY = sorted((ROOT / "scenarios" / "study").glob("*.yaml"))
runner = CliRunner()


def test_the_study_sweeps_five_seeds_with_sampled_shots_and_noise() -> None:
    strategies = set()
    for path in STUDY:
        scenario = load_scenario(path)
        sweep = read_yaml_file(path, ScenarioError)["sweep"]
        assert len(set(sweep["seed"])) >= 5, path.name
        assert "shots" in read_yaml_file(path, ScenarioError)["workload"], path.name  # set, not a default
        assert scenario.workload.estimator == "sampled", path.name  # values estimated from the shots
        strategy = scenario.workload.strategy["type"]
        strategies.add(strategy)
        assert scenario.workload.noise is True, path.name  # every row, the cut's fragments too
    assert strategies == {"coherent", "cut", "fedavg", "single"}


def _copy(tmp_path: Path, name: str, axis: str) -> Path:
    """The coherent study with its sweep replaced by ``axis`` (a YAML line) and the topology found from anywhere."""
    text = (ROOT / "scenarios" / "study" / "study_coherent_fidelity.yaml").read_text(encoding="utf-8")
    text = text.replace("../../topologies/study_star.yaml", str(ROOT / "topologies" / "study_star.yaml"))
    text = text[: text.index("sweep:")] + f"sweep:\n  {axis}\n  seed: [1, 2]\n"
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace("name: study_coherent_fidelity", f"name: {name}"), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("axis", "entry", "reason"),
    [
        (
            "topology.defaults.link.quantum.source_fidelity: [0.9, 0.2]",
            "source_fidelity=0.2",
            "greater than or equal to 0.25",
        ),
        ("topology.defaults.link.quantum.source_fidelity: [1.01]", "source_fidelity=1.01", "less than or equal to 1"),
        ("topology.defaults.link.length_km: [10.0, -5.0]", "length_km=-5.0", "greater than 0"),
        ("topology.defaults.node.memory.t2_s: [-1.0]", "t2_s=-1.0", "greater than 0"),
    ],
)
def test_an_unphysical_sweep_value_stops_the_study_before_any_run(
    tmp_path: Path, axis: str, entry: str, reason: str
) -> None:
    good = _copy(tmp_path, "good", "topology.defaults.link.quantum.source_fidelity: [0.9]")
    bad = _copy(tmp_path, "bad", axis)
    out = tmp_path / "results"
    result = runner.invoke(app, ["sweep", str(good), str(bad), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert "(sweep: topology.defaults." in result.output and entry in result.output and reason in result.output
    assert not out.exists()  # the good file, listed first, did not run either


@pytest.mark.parametrize("axis", ["fidelity", "length"])
def test_the_tfim_split_runs_the_ceilings_model_data_training_and_grid(axis: str) -> None:
    """The coherent split on the TFIM task differs from its ceiling only in where the model's qubits live: the
    same model, data, training, noise and sweep points, over two 4-qubit QPUs with 3 data qubits each."""
    ceiling_path, split_path = (
        ROOT / "scenarios" / "study" / f"study_tfim{kind}_{axis}.yaml" for kind in ("", "_coherent")
    )
    ceiling, split = (load_scenario(p).workload for p in (ceiling_path, split_path))
    for field in ("model", "dataset", "quantum_data", "optimizer", "batch_size", "shots", "noise", "max_steps"):
        assert getattr(split, field) == getattr(ceiling, field), field
    sweeps = [read_yaml_file(p, ScenarioError)["sweep"] for p in (ceiling_path, split_path)]
    assert sweeps[0] == sweeps[1]
    assert split.strategy["type"] == "coherent" and ceiling.strategy["type"] == "single"
    placed = split.strategy["placement"]
    topology = load_scenario(split_path).topology
    for node, qubits in placed.items():
        spec = topology.node(node)
        assert len(qubits) == spec.qubits - spec.communication_qubits == 3
