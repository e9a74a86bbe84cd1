"""The coherent-splitting study's scenarios (docs/experiments/coherent.py): every sweep point validates, the
placements put a remote gate in the readout's light cone, and the grids are the ones the study documents.

Nothing is trained here (the shipped-scenario tests run each base point, 2 steps); this checks the files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qnet_dqnn.distributed.coherent import CoherentOptions, plan_partition
from qnet_dqnn.distributed.spec import build_model
from qnet_dqnn.scenario.sweep import expand_sweep

ROOT = Path(__file__).resolve().parents[2]
FIDELITIES = [0.8, 0.85, 0.9, 0.95, 0.99, 0.999]
LENGTHS_KM = [1.0, 5.0, 10.0, 25.0, 50.0, 100.0]
STUDY = {
    "train_coherent_star4_2qpu_fidelity": ("topology.defaults.link.quantum.source_fidelity", FIDELITIES, 2),
    "train_coherent_star4_4qpu_fidelity": ("topology.defaults.link.quantum.source_fidelity", FIDELITIES, 4),
    "train_coherent_metro_2qpu_fidelity": ("topology.defaults.link.quantum.source_fidelity", FIDELITIES, 2),
    "train_coherent_metro_4qpu_fidelity": ("topology.defaults.link.quantum.source_fidelity", FIDELITIES, 4),
    "train_coherent_star4_2qpu_length": ("topology.links[0].length_km", LENGTHS_KM, 2),
    "train_coherent_star4_4qpu_length": ("topology.links[0].length_km", LENGTHS_KM, 4),
}
BASELINES = ("train_single_star4_8q", "train_single_metro_8q")


@pytest.mark.parametrize("name", list(STUDY))
def test_every_point_validates_and_the_readout_sees_a_telegate(name: str) -> None:
    axis, values, qpus = STUDY[name]
    points = expand_sweep(ROOT / "scenarios" / f"{name}.yaml")  # checks every point
    assert [p.params[axis] for p in points] == values
    for point in points:
        scenario = point.scenario()
        spec = scenario.workload
        assert spec.max_steps == 20 and spec.target_accuracy == 0.8 and spec.noise is True
        partition = plan_partition(
            build_model(spec.model).circuit, scenario.topology, CoherentOptions.model_validate(spec.strategy)
        )
        assert len(partition.nodes_used) == qpus
        # CNOT(0, 1) of the first layer is the one remote gate in the light cone of <Z_0>
        assert partition.assignment[0] != partition.assignment[1]
        if axis.endswith("source_fidelity"):
            swept = [
                link for link in scenario.topology.quantum_links if link.quantum.source_fidelity == point.params[axis]
            ]
            assert len(swept) >= 2
        else:
            assert scenario.topology.links[0].between == ["hub", "q0"]
            assert scenario.topology.links[0].length_km == point.params[axis]


def test_the_splits_and_the_baselines_train_the_same_model_on_the_same_data() -> None:
    specs = [expand_sweep(ROOT / "scenarios" / f"{name}.yaml")[0].scenario().workload for name in (*STUDY, *BASELINES)]
    for spec in specs[1:]:
        for field in ("model", "dataset", "optimizer", "batch_size", "shots", "estimator", "max_steps"):
            assert getattr(spec, field) == getattr(specs[0], field), field
