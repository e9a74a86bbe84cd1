"""Statevector simulator against qutip and against a per-sample loop."""

from __future__ import annotations

import numpy as np
import pytest
import qutip

from qnet_dqnn.quantum.circuit import Circuit, Data, Trainable
from qnet_dqnn.quantum.statevector import expectation, statevector

# Textbook matrices, written here independently of qnet_dqnn.quantum.gates.
_H = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
_FIXED = {
    "h": _H,
    "x": [[0, 1], [1, 0]],
    "y": [[0, -1j], [1j, 0]],
    "z": [[1, 0], [0, -1]],
    "s": [[1, 0], [0, 1j]],
    "t": [[1, 0], [0, np.exp(1j * np.pi / 4)]],
}


def _rot(name: str, a: float) -> np.ndarray:
    c, s = np.cos(a / 2), np.sin(a / 2)
    return {
        "rx": [[c, -1j * s], [-1j * s, c]],
        "ry": [[c, -s], [s, c]],
        "rz": [[np.exp(-1j * a / 2), 0], [0, np.exp(1j * a / 2)]],
    }[name]


def _embed(n: int, ops: dict[int, np.ndarray]) -> qutip.Qobj:
    return qutip.tensor([qutip.Qobj(np.asarray(ops.get(q, np.eye(2)), dtype=complex)) for q in range(n)])


def _qutip_unitary(n: int, name: str, qubits: tuple[int, ...], angle: float | None) -> qutip.Qobj:
    p0, p1 = np.diag([1, 0]), np.diag([0, 1])
    if name in _FIXED:
        return _embed(n, {qubits[0]: _FIXED[name]})
    if name in ("rx", "ry", "rz"):
        return _embed(n, {qubits[0]: _rot(name, angle)})
    a, b = qubits
    if name == "cx":
        return _embed(n, {a: p0}) + _embed(n, {a: p1, b: _FIXED["x"]})
    if name == "cz":
        return _embed(n, {a: p0}) + _embed(n, {a: p1, b: _FIXED["z"]})
    if name == "swap":
        sw = sum(
            _embed(n, {a: np.asarray(pa), b: np.asarray(pa).conj().T})
            for pa in ([[1, 0], [0, 0]], [[0, 1], [0, 0]], [[0, 0], [1, 0]], [[0, 0], [0, 1]])
        )
        return sw
    if name == "rzz":
        zz = _embed(n, {a: _FIXED["z"], b: _FIXED["z"]})
        return (-1j * angle / 2 * zz).expm()
    if name == "rxx":
        xx = _embed(n, {a: _FIXED["x"], b: _FIXED["x"]})
        return (-1j * angle / 2 * xx).expm()
    raise AssertionError(name)


def _random_circuit(rng: np.random.Generator, n: int, depth: int) -> tuple[Circuit, list]:
    c = Circuit(n)
    spec = []
    for _ in range(depth):
        if n > 1 and rng.random() < 0.4:
            name = str(rng.choice(["cx", "cz", "swap", "rzz", "rxx"]))
            q = tuple(int(v) for v in rng.choice(n, 2, replace=False))
            ang = float(rng.uniform(-3, 3)) if name in ("rzz", "rxx") else None
            c.append(name, q, [] if ang is None else [ang])
        else:
            name = str(rng.choice(["h", "x", "y", "z", "s", "t", "rx", "ry", "rz"]))
            q = (int(rng.integers(n)),)
            ang = float(rng.uniform(-3, 3)) if name.startswith("r") else None
            c.append(name, q, [] if ang is None else [ang])
        spec.append((name, q, ang))
    return c, spec


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8])
def test_statevector_equals_qutip(n: int) -> None:
    rng = np.random.default_rng(100 + n)
    c, spec = _random_circuit(rng, n, 30)
    psi = qutip.tensor([qutip.basis(2, 0)] * n)
    for name, q, ang in spec:
        psi = _qutip_unitary(n, name, q, ang) * psi
    ours = statevector(c)[0]
    np.testing.assert_allclose(ours, psi.full().ravel(), atol=1e-10)


def test_large_register_matches_dense_reference() -> None:
    """n=14 with a batch exercises the in-place BLAS rotation and re-layout path."""
    rng = np.random.default_rng(3)
    n = 14
    c = Circuit(n)
    for q in range(n):
        c.ry(q, Data(q))
    for layer in range(2):
        for q in range(n):
            c.ry(q, Trainable(2 * n * layer + q)).rz(q, Trainable(2 * n * layer + n + q))
        for q in range(n - 1):
            c.cx(q, q + 1)
    theta = rng.normal(size=c.num_trainable)
    x = rng.normal(size=(3, n))
    batched = statevector(c, theta, x)
    for b in range(3):
        bound = Circuit(n)
        for op in c.ops:
            p = op.params[0] if op.params else None
            val = (theta[p.index] if isinstance(p, Trainable) else x[b, p.index]) if p is not None else None
            bound.append(op.name, op.qubits, [] if val is None else [val])
        small = statevector(bound)[0]
        np.testing.assert_allclose(batched[b], small, atol=1e-10)


def test_batched_equals_looped() -> None:
    rng = np.random.default_rng(7)
    n = 5
    c = Circuit(n)
    for q in range(n):
        c.ry(q, Data(q)).rz(q, Trainable(q, 0.5))
    for q in range(n - 1):
        c.cx(q, q + 1).rzz(q, q + 1, Data((q + 1) % n, 2.0))
    c.rx(2, Trainable(1))
    theta = rng.normal(size=(8, n))
    x = rng.normal(size=(8, n))
    obs = ["Z0", "Z1 Z3", "X2", "Y4 Z0"]
    batched = expectation(c, obs, theta, x)
    looped = np.vstack([expectation(c, obs, theta[b], x[b : b + 1]) for b in range(8)])
    np.testing.assert_allclose(batched, looped, atol=1e-12)


def test_pauli_expectations_equal_qutip() -> None:
    rng = np.random.default_rng(11)
    c, spec = _random_circuit(rng, 3, 20)
    psi = qutip.Qobj(statevector(c)[0].reshape(-1, 1), dims=[[2, 2, 2], [1, 1, 1]])
    ops = {"X": qutip.sigmax(), "Y": qutip.sigmay(), "Z": qutip.sigmaz()}
    for label in ["Z0", "X1", "Y2", "X0 Y1 Z2"]:
        factors = [qutip.qeye(2)] * 3
        for tok in label.split():
            factors[int(tok[1])] = ops[tok[0]]
        ref = qutip.expect(qutip.tensor(factors), psi)
        assert expectation(c, [label])[0, 0] == pytest.approx(ref, abs=1e-10)


def test_initial_state_is_used() -> None:
    psi = np.zeros((2, 4), dtype=complex)
    psi[0, 3] = 1.0
    psi[1, 0] = 1.0
    out = expectation(Circuit(2).i(0), ["Z0", "Z1"], initial_state=psi)
    np.testing.assert_allclose(out, [[-1, -1], [1, 1]])
