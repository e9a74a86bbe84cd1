"""Telegate or teleport (``remote_gates``): the per-run rule, equality with the unsplit circuit over perfect
pairs in every mode, the teleport's Pauli channel against the explicit protocol and a closed form, capacities,
and the ledger (pairs = telegates + teleports per shot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import qutip

from qnet_dqnn.distributed.coherent import (
    CoherentOptions,
    output_fidelity,
    plan_partition,
    remote_ops,
    split_circuit,
    step_workload,
    teleport_pays,
    teleport_probabilities,
)
from qnet_dqnn.distributed.harness import train_on
from qnet_dqnn.distributed.partition import spare_slots
from qnet_dqnn.distributed.spec import ModelSpec, build_model
from qnet_dqnn.errors import ScenarioError
from qnet_dqnn.physics.teleportation import average_teleportation_fidelity, pure_state_teleport_fidelity, teleport
from qnet_dqnn.quantum import density_matrix, statevector
from qnet_dqnn.quantum.circuit import Circuit, Trainable
from qnet_dqnn.scenario import scenario_from_data
from qnet_dqnn.topology import TopologySpec, load_topology

ROOT = Path(__file__).resolve().parents[2]
SMALL = load_topology(ROOT / "topologies" / "small_qpus.yaml")
COMMON: dict[str, Any] = {
    "noise": False,
    "batch_size": 4,
    "shots": 10,
    "estimator": "exact",
    "dataset": {"samples": 40, "validation_samples": 10},
}
MODES = ("telegate", "teleport", "auto")


def werner(f: float) -> np.ndarray:
    return np.array([f, (1 - f) / 3, (1 - f) / 3, (1 - f) / 3])


def kinds(circuit: Circuit, assignment: list[str], mode: str, spare: dict[str, int] | None = None) -> list[str]:
    return [op.kind for op in remote_ops(circuit, assignment, mode, spare)]  # type: ignore[arg-type]


def random_circuit(n: int, depth: int, rng: np.random.Generator) -> Circuit:
    c = Circuit(n)
    k = 0
    for _ in range(depth):
        q = int(rng.integers(n))
        c.append(str(rng.choice(["rx", "ry", "rz"])), [q], [Trainable(k)])
        k += 1
        a, b = (int(v) for v in rng.choice(n, size=2, replace=False))
        name = str(rng.choice(["cx", "cz", "rzz", "rxx", "ryy", "swap"]))
        c.append(name, [a, b], [Trainable(k)] if name.startswith("r") else [])
        k += name.startswith("r")
    return c


# ------------------------------------------------------------------------------------------ the rule


def test_auto_teleports_runs_of_three_telegates_and_more_only() -> None:
    assert [teleport_pays(k, "auto") for k in range(1, 6)] == [False, False, True, True, True]
    assert not teleport_pays(10, "telegate") and teleport_pays(1, "teleport")
    ab = ["a", "b"]
    one = Circuit(2).h(0).cx(0, 1)
    three = Circuit(2).h(0).cx(0, 1).rz(0, 0.3).cz(0, 1).cx(0, 1)  # a gate on the qubit in between: same run
    assert kinds(one, ab, "auto") == ["telegate"]
    assert kinds(three, ab, "auto") == ["teleport", "teleport"]  # there and back: 2 pairs instead of 3
    assert kinds(three, ab, "telegate") == ["telegate"] * 3
    assert kinds(one, ab, "teleport") == ["teleport", "teleport"]
    # an RZZ is two telegates: one alone is a tie (2 pairs either way) and stays telegates; two make a run of 4
    assert kinds(Circuit(2).rzz(0, 1, 0.2), ab, "auto") == ["telegate"] * 2
    assert kinds(Circuit(2).rzz(0, 1, 0.2).rzz(0, 1, 0.4), ab, "auto") == ["teleport"] * 2


def test_a_gate_with_a_qubit_at_home_ends_the_run() -> None:
    # q0 (at a) and q1 (at b) meet twice, then each meets a qubit of its home, then they meet twice again:
    # every run is 2 telegates long -> telegates
    c = Circuit(4).cx(0, 1).cx(0, 1).cx(0, 2).cx(1, 3).cx(0, 1).cx(0, 1)
    assignment = ["a", "b", "a", "b"]
    assert kinds(c, assignment, "auto") == ["telegate"] * 4
    assert kinds(c, assignment, "teleport") == ["teleport"] * 4  # two runs, each there and back
    # without q1's gate at home, q1 can stay at a for all four: one run of 4 -> teleported
    e = Circuit(4).cx(0, 1).cx(0, 1).cx(0, 2).cx(0, 1).cx(0, 1)
    assert [(op.kind, op.qubits) for op in remote_ops(e, assignment, "auto")] == [("teleport", (1,))] * 2
    # the longer run moves: q1 has three gates with a's qubits, q0 only one with b's
    d = Circuit(3).cx(0, 1).cx(2, 1).cx(0, 1)
    ops = remote_ops(d, ["a", "b", "a"], "auto")
    assert [(op.kind, op.qubits, op.src, op.dst) for op in ops] == [
        ("teleport", (1,), "b", "a"),
        ("teleport", (1,), "a", "b"),
    ]


def test_no_spare_data_slot_falls_back_to_telegates() -> None:
    c = Circuit(2).cx(0, 1).cx(0, 1).cx(0, 1)
    assert kinds(c, ["a", "b"], "auto", {"a": 0, "b": 0}) == ["telegate"] * 3
    assert kinds(c, ["a", "b"], "auto", {"a": 1, "b": 0}) == ["teleport"] * 2  # q1 moves to a
    assert [op.src for op in remote_ops(c, ["a", "b"], "auto", {"a": 1, "b": 0})] == ["b", "a"]
    # the slot is taken while the first qubit visits, and free again after it returns
    two = Circuit(3).cx(0, 2).cx(0, 2).cx(0, 2).cx(1, 2).cx(1, 2).cx(1, 2)
    assert kinds(two, ["a", "a", "b"], "teleport", {"a": 0, "b": 1}) == ["teleport"] * 4
    assert spare_slots(SMALL, ["qpu_a", "qpu_b"], ["qpu_a", "qpu_a", "qpu_b"], 1) == {"qpu_a": 0, "qpu_b": 1}


def test_gate_noise_channels_do_not_change_the_plan() -> None:
    # the split of the gate-noisy circuit (channels after gates) uses pairs exactly as the clean one
    rng = np.random.default_rng(7)
    clean = random_circuit(4, 16, rng)
    noisy = Circuit(4)
    for op in clean.ops:
        noisy.extend([op])
        noisy.append("depolarize1" if len(op.qubits) == 1 else "depolarize2", list(op.qubits), [0.01])
    assignment = ["a", "b", "a", "b"]
    for mode in MODES:
        assert remote_ops(noisy, assignment, mode) == remote_ops(clean, assignment, mode)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ the state


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", MODES)
def test_split_over_perfect_pairs_equals_the_unsplit_circuit_in_every_mode(seed: int, mode: str) -> None:
    rng = np.random.default_rng(seed)
    c = random_circuit(5, 12, rng)
    assignment = [str(rng.choice(["a", "b", "c"])) for _ in range(5)]
    params = rng.uniform(-np.pi, np.pi, c.num_trainable)
    for spare in (None, {"a": 1, "b": 1, "c": 0}):
        split = split_circuit(c, assignment, np.array([1.0, 0, 0, 0]), remote_gates=mode, spare=spare)  # type: ignore[arg-type]
        assert not split.has_channels
        psi, phi = statevector(c, params)[0], statevector(split, params)[0]
        assert abs(np.vdot(psi, phi)) ** 2 == pytest.approx(1.0, abs=1e-9)
        noisy = split_circuit(c, assignment, werner(0.9), remote_gates=mode, spare=spare)  # type: ignore[arg-type]
        ops = remote_ops(c, assignment, mode, spare)  # type: ignore[arg-type]
        assert sum(op.name == "pauli1" for op in noisy.ops) == sum(op.kind == "teleport" for op in ops)
        assert sum(op.name == "pauli2" for op in noisy.ops) == sum(op.kind == "telegate" for op in ops)
        assert sum(op.kind == "teleport" for op in ops) % 2 == 0  # every qubit that leaves comes back


@pytest.mark.parametrize("seed", range(4))
def test_teleport_channel_is_the_explicit_protocol(seed: int) -> None:
    rng = np.random.default_rng(seed)
    c = rng.dirichlet(np.ones(4))
    rho = qutip.rand_dm(2, seed=seed).full()
    p_x, p_y, p_z = teleport_probabilities(c)
    paulis = [qutip.sigmax().full(), qutip.sigmay().full(), qutip.sigmaz().full()]
    channel = (1 - p_x - p_y - p_z) * rho + sum(
        p * s @ rho @ s.conj().T for p, s in zip((p_x, p_y, p_z), paulis, strict=True)
    )
    np.testing.assert_allclose(channel, teleport(rho, c), atol=1e-12)  # Bennett et al. 1993, simulated


@pytest.mark.parametrize("f", [1.0, 0.95, 0.8, 0.6])
def test_a_teleported_bell_preparation_matches_its_closed_form(f: float) -> None:
    # |+0>, then three remote CNOTs (an odd number: one CNOT overall), so q0 is teleported over a Werner pair,
    # the CNOTs are local at b, and it is teleported back. Before the CNOTs an X on |+> is harmless and Z or Y
    # make |->; after them, only I keeps Φ+ and only Z brings Φ- back:
    # F = (c0 + c1)·c0 + (c2 + c3)·c2 = ((2F+1)/3)·F + (2(1-F)/3)·((1-F)/3).
    c = Circuit(2).h(0).cx(0, 1).cx(0, 1).cx(0, 1)
    split = split_circuit(c, ["a", "b"], werner(f), remote_gates="auto")
    assert [op.name for op in split.ops if op.is_channel] == ([] if f == 1.0 else ["pauli1", "pauli1"])
    closed = average_teleportation_fidelity(f) * f + (2 * (1 - f) / 3) * ((1 - f) / 3)
    assert output_fidelity(c, split, np.zeros(0))[0] == pytest.approx(closed, abs=1e-12)
    # one teleport of |+> alone (the first channel) has the fidelity (2F+1)/3 of a Werner pair
    rho = density_matrix(Circuit(2, split.ops[: 2 if f < 1 else 1]))[0]  # h, then the teleport's channel
    plus0 = np.array([1, 0, 1, 0]) / np.sqrt(2)
    assert np.vdot(plus0, rho @ plus0).real == pytest.approx(average_teleportation_fidelity(f), abs=1e-12)
    plus = np.array([1.0, 0.0, 0.0])
    assert pure_state_teleport_fidelity(werner(f), plus) == pytest.approx(average_teleportation_fidelity(f))


def test_a_pair_with_x_errors_only_teleports_plus_unharmed_but_not_the_bell_state() -> None:
    c = np.array([0.8, 0.2, 0.0, 0.0])  # X errors leave |+> alone; after the CNOTs one is fatal
    circuit = Circuit(2).h(0).cx(0, 1).cx(0, 1).cx(0, 1)
    split = split_circuit(circuit, ["a", "b"], c, remote_gates="teleport")
    plus0 = np.array([1, 0, 1, 0]) / np.sqrt(2)
    rho = density_matrix(Circuit(2, split.ops[:2]))[0]
    assert np.vdot(plus0, rho @ plus0).real == pytest.approx(1.0, abs=1e-12)
    assert output_fidelity(circuit, split, np.zeros(0))[0] == pytest.approx((0.8 + 0.2) * 0.8, abs=1e-12)


# ------------------------------------------------------------------------------------------ the network


def big_pair() -> TopologySpec:
    """small_qpus with 8-qubit qpu_a and qpu_b (2 communication qubits each: 6 data slots)."""
    data = SMALL.model_dump()
    for node in data["nodes"]:
        if node["name"] in ("qpu_a", "qpu_b"):
            node["qubits"] = 8
    return TopologySpec.model_validate(data)


@pytest.mark.parametrize("mode", MODES)
def test_ledger_pairs_are_telegates_plus_teleports_times_shots(mode: str) -> None:
    topo = big_pair()
    model_spec = {"qubits": 4, "layers": 3}
    strategy = {
        "type": "coherent",
        "nodes": ["qpu_a", "qpu_b"],
        "placement": {"qpu_b": [0], "qpu_a": [1, 2, 3]},  # q0 meets q1 once a layer: one run of 3 CNOTs
        "remote_gates": mode,
    }
    steps = 2
    ctx = train_on(topo, strategy, seed=1, max_steps=steps, model=model_spec, **COMMON)
    options = CoherentOptions.model_validate(strategy)
    model = build_model(ModelSpec(**model_spec))
    part = plan_partition(model.circuit, topo, options)
    spare = spare_slots(topo, ["qpu_a", "qpu_b"], part.assignment, options.communication_qubits)
    work = step_workload(model.circuit, part.assignment, 4, 10, remote_gates=mode, spare=spare)  # type: ignore[arg-type]
    telegates, teleports = sum(work.telegates.values()), sum(work.teleports.values())
    assert (telegates, teleports) == {"telegate": (3, 0), "teleport": (0, 2), "auto": (0, 2)}[mode]
    shots = work.circuits * 10
    assert work.shots == shots
    m, ledger = ctx.extra_metrics, ctx.network.ledger
    link = ledger.links["qpu_a-qpu_b"]
    assert link.pairs_consumed == (telegates + teleports) * shots * steps == m["pairs_consumed"]
    assert sum(n.telegates for n in ledger.nodes.values()) == telegates * shots * steps == m["telegates"]
    assert sum(n.teleports for n in ledger.nodes.values()) == teleports * shots * steps == m["teleports"]
    if teleports:  # q0 goes from qpu_b to qpu_a and back: one teleport booked at each sender
        assert ledger.nodes["qpu_a"].teleports == ledger.nodes["qpu_b"].teleports == shots * steps
    assert link.messages == (2 * telegates + teleports) * shots * steps  # 1 bit each way; 2 bits one way
    assert link.bits == (2 * telegates + 2 * teleports) * shots * steps
    assert (m["telegates_per_circuit"], m["teleports_per_circuit"]) == (telegates, teleports)
    assert m["output_fidelity"] == pytest.approx(1.0, abs=1e-9)  # perfect pairs


def test_teleports_cost_fidelity_as_their_channel_says() -> None:
    # the same run as telegates or as a teleported qubit over Werner pairs: both noisy, differently
    topo = big_pair()
    data = topo.model_dump()
    data["links"][2]["quantum"]["source_fidelity"] = 0.9
    topo = TopologySpec.model_validate(data)
    out = {}
    for mode in ("telegate", "teleport"):
        strategy = {
            "type": "coherent",
            "nodes": ["qpu_a", "qpu_b"],
            "placement": {"qpu_b": [0], "qpu_a": [1, 2, 3]},
            "remote_gates": mode,
        }
        ctx = train_on(topo, strategy, seed=1, max_steps=1, model={"qubits": 4, "layers": 3}, **COMMON)
        assert ctx.extra_metrics["pair_fidelity"] == pytest.approx(0.9, abs=1e-12)
        out[mode] = ctx.extra_metrics["output_fidelity"]
    assert out["telegate"] < 1.0 and out["teleport"] < 1.0 and out["telegate"] != out["teleport"]


def test_bad_remote_gates_is_refused_naming_the_field() -> None:
    data = {
        "name": "bad",
        "topology": "in code",
        "stop": {"simulated_time_s": 1.0},
        "workload": {"type": "train", "strategy": {"type": "coherent", "remote_gates": "teledata"}},
    }
    with pytest.raises(ScenarioError) as err:
        scenario_from_data(data, topology=SMALL)
    problems = dict(err.value.problems)
    assert any(path.endswith("strategy.remote_gates") for path in problems), problems


@pytest.mark.parametrize("mode", MODES)
def test_output_fidelity_by_pauli_patterns_equals_the_density_matrix(mode: str) -> None:
    c = Circuit(3).h(0).ry(1, 0.3).cx(0, 1).rz(1, 0.5).cx(1, 2).ry(0, 0.2).cz(0, 1).rx(2, 0.7).cx(2, 1)
    params = np.zeros(0)
    noisy = split_circuit(c, ["a", "b", "a"], werner(0.85), remote_gates=mode)  # type: ignore[arg-type]
    dm = output_fidelity(c, noisy, params)
    assert dm[0] < 1.0
    np.testing.assert_allclose(output_fidelity(c, noisy, params, method="enumerate", max_terms=4**6), dm, atol=1e-12)
    assert np.isnan(output_fidelity(c, noisy, params, method="enumerate", max_terms=1)).all()
