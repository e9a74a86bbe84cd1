"""Federated learning at scale: client sampling, label-skewed shards, heterogeneous clients, adaptive server
optimizers, drop-outs, and local training on a Dask cluster with the same bytes as a local run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import qnet_dqnn
from qnet_dqnn.distributed.aggregate import FedOptState, fedopt_init, fedopt_step
from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.distributed.sharding import dirichlet_shards
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.scenario import scenario_from_data
from qnet_dqnn.topology import TopologySpec, load_topology

ROOT = Path(__file__).resolve().parents[2]
FULL_BATCH = {
    "model": {"qubits": 3, "layers": 1},
    "dataset": {"samples": 50, "validation_samples": 12},  # 38 training samples
    "batch_size": 10_000,
    "noise": False,
    "target_accuracy": None,
    "shots": 100,
    "estimator": "exact",  # identities to 1e-12 between strategies that draw their shots from different streams
}
SGD = {"optimizer": {"type": "sgd", "learning_rate": 0.5}}


@pytest.fixture(scope="module")
def star4() -> TopologySpec:
    return load_topology(ROOT / "topologies" / "star4.yaml")


@pytest.mark.parametrize("sharding", [{}, {"sharding": "dirichlet", "dirichlet_alpha": 0.3}])
def test_fedavg_one_sgd_step_full_participation_equals_synchronous_data_parallel_sgd(
    star4: TopologySpec, sharding: dict
) -> None:
    """θ − η Σ_k (n_k/n) g_k either way: FedAvg weighs the client models by shard, the server the gradients by
    samples, and with full batches the two weights are the same (also for unequal, label-skewed shards)."""
    kw = {**FULL_BATCH, **SGD, "max_steps": 6}
    fed = train_on(star4, {"type": "fedavg", **sharding}, **kw)
    ps = train_on(star4, {"type": "parameter_server", **sharding}, **kw)
    assert fed.updates == ps.updates == 6
    np.testing.assert_allclose(fed.final_params, ps.final_params, rtol=0, atol=1e-12)
    assert not np.allclose(fed.final_params, fed.init_params)


def test_kept_adam_state_over_identical_shards_is_single_qpu_adam_and_a_reset_is_not(star4: TopologySpec) -> None:
    """Every client holds the whole set and the same moments, so the average is each client's Adam step: the
    run is single-QPU Adam step for step, only if the moments survive the rounds."""
    kw = {**FULL_BATCH, "max_steps": 5}
    single = train_on(star4, {"type": "single"}, **kw)
    same = {"type": "fedavg", "sharding": "replicate", "local_optimizer": "adam"}
    kept = train_on(star4, {**same, "local_state": "kept"}, **kw)
    reset = train_on(star4, {**same, "local_state": "reset"}, **kw)
    np.testing.assert_allclose(kept.final_params, single.final_params, rtol=0, atol=1e-12)
    assert np.max(np.abs(reset.final_params - single.final_params)) > 1e-3


def test_server_optimizers_follow_the_papers_updates_by_hand() -> None:
    """Two rounds of Algorithm 2 (Reddi et al. 2021) worked by hand, β1 = 0.5, β2 = 0.75, τ = 0.5, η = 1."""
    x0, kw = np.array([0.0]), {"learning_rate": 1.0, "beta1": 0.5, "beta2": 0.75, "tau": 0.5}
    # round 1: Δ = 2, m = 1, v0 = τ² = 0.25, Δ² = 4
    expected_v1 = {"fedadagrad": 4.25, "fedadam": 0.75 * 0.25 + 0.25 * 4, "fedyogi": 0.25 + 0.25 * 4}
    for kind, v1 in expected_v1.items():
        x1, s1 = fedopt_step(kind, x0, np.array([2.0]), fedopt_init(x0, 0.5), **kw)
        assert s1.m[0] == 1.0 and s1.v[0] == pytest.approx(v1, abs=1e-15)
        assert x1[0] == pytest.approx(1.0 / (np.sqrt(v1) + 0.5), abs=1e-15)
        # round 2: Δ = 0 leaves v alone (Adagrad, Yogi) or decays it (Adam); m halves
        x2, s2 = fedopt_step(kind, x1, x1, s1, **kw)
        v2 = v1 * 0.75 if kind == "fedadam" else v1
        assert s2.m[0] == 0.5 and s2.v[0] == pytest.approx(v2, abs=1e-15)
        assert x2[0] == pytest.approx(x1[0] + 0.5 / (np.sqrt(v2) + 0.5), abs=1e-15)
    # Yogi's v moves toward Δ² additively when v > Δ²: v = 4.25 - 0.25 * 1 * sign(4.25 - 1) = 4.0
    _, s = fedopt_step("fedyogi", x0, np.array([1.0]), FedOptState(np.zeros(1), np.array([4.25])), **kw)
    assert s.v[0] == pytest.approx(4.0, abs=1e-15)


def test_fedadam_server_trains_and_differs_from_plain_averaging(star4: TopologySpec) -> None:
    kw = {**FULL_BATCH, **SGD, "max_steps": 4}
    plain = train_on(star4, {"type": "fedavg"}, **kw)
    adam = train_on(star4, {"type": "fedavg", "server_optimizer": {"type": "fedadam", "learning_rate": 0.1}}, **kw)
    assert adam.updates == 4 and adam.recorder.losses[-1] < adam.recorder.losses[0]
    assert not np.allclose(adam.final_params, plain.final_params)


def test_a_client_dropping_out_mid_round_loses_no_other_clients_update(star4: TopologySpec) -> None:
    """Full-batch SGD with one local step: every round is θ − η Σ_{k∈S} (n_k/n_S) g_k(θ) over the clients S
    that answered. q1 leaves for good during a round; the run must follow that formula with S = all clients up
    to some round and the three others after it (it matches no trajectory if an update went missing)."""
    rounds, eta = 5, 0.5
    # a round computes for 3.9 s: q1 leaves in the middle of the second one, the deadline cuts its wait short
    strategy = {"type": "fedavg", "round_timeout_s": 6.0, "faults": {"dropout": [{"node": "q1", "at_s": 5.0}]}}
    ctx = train_on(star4, strategy, **{**FULL_BATCH, **SGD, "max_steps": rounds})
    bounds = ((0, 10), (10, 20), (20, 29), (29, 38))  # equal sharding of 38 samples over 4
    shards = {q: np.arange(a, b) for q, (a, b) in zip(("q0", "q1", "q2", "q3"), bounds, strict=True)}
    x, y = ctx.dataset.x_train, ctx.dataset.y_train

    def trajectory(drop_round: int) -> np.ndarray:
        theta = ctx.init_params.copy()
        for r in range(rounds):
            alive = [q for q in shards if q != "q1" or r < drop_round]
            n = sum(len(shards[q]) for q in alive)
            grads = [ctx.model.loss_and_grad(theta, x[shards[q]], y[shards[q]])[1] for q in alive]
            step = sum(len(shards[q]) / n * g for q, g in zip(alive, grads, strict=True))
            theta = theta - eta * step
        return theta

    matches = [j for j in range(rounds + 1) if np.allclose(ctx.final_params, trajectory(j), rtol=0, atol=1e-12)]
    assert matches and 1 <= matches[0] < rounds, matches
    assert ctx.extra_metrics["missing_models"] == rounds - matches[0]


def test_sampled_rounds_invite_exactly_m_clients(star4: TopologySpec) -> None:
    for strategy in ({"type": "fedavg", "clients_per_round": 2}, {"type": "parameter_server", "clients_per_round": 3}):
        ctx = train_on(star4, strategy, **{**FULL_BATCH, **SGD, "max_steps": 4})
        ledger = ctx.network.ledger
        computed = sum(ledger.nodes[q].circuits > 0 for q in ("q0", "q1", "q2", "q3"))
        per_round = strategy["clients_per_round"]
        assert computed >= per_round
        sent = sum(n.messages_sent for n in ledger.nodes.values())
        # fedavg: m invitations + m models per round; the server: m gradients + θ to the next round's m, and the
        # stop message to all 4 after the last round
        assert sent == (4 * 2 * per_round if strategy["type"] == "fedavg" else 4 * 2 * per_round - per_round + 4)


@pytest.mark.parametrize("alpha", [0.05, 1.0, 1000.0])
def test_dirichlet_shards_partition_the_set_and_skew_labels_as_alpha_falls(alpha: float) -> None:
    rng = np.random.default_rng(3)
    labels = np.repeat([0, 1], 500)
    shards = dirichlet_shards(labels, 20, alpha, rng)
    together = np.concatenate(shards)
    assert sorted(together.tolist()) == list(range(1000)) and all(len(s) >= 1 for s in shards)
    majority = np.mean([max(np.mean(labels[s] == 0), np.mean(labels[s] == 1)) for s in shards])
    if alpha == 0.05:
        assert majority > 0.9  # nearly one class per client
    if alpha == 1000.0:
        assert majority < 0.6  # nearly the global 50/50 mix


def _scenario(strategy: dict, **workload: object) -> dict:
    return {
        "name": "fl",
        "topology": str(ROOT / "topologies" / "star4.yaml"),
        "seed": 2,
        "stop": {"simulated_time_s": 1.0e5},
        "workload": {"type": "train", "strategy": strategy, **FULL_BATCH, **SGD, "max_steps": 3, **workload},
    }


BAD = {
    "client_fraction": ({"type": "fedavg", "client_fraction": 1.5}, "workload.strategy.client_fraction"),
    "zero fraction": ({"type": "fedavg", "client_fraction": 0.0}, "workload.strategy.client_fraction"),
    "too many per round": ({"type": "fedavg", "clients_per_round": 9}, "workload.strategy.clients_per_round"),
    "too many workers": ({"type": "parameter_server", "workers": 9}, "workload.strategy.workers"),
    "alpha": ({"type": "fedavg", "sharding": "dirichlet", "dirichlet_alpha": 0.0}, "workload.strategy.dirichlet_alpha"),
    "no alpha": ({"type": "fedavg", "sharding": "dirichlet"}, "workload.strategy.dirichlet_alpha"),
    "deadline": ({"type": "fedavg", "round_timeout_s": 0.0}, "workload.strategy.round_timeout_s"),
    "ps deadline": ({"type": "parameter_server", "round_timeout_s": -1.0}, "workload.strategy.round_timeout_s"),
    "server lr": (
        {"type": "fedavg", "server_optimizer": {"type": "fedyogi"}},
        "workload.strategy.server_optimizer.learning_rate",
    ),
}


@pytest.mark.parametrize("strategy, field", BAD.values(), ids=BAD.keys())
def test_bad_federated_options_name_their_field_before_any_simulation(strategy: dict, field: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario_from_data(_scenario(strategy))
    assert field in str(err.value)


def test_an_explicit_adam_workload_optimizer_must_say_how_clients_use_it() -> None:
    data = _scenario({"type": "fedavg"}, optimizer={"type": "adam", "learning_rate": 0.1})
    with pytest.raises(ScenarioError, match="workload.strategy.local_optimizer"):
        scenario_from_data(data)


def test_heterogeneous_clients_run_their_own_shots(star4: TopologySpec) -> None:
    ctx = train_on(star4, {"type": "fedavg", "client_shots": [100, 400]}, **{**FULL_BATCH, **SGD, "max_steps": 2})
    shots = {q: ctx.network.ledger.nodes[q].shots / ctx.network.ledger.nodes[q].circuits for q in ("q0", "q1", "q2")}
    assert shots == {"q0": 100, "q1": 400, "q2": 100}


def test_local_training_on_a_dask_cluster_gives_the_same_bytes() -> None:
    distributed = pytest.importorskip("distributed")
    scenario = scenario_from_data(_scenario({"type": "fedavg", "clients_per_round": 3, "local_steps": 2}))
    local = qnet_dqnn.run(scenario).to_json(include_wall=False)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
        remote = qnet_dqnn.run(scenario, scheduler=client).to_json(include_wall=False)
    assert remote == local
