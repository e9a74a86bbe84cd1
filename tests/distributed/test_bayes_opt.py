"""Parallel Bayesian optimisers: the shared surrogate sees every worker's evaluations, independent ones see only
their own, the messages are what the protocol says, and a sharing scheme with one worker is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.qml import bayesopt
from qnet_dqnn.scenario import scenario_from_data
from qnet_dqnn.topology import TopologySpec, load_topology

ROOT = Path(__file__).resolve().parents[2]
NODES = ["q0", "q1", "q2"]
COMMON: dict[str, Any] = {
    "model": {"qubits": 2, "layers": 1},
    "dataset": {"samples": 40, "validation_samples": 10},
    "noise": False,
    "shots": 50,
    "batch_size": 8,
    "max_steps": 15,
    "eval_every": 5,
    "target_accuracy": None,
}


@pytest.fixture(scope="module")
def star4() -> TopologySpec:
    return load_topology(ROOT / "topologies" / "star4.yaml")


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str | None, int, list[str]]]:
    """Record every surrogate fit: whose (None: shared), how many rows, and every observation's source then."""
    calls: list[tuple[str | None, int, list[str]]] = []
    original = bayesopt.SharedSurrogate.surrogate

    def spy(self: bayesopt.SharedSurrogate, source: str | None, *args: Any) -> bayesopt.GaussianProcess:
        gp = original(self, source, *args)
        calls.append((source, len(gp.x), list(self.sources)))
        return gp

    monkeypatch.setattr(bayesopt.SharedSurrogate, "surrogate", spy)
    return calls


def test_the_shared_surrogate_sees_every_workers_evaluations(star4: TopologySpec, monkeypatch) -> None:
    calls = _spy(monkeypatch)
    ctx = train_on(star4, {"type": "bayes_opt", "nodes": NODES, "initial_points": 2}, **COMMON)
    assert ctx.updates == 15 == ctx.extra_metrics["evaluations"]
    assert sum(ctx.extra_metrics[f"evaluations_{w}"] for w in NODES) == 15
    assert calls, "no surrogate was fitted"
    for source, rows, sources in calls:
        assert source is None  # one surrogate for everyone
        assert rows == len(sources)  # fitted on every observation the server had
    assert set(calls[-1][2]) == set(NODES)  # and by the end they came from every worker


def test_independent_optimisers_see_only_their_own(star4: TopologySpec, monkeypatch) -> None:
    calls = _spy(monkeypatch)
    ctx = train_on(
        star4, {"type": "bayes_opt", "nodes": NODES, "sharing": "independent", "initial_points": 2}, **COMMON
    )
    assert ctx.updates == 15
    assert calls
    for source, rows, sources in calls:
        assert source in NODES
        assert rows == sources.count(source)
    totals = ctx.network.ledger.totals()
    assert totals["messages"] == 0  # nothing travels


def test_messages_and_circuits_of_a_shared_run(star4: TopologySpec) -> None:
    ctx = train_on(star4, {"type": "bayes_opt", "nodes": NODES, "server": "hub"}, **COMMON)
    p = ctx.model.num_params
    sends = [e for e in ctx.network.trace.events if e.kind == "send"]
    evaluations = [e for e in sends if e.detail.startswith("evaluation")]
    proposals = [e for e in sends if e.detail.startswith("proposal")]
    assert all(e.detail.endswith(f"{(p + 1) * 64} bits") for e in evaluations)
    assert all(e.detail.endswith(f"{p * 64} bits") for e in proposals)
    # every evaluation recorded was reported; every report but the stopping ones got a proposal or a stop
    assert len(evaluations) >= 15
    assert len(proposals) == 15 - 1 + len(NODES)
    # one circuit per sample of the 8-sample cost batch per evaluation, nothing for gradients
    assert ctx.network.ledger.totals()["circuits"] == 8 * len(evaluations)


def test_same_seed_same_run(star4: TopologySpec) -> None:
    a = train_on(star4, {"type": "bayes_opt", "nodes": NODES}, **COMMON)
    b = train_on(star4, {"type": "bayes_opt", "nodes": NODES}, **COMMON)
    assert np.array_equal(a.final_params, b.final_params)
    assert a.recorder.losses == b.recorder.losses


def _scenario(strategy: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "t",
        "topology": str(ROOT / "topologies" / "star4.yaml"),
        "stop": {"simulated_time_s": 1e6},
        "workload": {"type": "train", "strategy": {"type": "bayes_opt", **strategy}, **COMMON},
    }


@pytest.mark.parametrize(
    "strategy, field, reason",
    [
        ({"nodes": ["q0"]}, "workload.strategy.sharing", "information sharing needs at least two optimisers (got 1)"),
        ({"workers": 1}, "workload.strategy.sharing", "at least two optimisers"),
        ({"nodes": ["q0", "q9"]}, "workload.strategy.nodes[1]", "unknown node 'q9'"),
        ({"workers": 9}, "workload.strategy.workers", "the topology has 4 qpu nodes"),
        ({"sharing": "gossip"}, "workload.strategy.sharing", "'shared' or 'independent'"),
        ({"trust_radius": 0.0}, "workload.strategy.trust_radius", "greater than 0"),
    ],
)
def test_bad_options_name_the_field(strategy: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(_scenario(strategy), "s.yaml")
    lines = str(info.value).splitlines()
    assert any(line.startswith(f"s.yaml: {field}: ") and reason in line for line in lines), str(info.value)
