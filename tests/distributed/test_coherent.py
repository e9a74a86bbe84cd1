"""The ``coherent`` strategy: split circuits equal unsplit ones over perfect pairs (STYLE point 13), the
telegate channels match their closed form, the ledger matches the circuit, and pair fidelity shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import qnet_dqnn
from qnet_dqnn.distributed.coherent import (
    CoherentOptions,
    SplitEvaluator,
    output_fidelity,
    pauli_expansion,
    plan_partition,
    split_circuit,
    step_workload,
)
from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.distributed.partition import partition_qubits
from qnet_dqnn.distributed.spec import ModelSpec, TrainSpec, build_model
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.physics.telegate import telegate_channel
from qnet_dqnn.qml import AngleEncoding, QNNModel, hardware_efficient
from qnet_dqnn.quantum import density_matrix, dm_expectation, expectation, statevector
from qnet_dqnn.quantum.circuit import Circuit, Data, Trainable
from qnet_dqnn.quantum.gradients import parameter_shift_jacobian
from qnet_dqnn.quantum.light_cone import light_cone, prune
from qnet_dqnn.quantum.noise import NoiseModel
from qnet_dqnn.scenario import load_scenario
from qnet_dqnn.scenario.sweep import expand_sweep
from qnet_dqnn.topology import TopologySpec, load_topology

ROOT = Path(__file__).resolve().parents[2]
STAR4 = load_topology(ROOT / "topologies" / "star4.yaml")
STAR4_WERNER = load_topology(ROOT / "topologies" / "star4_werner.yaml")
SMALL = load_topology(ROOT / "topologies" / "small_qpus.yaml")
COMMON: dict[str, Any] = {
    "noise": False,
    "batch_size": 4,
    "shots": 10,
    "estimator": "exact",
    "dataset": {"samples": 40, "validation_samples": 10},
}


def werner(f: float) -> np.ndarray:
    return np.array([f, (1 - f) / 3, (1 - f) / 3, (1 - f) / 3])


def with_fidelity(topology: TopologySpec, fidelity: float, link: int = 0, **quantum: Any) -> TopologySpec:
    data = topology.model_dump()
    data["links"][link]["quantum"]["source_fidelity"] = fidelity
    for i in range(len(data["links"])):
        if data["links"][i]["quantum"] is not None:
            data["links"][i]["quantum"].update(quantum)
    return TopologySpec.model_validate(data)


def random_circuit(n: int, depth: int, rng: np.random.Generator) -> Circuit:
    c = Circuit(n)
    k = 0
    for _ in range(depth):
        for q in range(n):
            c.append(str(rng.choice(["rx", "ry", "rz"])), [q], [Trainable(k)])
            k += 1
        a, b = (int(v) for v in rng.choice(n, size=2, replace=False))
        name = str(rng.choice(["cx", "cz", "rzz", "rxx", "ryy", "swap"]))
        c.append(name, [a, b], [Trainable(k)] if name.startswith("r") else [])
        k += name.startswith("r")
    return c


# ------------------------------------------------------------------------------------------ ideal equality


@pytest.mark.parametrize("seed", range(6))
def test_split_over_perfect_pairs_equals_the_unsplit_circuit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    c = random_circuit(5, 8, rng)
    assignment = [str(rng.choice(["a", "b", "c"])) for _ in range(5)]
    params = rng.uniform(-np.pi, np.pi, c.num_trainable)
    for coefficients in (None, np.array([1.0, 0, 0, 0])):
        split = split_circuit(c, assignment, coefficients)
        assert not split.has_channels
        assert all(op.node == assignment[op.qubits[0]] for op in split.ops)
        psi, phi = statevector(c, params)[0], statevector(split, params)[0]
        assert abs(np.vdot(psi, phi)) ** 2 == pytest.approx(1.0, abs=1e-9)
    # with imperfect pairs, one telegate channel per remote CNOT/CZ
    noisy = split_circuit(c, assignment, werner(0.9))
    remote = [op for op in split.ops if len(op.qubits) == 2 and assignment[op.qubits[0]] != assignment[op.qubits[1]]]
    assert sum(op.is_channel for op in noisy.ops) == len(remote)
    assert {op.name for op in remote} <= {"cx", "cz"}


@pytest.mark.parametrize("spec", [ModelSpec(qubits=8, layers=2), ModelSpec(qubits=6, layers=2, encoding="iqp")])
def test_split_shipped_qnn_keeps_its_state_and_gradient(spec: ModelSpec) -> None:
    model = build_model(spec)
    options = CoherentOptions(type="coherent", communication_qubits=6)  # 2 data qubits per QPU of star4
    part = plan_partition(model.circuit, STAR4, options)
    assert len(part.nodes_used) >= 3 and part.cut_size > 0
    rng = np.random.default_rng(0)
    params = model.init_params(rng)
    x = rng.uniform(-1, 1, (3, spec.qubits))
    data, init = model.encoding.transform(x), model.encoding.initial_state(x)
    split = split_circuit(model.circuit, part.assignment, {k: np.array([1.0, 0, 0, 0]) for k in [("q0", "q1")]})
    np.testing.assert_allclose(output_fidelity(model.circuit, split, params, data, init), 1.0, rtol=0, atol=1e-9)
    y = np.array([0, 1, 1])
    loss, grad = SplitEvaluator(model, split, "enumerate").loss_and_grad(params, x, y)
    ref_loss, ref_grad = model.loss_and_grad(params, x, y)
    assert loss == pytest.approx(ref_loss, abs=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=1e-10)


def test_coherent_training_over_perfect_pairs_follows_the_single_qpu_trajectory() -> None:
    spec = {"max_steps": 3, "model": {"qubits": 8, "layers": 2}, "optimizer": {"type": "sgd", "learning_rate": 0.3}}
    single = train_on(STAR4, {"type": "single", "node": "q0"}, seed=5, **spec, **COMMON)
    split = train_on(STAR4, {"type": "coherent", "placement": {"q1": [0]}}, seed=5, **spec, **COMMON)
    np.testing.assert_allclose(split.final_params, single.final_params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(split.recorder.losses, single.recorder.losses, rtol=0, atol=1e-10)
    assert split.extra_metrics["output_fidelity"] == pytest.approx(1.0, abs=1e-9)
    assert split.extra_metrics["pair_fidelity"] == 1.0
    assert split.network.now > single.network.now  # the telegates' classical round trips cost time


# ------------------------------------------------------------------------------------------ the channel


@pytest.mark.parametrize("f", [1.0, 0.95, 0.8, 0.6])
def test_one_remote_cnot_on_a_bell_preparation_matches_the_telegate_channel(f: float) -> None:
    c = Circuit(2).h(0).cx(0, 1)
    coefficients = np.array([f, 0.5 * (1 - f), 0.3 * (1 - f), 0.2 * (1 - f)])
    rho = density_matrix(split_circuit(c, ["a", "b"], coefficients))[0]
    plus_zero = np.zeros((4, 4), dtype=complex)
    plus_zero[[0, 0, 2, 2], [0, 2, 0, 2]] = 0.5  # |+0><+0|
    np.testing.assert_allclose(rho, telegate_channel(plus_zero, coefficients), atol=1e-12)
    bell = np.array([1, 0, 0, 1]) / np.sqrt(2)
    fidelity = output_fidelity(c, split_circuit(c, ["a", "b"], coefficients), np.zeros(0))[0]
    assert fidelity == pytest.approx(f, abs=1e-12)  # every telegate error maps Φ+ to another Bell state
    assert np.vdot(bell, rho @ bell).real == pytest.approx(f, abs=1e-12)


def test_consecutive_telegates_compose_as_the_product_of_their_channels() -> None:
    # |+0> -> CX (remote) -> RY on the target -> CZ (remote); analytic: the channels applied in turn
    theta = 0.7
    c = Circuit(2).h(0).cx(0, 1).ry(1, theta).cz(0, 1)
    c1, c2 = werner(0.9), np.array([0.85, 0.05, 0.06, 0.04])
    split = split_circuit(c, ["a", "b"], {("a", "b"): c1})
    split2 = Circuit(2)
    seen = 0
    for op in split.ops:  # second telegate with its own pair state
        if op.is_channel:
            seen += 1
            if seen == 2:
                op = split_circuit(Circuit(2).cz(0, 1), ["a", "b"], c2).ops[1]
        split2.extend([op])
    rho = density_matrix(split2)[0]
    state = np.zeros((4, 4), dtype=complex)
    state[[0, 0, 2, 2], [0, 2, 0, 2]] = 0.5
    state = telegate_channel(state, c1)
    ry = np.array([[np.cos(theta / 2), -np.sin(theta / 2)], [np.sin(theta / 2), np.cos(theta / 2)]])
    u = np.kron(np.eye(2), ry)
    state = u @ state @ u.conj().T
    h = np.kron(np.eye(2), np.array([[1, 1], [1, -1]]) / np.sqrt(2))  # CZ = (I⊗H) CNOT (I⊗H)
    state = h @ telegate_channel(h @ state @ h, c2) @ h
    np.testing.assert_allclose(rho, state, atol=1e-12)
    ideal = statevector(c)[0]
    assert (
        np.vdot(ideal, rho @ ideal).real < np.vdot(ideal, density_matrix(split_circuit(c, ["a", "b"]))[0] @ ideal).real
    )


def test_enumeration_density_matrix_and_trajectories_agree() -> None:
    model = QNNModel(AngleEncoding(4), hardware_efficient(4, 2))
    rng = np.random.default_rng(2)
    params = model.init_params(rng)
    x, y = rng.uniform(-1, 1, (3, 4)), np.array([0, 1, 0])
    split = split_circuit(model.circuit, ["a", "b", "b", "b"], werner(0.8))
    exact = SplitEvaluator(model, split, "enumerate")
    dm = SplitEvaluator(model, split, "density_matrix")
    np.testing.assert_allclose(exact.expectations(params, x), dm.expectations(params, x), atol=1e-12)
    loss_e, grad_e = exact.loss_and_grad(params, x, y)
    loss_d, grad_d = dm.loss_and_grad(params, x, y)
    assert loss_e == pytest.approx(loss_d, abs=1e-12)
    np.testing.assert_allclose(grad_e, grad_d, atol=1e-10)
    traj = SplitEvaluator(model, split, "trajectories", trajectories=4000, rng=np.random.default_rng(1))
    np.testing.assert_allclose(traj.expectations(params, x), dm.expectations(params, x), atol=0.05)
    # the noise is really there, and the light cone keeps every channel that matters
    ideal = expectation(model.circuit, model.observables, params, model.encoding.transform(x))
    assert np.max(np.abs(ideal - dm.expectations(params, x))) > 1e-3
    far = split_circuit(model.circuit, ["a", "a", "b", "b"], werner(0.8))  # CNOT(1,2) remote
    pruned = SplitEvaluator(model, far).cone()  # the causal cone keeps one channel, the commuting one none
    assert sum(op.is_channel for op in prune(far, model.observables, method="causal").ops) == 1
    assert sum(op.is_channel for op in pruned.ops) == 0 < sum(op.is_channel for op in far.ops) == 2
    data = model.encoding.transform(x)
    np.testing.assert_allclose(
        dm_expectation(pruned, model.observables, params, data),
        dm_expectation(far, model.observables, params, data),
        atol=1e-12,
    )
    assert pauli_expansion(split, max_terms=3) is None and len(pauli_expansion(split) or []) == 4**2


@pytest.mark.parametrize("gate_noise", [False, True], ids=["pairs-enumerated", "pairs-and-gates-density-matrix"])
def test_evaluator_on_the_commuting_cone_keeps_values_and_gradients_of_a_shipped_split(gate_noise: bool) -> None:
    """Issue 16 item 3: the coherent evaluator prunes with the commutation-aware light cone. On the demo's
    telegate split its values and gradients equal the unpruned circuit's, by density matrices and parameter
    shifts (an independent path), to 1e-10; the channels it keeps are a subset of the causal cone's."""
    scenario = load_scenario(ROOT / "scenarios" / "demo" / "coherent_telegate.yaml")
    model = build_model(scenario.workload.model)
    placement = scenario.workload.strategy["placement"]
    assignment = [next(n for n, qs in placement.items() if q in qs) for q in range(model.num_qubits)]
    base = NoiseModel(p1=2e-3, p2=1e-2).apply(model.circuit) if gate_noise else model.circuit
    split = split_circuit(base, assignment, werner(0.85))
    evaluator = SplitEvaluator(model, split, "enumerate")
    rng = np.random.default_rng(5)
    params, x = model.init_params(rng), rng.uniform(-1, 1, (3, model.num_qubits))
    y = np.array([0, 1, 1])
    data, obs = model.encoding.transform(x), model.observables

    def dm(c: Circuit, p: np.ndarray, d: np.ndarray | None, i: np.ndarray | None) -> np.ndarray:
        return dm_expectation(c, obs, p, d, i)

    values = dm_expectation(split, obs, params, data)
    np.testing.assert_allclose(evaluator.expectations(params, x), values, atol=1e-10)
    _, de = model.loss_from_expectations(values, y)
    grad = np.einsum("bk,bkp->p", de, parameter_shift_jacobian(split, obs, params, data, evaluator=dm))
    np.testing.assert_allclose(evaluator.loss_and_grad(params, x, y)[1], grad, atol=1e-10)
    channels = {i for i, op in enumerate(split.ops) if op.is_channel}
    commuting = set(light_cone(split, obs).ops) & channels
    causal = set(light_cone(split, obs, method="causal").ops) & channels
    assert commuting <= causal and len(commuting) > 0
    assert set(light_cone(split, obs).ops) <= set(light_cone(split, obs, method="causal").ops)


