"""Synchronous data parallelism: the parameter server and ring all-reduce follow single-QPU full-batch
training exactly, while their ledgers differ exactly as their message patterns predict."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from qnet_dqnn.distributed.aggregate import chunk_bounds, ring_schedule
from qnet_dqnn.distributed.context import TrainingContext
from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.topology import TopologySpec, load_topology

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 6
# Full batch: each worker's batch is its whole shard, the single QPU's batch is the union.
COMMON = {
    "model": {"qubits": 3, "layers": 1},
    "dataset": {"samples": 50, "validation_samples": 12},  # 38 training samples: shards of 10, 10, 9, 9
    "batch_size": 10_000,
    "noise": False,
    "max_steps": ROUNDS,
    "target_accuracy": None,
    "shots": 100,
    "estimator": "exact",
}


@pytest.fixture(scope="module")
def star4() -> TopologySpec:
    return load_topology(ROOT / "topologies" / "star4.yaml")


@pytest.fixture(scope="module")
def runs(star4: TopologySpec) -> dict[str, TrainingContext]:
    return {
        "single": train_on(star4, {"type": "single"}, **COMMON),
        "ps": train_on(star4, {"type": "parameter_server"}, **COMMON),
        "ring": train_on(star4, {"type": "ring_allreduce"}, **COMMON),
    }


def _link_counts(ctx: TrainingContext) -> tuple[dict[str, int], dict[str, int]]:
    links = ctx.network.ledger.links
    return {k: v.messages for k, v in links.items()}, {k: v.bits for k, v in links.items()}


def _hops(ctx: TrainingContext, src: str, dst: str) -> list[str]:
    path = ctx.network.route(src, dst)
    return [ctx.network.link_of[(a, b)] for a, b in itertools.pairwise(path)]


@pytest.mark.parametrize("strategy", ["ps", "ring"])
def test_same_trajectory_as_single_qpu_full_batch(runs: dict[str, TrainingContext], strategy: str) -> None:
    single, other = runs["single"], runs[strategy]
    assert other.updates == single.updates == ROUNDS
    np.testing.assert_allclose(other.recorder.losses, single.recorder.losses, rtol=1e-10, atol=1e-12)
    assert other.recorder.accuracies == single.recorder.accuracies
    np.testing.assert_allclose(other.final_params, single.final_params, rtol=1e-10, atol=1e-12)
    assert not np.allclose(single.final_params, single.init_params)  # it did train
    # ... but sooner: the four shards are evaluated in parallel.
    assert other.network.now < single.network.now / 3


def test_parameter_server_ledger_is_2L_messages_of_nb_bits_per_round(runs: dict[str, TrainingContext]) -> None:
    ctx = runs["ps"]
    workers, nb = ["q0", "q1", "q2", "q3"], ctx.message_bits
    assert nb == ctx.model.num_params * 64
    expected: Counter[str] = Counter()
    for w in workers:  # the default server is the star's hub: one gradient up, one parameter vector down
        expected.update(_hops(ctx, w, "hub") + _hops(ctx, "hub", w))
    messages, bits = _link_counts(ctx)
    assert messages == {k: ROUNDS * n for k, n in expected.items()}
    assert bits == {k: ROUNDS * n * nb for k, n in expected.items()}
    sent = sum(n.messages_sent for n in ctx.network.ledger.nodes.values())
    assert sent == ROUNDS * 2 * len(workers)
    assert ctx.network.ledger.nodes["hub"].messages_sent == ROUNDS * len(workers)
    assert ctx.extra_metrics["missing_gradients"] == 0 and ctx.extra_metrics["late_gradients"] == 0


def test_ring_ledger_is_2L_minus_1_times_L_chunk_messages_per_round(runs: dict[str, TrainingContext]) -> None:
    ctx = runs["ring"]
    workers, n, b = ["q0", "q1", "q2", "q3"], ctx.model.num_params, 64
    big_l = len(workers)
    bounds = chunk_bounds(n, big_l)
    assert len({hi - lo for lo, hi in bounds}) > 1  # uneven chunks: the test sees chunk sizes, not n·b/L
    exp_messages: Counter[str] = Counter()
    exp_bits: Counter[str] = Counter()
    for _, _, sends in ring_schedule(big_l):
        for i, chunk in sends:
            hops = _hops(ctx, workers[i], workers[(i + 1) % big_l])  # q_i -> hub -> q_i+1 on the star
            assert len(hops) == 2
            exp_messages.update(hops)
            for hop in hops:
                exp_bits[hop] += (bounds[chunk][1] - bounds[chunk][0]) * b
    messages, bits = _link_counts(ctx)
    assert messages == {k: ROUNDS * v for k, v in exp_messages.items()}
    assert bits == {k: ROUNDS * v for k, v in exp_bits.items()}
    sent = sum(node.messages_sent for node in ctx.network.ledger.nodes.values())
    assert sent == ROUNDS * 2 * (big_l - 1) * big_l
    # closed form: every round moves 2(L-1) n b bits end to end, each over a 2-hop path
    assert sum(bits.values()) == ROUNDS * 2 * (big_l - 1) * n * b * 2
    assert ctx.network.ledger.nodes["hub"].messages_sent == 0  # no server


def test_server_on_a_worker_saves_its_own_two_messages(star4: TopologySpec) -> None:
    ctx = train_on(star4, {"type": "parameter_server", "server": "q0"}, **COMMON)
    sent = sum(node.messages_sent for node in ctx.network.ledger.nodes.values())
    assert sent == ROUNDS * 2 * 3
    messages, _ = _link_counts(ctx)
    assert messages == {"hub-q0": ROUNDS * 6, "hub-q1": ROUNDS * 2, "hub-q2": ROUNDS * 2, "hub-q3": ROUNDS * 2}


def test_activities_show_compute_and_message_waits(runs: dict[str, TrainingContext]) -> None:
    timeline = runs["ps"].network.trace.timeline()
    kinds = {kind for node in ("q0", "hub") for _, _, kind in timeline.get(node, [])}
    assert {"compute", "wait_message"} <= kinds


def test_same_seed_same_run_other_seed_differs(star4: TopologySpec) -> None:
    kw = {**COMMON, "batch_size": 8, "max_steps": 3}
    a, b = (train_on(star4, {"type": "ring_allreduce"}, seed=5, **kw) for _ in range(2))
    c = train_on(star4, {"type": "ring_allreduce"}, seed=6, **kw)
    np.testing.assert_array_equal(a.final_params, b.final_params)
    assert a.network.now == b.network.now and a.network.trace.events == b.network.trace.events
    assert not np.allclose(a.final_params, c.final_params)


@pytest.mark.parametrize(
    ("strategy", "field", "reason"),
    [
        ({"type": "parameter_server", "nodes": ["q0", "hub"]}, "strategy.nodes[1]", "is a repeater"),
        ({"type": "parameter_server", "nodes": ["q0", "q0"]}, "strategy.nodes[1]", "named twice"),
        ({"type": "parameter_server", "server": "moon"}, "strategy.server", "unknown node 'moon'"),
        ({"type": "ring_allreduce", "workers": 9}, "strategy.workers", "has 4 qpu nodes; 9 workers"),
        (
            {"type": "parameter_server", "faults": {"dropout": [{"node": "q1", "at_s": 1.0}]}},
            "strategy.round_timeout_s",
            "needs a round timeout",
        ),
        (
            {"type": "ring_allreduce", "faults": {"dropout": [{"node": "q1", "at_s": 1.0}]}},
            "strategy.faults.dropout",
            "does not tolerate drop-outs",
        ),
        ({"type": "ring_allreduce", "faults": {"slow": {"hub": 2.0}}}, "strategy.faults.slow.hub", "not a worker"),
    ],
)
def test_bad_options_name_the_field_and_the_node(star4: TopologySpec, strategy: dict, field: str, reason: str) -> None:
    with pytest.raises(ScenarioError) as info:
        train_on(star4, strategy, **COMMON)
    assert any(path == field and reason in text for path, text in info.value.problems), info.value.problems


def test_a_link_outage_delays_rounds_without_deadlock_and_unknown_links_are_refused(star4: TopologySpec) -> None:
    calm = train_on(star4, {"type": "parameter_server"}, **COMMON)
    outage_s = 3 * calm.network.now / 1e9 / ROUNDS  # q0's spoke is down for about three rounds
    down = train_on(
        star4,
        {"type": "parameter_server", "faults": {"link_down": [{"link": "hub-q0", "at_s": 0.0, "until_s": outage_s}]}},
        **COMMON,
    )
    assert down.updates == calm.updates == ROUNDS  # every round completed: nothing deadlocked
    assert down.network.now > calm.network.now  # the round that needed q0 waited for its link
    assert down.network.ledger.links["hub-q0"].messages == calm.network.ledger.links["hub-q0"].messages
    strategy = {"type": "parameter_server", "faults": {"link_down": [{"link": "hub-q9", "at_s": 1.0}]}}
    with pytest.raises(ScenarioError, match=r"unknown link 'hub-q9' \(known: hub-q0, hub-q1"):
        train_on(star4, strategy, **COMMON)
