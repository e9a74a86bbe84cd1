"""The compiled statevector kernels against plain NumPy formulas, and the chunked forward pass against the whole."""

from __future__ import annotations

import numpy as np
import pytest

from qnet_dqnn.quantum import program
from qnet_dqnn.quantum.circuit import Circuit, Data, Trainable
from qnet_dqnn.quantum.gates import zyz_factors
from qnet_dqnn.quantum.gradients import adjoint_jacobian, parameter_shift_jacobian
from qnet_dqnn.quantum.kernels import gather_phase, rotations, transition_rotations
from qnet_dqnn.quantum.statevector import expectation, statevector


def _random_state(rng: np.random.Generator, n: int, cols: int) -> np.ndarray:
    return rng.normal(size=(2**n, cols)) + 1j * rng.normal(size=(2**n, cols))


def _on_qubit(arr: np.ndarray, n: int, pos: int, mats: np.ndarray) -> np.ndarray:
    """Apply ``mats[c]`` (``(C, 2, 2)``) to the qubit at position ``pos`` of column ``c`` (einsum reference)."""
    v = arr.reshape(2**pos, 2, 2 ** (n - 1 - pos), arr.shape[1])
    return np.einsum("cij,ajrc->airc", mats, v).reshape(arr.shape)


@pytest.mark.parametrize("shared", [True, False])
def test_rotations_equal_matrix_products(shared: bool) -> None:
    rng = np.random.default_rng(1)
    n, cols = 6, 3
    arr = _random_state(rng, n, cols)
    positions = [5, 0, 2]
    angles = rng.uniform(-3, 3, size=(3, 1 if shared else cols))
    expect = arr.copy()
    for p, a in zip(positions, angles, strict=True):
        c, s = np.broadcast_to(np.cos(a), (cols,)), np.broadcast_to(np.sin(a), (cols,))
        expect = _on_qubit(expect, n, p, np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], 1))
    got = arr.copy()
    strides = np.array([1 << (n - 1 - p) for p in positions], dtype=np.int64)
    rotations(got, strides, np.cos(angles), np.sin(angles))
    np.testing.assert_allclose(got, expect, atol=1e-12)


@pytest.mark.parametrize(("batch", "nk"), [(2, 2), (1, 1)])
def test_transition_matrices_equal_partial_traces(batch: int, nk: int) -> None:
    """``C_q[j, i] = Σ_rest λ*_j ψ_i`` read before each qubit's rotation; ψ and the λ's rotated after (one input
    and one observable take the kernel's vectorized loop)."""
    rng = np.random.default_rng(2)
    n = 5
    arr = _random_state(rng, n, batch * (1 + nk))
    positions = [1, 4, 0]
    angles = rng.uniform(-3, 3, size=(3, 1))
    out = np.zeros((nk, 3, batch, 8))
    got = arr.copy()
    strides = np.array([1 << (n - 1 - p) for p in positions], dtype=np.int64)
    transition_rotations(got, batch, strides, np.cos(angles), np.sin(angles), out)
    v = arr.reshape(2**n, 1 + nk, batch)
    for k, p in enumerate(positions):
        t = v.reshape(2**p, 2, 2 ** (n - 1 - p), 1 + nk, batch)
        cm = np.einsum("ajrob,airb->objia", t[:, :, :, 1:].conj(), t[:, :, :, 0]).sum(-1)
        np.testing.assert_allclose(out[:, k, :, 0::2] + 1j * out[:, k, :, 1::2], cm.reshape(nk, batch, 4), atol=1e-12)
    expect = arr.copy()
    for p, a in zip(positions, angles[:, 0], strict=True):
        r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        expect = _on_qubit(expect, n, p, np.broadcast_to(r, (arr.shape[1], 2, 2)))
    np.testing.assert_allclose(got, expect, atol=1e-12)