# ------------------------------------------------------------------------------------------ the network


def test_ledger_matches_cut_size_times_shots_times_circuits() -> None:
    topo = load_topology(ROOT / "topologies" / "star4_werner.yaml")
    strategy = {"type": "coherent", "communication_qubits": 6}
    spec = {"max_steps": 2, "model": {"qubits": 6, "layers": 1}}
    ctx = train_on(topo, strategy, seed=3, **spec, **COMMON)
    model = build_model(ModelSpec(qubits=6, layers=1))
    part = plan_partition(model.circuit, topo, CoherentOptions.model_validate(strategy))
    work = step_workload(model.circuit, part.assignment, 4, 10)
    assert work.circuits == 4 * (1 + 2 * model.num_params) and work.shots == work.circuits * 10
    expected = part.telegates * work.shots * 2
    ledger = ctx.network.ledger
    assert sum(n.telegates for n in ledger.nodes.values()) == expected == ctx.extra_metrics["telegates"]
    assert sum(p.e2e_pairs_consumed for p in ledger.paths.values()) == expected
    assert {name: p.e2e_pairs_consumed for name, p in ledger.paths.items()} == {
        f"{a}~{b}": n * 2 for (a, b), n in work.pairs.items()
    }
    assert sum(ledger.nodes[n].shots for n in part.nodes_used) == work.shots * 2 * len(part.nodes_used)
    assert 0.85 < ctx.extra_metrics["pair_fidelity"] < 0.95  # two Werner 0.95 links swapped: ~0.90


