"""The coherent split as a replica object (``CoherentReplica``, used by ``hybrid``): node override, its own
random streams, exact gradients over perfect pairs, and replicas running at once keeping their ledgers apart."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qnet_dqnn.distributed.coherent import CoherentOptions, CoherentReplica
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.spec import TrainSpec, build_dataset, build_model, build_optimizer
from qnet_dqnn.net import Network
from qnet_dqnn.rng import component_rng
from qnet_dqnn.topology import load_topology
from qnet_dqnn.units import to_ticks

ROOT = Path(__file__).resolve().parents[2]
STAR4 = load_topology(ROOT / "topologies" / "star4.yaml")
STAR4_WERNER = load_topology(ROOT / "topologies" / "star4_werner.yaml")
GROUPS = (["q0", "q1"], ["q2", "q3"])
#: Node counters of the shared hub that both replicas' swaps move (the rest of the ledger is per replica).
SHARED = {"hub"}


def context(topology: Any = STAR4, seed: int = 3, **spec: Any) -> TrainingContext:
    """A training context as the ``train`` workload builds it (8-qubit model, noise-free, 10 shots)."""
    data = {"model": {"qubits": 8, "layers": 1}, "noise": False, "shots": 10, "estimator": "exact", **spec}
    train = TrainSpec.model_validate({"type": "train", "strategy": {"type": "coherent"}, **data})
    network = Network.from_topology(topology, seed)
    model = build_model(train.model)
    dataset = build_dataset(train.dataset, train.model.qubits, seed)
    return TrainingContext(network, train, model, dataset, build_optimizer(train.optimizer), seed, to_ticks(1e6))


def options(**extra: Any) -> CoherentOptions:
    return CoherentOptions.model_validate({"type": "coherent", **extra})


def run_steps(ctx: TrainingContext, replicas: list[CoherentReplica]) -> list[np.ndarray | None]:
    """One step of every replica at once, on the same batch; their gradients."""
    x, y = ctx.dataset.x_train[:4], ctx.dataset.y_train[:4]
    env = ctx.network.env
    procs = [env.process(r.step(ctx.init_params, x, y)) for r in replicas]
    env.run(until=env.all_of(procs))
    return [p.value for p in procs]


def test_nodes_override_the_options_and_name_the_streams() -> None:
    ctx = context()
    plain = CoherentReplica(ctx, options(nodes=["q0", "q1"]))
    other = CoherentReplica(ctx, options(nodes=["q0", "q1"]), nodes=["q3", "q2"], name="hybrid:1")
    assert set(plain.nodes_used) == {"q0", "q1"} and set(other.nodes_used) == {"q2", "q3"}
    assert plain.home == "q0" and other.home == "q3"  # the first used node in the given order
    # the plain strategy's replica keeps the stream it always had; another name gets its own
    assert plain.evaluator.rng.random() == component_rng(3, "coherent:evaluate").random()
    assert other.evaluator.rng.random() == component_rng(3, "hybrid:1:evaluate").random()
    assert not plain.stopped and not other.stopped
    assert plain.metrics(ctx.init_params)["qpus_used"] == 2.0


def test_a_replica_step_over_perfect_pairs_gives_the_unsplit_gradient() -> None:
    ctx = context()
    replica = CoherentReplica(ctx, options(), nodes=list(GROUPS[0]))
    x, y = ctx.dataset.x_train[:4], ctx.dataset.y_train[:4]
    (grad,) = run_steps(ctx, [replica])
    _, reference = ctx.model.loss_and_grad(ctx.init_params, x, y)
    assert grad is not None
    np.testing.assert_allclose(grad, reference, rtol=0, atol=1e-10)
    assert replica.metrics(ctx.init_params)["pairs_consumed"] > 0
    # each node is busy for the step's shots, each a whole number of ticks (as the demand schedules them)
    shots = ctx.network.ledger.nodes["q0"].shots
    assert shots > 0
    for node in replica.nodes_used:
        assert ctx.network.ledger.nodes[node].busy_ticks == shots * to_ticks(replica.per_shot_s)


def test_replicas_running_at_once_keep_their_ledgers_apart() -> None:
    alone = [context(STAR4_WERNER) for _ in GROUPS]
    for ctx, group in zip(alone, GROUPS, strict=True):
        run_steps(ctx, [CoherentReplica(ctx, options(), nodes=list(group), name=f"r{group[0]}")])
    both = context(STAR4_WERNER)
    replicas = [CoherentReplica(both, options(), nodes=list(g), name=f"r{g[0]}") for g in GROUPS]
    grads = run_steps(both, replicas)
    assert all(g is not None for g in grads)
    for ctx, group in zip(alone, GROUPS, strict=True):
        mine = [f"hub-{n}" for n in group]
        for link in mine:  # each replica's links move as if it ran alone
            together, apart = both.network.ledger.links[link], ctx.network.ledger.links[link]
            # the replicas share only the hub's memory; every count is the same
            assert together.memory_wait_ticks == pytest.approx(apart.memory_wait_ticks, rel=0.01)
            assert replace(together, memory_wait_ticks=0) == replace(apart, memory_wait_ticks=0)
        for node in group:
            assert both.network.ledger.nodes[node] == ctx.network.ledger.nodes[node]
    totals = sum(r.metrics(both.init_params)["pairs_consumed"] for r in replicas)
    assert sum(p.e2e_pairs_consumed for p in both.network.ledger.paths.values()) == totals


@pytest.mark.parametrize("down", ["q1", "q0"])
def test_a_step_with_a_node_down_returns_none_and_stops_if_it_never_returns(down: str) -> None:
    ctx = context()
    replica = CoherentReplica(
        ctx, options(nodes=["q0", "q1"], faults={"dropout": [{"node": down, "at_s": 0.0}]}), name="r"
    )
    assert run_steps(ctx, [replica]) == [None]
    assert replica.stopped
    assert replica.metrics(ctx.init_params)["failed_steps"] == 1.0


def test_output_fidelity_beyond_dm_max_qubits_sums_pauli_patterns_over_statevectors() -> None:
    values = []
    for dm_max in (8, 4):  # 8 qubits: density matrices, then the exact pattern sum
        ctx = context(STAR4_WERNER)
        replica = CoherentReplica(ctx, options(nodes=["q0", "q1"], placement={"q1": [0]}, dm_max_qubits=dm_max))
        run_steps(ctx, [replica])
        values.append(replica.metrics(ctx.init_params)["output_fidelity"])
    assert values[0] < 1.0
    assert values[1] == pytest.approx(values[0], abs=1e-12)
