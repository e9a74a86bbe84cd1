"""Faults of the ``coherent`` strategy: a QPU holding qubits of the split circuit drops out; the steps it
misses lose their shots (booked, no update), the run waits for it, and ends cleanly if it never returns."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qnet_dqnn.distributed.coherent import CoherentOptions, plan_partition, step_workload
from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.distributed.spec import ModelSpec, build_model
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.topology import load_topology
from qnet_dqnn.units import to_ticks

ROOT = Path(__file__).resolve().parents[2]
SMALL = load_topology(ROOT / "topologies" / "small_qpus.yaml")
COMMON: dict[str, Any] = {
    "noise": False,
    "batch_size": 4,
    "shots": 10,
    "estimator": "exact",
    "dataset": {"samples": 40, "validation_samples": 10},
}
MODEL = {"qubits": 4, "layers": 1}
NODES = ["qpu_a", "qpu_b"]


def run(dropout: list[dict[str, Any]], max_steps: int = 4, **strategy: Any) -> Any:
    options = {"type": "coherent", "nodes": NODES, "faults": {"dropout": dropout}}
    return train_on(SMALL, {**options, **strategy}, seed=1, max_steps=max_steps, model=MODEL, **COMMON)


def step_shots() -> int:
    model = build_model(ModelSpec(**MODEL))
    options = CoherentOptions.model_validate({"type": "coherent", "nodes": NODES})
    part = plan_partition(model.circuit, SMALL, options)
    assert set(part.nodes_used) == set(NODES)  # both nodes hold qubits: either one's outage stops a step
    return step_workload(model.circuit, part.assignment, COMMON["batch_size"], COMMON["shots"]).shots


def step_ticks() -> int:
    ctx = run([], max_steps=2)
    assert ctx.extra_metrics["failed_steps"] == 0 and ctx.extra_metrics["stopped_by_fault"] == 0
    return ctx.network.now // 2


def failures(ctx: Any) -> list[Any]:
    return [e for e in ctx.network.trace.events if e.kind == "step_failed"]


def test_a_crash_for_an_interval_loses_that_steps_shots_and_training_goes_on() -> None:
    tick = step_ticks()
    at_s, until_s = 1.3 * tick * 1e-9, 2.4 * tick * 1e-9  # down in the middle of the second step, back later
    assert to_ticks(at_s) > tick
    ctx = run([{"node": "qpu_b", "at_s": at_s, "until_s": until_s}], max_steps=4)
    m, shots = ctx.extra_metrics, step_shots()
    assert ctx.updates == 4 == len(ctx.recorder.updates)  # only successful steps update the parameters
    assert m["failed_steps"] == 1 and m["failed_shots"] == shots > 0
    assert m["stopped_by_fault"] == 0
    assert [e.where for e in failures(ctx)] == ["qpu_b"]
    assert to_ticks(until_s) <= ctx.network.now  # it waited for the node to come back
    ledger = ctx.network.ledger.nodes
    assert ledger["qpu_a"].shots == 5 * shots  # ran the failed step too
    assert ledger["qpu_b"].shots == 4 * shots  # its failed step's shots are not booked


def test_a_crash_at_a_steps_start_fails_that_step() -> None:
    ctx = run([{"node": "qpu_a", "at_s": 0.0, "until_s": 1e-6}], max_steps=2)
    assert ctx.updates == 2
    assert ctx.extra_metrics["failed_steps"] == 1 and ctx.extra_metrics["failed_shots"] == step_shots()


class Hung(Exception):
    pass


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail (instead of hanging) if the test runs longer than 30 s of wall time."""

    def alarm(signum: int, frame: Any) -> None:
        raise Hung("the run did not end within 30 s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_crash_for_good_ends_the_run_with_the_failure_reported(deadline: None) -> None:
    tick = step_ticks()
    started = time.monotonic()
    ctx = run([{"node": "qpu_a", "at_s": 1.5 * tick * 1e-9}], max_steps=50)
    assert time.monotonic() - started < 30
    m = ctx.extra_metrics
    assert m["stopped_by_fault"] == 1 and m["failed_steps"] == 1 and m["failed_shots"] == step_shots()
    assert ctx.updates == 1
    assert ctx.network.now < 3 * tick  # the run ended at the failed step, not at the time limit
    assert [e.kind for e in ctx.network.trace.events if e.kind in ("step_failed", "run_stopped")] == [
        "step_failed",
        "run_stopped",
    ]


def test_a_node_never_up_ends_the_run_before_any_update(deadline: None) -> None:
    ctx = run([{"node": "qpu_b", "at_s": 0.0}], max_steps=50)
    assert ctx.updates == 0 and ctx.extra_metrics["stopped_by_fault"] == 1 and ctx.network.now == 0


@pytest.mark.parametrize(
    ("faults", "field", "words"),
    [
        ({"dropout": [{"node": "nowhere", "at_s": 0.1}]}, "strategy.faults.dropout[0].node", "nowhere"),
        ({"slow": {"qpu_a": 2.0}}, "strategy.faults.slow", "only faults.dropout"),
        ({"link_down": [{"link": "qpu_a-qpu_b", "at_s": 0.1}]}, "strategy.faults.link_down", "only faults.dropout"),
    ],
)
def test_faults_the_strategy_cannot_take_are_refused_naming_the_field(
    faults: dict[str, Any], field: str, words: str
) -> None:
    strategy = {"type": "coherent", "nodes": NODES, "faults": faults}
    with pytest.raises(ScenarioError) as err:
        train_on(SMALL, strategy, seed=1, max_steps=1, model=MODEL, **COMMON)
    problems = dict(err.value.problems)
    assert field in problems and words in problems[field]