def test_direct_link_books_its_pairs_on_the_link() -> None:
    strategy = {"type": "coherent", "nodes": ["qpu_a", "qpu_b"]}
    ctx = train_on(SMALL, strategy, seed=1, max_steps=2, model={"qubits": 4, "layers": 1}, **COMMON)
    link = ctx.network.ledger.links["qpu_a-qpu_b"]
    assert link.pairs_consumed == ctx.extra_metrics["telegates"] == 1 * 4 * (1 + 2 * 8) * 10 * 2
    assert link.messages == 2 * link.pairs_consumed  # one bit each way per telegate


def test_output_fidelity_falls_with_pair_fidelity() -> None:
    spec = {"max_steps": 2, "model": {"qubits": 4, "layers": 2}}
    out = {}
    for f in (1.0, 0.97, 0.9, 0.8):
        ctx = train_on(
            with_fidelity(STAR4, f),
            {"type": "coherent", "nodes": ["q0", "q1"], "placement": {"q1": [0]}, "communication_qubits": 6},
            seed=2,
            **spec,
            **COMMON,
        )
        assert ctx.extra_metrics["pair_fidelity"] == pytest.approx(f, abs=1e-12)  # hub-q1 is perfect
        out[f] = ctx.extra_metrics["output_fidelity"]
    assert out[1.0] == pytest.approx(1.0, abs=1e-9)
    assert out[1.0] > out[0.97] > out[0.9] > out[0.8]