def test_gather_phase_equals_fancy_indexing() -> None:
    rng = np.random.default_rng(3)
    arr = _random_state(rng, 4, 3)
    idx = rng.permutation(16).astype(np.int64)
    for phase in (
        np.zeros((0, 0), complex),
        np.exp(1j * rng.normal(size=(16, 1))),
        np.exp(1j * rng.normal(size=(16, 3))),
    ):
        out = np.empty_like(arr)
        gather_phase(arr, idx, phase, out)
        expect = arr[idx] * (phase if phase.size else 1.0)
        np.testing.assert_allclose(out, expect, atol=1e-15)


def test_zyz_factors_rebuild_the_unitaries() -> None:
    rng = np.random.default_rng(4)
    z = rng.normal(size=(20, 2, 2)) + 1j * rng.normal(size=(20, 2, 2))
    u, _ = np.linalg.qr(z)
    u[0] = np.diag([1j, -1.0])  # diagonal
    u[1] = np.array([[0, 1], [1j, 0]])  # anti-diagonal
    lf, c, s, r = zyz_factors(u)
    rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], 1)
    np.testing.assert_allclose(lf[:, :, None] * rot * r[:, None, :], u, atol=1e-12)


def _random_model(rng: np.random.Generator, n: int) -> Circuit:
    """Random gates with data re-uploaded between trained layers (per-input and shared one-qubit layers)."""
    c = Circuit(n)
    k = 0
    for layer in range(3):
        for q in range(n):
            c.ry(q, Data(q)) if layer != 1 else c.rx(q, Data((q + 1) % n, 0.5))
            c.append(str(rng.choice(["rx", "ry", "rz"])), (q,), [Trainable(k)])
            c.append(str(rng.choice(["h", "s", "t"])), (q,), [])
            c.rz(q, Trainable(k + 1))
            k += 2
        for q in rng.permutation(n - 1):
            c.append(str(rng.choice(["cx", "cz"])), (int(q), int(q) + 1), [])
        c.rzz(0, n - 1, Trainable(k))
        k += 1
    return c


def test_chunked_forward_equals_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Column chunks (run in threads) give the same states and values as the whole batch, to 1e-12."""
    rng = np.random.default_rng(5)
    n, batch = 9, 10
    c = _random_model(rng, n)
    theta = rng.normal(size=c.num_trainable)
    x = rng.uniform(0, np.pi, size=(batch, n))
    obs = ["Z0", "Z2 Z5", "X1"]
    monkeypatch.setattr(program, "CHUNK_BYTES", 1 << 40)
    whole_v, whole_s = expectation(c, obs, theta, x), statevector(c, theta, x)
    monkeypatch.setattr(program, "CHUNK_BYTES", 2 * 16 * 2**n)  # chunks of 2 columns
    np.testing.assert_allclose(expectation(c, obs, theta, x), whole_v, atol=1e-12)
    np.testing.assert_allclose(statevector(c, theta, x), whole_s, atol=1e-12)
    per_sample = rng.normal(size=(batch, c.num_trainable))
    chunked = expectation(c, obs, per_sample, x)
    monkeypatch.setattr(program, "CHUNK_BYTES", 1 << 40)
    np.testing.assert_allclose(chunked, expectation(c, obs, per_sample, x), atol=1e-12)
    looped = np.vstack([expectation(c, obs, per_sample[b], x[b : b + 1]) for b in range(batch)])
    np.testing.assert_allclose(chunked, looped, atol=1e-12)


def test_adjoint_with_re_uploaded_data_equals_parameter_shift() -> None:
    """Per-input layers inside the adjoint sweep (the per-column rotations and phases)."""
    rng = np.random.default_rng(6)
    c = _random_model(rng, 5)
    theta = rng.normal(size=c.num_trainable)
    x = rng.uniform(0, np.pi, size=(3, 5))
    vals, jac = adjoint_jacobian(c, ["Z0", "Y1 Z3"], theta, x)
    np.testing.assert_allclose(vals, expectation(c, ["Z0", "Y1 Z3"], theta, x), atol=1e-12)
    np.testing.assert_allclose(jac, parameter_shift_jacobian(c, ["Z0", "Y1 Z3"], theta, x), atol=1e-10)
    assert np.abs(jac).max() > 1e-2
