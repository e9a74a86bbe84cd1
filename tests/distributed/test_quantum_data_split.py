"""Quantum data to a coherent split (issue 16, item 4): each training sample's qubit q is teleported from the
source to the node holding model qubit q in the split's partition, one pair and one teleport per qubit, on
the pair timeline the split then trains on."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qnet_dqnn.distributed import quantum_data
from qnet_dqnn.distributed.coherent import CoherentOptions, plan_partition
from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.distributed.quantum_data import quantum_data_problems
from qnet_dqnn.distributed.spec import TrainSpec, build_dataset, build_model
from qnet_dqnn.errors import ProtocolError
from qnet_dqnn.topology import TopologySpec, load_topology

ROOT = Path(__file__).resolve().parents[2]
SPLIT = load_topology(ROOT / "topologies" / "study_sensor_split.yaml")
STRATEGY = {"type": "coherent", "nodes": ["q0", "q1"]}
SAMPLES, VALIDATION = 16, 4  # 12 training chains


def spec(**extra: Any) -> dict[str, Any]:
    return {
        "model": {"qubits": 6, "layers": 1, "rotations": ["ry"], "readout": "mean", "encoding": "state"},
        "dataset": {"name": "tfim_parity", "samples": SAMPLES, "validation_samples": VALIDATION},
        "quantum_data": {"source": "lab"},
        "noise": False,
        "batch_size": 4,
        "shots": 10,
        "estimator": "exact",
        "max_steps": 2,
        **extra,
    }


def perfect(topology: TopologySpec) -> TopologySpec:
    """Perfect sources and ideal memories: every end-to-end pair is |Phi+> when used."""
    data = topology.model_dump()
    for link in data["links"]:
        if link["quantum"] is not None:
            link["quantum"]["source_fidelity"] = 1.0
    for node in data["nodes"]:
        node["hardware"], node["memory"] = None, {}  # the preset would bring its T1, T2 back
    return TopologySpec.model_validate(data)


def layout() -> list[str]:
    model = build_model(TrainSpec.model_validate({"type": "train", **spec()}).model)
    return plan_partition(model.circuit, SPLIT, CoherentOptions.model_validate(STRATEGY)).assignment


def test_each_qubit_goes_to_its_partition_node_with_one_pair_and_one_teleport() -> None:
    ctx = train_on(SPLIT, STRATEGY, seed=2, **spec())
    report = ctx.dataset.meta["quantum_data"]
    nodes = layout()
    assert report.layout == tuple(nodes)
    per_node = Counter(nodes)
    assert set(per_node) == {"q0", "q1"}  # the split really spreads a chain over two QPUs
    train = SAMPLES - VALIDATION
    paths = ctx.network.ledger.paths
    for node, qubits in per_node.items():  # one end-to-end pair per qubit, on the source's path to its node
        assert paths[f"lab~{node}"].e2e_pairs_consumed == qubits * train
    assert report.pairs == report.teleports == 6 * train
    assert ctx.network.ledger.nodes["lab"].teleports == 6 * train
    assert ctx.extra_metrics["quantum_data_pairs"] == 6 * train
    # the split's own telegates take the q0~q1 path, and only it
    assert paths["q0~q1"].e2e_pairs_consumed == ctx.extra_metrics["telegates"] > 0


def test_samples_are_moved_once_not_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    sources: list[Any] = []

    class Recording(quantum_data.SampleSource):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            sources.append(self)

    monkeypatch.setattr(quantum_data, "SampleSource", Recording)
    ctx = train_on(SPLIT, STRATEGY, seed=2, **spec(max_steps=1))
    (source,) = sources
    train = SAMPLES - VALIDATION
    assert sorted(source.sent_to) == list(range(train)) and not source._states  # every chain left, once
    with pytest.raises(ProtocolError):
        source.take(0, "q0")
    assert set(ctx.dataset.meta["quantum_data"].owner.values()) == {"q0+q1"}


def test_perfect_network_reproduces_single_qpu_training_on_the_ideal_states() -> None:
    ideal = {k: v for k, v in spec(max_steps=3).items() if k != "quantum_data"}
    split = train_on(perfect(SPLIT), STRATEGY, seed=4, **spec(max_steps=3))
    wide = perfect(SPLIT).model_dump()  # q0 wide enough for the whole model: the split's home, same minibatches
    wide["nodes"][2].update(qubits=7)
    single = train_on(TopologySpec.model_validate(wide), {"type": "single", "node": "q0"}, seed=4, **ideal)
    report = split.dataset.meta["quantum_data"]
    assert all(e == [0] * 6 for e in report.errors.values())
    clean = build_dataset(TrainSpec.model_validate({"type": "train", **ideal}).dataset, 6, 4)
    np.testing.assert_array_equal(split.dataset.x_train, clean.x_train)
    assert split.extra_metrics["pair_fidelity"] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(split.final_params, single.final_params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(split.recorder.losses, single.recorder.losses, rtol=0, atol=1e-10)


def test_delivery_is_deterministic_under_a_seed_and_its_errors_are_real() -> None:
    a = train_on(SPLIT, STRATEGY, seed=3, **spec(max_steps=1))
    b = train_on(SPLIT, STRATEGY, seed=3, **spec(max_steps=1))
    c = train_on(SPLIT, STRATEGY, seed=5, **spec(max_steps=1))
    ra, rb, rc = (x.dataset.meta["quantum_data"] for x in (a, b, c))
    assert ra.errors == rb.errors and ra.pair_fidelities == rb.pair_fidelities
    np.testing.assert_array_equal(a.dataset.x_train, b.dataset.x_train)
    np.testing.assert_array_equal(a.final_params, b.final_params)
    assert ra.errors != rc.errors  # F = 0.95 sources: errors are drawn, and per seed
    assert any(any(e) for e in ra.errors.values())
    assert 0.8 < float(np.mean(ra.pair_fidelities)) < 0.95  # two Werner 0.95 links swapped at the hub


def test_bad_combinations_are_named_before_any_run() -> None:
    cut = TrainSpec.model_validate({"type": "train", **spec(), "strategy": {"type": "cut"}})
    (problem,) = quantum_data_problems(cut, SPLIT)
    assert problem[0] == "quantum_data" and "'cut'" in problem[1]
    data = SPLIT.model_dump()
    data["links"][0]["quantum"] = None  # hub-lab carries no pairs: the split itself is fine, its data cannot come
    no_route = TopologySpec.model_validate(data)
    coherent = TrainSpec.model_validate({"type": "train", **spec(), "strategy": STRATEGY})
    assert quantum_data_problems(coherent, no_route) == [
        (
            "quantum_data.source",
            f"no quantum path from 'lab' to {node!r}, which holds qubits "
            f"{[q for q, n in enumerate(layout()) if n == node]} of the split",
        )
        for node in ("q0", "q1")
    ]
    assert quantum_data_problems(coherent, SPLIT) == []