def test_slow_pair_sources_make_the_qpus_wait_for_pairs() -> None:
    slow = with_fidelity(STAR4, 1.0, source_rate_hz=2.0e3)
    ctx = train_on(
        slow,
        {"type": "coherent", "nodes": ["q0", "q1"]},
        seed=1,
        max_steps=1,
        model={"qubits": 8, "layers": 1},
        **COMMON,
    )
    assert ctx.extra_metrics["wait_pairs_s"] > 0
    waits = [a for a in ctx.network.trace.activities if a.kind == "wait_pairs"]
    assert {a.node for a in waits} == {"q0", "q1"}


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"contention": "lottery"}, "strategy.contention"), ({"swap_policy": "eventually"}, "strategy.swap_policy")],
)
def test_unknown_contention_or_swap_policy_is_refused_naming_the_field(extra: dict, field: str) -> None:
    with pytest.raises(ScenarioError, match=field):
        train_on(STAR4_WERNER, {"type": "coherent", **extra}, max_steps=1, model={"qubits": 8, "layers": 1})


def test_a_cutoff_shorter_than_the_herald_is_refused_before_the_run() -> None:
    data = STAR4_WERNER.model_dump()
    data["nodes"][1]["memory"] = {"cutoff_s": 1e-6}  # q0: its pairs are 50 us old at the herald (10 km)
    topology = TopologySpec.model_validate(data)
    with pytest.raises(ScenarioError, match="strategy.nodes: node 'q0': memory.cutoff_s = 1e-06 s is not longer"):
        train_on(
            topology,
            {"type": "coherent", "nodes": ["q0", "q1"], "placement": {"q1": [0]}},
            max_steps=1,
            model={"qubits": 8, "layers": 1},
        )


