"""Federated averaging, the asynchronous and stale-synchronous parameter servers, stragglers and drop-outs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.quantum import forward_cost, gradient_cost
from qnet_dqnn.topology import TopologySpec, load_topology

ROOT = Path(__file__).resolve().parents[2]
FULL_BATCH = {
    "model": {"qubits": 3, "layers": 1},
    "dataset": {"samples": 50, "validation_samples": 12},  # 38 training samples: shards of 10, 10, 9, 9
    "batch_size": 10_000,
    "noise": False,
    "target_accuracy": None,
    "shots": 100,
    "estimator": "exact",
}
LEARN = {
    "model": {"qubits": 2, "layers": 2},
    "dataset": {"name": "moons", "samples": 160, "validation_samples": 40},
    "batch_size": 8,
    "noise": False,
    "shots": 100,
    "estimator": "exact",
    "target_accuracy": 0.85,
}
SLOW_Q3 = {"slow": {"q3": 5.0}}


@pytest.fixture(scope="module")
def star4() -> TopologySpec:
    return load_topology(ROOT / "topologies" / "star4.yaml")


def test_fedavg_over_identical_shards_with_one_local_step_is_one_centralized_step(star4: TopologySpec) -> None:
    single = train_on(star4, {"type": "single"}, max_steps=1, **FULL_BATCH)
    identical = {"type": "fedavg", "sharding": "replicate", "local_steps": 1, "local_optimizer": "adam"}
    fed = train_on(star4, identical, max_steps=1, **FULL_BATCH)  # one fresh Adam step, as the single QPU's first
    np.testing.assert_allclose(fed.final_params, single.final_params, rtol=1e-12, atol=1e-13)
    assert not np.allclose(fed.final_params, fed.init_params)


def test_fedavg_with_sgd_and_one_local_step_follows_full_batch_gradient_descent(star4: TopologySpec) -> None:
    kw = {**FULL_BATCH, "optimizer": {"type": "sgd", "learning_rate": 0.5}, "max_steps": 5}
    single = train_on(star4, {"type": "single"}, **kw)
    fed = train_on(star4, {"type": "fedavg"}, **kw)  # disjoint shards of unequal size, weighted n_k / n
    np.testing.assert_allclose(fed.recorder.losses, single.recorder.losses, rtol=1e-10)
    np.testing.assert_allclose(fed.final_params, single.final_params, rtol=1e-10, atol=1e-12)
    more = train_on(star4, {"type": "fedavg", "local_steps": 3}, **kw)
    assert not np.allclose(more.final_params, single.final_params)  # E > 1 is not centralized SGD


def test_fedavg_client_fraction_sends_2m_messages_per_round(star4: TopologySpec) -> None:
    ctx = train_on(star4, {"type": "fedavg", "client_fraction": 0.5, "local_steps": 2}, max_steps=6, **LEARN)
    ledger = ctx.network.ledger
    assert ctx.extra_metrics["clients_per_round"] == 2
    assert sum(n.messages_sent for n in ledger.nodes.values()) == 6 * 2 * 2
    assert sum(link.bits for link in ledger.links.values()) == 6 * 2 * 2 * ctx.message_bits  # 1 hop each
    circuits = [ledger.nodes[q].circuits for q in ("q0", "q1", "q2", "q3")]
    assert sum(c > 0 for c in circuits) >= 3  # different clients were chosen in different rounds
    qpu = ctx.qpu("q0")
    cost = forward_cost(ctx.model.circuit, 8, 100, qpu.timing) + gradient_cost(ctx.model.circuit, 8, 100, qpu.timing)
    assert sum(circuits) == 6 * 2 * 2 * cost.circuits  # rounds x clients x E gradients of 8 samples


def test_async_beats_sync_in_simulated_time_with_a_5x_straggler_and_shows_staleness(star4: TopologySpec) -> None:
    rounds = 10
    sync = train_on(star4, {"type": "parameter_server", "faults": SLOW_Q3}, max_steps=rounds, **LEARN)
    asyn = train_on(star4, {"type": "async_parameter_server", "faults": SLOW_Q3}, max_steps=4 * rounds, **LEARN)
    # the same number of gradient evaluations (4 per synchronous round)
    assert asyn.network.now < sync.network.now / 2
    assert len(asyn.staleness) == asyn.updates == 4 * rounds
    assert asyn.extra_metrics["staleness_max"] >= 3  # the straggler's gradients lag several updates behind
    assert asyn.extra_metrics["gradients_q3"] < asyn.extra_metrics["gradients_q0"]
    assert sync.extra_metrics["rounds"] == rounds
    # synchronous rounds all wait for q3: about 5 fast gradient times each
    fast = sync.network.ledger.nodes["q0"].busy_ticks / rounds
    assert sync.network.now > 4.5 * fast * rounds


def test_ssp_keeps_worker_clocks_within_the_bound(star4: TopologySpec) -> None:
    for bound in (0, 2):
        ctx = train_on(
            star4,
            {"type": "async_parameter_server", "staleness_bound": bound, "faults": SLOW_Q3},
            max_steps=24,
            **LEARN,
        )
        counts = [ctx.extra_metrics[f"gradients_q{i}"] for i in range(4)]
        assert max(counts) - min(counts) <= bound + 1, counts
        assert ctx.extra_metrics["ssp_wait_s"] > 0
    free = train_on(star4, {"type": "async_parameter_server", "faults": SLOW_Q3}, max_steps=24, **LEARN)
    counts = [free.extra_metrics[f"gradients_q{i}"] for i in range(4)]
    assert max(counts) - min(counts) > 3  # without a bound the fast workers run ahead


# A gradient of 8 samples takes 4.76 s of QPU time here; the runs last 80-100 s.
DROPOUT_CASES = {
    "ps for good": {
        "type": "parameter_server",
        "round_timeout_s": 10.0,
        "faults": {"dropout": [{"node": "q2", "at_s": 20.0}]},
    },
    "ps interval": {
        "type": "parameter_server",
        "round_timeout_s": 10.0,
        "faults": {"dropout": [{"node": "q2", "at_s": 20.0, "until_s": 50.0}]},
    },
    "fedavg for good": {
        "type": "fedavg",
        "local_steps": 2,
        "local_optimizer": "adam",
        "local_state": "kept",
        "round_timeout_s": 20.0,
        "faults": {"dropout": [{"node": "q1", "at_s": 22.0}]},
    },
    "async for good": {"type": "async_parameter_server", "faults": {"dropout": [{"node": "q2", "at_s": 20.0}]}},
    "ssp interval": {
        "type": "async_parameter_server",
        "staleness_bound": 1,
        "worker_timeout_s": 10.0,
        "faults": {"dropout": [{"node": "q2", "at_s": 20.0, "until_s": 50.0}]},
    },
}


@pytest.mark.parametrize("strategy", DROPOUT_CASES.values(), ids=DROPOUT_CASES.keys())
def test_a_dropout_mid_training_never_deadlocks_and_training_converges(star4: TopologySpec, strategy: dict) -> None:
    steps = 60 if strategy["type"] == "async_parameter_server" else 20
    ctx = train_on(star4, strategy, max_steps=steps, stop_s=5_000.0, **LEARN)
    assert ctx.updates == steps  # it finished its updates long before the time limit
    assert ctx.network.now < 5_000e9
    assert ctx.recorder.time_to_target_s < ctx.network.now / 1e9  # 0.85 accuracy reached (chance: 0.5)
    assert ctx.recorder.losses[-1] < 0.85 * ctx.recorder.losses[0]
    lost = ctx.extra_metrics.get("missing_gradients", 0) + ctx.extra_metrics.get("missing_models", 0)
    if strategy["type"] != "async_parameter_server":
        assert lost > 0  # the rounds after the drop-out went on without the lost worker
    drop = strategy["faults"]["dropout"][0]
    outage = ctx.network.trace.timeline()[drop["node"]]
    drop_tick, until = drop["at_s"] * 1e9, drop.get("until_s")
    assert ctx.network.now > 1.2 * (until or drop["at_s"]) * 1e9  # the run went well past the outage
    computing = [(s, e) for s, e, kind in outage if kind == "compute"]
    assert all(e <= drop_tick or (until is not None and s >= until * 1e9) for s, e in computing)
    if until is not None:
        assert any(s >= until * 1e9 for s, _ in computing)  # it came back and worked again


def test_faulty_runs_are_deterministic(star4: TopologySpec) -> None:
    strategy = DROPOUT_CASES["ssp interval"]
    a, b = (train_on(star4, strategy, max_steps=30, seed=3, **LEARN) for _ in range(2))
    np.testing.assert_array_equal(a.final_params, b.final_params)
    assert a.staleness == b.staleness and a.network.trace.events == b.network.trace.events
