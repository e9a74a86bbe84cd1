"""Property-based checks on the quantum layer: channels, states, and cut reconstruction (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qnet_dqnn.cutting import evaluate_cut, find_cuts
from qnet_dqnn.quantum import Circuit, Data, Trainable, density_matrix, expectation, kraus_operators, statevector
from qnet_dqnn.quantum.circuit import Operation

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
probability = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def channels(draw: st.DrawFn) -> Operation:
    kind = draw(st.sampled_from(["pauli1", "depolarize1", "depolarize2", "thermal", "pauli2"]))
    if kind == "pauli1":
        p = np.array(draw(st.lists(probability, min_size=4, max_size=4))) + 1e-12
        return Operation("pauli1", (0,), tuple(float(v) for v in (p / p.sum())[1:]))
    if kind == "pauli2":
        p = np.array(draw(st.lists(probability, min_size=16, max_size=16))) + 1e-12
        return Operation("pauli2", (0, 1), tuple(float(v) for v in (p / p.sum())[1:]))
    if kind == "thermal":
        t1 = draw(st.floats(1e-6, 10.0))
        t2 = draw(st.floats(1e-6, 2 * t1))
        return Operation("thermal", (0,), (draw(st.floats(0.0, 10.0)), t1, t2))
    return Operation(kind, (0,) if kind == "depolarize1" else (0, 1), (draw(probability),))


@SETTINGS
@given(channels(), st.integers(0, 2**31 - 1))
def test_every_circuit_channel_is_trace_preserving_and_matches_its_kraus_form(op: Operation, seed: int) -> None:
    kraus = kraus_operators(op)
    d = kraus[0].shape[0]
    np.testing.assert_allclose(sum(k.conj().T @ k for k in kraus), np.eye(d), atol=1e-9)
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=d) + 1j * rng.normal(size=d)
    psi /= np.linalg.norm(psi)
    circuit = Circuit(len(op.qubits))
    circuit.append(op.name, op.qubits, op.params)
    rho = density_matrix(circuit, initial_state=psi[None, :])[0]
    expected = sum(k @ np.outer(psi, psi.conj()) @ k.conj().T for k in kraus)
    np.testing.assert_allclose(rho, expected, atol=1e-9)  # the simulator applies exactly this channel
    assert abs(np.trace(rho) - 1.0) < 1e-9 and np.linalg.eigvalsh((rho + rho.conj().T) / 2).min() >= -1e-9


@st.composite
def circuits(draw: st.DrawFn, max_qubits: int = 5) -> tuple[Circuit, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, max_qubits))
    c = Circuit(n)
    for q in range(n):
        c.ry(q, Data(q))
    k = 0
    for _ in range(draw(st.integers(1, 12))):
        a = draw(st.integers(0, n - 1))
        b = (a + draw(st.integers(1, n - 1))) % n
        gate = draw(st.sampled_from(["ry", "rz", "rx", "cx", "cz", "h"]))
        if gate in ("ry", "rz", "rx"):
            c.append(gate, [a], [Trainable(k)])
            k += 1
        elif gate == "h":
            c.h(a)
        else:
            c.append(gate, [a, b])
    params = np.array(draw(st.lists(st.floats(-3.2, 3.2), min_size=max(k, 1), max_size=max(k, 1))))
    x = np.array([draw(st.lists(st.floats(-1.0, 1.0), min_size=n, max_size=n))])
    return c, params[:k] if k else np.zeros(0), x


@SETTINGS
@given(circuits(), st.lists(channels().filter(lambda op: len(op.qubits) == 1), max_size=3))
def test_states_stay_normalised_and_density_matrices_physical(case: tuple, noise: list[Operation]) -> None:
    c, params, x = case
    psi = statevector(c, params if params.size else None, x)
    assert np.allclose(np.linalg.norm(psi, axis=1), 1.0, atol=1e-9)
    noisy = c.copy()
    for op in noise:
        noisy.append(op.name, op.qubits, op.params)
    rho = density_matrix(noisy, params if params.size else None, x)[0]
    assert abs(np.trace(rho) - 1.0) < 1e-9
    assert np.linalg.eigvalsh((rho + rho.conj().T) / 2).min() >= -1e-9


@SETTINGS
@given(circuits(max_qubits=5))
def test_exact_cut_reconstruction_equals_the_uncut_value(case: tuple) -> None:
    c, params, x = case
    if not c.two_qubit_gates():
        return
    plan = find_cuts(c, max(2, c.num_qubits - 2))
    cut = evaluate_cut(plan, params if params.size else None, x, observable=0).value
    uncut = expectation(c, [0], params if params.size else None, x)
    np.testing.assert_allclose(cut, uncut, atol=1e-9)
