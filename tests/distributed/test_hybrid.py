"""The ``hybrid`` strategy: L groups, each a split replica, averaged like a synchronous parameter server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qnet_dqnn.distributed.coherent import CoherentOptions, plan_partition, step_workload
from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.distributed.hybrid import combine_metrics
from qnet_dqnn.distributed.spec import ModelSpec, build_model
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
STAR4 = load_topology(ROOT / "topologies" / "star4.yaml")
GROUPS = [["q0", "q1"], ["q2", "q3"]]
# full batches (each group's batch is its whole shard) and SGD: the averaged gradient is the full-batch one
FULL: dict[str, Any] = {
    "noise": False,
    "batch_size": 10_000,
    "shots": 10,
    "estimator": "exact",
    "dataset": {"samples": 40, "validation_samples": 10},
    "max_steps": 3,
    "optimizer": {"type": "sgd", "learning_rate": 0.3},
}


def _sends(ctx: Any, kind: str) -> int:
    return sum(1 for e in ctx.network.trace.events if e.kind == "send" and e.detail.startswith(f"{kind} to"))


@pytest.mark.parametrize(
    ("replica", "qubits"),
    [({"type": "cut", "qubit_limit": 2}, 4), ({"type": "coherent"}, 8)],
    ids=["cut", "coherent"],
)
def test_exact_replicas_follow_single_qpu_full_batch_training(replica: dict[str, Any], qubits: int) -> None:
    spec = {**FULL, "model": {"qubits": qubits, "layers": 1}}
    single = train_on(STAR4, {"type": "single", "node": "q0"}, seed=3, **spec)
    hybrid = train_on(STAR4, {"type": "hybrid", "replica": replica, "groups": GROUPS}, seed=3, **spec)
    np.testing.assert_allclose(hybrid.final_params, single.final_params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(hybrid.recorder.losses, single.recorder.losses, rtol=0, atol=1e-10)
    assert hybrid.extra_metrics["replicas"] == 2 and hybrid.extra_metrics["rounds"] == 3


def test_coherent_groups_pay_their_pairs_and_one_gradient_and_one_parameter_message_each() -> None:
    spec = {**FULL, "model": {"qubits": 8, "layers": 1}, "dataset": {"samples": 24, "validation_samples": 6}}
    ctx = train_on(STAR4, {"type": "hybrid", "replica": {"type": "coherent"}, "groups": GROUPS}, seed=2, **spec)
    model = build_model(ModelSpec(qubits=8, layers=1))
    shard = len(ctx.dataset.x_train) // 2  # 18 training samples: 9 per group
    pairs = 0
    for group in GROUPS:
        options = CoherentOptions(type="coherent", nodes=group)
        assignment = plan_partition(model.circuit, STAR4, options).assignment
        pairs += sum(step_workload(model.circuit, assignment, shard, 10).pairs.values())
    assert ctx.extra_metrics["pairs_consumed"] == pytest.approx(3 * pairs)
    # the hub is the centre of the star: 2 gradients in and 2 parameter vectors out per round
    assert _sends(ctx, "gradient") == 3 * 2 and _sends(ctx, "params") == 3 * 2
    # both groups draw their pairs through the hub at once; every end-to-end pair took exactly one swap there
    # (BSM success 1), however the representative batches of the two groups interleaved
    assert ctx.network.ledger.nodes["hub"].swaps == pytest.approx(3 * pairs)
    hub_bits = ctx.network.ledger.links["hub-q0"].bits
    assert hub_bits >= 3 * 2 * ctx.message_bits  # q0 is the first group's home: its gradient and parameters


def test_same_seed_same_run() -> None:
    spec = {**FULL, "model": {"qubits": 4, "layers": 1}, "batch_size": 4}
    strategy = {"type": "hybrid", "replica": {"type": "cut", "qubit_limit": 2}, "replicas": 2}
    a, b = (train_on(STAR4, strategy, seed=7, **spec) for _ in range(2))
    assert a.recorder.losses == b.recorder.losses and a.extra_metrics == b.extra_metrics
    c = train_on(STAR4, strategy, seed=8, **spec)
    assert c.recorder.losses != a.recorder.losses


@pytest.mark.parametrize(
    ("strategy", "field", "reason"),
    [
        ({"replica": {"type": "single"}}, "strategy.replica.type", "split replica"),
        ({"replica": {"type": "cut", "nodes": ["q0"]}}, "strategy.replica.nodes", "groups give"),
        ({"replica": {"type": "cut", "samples": 1}}, "strategy.replica.samples", "greater than or equal"),
        ({"replica": {"type": "cut"}, "groups": [["q0", "q1"], ["q1", "q2"]]}, "strategy.groups[1][0]", "already"),
        ({"replica": {"type": "cut"}, "groups": [["q0", "q9"]]}, "strategy.groups[0][1]", "unknown node 'q9'"),
        ({"replica": {"type": "cut"}, "replicas": 5}, "strategy.replicas", "4 qpu nodes"),
        ({"replica": {"type": "coherent"}, "groups": [["q0"], ["q1", "q2"]]}, "strategy.groups[0]", "7 data qubits"),
        ({"replica": {"type": "cut"}, "groups": []}, "strategy.groups", "at least 1"),
        ({"replica": {"type": "cut"}, "replicas": 3}, "strategy.replicas", "4 qpu nodes do not split into 3"),
    ],
)
def test_bad_options_name_the_field(strategy: dict[str, Any], field: str, reason: str) -> None:
    spec = {**FULL, "model": {"qubits": 8, "layers": 1}}
    with pytest.raises(ScenarioError) as err:
        train_on(STAR4, {"type": "hybrid", **strategy}, **spec)
    fields = [(p, r) for p, r in err.value.problems]
    assert any(p == field and reason in r for p, r in fields), fields


def test_metrics_of_the_groups_add_up_counts_and_average_the_rest() -> None:
    out = combine_metrics(
        [{"pairs_consumed": 10.0, "output_fidelity": 0.9}, {"pairs_consumed": 6.0, "output_fidelity": 0.7}]
    )
    assert out == {"pairs_consumed": 16.0, "output_fidelity": pytest.approx(0.8)}


@pytest.mark.parametrize(
    "strategy", [{"type": "single", "node": "q0"}, {"type": "hybrid", "replica": {"type": "coherent"}}]
)
def test_a_model_too_wide_for_one_statevector_trains_only_through_cuts(strategy: dict[str, Any]) -> None:
    spec = {**FULL, "model": {"qubits": 32, "layers": 2, "ansatz": "blocks"}, "dataset": {"name": "digits"}}
    with pytest.raises(ScenarioError) as err:
        train_on(STAR4, strategy, **spec)
    assert any(p == "model.qubits" and "cut strategy" in r for p, r in err.value.problems), err.value.problems
