"""The ``cut`` strategy: training through circuit cuts over the network, its accounting and its options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import qnet_dqnn
from qnet_dqnn.cutting import find_cuts, plan_runs
from qnet_dqnn.distributed.cut import (
    CutOptions,
    CutSetup,
    cut_loss_and_grad,
    feedforward_latency_ticks,
    plan_for,
    run_ticks,
)
from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.distributed.qpu import qpu_timing
from qnet_dqnn.distributed.spec import ModelSpec, build_model
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.qml import AngleEncoding, QNNModel, hardware_efficient
from qnet_dqnn.scenario import load_scenario, scenario_from_data
from qnet_dqnn.topology import load_topology, topology_from_string
from qnet_dqnn.units import to_seconds

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "topologies" / "small_qpus.yaml"
TOPOLOGY = load_topology(SMALL)
COMMON: dict[str, Any] = {
    "noise": False,
    "batch_size": 4,
    "shots": 50,
    "dataset": {"samples": 40, "validation_samples": 10},
}


def _cut(strategy: dict[str, Any], **spec: Any) -> Any:
    return train_on(TOPOLOGY, {"type": "cut", **strategy}, seed=5, **{**COMMON, **spec})


def test_exact_cut_training_follows_the_single_qpu_trajectory() -> None:
    # SGD: Adam's g/sqrt(v) would blow float noise in near-zero gradient entries up to ~1e-9
    spec = {
        "max_steps": 4,
        "model": {"qubits": 4, "layers": 2, "readout": "mean"},  # every qubit in the cone: cuts needed
        "optimizer": {"type": "sgd", "learning_rate": 0.3},
        "estimator": "exact",
    }
    single = train_on(TOPOLOGY, {"type": "single", "node": "qpu_a"}, seed=5, **spec, **COMMON)
    cut = _cut({"controller": "qpu_a", "nodes": ["qpu_b", "qpu_far"], "qubit_limit": 2, "exact": True}, **spec)
    assert cut.extra_metrics["cuts"] == 2 and cut.extra_metrics["fragments"] == 2
    np.testing.assert_allclose(cut.final_params, single.final_params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cut.recorder.losses, single.recorder.losses, rtol=0, atol=1e-12)
    assert cut.recorder.accuracies == single.recorder.accuracies
    assert cut.extra_metrics["sampled_shots"] == 0


def test_the_finder_cuts_no_gate_outside_the_readouts_light_cone() -> None:
    # <Z0> of the 4-qubit, 2-layer ladder reaches qubits 0 and 1 only: the whole circuit needs cuts at 2 qubits a
    # fragment, its commutation-aware cone none, and training through the plan still follows one QPU exactly
    spec = {
        "max_steps": 3,
        "model": {"qubits": 4, "layers": 2},
        "optimizer": {"type": "sgd", "learning_rate": 0.3},
        "estimator": "exact",
    }
    model = build_model(ModelSpec(qubits=4, layers=2))
    options = CutOptions(type="cut", qubit_limit=2)
    assert find_cuts(model.circuit, 2).cuts and plan_for(model.circuit, 2, options, model.observables).cuts == ()
    single = train_on(TOPOLOGY, {"type": "single", "node": "qpu_a"}, seed=5, **spec, **COMMON)
    cut = _cut({"controller": "qpu_a", "nodes": ["qpu_b", "qpu_far"], "qubit_limit": 2, "exact": True}, **spec)
    assert cut.extra_metrics["cuts"] == 0
    np.testing.assert_allclose(cut.final_params, single.final_params, rtol=0, atol=1e-12)


def _ledger_sum(ctx: Any, name: str, nodes: list[str]) -> int:
    return sum(getattr(ctx.network.ledger.nodes[n], name) for n in nodes)


@pytest.mark.parametrize("layers", [1, 2])
def test_ledger_and_qpu_time_follow_the_accounting(layers: int) -> None:
    steps, batch, shots, workers = 3, 4, 50, ["qpu_a", "qpu_b"]
    # mean readout: every qubit in the light cone, so no cut is pruned away
    model_spec = {"qubits": 4, "layers": layers, "readout": "mean"}
    ctx = _cut({"nodes": workers, "qubit_limit": 2}, max_steps=steps, model=model_spec)
    model = build_model(ModelSpec(**model_spec))
    plan = find_cuts(model.circuit, 2)
    assert len(plan.cuts) == layers and ctx.extra_metrics["sampling_overhead"] == pytest.approx(9.0**layers)
    runs = plan_runs(plan, model.observables, shots)
    for r in runs:  # the forward circuit and the parameter-shift pairs of every trainable occurrence
        assert r.circuits_per_input == 1 + 2 * len(r.sub.circuit.trainable_occurrences())
    assert _ledger_sum(ctx, "circuits", workers) == steps * sum(r.circuits_per_input * batch for r in runs)
    # cutting costs shots x γ²: each fragment spends S·γ² shots per circuit over its runs
    for f in plan.fragments:
        mine = [r for r in runs if r.fragment == f.index]
        assert sum(r.shots for r in mine) == pytest.approx(shots * 9.0**layers, abs=len(mine))
    charged = _ledger_sum(ctx, "shots", workers)
    assert charged == steps * sum(r.circuits_per_input * batch * r.shots for r in runs)
    # every shot charged was drawn from a fragment's outcome distribution, and no other
    assert ctx.extra_metrics["sampled_shots"] == charged
    setup = CutSetup(plan, workers, "ctrl", timings={w: qpu_timing(TOPOLOGY.node(w)) for w in workers})
    busy = sum(run_ticks(setup, r, "qpu_a", batch, ctx.network) for r in runs)  # qpu_a and qpu_b: same gates
    assert _ledger_sum(ctx, "busy_ticks", workers) == steps * busy
    # messages: one job and one result per worker used per step, nothing else
    assert ctx.extra_metrics["workers_used_per_step"] == 2
    assert _ledger_sum(ctx, "messages_sent", [n.name for n in TOPOLOGY.nodes]) == steps * 2 * 2
    job_bits = sum(c.bits for c in ctx.network.ledger.links.values())
    expected = steps * (len(runs) * 4096 + sum(batch * r.outputs * 64 for r in runs))
    assert job_bits == expected  # ctrl-qpu_a and ctrl-qpu_b are single hops
    timeline = ctx.network.trace.timeline()
    assert [k for _, _, k in timeline["ctrl"]] == ["wait_message"] * steps
    assert to_seconds(ctx.network.now) == pytest.approx(steps * to_seconds(busy) / 2, rel=0.05)


def test_monte_carlo_charges_exactly_the_shots_it_samples() -> None:
    ctx = _cut({"nodes": ["qpu_a", "qpu_b"], "qubit_limit": 2, "samples": 6}, max_steps=2, model={"qubits": 4})
    assert ctx.extra_metrics["sampled_shots"] == _ledger_sum(ctx, "shots", ["qpu_a", "qpu_b"]) > 0


def test_feedforward_cuts_charge_a_message_per_shot_and_the_latency() -> None:
    spec = {"max_steps": 2, "model": {"qubits": 7, "layers": 1, "readout": "mean"}}
    opts = {"cuts": "wires", "classical_communication": True}
    near = _cut({"nodes": ["qpu_a", "qpu_b"], **opts}, **spec)
    far = _cut({"nodes": ["qpu_a", "qpu_far"], **opts}, **spec)
    model = build_model(ModelSpec(qubits=7, layers=1, readout="mean"))
    plan = plan_for(model.circuit, 4, CutOptions(type="cut", **opts), model.observables)
    assert plan.feedforward_cuts == 1 and plan.sampling_overhead == pytest.approx(9.0)
    runs = plan_runs(plan, model.observables, 50)
    received = [r for r in runs if r.sub.feedforward_receives]
    per_step = sum(r.circuits_per_input * 4 * r.shots for r in received)
    for ctx, other in ((near, "qpu_b"), (far, "qpu_far")):
        assert ctx.extra_metrics["feedforward_messages"] == 2 * per_step
        assert ctx.network.ledger.nodes["qpu_a"].circuits > 0 and ctx.network.ledger.nodes[other].circuits > 0
        hops = ctx.network.route("qpu_a", other)
        for a, b in zip(hops, hops[1:], strict=False):
            assert ctx.network.ledger.links[ctx.network.link_of[(a, b)]].messages >= 2 * per_step
    assert near.network.ledger.links[near.network.link_of[("qpu_a", "qpu_b")]].messages == 2 * per_step
    lat_near = feedforward_latency_ticks(near.network, "qpu_a", "qpu_b")
    lat_far = feedforward_latency_ticks(far.network, "qpu_a", "qpu_far")
    assert lat_far > 100 * lat_near
    # the receiving fragment's shots each wait for the bit: the far pair is slower by the extra latency
    slower = to_seconds(far.network.now) - to_seconds(near.network.now)
    assert slower == pytest.approx(2 * per_step * to_seconds(lat_far - lat_near), rel=0.02)
    np.testing.assert_allclose(far.final_params, near.final_params, atol=1e-12)  # the samples do not change


def test_monte_carlo_loss_gradient_is_unbiased() -> None:
    model = QNNModel(encoding=AngleEncoding(4), ansatz=hardware_efficient(4, 1), loss="mse")
    plan = find_cuts(model.circuit, 2)
    rng = np.random.default_rng(11)
    params = model.init_params(rng)
    x, y = rng.uniform(-1, 1, size=(3, 4)), np.array([0, 1, 1])
    exact = cut_loss_and_grad(plan, model, params, x, y)
    ref_loss, ref_grad = model.loss_and_grad(params, x, y)
    assert exact.loss == pytest.approx(ref_loss, abs=1e-12)
    np.testing.assert_allclose(exact.grad, ref_grad, atol=1e-12)
    draws = np.array([cut_loss_and_grad(plan, model, params, x, y, samples=8, rng=rng).grad for _ in range(300)])
    mean, se = draws.mean(axis=0), draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert np.all(np.abs(mean - ref_grad) <= 4 * se + 1e-12), (mean - ref_grad) / se
    assert np.any(se > 1e-3)  # the estimator really is random


def _scenario(strategy: dict[str, Any], **workload: Any) -> dict[str, Any]:
    return {
        "name": "t",
        "topology": str(SMALL),
        "seed": 2,
        "stop": {"simulated_time_s": 1e6},
        "workload": {
            "type": "train",
            "strategy": {"type": "cut", **strategy},
            "max_steps": 2,
            "model": {"qubits": 8, "layers": 1, "readout": "mean"},
            **COMMON,
            **workload,
        },
    }


@pytest.mark.parametrize(
    "strategy, workload, field, reason",
    [
        ({"nodes": ["qpu_a", "q9"]}, {}, "workload.strategy.nodes[1]", "unknown node 'q9'"),
        ({"nodes": ["ctrl"]}, {}, "workload.strategy.nodes[0]", "node 'ctrl' is a controller, not a qpu"),
        ({"controller": "nowhere"}, {}, "workload.strategy.controller", "unknown node 'nowhere'"),
        ({"qubit_limit": 1, "cuts": "wires"}, {}, "workload.strategy.qubit_limit", "cannot be cut into fragments of 1"),
        ({"qubit_limit": 6}, {}, "workload.strategy.qubit_limit", "6 is more than worker 'qpu_a' holds (4 qubits)"),
        ({"samples": 1}, {}, "workload.strategy.samples", ""),
        ({"samples": 1000}, {"shots": 1}, "workload.strategy.samples", "1000 samples need at least one"),
        ({"joint": True}, {}, "workload.strategy.joint", "need classical_communication"),
        (
            {"nodes": ["qpu_a"], "cuts": "wires", "classical_communication": True},
            {},
            "workload.strategy.classical_communication",
            "need at least two worker QPUs",
        ),
    ],
)
def test_bad_options_name_the_field(strategy: dict, workload: dict, field: str, reason: str) -> None:
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(_scenario(strategy, **workload), "s.yaml")
    lines = str(info.value).splitlines()
    assert any(line.startswith(f"s.yaml: {field}: ") and reason in line for line in lines), str(info.value)


def test_same_seed_same_run_and_sampled_runs_depend_on_the_seed() -> None:
    scenario = scenario_from_data(_scenario({"nodes": ["qpu_a", "qpu_b"]}))
    first, second = qnet_dqnn.run(scenario), qnet_dqnn.run(scenario)
    assert first.to_json(include_wall=False) == second.to_json(include_wall=False)
    assert qnet_dqnn.run(scenario, seed=3).curves["loss"] != first.curves["loss"]


def _shipped(name: str, max_steps: int) -> Any:
    """A shipped scenario as it ships, but for fewer steps (its noisy fragments make full runs slow for a test)."""
    path = ROOT / "scenarios" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    data["workload"]["max_steps"] = max_steps
    return scenario_from_data(data, str(path), base_dir=path.parent)


@pytest.mark.parametrize(
    "name, steps", [("train_cut_exact", 4), ("train_cut_monte_carlo", 3), ("train_cut_feedforward", 3)]
)
def test_shipped_scenarios_run_and_report_the_cut(name: str, steps: int) -> None:
    result = qnet_dqnn.run(_shipped(name, steps))
    m = result.metrics
    assert m["updates"] == steps and m["fragments"] >= 2 and m["max_fragment_width"] <= 4
    assert m["sampling_overhead"] == pytest.approx(81.0)
    assert (m["feedforward_messages"] > 0) == (name == "train_cut_feedforward")
    assert result.ledger["nodes"]["qpu_far"]["circuits"] == 0
    assert (m["sampled_shots"] == 0) == (name == "train_cut_exact")
    assert m["noise_bias"] > 0 and (m["sampling_error"] > 0) == (name != "train_cut_exact")  # noise on, as shipped


def test_shipped_scenario_trains_through_cuts_of_trained_gates() -> None:
    result = qnet_dqnn.run(_shipped("train_cut_trainable", 4))
    m = result.metrics
    assert m["trainable_cuts"] == 2 and m["fragments"] == 3 and m["max_fragment_width"] == 4
    assert m["sampling_overhead"] == pytest.approx(81.0)  # planned for the largest γ = 3 per RZZ cut
    assert 1.0 <= m["sampling_overhead_mean"] < 81.0  # charged at the angles actually trained
    loss = result.curves["loss"]["value"]
    assert loss[-1] < loss[0]


def test_noisy_fragments_report_their_bias_beside_the_sampling_error() -> None:
    text = SMALL.read_text().replace(
        "measurement_time_s: 1.0e-6}", "measurement_time_s: 1.0e-6, one_qubit_error: 0.01, two_qubit_error: 0.05}"
    )
    assert "two_qubit_error" in text
    noisy = topology_from_string(text.replace("    qubits: 4\n", "    qubits: 4\n    readout_error: 0.02\n", 1))
    spec = {**COMMON, "noise": True, "max_steps": 2, "model": {"qubits": 4, "layers": 1}}
    ctx = train_on(noisy, {"type": "cut", "nodes": ["qpu_a", "qpu_b"], "qubit_limit": 2}, seed=5, **spec)
    m = ctx.extra_metrics
    assert m["noise_bias"] > 1e-3 and m["sampling_error"] > 1e-3  # both reported, both real
    assert m["sampled_shots"] == _ledger_sum(ctx, "shots", ["qpu_a", "qpu_b"])
    strategy = {"type": "cut", "nodes": ["qpu_a", "qpu_b"], "qubit_limit": 2}
    ideal = train_on(TOPOLOGY, strategy, seed=5, **{**spec, "noise": False})
    assert "noise_bias" not in ideal.extra_metrics  # noise off: nothing to report


STAR4 = load_topology(ROOT / "topologies" / "star4.yaml")
WIDE: dict[str, Any] = {
    "model": {"qubits": 32, "layers": 2, "ansatz": "blocks", "block_qubits": 8},
    "dataset": {"name": "digits", "samples": 24, "validation_samples": 6},
    "noise": False,
    "batch_size": 2,
    "shots": 10,
    "estimator": "exact",
}


@pytest.mark.slow
def test_wide_blocks_model_trains_through_cuts_and_the_ledger_counts_every_run() -> None:
    steps, workers = 2, ["q0", "q1", "q2", "q3"]
    ctx = train_on(STAR4, {"type": "cut", "nodes": workers}, seed=3, max_steps=steps, **WIDE)
    m = ctx.extra_metrics
    assert m["cuts"] == 3 and m["fragments"] == 4 and m["max_fragment_width"] == 8
    assert m["sampling_overhead"] == pytest.approx(9.0**3)
    model = build_model(ModelSpec(**WIDE["model"]))
    plan = find_cuts(model.circuit, 8)
    runs = plan_runs(plan, model.observables, 10)
    # every distinct physical fragment circuit once per step: a per end fragment (one cut), a² per inner one
    ends = sum(r.fragment == 0 for r in runs)
    assert m["runs_per_step"] == len(runs) == 2 * ends + 2 * ends**2 == 60
    batch = 2
    assert _ledger_sum(ctx, "circuits", workers) == steps * sum(r.circuits_per_input * batch for r in runs)
    assert _ledger_sum(ctx, "shots", workers) == steps * sum(r.circuits_per_input * batch * r.shots for r in runs)
    assert m["sampled_shots"] == _ledger_sum(ctx, "shots", workers)
    assert all(_ledger_sum(ctx, "circuits", [w]) > 0 for w in workers)  # the list scheduler uses all four
    assert len(ctx.recorder.losses) == steps and all(np.isfinite(ctx.recorder.losses))


def test_cut_evaluator_equals_the_uncut_model() -> None:
    from qnet_dqnn.distributed.cut import CutEvaluator

    model = build_model(ModelSpec(qubits=12, layers=2, ansatz="blocks", block_qubits=4, couplings=1))
    plan = find_cuts(model.circuit, 4)
    assert len(plan.cuts) == 2
    rng = np.random.default_rng(8)
    params, x, y = model.init_params(rng), rng.uniform(0, np.pi, size=(6, 12)), np.array([0, 1, 0, 1, 1, 0])
    e = model.expectations(params, x)
    ev = CutEvaluator(plan, model)
    assert ev.loss(params, x, y) == pytest.approx(model.loss_from_expectations(e, y)[0], abs=1e-12)
    assert ev.accuracy(params, x, y) == model.score(e, y)


@pytest.mark.parametrize(
    "model, dataset, field, reason",
    [
        ({"qubits": 32}, {}, "workload.model.qubits", "32 qubits of a hardware_efficient ansatz cannot be simulated"),
        ({"qubits": 30, "ansatz": "blocks"}, {}, "workload.model.block_qubits", "8 must divide qubits (30)"),
        ({"qubits": 16, "ansatz": "blocks", "couplings": 3}, {}, "workload.model.couplings", "more than layers"),
        ({"qubits": 16, "ansatz": "blocks", "encoding": "iqp"}, {}, "workload.model.encoding", "angle encoding"),
        ({"qubits": 12, "ansatz": "blocks", "block_qubits": 4}, {"name": "digits"}, "workload", "one feature per"),
        ({"qubits": 8}, {"name": "moons", "classes": [0, 1]}, "workload.dataset.classes", "only the digits"),
        ({"qubits": 8}, {"name": "digits", "classes": [3, 3]}, "workload.dataset.classes", "two distinct digits"),
    ],
)
def test_bad_wide_models_name_the_field(model: dict, dataset: dict, field: str, reason: str) -> None:
    data = _scenario({}, model=model, dataset={"samples": 40, "validation_samples": 10, **dataset})
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(data, "s.yaml")
    lines = str(info.value).splitlines()
    assert any(line.startswith(f"s.yaml: {field}: ") and reason in line for line in lines), str(info.value)


@pytest.mark.slow
def test_shipped_wide_digits_scenario_reports_the_cut() -> None:
    result = qnet_dqnn.run(load_scenario(ROOT / "scenarios" / "train_cut_wide_digits.yaml"))
    m = result.metrics
    assert m["fragments"] == 4 and m["max_fragment_width"] == 8 and m["cuts"] == 3
    assert m["sampling_overhead"] == pytest.approx(729.0) and m["runs_per_step"] == 60
    assert 0.0 <= m["final_accuracy"] <= 1.0