def test_check_reports_problems_with_field_paths() -> None:
    def problems(strategy: dict[str, Any], topology: TopologySpec = STAR4, qubits: int = 8) -> list[str]:
        with pytest.raises(ScenarioError) as err:
            train_on(topology, {"type": "coherent", **strategy}, model={"qubits": qubits, "layers": 1}, **COMMON)
        return [p for p, _ in err.value.problems]

    assert problems({"nodes": ["q0", "nope"]}) == ["strategy.nodes[1]"]
    assert problems({"nodes": ["q0", "hub"]}) == ["strategy.nodes[1]"]
    assert problems({"nodes": ["q0"]}) == ["strategy.nodes"]  # 7 data qubits for an 8-qubit model
    assert problems({"placement": {"q9": [0]}}) == ["strategy.placement.q9"]
    assert problems({"placement": {"q0": [0, 9]}}) == ["strategy.placement.q0[1]"]
    assert problems({"placement": {"q0": [0], "q1": [0]}}) == ["strategy.placement.q1[0]"]
    assert problems({"nodes": ["qpu_a", "qpu_far"]}, SMALL, qubits=4) == ["strategy.nodes"]  # no quantum path


# ------------------------------------------------------------------------------------------ scenarios

#: The 4-QPU split schedules 624 000 pairs through the timeline (about 4 s of CPU, as long as the 2-QPU run).
SCENARIOS = ["train_coherent_star4", "train_coherent_star4_4qpu", "train_coherent_metro"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_shipped_coherent_scenarios_run(name: str) -> None:
    path = ROOT / "scenarios" / f"{name}.yaml"
    assert path.read_text().startswith("# ")
    result = qnet_dqnn.run(path)
    m = result.metrics
    steps, shots = (5, 20) if name.endswith("metro") else (8, 50)
    assert m["updates"] == steps
    circuits = 1 + 2 * m["parameters"]  # per input: forward and parameter shift
    assert m["pairs_per_step"] == m["telegates_per_circuit"] * 4 * circuits * shots  # batch x circuits x shots
    assert m["telegates"] == m["pairs_consumed"] == m["pairs_per_step"] * steps
    totals = result.ledger["totals"]
    assert totals["telegates"] == m["telegates"] == totals["e2e_pairs_consumed"]
    assert totals["pairs_delivered"] >= totals["pairs_consumed"] == 2 * m["pairs_consumed"]  # 2 links per path
    assert 0.3 < m["output_fidelity"] < 0.99
    assert m["qpus_used"] == (4 if name.endswith("4qpu") else 2)
    # metro: slow, lossy links set the pace; on the star the 1 MHz sources keep up but for rare per-shot stalls
    # (one pair qubit at q0 after its 7 data qubits: one budget)
    share = m["wait_pairs_s"] / result.simulated_time_s
    assert share > 0.5 if name.endswith("metro") else share < 0.01


def test_fidelity_sweep_scenario_degrades_with_pair_fidelity() -> None:
    path = ROOT / "scenarios" / "train_coherent_fidelity_sweep.yaml"
    assert path.read_text().startswith("# ")
    points = expand_sweep(path)
    assert [p.params["topology.links[0].quantum.source_fidelity"] for p in points] == [0.8, 0.9, 0.95, 0.99, 0.999]
    assert all(p.params["topology.links[1].quantum.source_fidelity"] == 1.0 for p in points)
    low, high = (qnet_dqnn.run(points[i].scenario()).metrics for i in (0, -1))
    assert low["pair_fidelity"] == pytest.approx(0.8) and high["pair_fidelity"] == pytest.approx(0.999)
    assert low["output_fidelity"] < high["output_fidelity"] < 1.0


def test_model_spec_fits_train_spec() -> None:  # the options model validates from YAML-like data
    spec = TrainSpec.model_validate({"type": "train", "strategy": {"type": "coherent", "placement": {"q0": [1, 2]}}})
    assert spec.strategy["placement"] == {"q0": [1, 2]}
    options = CoherentOptions.model_validate(
        {"type": "coherent", "placement": {"q0": [1, 2]}, "evaluation": "trajectories"}
    )
    assert options.evaluation == "trajectories"
    placement = partition_qubits(Circuit(2).ry(0, Data(0)).cx(0, 1), {"a": 1, "b": 1})
    assert placement is not None
