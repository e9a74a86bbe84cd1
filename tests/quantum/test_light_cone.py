"""Light cones: the pruned circuits give the brute-force expectation values, the commutation-aware cone is never
larger than the causal one, and the remote operations inside it are counted per node pair."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.cutting import evaluate_cut, find_cuts
from qnet_dqnn.distributed.spec import ModelSpec, build_model
from qnet_dqnn.errors import QnetError
from qnet_dqnn.quantum.circuit import Circuit, Data, Trainable
from qnet_dqnn.quantum.density_matrix import dm_expectation
from qnet_dqnn.quantum.gates import gate_spec
from qnet_dqnn.quantum.light_cone import cone_metrics, light_cone, prune, remote_ops_in_cone
from qnet_dqnn.quantum.observables import PauliString
from qnet_dqnn.quantum.statevector import expectation

ONE_QUBIT = ("h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "p")
TWO_QUBIT = ("cx", "cz", "swap", "rzz", "rxx", "ryy")
CHANNELS = ("pauli1", "depolarize1", "thermal", "pauli2", "depolarize2")


def _angle(rng: np.random.Generator, n: int, k: int) -> tuple[object, int]:
    """A trainable reference, a data reference or a number (a multiple of π/2 one time in four)."""
    kind = rng.integers(4)
    if kind == 0:
        return Trainable(k), k + 1
    if kind == 1:
        return Data(int(rng.integers(n)), float(rng.uniform(0.5, 2.0))), k
    if kind == 2:
        return float(np.pi / 2 * rng.integers(-4, 5)), k
    return float(rng.uniform(-np.pi, np.pi)), k


def random_circuit(rng: np.random.Generator, n: int, length: int, channels: bool) -> Circuit:
    c, k = Circuit(n), 0
    for _ in range(length):
        r = rng.random()
        if channels and r < 0.15:
            name = str(rng.choice(CHANNELS))
            if name == "pauli1":
                c.pauli_channel(int(rng.integers(n)), *(0.1 * rng.random(3) * (rng.random(3) < 0.5)))
            elif name == "depolarize1":
                c.depolarize([int(rng.integers(n))], 0.1)
            elif name == "thermal":
                c.thermal(int(rng.integers(n)), 1e-3, 2e-3, 1e-3)
            else:
                a, b = (int(q) for q in rng.choice(n, 2, replace=False))
                if name == "depolarize2":
                    c.depolarize([a, b], 0.1)
                else:
                    probs = np.zeros(15)
                    probs[rng.choice(15, 2)] = 0.05
                    c.pauli_channel2(a, b, probs)
        elif r < 0.6:
            name, q = str(rng.choice(ONE_QUBIT)), int(rng.integers(n))
            if gate_spec(name).num_params:
                angle, k = _angle(rng, n, k)
                c.append(name, [q], [angle])
            else:
                c.append(name, [q])
        else:
            name = str(rng.choice(TWO_QUBIT))
            a, b = (int(q) for q in rng.choice(n, 2, replace=False))
            if gate_spec(name).num_params:
                angle, k = _angle(rng, n, k)
                c.append(name, [a, b], [angle])
            else:
                c.append(name, [a, b])
    return c


def random_observable(rng: np.random.Generator, n: int) -> PauliString:
    qubits = rng.choice(n, int(rng.integers(1, min(n, 3) + 1)), replace=False)
    return PauliString(tuple((int(q), str(rng.choice(list("XYZ")))) for q in qubits))


@pytest.mark.parametrize("channels", [False, True], ids=["gates", "with channels"])
def test_pruned_circuits_give_the_brute_force_values_and_commuting_is_inside_causal(channels: bool) -> None:
    rng = np.random.default_rng(16 + channels)
    shrank = 0
    for _ in range(60):
        n = int(rng.integers(2, 6))
        circuit = random_circuit(rng, n, int(rng.integers(4, 30)), channels)
        observables = [random_observable(rng, n) for _ in range(int(rng.integers(1, 3)))]
        params = rng.uniform(-np.pi, np.pi, (3, max(circuit.num_trainable, 1)))
        data = rng.uniform(-np.pi, np.pi, (3, n))
        simulate = dm_expectation if channels else expectation
        full = simulate(circuit, observables, params, data)
        causal = light_cone(circuit, observables, method="causal")
        commuting = light_cone(circuit, observables)
        assert set(commuting.ops) <= set(causal.ops)
        assert commuting.qubits <= causal.qubits
        shrank += len(commuting.ops) < len(causal.ops)
        for method in ("causal", "commuting"):
            pruned = prune(circuit, observables, method=method)
            np.testing.assert_allclose(simulate(pruned, observables, params, data), full, rtol=0, atol=1e-10)
    assert shrank > 10  # the commutation rule does prune beyond causality on random circuits


def test_a_gate_commuting_with_the_evolved_observable_is_dropped_and_one_that_does_not_is_kept() -> None:
    z0 = PauliString.z(0)
    c = Circuit(3).ry(0, Trainable(0)).cx(0, 1).cx(1, 2).rz(0, Trainable(1)).cx(0, 2)
    # causally every gate is reached (CX(0,2) brings qubit 2 in, CX(1,2) qubit 1); but Z0 commutes with
    # CX(0,2) and CX(0,1) (controlled on qubit 0) and with RZ(0): only RY changes it
    assert light_cone(c, z0, method="causal").ops == (0, 1, 2, 3, 4)
    assert light_cone(c, z0).ops == (0,)
    # X on a CNOT's target passes through it (X_t -> X_t); Z on the target spreads to the control
    assert light_cone(Circuit(2).h(0).cx(0, 1), PauliString.parse("X1")).ops == ()
    cone = light_cone(Circuit(2).h(0).cx(0, 1), PauliString.parse("Z1"))
    assert cone.ops == (0, 1) and cone.qubits == frozenset({0, 1})


def test_an_angle_parameter_must_commute_for_every_value() -> None:
    # RX(2π) = -I commutes with everything; RX(θ) in general does not commute with Z
    assert light_cone(Circuit(1).rx(0, 2 * np.pi), PauliString.z(0)).ops == ()
    assert light_cone(Circuit(1).rx(0, Trainable(0)), PauliString.z(0)).ops == (0,)
    assert light_cone(Circuit(1).rx(0, Data(0)), PauliString.z(0)).ops == (0,)
    # RZZ(θ) commutes with Z0 for every θ, RXX(θ) does not
    assert light_cone(Circuit(2).rzz(0, 1, Trainable(0)), PauliString.z(0)).ops == ()
    assert light_cone(Circuit(2).rxx(0, 1, Trainable(0)), PauliString.z(0)).ops == (0,)


def test_channels_dephasing_a_z_observable_are_dropped_bit_flips_are_kept() -> None:
    z0 = PauliString.z(0)
    c = Circuit(2).ry(0, Trainable(0)).pauli_channel(0, 0.0, 0.0, 0.2).pauli_channel(0, 0.1, 0.0, 0.0)
    c.pauli_channel2(0, 1, [0.0] * 2 + [0.3] + [0.0] * 12).thermal(1, 1e-3, 1.0, 1.0)  # IZ: on qubit 1 only
    # backwards: thermal on qubit 1 (no letter there) and IZ (commutes) dropped, the X flip kept, Z flip
    # dropped (Z0 still only Z there), RY kept
    assert light_cone(c, z0).ops == (0, 2)
    assert light_cone(c, z0, method="causal").ops == (0, 1, 2, 3)
    rho_value = dm_expectation(c, [z0], np.array([0.7]))
    np.testing.assert_allclose(dm_expectation(prune(c, z0), [z0], np.array([0.7])), rho_value, atol=1e-12)


def test_several_observables_union_their_cones() -> None:
    c = Circuit(3).ry(0, Trainable(0)).ry(2, Trainable(1)).cx(1, 2)
    assert light_cone(c, PauliString.z(0)).ops == (0,)
    assert light_cone(c, PauliString.z(2)).ops == (1, 2)
    assert light_cone(c, [PauliString.z(0), PauliString.z(2)]).ops == (0, 1, 2)


def test_bad_input_is_refused() -> None:
    c = Circuit(2).h(0)
    with pytest.raises(QnetError, match="method"):
        light_cone(c, PauliString.z(0), method="lightish")  # type: ignore[arg-type]
    with pytest.raises(QnetError, match="at least one observable"):
        light_cone(c, [])
    with pytest.raises(QnetError, match="outside a 2-qubit register"):
        light_cone(c, PauliString.z(3))
    with pytest.raises(QnetError, match="names 3 nodes for a 2-qubit circuit"):
        remote_ops_in_cone(c, ["a", "b", "c"], PauliString.z(0))


# ------------------------------------------------------------------------------------------ remote operations


def test_remote_gates_and_moves_are_counted_where_the_cone_reaches_them() -> None:
    # qubits 0, 1 on node a, qubit 2 on node b; the readout Z0
    c = Circuit(3).ry(0, Trainable(0)).ry(2, Trainable(1)).cx(2, 0).cx(0, 2).cx(1, 2)
    where = ["a", "a", "b"]
    z0 = PauliString.z(0)
    assert remote_ops_in_cone(c, where, z0, method=None) == {"a~b": 3}
    # causal, backwards: CX(1,2) misses the support {0}; CX(0,2) touches it (qubit 2 joins), CX(2,0) too
    assert remote_ops_in_cone(c, where, z0, method="causal") == {"a~b": 2}
    # commuting: Z on CX(0,2)'s control passes unchanged, so only CX(2,0) (Z on its target -> Z2 Z0) is left
    assert remote_ops_in_cone(c, where, z0) == {"a~b": 1}
    # a qubit that moves between two of its operations (a teleport, or a wire cut) counts when its wire is live
    moving = Circuit(2).ry(0, Trainable(0)).ry(0, Trainable(1)).cx(0, 1)

    def hop(i: int, q: int) -> str:
        return "b" if (q == 1 or i >= 1) else "a"  # qubit 0 moves from a to b between op 0 and op 1

    assert remote_ops_in_cone(moving, hop, PauliString.z(1)) == {"a~b": 1}
    assert remote_ops_in_cone(moving, hop, PauliString.parse("X1")) == {}  # X1 passes the CNOT's target


def test_cone_metrics_of_a_split_model() -> None:
    model = build_model(ModelSpec(qubits=6, layers=2, readout="mean"))
    where = ["q0"] * 3 + ["q1"] * 3
    m = cone_metrics(model.circuit, where, model.observables)
    # the ladder's CNOT(2, 3) in each layer: Z3 read out spreads to qubit 2 through it, in both layers
    assert m == {
        "remote_ops": 2.0,
        "remote_ops_in_causal_cone": 2.0,
        "remote_ops_in_cone": 2.0,
        "remote_ops_in_cone[q0~q1]": 2.0,
    }
    first = build_model(ModelSpec(qubits=6, layers=2))  # <Z0> only: the same split is invisible to it
    assert cone_metrics(first.circuit, where, first.observables)["remote_ops_in_cone"] == 0.0


def test_a_cut_finder_given_the_pruned_circuit_needs_no_cut_outside_the_cone() -> None:
    model = build_model(ModelSpec(qubits=8, layers=2))  # <Z0> reaches qubits 0 and 1 only
    x = np.linspace(0.1, 2.9, 16).reshape(2, 8)
    params = np.linspace(-1.0, 1.0, model.num_params)
    full = find_cuts(model.circuit, 4)
    pruned = find_cuts(prune(model.circuit, model.observables), 4)
    assert full.sampling_overhead == pytest.approx(81.0) and pruned.cuts == ()
    exact = expectation(model.circuit, model.observables, params, x)
    np.testing.assert_allclose(evaluate_cut(pruned, params, x, model.observables).value, exact, atol=1e-12)
